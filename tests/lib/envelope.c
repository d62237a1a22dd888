/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "envelope.h"
/* The SKF blob layouts, and the emulator's codecs between OpenSSL's DER
 * SM2 ciphertext / points and the SKF blobs (linked from emulator/emu-key.c). */
#include "drivers/skf/api.h"
#include "emu.h"

#define SM2_ENV_CIPHER_LEN 16
#define SM2_ENV_SIZE (offsetof(SKF_ENVELOPEDKEYBLOB, ECCCipherBlob) + SKF_ECCCIPHERBLOB_HEADER + SM2_ENV_CIPHER_LEN)
#define AES_KEY_LEN 32

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int is_sm2_curve(EVP_PKEY *k)
{
	char group[32];

	if (EVP_PKEY_is_a(k, "SM2"))
		return 1;
	return EVP_PKEY_is_a(k, "EC") &&
	       EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) &&
	       strcmp(group, "SM2") == 0;
}

/* OpenSSL encrypts with SM2 only through an "SM2"-typed key; an "EC" key on
 * the SM2 curve (as some loaders give) is re-imported as one. */
static EVP_PKEY *sm2_typed(EVP_PKEY *k)
{
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *out = NULL;

	if (EVP_PKEY_is_a(k, "SM2")) {
		if (EVP_PKEY_up_ref(k))
			out = k;
		goto out;
	}
	if (EVP_PKEY_todata(k, EVP_PKEY_PUBLIC_KEY, &params) <= 0)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &out, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		out = NULL;
out:
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return out;
}

/* The ECCCipherBlob: the SM4 key SM2-encrypted to `to`. */
static int sm2_wrap_key(EVP_PKEY *to, const uint8_t key[16], SKF_ENVELOPEDKEYBLOB *env)
{
	EVP_PKEY *k = sm2_typed(to);
	EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL) : NULL;
	unsigned char der[256];
	size_t dl = sizeof(der);
	SKF_ECCCIPHERBLOB *blob = NULL;
	int rc = -1;

	if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 || EVP_PKEY_encrypt(ctx, der, &dl, key, 16) <= 0)
		goto out;
	blob = emu_der_to_cipher_blob(der, dl);
	if (!blob || blob->CipherLen != SM2_ENV_CIPHER_LEN)
		goto out;
	memcpy(&env->ECCCipherBlob, blob, SKF_ECCCIPHERBLOB_HEADER + SM2_ENV_CIPHER_LEN);
	rc = 0;
out:
	free(blob);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	return rc;
}

/* cbEncryptedPriKey: SM4-ECB of the 64-byte field holding d right-aligned. */
static int sm2_encrypt_priv(EVP_PKEY *pair, const uint8_t key[16], SKF_ENVELOPEDKEYBLOB *env)
{
	EVP_CIPHER *sm4 = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL);
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	BIGNUM *d = NULL;
	uint8_t field[64] = { 0 };
	int n = 0, rc = -1;

	if (!sm4 || !cc || !EVP_PKEY_get_bn_param(pair, OSSL_PKEY_PARAM_PRIV_KEY, &d) ||
	    BN_bn2binpad(d, field + 32, 32) != 32)
		goto out;
	if (!EVP_EncryptInit_ex2(cc, sm4, key, NULL, NULL) || !EVP_CIPHER_CTX_set_padding(cc, 0) ||
	    !EVP_EncryptUpdate(cc, env->cbEncryptedPriKey, &n, field, sizeof(field)) || n != 64)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(field, sizeof(field));
	BN_clear_free(d);
	EVP_CIPHER_CTX_free(cc);
	EVP_CIPHER_free(sm4);
	return rc;
}

