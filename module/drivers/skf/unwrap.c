/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CKM_UKEY_ENVELOPED_KEY_PAIR on an SKF backend: the sm2-envelope-v1
 * envelope is exactly GM/T 0016's SKF_ENVELOPEDKEYBLOB, which
 * SKF_ImportECCKeyPair opens inside the device with the container's
 * signing key and stores as the container's encryption key pair. The
 * skf-rsa-envelope-v1 envelope (RSA containers) is a DER frame around the
 * arguments of SKF_ImportRSAKeyPair, which does the same. The new
 * objects are that pair, with the container's CKA_ID rule (docs/skf.md):
 * the template's CKA_ID and CKA_LABEL cannot be stored.
 *
 * A container's existing encryption pair is never overwritten (renewal
 * keeps old encryption keys); the same pair imported again (a renewal
 * step run twice) succeeds without a device call. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

#define SM2_ENV_CIPHER_LEN 16
#define SM2_ENV_LEN (offsetof(SKF_ENVELOPEDKEYBLOB, ECCCipherBlob) + SKF_ECCCIPHERBLOB_HEADER + SM2_ENV_CIPHER_LEN)
/* skf-rsa-envelope-v1: a 1024-bit pair takes about 900 bytes, a 2048-bit
 * one about 1.7 KiB (SKF devices hold RSA keys up to 2048 bits). */
#define RSA_ENV_MIN 256
#define RSA_ENV_MAX 8192

/* The header fields GM/T 0016 fixes for an SM2 pair under SM4, and the
 * encryption public key as a point (which must lie on the curve). */
static CK_RV env_check(const SKF_ENVELOPEDKEYBLOB *env, CK_ULONG len, uint8_t point[UKEY_SKF_POINT_LEN])
{
	if (len != SM2_ENV_LEN || env->ECCCipherBlob.CipherLen != SM2_ENV_CIPHER_LEN)
		return CKR_WRAPPED_KEY_LEN_RANGE;
	if (env->Version != 1 || env->ulSymmAlgID != SGD_SM4_ECB || env->ulBits != 256)
		return CKR_WRAPPED_KEY_INVALID;
	if (ukey_skf_blob_ecc_pub_decode((const uint8_t *)&env->PubKey, sizeof(env->PubKey), point) != 0)
		return CKR_WRAPPED_KEY_INVALID;
	return CKR_OK;
}

/* The SAR codes that judge the envelope rather than the device or session. */
static CK_RV import_rv(struct skf_dev *d, const char *fn, SKF_ULONG raw)
{
	CK_RV rv = ukey_skf_note_inlock(d, fn, raw);
	switch (raw) {
	case SAR_INDATAERR:
	case SAR_HASHNOTEQUALERR:
	case SAR_DECRYPTPADERR:
	case SAR_RSADECERR:
	case SAR_FAIL:
		return CKR_WRAPPED_KEY_INVALID;
	case SAR_INDATALENERR:
		return CKR_WRAPPED_KEY_LEN_RANGE;
	case SAR_KEYNOTFOUNTERR:
	case SAR_KEYUSAGEERR:
		return CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
	default:
		return rv;
	}
}

/* The unwrapping key: a container's signing private key, RSA or SM2. */
static CK_RV signing_container(struct skf_dev *d, ukey_ref key, bool rsa, const struct skf_container **c)
{
	enum skf_kind kind;
	int usage;
	ukey_skf_ref_split(key, &kind, &usage);
	*c = kind == SKF_K_PRIV ? ukey_skf_container(d, SKF_REF_ID(key)) : NULL;
	if (!*c || !(*c)->pair[usage].has_key)
		return CKR_UNWRAPPING_KEY_HANDLE_INVALID;
	if (d->login != CKU_USER)
		return CKR_USER_NOT_LOGGED_IN;
	if (usage != SKF_SIGN || (*c)->rsa != rsa)
		return CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
	return CKR_OK;
}

