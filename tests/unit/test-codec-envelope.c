/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the envelopes of CKM_UKEY_ENVELOPED_KEY_PAIR
 * (common/envelope.c, envelope-build.c): each format built to a key
 * parses back, its parts open with the recipient's private key to the
 * pair that went in, and the parser refuses what is not the format:
 * truncated or overlong envelopes, another format's, a wrong version, a
 * padded INTEGER, a point off the curve. */
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
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "envelope.h"
#include "sm2cipher.h"

static EVP_PKEY *rsa_to, *rsa_pair, *p256_to, *p256_pair, *sm2_to, *sm2_pair;

static int group_setup(void **state)
{
	(void)state;
	rsa_to = EVP_RSA_gen(2048);
	rsa_pair = EVP_RSA_gen(1024);
	p256_to = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p256_pair = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	sm2_to = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	sm2_pair = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	return rsa_to && rsa_pair && p256_to && p256_pair && sm2_to && sm2_pair ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa_to);
	EVP_PKEY_free(rsa_pair);
	EVP_PKEY_free(p256_to);
	EVP_PKEY_free(p256_pair);
	EVP_PKEY_free(sm2_to);
	EVP_PKEY_free(sm2_pair);
	return 0;
}

static uint8_t *build(EVP_PKEY *to, EVP_PKEY *pair, const char *name, size_t *len)
{
	unsigned char *env = NULL;
	char err[256] = "";
	if (ukc_envelope_build_format(to, pair, name, &env, len, err, sizeof(err)) != 0)
		print_error("# %s: %s\n", name, err);
	assert_non_null(env);
	return env;
}

/* The envelope of pair to `to` in the named format, parsed into *e: its
 * publicKey is pair's. */
static uint8_t *built_and_parsed(EVP_PKEY *to, EVP_PKEY *pair, const char *name, struct ukc_envelope *e, size_t *len)
{
	uint8_t *env = build(to, pair, name, len);
	assert_int_equal(ukc_envelope_parse(ukc_envelope_format(name), env, *len, e, NULL), 0);
	assert_int_equal(EVP_PKEY_eq(e->pub, pair), 1);
	return env;
}

static int parse(int format, const uint8_t *env, size_t len)
{
	struct ukc_envelope e;
	const char *why = NULL;
	int rc = ukc_envelope_parse(format, env, len, &e, &why);
	if (rc != 0)
		assert_non_null(why);
	ukc_envelope_clear(&e);
	return rc;
}

static size_t decrypt(EVP_PKEY *k, int padding, const uint8_t *in, size_t inlen, uint8_t *out, size_t max)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	size_t n = max;
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
	if (padding)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, padding), 1);
	if (padding == RSA_PKCS1_OAEP_PADDING) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha1()), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha1()), 1);
	}
	assert_int_equal(EVP_PKEY_decrypt(ctx, out, &n, in, inlen), 1);
	EVP_PKEY_CTX_free(ctx);
	return n;
}

static size_t sym_decrypt(const char *cipher, int pad, const uint8_t *key, const uint8_t *in, size_t inlen,
			  uint8_t *out)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cipher, NULL);
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;
	assert_true(c && cc && EVP_DecryptInit_ex2(cc, c, key, NULL, NULL) && EVP_CIPHER_CTX_set_padding(cc, pad));
	assert_true(EVP_DecryptUpdate(cc, out, &n, in, (int)inlen) && EVP_DecryptFinal_ex(cc, out + n, &m));
	EVP_CIPHER_CTX_free(cc);
	EVP_CIPHER_free(c);
	return (size_t)(n + m);
}

/* The PKCS#8 the envelope wraps is pair's private key. */
static void check_pkcs8(const uint8_t *p8, size_t len, EVP_PKEY *pair)
{
	const unsigned char *p = p8;
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)len);
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, pair), 1);
	EVP_PKEY_free(k);
}

