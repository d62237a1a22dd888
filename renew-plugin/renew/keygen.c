/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* keygen.c: step 1, the new signing key pair generated ON the token under a
 * pending label and CKA_ID. Backends may choose the CKA_ID themselves (SKF
 * derives it from the container name), so it is always read back from the
 * generated key, and the public key is read from the token's attributes. */

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "base/failpoint.h"
#include "ukey-base.h"
#include "renew.h"
#include "ukey-pkcs11.h"

int ukey_renew_key_params(const unsigned char *old_der, size_t old_len, const char *type,
			  enum ukey_renew_kind *kind, CK_ULONG *bits, unsigned char *ec, size_t *ec_len,
			  struct ukey_err *e)
{
	const unsigned char *q = old_der;
	X509 *x = d2i_X509(NULL, &q, (long)old_len);
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	char group[64] = "prime256v1";
	unsigned char *o = ec;
	ASN1_OBJECT *obj;
	int ret = UKEY_E_OK, n;

	*bits = 2048;
	if (k == NULL) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the old signing certificate cannot be read"));
		goto out;
	}
	if (type != NULL)
		*kind = strcmp(type, "rsa") == 0 ? UKEY_KEY_RSA : strcmp(type, "ec") == 0 ? UKEY_KEY_EC : UKEY_KEY_SM2;
	else if (EVP_PKEY_is_a(k, "RSA"))
		*kind = UKEY_KEY_RSA;
	else if (EVP_PKEY_is_a(k, "SM2"))
		*kind = UKEY_KEY_SM2;
	else if (EVP_PKEY_is_a(k, "EC")) {
		size_t gl = 0;
		*kind = UKEY_KEY_EC;
		if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &gl))
			snprintf(group, sizeof(group), "prime256v1");
		/* An SM2 key in an "EC" certificate is still SM2. */
		if (strcmp(group, "SM2") == 0)
			*kind = UKEY_KEY_SM2;
	} else {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the old signing key's type cannot be renewed"));
		goto out;
	}
	if (*kind == UKEY_KEY_RSA && type == NULL && EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) > 2048)
		*bits = (CK_ULONG)EVP_PKEY_get_bits(k);
	*ec_len = 0;
	if (*kind == UKEY_KEY_EC) {
		obj = OBJ_nid2obj(OBJ_sn2nid(group));
		n = obj ? i2d_ASN1_OBJECT(obj, NULL) : -1;
		if (n <= 0 || n > 32 || i2d_ASN1_OBJECT(obj, &o) != n) {
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("the old key's curve %s is not supported"), group);
			goto out;
		}
		*ec_len = (size_t)n;
	}
out:
	X509_free(x);
	return ret;
}

static int attr(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
		unsigned char **v, size_t *len, struct ukey_err *e)
{
	return ukey_conn_attr(p, s, o, t, v, len, e);
}

/* The EC point as stored (DER OCTET STRING, or raw 04||X||Y from some
 * modules) to the raw uncompressed point. */
static int ec_point(const unsigned char *v, size_t len, unsigned char *out, size_t *out_len)
{
	const unsigned char *q = v;
	ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)len);
	int ok = 0;

	if (os != NULL && q == v + len && os->length > 0 && os->data[0] == 0x04 && (size_t)os->length <= *out_len) {
		memcpy(out, os->data, (size_t)os->length);
		*out_len = (size_t)os->length;
		ok = 1;
	} else if (len > 0 && v[0] == 0x04 && len % 2 == 1 && len <= *out_len) {
		memcpy(out, v, len);
		*out_len = len;
		ok = 1;
	}
	ASN1_OCTET_STRING_free(os);
	return ok ? 0 : -1;
}

