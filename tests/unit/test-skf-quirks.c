/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the SKF driver's vendor quirks (module/drivers/skf/quirks.c):
 * the `quirks =` syntax (good lists, unknown words, words listed twice or
 * contradicting each other, each refused with one line naming the word),
 * how a configured value meets what the library showed at load, and the
 * two quirks that change a value rather than a function: the SM2 ids key
 * generation asks with, and where DEVINFO's AlgAsymCap is read. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "drivers/skf/quirks.h"

#define B(k) UKEY_SKF_Q(UKEY_SKF_Q_##k)

static struct ukey_skf_quirks q;
static char err[512];

static int parse(const char *text)
{
	memset(&q, 0, sizeof(q));
	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	return ukey_skf_quirks_parse(text, &q, err, sizeof(err));
}

static void assert_err_has(const char *needle)
{
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void every_flag_has_a_distinct_name_that_parses(void **state)
{
	(void)state;
	for (int k = 0; k < UKEY_SKF_NQUIRKS; k++) {
		const char *name = ukey_skf_quirk_name((enum ukey_skf_quirk)k);
		assert_non_null(name);
		for (int j = 0; j < k; j++)
			assert_string_not_equal(name, ukey_skf_quirk_name((enum ukey_skf_quirk)j));
		assert_int_equal(parse(name), 0);
		assert_int_equal(q.forced_on, UKEY_SKF_Q(k));
		assert_int_equal(q.forced_off, 0);
	}
	assert_null(ukey_skf_quirk_name(UKEY_SKF_NQUIRKS));
}

static void a_list_sets_each_word_on_or_off(void **state)
{
	(void)state;
	assert_int_equal(parse("ulong32, sm2-id-0x20100, no-ecc-decrypt"), 0);
	assert_string_equal(err, "");
	assert_int_equal(q.forced_on, B(ULONG32) | B(SM2_ID_0X20100) | B(NO_ECC_DECRYPT));
	assert_int_equal(q.forced_off, 0);
	/* Blanks or commas, any number, any case; '!' forces off. */
	assert_int_equal(parse("  No-Gen-Random\t!no-container-type,,, DEVINFO-ALIGNED ,"), 0);
	assert_int_equal(q.forced_on, B(NO_GEN_RANDOM) | B(DEVINFO_ALIGNED));
	assert_int_equal(q.forced_off, B(NO_CONTAINER_TYPE));
	assert_int_equal(parse(""), 0);
	assert_int_equal(q.forced_on | q.forced_off, 0);
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(q.forced_on | q.forced_off, 0);
}

static void an_unknown_word_is_refused_by_name(void **state)
{
	(void)state;
	assert_int_equal(parse("ulong32, ulong64"), -1);
	assert_err_has("unknown quirk 'ulong64'");
	/* ... and the message lists what is known. */
	assert_err_has("no-clear-secure-state");
	assert_int_equal(parse("!no-such-thing"), -1);
	assert_err_has("'!no-such-thing'");
	/* A negation of a negation is no name either. */
	assert_int_equal(parse("no-no-ecc-decrypt"), -1);
	assert_err_has("'no-no-ecc-decrypt'");
	assert_int_equal(parse("ulong32 ! no-gen-random"), -1);
	assert_err_has("'!' names no quirk");
	assert_int_equal(parse("sm2-id-0x20100-and-then-a-very-long-tail-that-no-quirk-has"), -1);
	assert_err_has("unknown quirk 'sm2-id-0x20100-and-then");
}

static void a_word_listed_twice_or_contradicted_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("no-ecc-decrypt, ulong32, no-ecc-decrypt"), -1);
	assert_err_has("'no-ecc-decrypt' is listed twice");
	assert_int_equal(parse("!no-gen-random !NO-GEN-RANDOM"), -1);
	assert_err_has("listed twice");
	assert_int_equal(parse("no-enum-files, !no-enum-files"), -1);
	assert_err_has("'no-enum-files' and '!no-enum-files' contradict each other");
	assert_int_equal(parse("!no-enum-files, no-enum-files"), -1);
	assert_err_has("'no-enum-files' and '!no-enum-files' contradict each other");
	/* Two names of one fact, told two ways. */
	assert_int_equal(parse("sm2-id-0x20100, sm2-id-0x20200"), -1);
	assert_err_has("'sm2-id-0x20100' and 'sm2-id-0x20200' contradict each other");
	assert_int_equal(parse("no-ecc-decrypt ecc-prvkey-decrypt"), -1);
	assert_err_has("'no-ecc-decrypt' and 'ecc-prvkey-decrypt' contradict each other");
}

