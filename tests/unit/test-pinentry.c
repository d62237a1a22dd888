/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the PIN dialog (module/token/pinentry*.c): what the dialog
 * says for every kind of PIN counter (exact counts, flags only, last try,
 * locked) in English and Chinese; the locale choice; Assuan escaping; the
 * [module] pin_prompt / pinentry / pinentry_timeout keys; and the Assuan
 * client against tests/pinentry/ukey-test-pinentry in each of its modes
 * (a PIN, cancel, garbage, a bad greeting, death, a hang, an overlong PIN,
 * a missing program). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "token/pinentry.h"
#include "util/conf.h"

#define TEST_PINENTRY UKEY_TOP_SRCDIR "/tests/pinentry/ukey-test-pinentry"

static struct ukey_dev_info token(long left, long max, CK_FLAGS flags)
{
	struct ukey_dev_info info;
	memset(&info, 0, sizeof(info));
	snprintf(info.label, sizeof(info.label), "GDCA 100%% key   ");
	snprintf(info.serial, sizeof(info.serial), "4403000012345678");
	info.token_flags = CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | flags;
	info.user_retries_left = left;
	info.user_retries_max = max;
	info.so_retries_left = -1;
	info.so_retries_max = -1;
	return info;
}

static void assert_has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("\"%s\" does not contain \"%s\"", text, needle);
}

static void assert_lacks(const char *text, const char *needle)
{
	if (strstr(text, needle))
		fail_msg("\"%s\" contains \"%s\"", text, needle);
}

static void exact_counts_show_tries_left_of_max_label_and_serial(void **state)
{
	struct ukey_dev_info info = token(3, 10, CKF_USER_PIN_COUNT_LOW);
	struct ukey_pin_dialog d;
	(void)state;
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_USER, false, &d), CKR_OK);
	assert_has(d.desc, "user PIN of the U-KEY \"GDCA 100% key\".");
	assert_has(d.desc, "Medium number: 4403000012345678");
	assert_has(d.desc, "Tries left: 3 of 10.");
	assert_has(d.desc, "A wrong PIN was entered before");
	assert_lacks(d.desc, "LAST");
	assert_string_equal(d.prompt, "PIN:");
	assert_string_equal(d.title, "U-KEY PIN");
}

static void full_counts_do_not_mention_a_wrong_pin(void **state)
{
	struct ukey_dev_info info = token(10, 10, 0);
	struct ukey_pin_dialog d;
	(void)state;
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_USER, false, &d), CKR_OK);
	assert_has(d.desc, "Tries left: 10 of 10.");
	assert_lacks(d.desc, "wrong PIN");
}

static void one_try_left_warns_that_a_wrong_pin_locks_the_key(void **state)
{
	struct ukey_dev_info info = token(1, 10, 0);
	struct ukey_pin_dialog d;
	(void)state;
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_USER, false, &d), CKR_OK);
	assert_has(d.desc, "Tries left: 1 of 10.");
	assert_has(d.desc, "This is the LAST try: a wrong PIN will lock the U-KEY");
}

static void flags_only_count_low_says_a_wrong_pin_was_entered_before(void **state)
{
	struct ukey_dev_info info = token(-1, -1, CKF_USER_PIN_COUNT_LOW);
	struct ukey_pin_dialog d;
	(void)state;
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_USER, false, &d), CKR_OK);
	assert_has(d.desc, "A wrong PIN was entered before");
	assert_lacks(d.desc, "Tries left");
	assert_lacks(d.desc, "LAST");
}

static void flags_only_final_try_gives_the_last_try_warning(void **state)
{
	struct ukey_dev_info info = token(-1, -1, CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
	struct ukey_pin_dialog d;
	(void)state;
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_USER, false, &d), CKR_OK);
	assert_has(d.desc, "This is the LAST try: a wrong PIN will lock the U-KEY");
}

static void flags_only_fresh_token_says_nothing_about_tries(void **state)
{
	struct ukey_dev_info info = token(-1, -1, 0);
	struct ukey_pin_dialog d;
	(void)state;
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_USER, false, &d), CKR_OK);
	assert_lacks(d.desc, "Tries");
	assert_lacks(d.desc, "wrong");
	assert_int_not_equal(d.desc[strlen(d.desc) - 1], '\n');
}

