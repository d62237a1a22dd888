/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the SM2Cipher codec (common/sm2cipher.c): OpenSSL's own
 * SM2 ciphertexts go to an ECCCIPHERBLOB and back byte for byte, and every
 * encoding that is not the DER of GM/T 0009's SEQUENCE { x INTEGER,
 * y INTEGER, hash OCTET STRING (32), ciphertext OCTET STRING } is refused:
 * truncated, overlong, wrong tags or field lengths, BER lengths, padded or
 * negative INTEGERs, coordinates over 256 bits. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sm2-check.h"
#include "sm2cipher.h"

static EVP_PKEY *sm2_key;

static int group_setup(void **state)
{
	(void)state;
	sm2_key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	return sm2_key ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(sm2_key);
	return 0;
}

/* A TLV with a length of `lenbytes` bytes (0: the short form). */
static size_t tlv(uint8_t *out, uint8_t tag, const uint8_t *v, size_t vlen, int lenbytes)
{
	size_t k = 0;
	out[k++] = tag;
	if (lenbytes == 0) {
		out[k++] = (uint8_t)vlen;
	} else {
		out[k++] = (uint8_t)(0x80 | lenbytes);
		for (int i = lenbytes - 1; i >= 0; i--)
			out[k++] = (uint8_t)(vlen >> (8 * i));
	}
	memcpy(out + k, v, vlen);
	return k + vlen;
}

/* SEQUENCE { INTEGER x (xlen content bytes), INTEGER 1, OCTET STRING
 * (hlen bytes), OCTET STRING (clen bytes) }. */
static size_t sm2cipher(uint8_t *out, const uint8_t *x, size_t xlen, size_t hlen, size_t clen)
{
	uint8_t body[300], hash[40], c[40];
	static const uint8_t one[] = { 1 };
	size_t k = 0;
	memset(hash, 0xaa, sizeof(hash));
	memset(c, 0x55, sizeof(c));
	k += tlv(body + k, 0x02, x, xlen, 0);
	k += tlv(body + k, 0x02, one, 1, 0);
	k += tlv(body + k, 0x04, hash, hlen, 0);
	k += tlv(body + k, 0x04, c, clen, 0);
	return tlv(out, 0x30, body, k, k < 0x80 ? 0 : 1);
}

static int plain_len(const uint8_t *der, size_t len)
{
	size_t n = 0;
	const char *why = NULL;
	int rc = ukc_sm2cipher_plain_len(der, len, &n, &why);
	if (rc != 0) {
		assert_non_null(why);
		return -1;
	}
	return (int)n;
}

static void openssl_ciphertexts_round_trip_through_the_cipher_blob(void **state)
{
	static const uint8_t msg[] = "seal me, with a longer text than one block of SM3";
	uint8_t ct[512], *der = NULL;
	size_t ctlen, bloblen = 0, derlen = 0;
	SKF_ECCCIPHERBLOB *blob = NULL;
	(void)state;
	/* leading-zero coordinates show up in some of the runs */
	for (size_t i = 0; i < 16; i++) {
		size_t mlen = 1 + i * 3;
		ctlen = sm2_openssl_encrypt(sm2_key, msg, mlen, ct, sizeof(ct));
		assert_int_equal(plain_len(ct, ctlen), mlen);
		assert_int_equal(ukc_sm2cipher_to_skf(ct, ctlen, &blob, &bloblen, NULL), 0);
		assert_int_equal(blob->CipherLen, mlen);
		assert_int_equal(bloblen, SKF_ECCCIPHERBLOB_HEADER + mlen);
		assert_int_equal(ukc_sm2cipher_from_skf(blob, bloblen, &der, &derlen, NULL), 0);
		assert_int_equal(derlen, ctlen);
		assert_memory_equal(der, ct, ctlen);
		OPENSSL_free(blob);
		OPENSSL_free(der);
	}
}

static void truncated_and_overlong_ciphertexts_are_refused(void **state)
{
	static const uint8_t msg[] = "x";
	uint8_t ct[512];
	size_t ctlen = sm2_openssl_encrypt(sm2_key, msg, sizeof(msg), ct, sizeof(ct) - 1);
	SKF_ECCCIPHERBLOB *blob = NULL;
	size_t bloblen;
	(void)state;
	for (size_t n = 0; n < ctlen; n++) {
		assert_int_equal(plain_len(ct, n), -1);
		assert_int_equal(ukc_sm2cipher_to_skf(ct, n, &blob, &bloblen, NULL), -1);
	}
	ct[ctlen] = 0;
	assert_int_equal(plain_len(ct, ctlen + 1), -1);
	assert_int_equal(plain_len(NULL, 0), -1);
	/* C1 || C3 || C2 raw bytes are not the DER form */
	ct[0] = 0x04;
	assert_int_equal(plain_len(ct, ctlen), -1);
	ct[0] = 0x31;   /* SET, not SEQUENCE */
	assert_int_equal(plain_len(ct, ctlen), -1);
}

static void field_lengths_are_checked(void **state)
{
	uint8_t der[128];
	static const uint8_t one[] = { 1 };
	(void)state;
	assert_int_equal(plain_len(der, sm2cipher(der, one, 1, 32, 1)), 1);
	assert_int_equal(plain_len(der, sm2cipher(der, one, 1, 32, 33)), 33);
	assert_int_equal(plain_len(der, sm2cipher(der, one, 1, 31, 1)), -1);
	assert_int_equal(plain_len(der, sm2cipher(der, one, 1, 33, 1)), -1);
	assert_int_equal(plain_len(der, sm2cipher(der, one, 1, 0, 1)), -1);
	assert_int_equal(plain_len(der, sm2cipher(der, one, 1, 32, 0)), -1);   /* no ciphertext */
}

