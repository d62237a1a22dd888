/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* The PIN dialog through the module ([module] pin_prompt = pinentry), on a
 * virtual U-KEY with tests/pinentry/ukey-test-pinentry standing in for
 * GnuPG's pinentry: the token shows a protected authentication path,
 * C_Login(NULL, 0) logs in with what the dialog answers, the dialog names
 * the token and warns after a wrong PIN (in Chinese for a zh locale), cancel
 * and broken programs leave the token logged out, and pin_prompt = none
 * keeps the old behaviour. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"

#define TEST_PINENTRY UKEY_TOP_SRCDIR "/tests/pinentry/ukey-test-pinentry"

static CK_FUNCTION_LIST *p11;
static struct ukt_token tok;
static char conf_path[700], pin_file[700], log_file[700];
static CK_SLOT_ID slot;
static CK_SESSION_HANDLE sess;

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Our config: a [module] section in front of the virtual U-KEY's own. */
static int write_conf(const char *module_lines)
{
	char backend[4096];
	FILE *in = fopen(tok.conf, "r");
	if (!in)
		return -1;
	size_t n = fread(backend, 1, sizeof(backend) - 1, in);
	fclose(in);
	backend[n] = '\0';
	FILE *out = fopen(conf_path, "w");
	if (!out)
		return -1;
	fprintf(out, "[module]\n%s\npinentry = %s\n\n%s", module_lines, TEST_PINENTRY, backend);
	return fclose(out) == 0 ? 0 : -1;
}

static int start(const char *module_lines)
{
	if (write_conf(module_lines) != 0)
		return -1;
	setenv("UKEY_PKCS11_CONF", conf_path, 1);
	unlink(log_file);
	unsetenv("UKEY_TEST_PINENTRY_CANCEL");
	unsetenv("UKEY_TEST_PINENTRY_MODE");
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	setenv("LANG", "C.UTF-8", 1);
	write_text(pin_file, tok.user_pin);
	return ukt_open(p11, &tok, false, false, &slot, &sess) == CKR_OK ? 0 : -1;
}

static int prompt_setup(void **state)
{
	(void)state;
	return start("pin_prompt = pinentry\npinentry_timeout = 2");
}

static int none_setup(void **state)
{
	(void)state;
	return start("pin_prompt = none");
}

static int teardown(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (ukt_vkey_create("rsa", &tok) != 0)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/pinentry.conf", tok.dir);
	snprintf(pin_file, sizeof(pin_file), "%s/pinentry.pin", tok.dir);
	snprintf(log_file, sizeof(log_file), "%s/pinentry.log", tok.dir);
	setenv("UKEY_TEST_PINENTRY_PIN_FILE", pin_file, 1);
	setenv("UKEY_TEST_PINENTRY_LOG", log_file, 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ukt_vkey_destroy(&tok);
	return 0;
}

static CK_STATE session_state(void)
{
	CK_SESSION_INFO si;
	assert_int_equal(p11->C_GetSessionInfo(sess, &si), CKR_OK);
	return si.state;
}

static CK_RV login_null(void)
{
	return p11->C_Login(sess, CKU_USER, NULL, 0);
}

/* The last SETDESC line the dialog received. */
static const char *last_desc(void)
{
	char *log = read_text(log_file), *last = NULL;
	for (char *p = strstr(log, "SETDESC "); p; p = strstr(p + 1, "SETDESC "))
		last = p;
	assert_non_null(last);
	char *eol = strchr(last, '\n');
	if (eol)
		*eol = '\0';
	return last;
}

static void assert_has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("\"%s\" does not contain \"%s\"", text, needle);
}