static int public_key(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_renew_key *k, struct ukey_err *e)
{
	CK_OBJECT_HANDLE o = k->pub ? k->pub : k->priv;
	unsigned char *a = NULL, *b = NULL, pt[256];
	size_t al = 0, bl = 0, ptl = sizeof(pt);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *par = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *x = NULL;
	char group[64] = "SM2";
	int ret;

	if (k->kind == UKEY_KEY_RSA) {
		ret = attr(p, s, o, CKA_MODULUS, &a, &al, e);
		if (ret == UKEY_E_OK)
			ret = attr(p, s, o, CKA_PUBLIC_EXPONENT, &b, &bl, e);
		if (ret != UKEY_E_OK)
			goto out;
		n = BN_bin2bn(a, (int)al, NULL);
		x = BN_bin2bn(b, (int)bl, NULL);
		if (bld == NULL || n == NULL || x == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, x))
			goto bad;
	} else {
		ret = attr(p, s, o, CKA_EC_POINT, &a, &al, e);
		if (ret == UKEY_E_OK && k->kind == UKEY_KEY_EC)
			ret = attr(p, s, o, CKA_EC_PARAMS, &b, &bl, e);
		if (ret != UKEY_E_OK)
			goto out;
		if (k->kind == UKEY_KEY_EC) {
			const unsigned char *q = b;
			ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &q, (long)bl);
			int nid = obj ? OBJ_obj2nid(obj) : NID_undef;
			ASN1_OBJECT_free(obj);
			if (nid == NID_undef)
				goto bad;
			snprintf(group, sizeof(group), "%s", OBJ_nid2sn(nid));
		}
		if (ec_point(a, al, pt, &ptl) != 0 || bld == NULL ||
		    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, ptl))
			goto bad;
	}
	par = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, k->kind == UKEY_KEY_RSA ? "RSA" : k->kind == UKEY_KEY_EC ? "EC" : "SM2",
					 NULL);
	if (par == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k->pkey, EVP_PKEY_PUBLIC_KEY, par) <= 0)
		goto bad;
	ret = UKEY_E_OK;
	goto out;
bad:
	ret = ukey_err_set(e, UKEY_E_TOKEN, _("the new key's public part read from the U-KEY is not usable"));
out:
	OSSL_PARAM_free(par);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(x);
	free(a);
	free(b);
	return ret;
}

/* The public key with the private key's CKA_ID (0 when the backend has
 * none: the private key then carries the public attributes). */
static int find_pub(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_renew_key *k, struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, k->id, k->id_len } };
	CK_ULONG found = 0;
	int ret = ukey_conn_find(p, s, t, 2, &k->pub, 1, &found, e);

	if (ret == UKEY_E_OK && found == 0)
		k->pub = 0;
	return ret;
}

/* A whole key pair: the private key carries its public values (modulus,
 * or the curve) and the public key object is there with its own. SoftHSM
 * makes each object first with the template, then adds the key values,
 * and a pair one object after the other (the module's import makes the
 * public key last): a pair cut short lacks one of them. */
