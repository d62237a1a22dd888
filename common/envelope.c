/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Envelopes (envelope.h): the formats (one ASN.1 template for the DER
 * ones), the parser the module checks an envelope with, and the builder:
 * the cryptography that makes each format's parts, written out with
 * skfblob.h (sm2-envelope-v1) or the template. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "der-strict.h"
#include "envelope.h"
#include "sm2cipher.h"

#define AES_KEY_LEN 32
#define SM4_KEY_LEN UKC_SKF_ENVELOPE_CIPHER_LEN

/* UkeyEnvelopedKeyPair (rsa-oaep-aes-v1, ecdh-aes-v1) and SkfRsaEnvelope
 * (skf-rsa-envelope-v1) in one template: they differ only by symAlgId, an
 * INTEGER where the other has the first OCTET STRING, so it is OPTIONAL
 * here and the parser checks it is present in SkfRsaEnvelope only. */
typedef struct {
	ASN1_INTEGER *version;
	ASN1_INTEGER *sym_alg;   /* symAlgId */
	ASN1_OCTET_STRING *key;  /* keyMaterial, wrappedKey */
	ASN1_OCTET_STRING *data; /* wrappedPrivateKey, encryptedData */
	X509_PUBKEY *pub;        /* publicKey */
} UKC_ENVELOPE_DER;

ASN1_SEQUENCE(UKC_ENVELOPE_DER) = {
	ASN1_SIMPLE(UKC_ENVELOPE_DER, version, ASN1_INTEGER),
	ASN1_OPT(UKC_ENVELOPE_DER, sym_alg, ASN1_INTEGER),
	ASN1_SIMPLE(UKC_ENVELOPE_DER, key, ASN1_OCTET_STRING),
	ASN1_SIMPLE(UKC_ENVELOPE_DER, data, ASN1_OCTET_STRING),
	ASN1_SIMPLE(UKC_ENVELOPE_DER, pub, X509_PUBKEY),
} static_ASN1_SEQUENCE_END(UKC_ENVELOPE_DER)

/* The lengths each format can have: an envelope outside them is refused
 * before anything else. */
static const struct {
	int format;
	const char *name;
	size_t min, max;
} formats[] = {
	{ UKC_ENVELOPE_SM2_V1, UKC_ENVELOPE_NAME_SM2_V1, UKC_SKF_ENVELOPE_LEN, UKC_SKF_ENVELOPE_LEN },
	/* at least the DER frame of a 1024-bit key's pieces, at most what a
	 * 4096-bit key pair needs with room to spare */
	{ UKC_ENVELOPE_RSA_OAEP_AES_V1, UKC_ENVELOPE_NAME_RSA_OAEP_AES_V1, 128, 16384 },
	/* about 310 bytes for a P-256 pair (65-byte point, wrapped PKCS#8,
	 * 91-byte SPKI); the bounds leave room for DER variants */
	{ UKC_ENVELOPE_ECDH_AES_V1, UKC_ENVELOPE_NAME_ECDH_AES_V1, 128, 2048 },
	/* a 1024-bit pair takes about 900 bytes, a 2048-bit one about 1.7 KiB
	 * (SKF devices hold RSA keys up to 2048 bits) */
	{ UKC_ENVELOPE_SKF_RSA_V1, UKC_ENVELOPE_NAME_SKF_RSA_V1, 256, 8192 },
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const char *ukc_envelope_name(int format)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (formats[i].format == format)
			return formats[i].name;
	return NULL;
}

int ukc_envelope_format(const char *name)
{
	for (size_t i = 0; name && i < NFORMATS; i++)
		if (strcmp(formats[i].name, name) == 0)
			return formats[i].format;
	return 0;
}

static bool is_p256(EVP_PKEY *k)
{
	char group[32];
	return k && EVP_PKEY_is_a(k, "EC") &&
	       EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) &&
	       strcmp(group, "prime256v1") == 0;
}

/* An uncompressed point on `group` as a public key; NULL when it is not
 * one (OpenSSL checks the curve on import). */
