/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CKM_UKEY_ENVELOPED_KEY_PAIR on a PKCS#11 backend: the rsa-oaep-aes-v1 and
 * ecdh-aes-v1 envelopes (docs/mechanisms.md) are opened by the backend
 * itself, so the plaintext private key never exists outside it:
 *   1. the AES-256 key, as a session object of a pooled session:
 *      rsa-oaep-aes-v1: C_UnwrapKey(CKM_RSA_PKCS_OAEP, SHA-1) with the
 *      signing key; ecdh-aes-v1: C_DeriveKey(CKM_ECDH1_DERIVE, CKD_NULL)
 *      of the signing key and the envelope's ephemeral point;
 *   2. C_UnwrapKey(CKM_AES_KEY_WRAP_PAD) with that: the PKCS#8 private key,
 *      as a token object from the caller's template;
 *   3. the AES key is destroyed, whatever happened;
 *   4. the private key must match the envelope's SubjectPublicKeyInfo (else
 *      it is destroyed), which then becomes the public key object. RSA: the
 *      modulus and exponent; EC: one ECDH of the new private key with a
 *      throwaway point must give what OpenSSL gets from the SPKI's point.
 * The backend refuses step 1 with CKR_KEY_FUNCTION_NOT_PERMITTED when the
 * signing key lacks CKA_UNWRAP (RSA) or CKA_DERIVE (EC): the renewal
 * generates its signing keys with them for this. */
#include "config.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define UKEY_P11_INTERNAL
#include "drivers/envelope-check.h"
#include "drivers/p11/p11.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

#define P256_POINT_LEN 65
#define AES_KEY_LEN 32

/* A backend refusal of the envelope's contents becomes WRAPPED_KEY_INVALID
 * (backends differ: GENERAL_ERROR, ENCRYPTED_DATA_INVALID...); anything
 * about the session, the key or the device keeps its own code. */
static CK_RV unwrap_rv(const char *fn, CK_RV raw)
{
	switch (raw) {
	case CKR_GENERAL_ERROR:
	case CKR_FUNCTION_FAILED:
	case CKR_DATA_INVALID:
	case CKR_DATA_LEN_RANGE:
	case CKR_ENCRYPTED_DATA_INVALID:
	case CKR_ENCRYPTED_DATA_LEN_RANGE:
	case CKR_WRAPPED_KEY_LEN_RANGE:
	case CKR_TEMPLATE_INCONSISTENT:
		ukey_debug("backend %s: rv 0x%lx: envelope refused", fn, (unsigned long)raw);
		return CKR_WRAPPED_KEY_INVALID;
	default:
		return ukey_p11_map(fn, raw);
	}
}

/* Step 1: the AES-256 key as a sensitive session key that only unwraps.
 * ecdh-aes-v1 takes the raw x-coordinate (CKD_NULL): SoftHSM 2.6 refuses
 * every other KDF (docs/mechanisms.md). */
static CK_RV aes_get(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE signing, const struct ukc_envelope *e,
		     CK_OBJECT_HANDLE *aes)
{
	CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM m = { CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep) };
	CK_ECDH1_DERIVE_PARAMS ecdh = { CKD_NULL, 0, NULL, e->key_len, (CK_BYTE *)e->key };
	CK_MECHANISM dm = { CKM_ECDH1_DERIVE, &ecdh, sizeof(ecdh) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG vlen = AES_KEY_LEN;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },   { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },     { CKA_UNWRAP, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) }, { CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_VALUE_LEN, &vlen, sizeof(vlen) },
	};
	CK_ULONG nt = sizeof(t) / sizeof(t[0]);

	if (e->format == UKC_ENVELOPE_ECDH_AES_V1)
		return UKEY_P11_RAW(p, C_DeriveKey, s, &dm, signing, t, nt, aes);
	return UKEY_P11_RAW(p, C_UnwrapKey, s, &m, signing, (CK_BYTE *)e->key, e->key_len, t, nt - 1, aes);
}