static void locked_user_pin_is_pin_locked_and_builds_no_dialog(void **state)
{
	struct ukey_dev_info by_flag = token(-1, -1, CKF_USER_PIN_LOCKED);
	struct ukey_dev_info by_count = token(0, 10, 0);
	struct ukey_pin_dialog d;
	(void)state;
	assert_int_equal(ukey_pin_dialog_build(&by_flag, CKU_USER, false, &d), CKR_PIN_LOCKED);
	assert_int_equal(ukey_pin_dialog_build(&by_count, CKU_USER, true, &d), CKR_PIN_LOCKED);
	/* The SO PIN is another counter: still asked for. */
	assert_int_equal(ukey_pin_dialog_build(&by_flag, CKU_SO, false, &d), CKR_OK);
}

static void so_login_uses_the_so_counters_and_names_the_so_pin(void **state)
{
	struct ukey_dev_info info = token(1, 10, CKF_USER_PIN_FINAL_TRY);
	struct ukey_pin_dialog d;
	(void)state;
	info.so_retries_left = 5;
	info.so_retries_max = 6;
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_SO, false, &d), CKR_OK);
	assert_has(d.desc, "administrator (SO) PIN");
	assert_has(d.desc, "Tries left: 5 of 6.");
	assert_lacks(d.desc, "LAST");
	info.token_flags |= CKF_SO_PIN_LOCKED;
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_SO, false, &d), CKR_PIN_LOCKED);
}

static void chinese_dialog_has_counts_serial_and_last_try_warning(void **state)
{
	struct ukey_dev_info info = token(3, 10, 0);
	struct ukey_pin_dialog d;
	(void)state;
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_USER, true, &d), CKR_OK);
	assert_has(d.desc, "请输入 U-KEY“GDCA 100% key”的用户 PIN。");
	assert_has(d.desc, "介质编号：4403000012345678");
	assert_has(d.desc, "剩余尝试次数：3 次（共 10 次）");
	assert_has(d.desc, "之前输入过错误的 PIN");
	assert_string_equal(d.ok, "确定");
	assert_string_equal(d.cancel, "取消");
	info.user_retries_left = 1;
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_USER, true, &d), CKR_OK);
	assert_has(d.desc, "这是最后一次尝试：PIN 输入错误将锁死 U-KEY。");
	info = token(-1, -1, CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(ukey_pin_dialog_build(&info, CKU_USER, true, &d), CKR_OK);
	assert_has(d.desc, "之前输入过错误的 PIN：剩余尝试次数已不多");
}

/* A PIN change (protected path): the current PIN with its tries, then the
 * new PIN with the token's length rule, then the confirmation. */
static void change_dialogs_ask_current_pin_with_tries_then_new_pin_with_length_rule(void **state)
{
	struct ukey_dev_info info = token(4, 10, 0);
	struct ukey_pin_dialog d;
	(void)state;
	info.min_pin_len = 6;
	info.max_pin_len = 16;
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_USER, UKEY_PIN_STEP_OLD, UKEY_PIN_RETYPE_NONE, false,
						      &d), CKR_OK);
	assert_string_equal(d.title, "Change the U-KEY PIN");
	assert_has(d.desc, "Changing the user PIN: the current one first.");
	assert_has(d.desc, "Tries left: 4 of 10.");
	assert_string_equal(d.error, "");
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_USER, UKEY_PIN_STEP_NEW, UKEY_PIN_RETYPE_NONE, false,
						      &d), CKR_OK);
	assert_has(d.desc, "Enter the new user PIN of the U-KEY \"GDCA 100% key\".");
	assert_has(d.desc, "Medium number: 4403000012345678");
	assert_has(d.desc, "The PIN must be 6 to 16 characters long.");
	assert_lacks(d.desc, "Tries left");
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_USER, UKEY_PIN_STEP_REPEAT, UKEY_PIN_RETYPE_NONE,
						      false, &d), CKR_OK);
	assert_has(d.desc, "Enter the new user PIN again to confirm it.");
	/* Only a bound the token tells is said. */
	info.max_pin_len = 0;
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_USER, UKEY_PIN_STEP_NEW, UKEY_PIN_RETYPE_NONE, false,
						      &d), CKR_OK);
	assert_has(d.desc, "The PIN must be at least 6 characters long.");
}

