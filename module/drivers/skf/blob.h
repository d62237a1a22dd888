/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the skf driver reads in device files besides the GM/T 0016 blobs
 * (common/skfblob.h, common/sm2cipher.h): whether a file holds a seal, and
 * the DER element a larger file holds; and the PKCS#11 encodings of an SM2
 * public key. Pure functions: no SKF call, no global state, so the fuzz
 * target drives them directly. */
#ifndef UKEY_DRIVER_SKF_BLOB_H
#define UKEY_DRIVER_SKF_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skfblob.h"

/* DER OCTET STRING around a point (CKA_EC_POINT): 0x04 0x41 || point. */
#define UKEY_SKF_EC_POINT_DER_LEN 67
/* DER OID 1.2.156.10197.1.301 (sm2p256v1), the CKA_EC_PARAMS of SM2 keys. */
extern const uint8_t ukey_skf_sm2_oid_der[10];

/* point -> DER OCTET STRING (out holds UKEY_SKF_EC_POINT_DER_LEN bytes). */
void ukey_skf_ec_point_der(const uint8_t point[UKC_SKF_POINT_LEN], uint8_t out[UKEY_SKF_EC_POINT_DER_LEN]);

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

#endif