/* The library as load finds it: what it lacks is probed on. */
static int resolve(const char *text, uint32_t probed, uint32_t cannot_on)
{
	if (parse(text) != 0)
		fail_msg("parse \"%s\": %s", text, err);
	q.probed = probed;
	q.cannot_on = cannot_on;
	return ukey_skf_quirks_resolve(&q, err, sizeof(err));
}

static void defaults_are_what_the_library_showed(void **state)
{
	(void)state;
	assert_int_equal(resolve("", B(ULONG32) | B(NO_CLEAR_SECURE_STATE), 0), 0);
	assert_int_equal(q.on, B(ULONG32) | B(NO_CLEAR_SECURE_STATE));
	/* Forcing on what the library has: the driver leaves it alone. */
	assert_int_equal(resolve("no-ecc-decrypt, no-container-type", B(ULONG32), 0), 0);
	assert_int_equal(q.on, B(ULONG32) | B(NO_ECC_DECRYPT) | B(NO_CONTAINER_TYPE));
	/* Forcing off what was not on changes nothing. */
	assert_int_equal(resolve("!devinfo-aligned", B(ULONG32), 0), 0);
	assert_int_equal(q.on, B(ULONG32));
}

static void what_the_library_lacks_cannot_be_forced_off(void **state)
{
	(void)state;
	assert_int_equal(resolve("!no-gen-random", B(ULONG32) | B(NO_GEN_RANDOM), 0), -1);
	assert_err_has("'!no-gen-random' cannot hold: the library lacks SKF_GenRandom");
	assert_int_equal(resolve("!ulong32", B(ULONG32), 0), -1);
	assert_err_has("'!ulong32' cannot hold");
	assert_err_has("64-bit ULONG");
	assert_int_equal(resolve("ecc-prvkey-decrypt", B(ULONG32), B(ECC_PRVKEY_DECRYPT)), -1);
	assert_err_has("'ecc-prvkey-decrypt' cannot hold");
	assert_err_has("SKF_ECCPrvKeyDecrypt");
	/* A wait C_Finalize could not cancel: the library is polled. */
	assert_int_equal(resolve("!no-wait-for-dev-event", B(ULONG32) | B(NO_WAIT_FOR_DEV_EVENT), 0), -1);
	assert_err_has("'!no-wait-for-dev-event' cannot hold: the library lacks SKF_WaitForDevEvent or "
		       "SKF_CancelWaitForDevEvent");
	/* Forced on for a library whose wait misbehaves. */
	assert_int_equal(resolve("no-wait-for-dev-event", B(ULONG32), 0), 0);
	assert_int_equal(q.on, B(ULONG32) | B(NO_WAIT_FOR_DEV_EVENT));
}

static void the_decrypt_alias_is_found_used_or_refused(void **state)
{
	(void)state;
	/* Only the alias: used. */
	assert_int_equal(resolve("", B(ULONG32) | B(ECC_PRVKEY_DECRYPT), 0), 0);
	assert_int_equal(q.on, B(ULONG32) | B(ECC_PRVKEY_DECRYPT));
	/* Refused: then there is no decryption at all ... */
	assert_int_equal(resolve("!ecc-prvkey-decrypt", B(ULONG32) | B(ECC_PRVKEY_DECRYPT), 0), 0);
	assert_int_equal(q.on, B(ULONG32) | B(NO_ECC_DECRYPT));
	/* ... which cannot be wished back. */
	assert_int_equal(resolve("!ecc-prvkey-decrypt !no-ecc-decrypt", B(ULONG32) | B(ECC_PRVKEY_DECRYPT), 0), -1);
	assert_err_has("'!no-ecc-decrypt' cannot hold");
	/* Decryption turned off outright wins over a found alias. */
	assert_int_equal(resolve("no-ecc-decrypt", B(ULONG32) | B(ECC_PRVKEY_DECRYPT), 0), 0);
	assert_int_equal(q.on, B(ULONG32) | B(NO_ECC_DECRYPT));
}

