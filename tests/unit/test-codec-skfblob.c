/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the GM/T 0016 blob codec (common/skfblob.c): SM2 public
 * key blobs, signature blobs, RSA public key blobs, the SM2 enveloped key
 * blob and SKF name lists. Every unpack must refuse the malformed blobs a
 * broken or hostile device could hand over, and pack then unpack must give
 * back what went in. */
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
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "skfblob.h"

static uint8_t sm2_point[UKC_SKF_POINT_LEN];

/* The public point of a fresh SM2 key: a point on the curve. */
static int group_setup(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	size_t len = 0;
	int ok = key && EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, sm2_point, sizeof(sm2_point),
							 &len) == 1 && len == sizeof(sm2_point);
	(void)state;
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

static void ecc_blob_of_a_real_sm2_key_round_trips(void **state)
{
	SKF_ECCPUBLICKEYBLOB b;
	uint8_t point[UKC_SKF_POINT_LEN];
	bool left = true;
	const char *why = NULL;
	(void)state;
	assert_int_equal(ukc_skf_ecc_pub_pack(sm2_point, sizeof(sm2_point), &b), 0);
	assert_int_equal(b.BitLen, 256);
	assert_memory_equal(b.XCoordinate + 32, sm2_point + 1, 32);
	assert_memory_equal(b.YCoordinate + 32, sm2_point + 33, 32);
	assert_int_equal(ukc_skf_ecc_pub_unpack((uint8_t *)&b, sizeof(b), point, &left, &why), 0);
	assert_memory_equal(point, sm2_point, sizeof(point));
	assert_false(left);
}

static void ecc_blob_left_aligned_variant_is_accepted(void **state)
{
	SKF_ECCPUBLICKEYBLOB b;
	uint8_t point[UKC_SKF_POINT_LEN];
	bool left = false;
	(void)state;
	memset(&b, 0, sizeof(b));
	b.BitLen = 256;
	memcpy(b.XCoordinate, sm2_point + 1, 32);
	memcpy(b.YCoordinate, sm2_point + 33, 32);
	assert_int_equal(ukc_skf_ecc_pub_unpack((uint8_t *)&b, sizeof(b), point, &left, NULL), 0);
	assert_memory_equal(point, sm2_point, sizeof(point));
	assert_true(left);
	/* one coordinate left-aligned, the other right: no blob writes that */
	memset(b.YCoordinate, 0, 64);
	memcpy(b.YCoordinate + 32, sm2_point + 33, 32);
	assert_int_equal(ukc_skf_ecc_pub_unpack((uint8_t *)&b, sizeof(b), point, &left, NULL), -1);
}

static void ecc_blob_garbage_is_rejected(void **state)
{
	SKF_ECCPUBLICKEYBLOB b, bad;
	uint8_t point[UKC_SKF_POINT_LEN], comp[33] = { 0x02 };
	const char *why = NULL;
	(void)state;
	assert_int_equal(ukc_skf_ecc_pub_pack(sm2_point, sizeof(sm2_point), &b), 0);
	/* short buffer */
	assert_int_equal(ukc_skf_ecc_pub_unpack((uint8_t *)&b, sizeof(b) - 1, point, NULL, &why), -1);
	assert_non_null(strstr(why, "shorter"));
	/* wrong BitLen */
	bad = b;
	bad.BitLen = 512;
	assert_int_equal(ukc_skf_ecc_pub_unpack((uint8_t *)&bad, sizeof(bad), point, NULL, &why), -1);
	assert_non_null(strstr(why, "BitLen"));
	/* a coordinate wider than 256 bits */
	bad = b;
	bad.XCoordinate[0] = 1;
	assert_int_equal(ukc_skf_ecc_pub_unpack((uint8_t *)&bad, sizeof(bad), point, NULL, &why), -1);
	/* not on the curve */
	bad = b;
	bad.YCoordinate[63] ^= 1;
	assert_int_equal(ukc_skf_ecc_pub_unpack((uint8_t *)&bad, sizeof(bad), point, NULL, &why), -1);
	assert_non_null(strstr(why, "curve"));
	/* the packer: compressed, short or not-a-point input */
	assert_int_equal(ukc_skf_ecc_pub_pack(comp, sizeof(comp), &bad), -1);
	assert_int_equal(ukc_skf_ecc_pub_pack(sm2_point, sizeof(sm2_point) - 1, &bad), -1);
	assert_int_equal(ukc_skf_ecc_pub_pack(NULL, 65, &bad), -1);
}

