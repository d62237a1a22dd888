/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The renewal journal (renew-plugin/renew/journal.c): atomic saves (no temp
 * file left, a stale temp file from a crash is harmless, a save that cannot
 * be written fails naming the path), the str/int round trip, refusal of a
 * damaged journal, one of another medium, one missing a member or with
 * old_seals not a list of strings (each message names the problem),
 * ukey_journal_other (unfinished journals of
 * other media only), and the strict ukey_unhex. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "renew/renew.h"

struct fx {
	char root[64];   /* XDG_STATE_HOME */
	char dir[128];   /* root/ukey */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/ukey-journal.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(f->root) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/ukey", f->root);
	setenv("XDG_STATE_HOME", f->root, 1);
	unsetenv("UKEY_FAILPOINT");
	*state = f;
	return 0;
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[512];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		rm_tree(p);
	}
	closedir(d);
	rmdir(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rm_tree(f->root);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static int count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".tmp") != NULL;
	closedir(d);
	return n;
}

/* A journal as steps.c's begin() writes it. */
static void fill(struct ukey_journal *jn, const char *medium)
{
	jn->j = json_object_new_object();
	ukey_journal_set_int(jn, "version", 1);
	ukey_journal_set_str(jn, "medium", medium);
	ukey_journal_set_str(jn, "state", "in_progress");
	ukey_journal_set_int(jn, "step", 3);
	ukey_journal_set_str(jn, "request_id", "0b3c2d1e-0000-4000-8000-000000000001");
	ukey_journal_set_str(jn, "old_certificate", "MIIB");
}

static void a_save_replaces_the_file_whole_and_leaves_no_temp_file(void **state)
{
	struct fx *f = *state;
	struct ukey_journal jn, back;
	struct ukey_err e;
	char tmp[PATH_MAX + 8];

	assert_int_equal(ukey_journal_open(&jn, "0071120230420100", &e), UKEY_E_OK);
	assert_null(jn.j); /* none yet */
	fill(&jn, "0071120230420100");
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
	assert_int_equal(count_tmp(f->dir), 0);
	/* A temp file left by a process killed mid-save: the journal still
	 * reads as the last completed save, and the next save replaces it. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", jn.path);
	write_file(tmp, "{\"medium\": \"0071120230420100\", \"st");
	assert_int_equal(ukey_journal_open(&back, "0071120230420100", &e), UKEY_E_OK);
	assert_int_equal(ukey_journal_int(&back, "step"), 3);
	ukey_journal_close(&back);
	ukey_journal_set_int(&jn, "step", 4);
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
	assert_int_equal(count_tmp(f->dir), 0);
	assert_int_equal(ukey_journal_open(&back, "0071120230420100", &e), UKEY_E_OK);
	assert_int_equal(ukey_journal_int(&back, "step"), 4);
	ukey_journal_close(&back);
	ukey_journal_close(&jn);
}

static void a_save_that_cannot_be_written_fails_naming_the_path(void **state)
{
	struct fx *f = *state;
	struct ukey_journal jn;
	struct ukey_err e;

	assert_int_equal(ukey_journal_open(&jn, "0071120230420100", &e), UKEY_E_OK);
	fill(&jn, "0071120230420100");
	/* The directory gone under us. */
	assert_int_equal(rmdir(f->dir), 0);
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_ERROR);
	assert_non_null(strstr(e.msg, jn.path));
	/* A directory nobody may create files in, root included. */
	snprintf(jn.path, sizeof(jn.path), "/proc/renew-0071120230420100.json");
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_ERROR);
	assert_non_null(strstr(e.msg, "/proc/renew-0071120230420100.json"));
	assert_int_equal(access("/proc/renew-0071120230420100.json.tmp", F_OK), -1);
	ukey_journal_close(&jn);
}

static void strings_and_integers_round_trip(void **state)
{
	struct ukey_journal jn, back;
	struct ukey_err e;

	(void)state;
	assert_int_equal(ukey_journal_open(&jn, "A1", &e), UKEY_E_OK);
	fill(&jn, "A1");
	ukey_journal_set_str(&jn, "key_id", "a8878e46e8373778");
	ukey_journal_set_str(&jn, "csr", "-----BEGIN CERTIFICATE REQUEST-----\n/+=\n");
	ukey_journal_set_str(&jn, "subject", "CN=测试用户");
	ukey_journal_set_int(&jn, "started", INT64_C(1795611082));
	ukey_journal_set_int(&jn, "big", INT64_MAX);
	ukey_journal_set_int(&jn, "neg", -5);
	ukey_journal_note(&jn, "first note");
	ukey_journal_note(&jn, "second note");
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
	assert_int_equal(ukey_journal_open(&back, "A1", &e), UKEY_E_OK);
	assert_string_equal(ukey_journal_str(&back, "key_id"), "a8878e46e8373778");
	assert_string_equal(ukey_journal_str(&back, "csr"), "-----BEGIN CERTIFICATE REQUEST-----\n/+=\n");
	assert_string_equal(ukey_journal_str(&back, "subject"), "CN=测试用户");
	assert_true(ukey_journal_int(&back, "started") == INT64_C(1795611082));
	assert_true(ukey_journal_int(&back, "big") == INT64_MAX);
	assert_true(ukey_journal_int(&back, "neg") == -5);
	/* Absent or of the other type: "" and 0. */
	assert_string_equal(ukey_journal_str(&back, "absent"), "");
	assert_true(ukey_journal_int(&back, "absent") == 0);
	assert_string_equal(ukey_journal_str(&back, "started"), "");
	assert_true(ukey_journal_int(&back, "key_id") == 0);
	assert_int_equal(json_object_array_length(json_object_object_get(back.j, "notes")), 2);
	ukey_journal_close(&back);
	ukey_journal_close(&jn);
}