static int build_sm2(EVP_PKEY *to, EVP_PKEY *pair, unsigned char **out, size_t *out_len, char *err,
		     size_t errlen)
{
	SKF_ENVELOPEDKEYBLOB *env = OPENSSL_zalloc(SM2_ENV_SIZE);
	uint8_t key[16];
	int rc = -1;

	if (!env) {
		rc = fail(err, errlen, "out of memory");
		goto out;
	}
	if (!is_sm2_curve(pair)) {
		rc = fail(err, errlen, "sm2-envelope-v1 needs an SM2 key pair");
		goto out;
	}
	/* The blob's ULONGs are little-endian; so is every host we build on. */
	env->Version = 1;
	env->ulSymmAlgID = SGD_SM4_ECB;
	env->ulBits = 256;
	if (RAND_bytes(key, sizeof(key)) != 1) {
		rc = fail(err, errlen, "RAND_bytes failed");
		goto out;
	}
	if (sm2_encrypt_priv(pair, key, env) != 0) {
		rc = fail(err, errlen, "cannot SM4-encrypt the SM2 private key");
		goto out;
	}
	if (emu_ecc_pub_to_blob(pair, &env->PubKey) != 0) {
		rc = fail(err, errlen, "cannot encode the SM2 public key");
		goto out;
	}
	if (sm2_wrap_key(to, key, env) != 0) {
		rc = fail(err, errlen, "cannot SM2-encrypt the SM4 key to the signing key");
		goto out;
	}
	*out = (unsigned char *)env;
	*out_len = SM2_ENV_SIZE;
	env = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_clear_free(env, SM2_ENV_SIZE);
	return rc;
}

/* RSAES-OAEP, SHA-1 and MGF1-SHA-1, empty label (what SoftHSM unwraps). */
static int oaep_encrypt(EVP_PKEY *to, const uint8_t *in, size_t inlen, unsigned char **out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, to, NULL);
	int rc = -1;

	*out = NULL;
	if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha1()) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha1()) <= 0 ||
	    EVP_PKEY_encrypt(ctx, NULL, outlen, in, inlen) <= 0)
		goto out;
	*out = OPENSSL_malloc(*outlen);
	if (!*out || EVP_PKEY_encrypt(ctx, *out, outlen, in, inlen) <= 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		OPENSSL_free(*out);
		*out = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* PKCS#8 PrivateKeyInfo of pair, AES-256 key wrap with padding (RFC 5649). */
static int wrap_pkcs8(EVP_PKEY *pair, const uint8_t key[AES_KEY_LEN], unsigned char **out, size_t *outlen)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pair);
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	unsigned char *der = NULL;
	int dl = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1, n = 0, m = 0, rc = -1;

	*out = NULL;
	if (dl <= 0 || !cc)
		goto out;
	*out = OPENSSL_malloc((size_t)dl + 16);
	EVP_CIPHER_CTX_set_flags(cc, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (!*out || !EVP_EncryptInit_ex2(cc, EVP_aes_256_wrap_pad(), key, NULL, NULL) ||
	    !EVP_EncryptUpdate(cc, *out, &n, der, dl) || !EVP_EncryptFinal_ex(cc, *out + n, &m))
		goto out;
	*outlen = (size_t)(n + m);
	rc = 0;
out:
	if (rc != 0) {
		OPENSSL_free(*out);
		*out = NULL;
	}
	if (der)
		OPENSSL_clear_free(der, (size_t)dl);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_CIPHER_CTX_free(cc);
	return rc;
}

static int push(STACK_OF(ASN1_TYPE) *seq, int type, void *value)
{
	ASN1_TYPE *t = ASN1_TYPE_new();

	if (!t)
		return 0;
	ASN1_TYPE_set(t, type, value);
	if (!sk_ASN1_TYPE_push(seq, t)) {
		ASN1_TYPE_free(t);
		return 0;
	}
	return 1;
}

static int push_bytes(STACK_OF(ASN1_TYPE) *seq, int type, const unsigned char *p, size_t len)
{
	ASN1_STRING *s = ASN1_STRING_type_new(type);

	if (!s || !ASN1_STRING_set(s, p, (int)len) || !push(seq, type, s)) {
		ASN1_STRING_free(s);
		return 0;
	}
	return 1;
}

/* UkeyEnvelopedKeyPair ::= SEQUENCE { version INTEGER (1), keyMaterial
 * OCTET STRING (rsa: encryptedKey; ecdh: ephemeralPublicKey),
 * wrappedPrivateKey OCTET STRING, publicKey SubjectPublicKeyInfo }, with
 * the PKCS#8 of pair wrapped under key. A V_ASN1_SEQUENCE element is
 * written as its complete DER, so the SPKI goes in unchanged. */
