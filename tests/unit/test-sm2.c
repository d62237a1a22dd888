/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SM2 helpers of the token layer (module/token/sm2.c) against OpenSSL as
 * the reference implementation of GM/T 0003/0009: a signature OpenSSL makes
 * with EVP_DigestSign (SM3, distinguishing ID) verifies through our
 * e = SM3(Z || M), so our Z and e are the ones OpenSSL uses; raw r||s
 * verification refuses what it must; the plaintext length comes exactly
 * from OpenSSL's DER SM2Cipher. The token-level mechanisms are in
 * test-sm2-token.c. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "sm2-check.h"
#include "token/crypto.h"
#include "token/pkey.h"
#include "token/token.h"

static const unsigned char default_id[] = UKEY_SM2_DEFAULT_ID;
#define DEFAULT_ID_LEN (sizeof(default_id) - 1)

/* ---- sm2.c on its own ---- */

static void openssl_signature_verifies_over_our_e(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	const char *msg = "GM/T 0009 signer value check", *alice = "alice@example.cn";
	unsigned char der[80], rs[64], e[32];
	size_t derlen;
	(void)state;
	assert_non_null(key);
	for (int i = 0; i < 4; i++) {   /* several random signatures */
		derlen = sm2_openssl_sign(key, default_id, DEFAULT_ID_LEN, msg, strlen(msg), der, sizeof(der));
		sm2_der_to_rs(der, derlen, rs);
		sm2_our_e(key, default_id, DEFAULT_ID_LEN, msg, strlen(msg), e);
		assert_int_equal(ukey_sm2_verify_e(key, e, 32, rs, 64), CKR_OK);
		/* e under another ID (another Z) is another value. */
		sm2_our_e(key, alice, strlen(alice), msg, strlen(msg), e);
		assert_int_equal(ukey_sm2_verify_e(key, e, 32, rs, 64), CKR_SIGNATURE_INVALID);
	}
	/* A custom ID, and an empty message. */
	derlen = sm2_openssl_sign(key, alice, strlen(alice), "", 0, der, sizeof(der));
	sm2_der_to_rs(der, derlen, rs);
	sm2_our_e(key, alice, strlen(alice), "", 0, e);
	assert_int_equal(ukey_sm2_verify_e(key, e, 32, rs, 64), CKR_OK);
	EVP_PKEY_free(key);
}

static void raw_verification_rejects_what_it_must(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2"), *p256 = EVP_EC_gen("P-256");
	unsigned char e[32], der[80], rs[64], bad[64];
	size_t derlen = 0;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	(void)state;
	assert_non_null(ctx);
	assert_int_equal(RAND_bytes(e, 32), 1);
	/* OpenSSL's own raw-e SM2 signature. */
	derlen = sizeof(der);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, der, &derlen, e, 32), 1);
	sm2_der_to_rs(der, derlen, rs);
	assert_int_equal(ukey_sm2_verify_e(key, e, 32, rs, 64), CKR_OK);
	assert_int_equal(ukey_sm2_verify_e(key, e, 32, rs, 63), CKR_SIGNATURE_LEN_RANGE);
	assert_int_equal(ukey_sm2_verify_e(key, e, 31, rs, 64), CKR_DATA_LEN_RANGE);
	e[5] ^= 0x10;
	assert_int_equal(ukey_sm2_verify_e(key, e, 32, rs, 64), CKR_SIGNATURE_INVALID);
	e[5] ^= 0x10;
	memcpy(bad, rs, 64);
	memset(bad, 0, 32);   /* r = 0 */
	assert_int_equal(ukey_sm2_verify_e(key, e, 32, bad, 64), CKR_SIGNATURE_INVALID);
	memset(bad, 0xff, 32);   /* r above the order */
	assert_int_equal(ukey_sm2_verify_e(key, e, 32, bad, 64), CKR_SIGNATURE_INVALID);
	/* s and r swapped. */
	memcpy(bad, rs + 32, 32);
	memcpy(bad + 32, rs, 32);
	assert_int_equal(ukey_sm2_verify_e(key, e, 32, bad, 64), CKR_SIGNATURE_INVALID);
	/* An "EC" key would run ECDSA: refused. Z needs an SM2 key and an ID. */
	assert_int_equal(ukey_sm2_verify_e(p256, e, 32, rs, 64), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(ukey_sm2_z(p256, default_id, DEFAULT_ID_LEN, e), CKR_ARGUMENTS_BAD);
	assert_int_equal(ukey_sm2_z(key, default_id, 0, e), CKR_ARGUMENTS_BAD);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	EVP_PKEY_free(p256);
}