static EVP_PKEY *point_key(const char *type, const char *group, const uint8_t *pt, size_t len)
{
	OSSL_PARAM par[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;

	if (len != UKC_SKF_POINT_LEN || pt[0] != 0x04)
		return NULL;
	par[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	par[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, len);
	par[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, par) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static int refuse(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -1;
}

static int parse_sm2(const uint8_t *env, size_t len, struct ukc_envelope *e, const char **why)
{
	int rc = ukc_skf_envelope_unpack(env, len, e->point, why);

	if (rc != 0)
		return rc;
	e->pub = point_key("SM2", "SM2", e->point, sizeof(e->point));
	return e->pub ? 0 : refuse(why, "the SM2 public key cannot be imported");
}

/* skf-rsa-envelope-v1: what SKF_ImportRSAKeyPair takes (GM/T 0016): an SM4
 * key, the RSAPrivateKey of a pair of up to 2048 bits (about 1.2 KiB)
 * encrypted in whole blocks, and a publicKey that fits an RSAPUBLICKEYBLOB. */
static int check_skf_rsa(const UKC_ENVELOPE_DER *v, struct ukc_envelope *e, const char **why)
{
	BIGNUM *n = NULL, *x = NULL;
	bool ok;

	if (ASN1_INTEGER_get(v->sym_alg) != SGD_SM4_ECB)
		return refuse(why, "symAlgId is not SGD_SM4_ECB");
	if (e->key_len < 64 || e->key_len > 512 || e->data_len < 16 || e->data_len > 4096 || e->data_len % 16)
		return refuse(why, "wrappedKey or encryptedData of a length SKF cannot take");
	ok = EVP_PKEY_is_a(e->pub, "RSA") && EVP_PKEY_get_bn_param(e->pub, OSSL_PKEY_PARAM_RSA_N, &n) &&
	     EVP_PKEY_get_bn_param(e->pub, OSSL_PKEY_PARAM_RSA_E, &x) && BN_num_bytes(n) <= 256 && BN_num_bytes(x) <= 4;
	BN_free(n);
	BN_free(x);
	return ok ? 0 : refuse(why, "publicKey is not an RSA key of at most 2048 bits");
}

/* The DER formats: the parts, and a publicKey of the format's type; the
 * ephemeral point of ecdh-aes-v1 on its curve. */
static int parse_der(const uint8_t *env, size_t len, struct ukc_envelope *e, const char **why)
{
	UKC_ENVELOPE_DER *v = (UKC_ENVELOPE_DER *)ukc_der_decode(ASN1_ITEM_rptr(UKC_ENVELOPE_DER), env, len, why);
	bool skf = e->format == UKC_ENVELOPE_SKF_RSA_V1, ok;
	EVP_PKEY *eph;

	if (!v)
		return -1;
	e->asn1 = v;
	if (ASN1_INTEGER_get(v->version) != 1)
		return refuse(why, "version is not 1");
	if (skf != (v->sym_alg != NULL))
		return refuse(why, skf ? "no symAlgId" : "a symAlgId, which only skf-rsa-envelope-v1 has");
	e->key = ASN1_STRING_get0_data(v->key);
	e->key_len = (size_t)ASN1_STRING_length(v->key);
	e->data = ASN1_STRING_get0_data(v->data);
	e->data_len = (size_t)ASN1_STRING_length(v->data);
	e->pub = X509_PUBKEY_get(v->pub);
	if (!e->key_len || !e->data_len || !e->pub)
		return refuse(why, "an empty part, or a publicKey OpenSSL cannot read");
	if (skf)
		return check_skf_rsa(v, e, why);
	if (e->format == UKC_ENVELOPE_RSA_OAEP_AES_V1)
		return EVP_PKEY_is_a(e->pub, "RSA") ? 0 : refuse(why, "publicKey is not an RSA key");
	eph = point_key("EC", "prime256v1", e->key, e->key_len);
	ok = eph && is_p256(e->pub);
	EVP_PKEY_free(eph);
	return ok ? 0 : refuse(why, "the ephemeral point or publicKey is not on P-256");
}

int ukc_envelope_parse(int format, const uint8_t *env, size_t len, struct ukc_envelope *e, const char **why)
{
	size_t i = 0;

	memset(e, 0, sizeof(*e));
	e->format = format;
	while (i < NFORMATS && formats[i].format != format)
		i++;
	if (i == NFORMATS)
		return refuse(why, "unknown envelope format");
	if (!env || len < formats[i].min || len > formats[i].max) {
		if (why)
			*why = "a length the format cannot have";
		return 1;
	}
	return format == UKC_ENVELOPE_SM2_V1 ? parse_sm2(env, len, e, why) : parse_der(env, len, e, why);
}

void ukc_envelope_clear(struct ukc_envelope *e)
{
	ASN1_item_free(e->asn1, ASN1_ITEM_rptr(UKC_ENVELOPE_DER));
	EVP_PKEY_free(e->pub);
	memset(e, 0, sizeof(*e));
}

/* ---- building ---- */

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

/* The end of a function that makes *out: on failure, nothing is left. */
static int made(bool ok, unsigned char **out)
{
	if (!ok) {
		OPENSSL_free(*out);
		*out = NULL;
	}
	return ok ? 0 : -1;
}

/* Encrypts in (a fresh key) to `to`: SM2 (the DER SM2Cipher), or RSA with
 * `padding` (OAEP: SHA-1 and MGF1-SHA-1, empty label, what SoftHSM
 * unwraps). *out is OPENSSL_malloc'd. OpenSSL encrypts with SM2 only
 * through an "SM2"-typed key; an "EC" key on the SM2 curve (as some
 * loaders give) is re-imported as one. */
static int encrypt_to(EVP_PKEY *to, int padding, const uint8_t *in, size_t inlen, unsigned char **out,
		      size_t *outlen)
{
	uint8_t pt[UKC_SKF_POINT_LEN];
	size_t plen = 0;
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx;
	bool ok;

	*out = NULL;
	if (padding == 0 && !EVP_PKEY_is_a(to, "SM2")) {
		if (EVP_PKEY_get_octet_string_param(to, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &plen))
			k = point_key("SM2", "SM2", pt, plen);
	} else if (EVP_PKEY_up_ref(to)) {
		k = to;
	}
	ctx = k ? EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL) : NULL;
	ok = ctx && EVP_PKEY_encrypt_init(ctx) > 0 && (!padding || EVP_PKEY_CTX_set_rsa_padding(ctx, padding) > 0) &&
	     (padding != RSA_PKCS1_OAEP_PADDING || (EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha1()) > 0 &&
						    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha1()) > 0)) &&
	     EVP_PKEY_encrypt(ctx, NULL, outlen, in, inlen) > 0 && (*out = OPENSSL_malloc(*outlen)) &&
	     EVP_PKEY_encrypt(ctx, *out, outlen, in, inlen) > 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	return made(ok, out);
}

