/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seal decoder on broken and hostile DER: every truncation and every
 * single-byte corruption of real service seals, absurd lengths, wrong
 * element counts. It must refuse with a message naming the element (or
 * decode), and never read out of bounds (run under ASan in CI). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal/seal.h"

static unsigned char *slurp(const char *name, size_t *len)
{
	char path[1024];
	unsigned char *b = malloc(1 << 16);
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/seal-data/%s", UKEY_TOP_SRCDIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_non_null(b);
	*len = fread(b, 1, 1 << 16, f);
	fclose(f);
	return b;
}

/* Decodes a private copy of exactly len bytes, so ASan sees any overread. */
static int decode(const unsigned char *d, size_t len, struct ukey_err *e)
{
	unsigned char *copy = malloc(len ? len : 1);
	struct ukey_seal *s = NULL;
	struct ukey_seal_result r;
	int rc;

	assert_non_null(copy);
	memcpy(copy, d, len);
	rc = ukey_seal_decode(copy, len, &s, e);
	if (rc == 0) {
		ukey_seal_verify(s, 0, &r);
		ukey_seal_free(s);
	} else {
		assert_null(s);
		assert_true(strlen(e->msg) > 0);
	}
	free(copy);
	return rc;
}

static void every_truncation_of_service_seals_is_refused_with_a_message(void **state)
{
	const char *files[] = { "service-2020.der", "service-2014.der" };
	struct ukey_err e;
	size_t i, n, len;

	(void)state;
	for (i = 0; i < 2; i++) {
		unsigned char *d = slurp(files[i], &len);
		for (n = 0; n < len; n++)
			assert_int_equal(decode(d, n, &e), -1);
		assert_int_equal(decode(d, len, &e), 0);
		free(d);
	}
}

static void every_single_byte_corruption_decodes_or_is_refused(void **state)
{
	const unsigned char vals[] = { 0x00, 0x7f, 0x80, 0x81, 0x84, 0xff };
	struct ukey_err e;
	size_t i, v, len;
	unsigned char *d = slurp("service-2014.der", &len), keep;

	(void)state;
	for (i = 0; i < len; i++) {
		keep = d[i];
		for (v = 0; v < sizeof(vals); v++) {
			d[i] = vals[v];
			decode(d, len, &e);
		}
		d[i] = keep;
	}
	free(d);
}

static void absurd_lengths_and_non_der_are_refused_by_name(void **state)
{
	static const struct {
		const char *der;
		size_t len;
		const char *want;
	} c[] = {
		{ "\x30\x84\xff\xff\xff\xff", 6, "truncated" },
		{ "\x30\x89\x01\x00\x00\x00\x00\x00\x00\x00\x00", 11, "absurd length" },
		{ "\x30\x80\x00\x00", 4, "indefinite" },
		{ "\x30", 1, "truncated" },
		{ "\x1f\x01\x00", 3, "multi-byte tag" },
		{ "\x04\x00", 2, "expected SEQUENCE" },
		{ "\x30\x00", 2, "0 elements" },
		{ "\x30\x09\x02\x01\x00\x02\x01\x00\x02\x01\x00", 11, "3 elements" },
		{ "\x30\x04\x30\x00\x30\x00", 6, "SES_Header" },
		{ "\x30\x02\x30\x00\x01", 5, "trailing" },
	};
	struct ukey_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(decode((const unsigned char *)c[i].der, c[i].len, &e), -1);
		if (strstr(e.msg, c[i].want) == NULL)
			fail_msg("case %zu: \"%s\" does not mention \"%s\"", i, e.msg, c[i].want);
	}
	assert_int_equal(ukey_seal_decode(NULL, 0, &(struct ukey_seal *){ NULL }, &e), -1);
}

static void zero_padding_after_the_seal_is_tolerated(void **state)
{
	struct ukey_err e;
	size_t len;
	unsigned char *d = slurp("service-2020.der", &len), *p = calloc(1, len + 200);

	(void)state;
	assert_non_null(p);
	memcpy(p, d, len);
	assert_int_equal(decode(p, len + 200, &e), 0);
	free(p);
	free(d);
}

static void a_wrong_element_is_named_in_the_message(void **state)
{
	struct ukey_err e;
	size_t len;
	unsigned char *d = slurp("service-2020.der", &len), *p;

	(void)state;
	/* width and height are "02 01 28": make width an OCTET STRING */
	p = memmem(d, len, "\x02\x01\x28\x02\x01\x28", 6);
	assert_non_null(p);
	p[0] = 0x04;
	assert_int_equal(decode(d, len, &e), -1);
	assert_non_null(strstr(e.msg, "SES_ESPictrueInfo.width"));
	p[0] = 0x02;
	/* the last GeneralizedTime is validEnd: put a letter into it */
	p = memmem(d, len, "\x18\x0f", 2);
	p = memmem(p + 2, len - (size_t)(p + 2 - d), "\x18\x0f", 2);
	p = memmem(p + 2, len - (size_t)(p + 2 - d), "\x18\x0f", 2);
	assert_non_null(p);
	p[5] = 'x';
	assert_int_equal(decode(d, len, &e), -1);
	assert_non_null(strstr(e.msg, "SES_ESPropertyInfo.validEnd"));
	free(d);
}

static void time_parser_takes_real_world_forms_and_refuses_junk(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"20240102030405Z", 15, 1, &t), 0);
	assert_int_equal(t, 1704164645);
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"20240102030405", 14, 1, &t), 0);
	assert_int_equal(t, 1704164645);
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"240102030405Z", 13, 1, &t), 0);
	assert_int_equal(t, 1704164645);
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"240102030405Z", 13, 0, &t), 0);
	assert_int_equal(t, 1704164645);
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"20240102110405+0800", 19, 1, &t), 0);
	assert_int_equal(t, 1704164645);
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"20240102030405.123Z", 19, 1, &t), 0);
	assert_int_equal(t, 1704164645);
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"2024010203Z", 11, 1, &t), 0);
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"20241302030405Z", 15, 1, &t), -1);
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"2024x102030405Z", 15, 1, &t), -1);
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"", 0, 1, &t), -1);
	assert_int_equal(ukey_seal_time_parse((const unsigned char *)"20240102030405ZZ", 16, 1, &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_truncation_of_service_seals_is_refused_with_a_message),
		cmocka_unit_test(every_single_byte_corruption_decodes_or_is_refused),
		cmocka_unit_test(absurd_lengths_and_non_der_are_refused_by_name),
		cmocka_unit_test(zero_padding_after_the_seal_is_tolerated),
		cmocka_unit_test(a_wrong_element_is_named_in_the_message),
		cmocka_unit_test(time_parser_takes_real_world_forms_and_refuses_junk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