static void sm2cipher_der_gives_the_plaintext_length(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	unsigned char msg[300], ct[512];
	CK_ULONG plen = 0;
	size_t ctlen;
	static const size_t lens[] = { 1, 17, 127, 128, 255, 300 };
	(void)state;
	assert_non_null(key);
	assert_int_equal(RAND_bytes(msg, sizeof(msg)), 1);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ctlen = sm2_openssl_encrypt(key, msg, lens[i], ct, sizeof(ct));
		assert_int_equal(ukey_sm2_cipher_plain_len(ct, ctlen, &plen), CKR_OK);
		assert_int_equal(plen, lens[i]);
		/* Truncated, or with a byte after the SEQUENCE. */
		assert_int_equal(ukey_sm2_cipher_plain_len(ct, ctlen - 1, &plen), CKR_ENCRYPTED_DATA_INVALID);
		ct[ctlen] = 0;
		assert_int_equal(ukey_sm2_cipher_plain_len(ct, ctlen + 1, &plen), CKR_ENCRYPTED_DATA_INVALID);
	}
	/* C1 || C3 || C2 raw bytes are not the DER form. */
	ct[0] = 0x04;
	assert_int_equal(ukey_sm2_cipher_plain_len(ct, 97 + 10, &plen), CKR_ENCRYPTED_DATA_INVALID);
	assert_int_equal(ukey_sm2_cipher_plain_len(NULL, 0, &plen), CKR_ENCRYPTED_DATA_INVALID);
	/* Hand-made SEQUENCE { INTEGER 1, INTEGER 1, OCTET STRING hash,
	 * OCTET STRING { 0x55 } }: a 32-byte hash is right, 31 is not. */
	unsigned char der[2 + 3 + 3 + 34 + 3] = { 0x30, 43, 0x02, 1, 1, 0x02, 1, 1, 0x04, 32 };
	memset(der + 10, 0xaa, 32);
	memcpy(der + 42, "\x04\x01\x55", 3);
	assert_int_equal(ukey_sm2_cipher_plain_len(der, sizeof(der), &plen), CKR_OK);
	assert_int_equal(plen, 1);
	der[1] = 42;
	der[9] = 31;
	memmove(der + 41, der + 42, 3);
	assert_int_equal(ukey_sm2_cipher_plain_len(der, sizeof(der) - 1, &plen), CKR_ENCRYPTED_DATA_INVALID);
	/* An empty ciphertext OCTET STRING. */
	der[1] = 42;
	der[9] = 32;
	memcpy(der + 42, "\x04\x00", 2);
	assert_int_equal(ukey_sm2_cipher_plain_len(der, sizeof(der) - 1, &plen), CKR_ENCRYPTED_DATA_INVALID);
	EVP_PKEY_free(key);
}

static void sm2_curve_oid_is_recognised(void **state)
{
	unsigned char der[32], *p = der;
	int len = i2d_ASN1_OBJECT(OBJ_nid2obj(NID_sm2), &p);
	(void)state;
	assert_int_equal(len, 10);
	assert_memory_equal(der, "\x06\x08\x2a\x81\x1c\xcf\x55\x01\x82\x2d", 10);
	assert_true(ukey_sm2_is_curve(der, (size_t)len));
	assert_int_equal(ukey_pkey_ec_field_bits(der, (size_t)len), 256);
	assert_false(ukey_sm2_is_curve(der, (size_t)len - 1));
	p = der;
	len = i2d_ASN1_OBJECT(OBJ_nid2obj(NID_X9_62_prime256v1), &p);
	assert_false(ukey_sm2_is_curve(der, (size_t)len));
	assert_false(ukey_sm2_is_curve(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(openssl_signature_verifies_over_our_e),
		cmocka_unit_test(raw_verification_rejects_what_it_must),
		cmocka_unit_test(sm2cipher_der_gives_the_plaintext_length),
		cmocka_unit_test(sm2_curve_oid_is_recognised),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