static void rsa_oaep_envelope_opens_to_the_pair(void **state)
{
	struct ukc_envelope e;
	uint8_t key[512], p8[4096];
	size_t len, n;
	uint8_t *env = built_and_parsed(rsa_to, rsa_pair, UKC_ENVELOPE_NAME_RSA_OAEP_AES_V1, &e, &len);
	(void)state;
	assert_int_equal(decrypt(rsa_to, RSA_PKCS1_OAEP_PADDING, e.key, e.key_len, key, sizeof(key)), 32);
	n = sym_decrypt("id-aes256-wrap-pad", 1, key, e.data, e.data_len, p8);
	check_pkcs8(p8, n, rsa_pair);
	ukc_envelope_clear(&e);
	/* not the other formats */
	assert_int_equal(parse(UKC_ENVELOPE_ECDH_AES_V1, env, len), -1);
	assert_int_equal(parse(UKC_ENVELOPE_SKF_RSA_V1, env, len), -1);
	assert_int_equal(parse(UKC_ENVELOPE_SM2_V1, env, len), 1);
	assert_int_equal(parse(99, env, len), -1);
	OPENSSL_free(env);
}

static void ecdh_envelope_opens_to_the_pair(void **state)
{
	struct ukc_envelope e;
	EVP_PKEY *eph;
	EVP_PKEY_CTX *ctx;
	uint8_t z[32], p8[4096];
	size_t len, zl = sizeof(z), n;
	uint8_t *env = built_and_parsed(p256_to, p256_pair, UKC_ENVELOPE_NAME_ECDH_AES_V1, &e, &len);
	(void)state;
	assert_int_equal(e.key_len, 65);
	/* the recipient's side of the agreement: x of to * ephemeral point */
	eph = EVP_PKEY_new();
	assert_non_null(eph);
	assert_int_equal(EVP_PKEY_copy_parameters(eph, p256_to), 1);
	assert_int_equal(EVP_PKEY_set1_encoded_public_key(eph, e.key, e.key_len), 1);
	ctx = EVP_PKEY_CTX_new(p256_to, NULL);
	assert_true(ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, eph) == 1 &&
		    EVP_PKEY_derive(ctx, z, &zl) == 1 && zl == 32);
	n = sym_decrypt("id-aes256-wrap-pad", 1, z, e.data, e.data_len, p8);
	check_pkcs8(p8, n, p256_pair);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(eph);
	ukc_envelope_clear(&e);
	OPENSSL_free(env);
}

static void ecdh_envelope_with_a_point_off_the_curve_is_refused(void **state)
{
	size_t len;
	uint8_t *env = build(p256_to, p256_pair, UKC_ENVELOPE_NAME_ECDH_AES_V1, &len);
	uint8_t *pt;
	(void)state;
	/* SEQUENCE, INTEGER 1, then OCTET STRING 0x41: the point */
	pt = memmem(env, 16, "\x02\x01\x01\x04\x41\x04", 6);
	assert_non_null(pt);
	pt[5 + 64] ^= 1;
	assert_int_equal(parse(UKC_ENVELOPE_ECDH_AES_V1, env, len), -1);
	pt[5 + 64] ^= 1;
	assert_int_equal(parse(UKC_ENVELOPE_ECDH_AES_V1, env, len), 0);
	/* an RSA publicKey is not ecdh-aes-v1's */
	assert_int_equal(parse(UKC_ENVELOPE_RSA_OAEP_AES_V1, env, len), -1);
	OPENSSL_free(env);
}