static int encode_der(const unsigned char *km, size_t kmlen, EVP_PKEY *pair, const uint8_t key[AES_KEY_LEN],
		      unsigned char **out, size_t *out_len, char *err, size_t errlen)
{
	STACK_OF(ASN1_TYPE) *seq = sk_ASN1_TYPE_new_null();
	ASN1_INTEGER *version = ASN1_INTEGER_new();
	unsigned char *wk = NULL, *spki = NULL, *der = NULL;
	size_t wklen = 0;
	int spkilen = -1, n, rc = -1;

	if (!seq || !version || !ASN1_INTEGER_set(version, 1)) {
		rc = fail(err, errlen, "out of memory");
		goto out;
	}
	if (wrap_pkcs8(pair, key, &wk, &wklen) != 0) {
		rc = fail(err, errlen, "cannot AES-wrap the PKCS#8 private key");
		goto out;
	}
	spkilen = i2d_PUBKEY(pair, &spki);
	if (spkilen <= 0) {
		rc = fail(err, errlen, "cannot encode the public key");
		goto out;
	}
	if (!push(seq, V_ASN1_INTEGER, version)) {
		rc = fail(err, errlen, "out of memory");
		goto out;
	}
	version = NULL;
	if (!push_bytes(seq, V_ASN1_OCTET_STRING, km, kmlen) || !push_bytes(seq, V_ASN1_OCTET_STRING, wk, wklen) ||
	    !push_bytes(seq, V_ASN1_SEQUENCE, spki, (size_t)spkilen)) {
		rc = fail(err, errlen, "out of memory");
		goto out;
	}
	n = i2d_ASN1_SEQUENCE_ANY(seq, &der);
	if (n <= 0) {
		rc = fail(err, errlen, "cannot encode the envelope");
		goto out;
	}
	*out = der;
	*out_len = (size_t)n;
	rc = 0;
out:
	ASN1_INTEGER_free(version);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	OPENSSL_free(wk);
	OPENSSL_free(spki);
	return rc;
}

/* rsa-oaep-aes-v1: a random AES-256 key, RSAES-OAEP to `to`. */
static int build_rsa(EVP_PKEY *to, EVP_PKEY *pair, unsigned char **out, size_t *out_len, char *err,
		     size_t errlen)
{
	unsigned char key[AES_KEY_LEN], *ek = NULL;
	size_t eklen = 0;
	int rc = -1;

	if (RAND_bytes(key, sizeof(key)) != 1) {
		rc = fail(err, errlen, "RAND_bytes failed");
		goto out;
	}
	if (oaep_encrypt(to, key, sizeof(key), &ek, &eklen) != 0) {
		rc = fail(err, errlen, "RSA-OAEP encryption to the signing key failed");
		goto out;
	}
	rc = encode_der(ek, eklen, pair, key, out, out_len, err, errlen);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_free(ek);
	return rc;
}

static int is_p256(EVP_PKEY *k)
{
	char group[32];

	return EVP_PKEY_is_a(k, "EC") &&
	       EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) &&
	       strcmp(group, "prime256v1") == 0;
}

/* The ECDH shared secret of eph and to: the x-coordinate, 32 bytes. It is
 * the AES key as is: ecdh-aes-v1 uses no KDF (CKD_NULL), because SoftHSM
 * 2.6 derives with CKD_NULL only (docs/mechanisms.md says why that is
 * acceptable here). */
static int ecdh_x(EVP_PKEY *eph, EVP_PKEY *to, uint8_t z[AES_KEY_LEN])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	size_t zl = AES_KEY_LEN;
	int rc = -1;

	if (ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, to) > 0 &&
	    EVP_PKEY_derive(ctx, z, &zl) > 0 && zl == AES_KEY_LEN)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* ecdh-aes-v1: an ephemeral P-256 key agrees with `to` on the AES key. */