static void change_dialog_of_a_locked_pin_is_refused_but_a_new_pin_is_still_asked(void **state)
{
	struct ukey_dev_info info = token(0, 10, CKF_USER_PIN_LOCKED);
	struct ukey_pin_dialog d;
	(void)state;
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_USER, UKEY_PIN_STEP_OLD, UKEY_PIN_RETYPE_NONE, false,
						      &d), CKR_PIN_LOCKED);
	/* Unblocking (C_InitPIN) sets a new user PIN on a locked one. */
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_USER, UKEY_PIN_STEP_NEW, UKEY_PIN_RETYPE_NONE, false,
						      &d), CKR_OK);
	info.so_retries_left = 2;
	info.so_retries_max = 10;
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_SO, UKEY_PIN_STEP_OLD, UKEY_PIN_RETYPE_NONE, false,
						      &d), CKR_OK);
	assert_has(d.desc, "Changing the administrator (SO) PIN");
	assert_has(d.desc, "Tries left: 2 of 10.");
	assert_string_equal(d.prompt, "SO PIN:");
}

static void change_dialog_says_why_the_new_pin_is_asked_again_in_both_languages(void **state)
{
	struct ukey_dev_info info = token(10, 10, 0);
	struct ukey_pin_dialog d;
	(void)state;
	info.min_pin_len = 6;
	info.max_pin_len = 16;
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_USER, UKEY_PIN_STEP_NEW, UKEY_PIN_RETYPE_LENGTH, false,
						      &d), CKR_OK);
	assert_has(d.error, "does not have an allowed length");
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_USER, UKEY_PIN_STEP_NEW, UKEY_PIN_RETYPE_MISMATCH,
						      false, &d), CKR_OK);
	assert_has(d.error, "The two new PINs differ");
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_USER, UKEY_PIN_STEP_NEW, UKEY_PIN_RETYPE_MISMATCH,
						      true, &d), CKR_OK);
	assert_string_equal(d.title, "修改 U-KEY PIN");
	assert_has(d.desc, "请输入 U-KEY“GDCA 100% key”的新用户 PIN。");
	assert_has(d.desc, "PIN 长度须为 6 到 16 个字符。");
	assert_has(d.error, "两次输入的新 PIN 不一致");
	assert_int_equal(ukey_pin_dialog_build_change(&info, CKU_USER, UKEY_PIN_STEP_OLD, UKEY_PIN_RETYPE_NONE, true,
						      &d), CKR_OK);
	assert_has(d.desc, "修改用户 PIN：先验证当前的用户 PIN。");
	assert_has(d.desc, "剩余尝试次数：10 次（共 10 次）。");
}

static void locale_zh_follows_lc_all_then_lc_messages_then_lang(void **state)
{
	(void)state;
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("LANG");
	assert_false(ukey_pin_dialog_locale_zh());
	setenv("LANG", "zh_CN.UTF-8", 1);
	assert_true(ukey_pin_dialog_locale_zh());
	setenv("LC_MESSAGES", "en_US.UTF-8", 1);
	assert_false(ukey_pin_dialog_locale_zh());
	setenv("LC_ALL", "zh_TW.UTF-8", 1);
	assert_true(ukey_pin_dialog_locale_zh());
	setenv("LC_ALL", "", 1);
	assert_false(ukey_pin_dialog_locale_zh());
	setenv("LC_MESSAGES", "zh_CN.GB18030", 1);
	assert_true(ukey_pin_dialog_locale_zh());
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("LANG");
}

