/* CKM_UKEY_ENVELOPED_KEY_PAIR on a PKCS#11 backend: the rsa-oaep-aes-v1
 * envelope (docs/mechanisms.md) is opened by the backend itself, so the
 * plaintext private key never exists outside it:
 *   1. C_UnwrapKey(CKM_RSA_PKCS_OAEP, SHA-1) with the signing key: the
 *      AES-256 key, as a session object of a pooled session;
 *   2. C_UnwrapKey(CKM_AES_KEY_WRAP_PAD) with that: the PKCS#8 private key,
 *      as a token object from the caller's template;
 *   3. the AES key is destroyed, whatever happened;
 *   4. the private key must match the envelope's SubjectPublicKeyInfo (else
 *      it is destroyed), which then becomes the public key object.
 * The backend refuses step 1 with CKR_KEY_FUNCTION_NOT_PERMITTED when the
 * signing key lacks CKA_UNWRAP: the renewal generates RSA signing keys
 * with CKA_UNWRAP = TRUE for this. */
#include "config.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>

#define UKEY_P11_INTERNAL
#include "drivers/p11.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

/* The parts of a parsed envelope; the pointers point into env. */
struct rsa_env {
	const CK_BYTE *ek, *wk;
	CK_ULONG eklen, wklen;
	EVP_PKEY *pub;
};

static const ASN1_STRING *elem(STACK_OF(ASN1_TYPE) *seq, int i, int type)
{
	const ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);
	return t && t->type == type ? t->value.asn1_string : NULL;
}

/* UkeyEnvelopedKeyPair ::= SEQUENCE { version INTEGER (1), encryptedKey
 * OCTET STRING, wrappedPrivateKey OCTET STRING, publicKey
 * SubjectPublicKeyInfo }, with nothing after it. */
static CK_RV env_parse(const CK_BYTE *env, CK_ULONG len, STACK_OF(ASN1_TYPE) **seq, struct rsa_env *e)
{
	const unsigned char *p = env, *q;
	const ASN1_STRING *v, *ek, *wk, *spki;
	long version;

	*seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
	if (!*seq || p != env + len || sk_ASN1_TYPE_num(*seq) != 4)
		return CKR_WRAPPED_KEY_INVALID;
	v = elem(*seq, 0, V_ASN1_INTEGER);
	ek = elem(*seq, 1, V_ASN1_OCTET_STRING);
	wk = elem(*seq, 2, V_ASN1_OCTET_STRING);
	spki = elem(*seq, 3, V_ASN1_SEQUENCE);
	if (!v || !ek || !wk || !spki)
		return CKR_WRAPPED_KEY_INVALID;
	version = ASN1_INTEGER_get(v);
	if (version != 1)
		return CKR_WRAPPED_KEY_INVALID;
	/* A V_ASN1_SEQUENCE element holds its whole DER encoding. */
	q = ASN1_STRING_get0_data(spki);
	e->pub = d2i_PUBKEY(NULL, &q, ASN1_STRING_length(spki));
	if (!e->pub || q != ASN1_STRING_get0_data(spki) + ASN1_STRING_length(spki) || !EVP_PKEY_is_a(e->pub, "RSA"))
		return CKR_WRAPPED_KEY_INVALID;
	e->ek = ASN1_STRING_get0_data(ek);
	e->eklen = (CK_ULONG)ASN1_STRING_length(ek);
	e->wk = ASN1_STRING_get0_data(wk);
	e->wklen = (CK_ULONG)ASN1_STRING_length(wk);
	if (!e->eklen || !e->wklen)
		return CKR_WRAPPED_KEY_INVALID;
	return CKR_OK;
}

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

static CK_RV aes_unwrap(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE signing, const struct rsa_env *e,
			CK_OBJECT_HANDLE *aes)
{
	CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM m = { CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },   { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },     { CKA_UNWRAP, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) }, { CKA_EXTRACTABLE, &no, sizeof(no) },
	};
	return UKEY_P11_RAW(p, C_UnwrapKey, s, &m, signing, (CK_BYTE *)e->ek, e->eklen, t, sizeof(t) / sizeof(t[0]),
			    aes);
}