static void integers_must_be_minimal_non_negative_and_256_bits(void **state)
{
	uint8_t der[128], x[40];
	SKF_ECCCIPHERBLOB *blob = NULL;
	size_t bloblen = 0;
	(void)state;
	/* 2^256 - 1: 32 bytes with the top bit set take a 0x00 pad: DER */
	x[0] = 0;
	memset(x + 1, 0xff, 32);
	assert_int_equal(plain_len(der, sm2cipher(der, x, 33, 32, 1)), 1);
	assert_int_equal(ukc_sm2cipher_to_skf(der, sm2cipher(der, x, 33, 32, 1), &blob, &bloblen, NULL), 0);
	assert_memory_equal(blob->XCoordinate + 32, x + 1, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(blob->XCoordinate[i], 0);
	OPENSSL_free(blob);
	/* without the pad it is negative */
	assert_int_equal(plain_len(der, sm2cipher(der, x + 1, 32, 32, 1)), -1);
	/* 2^256: 33 significant bytes */
	x[0] = 1;
	memset(x + 1, 0, 32);
	assert_int_equal(plain_len(der, sm2cipher(der, x, 33, 32, 1)), -1);
	/* padded INTEGERs, which OpenSSL refuses: 00 01, 00 00 ff */
	x[0] = 0, x[1] = 1;
	assert_int_equal(plain_len(der, sm2cipher(der, x, 2, 32, 1)), -1);
	x[0] = 0, x[1] = 0, x[2] = 0xff;
	assert_int_equal(plain_len(der, sm2cipher(der, x, 3, 32, 1)), -1);
	/* an empty INTEGER */
	assert_int_equal(plain_len(der, sm2cipher(der, x, 0, 32, 1)), -1);
	/* zero is a value like any other */
	x[0] = 0;
	assert_int_equal(plain_len(der, sm2cipher(der, x, 1, 32, 1)), 1);
}

static void ber_lengths_and_wrong_tags_are_refused(void **state)
{
	uint8_t der[160], body[150];
	static const uint8_t one[] = { 1 };
	size_t n = sm2cipher(der, one, 1, 32, 1), k;
	(void)state;
	assert_int_equal(plain_len(der, n), 1);
	/* the same SEQUENCE with a long-form length (0x81 0x2d) */
	k = tlv(body, 0x30, der + 2, n - 2, 1);
	assert_int_equal(plain_len(body, k), -1);
	/* ... or a two-byte one */
	k = tlv(body, 0x30, der + 2, n - 2, 2);
	assert_int_equal(plain_len(body, k), -1);
	/* indefinite length, with its end-of-contents */
	body[0] = 0x30;
	body[1] = 0x80;
	memcpy(body + 2, der + 2, n - 2);
	body[n] = 0, body[n + 1] = 0;
	assert_int_equal(plain_len(body, n + 2), -1);
	/* an OCTET STRING where x's INTEGER goes */
	memcpy(body, der, n);
	body[2] = 0x04;
	assert_int_equal(plain_len(body, n), -1);
	/* a fifth element */
	memcpy(body, der + 2, n - 2);
	memcpy(body + n - 2, "\x05\x00", 2);   /* NULL */
	k = tlv(der, 0x30, body, n, 0);
	assert_int_equal(plain_len(der, k), -1);
}

static void cipher_blobs_that_cannot_be_sm2cipher_are_refused(void **state)
{
	uint8_t raw[SKF_ECCCIPHERBLOB_HEADER + 4] = { 0 }, *der = NULL;
	SKF_ECCCIPHERBLOB *b = (SKF_ECCCIPHERBLOB *)raw, *back = NULL;
	size_t derlen = 0, backlen = 0;
	const char *why = NULL;
	(void)state;
	memset(b->HASH, 0x11, 32);
	b->Cipher[0] = 0x42;
	b->CipherLen = 0;
	assert_int_equal(ukc_sm2cipher_from_skf(b, sizeof(raw), &der, &derlen, &why), -1);
	b->CipherLen = 5;   /* one past the buffer */
	assert_int_equal(ukc_sm2cipher_from_skf(b, sizeof(raw), &der, &derlen, &why), -1);
	assert_int_equal(ukc_sm2cipher_from_skf(b, SKF_ECCCIPHERBLOB_HEADER - 1, &der, &derlen, &why), -1);
	b->CipherLen = 4;
	b->XCoordinate[0] = 1;   /* over 256 bits */
	assert_int_equal(ukc_sm2cipher_from_skf(b, sizeof(raw), &der, &derlen, &why), -1);
	b->XCoordinate[0] = 0;
	/* zero coordinates are INTEGER 0, and come back */
	assert_int_equal(ukc_sm2cipher_from_skf(b, sizeof(raw), &der, &derlen, &why), 0);
	assert_int_equal(der[2], 0x02);
	assert_int_equal(der[3], 1);
	assert_int_equal(der[4], 0);
	assert_int_equal(ukc_sm2cipher_to_skf(der, derlen, &back, &backlen, &why), 0);
	assert_int_equal(backlen, sizeof(raw));
	assert_memory_equal(back, raw, sizeof(raw));
	OPENSSL_free(der);
	OPENSSL_free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(openssl_ciphertexts_round_trip_through_the_cipher_blob),
		cmocka_unit_test(truncated_and_overlong_ciphertexts_are_refused),
		cmocka_unit_test(field_lengths_are_checked),
		cmocka_unit_test(integers_must_be_minimal_non_negative_and_256_bits),
		cmocka_unit_test(ber_lengths_and_wrong_tags_are_refused),
		cmocka_unit_test(cipher_blobs_that_cannot_be_sm2cipher_are_refused),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