/* Symmetric encryption of in under key: cipher "SM4-ECB" (PKCS#7 padding
 * unless nopad) or "id-aes256-wrap-pad". */
static int sym_encrypt(const char *cipher, bool nopad, const uint8_t *key, const uint8_t *in, size_t inlen,
		       unsigned char **out, size_t *outlen)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cipher, NULL);
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;
	bool ok;

	*out = NULL;
	if (cc)
		EVP_CIPHER_CTX_set_flags(cc, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	ok = c && cc && inlen <= 8192 && (*out = OPENSSL_malloc(inlen + 16)) &&
	     EVP_EncryptInit_ex2(cc, c, key, NULL, NULL) && (!nopad || EVP_CIPHER_CTX_set_padding(cc, 0)) &&
	     EVP_EncryptUpdate(cc, *out, &n, in, (int)inlen) && EVP_EncryptFinal_ex(cc, *out + n, &m);
	*outlen = (size_t)(n + m);
	EVP_CIPHER_CTX_free(cc);
	EVP_CIPHER_free(c);
	return made(ok, out);
}

/* sm2-envelope-v1: the SM2 private scalar, right-aligned in a 64-byte
 * field, SM4-ECB under a fresh key, which goes SM2-encrypted to `to`.
 * These builders give NULL, or what failed. */
static const char *build_sm2(EVP_PKEY *to, EVP_PKEY *pair, unsigned char **out, size_t *out_len)
{
	uint8_t key[SM4_KEY_LEN], field[64] = { 0 }, point[UKC_SKF_POINT_LEN];
	unsigned char *enc = NULL, *ct = NULL;
	size_t enclen = 0, ctlen = 0, plen = 0, bloblen = 0;
	SKF_ECCCIPHERBLOB *blob = NULL;
	BIGNUM *d = NULL;
	const char *what = NULL;

	if (!is_sm2_curve(pair))
		what = "sm2-envelope-v1 needs an SM2 key pair";
	else if (RAND_bytes(key, sizeof(key)) != 1)
		what = "RAND_bytes failed";
	else if (!EVP_PKEY_get_bn_param(pair, OSSL_PKEY_PARAM_PRIV_KEY, &d) || BN_bn2binpad(d, field + 32, 32) != 32 ||
		 sym_encrypt("SM4-ECB", true, key, field, sizeof(field), &enc, &enclen) != 0 || enclen != sizeof(field))
		what = "cannot SM4-encrypt the SM2 private key";
	else if (!EVP_PKEY_get_octet_string_param(pair, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &plen) ||
		 plen != sizeof(point))
		what = "cannot encode the SM2 public key";
	else if (encrypt_to(to, 0, key, sizeof(key), &ct, &ctlen) != 0 ||
		 ukc_sm2cipher_to_skf(ct, ctlen, &blob, &bloblen, NULL) != 0)
		what = "cannot SM2-encrypt the SM4 key to the signing key";
	/* The blob's ULONGs are little-endian; so is every host we build on. */
	else if (!(*out = OPENSSL_zalloc(UKC_SKF_ENVELOPE_LEN)) ||
		 ukc_skf_envelope_pack(enc, point, blob, bloblen, *out) != 0)
		what = "cannot write the enveloped key blob";
	else
		*out_len = UKC_SKF_ENVELOPE_LEN;
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(field, sizeof(field));
	BN_clear_free(d);
	OPENSSL_free(enc);
	OPENSSL_free(ct);
	OPENSSL_free(blob);
	made(what == NULL, out);
	return what;
}