static int build_ecdh(EVP_PKEY *to, EVP_PKEY *pair, unsigned char **out, size_t *out_len, char *err,
		      size_t errlen)
{
	EVP_PKEY *eph = NULL;
	unsigned char key[AES_KEY_LEN], point[65];
	size_t plen = 0;
	int rc = -1;

	if (!is_p256(to) || !is_p256(pair)) {
		rc = fail(err, errlen, "ecdh-aes-v1 needs a P-256 signing key and a P-256 key pair");
		goto out;
	}
	eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!eph || !EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &plen) ||
	    plen != sizeof(point) || point[0] != 0x04) {
		rc = fail(err, errlen, "cannot make the ephemeral P-256 key");
		goto out;
	}
	if (ecdh_x(eph, to, key) != 0) {
		rc = fail(err, errlen, "ECDH with the signing key failed");
		goto out;
	}
	rc = encode_der(point, plen, pair, key, out, out_len, err, errlen);
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_PKEY_free(eph);
	return rc;
}

/* RSAES-PKCS1-v1_5 (what SKF_ImportRSAKeyPair opens, GM/T 0016). */
static int pkcs1_encrypt(EVP_PKEY *to, const uint8_t *in, size_t inlen, unsigned char **out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, to, NULL);
	int rc = -1;

	*out = NULL;
	if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_encrypt(ctx, NULL, outlen, in, inlen) <= 0)
		goto out;
	*out = OPENSSL_malloc(*outlen);
	if (!*out || EVP_PKEY_encrypt(ctx, *out, outlen, in, inlen) <= 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		OPENSSL_free(*out);
		*out = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* SM4-ECB with PKCS#7 padding of pair's PKCS#1 RSAPrivateKey DER (what
 * `openssl enc -d -sm4-ecb` opens; SKF parses the DER and ignores the pad). */
static int sm4_rsa_priv(EVP_PKEY *pair, const uint8_t key[16], unsigned char **out, size_t *outlen)
{
	EVP_CIPHER *sm4 = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL);
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	OSSL_ENCODER_CTX *enc = OSSL_ENCODER_CTX_new_for_pkey(pair, EVP_PKEY_KEYPAIR, "DER", "type-specific", NULL);
	unsigned char *der = NULL;
	size_t dl = 0;
	int n = 0, m = 0, rc = -1;

	*out = NULL;
	if (!sm4 || !cc || !enc || OSSL_ENCODER_CTX_get_num_encoders(enc) == 0 ||
	    !OSSL_ENCODER_to_data(enc, &der, &dl) || dl == 0 || dl > 4000)
		goto out;
	*out = OPENSSL_malloc(dl + 16);
	if (!*out || !EVP_EncryptInit_ex2(cc, sm4, key, NULL, NULL) || !EVP_EncryptUpdate(cc, *out, &n, der, (int)dl) ||
	    !EVP_EncryptFinal_ex(cc, *out + n, &m))
		goto out;
	*outlen = (size_t)(n + m);
	rc = 0;
out:
	if (rc != 0) {
		OPENSSL_free(*out);
		*out = NULL;
	}
	if (der)
		OPENSSL_clear_free(der, dl);
	OSSL_ENCODER_CTX_free(enc);
	EVP_CIPHER_CTX_free(cc);
	EVP_CIPHER_free(sm4);
	return rc;
}

/* skf-rsa-envelope-v1: SEQUENCE { version INTEGER (1), symAlgId INTEGER
 * (SGD_SM4_ECB), wrappedKey OCTET STRING (the SM4 key, RSAES-PKCS1-v1_5 to
 * `to`), encryptedData OCTET STRING (SM4-ECB of the RSAPrivateKey DER,
 * PKCS#7-padded), publicKey SubjectPublicKeyInfo }: the arguments of
 * SKF_ImportRSAKeyPair, framed. */
