/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0016 SKF blobs <-> the encodings OpenSSL and PKCS#11 use: one
 * unpack (checked) and one pack function per blob. A vendor library, a
 * device file or a peer is untrusted, so each unpack checks lengths,
 * BitLen and alignment and returns 0, or -1 with *why (when why is not
 * NULL) set to a static sentence naming the problem, never the bytes.
 * Outputs are untouched on failure. The SM2 ciphertext blob is converted
 * in sm2cipher.h. */
#ifndef UKC_SKFBLOB_H
#define UKC_SKFBLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gmt0016.h"

/* 0x04 || X || Y of a 256-bit point. */
#define UKC_SKF_POINT_LEN 65

/* ECCPUBLICKEYBLOB of blen bytes (at least 132) -> uncompressed SM2 point.
 * BitLen must be 256; the coordinates sit right-aligned in their 64-byte
 * fields (a left-aligned variant some early libraries wrote is accepted,
 * and *left, when not NULL, says so); the point must lie on the SM2 curve. */
int ukc_skf_ecc_pub_unpack(const uint8_t *blob, size_t blen, uint8_t point[UKC_SKF_POINT_LEN], bool *left,
			   const char **why);
/* An uncompressed 65-byte point -> a right-aligned blob. */
int ukc_skf_ecc_pub_pack(const uint8_t *point, size_t len, SKF_ECCPUBLICKEYBLOB *blob);

/* ECCSIGNATUREBLOB -> r || s, 32 bytes each; r and s must be non-zero and
 * fit 256 bits. */
int ukc_skf_ecc_sig_unpack(const SKF_ECCSIGNATUREBLOB *sig, uint8_t rs[64], const char **why);
/* r || s -> ECCSIGNATUREBLOB, right-aligned. */
void ukc_skf_ecc_sig_pack(const uint8_t rs[64], SKF_ECCSIGNATUREBLOB *sig);

/* RSAPUBLICKEYBLOB of blen bytes -> modulus (BitLen/8 bytes, at most 256)
 * and public exponent (leading zeros dropped, 1-4 bytes). BitLen must be a
 * multiple of 8 between 512 and 2048 and the modulus' top bit set; the
 * modulus may sit right- or (as a few libraries write it) left-aligned.
 * *algid, when not NULL, gets AlgID (SGD_RSA by the standard; not judged). */
int ukc_skf_rsa_pub_unpack(const uint8_t *blob, size_t blen, uint8_t modulus[256], size_t *modlen,
			   uint8_t exponent[4], size_t *explen, SKF_ULONG *algid, const char **why);
/* Big-endian modulus and exponent (leading zeros allowed) -> AlgID SGD_RSA,
 * BitLen the modulus' bit length, both right-aligned. -1 when the modulus
 * is over 256 bytes or the exponent over 4. */
int ukc_skf_rsa_pub_pack(const uint8_t *modulus, size_t modlen, const uint8_t *exponent, size_t explen,
			 SKF_RSAPUBLICKEYBLOB *blob);

/* The ENVELOPEDKEYBLOB of an SM2 key pair under SM4 (GM/T 0016: Version 1,
 * ulSymmAlgID SGD_SM4_ECB, ulBits 256, the 16-byte SM4 key SM2-encrypted to
 * the signing key): exactly this many bytes. */
#define UKC_SKF_ENVELOPE_CIPHER_LEN 16
#define UKC_SKF_ENVELOPE_LEN \
	(offsetof(SKF_ENVELOPEDKEYBLOB, ECCCipherBlob) + SKF_ECCCIPHERBLOB_HEADER + UKC_SKF_ENVELOPE_CIPHER_LEN)

/* Checks such a blob: 1 for a wrong length (or CipherLen), -1 for a wrong
 * header field or public key, 0 when it is well-formed; point gets the
 * encryption public key (on the SM2 curve). */
int ukc_skf_envelope_unpack(const uint8_t *env, size_t len, uint8_t point[UKC_SKF_POINT_LEN], const char **why);
/* The blob from its parts: the SM4-ECB encryption of the 64-byte field
 * holding the private scalar right-aligned, the public point, and the
 * ECCCIPHERBLOB of the SM4 key (cipher_len bytes: header + 16). out holds
 * UKC_SKF_ENVELOPE_LEN bytes. */
int ukc_skf_envelope_pack(const uint8_t enc_priv[64], const uint8_t point[UKC_SKF_POINT_LEN],
			  const SKF_ECCCIPHERBLOB *cipher, size_t cipher_len, uint8_t *out);

/* SKF name lists ("a\0b\0\0"). Calls fn for each non-empty name in the
 * first size bytes, stopping at an empty name (the list's end). Tolerates a
 * missing final NUL pair: a name running to the end is taken when the byte
 * after it (buf[size], which the caller must make readable and NUL) ends
 * it. Returns the number of names. */
size_t ukc_skf_names_walk(const char *buf, size_t size, void (*fn)(const char *name, void *arg), void *arg);

#endif