/* The private key of pair as DER: PKCS#8 PrivateKeyInfo, or the PKCS#1
 * RSAPrivateKey. *out is OPENSSL_malloc'd; the caller wipes it. */
static int private_der(EVP_PKEY *pair, bool pkcs8, unsigned char **out, size_t *outlen)
{
	OSSL_ENCODER_CTX *enc = OSSL_ENCODER_CTX_new_for_pkey(pair, EVP_PKEY_KEYPAIR, "DER",
							       pkcs8 ? "PrivateKeyInfo" : "type-specific", NULL);
	int ok = enc && OSSL_ENCODER_CTX_get_num_encoders(enc) > 0 && OSSL_ENCODER_to_data(enc, out, outlen) &&
		 *outlen > 0 && *outlen <= 4000;

	OSSL_ENCODER_CTX_free(enc);
	return ok ? 0 : -1;
}

/* A DER envelope from its parts: keyMaterial km, the private key of pair
 * encrypted under key, pair's publicKey. pkcs8 (rsa-oaep-aes-v1,
 * ecdh-aes-v1): the PKCS#8 under AES-256 key wrap with padding (RFC 5649);
 * otherwise (skf-rsa-envelope-v1, with symAlgId): the PKCS#1 RSAPrivateKey
 * SM4-ECB encrypted with PKCS#7 padding (what `openssl enc -d -sm4-ecb`
 * opens; SKF parses the DER and ignores the pad). */
static const char *encode_der(const unsigned char *km, size_t kmlen, EVP_PKEY *pair, bool pkcs8, const uint8_t *key,
			      unsigned char **out, size_t *out_len)
{
	UKC_ENVELOPE_DER *v = (UKC_ENVELOPE_DER *)ASN1_item_new(ASN1_ITEM_rptr(UKC_ENVELOPE_DER));
	unsigned char *der = NULL, *data = NULL;
	size_t derlen = 0, dlen = 0;
	const char *what = NULL;
	int n;

	if (!v || !ASN1_INTEGER_set(v->version, 1) || !ASN1_OCTET_STRING_set(v->key, km, (int)kmlen) ||
	    (!pkcs8 && (!(v->sym_alg = ASN1_INTEGER_new()) || !ASN1_INTEGER_set(v->sym_alg, SGD_SM4_ECB))))
		what = "out of memory";
	else if (private_der(pair, pkcs8, &der, &derlen) != 0 ||
		 sym_encrypt(pkcs8 ? "id-aes256-wrap-pad" : "SM4-ECB", false, key, der, derlen, &data, &dlen) != 0 ||
		 !ASN1_OCTET_STRING_set(v->data, data, (int)dlen))
		what = pkcs8 ? "cannot AES-wrap the PKCS#8 private key" : "cannot SM4-encrypt the RSAPrivateKey";
	else if (!X509_PUBKEY_set(&v->pub, pair) ||
		 (n = ASN1_item_i2d((ASN1_VALUE *)v, out, ASN1_ITEM_rptr(UKC_ENVELOPE_DER))) <= 0)
		what = "cannot encode the envelope";
	else
		*out_len = (size_t)n;
	if (der)
		OPENSSL_clear_free(der, derlen);
	OPENSSL_free(data);
	ASN1_item_free((ASN1_VALUE *)v, ASN1_ITEM_rptr(UKC_ENVELOPE_DER));
	return what;
}

/* rsa-oaep-aes-v1: a fresh AES-256 key, RSAES-OAEP to `to`.
 * skf-rsa-envelope-v1: a fresh SM4 key, RSAES-PKCS1-v1_5 to `to` (what
 * SKF_ImportRSAKeyPair opens), for an RSA pair. */