static void sm2_envelope_opens_to_the_pair(void **state)
{
	struct ukc_envelope e;
	const SKF_ENVELOPEDKEYBLOB *blob;
	uint8_t *der = NULL, key[64], field[64], point[UKC_SKF_POINT_LEN];
	size_t len, derlen = 0, plen = 0;
	BIGNUM *d = NULL;
	uint8_t *env = built_and_parsed(sm2_to, sm2_pair, UKC_ENVELOPE_NAME_SM2_V1, &e, &len);
	(void)state;
	assert_int_equal(len, UKC_SKF_ENVELOPE_LEN);
	assert_true(EVP_PKEY_get_octet_string_param(sm2_pair, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &plen));
	assert_memory_equal(e.point, point, sizeof(point));
	ukc_envelope_clear(&e);
	/* the SM4 key SM2-encrypted to `to`, the scalar under it */
	blob = (const SKF_ENVELOPEDKEYBLOB *)env;
	assert_int_equal(ukc_sm2cipher_from_skf(&blob->ECCCipherBlob, SKF_ECCCIPHERBLOB_HEADER + 16, &der, &derlen,
						NULL), 0);
	assert_int_equal(decrypt(sm2_to, 0, der, derlen, key, sizeof(key)), 16);
	assert_int_equal(sym_decrypt("SM4-ECB", 0, key, blob->cbEncryptedPriKey, 64, field), 64);
	assert_true(EVP_PKEY_get_bn_param(sm2_pair, OSSL_PKEY_PARAM_PRIV_KEY, &d));
	assert_int_equal(BN_bn2binpad(d, key, 32), 32);
	assert_memory_equal(field + 32, key, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(field[i], 0);
	assert_int_equal(parse(UKC_ENVELOPE_RSA_OAEP_AES_V1, env, len), -1);
	BN_clear_free(d);
	OPENSSL_free(der);
	OPENSSL_free(env);
}

static void skf_rsa_envelope_opens_to_the_pair(void **state)
{
	struct ukc_envelope e;
	uint8_t key[512], priv[4096];
	const unsigned char *p = priv;
	EVP_PKEY *k;
	size_t len, n;
	uint8_t *env = built_and_parsed(rsa_to, rsa_pair, UKC_ENVELOPE_NAME_SKF_RSA_V1, &e, &len);
	(void)state;
	assert_int_equal(decrypt(rsa_to, RSA_PKCS1_PADDING, e.key, e.key_len, key, sizeof(key)), 16);
	assert_int_equal(e.data_len % 16, 0);
	n = sym_decrypt("SM4-ECB", 1, key, e.data, e.data_len, priv);
	k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)n);
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, rsa_pair), 1);
	EVP_PKEY_free(k);
	ukc_envelope_clear(&e);
	assert_int_equal(parse(UKC_ENVELOPE_RSA_OAEP_AES_V1, env, len), -1);
	OPENSSL_free(env);
}

static void builder_refuses_formats_that_do_not_fit(void **state)
{
	unsigned char *env = NULL;
	const char *fmt = NULL;
	char err[256];
	size_t len = 0;
	(void)state;
	assert_int_equal(ukc_envelope_build_format(rsa_to, rsa_pair, UKC_ENVELOPE_NAME_ECDH_AES_V1, &env, &len, err,
						   sizeof(err)), -1);
	assert_null(env);
	assert_int_equal(ukc_envelope_build_format(sm2_to, rsa_pair, UKC_ENVELOPE_NAME_SKF_RSA_V1, &env, &len, err,
						   sizeof(err)), -1);
	assert_int_equal(ukc_envelope_build_format(rsa_to, sm2_pair, UKC_ENVELOPE_NAME_SKF_RSA_V1, &env, &len, err,
						   sizeof(err)), -1);
	assert_int_equal(ukc_envelope_build(p256_to, rsa_pair, &env, &len, &fmt, err, sizeof(err)), -1);
	assert_int_equal(ukc_envelope_build(sm2_to, rsa_pair, &env, &len, &fmt, err, sizeof(err)), -1);
	assert_int_equal(ukc_envelope_build(rsa_to, rsa_pair, &env, &len, &fmt, err, sizeof(err)), 0);
	assert_string_equal(fmt, UKC_ENVELOPE_NAME_RSA_OAEP_AES_V1);
	OPENSSL_free(env);
	assert_int_equal(ukc_envelope_format(UKC_ENVELOPE_NAME_SKF_RSA_V1), UKC_ENVELOPE_SKF_RSA_V1);
	assert_string_equal(ukc_envelope_name(UKC_ENVELOPE_SM2_V1), UKC_ENVELOPE_NAME_SM2_V1);
	assert_int_equal(ukc_envelope_format("sm2-envelope-v2"), 0);
	assert_null(ukc_envelope_name(0));
}

