/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The codec library's text forms (common/hex.c, common/b64.c): hex both
 * ways with the offset of a bad character, the SHA-256 fingerprint, and
 * base64 as RFC 4648 writes it, refusing what EVP_DecodeBlock alone would
 * let through (white space, '=' inside, a missing '=', the padding counted
 * as data). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "hex.h"

static void hex_encodes_in_either_case(void **state)
{
	static const unsigned char b[] = { 0x00, 0x1f, 0xa5, 0xff };
	char out[9], *dup;

	(void)state;
	assert_string_equal(ukc_hex_encode(b, sizeof(b), out, false), "001fa5ff");
	assert_string_equal(ukc_hex_encode(b, sizeof(b), out, true), "001FA5FF");
	assert_string_equal(ukc_hex_encode(b, 0, out, false), "");
	dup = ukc_hex_dup(b, sizeof(b));
	assert_non_null(dup);
	assert_string_equal(dup, "001fa5ff");
	free(dup);
}

static void hex_decodes_strictly_and_names_the_bad_offset(void **state)
{
	unsigned char out[4];
	size_t bad = 99;

	(void)state;
	assert_int_equal(ukc_hex_decode("A5fF", 4, out, sizeof(out), &bad), 2);
	assert_int_equal(out[0], 0xa5);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(ukc_hex_decode("", 0, out, sizeof(out), &bad), 0);
	assert_int_equal(ukc_hex_decode("abc", 3, out, sizeof(out), &bad), -1);
	assert_int_equal(bad, 3);
	assert_int_equal(ukc_hex_decode("0g", 2, out, sizeof(out), &bad), -1);
	assert_int_equal(bad, 1);
	assert_int_equal(ukc_hex_decode(" 1", 2, out, sizeof(out), &bad), -1);
	assert_int_equal(bad, 0);
	assert_int_equal(ukc_hex_decode("0x", 2, out, sizeof(out), &bad), -1);
	assert_int_equal(bad, 1);
	assert_int_equal(ukc_hex_decode("0102030405", 10, out, sizeof(out), &bad), -1);
	assert_int_equal(bad, 10);
	assert_true(ukc_hex_is_lower("0123456789abcdef", 16));
	assert_false(ukc_hex_is_lower("0123456789abcdeF", 16));
	assert_false(ukc_hex_is_lower("g", 1));
}

static void sha256_hex_is_the_known_digest(void **state)
{
	char out[65];

	(void)state;
	assert_non_null(ukc_sha256_hex("abc", 3, out));
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_non_null(ukc_sha256_hex(NULL, 0, out));
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* RFC 4648 section 10. */
static const struct {
	const char *raw, *b64;
} vectors[] = {
	{ "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

static void b64_matches_the_rfc_vectors_both_ways(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		char *enc = ukc_b64_encode((const unsigned char *)vectors[i].raw, strlen(vectors[i].raw));
		unsigned char *dec = ukc_b64_decode(vectors[i].b64, strlen(vectors[i].b64), &len, NULL);
		assert_non_null(enc);
		assert_string_equal(enc, vectors[i].b64);
		assert_non_null(dec);
		assert_int_equal(len, strlen(vectors[i].raw)); /* the padding is not data */
		assert_memory_equal(dec, vectors[i].raw, len);
		free(enc);
		free(dec);
	}
}

static void b64_round_trips_every_byte(void **state)
{
	unsigned char raw[256], *dec;
	size_t n, len;

	(void)state;
	for (n = 0; n < sizeof(raw); n++)
		raw[n] = (unsigned char)(255 - n);
	for (n = 1; n <= sizeof(raw); n += 37) {
		char *enc = ukc_b64_encode(raw, n);
		assert_non_null(enc);
		dec = ukc_b64_decode(enc, strlen(enc), &len, NULL);
		assert_non_null(dec);
		assert_int_equal(len, n);
		assert_memory_equal(dec, raw, n);
		free(dec);
		free(enc);
	}
}

static void b64_refuses_what_evp_alone_would_take(void **state)
{
	static const struct {
		const char *text;
		size_t bad;
	} c[] = {
		{ "", 0 },           /* no data */
		{ "Zg=", 3 },        /* not a multiple of four */
		{ "Zg", 2 },         /* padding missing */
		{ "Zm9v ", 5 },      /* trailing white space */
		{ " Zm9v", 5 },      /* leading white space */
		{ "Zm 9v", 5 },      /* inner white space */
		{ "Zm9v\n", 5 },
		{ "Z=9v", 1 },       /* '=' inside */
		{ "Zm=v", 2 },       /* '=' then data */
		{ "Z===", 1 },       /* three '=' */
		{ "====", 0 },
		{ "Zm9-", 3 },       /* base64url is another alphabet */
		{ "Zm9_", 3 },
		{ "Zm9v\x80Zm9", 4 }, /* not ASCII */
	};
	size_t i, len, bad;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t n = strlen(c[i].text);
		bad = 1234;
		if (ukc_b64_decode(c[i].text, n, &len, &bad) != NULL)
			fail_msg("case %zu (\"%s\") decoded", i, c[i].text);
		if (n % 4 != 0 || n == 0)
			assert_int_equal(bad, n);
		else if (bad != c[i].bad)
			fail_msg("case %zu (\"%s\"): bad offset %zu, want %zu", i, c[i].text, bad, c[i].bad);
	}
	/* A NUL inside the given length is a bad character, not the end. */
	assert_null(ukc_b64_decode("Zm9v\0m9v", 8, &len, &bad));
	assert_int_equal(bad, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hex_encodes_in_either_case),
		cmocka_unit_test(hex_decodes_strictly_and_names_the_bad_offset),
		cmocka_unit_test(sha256_hex_is_the_known_digest),
		cmocka_unit_test(b64_matches_the_rfc_vectors_both_ways),
		cmocka_unit_test(b64_round_trips_every_byte),
		cmocka_unit_test(b64_refuses_what_evp_alone_would_take),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