static CK_RV import_inlock(struct ukey_skf *s, struct skf_dev *d, ukey_ref key, const SKF_ENVELOPEDKEYBLOB *env,
			   const uint8_t point[UKEY_SKF_POINT_LEN], ukey_ref *pub_out, ukey_ref *priv_out)
{
	const struct skf_container *c;
	char name[SKF_NAME_MAX + 1];
	uint32_t id;
	SKF_HANDLE h = NULL;
	CK_RV rv = ukey_skf_scan_inlock(s, d);

	if (rv == CKR_OK)
		rv = signing_container(d, key, false, &c);
	if (rv != CKR_OK)
		return rv;
	id = c->id;
	if (c->pair[SKF_ENC].has_key) {
		if (memcmp(c->pair[SKF_ENC].point, point, UKEY_SKF_POINT_LEN) != 0) {
			ukey_warn("SKF device %s: container %s has an encryption key pair already; not replaced",
				  d->name, c->name);
			return CKR_ACTION_PROHIBITED;
		}
		goto done;
	}
	if (!SKF_HAS(s, SKF_ImportECCKeyPair))
		return CKR_FUNCTION_NOT_SUPPORTED;
	memcpy(name, c->name, sizeof(name));
	rv = ukey_skf_container_open(s, d, name, &h);
	if (rv != CKR_OK)
		return rv;
	rv = import_rv(d, "SKF_ImportECCKeyPair", SKF_RAW(s, SKF_ImportECCKeyPair, h, env));
	ukey_skf_container_close(s, h);
	ukey_skf_container_touched(d, name);
	if (rv != CKR_OK)
		return rv;
	ukey_info("SKF device %s: encryption key pair imported into container %s", d->name, name);
	rv = ukey_skf_scan_inlock(s, d);
	c = rv == CKR_OK ? ukey_skf_container(d, id) : NULL;
	if (rv == CKR_OK && (!c || !c->pair[SKF_ENC].has_key ||
			     memcmp(c->pair[SKF_ENC].point, point, UKEY_SKF_POINT_LEN) != 0))
		rv = CKR_FUNCTION_FAILED;
	if (rv != CKR_OK)
		return rv;
done:
	*pub_out = SKF_REF(SKF_K_PUB, SKF_ENC, id);
	*priv_out = SKF_REF(SKF_K_PRIV, SKF_ENC, id);
	return CKR_OK;
}

/* ---- skf-rsa-envelope-v1: SEQUENCE { version INTEGER (1), symAlgId
 * INTEGER (SGD_SM4_ECB), wrappedKey OCTET STRING, encryptedData OCTET
 * STRING, publicKey SubjectPublicKeyInfo } (docs/mechanisms.md). */

struct rsa_env {
	STACK_OF(ASN1_TYPE) *seq;
	const uint8_t *wk, *data;
	size_t wklen, dlen;
	BIGNUM *n, *e; /* publicKey */
};

static void rsa_env_free(struct rsa_env *r)
{
	sk_ASN1_TYPE_pop_free(r->seq, ASN1_TYPE_free);
	BN_free(r->n);
	BN_free(r->e);
}

static const ASN1_STRING *elem(STACK_OF(ASN1_TYPE) *seq, int i, int type)
{
	const ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);
	return t && t->type == type ? t->value.asn1_string : NULL;
}

static CK_RV rsa_env_parse(const CK_BYTE *env, CK_ULONG len, struct rsa_env *r)
{
	const unsigned char *p = env, *q;
	const ASN1_STRING *v, *alg, *wk, *data, *spki;
	EVP_PKEY *pub = NULL;
	long version = 0, algid = 0;
	CK_RV rv = CKR_WRAPPED_KEY_INVALID;

	r->seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
	if (!r->seq || p != env + len || sk_ASN1_TYPE_num(r->seq) != 5)
		goto out;
	v = elem(r->seq, 0, V_ASN1_INTEGER);
	alg = elem(r->seq, 1, V_ASN1_INTEGER);
	wk = elem(r->seq, 2, V_ASN1_OCTET_STRING);
	data = elem(r->seq, 3, V_ASN1_OCTET_STRING);
	spki = elem(r->seq, 4, V_ASN1_SEQUENCE);
	if (!v || !alg || !wk || !data || !spki)
		goto out;
	version = ASN1_INTEGER_get(v);
	algid = ASN1_INTEGER_get(alg);
	/* GM/T 0016: the symmetric key is an SM4 key; the RSAPrivateKey of a
	 * 2048-bit pair is about 1.2 KiB, encrypted in whole blocks. */
	if (version != 1 || algid != SGD_SM4_ECB || ASN1_STRING_length(wk) < 64 || ASN1_STRING_length(wk) > 512 ||
	    ASN1_STRING_length(data) < 16 || ASN1_STRING_length(data) > 4096 || ASN1_STRING_length(data) % 16)
		goto out;
	q = ASN1_STRING_get0_data(spki);
	pub = d2i_PUBKEY(NULL, &q, ASN1_STRING_length(spki));
	if (!pub || q != ASN1_STRING_get0_data(spki) + ASN1_STRING_length(spki) || !EVP_PKEY_is_a(pub, "RSA") ||
	    !EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &r->n) ||
	    !EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &r->e) || BN_num_bytes(r->n) > 256 ||
	    BN_num_bytes(r->e) > 4)
		goto out;
	r->wk = ASN1_STRING_get0_data(wk);
	r->wklen = (size_t)ASN1_STRING_length(wk);
	r->data = ASN1_STRING_get0_data(data);
	r->dlen = (size_t)ASN1_STRING_length(data);
	rv = CKR_OK;
out:
	EVP_PKEY_free(pub);
	return rv;
}

/* The container's encryption pair is the envelope's (modulus, exponent). */
static bool rsa_same(const struct skf_pair *p, const struct rsa_env *r)
{
	BIGNUM *n = BN_bin2bn(p->modulus, (int)p->modlen, NULL), *e = BN_bin2bn(p->exponent, (int)p->explen, NULL);
	bool same = n && e && BN_cmp(n, r->n) == 0 && BN_cmp(e, r->e) == 0;
	BN_free(n);
	BN_free(e);
	return same;
}