static void sm2_ids_follow_the_sm2_quirks(void **state)
{
	SKF_ULONG ids[2] = { 0, 0 };
	(void)state;
	/* Not known: the vendor value, then the GM/T 0006 table's. */
	assert_int_equal(resolve("", B(ULONG32), 0), 0);
	assert_int_equal(ukey_skf_quirks_sm2_ids(&q, ids), 2);
	assert_int_equal(ids[0], 0x00020100);
	assert_int_equal(ids[1], 0x00020200);
	assert_int_equal(resolve("sm2-id-0x20200", B(ULONG32), 0), 0);
	assert_int_equal(ukey_skf_quirks_sm2_ids(&q, ids), 1);
	assert_int_equal(ids[0], 0x00020200);
	assert_int_equal(resolve("sm2-id-0x20100", B(ULONG32), 0), 0);
	assert_int_equal(ukey_skf_quirks_sm2_ids(&q, ids), 1);
	assert_int_equal(ids[0], 0x00020100);
	/* Ruling one out names the other. */
	assert_int_equal(resolve("!sm2-id-0x20100", B(ULONG32), 0), 0);
	assert_true(ukey_skf_quirk(&q, UKEY_SKF_Q_SM2_ID_0X20200));
	assert_int_equal(ukey_skf_quirks_sm2_ids(&q, ids), 1);
	assert_int_equal(ids[0], 0x00020200);
	assert_int_equal(resolve("!sm2-id-0x20100, !sm2-id-0x20200", B(ULONG32), 0), -1);
	assert_err_has("leave no SM2 algorithm id");
}

static void devinfo_aligned_reads_asym_cap_past_the_padding(void **state)
{
	SKF_DEVINFO info;
	uint8_t *raw = (uint8_t *)&info;
	SKF_ULONG sym = 0x00000401, asym = 0x00030500;
	(void)state;
	/* A naturally aligned DEVINFO: 2 bytes of padding after the
	 * versions (offset 198), AlgSymCap at 200, AlgAsymCap at 204. */
	memset(&info, 0, sizeof(info));
	memcpy(raw + 200, &sym, 4);
	memcpy(raw + 204, &asym, 4);
	assert_int_equal(resolve("", B(ULONG32), 0), 0);
	/* Read packed, as by default, it shows neither capability bit ... */
	assert_int_equal(ukey_skf_quirks_asym_cap(&q, &info) & 0x00030000, 0);
	/* ... and right with the quirk. */
	assert_int_equal(resolve("devinfo-aligned", B(ULONG32), 0), 0);
	assert_int_equal(ukey_skf_quirks_asym_cap(&q, &info), asym);
	/* The packed layout is read at 202 without it. */
	memset(&info, 0, sizeof(info));
	info.AlgAsymCap = asym;
	assert_int_equal(resolve("", B(ULONG32), 0), 0);
	assert_int_equal(ukey_skf_quirks_asym_cap(&q, &info), asym);
}

static void the_log_line_says_where_each_flag_comes_from(void **state)
{
	char line[400];
	(void)state;
	assert_int_equal(resolve("no-ecc-decrypt, sm2-id-0x20200", B(ULONG32) | B(NO_ENUM_FILES), 0), 0);
	ukey_skf_quirks_describe(&q, line, sizeof(line));
	assert_non_null(strstr(line, "ulong32 (build)"));
	assert_non_null(strstr(line, "no-ecc-decrypt (configured)"));
	assert_non_null(strstr(line, "no-enum-files (found at load)"));
	assert_non_null(strstr(line, "SM2 key generation asks 0x00020200"));
	assert_null(strstr(line, "then"));
	/* A short buffer is cut, never overrun. */
	memset(line, 'x', sizeof(line));
	ukey_skf_quirks_describe(&q, line, 12);
	assert_int_equal(strlen(line), 11);
	assert_int_equal(line[12], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_flag_has_a_distinct_name_that_parses),
		cmocka_unit_test(a_list_sets_each_word_on_or_off),
		cmocka_unit_test(an_unknown_word_is_refused_by_name),
		cmocka_unit_test(a_word_listed_twice_or_contradicted_is_refused),
		cmocka_unit_test(defaults_are_what_the_library_showed),
		cmocka_unit_test(what_the_library_lacks_cannot_be_forced_off),
		cmocka_unit_test(the_decrypt_alias_is_found_used_or_refused),
		cmocka_unit_test(sm2_ids_follow_the_sm2_quirks),
		cmocka_unit_test(devinfo_aligned_reads_asym_cap_past_the_padding),
		cmocka_unit_test(the_log_line_says_where_each_flag_comes_from),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
