/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* PIN changes on the protected authentication path ([module] pin_prompt =
 * pinentry), on both backends, with tests/pinentry/ukey-test-pinentry
 * answering from a queue of files: C_SetPIN(NULL, 0, NULL, 0) asks for the
 * current PIN, the new one and the new one again; C_InitPIN(NULL, 0) as the
 * SO asks for the new user PIN twice. A confirmation that differs or a new
 * PIN of the wrong length is asked again inside the dialog and never
 * reaches the device; a wrong current PIN costs exactly one try; a cancel
 * changes nothing. The token is this program's own: PINs change. */

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "ukey-pkcs11.h"

#define TEST_PINENTRY UKEY_TOP_SRCDIR "/tests/pinentry/ukey-test-pinentry"

static CK_FUNCTION_LIST *p11;
static void *dl;
static const UKEY_VENDOR_FUNCTION_LIST *vendor;
static struct ukt_token tok;
static char conf_path[700], queue_dir[700], log_file[700];
static char current[64]; /* the user PIN now */
static CK_SLOT_ID slot;
static CK_SESSION_HANDLE rw;

static char *read_text(const char *path)
{
	static char buf[32768];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static void assert_has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("\"%s\" does not contain \"%s\"", text, needle);
}

static int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The dialog's answers, in order; the log emptied. */
static void answers(const char *first, ...)
{
	va_list ap;
	int i = 0;
	unlink(log_file);
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		char path[800];
		snprintf(path, sizeof(path), "%s/%02d", queue_dir, i++);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(a, f);
		assert_int_equal(fclose(f), 0);
	}
	va_end(ap);
}

/* Answers the dialog did not ask for (0 when it asked them all). */
static int unasked(void)
{
	char cmd[800];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q .", queue_dir);
	return system(cmd) == 0;
}

/* The user PIN's counter: exact on SKF, -1 where only flags tell (SoftHSM). */
static long tries_left(CK_FLAGS *flags)
{
	UKEY_PIN_TRIES t;
	assert_int_equal(vendor->UKEY_GetPinTries(slot, CKU_USER, &t), CKR_OK);
	*flags = t.flags;
	return t.ulTriesLeft == CK_UNAVAILABLE_INFORMATION ? -1 : (long)t.ulTriesLeft;
}