static void token_info_shows_protected_authentication_path(void **state)
{
	CK_TOKEN_INFO ti;
	(void)state;
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_true(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
	/* The module logs in by itself at first use (token/ondemand.c):
	 * consumers must not ask for a PIN in their own dialog first. */
	assert_false(ti.flags & CKF_LOGIN_REQUIRED);
}

/* The mechanism that signs with a key of this type. */
static CK_MECHANISM_TYPE sign_mech_for(CK_OBJECT_HANDLE key)
{
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	assert_int_equal(p11->C_GetAttributeValue(sess, key, &a, 1), CKR_OK);
	if (kt == CKK_RSA)
		return CKM_SHA256_RSA_PKCS;
	if (kt == CKK_EC)
		return CKM_ECDSA_SHA256;
	return 0x80008100UL; /* CKM_SM3_SM2 */
}

static void first_use_of_a_private_key_logs_in_through_the_dialog(void **state)
{
	CK_OBJECT_HANDLE key, pub;
	CK_OBJECT_CLASS pcls = CKO_PUBLIC_KEY;
	CK_BYTE id[64], sig[512], msg[] = "signed after the dialog";
	CK_ATTRIBUTE ida = { CKA_ID, id, sizeof(id) };
	CK_ULONG siglen = sizeof(sig);
	(void)state;
	/* Found without a login: NSS marks user certificates this way. */
	assert_int_equal(ukt_find_one(p11, sess, CKO_PRIVATE_KEY, NULL, 0, &key), CKR_OK);
	assert_int_equal(session_state(), CKS_RO_PUBLIC_SESSION);
	assert_int_equal(access(log_file, F_OK), -1);
	assert_int_equal(p11->C_GetAttributeValue(sess, key, &ida, 1), CKR_OK);
	CK_MECHANISM m = { sign_mech_for(key), NULL, 0 };
	/* The first use asks, once, and the same handle then signs. */
	assert_int_equal(p11->C_SignInit(sess, &m, key), CKR_OK);
	assert_int_equal(session_state(), CKS_RO_USER_FUNCTIONS);
	assert_has(read_text(log_file), "GETPIN");
	assert_int_equal(p11->C_Sign(sess, msg, sizeof(msg), sig, &siglen), CKR_OK);
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &pcls, sizeof(pcls) }, { CKA_ID, id, ida.ulValueLen } };
	CK_ULONG n = 0;
	assert_int_equal(p11->C_FindObjectsInit(sess, t, 2), CKR_OK);
	assert_int_equal(p11->C_FindObjects(sess, &pub, 1, &n), CKR_OK);
	assert_int_equal(p11->C_FindObjectsFinal(sess), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(p11->C_VerifyInit(sess, &m, pub), CKR_OK);
	assert_int_equal(p11->C_Verify(sess, msg, sizeof(msg), sig, siglen), CKR_OK);
}

static void cancel_at_first_use_ends_the_operation_without_login(void **state)
{
	CK_OBJECT_HANDLE key;
	(void)state;
	assert_int_equal(ukt_find_one(p11, sess, CKO_PRIVATE_KEY, NULL, 0, &key), CKR_OK);
	CK_MECHANISM m = { sign_mech_for(key), NULL, 0 };
	setenv("UKEY_TEST_PINENTRY_CANCEL", "1", 1);
	assert_int_equal(p11->C_SignInit(sess, &m, key), CKR_FUNCTION_CANCELED);
	unsetenv("UKEY_TEST_PINENTRY_CANCEL");
	assert_int_equal(session_state(), CKS_RO_PUBLIC_SESSION);
}

static void null_pin_login_goes_through_the_dialog_and_shows_label_and_serial(void **state)
{
	CK_OBJECT_HANDLE key;
	(void)state;
	assert_int_equal(login_null(), CKR_OK);
	assert_int_equal(session_state(), CKS_RO_USER_FUNCTIONS);
	assert_int_equal(ukt_find_one(p11, sess, CKO_PRIVATE_KEY, NULL, 0, &key), CKR_OK);
	const char *desc = last_desc();
	assert_has(desc, tok.label);
	assert_has(desc, tok.serial);
	assert_has(desc, "user PIN");
	/* The dialog never gets the PIN back from us. */
	assert_null(strstr(read_text(log_file), tok.user_pin));
	/* Not cached: after logout the next NULL-PIN login asks again. */
	assert_int_equal(p11->C_Logout(sess), CKR_OK);
	unlink(log_file);
	assert_int_equal(login_null(), CKR_OK);
	assert_has(read_text(log_file), "GETPIN");
}

static void wrong_pin_is_refused_once_and_the_next_dialog_says_so(void **state)
{
	(void)state;
	write_text(pin_file, "000000-not-the-pin");
	assert_int_equal(login_null(), CKR_PIN_INCORRECT);
	assert_int_equal(session_state(), CKS_RO_PUBLIC_SESSION);
	/* One login, one dialog: a wrong PIN is never retried by the module. */
	const char *log = read_text(log_file);
	assert_null(strstr(strstr(log, "GETPIN") + 1, "GETPIN"));
	write_text(pin_file, tok.user_pin);
	assert_int_equal(login_null(), CKR_OK);
	assert_has(last_desc(), "A wrong PIN was entered before");
}