/* Truncations and trailing bytes; the version; a padded INTEGER. */
static void damaged_der_envelopes_are_refused(void **state)
{
	size_t len, n;
	uint8_t *env = build(rsa_to, rsa_pair, UKC_ENVELOPE_NAME_RSA_OAEP_AES_V1, &len), *big;
	int rc;
	(void)state;
	for (n = 0; n < len; n++) {
		rc = parse(UKC_ENVELOPE_RSA_OAEP_AES_V1, env, n);
		assert_int_equal(rc, n < 128 ? 1 : -1);
	}
	big = malloc(len + 2);
	assert_non_null(big);
	memcpy(big, env, len);
	big[len] = 0;
	assert_int_equal(parse(UKC_ENVELOPE_RSA_OAEP_AES_V1, big, len + 1), -1);
	/* SEQUENCE 0x82 LL LL, INTEGER 1 at 4..6 */
	assert_memory_equal(env, "\x30\x82", 2);
	assert_memory_equal(env + 4, "\x02\x01\x01", 3);
	env[6] = 2;
	assert_int_equal(parse(UKC_ENVELOPE_RSA_OAEP_AES_V1, env, len), -1);
	env[6] = 1;
	assert_int_equal(parse(UKC_ENVELOPE_RSA_OAEP_AES_V1, env, len), 0);
	/* version as 02 02 00 01: one byte longer, and not DER */
	n = ((size_t)env[2] << 8 | env[3]) + 1;
	big[0] = 0x30, big[1] = 0x82, big[2] = (uint8_t)(n >> 8), big[3] = (uint8_t)n;
	memcpy(big + 4, "\x02\x02\x00\x01", 4);
	memcpy(big + 8, env + 7, len - 7);
	assert_int_equal(parse(UKC_ENVELOPE_RSA_OAEP_AES_V1, big, len + 1), -1);
	/* the SEQUENCE's length in a longer form than needed (0x83 00 LL LL) */
	big[1] = 0x83, big[2] = 0;
	big[3] = env[2], big[4] = env[3];
	memcpy(big + 5, env + 4, len - 4);
	assert_int_equal(parse(UKC_ENVELOPE_RSA_OAEP_AES_V1, big, len + 1), -1);
	free(big);
	OPENSSL_free(env);
}

static void skf_rsa_envelope_fields_are_checked(void **state)
{
	size_t len;
	uint8_t *env = build(rsa_to, rsa_pair, UKC_ENVELOPE_NAME_SKF_RSA_V1, &len);
	(void)state;
	/* SEQUENCE 0x82 LL LL, INTEGER 1, INTEGER 0x0401 (SGD_SM4_ECB) */
	assert_memory_equal(env + 4, "\x02\x01\x01\x02\x02\x04\x01", 7);
	env[10] = 0x02;   /* SGD_SM4_CBC */
	assert_int_equal(parse(UKC_ENVELOPE_SKF_RSA_V1, env, len), -1);
	env[10] = 0x01;
	assert_int_equal(parse(UKC_ENVELOPE_SKF_RSA_V1, env, len), 0);
	assert_int_equal(parse(UKC_ENVELOPE_SKF_RSA_V1, env, 255), 1);
	assert_int_equal(parse(UKC_ENVELOPE_SKF_RSA_V1, NULL, 0), 1);
	OPENSSL_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rsa_oaep_envelope_opens_to_the_pair),
		cmocka_unit_test(ecdh_envelope_opens_to_the_pair),
		cmocka_unit_test(ecdh_envelope_with_a_point_off_the_curve_is_refused),
		cmocka_unit_test(sm2_envelope_opens_to_the_pair),
		cmocka_unit_test(skf_rsa_envelope_opens_to_the_pair),
		cmocka_unit_test(builder_refuses_formats_that_do_not_fit),
		cmocka_unit_test(damaged_der_envelopes_are_refused),
		cmocka_unit_test(skf_rsa_envelope_fields_are_checked),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
