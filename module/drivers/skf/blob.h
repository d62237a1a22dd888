/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure codecs between GM/T 0016 SKF blobs and the encodings PKCS#11 and
 * OpenSSL use. No SKF call, no global state: each function reads only its
 * arguments, so the fuzz target can drive them directly.
 *
 * Every decoder checks lengths, BitLen and alignment, returns 0 on success
 * and -1 on garbage, and logs one warning line naming what was wrong (never
 * the bytes themselves). Outputs are untouched on failure unless said. */
#ifndef UKEY_DRIVER_SKF_BLOB_H
#define UKEY_DRIVER_SKF_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/skf/api.h"

/* 0x04 || X || Y of a 256-bit point. */
#define UKEY_SKF_POINT_LEN 65
/* DER OCTET STRING around it (CKA_EC_POINT): 0x04 0x41 || point. */
#define UKEY_SKF_EC_POINT_DER_LEN 67
/* DER OID 1.2.156.10197.1.301 (sm2p256v1), the CKA_EC_PARAMS of SM2 keys. */
extern const uint8_t ukey_skf_sm2_oid_der[10];

/* An ECCPUBLICKEYBLOB of blen bytes (at least 132) → uncompressed SM2 point.
 * BitLen must be 256; the coordinates sit right-aligned in their 64-byte
 * fields (a left-aligned variant is accepted too); the point must lie on
 * the SM2 curve. */
int ukey_skf_blob_ecc_pub_decode(const uint8_t *blob, size_t blen, uint8_t point[UKEY_SKF_POINT_LEN]);
/* The reverse: an uncompressed 65-byte point → a right-aligned blob. */
int ukey_skf_blob_ecc_pub_encode(const uint8_t *point, size_t len, SKF_ECCPUBLICKEYBLOB *blob);
/* point → DER OCTET STRING (out holds UKEY_SKF_EC_POINT_DER_LEN bytes). */
void ukey_skf_ec_point_der(const uint8_t point[UKEY_SKF_POINT_LEN], uint8_t out[UKEY_SKF_EC_POINT_DER_LEN]);

/* ECCSIGNATUREBLOB → r || s, 32 bytes each. r and s must fit 256 bits. */
int ukey_skf_blob_ecc_sig_decode(const SKF_ECCSIGNATUREBLOB *sig, uint8_t rs[64]);

/* DER SM2Cipher (GM/T 0009: SEQUENCE { INTEGER x, INTEGER y, OCTET STRING
 * hash (32), OCTET STRING ciphertext }) → a malloc'ed ECCCIPHERBLOB of
 * *bloblen bytes (164 + ciphertext length). The caller frees *blob. */
int ukey_skf_blob_cipher_from_der(const uint8_t *der, size_t len, SKF_ECCCIPHERBLOB **blob,
				  size_t *bloblen);
/* The reverse, for tests and the emulator's peers: *der is malloc'ed. */
int ukey_skf_blob_cipher_to_der(const SKF_ECCCIPHERBLOB *blob, size_t bloblen, uint8_t **der,
				size_t *len);

/* RSAPUBLICKEYBLOB of blen bytes → modulus (BitLen/8 bytes, at most 256)
 * and public exponent (leading zeros dropped, 1-4 bytes). BitLen must be a
 * multiple of 8 between 512 and 2048 and the modulus' top bit set. */
int ukey_skf_blob_rsa_pub_decode(const uint8_t *blob, size_t blen, uint8_t modulus[256],
				 size_t *modlen, uint8_t exponent[4], size_t *explen);

/* A GM/T 0031 / GB/T 38540 seal: a DER SEQUENCE whose first element is a
 * SEQUENCE starting with the header SEQUENCE { IA5String "ES", INTEGER,
 * IA5String }. Bounded walk; false for anything else. */
bool ukey_skf_is_seal(const uint8_t *der, size_t len);
/* The same test on the first len bytes of a file, without the rest: the
 * header sits at the start, within UKEY_SKF_SEAL_HEAD bytes for any vendor
 * id up to 40 characters (outer headers 4-5 bytes each, "ES", version,
 * the id's header). */
#define UKEY_SKF_SEAL_HEAD 64
bool ukey_skf_is_seal_prefix(const uint8_t *head, size_t len);

/* Files are often created larger than what is written into them. When buf
 * starts with one complete DER element followed only by zero bytes, gives
 * that element's length; otherwise len. */
size_t ukey_skf_der_trim(const uint8_t *buf, size_t len);

/* SKF name lists ("a\0b\0\0"). Calls fn for each non-empty name in the
 * first size bytes, stopping at an empty name (the list's end). Tolerates a
 * missing final NUL pair: a name running to the end is taken when the byte
 * after it (buf[size], which the caller must make readable and NUL) ends
 * it. Returns the number of names. */
size_t ukey_skf_names_walk(const char *buf, size_t size, void (*fn)(const char *name, void *arg),
			   void *arg);

#endif