static void expect_refused(const char *medium, int code, const char *needle)
{
	struct ukey_journal jn;
	struct ukey_err e;

	ukey_err_clear(&e);
	assert_int_equal(ukey_journal_open(&jn, medium, &e), code);
	if (strstr(e.msg, needle) == NULL)
		fail_msg("message \"%s\" does not name \"%s\"", e.msg, needle);
	ukey_journal_close(&jn);
}

static void a_damaged_journal_is_refused_naming_the_file(void **state)
{
	struct fx *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/renew-B2.json", f->dir);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	write_file(path, "{\"medium\": \"B2\", \"step\": ");
	expect_refused("B2", UKEY_E_ERROR, path);
	expect_refused("B2", UKEY_E_ERROR, "unreadable");
	write_file(path, "[\"B2\"]");
	expect_refused("B2", UKEY_E_ERROR, "unreadable");
	write_file(path, "");
	expect_refused("B2", UKEY_E_ERROR, "unreadable");
}

static void a_journal_of_another_medium_is_refused_naming_it(void **state)
{
	struct fx *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/renew-C3.json", f->dir);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	write_file(path, "{\"version\": 1, \"medium\": \"D4\", \"state\": \"in_progress\", \"step\": 2, "
			 "\"request_id\": \"r\", \"old_certificate\": \"MIIB\"}");
	expect_refused("C3", UKEY_E_TOKEN, "re-insert the key with medium number D4");
	/* A medium number that would name another file. */
	expect_refused("../C3", UKEY_E_TOKEN, "../C3");
	expect_refused("C.3", UKEY_E_TOKEN, "C.3");
}

static void a_journal_missing_a_member_is_refused_naming_it(void **state)
{
	static const char *const members[] = { "medium", "state", "request_id", "old_certificate", "step" };
	struct fx *f = *state;
	struct ukey_journal jn;
	struct ukey_err e;

	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		assert_int_equal(ukey_journal_open(&jn, "E5", &e), UKEY_E_OK);
		fill(&jn, "E5");
		json_object_object_del(jn.j, members[i]);
		assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
		ukey_journal_close(&jn);
		expect_refused("E5", UKEY_E_ERROR, members[i]);
		assert_int_equal(unlink(jn.path), 0);
	}
	/* Present but not what a journal holds. */
	assert_int_equal(ukey_journal_open(&jn, "E5", &e), UKEY_E_OK);
	fill(&jn, "E5");
	ukey_journal_set_int(&jn, "step", UKEY_RENEW_STEPS + 1);
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
	expect_refused("E5", UKEY_E_ERROR, "\"step\"");
	ukey_journal_set_int(&jn, "step", 2);
	ukey_journal_set_str(&jn, "state", "paused");
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
	expect_refused("E5", UKEY_E_ERROR, "paused");
	ukey_journal_set_str(&jn, "state", "done");
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
	ukey_journal_close(&jn);
	assert_int_equal(ukey_journal_open(&jn, "E5", &e), UKEY_E_OK);
	ukey_journal_close(&jn);
	(void)f;
}

/* Step 7 reads old_seals as a list of strings (json-c asserts on another
 * type): a journal whose old_seals is anything else is refused at open. */
static void a_journal_whose_old_seals_are_not_strings_is_refused(void **state)
{
	static const char *const bad[] = { "{\"a\":1}", "\"x\"", "[1]", "[\"ab\",null]", "[[]]" };
	struct ukey_journal jn;
	struct ukey_err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ukey_journal_open(&jn, "E6", &e), UKEY_E_OK);
		fill(&jn, "E6");
		json_object_object_add(jn.j, "old_seals", json_tokener_parse(bad[i]));
		assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
		ukey_journal_close(&jn);
		expect_refused("E6", UKEY_E_ERROR, "\"old_seals\"");
		assert_int_equal(unlink(jn.path), 0);
	}
	assert_int_equal(ukey_journal_open(&jn, "E6", &e), UKEY_E_OK);
	fill(&jn, "E6");
	json_object_object_add(jn.j, "old_seals", json_tokener_parse("[\"ab\", \"cd\"]"));
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
	ukey_journal_close(&jn);
	assert_int_equal(ukey_journal_open(&jn, "E6", &e), UKEY_E_OK);
	ukey_journal_close(&jn);
}