static BIGNUM *attr_bn(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		       CK_BYTE *buf, CK_ULONG cap)
{
	CK_ATTRIBUTE a = { type, buf, cap };
	if (UKEY_P11_RAW(p, C_GetAttributeValue, s, h, &a, 1) != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return NULL;
	return BN_bin2bn(buf, (int)a.ulValueLen, NULL);
}

/* EC: the backend's ECDH of priv with a throwaway P-256 key equals
 * OpenSSL's ECDH of that key with pub. The secret is of a key made for
 * this check only, so it may leave the backend (and is wiped). */
static bool ec_priv_matches(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, EVP_PKEY *pub,
			    bool *dirty)
{
	EVP_PKEY *probe = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY_CTX *ctx = probe ? EVP_PKEY_CTX_new_from_pkey(NULL, probe, NULL) : NULL;
	CK_BYTE pt[P256_POINT_LEN], theirs[AES_KEY_LEN], ours[AES_KEY_LEN];
	size_t plen = 0, olen = sizeof(ours);
	CK_ECDH1_DERIVE_PARAMS ecdh = { CKD_NULL, 0, NULL, sizeof(pt), pt };
	CK_MECHANISM m = { CKM_ECDH1_DERIVE, &ecdh, sizeof(ecdh) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG vlen = AES_KEY_LEN;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },   { CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) }, { CKA_VALUE_LEN, &vlen, sizeof(vlen) },
	};
	CK_ATTRIBUTE va = { CKA_VALUE, theirs, sizeof(theirs) };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	bool ok = false;

	if (!ctx || !EVP_PKEY_get_octet_string_param(probe, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &plen) ||
	    plen != sizeof(pt) || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, pub) <= 0 ||
	    EVP_PKEY_derive(ctx, ours, &olen) <= 0 || olen != sizeof(ours))
		goto out;
	if (UKEY_P11_RAW(p, C_DeriveKey, s, &m, priv, t, sizeof(t) / sizeof(t[0]), &h) != CKR_OK)
		goto out;
	ok = UKEY_P11_RAW(p, C_GetAttributeValue, s, h, &va, 1) == CKR_OK && va.ulValueLen == sizeof(ours) &&
	     CRYPTO_memcmp(theirs, ours, sizeof(ours)) == 0;
	if (UKEY_P11_RAW(p, C_DestroyObject, s, h) != CKR_OK)
		*dirty = true;
out:
	OPENSSL_cleanse(theirs, sizeof(theirs));
	OPENSSL_cleanse(ours, sizeof(ours));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(probe);
	return ok;
}

/* The unwrapped private key is the envelope's public key's partner. */
static bool priv_matches(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, const struct ukc_envelope *env,
			 bool *dirty)
{
	EVP_PKEY *pub = env->pub;
	if (env->format == UKC_ENVELOPE_ECDH_AES_V1)
		return ec_priv_matches(p, s, priv, pub, dirty);
	CK_BYTE buf[1024];
	BIGNUM *n = attr_bn(p, s, priv, CKA_MODULUS, buf, sizeof(buf));
	BIGNUM *e = attr_bn(p, s, priv, CKA_PUBLIC_EXPONENT, buf, sizeof(buf));
	BIGNUM *pn = NULL, *pe = NULL;
	bool ok = n && e && EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &pn) &&
		  EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &pe) && BN_cmp(n, pn) == 0 && BN_cmp(e, pe) == 0;
	BN_free(n);
	BN_free(e);
	BN_free(pn);
	BN_free(pe);
	return ok;
}

static const CK_ATTRIBUTE *find_attr(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

/* The RSA public key's own attributes: modulus and exponent (bufs of
 * 1024 and 16 bytes). */
static bool rsa_pub_attrs(EVP_PKEY *pub, CK_ATTRIBUTE *t, CK_ULONG *nt, CK_BYTE *mod, CK_BYTE *exp)
{
	BIGNUM *bn = NULL, *be = NULL;
	bool ok = EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &bn) &&
		  EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &be) && BN_num_bytes(bn) <= 1024 &&
		  BN_num_bytes(be) <= 16;
	if (ok) {
		t[(*nt)++] = (CK_ATTRIBUTE){ CKA_MODULUS, mod, (CK_ULONG)BN_bn2bin(bn, mod) };
		t[(*nt)++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, exp, (CK_ULONG)BN_bn2bin(be, exp) };
	}
	BN_free(bn);
	BN_free(be);
	return ok;
}

/* The P-256 public key's: CKA_EC_PARAMS the curve's OID, CKA_EC_POINT the
 * DER OCTET STRING of the uncompressed point (buf of 2 + 65 bytes). */
static bool ec_pub_attrs(EVP_PKEY *pub, CK_ATTRIBUTE *t, CK_ULONG *nt, CK_BYTE *buf)
{
	static const CK_BYTE p256_oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	size_t len = 0;

	if (!EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, buf + 2, P256_POINT_LEN, &len) ||
	    len != P256_POINT_LEN)
		return false;
	buf[0] = 0x04; /* OCTET STRING */
	buf[1] = P256_POINT_LEN;
	t[(*nt)++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid) };
	t[(*nt)++] = (CK_ATTRIBUTE){ CKA_EC_POINT, buf, 2 + P256_POINT_LEN };
	return true;
}

/* The public key object, with the private key's CKA_ID and CKA_LABEL from
 * the caller's template. */
static CK_RV create_pub(struct ukey_p11 *p, CK_SESSION_HANDLE s, const struct ukc_envelope *e, const CK_ATTRIBUTE *tmpl,
			CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	bool rsa = e->format == UKC_ENVELOPE_RSA_OAEP_AES_V1;
	CK_KEY_TYPE kt = rsa ? CKK_RSA : CKK_EC;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_BYTE mod[1024], exp[16], point[2 + P256_POINT_LEN];
	CK_ULONG nt = 5;
	CK_ATTRIBUTE t[12] = {
		{ CKA_CLASS, &cls, sizeof(cls) },  { CKA_KEY_TYPE, &kt, sizeof(kt) }, { CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },  { CKA_VERIFY, &no, sizeof(no) },
	};
	const CK_ATTRIBUTE *id = find_attr(tmpl, n, CKA_ID), *label = find_attr(tmpl, n, CKA_LABEL);

	/* RSA encrypts to the key; EC agrees with it (CKA_DERIVE). */
	t[nt++] = (CK_ATTRIBUTE){ rsa ? CKA_ENCRYPT : CKA_DERIVE, &yes, sizeof(yes) };
	if (rsa ? !rsa_pub_attrs(e->pub, t, &nt, mod, exp) : !ec_pub_attrs(e->pub, t, &nt, point))
		return CKR_WRAPPED_KEY_INVALID;
	if (id)
		t[nt++] = *id;
	if (label)
		t[nt++] = *label;
	return UKEY_P11_RAW(p, C_CreateObject, s, t, nt, out);
}

