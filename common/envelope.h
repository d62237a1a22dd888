/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The key-pair envelopes of CKM_UKEY_ENVELOPED_KEY_PAIR (docs/mechanisms.md):
 * a new encryption key pair sealed to a token's signing public key, which
 * the token opens inside itself. Built by the CA service (and the tests),
 * parsed by the module's drivers before the token sees them.
 *
 *   sm2-envelope-v1      GM/T 0016 SKF_ENVELOPEDKEYBLOB (skfblob.h)
 *   rsa-oaep-aes-v1      UkeyEnvelopedKeyPair ::= SEQUENCE { version
 *   ecdh-aes-v1            INTEGER (1), keyMaterial OCTET STRING (rsa: the
 *                          AES-256 key, RSAES-OAEP SHA-1; ecdh: the
 *                          ephemeral P-256 point), wrappedPrivateKey OCTET
 *                          STRING (PKCS#8, AES key wrap with padding),
 *                          publicKey SubjectPublicKeyInfo }
 *   skf-rsa-envelope-v1  SkfRsaEnvelope ::= SEQUENCE { version INTEGER (1),
 *                          symAlgId INTEGER (SGD_SM4_ECB), wrappedKey OCTET
 *                          STRING (the SM4 key, RSAES-PKCS1-v1_5),
 *                          encryptedData OCTET STRING (SM4-ECB of the
 *                          RSAPrivateKey DER, PKCS#7-padded), publicKey
 *                          SubjectPublicKeyInfo }: SKF_ImportRSAKeyPair's
 *                          arguments, framed
 * The DER formats are strict DER, through OpenSSL ASN.1 templates. */
#ifndef UKC_ENVELOPE_H
#define UKC_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "skfblob.h"

/* The values of UKEY_ENVELOPE_* in ukey-pkcs11.h, the mechanism parameter. */
enum ukc_envelope_format {
	UKC_ENVELOPE_SM2_V1 = 1,
	UKC_ENVELOPE_RSA_OAEP_AES_V1 = 2,
	UKC_ENVELOPE_ECDH_AES_V1 = 3,
	UKC_ENVELOPE_SKF_RSA_V1 = 4,
};

/* Format names, as in the protocol's `envelope_format(s)`. */
#define UKC_ENVELOPE_NAME_SM2_V1 "sm2-envelope-v1"
#define UKC_ENVELOPE_NAME_RSA_OAEP_AES_V1 "rsa-oaep-aes-v1"
#define UKC_ENVELOPE_NAME_ECDH_AES_V1 "ecdh-aes-v1"
#define UKC_ENVELOPE_NAME_SKF_RSA_V1 "skf-rsa-envelope-v1"

/* Name <-> format; NULL / 0 for an unknown one. */
const char *ukc_envelope_name(int format);
int ukc_envelope_format(const char *name);

/* ---- parsing ---- */

struct ukc_envelope {
	int format;
	/* rsa-oaep-aes-v1: the encrypted AES key; ecdh-aes-v1: the ephemeral
	 * point (65 bytes, on P-256); skf-rsa-envelope-v1: the wrapped SM4 key;
	 * sm2-envelope-v1: NULL. */
	const uint8_t *key;
	size_t key_len;
	/* rsa-oaep-aes-v1, ecdh-aes-v1: the wrapped PKCS#8;
	 * skf-rsa-envelope-v1: the encrypted RSAPrivateKey; sm2: NULL. */
	const uint8_t *data;
	size_t data_len;
	/* publicKey, of the format's type: RSA, EC P-256, or SM2 (the blob's
	 * PubKey, also as a point in `point`). */
	EVP_PKEY *pub;
	uint8_t point[UKC_SKF_POINT_LEN];
	void *asn1; /* owns what key and data point into */
};

/* Parses env in the given format: 0 when it is well-formed, 1 when its
 * length is outside what the format can have (the first check, so an empty
 * envelope asks only whether the format is known), -1 otherwise; *why names
 * the problem. ukc_envelope_clear releases *e in every case. Nothing is
 * decrypted: that is the token's work. */
int ukc_envelope_parse(int format, const uint8_t *env, size_t len, struct ukc_envelope *e, const char **why);
void ukc_envelope_clear(struct ukc_envelope *e);

/* ---- building ---- */

/* Envelope of the key pair `pair` to the public key `to` in the format for
 * to's type (SM2 -> sm2-envelope-v1, RSA -> rsa-oaep-aes-v1, EC P-256 ->
 * ecdh-aes-v1; other types: -1). 0 ok, -1 with a message in err. *out is
 * OPENSSL_malloc'd; *format is the format name string (static).
 * sm2-envelope-v1 needs an SM2 `pair`, ecdh-aes-v1 a P-256 one;
 * rsa-oaep-aes-v1 takes any `pair` OpenSSL can write as PKCS#8 (the
 * service uses RSA). */
int ukc_envelope_build(EVP_PKEY *to, EVP_PKEY *pair, unsigned char **out, size_t *out_len, const char **format,
		       char *err, size_t errlen);

/* The envelope in the named format: one of the four names above. An RSA
 * signing key on an SKF token needs skf-rsa-envelope-v1 (`pair` RSA); the
 * other names give what ukc_envelope_build gives, and -1 when the name does
 * not fit to's type. */
int ukc_envelope_build_format(EVP_PKEY *to, EVP_PKEY *pair, const char *format, unsigned char **out,
			      size_t *out_len, char *err, size_t errlen);

#endif