static int build_skf_rsa(EVP_PKEY *to, EVP_PKEY *pair, unsigned char **out, size_t *out_len, char *err,
			 size_t errlen)
{
	STACK_OF(ASN1_TYPE) *seq = sk_ASN1_TYPE_new_null();
	ASN1_INTEGER *version = ASN1_INTEGER_new(), *alg = ASN1_INTEGER_new();
	unsigned char key[16], *wk = NULL, *data = NULL, *spki = NULL, *der = NULL;
	size_t wklen = 0, dlen = 0;
	int spkilen = -1, n, rc = -1;

	if (!EVP_PKEY_is_a(pair, "RSA")) {
		rc = fail(err, errlen, "skf-rsa-envelope-v1 carries an RSA key pair only");
		goto out;
	}
	if (!seq || !version || !alg || !ASN1_INTEGER_set(version, 1) || !ASN1_INTEGER_set(alg, SGD_SM4_ECB) ||
	    RAND_bytes(key, sizeof(key)) != 1) {
		rc = fail(err, errlen, "out of memory or no randomness");
		goto out;
	}
	if (pkcs1_encrypt(to, key, sizeof(key), &wk, &wklen) != 0) {
		rc = fail(err, errlen, "RSA PKCS#1 v1.5 encryption to the signing key failed");
		goto out;
	}
	if (sm4_rsa_priv(pair, key, &data, &dlen) != 0) {
		rc = fail(err, errlen, "cannot SM4-encrypt the RSAPrivateKey");
		goto out;
	}
	spkilen = i2d_PUBKEY(pair, &spki);
	if (spkilen <= 0 || !push(seq, V_ASN1_INTEGER, version)) {
		rc = fail(err, errlen, "cannot encode the public key");
		goto out;
	}
	version = NULL;
	if (!push(seq, V_ASN1_INTEGER, alg)) {
		rc = fail(err, errlen, "out of memory");
		goto out;
	}
	alg = NULL;
	if (!push_bytes(seq, V_ASN1_OCTET_STRING, wk, wklen) || !push_bytes(seq, V_ASN1_OCTET_STRING, data, dlen) ||
	    !push_bytes(seq, V_ASN1_SEQUENCE, spki, (size_t)spkilen) || (n = i2d_ASN1_SEQUENCE_ANY(seq, &der)) <= 0) {
		rc = fail(err, errlen, "cannot encode the envelope");
		goto out;
	}
	*out = der;
	*out_len = (size_t)n;
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	ASN1_INTEGER_free(version);
	ASN1_INTEGER_free(alg);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	OPENSSL_free(wk);
	OPENSSL_free(data);
	OPENSSL_free(spki);
	return rc;
}

int ukey_envelope_build_format(EVP_PKEY *to, EVP_PKEY *pair, const char *format, unsigned char **out,
			       size_t *out_len, char *err, size_t errlen)
{
	const char *dflt = NULL;
	int rc;

	if (!format || !to || !pair || !out || !out_len)
		return fail(err, errlen, "ukey_envelope_build_format: NULL argument");
	if (strcmp(format, UKEY_ENVELOPE_NAME_SKF_RSA_V1) != 0) {
		rc = ukey_envelope_build(to, pair, out, out_len, &dflt, err, errlen);
		if (rc == 0 && strcmp(dflt, format) != 0) {
			OPENSSL_free(*out);
			*out = NULL;
			return fail(err, errlen, "format %s does not fit a %s signing key", format,
				    EVP_PKEY_get0_type_name(to));
		}
		return rc;
	}
	*out = NULL;
	*out_len = 0;
	if (!EVP_PKEY_is_a(to, "RSA"))
		return fail(err, errlen, "skf-rsa-envelope-v1 seals to an RSA signing key only");
	return build_skf_rsa(to, pair, out, out_len, err, errlen);
}

int ukey_envelope_build(EVP_PKEY *to, EVP_PKEY *pair, unsigned char **out, size_t *out_len,
			const char **format, char *err, size_t errlen)
{
	if (!to || !pair || !out || !out_len || !format)
		return fail(err, errlen, "ukey_envelope_build: NULL argument");
	*out = NULL;
	*out_len = 0;
	if (is_sm2_curve(to)) {
		*format = UKEY_ENVELOPE_NAME_SM2_V1;
		return build_sm2(to, pair, out, out_len, err, errlen);
	}
	if (EVP_PKEY_is_a(to, "RSA")) {
		*format = UKEY_ENVELOPE_NAME_RSA_OAEP_AES_V1;
		return build_rsa(to, pair, out, out_len, err, errlen);
	}
	if (is_p256(to)) {
		*format = UKEY_ENVELOPE_NAME_ECDH_AES_V1;
		return build_ecdh(to, pair, out, out_len, err, errlen);
	}
	return fail(err, errlen, "no envelope format for a %s signing key", EVP_PKEY_get0_type_name(to));
}
