/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the skf driver's pure codecs (module/drivers/skf/blob.c):
 * SM2 public key blobs, signature blobs, ECCCIPHERBLOB <-> DER SM2Cipher
 * (checked against ciphertexts OpenSSL itself makes), RSA public key blobs,
 * seal detection, DER trimming and SKF name lists. Every decoder must
 * reject the malformed inputs a broken or hostile device could hand us. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "drivers/skf/blob.h"

static EVP_PKEY *sm2_key;
static uint8_t sm2_point[UKEY_SKF_POINT_LEN];

static int group_setup(void **state)
{
	size_t len = 0;
	(void)state;
	sm2_key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	if (!sm2_key || EVP_PKEY_get_octet_string_param(sm2_key, OSSL_PKEY_PARAM_PUB_KEY, sm2_point,
							 sizeof(sm2_point), &len) != 1 ||
	    len != sizeof(sm2_point))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(sm2_key);
	return 0;
}

static void ecc_blob_of_a_real_sm2_key_decodes_to_its_point(void **state)
{
	SKF_ECCPUBLICKEYBLOB b;
	uint8_t point[UKEY_SKF_POINT_LEN], der[UKEY_SKF_EC_POINT_DER_LEN];
	(void)state;
	assert_int_equal(ukey_skf_blob_ecc_pub_encode(sm2_point, sizeof(sm2_point), &b), 0);
	assert_int_equal(b.BitLen, 256);
	assert_int_equal(ukey_skf_blob_ecc_pub_decode((uint8_t *)&b, sizeof(b), point), 0);
	assert_memory_equal(point, sm2_point, sizeof(point));
	ukey_skf_ec_point_der(point, der);
	assert_int_equal(der[0], 0x04);
	assert_int_equal(der[1], 65);
	assert_memory_equal(der + 2, sm2_point, 65);
}

static void ecc_blob_left_aligned_variant_is_accepted(void **state)
{
	SKF_ECCPUBLICKEYBLOB b;
	uint8_t point[UKEY_SKF_POINT_LEN];
	(void)state;
	memset(&b, 0, sizeof(b));
	b.BitLen = 256;
	memcpy(b.XCoordinate, sm2_point + 1, 32);
	memcpy(b.YCoordinate, sm2_point + 33, 32);
	assert_int_equal(ukey_skf_blob_ecc_pub_decode((uint8_t *)&b, sizeof(b), point), 0);
	assert_memory_equal(point, sm2_point, sizeof(point));
}

static void ecc_blob_garbage_is_rejected(void **state)
{
	SKF_ECCPUBLICKEYBLOB b, bad;
	uint8_t point[UKEY_SKF_POINT_LEN];
	(void)state;
	assert_int_equal(ukey_skf_blob_ecc_pub_encode(sm2_point, sizeof(sm2_point), &b), 0);
	/* short buffer */
	assert_int_equal(ukey_skf_blob_ecc_pub_decode((uint8_t *)&b, sizeof(b) - 1, point), -1);
	/* wrong BitLen */
	bad = b;
	bad.BitLen = 512;
	assert_int_equal(ukey_skf_blob_ecc_pub_decode((uint8_t *)&bad, sizeof(bad), point), -1);
	/* a coordinate wider than 256 bits */
	bad = b;
	bad.XCoordinate[0] = 1;
	assert_int_equal(ukey_skf_blob_ecc_pub_decode((uint8_t *)&bad, sizeof(bad), point), -1);
	/* not on the curve */
	bad = b;
	bad.YCoordinate[63] ^= 1;
	assert_int_equal(ukey_skf_blob_ecc_pub_decode((uint8_t *)&bad, sizeof(bad), point), -1);
	/* encoder: compressed or short points */
	uint8_t comp[33] = { 0x02 };
	assert_int_equal(ukey_skf_blob_ecc_pub_encode(comp, sizeof(comp), &bad), -1);
}