static void chinese_locale_gives_chinese_dialog(void **state)
{
	(void)state;
	setenv("LC_MESSAGES", "zh_CN.UTF-8", 1);
	assert_int_equal(login_null(), CKR_OK);
	const char *desc = last_desc();
	assert_has(desc, "介质编号：");
	assert_has(desc, tok.serial);
	assert_has(read_text(log_file), "SETCANCEL 取消");
}

static void cancel_is_function_canceled_and_nobody_is_logged_in(void **state)
{
	CK_TOKEN_INFO ti;
	(void)state;
	setenv("UKEY_TEST_PINENTRY_CANCEL", "1", 1);
	assert_int_equal(login_null(), CKR_FUNCTION_CANCELED);
	assert_int_equal(session_state(), CKS_RO_PUBLIC_SESSION);
	/* Cancelling costs no try. */
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_false(ti.flags & CKF_USER_PIN_COUNT_LOW);
	unsetenv("UKEY_TEST_PINENTRY_CANCEL");
	assert_int_equal(login_null(), CKR_OK);
}

static void broken_or_hanging_dialog_is_a_clean_error(void **state)
{
	static const char *const modes[] = { "garbage", "badgreet", "die", "hang", "long" };
	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		setenv("UKEY_TEST_PINENTRY_MODE", modes[i], 1);
		CK_RV rv = login_null();
		if (rv != CKR_FUNCTION_FAILED && rv != CKR_FUNCTION_CANCELED)
			fail_msg("mode %s: rv 0x%lx", modes[i], (unsigned long)rv);
		assert_int_equal(session_state(), CKS_RO_PUBLIC_SESSION);
	}
	unsetenv("UKEY_TEST_PINENTRY_MODE");
	/* The module is still fine afterwards. */
	assert_int_equal(login_null(), CKR_OK);
}

static void explicit_pin_still_works_without_a_dialog(void **state)
{
	(void)state;
	assert_int_equal(p11->C_Login(sess, CKU_USER, (CK_UTF8CHAR_PTR)tok.user_pin, strlen(tok.user_pin)),
			 CKR_OK);
	assert_int_equal(access(log_file, F_OK), -1);
}

static void prompt_none_keeps_null_pin_login_as_before(void **state)
{
	CK_TOKEN_INFO ti;
	(void)state;
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_false(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
	/* The NULL PIN goes to the backend, which refuses it; no dialog.
	 * (SoftHSM: ARGUMENTS_BAD; SKF VerifyPIN of an empty PIN: refused.) */
	if (ukt_is_skf()) {
		CK_RV rv = login_null();

		assert_true(rv == CKR_ARGUMENTS_BAD || rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INCORRECT);
	} else {
		assert_int_equal(login_null(), CKR_ARGUMENTS_BAD);
	}
	assert_int_equal(session_state(), CKS_RO_PUBLIC_SESSION);
	assert_int_equal(access(log_file, F_OK), -1);
}

#define PROMPT(f) cmocka_unit_test_setup_teardown(f, prompt_setup, teardown)
#define NONE(f) cmocka_unit_test_setup_teardown(f, none_setup, teardown)

int main(void)
{
	void *handle = NULL;
	const struct CMUnitTest tests[] = {
		PROMPT(token_info_shows_protected_authentication_path),
		PROMPT(first_use_of_a_private_key_logs_in_through_the_dialog),
		PROMPT(cancel_at_first_use_ends_the_operation_without_login),
		PROMPT(null_pin_login_goes_through_the_dialog_and_shows_label_and_serial),
		PROMPT(wrong_pin_is_refused_once_and_the_next_dialog_says_so),
		PROMPT(chinese_locale_gives_chinese_dialog),
		PROMPT(cancel_is_function_canceled_and_nobody_is_logged_in),
		PROMPT(broken_or_hanging_dialog_is_a_clean_error),
		PROMPT(explicit_pin_still_works_without_a_dialog),
		NONE(prompt_none_keeps_null_pin_login_as_before),
	};
	p11 = ukt_module_load(&handle);
	if (!p11)
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