static int complete(struct ukey_conn *p, CK_SESSION_HANDLE s, const struct ukey_renew_key *k)
{
	CK_ATTRIBUTE_TYPE t = k->kind == UKEY_KEY_RSA ? CKA_MODULUS : CKA_EC_PARAMS;
	CK_ATTRIBUTE_TYPE tp = k->kind == UKEY_KEY_RSA ? CKA_MODULUS : CKA_EC_POINT;
	CK_ATTRIBUTE a = { t, NULL, 0 }, b = { tp, NULL, 0 };

	if (k->pub == 0 || p->f->C_GetAttributeValue(s, k->priv, &a, 1) != CKR_OK || a.ulValueLen == 0 ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return 0;
	return p->f->C_GetAttributeValue(s, k->pub, &b, 1) == CKR_OK && b.ulValueLen > 0 &&
	       b.ulValueLen != CK_UNAVAILABLE_INFORMATION;
}

static int read_id(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_renew_key *k, struct ukey_err *e)
{
	unsigned char *v = NULL;
	size_t len = 0;
	int ret = ukey_conn_attr(p, s, k->priv, CKA_ID, &v, &len, e);

	if (ret == UKEY_E_OK && (len == 0 || len > sizeof(k->id)))
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the new key has no usable CKA_ID"));
	if (ret == UKEY_E_OK) {
		memcpy(k->id, v, len);
		k->id_len = len;
	}
	free(v);
	return ret;
}

int ukey_renew_keygen(struct ukey_conn *p, CK_SESSION_HANDLE s, enum ukey_renew_kind kind, CK_ULONG bits,
		      const unsigned char *ec, size_t ec_len, const char *label, const unsigned char *id,
		      size_t id_len, struct ukey_renew_key *k, struct ukey_err *e)
{
	static const CK_BYTE f4[] = { 0x01, 0x00, 0x01 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM m = { kind == UKEY_KEY_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN
			   : kind == UKEY_KEY_EC ? CKM_EC_KEY_PAIR_GEN : CKM_SM2_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub[8] = {
		{ CKA_TOKEN, &yes, 1 }, { CKA_VERIFY, &yes, 1 }, { CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_ATTRIBUTE priv[8] = {
		{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 }, { CKA_SIGN, &yes, 1 }, { CKA_SENSITIVE, &yes, 1 },
		{ CKA_EXTRACTABLE, &no, 1 }, { CKA_LABEL, (void *)label, strlen(label) }, { CKA_ID, (void *)id, id_len },
	};
	CK_ULONG npub = 4, npriv = 7;
	CK_RV rv;
	int ret;

	memset(k, 0, sizeof(*k));
	k->kind = kind;
	/* id: the CKA_ID recorded in the journal before this call; a backend
	 * that names keys itself (SKF) replaces it (read back below). The
	 * new signing key opens the encryption key envelope of step 5
	 * (CKM_UKEY_ENVELOPED_KEY_PAIR): on a p11 backend with the backend's
	 * RSA-OAEP unwrap or ECDH derive. SM2 (SKF) needs no attribute. */
	if (kind == UKEY_KEY_RSA)
		priv[npriv++] = (CK_ATTRIBUTE){ CKA_UNWRAP, &yes, 1 };
	else if (kind == UKEY_KEY_EC)
		priv[npriv++] = (CK_ATTRIBUTE){ CKA_DERIVE, &yes, 1 };
	if (kind == UKEY_KEY_RSA) {
		pub[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
		pub[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, (void *)f4, sizeof(f4) };
	} else if (kind == UKEY_KEY_EC) {
		pub[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)ec, ec_len };
	}
	rv = p->f->C_GenerateKeyPair(s, &m, pub, npub, priv, npriv, &k->pub, &k->priv);
	if (rv != CKR_OK)
		return ukey_err_set(e, UKEY_E_TOKEN, _("the U-KEY could not generate the new key pair: %s"),
				    ukey_p11_rv_name(rv));
	UKEY_FAILPOINT("keygen-made");
	ret = read_id(p, s, k, e);
	if (ret == UKEY_E_OK)
		ret = public_key(p, s, k, e);
	return ret;
}

int ukey_renew_key_find(struct ukey_conn *p, CK_SESSION_HANDLE s, const unsigned char *id, size_t id_len,
			const char *label, struct ukey_renew_key *k, int *found, struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	CK_ATTRIBUTE tl[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_LABEL, (void *)label, label ? strlen(label) : 0 } };
	CK_ATTRIBUTE kta = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_ULONG n = 0;
	enum ukey_renew_kind kind = k->kind;
	int ret;

	memset(k, 0, sizeof(*k));
	k->kind = kind;
	*found = 0;
	if (id_len > 0)
		ret = ukey_conn_find(p, s, t, 2, &k->priv, 1, &n, e);
	else if (label != NULL && label[0] != '\0')
		ret = ukey_conn_find(p, s, tl, 2, &k->priv, 1, &n, e);
	else
		return UKEY_E_OK;
	if (ret != UKEY_E_OK || n == 0)
		return ret;
	if (p->f->C_GetAttributeValue(s, k->priv, &kta, 1) != CKR_OK)
		return UKEY_E_OK; /* made only in part: not found */
	k->kind = kt == CKK_RSA ? UKEY_KEY_RSA : kt == CKK_EC ? UKEY_KEY_EC : UKEY_KEY_SM2;
	ret = read_id(p, s, k, e);
	if (ret == UKEY_E_OK)
		ret = find_pub(p, s, k, e);
	/* A key whose making was cut short (SoftHSM writes the key values in
	 * a last step) is not found: it has no public half to read. */
	if (ret == UKEY_E_OK && complete(p, s, k))
		ret = public_key(p, s, k, e);
	else if (ret == UKEY_E_OK)
		return UKEY_E_OK;
	*found = ret == UKEY_E_OK;
	return ret;
}

void ukey_renew_key_free(struct ukey_renew_key *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
}