static void assuan_escaping_round_trips_percent_cr_lf(void **state)
{
	char out[64];
	char back[64];
	size_t len = 0;
	(void)state;
	assert_true(ukey_pinentry_escape("50% off\r\nnext", out, sizeof(out)));
	assert_string_equal(out, "50%25 off%0D%0Anext");
	assert_true(ukey_pinentry_unescape_append(out, back, sizeof(back), &len));
	assert_string_equal(back, "50% off\r\nnext");
	assert_int_equal(len, strlen("50% off\r\nnext"));
	assert_false(ukey_pinentry_escape("%%%%", out, 8));
	len = 0;
	assert_false(ukey_pinentry_unescape_append("ab%G1", back, sizeof(back), &len));
	len = 0;
	assert_false(ukey_pinentry_unescape_append("ab%4", back, sizeof(back), &len));
	len = 0;
	assert_false(ukey_pinentry_unescape_append("a%00b", back, sizeof(back), &len));
	len = 0;
	assert_false(ukey_pinentry_unescape_append("123456", back, 4, &len));
	assert_true(len < 4);
}

/* ---- configuration ---- */

static int load_conf(const char *text, struct ukey_conf *conf, char *captured, size_t caplen)
{
	char dir[] = "/tmp/ukey-test-pinentry.XXXXXX";
	char path[64], logpath[64], err[512];
	int rc = -1;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	snprintf(logpath, sizeof(logpath), "%s/stderr", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	/* Warnings go to stderr: catch them. */
	fflush(stderr);
	int saved = dup(2);
	FILE *cap = fopen(logpath, "w+");
	assert_non_null(cap);
	dup2(fileno(cap), 2);
	rc = ukey_config_load(path, conf, err, sizeof(err));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	size_t n = fread(captured, 1, caplen - 1, cap);
	captured[n] = '\0';
	fclose(cap);
	unlink(logpath);
	unlink(path);
	rmdir(dir);
	return rc;
}

#define BACKEND "[backend b]\ndriver = p11\nlibrary = /x.so\n"

static void conf_pin_prompt_pinentry_with_program_and_timeout(void **state)
{
	struct ukey_conf conf;
	char cap[1024];
	(void)state;
	assert_int_equal(load_conf("[module]\npin_prompt = pinentry\npinentry = /usr/bin/pinentry-gnome3\n"
				   "pinentry_timeout = 30\n" BACKEND,
				   &conf, cap, sizeof(cap)),
			 0);
	assert_int_equal(conf.prompt, UKEY_PIN_PROMPT_PINENTRY);
	assert_string_equal(conf.pinentry, "/usr/bin/pinentry-gnome3");
	assert_int_equal(conf.pinentry_timeout, 30);
	assert_string_equal(cap, "");
	ukey_config_free(&conf);
}

static void conf_default_is_no_prompt_and_120_seconds(void **state)
{
	struct ukey_conf conf;
	char cap[1024];
	(void)state;
	assert_int_equal(load_conf(BACKEND, &conf, cap, sizeof(cap)), 0);
	assert_int_equal(conf.prompt, UKEY_PIN_PROMPT_NONE);
	assert_null(conf.pinentry);
	assert_int_equal(conf.pinentry_timeout, 120);
	ukey_config_free(&conf);
	assert_int_equal(load_conf("[module]\npin_prompt = none\n" BACKEND, &conf, cap, sizeof(cap)), 0);
	assert_int_equal(conf.prompt, UKEY_PIN_PROMPT_NONE);
	assert_string_equal(cap, "");
	ukey_config_free(&conf);
}

static void conf_unknown_pin_prompt_or_bad_timeout_warns_and_falls_back(void **state)
{
	struct ukey_conf conf;
	char cap[1024];
	(void)state;
	assert_int_equal(load_conf("[module]\npin_prompt = gui\npinentry_timeout = -5\n" BACKEND, &conf, cap,
				   sizeof(cap)),
			 0);
	assert_int_equal(conf.prompt, UKEY_PIN_PROMPT_NONE);
	assert_int_equal(conf.pinentry_timeout, 120);
	assert_has(cap, "pin_prompt = 'gui' is not 'none' or 'pinentry'; using 'none'");
	assert_has(cap, "pinentry_timeout = '-5' is not 1..3600 seconds");
	ukey_config_free(&conf);
}

/* ---- the Assuan client against the test pinentry ---- */

struct client_fx {
	char dir[64];
	char pin_file[128];
	char log[128];
	struct ukey_pin_dialog dlg;
};

static int client_setup(void **state)
{
	struct client_fx *fx = calloc(1, sizeof(*fx));
	struct ukey_dev_info info = token(3, 10, 0);
	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ukey-test-pinentry.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->pin_file, sizeof(fx->pin_file), "%s/pin", fx->dir);
	snprintf(fx->log, sizeof(fx->log), "%s/log", fx->dir);
	setenv("UKEY_TEST_PINENTRY_PIN_FILE", fx->pin_file, 1);
	setenv("UKEY_TEST_PINENTRY_LOG", fx->log, 1);
	unsetenv("UKEY_TEST_PINENTRY_CANCEL");
	unsetenv("UKEY_TEST_PINENTRY_MODE");
	if (ukey_pin_dialog_build(&info, CKU_USER, false, &fx->dlg) != CKR_OK)
		return -1;
	*state = fx;
	return 0;
}