/* ecdh-aes-v1: the caller's template, with CKA_DERIVE TRUE when it lacks
 * one (token/unwrap.c refused a FALSE): step 4 derives with the key. */
static CK_ATTRIBUTE *priv_template(const struct ukc_envelope *e, const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ULONG *nout)
{
	static CK_BBOOL yes = CK_TRUE;
	bool add = e->format == UKC_ENVELOPE_ECDH_AES_V1 && !find_attr(tmpl, n, CKA_DERIVE);
	CK_ATTRIBUTE *t = OPENSSL_malloc((n + 1) * sizeof(*t));

	if (!t)
		return NULL;
	if (n)
		memcpy(t, tmpl, n * sizeof(*t));
	if (add)
		t[n] = (CK_ATTRIBUTE){ CKA_DERIVE, &yes, sizeof(yes) };
	*nout = n + (add ? 1 : 0);
	return t;
}

/* Steps 1-4 on one backend session; the AES key never outlives the call. */
static CK_RV unwrap_on(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE signing, const struct ukc_envelope *e,
		       const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *pub_out, ukey_ref *priv_out, bool *dirty)
{
	CK_MECHANISM wrap = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_OBJECT_HANDLE aes = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE, pub = CK_INVALID_HANDLE;
	CK_ULONG pn = 0;
	CK_ATTRIBUTE *pt = priv_template(e, tmpl, n, &pn);
	CK_RV rv, raw;

	if (!pt)
		return CKR_HOST_MEMORY;
	raw = aes_get(p, s, signing, e, &aes);
	if (raw != CKR_OK) {
		OPENSSL_free(pt);
		return unwrap_rv(e->format == UKC_ENVELOPE_ECDH_AES_V1 ? "C_DeriveKey(ECDH1)" : "C_UnwrapKey(RSA-OAEP)",
				 raw);
	}
	raw = UKEY_P11_RAW(p, C_UnwrapKey, s, &wrap, aes, (CK_BYTE *)e->data, e->data_len, pt, pn, &priv);
	OPENSSL_free(pt);
	rv = unwrap_rv("C_UnwrapKey(AES-KEY-WRAP-PAD)", raw);
	/* A session object we cannot destroy dies with its session: close it. */
	if (UKEY_P11_RAW(p, C_DestroyObject, s, aes) != CKR_OK)
		*dirty = true;
	if (rv != CKR_OK)
		return rv;
	if (!priv_matches(p, s, priv, e, dirty)) {
		ukey_warn("enveloped key pair: the private key does not match the envelope's public key");
		rv = CKR_WRAPPED_KEY_INVALID;
	} else {
		raw = create_pub(p, s, e, tmpl, n, &pub);
		rv = ukey_p11_map("C_CreateObject", raw);
	}
	if (rv != CKR_OK) {
		/* Nothing half-made stays on the token. */
		if (UKEY_P11_RAW(p, C_DestroyObject, s, priv) != CKR_OK)
			ukey_warn("enveloped key pair: cannot remove the unwrapped private key again");
		return rv;
	}
	*pub_out = pub;
	*priv_out = priv;
	return CKR_OK;
}

CK_RV ukey_p11_unwrap_key_pair(void *drv, ukey_dev_id dev, ukey_ref unwrapping_key, CK_ULONG format,
			       const CK_BYTE *env, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			       ukey_ref *pub_out, ukey_ref *priv_out)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	struct ukc_envelope e;
	bool dirty = false;
	CK_RV rv;

	if (format != UKEY_ENVELOPE_RSA_OAEP_AES_V1 && format != UKEY_ENVELOPE_ECDH_AES_V1)
		return CKR_MECHANISM_PARAM_INVALID;
	rv = ukey_driver_envelope_parse(format, env, len, &e);
	if (rv == CKR_OK)
		rv = ukey_p11_borrow(p, dev, &d, &s);
	if (rv != CKR_OK)
		goto out;
	rv = unwrap_on(p, s, (CK_OBJECT_HANDLE)unwrapping_key, &e, tmpl, n, pub_out, priv_out, &dirty);
	/* rv is mapped already: a failed import does not return its session
	 * to the pool (it may be the one the backend gave up on). */
	ukey_p11_put(p, d, s, rv == CKR_DEVICE_REMOVED ? CKR_DEVICE_REMOVED : CKR_OK, dirty || rv != CKR_OK);
out:
	ukc_envelope_clear(&e);
	return rv;
}
