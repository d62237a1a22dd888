/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One log-level enum for the module and libukey-renew (common/log-level.h):
 * its order (a threshold lets through its own level and the ones above),
 * the words UKEY_LOG and the module's `log` key accept, and the plugin's
 * logger at UKEY_LOG=warn: warnings and errors written, info not (the
 * plugin once read "warn" as "error"). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

static void the_order_runs_from_debug_to_off(void **state)
{
	(void)state;
	assert_true(UKEY_LOG_DEBUG < UKEY_LOG_INFO);
	assert_true(UKEY_LOG_INFO < UKEY_LOG_WARN);
	assert_true(UKEY_LOG_WARN < UKEY_LOG_ERROR);
	assert_true(UKEY_LOG_ERROR < UKEY_LOG_OFF);
}

static void every_word_parses_and_others_do_not(void **state)
{
	(void)state;
	assert_int_equal(ukey_log_level_parse("debug"), UKEY_LOG_DEBUG);
	assert_int_equal(ukey_log_level_parse("info"), UKEY_LOG_INFO);
	assert_int_equal(ukey_log_level_parse("warn"), UKEY_LOG_WARN);
	assert_int_equal(ukey_log_level_parse("warning"), UKEY_LOG_WARN);
	assert_int_equal(ukey_log_level_parse("WARN"), UKEY_LOG_WARN);
	assert_int_equal(ukey_log_level_parse("error"), UKEY_LOG_ERROR);
	assert_int_equal(ukey_log_level_parse("off"), UKEY_LOG_OFF);
	assert_int_equal(ukey_log_level_parse("verbose"), -1);
	assert_int_equal(ukey_log_level_parse(""), -1);
	assert_int_equal(ukey_log_level_parse(NULL), -1);
	for (int l = UKEY_LOG_DEBUG; l < UKEY_LOG_OFF; l++)
		assert_int_equal(ukey_log_level_parse(ukey_log_level_word(l)), l);
	assert_string_equal(ukey_log_level_word(UKEY_LOG_OFF), "");
}

/* What ukey_log writes at each level, stderr caught in a file. */
static void the_plugin_at_warn_writes_warnings_and_errors_only(void **state)
{
	char path[] = "/tmp/ukey-log-level.XXXXXX", buf[512] = "";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE *f;
	size_t n;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	setenv("UKEY_LOG", "warn", 1);
	fflush(stderr);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	ukey_log(UKEY_LOG_DEBUG, "a debug line");
	ukey_log(UKEY_LOG_INFO, "an info line");
	ukey_log(UKEY_LOG_WARN, "a warning");
	ukey_log(UKEY_LOG_ERROR, "an error");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	assert_string_equal(buf, "ukey[warn]: a warning\nukey[error]: an error\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_order_runs_from_debug_to_off),
		cmocka_unit_test(every_word_parses_and_others_do_not),
		cmocka_unit_test(the_plugin_at_warn_writes_warnings_and_errors_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