static void signature_blob_gives_r_and_s_and_rejects_wide_or_zero(void **state)
{
	SKF_ECCSIGNATUREBLOB sig;
	uint8_t rs[64];
	(void)state;
	memset(&sig, 0, sizeof(sig));
	memset(sig.r + 32, 0xaa, 32);
	memset(sig.s + 32, 0x55, 32);
	assert_int_equal(ukey_skf_blob_ecc_sig_decode(&sig, rs), 0);
	assert_int_equal(rs[0], 0xaa);
	assert_int_equal(rs[63], 0x55);
	sig.r[0] = 1;
	assert_int_equal(ukey_skf_blob_ecc_sig_decode(&sig, rs), -1);
	sig.r[0] = 0;
	memset(sig.s + 32, 0, 32);
	assert_int_equal(ukey_skf_blob_ecc_sig_decode(&sig, rs), -1);
}

/* OpenSSL's SM2 encryption writes the DER SM2Cipher of GM/T 0009. */
static void openssl_sm2_ciphertext_round_trips_through_the_cipher_blob(void **state)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(sm2_key, NULL);
	const uint8_t msg[] = "seal me";
	uint8_t ct[512], *der = NULL;
	size_t ctlen = sizeof(ct), bloblen = 0, derlen = 0;
	SKF_ECCCIPHERBLOB *blob = NULL;
	(void)state;
	assert_non_null(ctx);
	for (int i = 0; i < 8; i++) {   /* leading-zero coordinates show up in some runs */
		ctlen = sizeof(ct);
		assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
		assert_int_equal(EVP_PKEY_encrypt(ctx, ct, &ctlen, msg, sizeof(msg)), 1);
		assert_int_equal(ukey_skf_blob_cipher_from_der(ct, ctlen, &blob, &bloblen), 0);
		assert_int_equal(blob->CipherLen, sizeof(msg));
		assert_int_equal(bloblen, SKF_ECCCIPHERBLOB_HEADER + sizeof(msg));
		assert_int_equal(ukey_skf_blob_cipher_to_der(blob, bloblen, &der, &derlen), 0);
		assert_int_equal(derlen, ctlen);
		assert_memory_equal(der, ct, ctlen);
		free(blob);
		free(der);
	}
	EVP_PKEY_CTX_free(ctx);
}

static void malformed_sm2_ciphertexts_are_rejected(void **state)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(sm2_key, NULL);
	const uint8_t msg[] = "x";
	uint8_t ct[512], bad[520];
	size_t ctlen = sizeof(ct), bloblen;
	SKF_ECCCIPHERBLOB *blob = NULL;
	(void)state;
	assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
	assert_int_equal(EVP_PKEY_encrypt(ctx, ct, &ctlen, msg, sizeof(msg)), 1);
	EVP_PKEY_CTX_free(ctx);
	/* every truncation */
	for (size_t n = 0; n < ctlen; n++)
		assert_int_equal(ukey_skf_blob_cipher_from_der(ct, n, &blob, &bloblen), -1);
	/* trailing garbage */
	memcpy(bad, ct, ctlen);
	bad[ctlen] = 0;
	assert_int_equal(ukey_skf_blob_cipher_from_der(bad, ctlen + 1, &blob, &bloblen), -1);
	/* wrong outer tag */
	memcpy(bad, ct, ctlen);
	bad[0] = 0x31;
	assert_int_equal(ukey_skf_blob_cipher_from_der(bad, ctlen, &blob, &bloblen), -1);
	/* a hash that is not 32 bytes: SEQ{INT 1, INT 1, OCTET(31), OCTET(1)} */
	uint8_t h31[2 + 3 + 3 + 33 + 3];
	size_t k = 0;
	h31[k++] = 0x30;
	h31[k++] = sizeof(h31) - 2;
	h31[k++] = 0x02, h31[k++] = 1, h31[k++] = 1;
	h31[k++] = 0x02, h31[k++] = 1, h31[k++] = 1;
	h31[k++] = 0x04, h31[k++] = 31;
	memset(h31 + k, 0, 31);
	k += 31;
	h31[k++] = 0x04, h31[k++] = 1, h31[k++] = 0x42;
	assert_int_equal(k, sizeof(h31));
	assert_int_equal(ukey_skf_blob_cipher_from_der(h31, k, &blob, &bloblen), -1);
	/* an encoder fed a blob whose CipherLen overruns it */
	SKF_ECCCIPHERBLOB small;
	uint8_t *der;
	size_t derlen;
	memset(&small, 0, sizeof(small));
	small.CipherLen = 100;
	assert_int_equal(ukey_skf_blob_cipher_to_der(&small, sizeof(small), &der, &derlen), -1);
}

