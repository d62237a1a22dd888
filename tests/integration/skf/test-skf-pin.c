/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* PIN retry counters of an SKF U-KEY through the module (the emulator
 * decrements and locks like a real key, 10 tries): the token flags walk
 * COUNT_LOW → FINAL_TRY → LOCKED, a locked PIN refuses even the right PIN,
 * C_InitPIN as the SO (SKF_UnblockPIN) unlocks it, and the pinentry dialog
 * tells the exact tries left. The token is this program's own. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>

#include <cmocka.h>

#include "testlib.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok;
static CK_SLOT_ID slot;
static CK_SESSION_HANDLE sess;
static char conf_path[700], pin_file[700], log_file[700];
static const char wrong[] = "000000", newpin[] = "86420864";

static CK_FLAGS token_flags(void)
{
	CK_TOKEN_INFO ti;

	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	return ti.flags;
}

static CK_RV login(CK_USER_TYPE who, const char *pin)
{
	return p11->C_Login(sess, who, (CK_UTF8CHAR_PTR)pin, pin ? strlen(pin) : 0);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
	static char buf[32768];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The module config: pinentry prompts, then the virtual U-KEY's backend. */
static int write_conf(void)
{
	char backend[4096];
	FILE *in = fopen(tok.conf, "r"), *out;
	size_t n;

	if (!in)
		return -1;
	n = fread(backend, 1, sizeof(backend) - 1, in);
	fclose(in);
	backend[n] = '\0';
	out = fopen(conf_path, "w");
	if (!out)
		return -1;
	fprintf(out, "[module]\npin_prompt = pinentry\npinentry_timeout = 5\npinentry = %s/tests/pinentry/ukey-test-pinentry\n\n%s",
		ukt_srcdir(), backend);
	return fclose(out) == 0 ? 0 : -1;
}

static int group_setup(void **state)
{
	(void)state;
	setenv("UKEY_TEST_BACKEND", "skf", 1);
	if (ukt_vkey_create("sm2", &tok) != 0)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/pinentry.conf", tok.dir);
	snprintf(pin_file, sizeof(pin_file), "%s/pinentry.pin", tok.dir);
	snprintf(log_file, sizeof(log_file), "%s/pinentry.log", tok.dir);
	setenv("UKEY_TEST_PINENTRY_PIN_FILE", pin_file, 1);
	setenv("UKEY_TEST_PINENTRY_LOG", log_file, 1);
	setenv("LANG", "C.UTF-8", 1);
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	if (write_conf() != 0 || setenv("UKEY_PKCS11_CONF", conf_path, 1) != 0)
		return -1;
	p11 = ukt_module_load(&dl);
	if (!p11)
		return -1;
	return ukt_open(p11, &tok, true, false, &slot, &sess) == CKR_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	ukt_vkey_destroy(&tok);
	return 0;
}

static void test_fresh_token_has_no_pin_warning_flags(void **state)
{
	(void)state;
	assert_int_equal(token_flags() & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED), 0);
}

static void test_pinentry_dialog_shows_ten_tries_then_nine_after_a_wrong_pin(void **state)
{
	(void)state;
	write_text(pin_file, wrong);
	unlink(log_file);
	assert_int_equal(login(CKU_USER, NULL), CKR_PIN_INCORRECT);
	assert_non_null(strstr(slurp(log_file), "Tries left: 10 of 10."));
	assert_int_equal(token_flags() & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY), CKF_USER_PIN_COUNT_LOW);
	unlink(log_file);
	assert_int_equal(login(CKU_USER, NULL), CKR_PIN_INCORRECT);
	assert_non_null(strstr(slurp(log_file), "Tries left: 9 of 10."));
	assert_non_null(strstr(slurp(log_file), "A wrong PIN was entered before"));
}

static void test_wrong_pins_down_to_one_left_set_final_try(void **state)
{
	(void)state;
	/* 2 used above; 7 more leave 1 */
	for (int i = 0; i < 7; i++)
		assert_int_equal(login(CKU_USER, wrong), CKR_PIN_INCORRECT);
	assert_int_equal(token_flags() & (CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED), CKF_USER_PIN_FINAL_TRY);
	unlink(log_file);
	write_text(pin_file, wrong);
	/* the last try, through the dialog, which says so */
	assert_int_equal(login(CKU_USER, NULL), CKR_PIN_LOCKED);
	assert_non_null(strstr(slurp(log_file), "Tries left: 1 of 10."));
	assert_non_null(strstr(slurp(log_file), "LAST try"));
}

static void test_locked_pin_refuses_even_the_right_pin(void **state)
{
	CK_SESSION_INFO si;

	(void)state;
	assert_true(token_flags() & CKF_USER_PIN_LOCKED);
	assert_int_equal(login(CKU_USER, tok.user_pin), CKR_PIN_LOCKED);
	assert_int_equal(p11->C_GetSessionInfo(sess, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
}

static void test_so_init_pin_unblocks_and_the_new_pin_works(void **state)
{
	(void)state;
	assert_int_equal(login(CKU_SO, tok.so_pin), CKR_OK);
	assert_int_equal(p11->C_InitPIN(sess, (CK_UTF8CHAR_PTR)newpin, strlen(newpin)), CKR_OK);
	assert_int_equal(p11->C_Logout(sess), CKR_OK);
	assert_int_equal(token_flags() & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED), 0);
	assert_int_equal(login(CKU_USER, tok.user_pin), CKR_PIN_INCORRECT); /* the old one is gone */
	assert_int_equal(login(CKU_USER, newpin), CKR_OK);
	/* a success resets the counter */
	assert_int_equal(token_flags() & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_token_has_no_pin_warning_flags),
		cmocka_unit_test(test_pinentry_dialog_shows_ten_tries_then_nine_after_a_wrong_pin),
		cmocka_unit_test(test_wrong_pins_down_to_one_left_set_final_try),
		cmocka_unit_test(test_locked_pin_refuses_even_the_right_pin),
		cmocka_unit_test(test_so_init_pin_unblocks_and_the_new_pin_works),
	};
	int rc = cmocka_run_group_tests_name("skf-pin", tests, group_setup, group_teardown);

	if (dl)
		dlclose(dl);
	return rc;
}
