/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pkey.c: public keys from attributes. */
#ifndef UKEY_TOKEN_PKEY_H
#define UKEY_TOKEN_PKEY_H

#include <stddef.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

struct ukey_object;

/* Builds an EVP_PKEY from CKA_MODULUS/CKA_PUBLIC_EXPONENT or
 * CKA_EC_PARAMS/CKA_EC_POINT (or, for a certificate, its CKA_VALUE).
 * NULL when the attributes are missing or malformed. */
EVP_PKEY *ukey_pkey_from_object(const struct ukey_object *obj);
/* Field bits of a named curve given as DER OID (CKA_EC_PARAMS); 0 if
 * unknown. Sizes an EC private key, which has no CKA_EC_POINT. */
CK_ULONG ukey_pkey_ec_field_bits(const unsigned char *params, size_t len);

#endif
