/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SM2 ciphertext of GM/T 0009, SM2Cipher ::= SEQUENCE { x INTEGER,
 * y INTEGER, hash OCTET STRING (32), ciphertext OCTET STRING }: C1 = (x, y),
 * C3 = hash, C2 = ciphertext. It is what OpenSSL's SM2 encryption writes
 * and reads, and what CKM_SM2_ENCRYPT carries; the SKF ECCCIPHERBLOB holds
 * the same parts, x and y right-aligned in 64-byte fields.
 *
 * Decoding is strict DER through an OpenSSL ASN.1 template: x and y are
 * non-negative and fit 256 bits, the hash is 32 bytes, the ciphertext is
 * not empty, and the input is exactly the canonical encoding of what it
 * holds (no trailing bytes, no long-form or indefinite lengths where DER
 * has none, no padded INTEGER). Functions return 0, or -1 with *why (when
 * why is not NULL) naming the problem. */
#ifndef UKC_SM2CIPHER_H
#define UKC_SM2CIPHER_H

#include <stddef.h>
#include <stdint.h>

#include "gmt0016.h"

/* The plaintext length of a DER SM2Cipher: its ciphertext's length. */
int ukc_sm2cipher_plain_len(const uint8_t *der, size_t len, size_t *plen, const char **why);

/* DER SM2Cipher -> a malloc'ed ECCCIPHERBLOB of *bloblen bytes
 * (SKF_ECCCIPHERBLOB_HEADER + ciphertext length). The caller frees *blob
 * (it may hold a secret's ciphertext only, but callers wipe it anyway). */
int ukc_sm2cipher_to_skf(const uint8_t *der, size_t len, SKF_ECCCIPHERBLOB **blob, size_t *bloblen,
			 const char **why);
/* ECCCIPHERBLOB of bloblen bytes -> DER SM2Cipher, *der OPENSSL_malloc'ed.
 * CipherLen must be 1 to 16 MiB and within bloblen, and the coordinates
 * fit 256 bits. */
int ukc_sm2cipher_from_skf(const SKF_ECCCIPHERBLOB *blob, size_t bloblen, uint8_t **der, size_t *len,
			   const char **why);

#endif