static CK_RV rsa_import_inlock(struct ukey_skf *s, struct skf_dev *d, ukey_ref key, const struct rsa_env *r,
			       ukey_ref *pub_out, ukey_ref *priv_out)
{
	const struct skf_container *c;
	char name[SKF_NAME_MAX + 1];
	uint32_t id;
	SKF_HANDLE h = NULL;
	CK_RV rv = ukey_skf_scan_inlock(s, d);

	if (rv == CKR_OK)
		rv = signing_container(d, key, true, &c);
	if (rv != CKR_OK)
		return rv;
	id = c->id;
	if (c->pair[SKF_ENC].has_key) {
		if (!rsa_same(&c->pair[SKF_ENC], r)) {
			ukey_warn("SKF device %s: container %s has an encryption key pair already; not replaced",
				  d->name, c->name);
			return CKR_ACTION_PROHIBITED;
		}
		goto done;
	}
	if (!SKF_HAS(s, SKF_ImportRSAKeyPair))
		return CKR_FUNCTION_NOT_SUPPORTED;
	memcpy(name, c->name, sizeof(name));
	rv = ukey_skf_container_open(s, d, name, &h);
	if (rv != CKR_OK)
		return rv;
	rv = import_rv(d, "SKF_ImportRSAKeyPair",
		       SKF_RAW(s, SKF_ImportRSAKeyPair, h, SGD_SM4_ECB, r->wk, (SKF_ULONG)r->wklen, r->data,
			       (SKF_ULONG)r->dlen));
	ukey_skf_container_close(s, h);
	ukey_skf_container_touched(d, name);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_skf_scan_inlock(s, d);
	c = rv == CKR_OK ? ukey_skf_container(d, id) : NULL;
	/* SKF_ImportRSAKeyPair does not compare the key with anything: a
	 * publicKey that is not the wrapped key's shows here, after the
	 * import, and SKF cannot delete one pair of a container (docs/skf.md):
	 * refused, the container keeps what the device stored. */
	if (rv == CKR_OK && (!c || !c->pair[SKF_ENC].has_key || !rsa_same(&c->pair[SKF_ENC], r))) {
		ukey_warn("SKF device %s: container %s: the imported RSA pair is not the envelope's publicKey", d->name,
			  name);
		rv = CKR_WRAPPED_KEY_INVALID;
	}
	if (rv != CKR_OK)
		return rv;
	ukey_info("SKF device %s: RSA encryption key pair imported into container %s", d->name, name);
done:
	*pub_out = SKF_REF(SKF_K_PUB, SKF_ENC, id);
	*priv_out = SKF_REF(SKF_K_PRIV, SKF_ENC, id);
	return CKR_OK;
}

static CK_RV rsa_unwrap(struct ukey_skf *s, ukey_dev_id dev, ukey_ref key, const CK_BYTE *env, CK_ULONG len,
			ukey_ref *pub_out, ukey_ref *priv_out)
{
	struct rsa_env r = { 0 };
	struct skf_dev *d;
	CK_RV rv = rsa_env_parse(env, len, &r);

	if (rv == CKR_OK)
		rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv == CKR_OK) {
		rv = rsa_import_inlock(s, d, key, &r, pub_out, priv_out);
		ukey_skf_dev_unlock(d);
	}
	rsa_env_free(&r);
	return rv;
}

CK_RV ukey_skf_unwrap_key_pair(void *drv, ukey_dev_id dev, ukey_ref unwrapping_key, CK_ULONG format,
			       const CK_BYTE *env, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			       ukey_ref *pub_out, ukey_ref *priv_out)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	SKF_ENVELOPEDKEYBLOB *blob = NULL;
	uint8_t point[UKEY_SKF_POINT_LEN];
	CK_RV rv;

	(void)tmpl; /* class and flags checked by token/; SKF stores no ID or label */
	(void)n;
	/* The length before anything else: an empty envelope asks which
	 * format a key takes. */
	if (format == UKEY_ENVELOPE_SKF_RSA_V1)
		return len < RSA_ENV_MIN || len > RSA_ENV_MAX ? CKR_WRAPPED_KEY_LEN_RANGE
							      : rsa_unwrap(s, dev, unwrapping_key, env, len, pub_out, priv_out);
	if (format != UKEY_ENVELOPE_SM2_V1)
		return CKR_MECHANISM_PARAM_INVALID;
	if (len != SM2_ENV_LEN)
		return CKR_WRAPPED_KEY_LEN_RANGE;
	/* A private copy: the SKF call gets a blob nobody else can change. */
	blob = malloc(SM2_ENV_LEN);
	if (!blob)
		return CKR_HOST_MEMORY;
	memcpy(blob, env, SM2_ENV_LEN);
	rv = env_check(blob, len, point);
	if (rv != CKR_OK)
		goto out;
	rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		goto out;
	rv = import_inlock(s, d, unwrapping_key, blob, point, pub_out, priv_out);
	ukey_skf_dev_unlock(d);
out:
	free(blob);
	return rv;
}