static int client_teardown(void **state)
{
	struct client_fx *fx = *state;
	unlink(fx->pin_file);
	unlink(fx->log);
	rmdir(fx->dir);
	free(fx);
	unsetenv("UKEY_TEST_PINENTRY_MODE");
	unsetenv("UKEY_TEST_PINENTRY_CANCEL");
	return 0;
}

static void put_pin(struct client_fx *fx, const char *pin)
{
	FILE *f = fopen(fx->pin_file, "w");
	assert_non_null(f);
	fputs(pin, f);
	fclose(f);
}

static CK_RV ask(struct client_fx *fx, const char *program, unsigned timeout, char *pin, size_t *len)
{
	CK_RV rv = ukey_pinentry_get_pin(program, timeout, &fx->dlg, pin, UKEY_PINENTRY_MAX_PIN + 1, len);
	/* Every child was reaped: none is left for us to wait for. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	return rv;
}

static char *read_all(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static void client_reads_the_pin_and_sends_escaped_description(void **state)
{
	struct client_fx *fx = *state;
	char pin[UKEY_PINENTRY_MAX_PIN + 1];
	size_t len = 99;
	put_pin(fx, "12%34 56");
	assert_int_equal(ask(fx, TEST_PINENTRY, 20, pin, &len), CKR_OK);
	assert_string_equal(pin, "12%34 56");
	assert_int_equal(len, 8);
	const char *log = read_all(fx->log);
	assert_has(log, "SETTITLE U-KEY PIN\n");
	assert_has(log, "SETDESC Please enter the user PIN of the U-KEY \"GDCA 100%25 key\".%0A"
			"Medium number: 4403000012345678%0ATries left: 3 of 10.");
	assert_has(log, "SETPROMPT PIN:\n");
	assert_has(log, "SETTIMEOUT 20\n");
	assert_has(log, "GETPIN\nBYE\n");
	assert_lacks(log, "12%34");
	/* No error line unless the dialog asks again. */
	assert_lacks(log, "SETERROR");
}

static void client_shows_the_reason_a_new_pin_is_asked_again(void **state)
{
	struct client_fx *fx = *state;
	char pin[UKEY_PINENTRY_MAX_PIN + 1];
	size_t len = 0;
	put_pin(fx, "123456");
	snprintf(fx->dlg.error, sizeof(fx->dlg.error), "The two new PINs differ; type the new PIN again.");
	assert_int_equal(ask(fx, TEST_PINENTRY, 20, pin, &len), CKR_OK);
	assert_has(read_all(fx->log), "SETERROR The two new PINs differ; type the new PIN again.\nGETPIN\n");
}

static void client_cancel_is_function_canceled_with_no_pin(void **state)
{
	struct client_fx *fx = *state;
	char pin[UKEY_PINENTRY_MAX_PIN + 1];
	size_t len = 99;
	put_pin(fx, "123456");
	setenv("UKEY_TEST_PINENTRY_CANCEL", "1", 1);
	assert_int_equal(ask(fx, TEST_PINENTRY, 20, pin, &len), CKR_FUNCTION_CANCELED);
	assert_int_equal(len, 0);
	assert_string_equal(pin, "");
}