static void signature_blob_round_trips_and_rejects_wide_or_zero(void **state)
{
	SKF_ECCSIGNATUREBLOB sig;
	uint8_t rs[64], back[64];
	(void)state;
	memset(rs, 0xaa, 32);
	memset(rs + 32, 0x55, 32);
	ukc_skf_ecc_sig_pack(rs, &sig);
	assert_memory_equal(sig.r + 32, rs, 32);
	assert_memory_equal(sig.s + 32, rs + 32, 32);
	assert_int_equal(ukc_skf_ecc_sig_unpack(&sig, back, NULL), 0);
	assert_memory_equal(back, rs, 64);
	sig.r[0] = 1;
	assert_int_equal(ukc_skf_ecc_sig_unpack(&sig, back, NULL), -1);
	sig.r[0] = 0;
	memset(sig.s + 32, 0, 32);
	assert_int_equal(ukc_skf_ecc_sig_unpack(&sig, back, NULL), -1);
}

static void rsa_blob_round_trips_and_rejects_garbage(void **state)
{
	EVP_PKEY *rsa = EVP_RSA_gen(1024);
	BIGNUM *n = NULL;
	SKF_RSAPUBLICKEYBLOB b;
	SKF_ULONG algid = 0;
	uint8_t mod[256], exp[4], want[128];
	static const uint8_t f4[] = { 0x00, 0x01, 0x00, 0x01 }, wide[] = { 1, 0, 0, 0, 1 };
	size_t modlen, explen;
	(void)state;
	assert_non_null(rsa);
	assert_int_equal(EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(BN_bn2binpad(n, want, sizeof(want)), 128);
	assert_int_equal(ukc_skf_rsa_pub_pack(want, sizeof(want), f4, sizeof(f4), &b), 0);
	assert_int_equal(b.AlgID, SGD_RSA);
	assert_int_equal(b.BitLen, 1024);
	assert_memory_equal(b.Modulus + 128, want, 128);
	assert_int_equal(ukc_skf_rsa_pub_unpack((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen, &algid, NULL), 0);
	assert_int_equal(modlen, 128);
	assert_memory_equal(mod, want, 128);
	assert_int_equal(explen, 3);
	assert_memory_equal(exp, f4 + 1, 3);
	assert_int_equal(algid, SGD_RSA);
	/* left-aligned variant */
	memset(b.Modulus, 0, sizeof(b.Modulus));
	memcpy(b.Modulus, want, 128);
	assert_int_equal(ukc_skf_rsa_pub_unpack((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen, NULL, NULL), 0);
	assert_memory_equal(mod, want, 128);
	/* garbage: BitLen, both halves set, zero or even exponent, short buffer */
	b.BitLen = 1001;
	assert_int_equal(ukc_skf_rsa_pub_unpack((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen, NULL, NULL), -1);
	b.BitLen = 1024;
	b.Modulus[255] = 1;
	assert_int_equal(ukc_skf_rsa_pub_unpack((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen, NULL, NULL), -1);
	b.Modulus[255] = 0;
	b.PublicExponent[3] = 0x02;
	assert_int_equal(ukc_skf_rsa_pub_unpack((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen, NULL, NULL), -1);
	memset(b.PublicExponent, 0, 4);
	assert_int_equal(ukc_skf_rsa_pub_unpack((uint8_t *)&b, sizeof(b), mod, &modlen, exp, &explen, NULL, NULL), -1);
	assert_int_equal(ukc_skf_rsa_pub_unpack((uint8_t *)&b, 100, mod, &modlen, exp, &explen, NULL, NULL), -1);
	/* the packer: a BitLen from the top byte; too long a modulus or exponent */
	want[0] = 0x01;
	assert_int_equal(ukc_skf_rsa_pub_pack(want, sizeof(want), f4, sizeof(f4), &b), 0);
	assert_int_equal(b.BitLen, 1017);
	assert_int_equal(ukc_skf_rsa_pub_pack(want, 257, f4, sizeof(f4), &b), -1);
	assert_int_equal(ukc_skf_rsa_pub_pack(want, sizeof(want), wide, sizeof(wide), &b), -1);
	BN_free(n);
	EVP_PKEY_free(rsa);
}

/* An SM2 enveloped key blob as the builder writes it: header, cipher blob
 * with a 16-byte SM4 key. */
static void fill_envelope(uint8_t env[UKC_SKF_ENVELOPE_LEN])
{
	uint8_t enc[64], raw[SKF_ECCCIPHERBLOB_HEADER + 16];
	SKF_ECCCIPHERBLOB *c = (SKF_ECCCIPHERBLOB *)raw;
	assert_int_equal(RAND_bytes(enc, sizeof(enc)), 1);
	assert_int_equal(RAND_bytes(raw, sizeof(raw)), 1);
	c->CipherLen = 16;
	assert_int_equal(ukc_skf_envelope_pack(enc, sm2_point, c, sizeof(raw), env), 0);
	c->CipherLen = 15;
	assert_int_equal(ukc_skf_envelope_pack(enc, sm2_point, c, sizeof(raw), env), -1);
	c->CipherLen = 16;
	assert_int_equal(ukc_skf_envelope_pack(enc, sm2_point, c, sizeof(raw) - 1, env), -1);
	assert_int_equal(ukc_skf_envelope_pack(enc, sm2_point, c, sizeof(raw), env), 0);
}

static void sm2_envelope_blob_round_trips_and_rejects_wrong_fields(void **state)
{
	uint8_t env[UKC_SKF_ENVELOPE_LEN + 1] = { 0 }, point[UKC_SKF_POINT_LEN];
	SKF_ENVELOPEDKEYBLOB *h = (SKF_ENVELOPEDKEYBLOB *)env;
	const char *why = NULL;
	(void)state;
	assert_int_equal(UKC_SKF_ENVELOPE_LEN, 388);
	fill_envelope(env);
	assert_int_equal(h->Version, 1);
	assert_int_equal(h->ulSymmAlgID, SGD_SM4_ECB);
	assert_int_equal(h->ulBits, 256);
	assert_int_equal(ukc_skf_envelope_unpack(env, UKC_SKF_ENVELOPE_LEN, point, &why), 0);
	assert_memory_equal(point, sm2_point, sizeof(point));
	/* a wrong length, or a CipherLen that is not the SM4 key's: 1 */
	assert_int_equal(ukc_skf_envelope_unpack(env, UKC_SKF_ENVELOPE_LEN - 1, point, &why), 1);
	assert_int_equal(ukc_skf_envelope_unpack(env, UKC_SKF_ENVELOPE_LEN + 1, point, &why), 1);
	assert_int_equal(ukc_skf_envelope_unpack(NULL, 0, point, &why), 1);
	env[208 + 160] = 17;
	assert_int_equal(ukc_skf_envelope_unpack(env, UKC_SKF_ENVELOPE_LEN, point, &why), 1);
	env[208 + 160] = 16;
	/* a wrong header field or public key: -1 */
	h->Version = 2;
	assert_int_equal(ukc_skf_envelope_unpack(env, UKC_SKF_ENVELOPE_LEN, point, &why), -1);
	h->Version = 1;
	h->ulSymmAlgID = SGD_SM1_ECB;
	assert_int_equal(ukc_skf_envelope_unpack(env, UKC_SKF_ENVELOPE_LEN, point, &why), -1);
	h->ulSymmAlgID = SGD_SM4_ECB;
	h->ulBits = 128;
	assert_int_equal(ukc_skf_envelope_unpack(env, UKC_SKF_ENVELOPE_LEN, point, &why), -1);
	h->ulBits = 256;
	h->PubKey.YCoordinate[63] ^= 1;
	assert_int_equal(ukc_skf_envelope_unpack(env, UKC_SKF_ENVELOPE_LEN, point, &why), -1);
	assert_non_null(strstr(why, "curve"));
	h->PubKey.YCoordinate[63] ^= 1;
	assert_int_equal(ukc_skf_envelope_unpack(env, UKC_SKF_ENVELOPE_LEN, point, &why), 0);
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
	assert_int_equal(ukc_skf_names_walk(good, sizeof(good) - 1, collect, out), 2);
	assert_string_equal(out, "dev1|dev2|");
	out[0] = '\0';
	assert_int_equal(ukc_skf_names_walk(noend, sizeof(noend) - 1, collect, out), 2);
	assert_string_equal(out, "dev1|dev2|");
	out[0] = '\0';
	assert_int_equal(ukc_skf_names_walk("\0\0", 2, collect, out), 0);
	assert_int_equal(ukc_skf_names_walk("", 0, collect, out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ecc_blob_of_a_real_sm2_key_round_trips),
		cmocka_unit_test(ecc_blob_left_aligned_variant_is_accepted),
		cmocka_unit_test(ecc_blob_garbage_is_rejected),
		cmocka_unit_test(signature_blob_round_trips_and_rejects_wide_or_zero),
		cmocka_unit_test(rsa_blob_round_trips_and_rejects_garbage),
		cmocka_unit_test(sm2_envelope_blob_round_trips_and_rejects_wrong_fields),
		cmocka_unit_test(name_lists_tolerate_a_missing_final_nul),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