static const char *build_rsa(EVP_PKEY *to, EVP_PKEY *pair, bool skf, unsigned char **out, size_t *out_len)
{
	unsigned char key[AES_KEY_LEN], *ek = NULL;
	size_t klen = skf ? SM4_KEY_LEN : AES_KEY_LEN, eklen = 0;
	const char *what;

	if (skf && !EVP_PKEY_is_a(pair, "RSA"))
		what = "skf-rsa-envelope-v1 carries an RSA key pair only";
	else if (RAND_bytes(key, (int)klen) != 1)
		what = "RAND_bytes failed";
	else if (encrypt_to(to, skf ? RSA_PKCS1_PADDING : RSA_PKCS1_OAEP_PADDING, key, klen, &ek, &eklen) != 0)
		what = skf ? "RSA PKCS#1 v1.5 encryption to the signing key failed"
			   : "RSA-OAEP encryption to the signing key failed";
	else
		what = encode_der(ek, eklen, pair, !skf, key, out, out_len);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_free(ek);
	return what;
}

/* ecdh-aes-v1: an ephemeral P-256 key agrees with `to` on the AES key: the
 * shared x-coordinate as is, no KDF (CKD_NULL), because SoftHSM 2.6
 * derives with CKD_NULL only (docs/mechanisms.md says why that is
 * acceptable here). */
static const char *build_ecdh(EVP_PKEY *to, EVP_PKEY *pair, unsigned char **out, size_t *out_len)
{
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char key[AES_KEY_LEN], point[UKC_SKF_POINT_LEN];
	size_t plen = 0, zl = AES_KEY_LEN;
	const char *what;

	if (!is_p256(to) || !is_p256(pair))
		what = "ecdh-aes-v1 needs a P-256 signing key and a P-256 key pair";
	else if (!(eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) ||
		 !EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &plen) ||
		 plen != sizeof(point) || point[0] != 0x04)
		what = "cannot make the ephemeral P-256 key";
	else if (!(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL)) || EVP_PKEY_derive_init(ctx) <= 0 ||
		 EVP_PKEY_derive_set_peer(ctx, to) <= 0 || EVP_PKEY_derive(ctx, key, &zl) <= 0 || zl != AES_KEY_LEN)
		what = "ECDH with the signing key failed";
	else
		what = encode_der(point, plen, pair, true, key, out, out_len);
	OPENSSL_cleanse(key, sizeof(key));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(eph);
	return what;
}

int ukc_envelope_build_format(EVP_PKEY *to, EVP_PKEY *pair, const char *format, unsigned char **out,
			      size_t *out_len, char *err, size_t errlen)
{
	const char *dflt = NULL;
	int rc;

	if (!format || !to || !pair || !out || !out_len)
		return fail(err, errlen, "ukc_envelope_build_format: NULL argument");
	if (strcmp(format, UKC_ENVELOPE_NAME_SKF_RSA_V1) != 0) {
		rc = ukc_envelope_build(to, pair, out, out_len, &dflt, err, errlen);
		if (rc == 0 && strcmp(dflt, format) != 0) {
			made(false, out);
			return fail(err, errlen, "format %s does not fit a %s signing key", format,
				    EVP_PKEY_get0_type_name(to));
		}
		return rc;
	}
	*out = NULL;
	*out_len = 0;
	if (!EVP_PKEY_is_a(to, "RSA"))
		return fail(err, errlen, "skf-rsa-envelope-v1 seals to an RSA signing key only");
	dflt = build_rsa(to, pair, true, out, out_len);
	return dflt ? fail(err, errlen, "%s", dflt) : 0;
}

int ukc_envelope_build(EVP_PKEY *to, EVP_PKEY *pair, unsigned char **out, size_t *out_len, const char **format,
		       char *err, size_t errlen)
{
	const char *what;

	if (!to || !pair || !out || !out_len || !format)
		return fail(err, errlen, "ukc_envelope_build: NULL argument");
	*out = NULL;
	*out_len = 0;
	if (is_sm2_curve(to)) {
		*format = UKC_ENVELOPE_NAME_SM2_V1;
		what = build_sm2(to, pair, out, out_len);
	} else if (EVP_PKEY_is_a(to, "RSA")) {
		*format = UKC_ENVELOPE_NAME_RSA_OAEP_AES_V1;
		what = build_rsa(to, pair, false, out, out_len);
	} else if (is_p256(to)) {
		*format = UKC_ENVELOPE_NAME_ECDH_AES_V1;
		what = build_ecdh(to, pair, out, out_len);
	} else {
		return fail(err, errlen, "no envelope format for a %s signing key", EVP_PKEY_get0_type_name(to));
	}
	return what ? fail(err, errlen, "%s", what) : 0;
}