static void client_refuses_broken_programs_cleanly(void **state)
{
	static const char *const modes[] = { "garbage", "badgreet", "die", "long" };
	struct client_fx *fx = *state;
	char pin[UKEY_PINENTRY_MAX_PIN + 1];
	size_t len = 99;
	put_pin(fx, "123456");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		setenv("UKEY_TEST_PINENTRY_MODE", modes[i], 1);
		CK_RV rv = ask(fx, TEST_PINENTRY, 20, pin, &len);
		if (rv != CKR_FUNCTION_FAILED)
			fail_msg("mode %s: rv 0x%lx, want CKR_FUNCTION_FAILED", modes[i], (unsigned long)rv);
		assert_int_equal(len, 0);
	}
}

static void client_gives_up_on_a_hanging_program_at_the_timeout(void **state)
{
	struct client_fx *fx = *state;
	char pin[UKEY_PINENTRY_MAX_PIN + 1];
	size_t len = 99;
	setenv("UKEY_TEST_PINENTRY_MODE", "hang", 1);
	assert_int_equal(ask(fx, TEST_PINENTRY, 1, pin, &len), CKR_FUNCTION_CANCELED);
	assert_int_equal(len, 0);
}

static void client_missing_program_is_function_failed(void **state)
{
	struct client_fx *fx = *state;
	char pin[UKEY_PINENTRY_MAX_PIN + 1];
	size_t len = 99;
	assert_int_equal(ask(fx, "/nonexistent/pinentry", 5, pin, &len), CKR_FUNCTION_FAILED);
	assert_int_equal(ask(fx, "ukey-no-such-pinentry-program", 5, pin, &len), CKR_FUNCTION_FAILED);
}

#define CLIENT(f) cmocka_unit_test_setup_teardown(f, client_setup, client_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_counts_show_tries_left_of_max_label_and_serial),
		cmocka_unit_test(full_counts_do_not_mention_a_wrong_pin),
		cmocka_unit_test(one_try_left_warns_that_a_wrong_pin_locks_the_key),
		cmocka_unit_test(flags_only_count_low_says_a_wrong_pin_was_entered_before),
		cmocka_unit_test(flags_only_final_try_gives_the_last_try_warning),
		cmocka_unit_test(flags_only_fresh_token_says_nothing_about_tries),
		cmocka_unit_test(locked_user_pin_is_pin_locked_and_builds_no_dialog),
		cmocka_unit_test(so_login_uses_the_so_counters_and_names_the_so_pin),
		cmocka_unit_test(chinese_dialog_has_counts_serial_and_last_try_warning),
		cmocka_unit_test(change_dialogs_ask_current_pin_with_tries_then_new_pin_with_length_rule),
		cmocka_unit_test(change_dialog_of_a_locked_pin_is_refused_but_a_new_pin_is_still_asked),
		cmocka_unit_test(change_dialog_says_why_the_new_pin_is_asked_again_in_both_languages),
		cmocka_unit_test(locale_zh_follows_lc_all_then_lc_messages_then_lang),
		cmocka_unit_test(assuan_escaping_round_trips_percent_cr_lf),
		cmocka_unit_test(conf_pin_prompt_pinentry_with_program_and_timeout),
		cmocka_unit_test(conf_default_is_no_prompt_and_120_seconds),
		cmocka_unit_test(conf_unknown_pin_prompt_or_bad_timeout_warns_and_falls_back),
		CLIENT(client_reads_the_pin_and_sends_escaped_description),
		CLIENT(client_shows_the_reason_a_new_pin_is_asked_again),
		CLIENT(client_cancel_is_function_canceled_with_no_pin),
		CLIENT(client_refuses_broken_programs_cleanly),
		CLIENT(client_gives_up_on_a_hanging_program_at_the_timeout),
		CLIENT(client_missing_program_is_function_failed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