static BIGNUM *attr_bn(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		       CK_BYTE *buf, CK_ULONG cap)
{
	CK_ATTRIBUTE a = { type, buf, cap };
	if (UKEY_P11_RAW(p, C_GetAttributeValue, s, h, &a, 1) != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return NULL;
	return BN_bin2bn(buf, (int)a.ulValueLen, NULL);
}

/* The unwrapped private key is the envelope's public key's partner. */
static bool priv_matches(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, EVP_PKEY *pub)
{
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

/* The public key object: the SPKI's modulus and exponent, with the private
 * key's CKA_ID and CKA_LABEL from the caller's template. */
static CK_RV create_pub(struct ukey_p11 *p, CK_SESSION_HANDLE s, EVP_PKEY *pub, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_BYTE mod[1024], exp[16];
	BIGNUM *bn = NULL, *be = NULL;
	int ml = -1, el = -1;
	CK_ULONG nt = 8;
	CK_ATTRIBUTE t[10] = {
		{ CKA_CLASS, &cls, sizeof(cls) },  { CKA_KEY_TYPE, &kt, sizeof(kt) }, { CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },  { CKA_ENCRYPT, &yes, sizeof(yes) }, { CKA_VERIFY, &no, sizeof(no) },
		{ CKA_MODULUS, mod, 0 },           { CKA_PUBLIC_EXPONENT, exp, 0 },
	};
	const CK_ATTRIBUTE *id = find_attr(tmpl, n, CKA_ID), *label = find_attr(tmpl, n, CKA_LABEL);
	CK_RV raw = CKR_WRAPPED_KEY_INVALID;

	if (!EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &bn) || !EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &be) ||
	    BN_num_bytes(bn) > (int)sizeof(mod) || BN_num_bytes(be) > (int)sizeof(exp))
		goto out;
	ml = BN_bn2bin(bn, mod);
	el = BN_bn2bin(be, exp);
	t[6].ulValueLen = (CK_ULONG)ml;
	t[7].ulValueLen = (CK_ULONG)el;
	if (id)
		t[nt++] = *id;
	if (label)
		t[nt++] = *label;
	raw = UKEY_P11_RAW(p, C_CreateObject, s, t, nt, out);
out:
	BN_free(bn);
	BN_free(be);
	return raw;
}

/* Steps 1-4 on one backend session; the AES key never outlives the call. */
static CK_RV unwrap_on(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE signing, const struct rsa_env *e,
		       const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *pub_out, ukey_ref *priv_out, bool *dirty)
{
	CK_MECHANISM wrap = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_OBJECT_HANDLE aes = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE, pub = CK_INVALID_HANDLE;
	CK_RV rv, raw = aes_unwrap(p, s, signing, e, &aes);

	if (raw != CKR_OK)
		return unwrap_rv("C_UnwrapKey(RSA-OAEP)", raw);
	raw = UKEY_P11_RAW(p, C_UnwrapKey, s, &wrap, aes, (CK_BYTE *)e->wk, e->wklen, (CK_ATTRIBUTE *)tmpl, n, &priv);
	rv = unwrap_rv("C_UnwrapKey(AES-KEY-WRAP-PAD)", raw);
	/* A session object we cannot destroy dies with its session: close it. */
	if (UKEY_P11_RAW(p, C_DestroyObject, s, aes) != CKR_OK)
		*dirty = true;
	if (rv != CKR_OK)
		return rv;
	if (!priv_matches(p, s, priv, e->pub)) {
		ukey_warn("enveloped key pair: the private key does not match the envelope's public key");
		rv = CKR_WRAPPED_KEY_INVALID;
	} else {
		raw = create_pub(p, s, e->pub, tmpl, n, &pub);
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
	STACK_OF(ASN1_TYPE) *seq = NULL;
	struct rsa_env e = { 0 };
	bool dirty = false;
	CK_RV rv;

	if (format != UKEY_ENVELOPE_RSA_OAEP_AES_V1) {
		rv = CKR_MECHANISM_PARAM_INVALID;
		goto out;
	}
	rv = env_parse(env, len, &seq, &e);
	if (rv != CKR_OK)
		goto out;
	rv = ukey_p11_borrow(p, dev, &d, &s);
	if (rv != CKR_OK)
		goto out;
	rv = unwrap_on(p, s, (CK_OBJECT_HANDLE)unwrapping_key, &e, tmpl, n, pub_out, priv_out, &dirty);
	/* rv is mapped already: a failed import does not return its session
	 * to the pool (it may be the one the backend gave up on). */
	ukey_p11_put(p, d, s, rv == CKR_DEVICE_REMOVED ? CKR_DEVICE_REMOVED : CKR_OK, dirty || rv != CKR_OK);
out:
	EVP_PKEY_free(e.pub);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return rv;
}
