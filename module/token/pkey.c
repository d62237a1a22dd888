/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Public keys rebuilt from cached attributes, so verification and
 * public-key encryption run in software without asking the device. Input
 * comes from the backend and may be malformed: every failure gives NULL.
 *
 * Keys on the SM2 curve (CKK_SM2, and CKK_EC with the sm2p256v1 OID as some
 * vendors store them) become OpenSSL "SM2" keys, never "EC" ones: with an
 * "EC" key OpenSSL would verify ECDSA, not SM2. */
#include "config.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "token/attr.h"
#include "token/model.h"
#include "token/pkey.h"
#include "ukey-pkcs11.h"
#include "util/ossl.h"

/* The value of a usable cached attribute, or NULL. */
static const struct ukey_attr *attr_value(const struct ukey_object *obj, CK_ATTRIBUTE_TYPE type)
{
	const struct ukey_attr *a = ukey_object_attr(obj, type);
	if (!a || a->len == CK_UNAVAILABLE_INFORMATION || a->len == 0 || !a->value)
		return NULL;
	return a;
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(ukey_ossl_ctx(), type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *pkey_rsa(const struct ukey_object *obj)
{
	const struct ukey_attr *n = attr_value(obj, CKA_MODULUS);
	const struct ukey_attr *e = attr_value(obj, CKA_PUBLIC_EXPONENT);
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	EVP_PKEY *pkey = NULL;

	if (!n || !e || n->len > 2048 || e->len > 64)
		goto out;
	bn_n = BN_bin2bn(n->value, (int)n->len, NULL);
	bn_e = BN_bin2bn(e->value, (int)e->len, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!bn_n || !bn_e || !bld || BN_is_zero(bn_n) || BN_is_zero(bn_e))
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		goto out;
	pkey = pkey_fromdata("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return pkey;
}

/* NID of the named curve in a DER OID; NID_undef when it is anything else
 * (explicit parameters are not accepted). */
static int ec_params_nid(const unsigned char *params, size_t len)
{
	const unsigned char *p = params;
	ASN1_OBJECT *oid;
	int nid = NID_undef;

	if (!params || len == 0 || len > 64)
		return NID_undef;
	oid = d2i_ASN1_OBJECT(NULL, &p, (long)len);
	if (oid && p == params + len)
		nid = OBJ_obj2nid(oid);
	ASN1_OBJECT_free(oid);
	return nid;
}

CK_ULONG ukey_pkey_ec_field_bits(const unsigned char *params, size_t len)
{
	int nid = ec_params_nid(params, len);
	EC_GROUP *group;
	CK_ULONG bits = 0;

	if (nid == NID_undef)
		return 0;
	group = EC_GROUP_new_by_curve_name(nid);
	if (group)
		bits = (CK_ULONG)EC_GROUP_get_degree(group);
	EC_GROUP_free(group);
	return bits;
}

/* CKA_EC_POINT is meant to be a DER OCTET STRING around the point, but some
 * tokens store the bare point. The DER form is tried first and kept only
 * when its content has the length of an uncompressed point, because a bare
 * point can happen to parse as DER. */
static EVP_PKEY *pkey_ec(const struct ukey_object *obj, bool sm2_type)
{
	static const unsigned char sm2_oid[] = { 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d };
	static const struct ukey_attr sm2_params = { CKA_EC_PARAMS, sizeof(sm2_oid), false,
						     (unsigned char *)sm2_oid };
	const struct ukey_attr *params = attr_value(obj, CKA_EC_PARAMS);
	const struct ukey_attr *point = attr_value(obj, CKA_EC_POINT);
	ASN1_OCTET_STRING *os = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	const unsigned char *p, *pt;
	size_t ptlen, want;
	EVP_PKEY *pkey = NULL;
	CK_ULONG bits;
	int nid;

	/* CKK_SM2 implies the curve; some SKF-backed tokens leave it out. */
	if (!params && sm2_type)
		params = &sm2_params;
	if (!params || !point)
		goto out;
	nid = ec_params_nid(params->value, params->len);
	bits = ukey_pkey_ec_field_bits(params->value, params->len);
	if (nid == NID_undef || bits == 0 || (sm2_type && nid != NID_sm2))
		goto out;
	want = 1 + 2 * ((bits + 7) / 8);
	pt = point->value;
	ptlen = point->len;
	p = point->value;
	os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)point->len);
	if (os && p == point->value + point->len && (size_t)ASN1_STRING_length(os) == want) {
		pt = ASN1_STRING_get0_data(os);
		ptlen = want;
	}
	if (ptlen != want || pt[0] != 0x04)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(nid), 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, ptlen))
		goto out;
	/* fromdata decodes the point onto the curve and refuses one off it. */
	pkey = pkey_fromdata(nid == NID_sm2 ? "SM2" : "EC", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	ASN1_OCTET_STRING_free(os);
	return pkey;
}

static EVP_PKEY *pkey_cert(const struct ukey_object *obj)
{
	const struct ukey_attr *v = attr_value(obj, CKA_VALUE);
	const unsigned char *p;
	X509 *x509;
	EVP_PKEY *pkey = NULL;

	if (!v || ukey_object_ulong(obj, CKA_CERTIFICATE_TYPE, CKC_X_509) != CKC_X_509)
		return NULL;
	p = v->value;
	/* Decoded in the module's context, so the key it yields is too. */
	x509 = X509_new_ex(ukey_ossl_ctx(), NULL);
	if (x509 && d2i_X509(&x509, &p, (long)v->len))
		pkey = X509_get_pubkey(x509);   /* OpenSSL 3 decodes an SM2 SPKI as "SM2" */
	else
		x509 = NULL;                    /* d2i_X509 freed it on failure */
	X509_free(x509);
	return pkey;
}

EVP_PKEY *ukey_pkey_from_object(const struct ukey_object *obj)
{
	if (!obj)
		return NULL;
	switch (obj->cls) {
	case CKO_CERTIFICATE:
		return pkey_cert(obj);
	case CKO_PUBLIC_KEY:
	case CKO_PRIVATE_KEY:
		switch (ukey_object_ulong(obj, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION)) {
		case CKK_RSA:
			return pkey_rsa(obj);
		case CKK_EC:
			return pkey_ec(obj, false);
		case CKK_SM2:
			return pkey_ec(obj, true);
		default:
			return NULL;
		}
	default:
		return NULL;
	}
}