static CK_RV login(CK_USER_TYPE who, const char *pin)
{
	return p11->C_Login(rw, who, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

static CK_RV set_pin_by_dialog(void)
{
	return p11->C_SetPIN(rw, NULL, 0, NULL, 0);
}

static int group_setup(void **state)
{
	CK_RV (*gi)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, UKEY_CK_INTERFACE **, CK_FLAGS);
	UKEY_CK_INTERFACE *iface = NULL;
	char backend[4096];
	FILE *in, *out;
	size_t n;

	(void)state;
	if (ukt_vkey_create("rsa", &tok) != 0)
		return -1;
	snprintf(current, sizeof(current), "%s", tok.user_pin);
	snprintf(conf_path, sizeof(conf_path), "%s/pin-dialog.conf", tok.dir);
	snprintf(queue_dir, sizeof(queue_dir), "%s/answers", tok.dir);
	snprintf(log_file, sizeof(log_file), "%s/pinentry.log", tok.dir);
	if (mkdir(queue_dir, 0700) != 0)
		return -1;
	setenv("UKEY_TEST_PINENTRY_PIN_DIR", queue_dir, 1);
	setenv("UKEY_TEST_PINENTRY_LOG", log_file, 1);
	unsetenv("UKEY_TEST_PINENTRY_MODE");
	unsetenv("UKEY_TEST_PINENTRY_CANCEL");
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	setenv("LANG", "C.UTF-8", 1);
	in = fopen(tok.conf, "r");
	if (!in)
		return -1;
	n = fread(backend, 1, sizeof(backend) - 1, in);
	fclose(in);
	backend[n] = '\0';
	out = fopen(conf_path, "w");
	if (!out)
		return -1;
	fprintf(out, "[module]\npin_prompt = pinentry\npinentry_timeout = 10\npinentry = %s\n\n%s", TEST_PINENTRY,
		backend);
	if (fclose(out) != 0 || setenv("UKEY_PKCS11_CONF", conf_path, 1) != 0)
		return -1;
	p11 = ukt_module_load(&dl);
	if (!p11)
		return -1;
	*(void **)&gi = dlsym(dl, "C_GetInterface");
	if (!gi || gi((CK_UTF8CHAR_PTR)UKEY_VENDOR_INTERFACE, NULL, &iface, 0) != CKR_OK)
		return -1;
	vendor = iface->pFunctionList;
	return ukt_open(p11, &tok, true, false, &slot, &rw) == CKR_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	if (dl)
		dlclose(dl);
	ukt_vkey_destroy(&tok);
	return 0;
}

static void token_reports_the_protected_path_and_its_length_rule(void **state)
{
	CK_TOKEN_INFO ti;
	(void)state;
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_true(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
	assert_true(ti.ulMinPinLen >= 4);
	assert_true(ti.ulMaxPinLen >= ti.ulMinPinLen);
}

static void set_pin_with_null_pins_asks_current_new_and_again_then_changes_it(void **state)
{
	static const char newpin[] = "24681357";
	(void)state;
	answers(current, newpin, newpin, NULL);
	assert_int_equal(set_pin_by_dialog(), CKR_OK);
	assert_false(unasked());
	const char *log = read_text(log_file);
	assert_int_equal(count(log, "GETPIN"), 3);
	assert_has(log, "SETTITLE Change the U-KEY PIN");
	assert_has(log, "Changing the user PIN: the current one first.");
	assert_has(log, "Enter the new user PIN of the U-KEY");
	assert_has(log, "Enter the new user PIN again to confirm it.");
	assert_has(log, tok.serial);
	/* The dialog never gets a PIN from the module. */
	assert_null(strstr(log, newpin));
	assert_int_equal(login(CKU_USER, newpin), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	snprintf(current, sizeof(current), "%s", newpin);
}

static void differing_confirmation_is_asked_again_without_a_try(void **state)
{
	static const char newpin[] = "11335577";
	CK_FLAGS flags;
	long before;
	(void)state;
	before = tries_left(&flags);
	answers(current, newpin, "11335578", newpin, newpin, NULL);
	assert_int_equal(set_pin_by_dialog(), CKR_OK);
	const char *log = read_text(log_file);
	assert_int_equal(count(log, "GETPIN"), 5);
	assert_int_equal(count(log, "SETERROR The two new PINs differ"), 1);
	assert_int_equal(tries_left(&flags), before);
	assert_int_equal(login(CKU_USER, newpin), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	snprintf(current, sizeof(current), "%s", newpin);
}

static void too_short_or_too_long_new_pin_is_asked_again(void **state)
{
	static const char newpin[] = "55667788";
	char toolong[300];
	CK_TOKEN_INFO ti;
	(void)state;
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_true(ti.ulMaxPinLen + 1 < sizeof(toolong) || ti.ulMaxPinLen >= 256);
	/* Past 256 bytes the dialog refuses the answer itself. */
	if (ti.ulMaxPinLen < 256) {
		memset(toolong, '9', ti.ulMaxPinLen + 1);
		toolong[ti.ulMaxPinLen + 1] = '\0';
	} else {
		snprintf(toolong, sizeof(toolong), "%s", "12");
	}
	answers(current, "123", toolong, newpin, newpin, NULL);
	assert_int_equal(set_pin_by_dialog(), CKR_OK);
	const char *log = read_text(log_file);
	assert_int_equal(count(log, "SETERROR The new PIN does not have an allowed length"), 2);
	assert_has(log, "characters long.");
	assert_int_equal(login(CKU_USER, newpin), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	snprintf(current, sizeof(current), "%s", newpin);
}

static void confirmation_never_matching_gives_up_and_changes_nothing(void **state)
{
	CK_FLAGS flags;
	long before;
	(void)state;
	before = tries_left(&flags);
	answers(current, "12121212", "21212121", "12121212", "21212121", "12121212", "21212121", NULL);
	assert_int_equal(set_pin_by_dialog(), CKR_FUNCTION_CANCELED);
	assert_false(unasked());
	assert_int_equal(tries_left(&flags), before);
	assert_int_equal(flags & CKF_USER_PIN_COUNT_LOW, 0);
	assert_int_equal(login(CKU_USER, current), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
}

static void cancel_at_the_first_dialog_changes_nothing(void **state)
{
	(void)state;
	answers(NULL); /* an empty queue: the stand-in answers "cancelled" */
	assert_int_equal(set_pin_by_dialog(), CKR_FUNCTION_CANCELED);
	assert_int_equal(count(read_text(log_file), "GETPIN"), 1);
	assert_int_equal(login(CKU_USER, current), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
}

static void wrong_current_pin_costs_exactly_one_try(void **state)
{
	CK_FLAGS flags;
	long before, after;
	(void)state;
	before = tries_left(&flags);
	assert_int_equal(flags & CKF_USER_PIN_COUNT_LOW, 0);
	answers("00000000", "99887766", "99887766", NULL);
	assert_int_equal(set_pin_by_dialog(), CKR_PIN_INCORRECT);
	after = tries_left(&flags);
	if (before >= 0)
		assert_int_equal(after, before - 1);
	assert_true(flags & CKF_USER_PIN_COUNT_LOW);
	/* The current-PIN dialog of the next change says a try was used. */
	answers(NULL); /* cancelled */
	assert_int_equal(set_pin_by_dialog(), CKR_FUNCTION_CANCELED);
	assert_has(read_text(log_file), "A wrong PIN was entered before");
	/* The new PIN did not take: the current one still works (and resets). */
	assert_int_equal(login(CKU_USER, current), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(tries_left(&flags), before);
}

static void init_pin_with_null_pin_as_so_asks_the_new_user_pin_twice(void **state)
{
	static const char newpin[] = "80808080";
	(void)state;
	assert_int_equal(login(CKU_SO, tok.so_pin), CKR_OK);
	answers(newpin, "80808081", newpin, newpin, NULL);
	assert_int_equal(p11->C_InitPIN(rw, NULL, 0), CKR_OK);
	const char *log = read_text(log_file);
	assert_int_equal(count(log, "GETPIN"), 4);
	assert_has(log, "Enter the new user PIN of the U-KEY");
	assert_int_equal(count(log, "SETERROR The two new PINs differ"), 1);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(login(CKU_USER, newpin), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	snprintf(current, sizeof(current), "%s", newpin);
}

static void chinese_locale_gives_chinese_change_dialogs(void **state)
{
	static const char newpin[] = "31415926";
	(void)state;
	setenv("LC_MESSAGES", "zh_CN.UTF-8", 1);
	answers(current, newpin, newpin, NULL);
	assert_int_equal(set_pin_by_dialog(), CKR_OK);
	unsetenv("LC_MESSAGES");
	const char *log = read_text(log_file);
	assert_has(log, "SETTITLE 修改 U-KEY PIN");
	assert_has(log, "修改用户 PIN：先验证当前的用户 PIN。");
	assert_has(log, "的新用户 PIN。");
	assert_has(log, "请再次输入新用户 PIN以确认。");
	snprintf(current, sizeof(current), "%s", newpin);
	assert_int_equal(login(CKU_USER, current), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_reports_the_protected_path_and_its_length_rule),
		cmocka_unit_test(set_pin_with_null_pins_asks_current_new_and_again_then_changes_it),
		cmocka_unit_test(differing_confirmation_is_asked_again_without_a_try),
		cmocka_unit_test(too_short_or_too_long_new_pin_is_asked_again),
		cmocka_unit_test(confirmation_never_matching_gives_up_and_changes_nothing),
		cmocka_unit_test(cancel_at_the_first_dialog_changes_nothing),
		cmocka_unit_test(wrong_current_pin_costs_exactly_one_try),
		cmocka_unit_test(init_pin_with_null_pin_as_so_asks_the_new_user_pin_twice),
		cmocka_unit_test(chinese_locale_gives_chinese_change_dialogs),
	};
	return cmocka_run_group_tests_name("pin-dialog", tests, group_setup, group_teardown);
}