static void rsa_blob_gives_modulus_and_exponent(void **state)
{
	EVP_PKEY *rsa = EVP_RSA_gen(1024);
	BIGNUM *n = NULL;
	SKF_RSAPUBLICKEYBLOB b;
	uint8_t mod[256], exp[4], want[128];
	size_t modlen, explen;
	(void)state;
	assert_non_null(rsa);
	assert_int_equal(EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(BN_bn2binpad(n, want, sizeof(want)), 128);
	memset(&b, 0, sizeof(b));
	b.AlgID = SGD_RSA;
	b.BitLen = 1024;
	memcpy(b.Modulus + 128, want, 128);
	b.PublicExponent[1] = 0x01, b.PublicExponent[3] = 0x01;
	assert_int_equal(ukey_skf_blob_rsa_pub_decode((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen), 0);
	assert_int_equal(modlen, 128);
	assert_memory_equal(mod, want, 128);
	assert_int_equal(explen, 3);
	assert_int_equal(exp[0], 1);
	/* left-aligned variant */
	memset(b.Modulus, 0, sizeof(b.Modulus));
	memcpy(b.Modulus, want, 128);
	assert_int_equal(ukey_skf_blob_rsa_pub_decode((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen), 0);
	assert_memory_equal(mod, want, 128);
	/* garbage: BitLen, both halves set, zero exponent, short buffer */
	b.BitLen = 1001;
	assert_int_equal(ukey_skf_blob_rsa_pub_decode((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen), -1);
	b.BitLen = 1024;
	b.Modulus[255] = 1;
	assert_int_equal(ukey_skf_blob_rsa_pub_decode((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen), -1);
	b.Modulus[255] = 0;
	memset(b.PublicExponent, 0, 4);
	assert_int_equal(ukey_skf_blob_rsa_pub_decode((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen), -1);
	assert_int_equal(ukey_skf_blob_rsa_pub_decode((uint8_t *)&b, 100, mod, &modlen, exp, &explen), -1);
	BN_free(n);
	EVP_PKEY_free(rsa);
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

static void collect(const char *name, void *arg)
{
	char *out = arg;
	strcat(out, name);
	strcat(out, "|");
}

static void name_lists_tolerate_a_missing_final_nul(void **state)
{
	char out[64];
	static const char good[] = "dev1\0dev2\0\0";
	static const char noend[] = "dev1\0dev2";   /* plus the caller's spare NUL */
	(void)state;
	out[0] = '\0';
	assert_int_equal(ukey_skf_names_walk(good, sizeof(good) - 1, collect, out), 2);
	assert_string_equal(out, "dev1|dev2|");
	out[0] = '\0';
	assert_int_equal(ukey_skf_names_walk(noend, sizeof(noend) - 1, collect, out), 2);
	assert_string_equal(out, "dev1|dev2|");
	out[0] = '\0';
	assert_int_equal(ukey_skf_names_walk("\0\0", 2, collect, out), 0);
	assert_int_equal(ukey_skf_names_walk("", 0, collect, out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ecc_blob_of_a_real_sm2_key_decodes_to_its_point),
		cmocka_unit_test(ecc_blob_left_aligned_variant_is_accepted),
		cmocka_unit_test(ecc_blob_garbage_is_rejected),
		cmocka_unit_test(signature_blob_gives_r_and_s_and_rejects_wide_or_zero),
		cmocka_unit_test(openssl_sm2_ciphertext_round_trips_through_the_cipher_blob),
		cmocka_unit_test(malformed_sm2_ciphertexts_are_rejected),
		cmocka_unit_test(rsa_blob_gives_modulus_and_exponent),
		cmocka_unit_test(seal_header_is_recognised_and_lookalikes_are_not),
		cmocka_unit_test(seal_prefix_is_recognised_from_the_header_alone),
		cmocka_unit_test(der_trim_drops_zero_padding_only),
		cmocka_unit_test(name_lists_tolerate_a_missing_final_nul),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
