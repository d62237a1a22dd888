/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OpenSSL as the SM2 reference for the SM2 unit tests: signature format
 * conversions, SM3-with-SM2 signing/verification with a distinguishing ID,
 * and SM2 encryption to the DER SM2Cipher. Failures fail the running
 * cmocka test. */
#ifndef UKEY_TEST_SM2_CHECK_H
#define UKEY_TEST_SM2_CHECK_H

#include <stddef.h>

#include <openssl/evp.h>

#define SM2_TEST_DEFAULT_ID "1234567812345678"

/* r||s (64 bytes) to DER SEQUENCE { r, s }; returns the DER length. */
size_t sm2_rs_to_der(const unsigned char *rs, unsigned char *der);
/* DER SEQUENCE { r, s } to r||s (64 bytes). */
void sm2_der_to_rs(const unsigned char *der, size_t len, unsigned char *rs);
/* OpenSSL's SM3-with-SM2 signature (DER) of msg under the signer ID. */
size_t sm2_openssl_sign(EVP_PKEY *key, const void *id, size_t idlen, const void *msg, size_t len,
			unsigned char *der, size_t max);
/* 1 when OpenSSL accepts the r||s signature of msg under the ID. */
int sm2_openssl_verify(EVP_PKEY *key, const void *id, size_t idlen, const void *msg, size_t len,
		       const unsigned char *rs);
/* OpenSSL's SM2 encryption (DER SM2Cipher); returns its length. */
size_t sm2_openssl_encrypt(EVP_PKEY *key, const unsigned char *msg, size_t len, unsigned char *out, size_t max);
/* e = SM3(Z || M) with the module's ukey_sm2_z. */
void sm2_our_e(EVP_PKEY *key, const void *id, size_t idlen, const void *msg, size_t len, unsigned char e[32]);

#endif
