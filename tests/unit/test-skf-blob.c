/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for what the skf driver reads in device files
 * (module/drivers/skf/blob.c): seal detection, DER trimming, and the
 * CKA_EC_POINT of an SM2 key. Every test must reject the malformed inputs
 * a broken or hostile device could hand us. (The GM/T 0016 blobs and the
 * SM2 ciphertext: test-codec-skfblob.c, test-codec-sm2cipher.c.) */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "drivers/skf/blob.h"

static void sm2_point_becomes_the_ec_point_attribute(void **state)
{
	uint8_t point[UKC_SKF_POINT_LEN], der[UKEY_SKF_EC_POINT_DER_LEN];
	(void)state;
	for (size_t i = 0; i < sizeof(point); i++)
		point[i] = (uint8_t)(i * 7 + 4);
	ukey_skf_ec_point_der(point, der);
	assert_int_equal(der[0], 0x04);
	assert_int_equal(der[1], 65);
	assert_memory_equal(der + 2, point, 65);
	assert_int_equal(ukey_skf_sm2_oid_der[0], 0x06);
	assert_int_equal(ukey_skf_sm2_oid_der[1], sizeof(ukey_skf_sm2_oid_der) - 2);
}

static void seal_header_is_recognised_and_lookalikes_are_not(void **state)
{
	/* SEQ { SEQ { SEQ { IA5 "ES", INT 4, IA5 "V1" } } } */
	static const uint8_t seal[] = { 0x30, 0x0f, 0x30, 0x0d, 0x30, 0x0b, 0x16, 0x02, 'E', 'S',
					0x02, 0x01, 0x04, 0x16, 0x02, 'V', '1' };
	uint8_t bad[sizeof(seal)];
	(void)state;
	assert_true(ukey_skf_is_seal(seal, sizeof(seal)));
	memcpy(bad, seal, sizeof(bad));
	bad[9] = 'X';   /* "EX" */
	assert_false(ukey_skf_is_seal(bad, sizeof(bad)));
	memcpy(bad, seal, sizeof(bad));
	bad[10] = 0x04;   /* OCTET STRING for the version */
	assert_false(ukey_skf_is_seal(bad, sizeof(bad)));
	for (size_t n = 0; n < sizeof(seal); n++)
		assert_false(ukey_skf_is_seal(seal, n));
	assert_false(ukey_skf_is_seal((const uint8_t *)"hello", 5));
}

/* The first bytes of a 200 KB seal (the skf driver reads no more to set
 * CKA_APPLICATION): the outer SEQUENCEs run past them, the header is whole. */
static void seal_prefix_is_recognised_from_the_header_alone(void **state)
{
	static const uint8_t head[] = { 0x30, 0x83, 0x03, 0x0d, 0x40, 0x30, 0x83, 0x03, 0x0c, 0x00, 0x30, 0x0b,
					0x16, 0x02, 'E', 'S', 0x02, 0x01, 0x04, 0x16, 0x02, 'V', '1', 0x16, 0x0e };
	uint8_t bad[sizeof(head)];
	(void)state;
	assert_true(ukey_skf_is_seal_prefix(head, sizeof(head)));
	assert_false(ukey_skf_is_seal(head, sizeof(head)));   /* the whole-file test wants it all */
	assert_true(ukey_skf_is_seal_prefix(head, 23));          /* the header's last byte */
	for (size_t n = 0; n < 23; n++)
		assert_false(ukey_skf_is_seal_prefix(head, n));
	memcpy(bad, head, sizeof(bad));
	bad[15] = 'X';   /* "EX" */
	assert_false(ukey_skf_is_seal_prefix(bad, sizeof(bad)));
	memcpy(bad, head, sizeof(bad));
	bad[1] = 0x82;   /* not the minimal length form: no DER */
	bad[2] = 0x00;
	assert_false(ukey_skf_is_seal_prefix(bad, sizeof(bad)));
	assert_false(ukey_skf_is_seal_prefix((const uint8_t *)"BM6\x00\x03", 5));
}

static void der_trim_drops_zero_padding_only(void **state)
{
	uint8_t buf[16] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	(void)state;
	assert_int_equal(ukey_skf_der_trim(buf, sizeof(buf)), 5);
	buf[10] = 1;
	assert_int_equal(ukey_skf_der_trim(buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(ukey_skf_der_trim((const uint8_t *)"plain text", 10), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sm2_point_becomes_the_ec_point_attribute),
		cmocka_unit_test(seal_header_is_recognised_and_lookalikes_are_not),
		cmocka_unit_test(seal_prefix_is_recognised_from_the_header_alone),
		cmocka_unit_test(der_trim_drops_zero_padding_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