static void journal_other_finds_only_unfinished_journals_of_other_media(void **state)
{
	struct fx *f = *state;
	char other[64], path[256];
	struct ukey_journal jn;
	struct ukey_err e;

	/* No directory at all: nothing, no error. */
	assert_int_equal(ukey_journal_other("F6", other, sizeof(other), &e), UKEY_E_OK);
	assert_string_equal(other, "");
	assert_int_equal(ukey_journal_open(&jn, "F6", &e), UKEY_E_OK);
	fill(&jn, "F6");
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
	ukey_journal_close(&jn);
	assert_int_equal(ukey_journal_open(&jn, "G7", &e), UKEY_E_OK);
	fill(&jn, "G7");
	ukey_journal_set_str(&jn, "state", "done");
	assert_int_equal(ukey_journal_save(&jn, &e), UKEY_E_OK);
	ukey_journal_close(&jn);
	/* Not journals: a damaged one, a temp file, another name. */
	snprintf(path, sizeof(path), "%s/renew-H8.json", f->dir);
	write_file(path, "{ damaged");
	snprintf(path, sizeof(path), "%s/renew-I9.json.tmp", f->dir);
	write_file(path, "{\"medium\": \"I9\", \"state\": \"in_progress\"}");
	snprintf(path, sizeof(path), "%s/notes.json", f->dir);
	write_file(path, "{\"medium\": \"J0\", \"state\": \"in_progress\"}");

	assert_int_equal(ukey_journal_other("G7", other, sizeof(other), &e), UKEY_E_OK);
	assert_string_equal(other, "F6");
	assert_int_equal(ukey_journal_other("F6", other, sizeof(other), &e), UKEY_E_OK);
	assert_string_equal(other, ""); /* its own, and G7 is done */
	assert_int_equal(ukey_journal_other("K1", other, sizeof(other), &e), UKEY_E_OK);
	assert_string_equal(other, "F6");
}

static void unhex_is_strict(void **state)
{
	static const unsigned char bytes[] = { 0x00, 0x7f, 0x80, 0xff, 0xa5 };
	unsigned char out[8];
	size_t len = 99;
	char *hex = ukey_hex(bytes, sizeof(bytes));

	(void)state;
	assert_non_null(hex);
	assert_string_equal(hex, "007f80ffa5");
	assert_int_equal(ukey_unhex(hex, out, sizeof(out), &len), 0);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(out, bytes, sizeof(bytes));
	free(hex);
	assert_int_equal(ukey_unhex("A5fF", out, sizeof(out), &len), 0);
	assert_int_equal(len, 2);
	assert_int_equal(out[0], 0xa5);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(ukey_unhex("", out, sizeof(out), &len), 0);
	assert_int_equal(len, 0);
	/* Odd length, non-hex (also what sscanf's %x would accept), overflow. */
	assert_int_equal(ukey_unhex("abc", out, sizeof(out), &len), -1);
	assert_int_equal(ukey_unhex("zz", out, sizeof(out), &len), -1);
	assert_int_equal(ukey_unhex("0g", out, sizeof(out), &len), -1);
	assert_int_equal(ukey_unhex(" 1", out, sizeof(out), &len), -1);
	assert_int_equal(ukey_unhex("+1", out, sizeof(out), &len), -1);
	assert_int_equal(ukey_unhex("-1", out, sizeof(out), &len), -1);
	assert_int_equal(ukey_unhex("0x", out, sizeof(out), &len), -1);
	assert_int_equal(ukey_unhex("0102030405060708", out, 8, &len), 0);
	assert_int_equal(ukey_unhex("010203040506070809", out, 8, &len), -1);
}

static void uuids_are_version_4(void **state)
{
	char a[37], b[37];

	(void)state;
	assert_int_equal(ukey_journal_uuid(a), 0);
	assert_int_equal(ukey_journal_uuid(b), 0);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_save_replaces_the_file_whole_and_leaves_no_temp_file, setup, teardown),
		cmocka_unit_test_setup_teardown(a_save_that_cannot_be_written_fails_naming_the_path, setup, teardown),
		cmocka_unit_test_setup_teardown(strings_and_integers_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(a_damaged_journal_is_refused_naming_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(a_journal_of_another_medium_is_refused_naming_it, setup, teardown),
		cmocka_unit_test_setup_teardown(a_journal_missing_a_member_is_refused_naming_it, setup, teardown),
		cmocka_unit_test_setup_teardown(a_journal_whose_old_seals_are_not_strings_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(journal_other_finds_only_unfinished_journals_of_other_media, setup,
						teardown),
		cmocka_unit_test(unhex_is_strict),
		cmocka_unit_test(uuids_are_version_4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
