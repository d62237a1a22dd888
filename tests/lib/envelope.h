/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Builder of the envelopes CKM_UKEY_ENVELOPED_KEY_PAIR imports
 * (docs/mechanisms.md): a new encryption key pair sealed to the token's new
 * signing public key. Used by the module's tests and by the reference CA
 * service (ca-service/ compiles it in). Library: tests/libukeyenvelope.la. */
#ifndef UKEY_TESTS_ENVELOPE_H
#define UKEY_TESTS_ENVELOPE_H

#include <stddef.h>

#include <openssl/evp.h>

/* Format names, as in the service's JSON `encryption.envelope_format`. */
#define UKEY_ENVELOPE_NAME_SM2_V1 "sm2-envelope-v1"
#define UKEY_ENVELOPE_NAME_RSA_OAEP_AES_V1 "rsa-oaep-aes-v1"
#define UKEY_ENVELOPE_NAME_ECDH_AES_V1 "ecdh-aes-v1"
#define UKEY_ENVELOPE_NAME_SKF_RSA_V1 "skf-rsa-envelope-v1"

/* Envelope of the key pair `pair` to the public key `to` in the format for
 * to's type (SM2 → sm2-envelope-v1, RSA → rsa-oaep-aes-v1, EC P-256 →
 * ecdh-aes-v1; other types: -1). 0 ok, -1 with a message in err. *out is
 * OPENSSL_malloc'd; *format is the format name string (static).
 * sm2-envelope-v1 needs an SM2 `pair`, ecdh-aes-v1 a P-256 one;
 * rsa-oaep-aes-v1 takes any `pair` OpenSSL can write as PKCS#8 (the
 * service uses RSA). */
int ukey_envelope_build(EVP_PKEY *to, EVP_PKEY *pair, unsigned char **out, size_t *out_len,
			const char **format, char *err, size_t errlen);

/* The envelope in the named format: one of the four names above. An RSA
 * signing key on an SKF token needs skf-rsa-envelope-v1 (GM/T 0016's
 * SKF_ImportRSAKeyPair arguments, framed in DER; `pair` RSA); the other
 * names give what ukey_envelope_build gives, and -1 when the name does not
 * fit to's type. */
int ukey_envelope_build_format(EVP_PKEY *to, EVP_PKEY *pair, const char *format, unsigned char **out,
			       size_t *out_len, char *err, size_t errlen);

#endif
