/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto-check.h"
#include "ecsig.h"

const struct ukc_sigmech ukc_rsa_pkcs_mechs[] = {
	{ CKM_SHA1_RSA_PKCS, "CKM_SHA1_RSA_PKCS", UKC_RSA_PKCS, "SHA1", CKM_SHA_1, CKG_MGF1_SHA1, 20 },
	{ CKM_SHA224_RSA_PKCS, "CKM_SHA224_RSA_PKCS", UKC_RSA_PKCS, "SHA224", CKM_SHA224, CKG_MGF1_SHA224, 28 },
	{ CKM_SHA256_RSA_PKCS, "CKM_SHA256_RSA_PKCS", UKC_RSA_PKCS, "SHA256", CKM_SHA256, CKG_MGF1_SHA256, 32 },
	{ CKM_SHA384_RSA_PKCS, "CKM_SHA384_RSA_PKCS", UKC_RSA_PKCS, "SHA384", CKM_SHA384, CKG_MGF1_SHA384, 48 },
	{ CKM_SHA512_RSA_PKCS, "CKM_SHA512_RSA_PKCS", UKC_RSA_PKCS, "SHA512", CKM_SHA512, CKG_MGF1_SHA512, 64 },
	{ 0, NULL, 0, NULL, 0, 0, 0 },
};

const struct ukc_sigmech ukc_rsa_pss_mechs[] = {
	{ CKM_SHA1_RSA_PKCS_PSS, "CKM_SHA1_RSA_PKCS_PSS", UKC_RSA_PSS, "SHA1", CKM_SHA_1, CKG_MGF1_SHA1, 20 },
	{ CKM_SHA224_RSA_PKCS_PSS, "CKM_SHA224_RSA_PKCS_PSS", UKC_RSA_PSS, "SHA224", CKM_SHA224, CKG_MGF1_SHA224, 28 },
	{ CKM_SHA256_RSA_PKCS_PSS, "CKM_SHA256_RSA_PKCS_PSS", UKC_RSA_PSS, "SHA256", CKM_SHA256, CKG_MGF1_SHA256, 32 },
	{ CKM_SHA384_RSA_PKCS_PSS, "CKM_SHA384_RSA_PKCS_PSS", UKC_RSA_PSS, "SHA384", CKM_SHA384, CKG_MGF1_SHA384, 48 },
	{ CKM_SHA512_RSA_PKCS_PSS, "CKM_SHA512_RSA_PKCS_PSS", UKC_RSA_PSS, "SHA512", CKM_SHA512, CKG_MGF1_SHA512, 64 },
	{ 0, NULL, 0, NULL, 0, 0, 0 },
};

const struct ukc_sigmech ukc_ecdsa_mechs[] = {
	{ CKM_ECDSA_SHA1, "CKM_ECDSA_SHA1", UKC_ECDSA, "SHA1", CKM_SHA_1, CKG_MGF1_SHA1, 20 },
	{ CKM_ECDSA_SHA224, "CKM_ECDSA_SHA224", UKC_ECDSA, "SHA224", CKM_SHA224, CKG_MGF1_SHA224, 28 },
	{ CKM_ECDSA_SHA256, "CKM_ECDSA_SHA256", UKC_ECDSA, "SHA256", CKM_SHA256, CKG_MGF1_SHA256, 32 },
	{ CKM_ECDSA_SHA384, "CKM_ECDSA_SHA384", UKC_ECDSA, "SHA384", CKM_SHA384, CKG_MGF1_SHA384, 48 },
	{ CKM_ECDSA_SHA512, "CKM_ECDSA_SHA512", UKC_ECDSA, "SHA512", CKM_SHA512, CKG_MGF1_SHA512, 64 },
	{ 0, NULL, 0, NULL, 0, 0, 0 },
};

/* SM3 with Z (default signer ID), then SM2 (GM/T 0009). */
const struct ukc_sigmech ukc_sm2_mechs[] = {
	{ CKM_SM3_SM2, "CKM_SM3_SM2", UKC_SM2, "SM3", CKM_SM3, 0, 32 },
	{ 0, NULL, 0, NULL, 0, 0, 0 },
};

const char *ukc_md_for_ckm(CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE *mgf, size_t *hlen)
{
	for (const struct ukc_sigmech *m = ukc_rsa_pss_mechs; m->name; m++) {
		if (m->hash != hash)
			continue;
		if (mgf)
			*mgf = m->mgf;
		if (hlen)
			*hlen = m->hlen;
		return m->md;
	}
	return NULL;
}

void ukc_random(unsigned char *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1)
		abort();
}

CK_RV ukc_get_attr(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
		   CK_ATTRIBUTE_TYPE type, unsigned char **val, CK_ULONG *len)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_RV rv = p11->C_GetAttributeValue(s, o, &a, 1);

	*val = NULL;
	if (rv != CKR_OK)
		return rv;
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return CKR_GENERAL_ERROR;
	a.pValue = malloc(a.ulValueLen ? a.ulValueLen : 1);
	if (!a.pValue)
		return CKR_HOST_MEMORY;
	rv = p11->C_GetAttributeValue(s, o, &a, 1);
	if (rv != CKR_OK) {
		free(a.pValue);
		return rv;
	}
	*val = a.pValue;
	*len = a.ulValueLen;
	return CKR_OK;
}

/* SM2 certificates are signed with the GM/T 0009 default signer ID
 * (ukey-vkey: -sigopt distid:1234567812345678); OpenSSL 3.0 verifies with an
 * empty ID unless told. */
static int ukc_x509_verify(X509 *cert, X509 *ca)
{
	EVP_PKEY *capk = X509_get0_pubkey(ca);
	ASN1_OCTET_STRING *distid;

	if (capk == NULL)
		return 0;
	if (EVP_PKEY_is_a(capk, "SM2")) {
		distid = ASN1_OCTET_STRING_new();
		if (distid == NULL || ASN1_OCTET_STRING_set(distid, (const unsigned char *)"1234567812345678", 16) != 1) {
			ASN1_OCTET_STRING_free(distid);
			return 0;
		}
		X509_set0_distinguishing_id(cert, distid);
	}
	return X509_verify(cert, capk) == 1;
}

EVP_PKEY *ukc_cert_pubkey(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s,
			  const struct ukt_token *tok, bool sign)
{
	const unsigned char *id = sign ? tok->sign_id : tok->enc_id;
	size_t idlen = sign ? tok->sign_id_len : tok->enc_id_len;
	CK_OBJECT_HANDLE h;
	unsigned char *der = NULL;
	const unsigned char *p;
	CK_ULONG len = 0;
	X509 *cert = NULL, *ca = NULL;
	EVP_PKEY *pk = NULL;
	FILE *f = NULL;

	if (ukt_find_one(p11, s, CKO_CERTIFICATE, id, idlen, &h) != CKR_OK)
		goto out;
	if (ukc_get_attr(p11, s, h, CKA_VALUE, &der, &len) != CKR_OK)
		goto out;
	p = der;
	cert = d2i_X509(NULL, &p, (long)len);
	f = fopen(tok->ca_cert, "r");
	if (!cert || !f)
		goto out;
	ca = PEM_read_X509(f, NULL, NULL, NULL);
	/* A certificate that does not chain to the test CA is not the fixture's. */
	if (!ca || !ukc_x509_verify(cert, ca))
		goto out;
	pk = X509_get_pubkey(cert);
out:
	if (!pk)
		fprintf(stderr, "# no usable %s certificate\n", sign ? "signing" : "encryption");
	if (f)
		fclose(f);
	X509_free(ca);
	X509_free(cert);
	free(der);
	return pk;
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pk;
}

static EVP_PKEY *rsa_pub(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
	unsigned char *n = NULL, *e = NULL;
	CK_ULONG nlen, elen;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;

	if (!bld || ukc_get_attr(p11, s, o, CKA_MODULUS, &n, &nlen) != CKR_OK ||
	    ukc_get_attr(p11, s, o, CKA_PUBLIC_EXPONENT, &e, &elen) != CKR_OK)
		goto out;
	bn = BN_bin2bn(n, (int)nlen, NULL);
	be = BN_bin2bn(e, (int)elen, NULL);
	if (!bn || !be || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		goto out;
	pk = pkey_fromdata("RSA", bld);
out:
	BN_free(bn);
	BN_free(be);
	OSSL_PARAM_BLD_free(bld);
	free(n);
	free(e);
	return pk;
}

static EVP_PKEY *ec_pub(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
	unsigned char *params = NULL, *point = NULL;
	const unsigned char *p;
	CK_ULONG plen, ptlen;
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *os = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;
	const char *group;

	if (!bld || ukc_get_attr(p11, s, o, CKA_EC_PARAMS, &params, &plen) != CKR_OK ||
	    ukc_get_attr(p11, s, o, CKA_EC_POINT, &point, &ptlen) != CKR_OK)
		goto out;
	p = params;
	oid = d2i_ASN1_OBJECT(NULL, &p, (long)plen);
	/* PKCS#11 says CKA_EC_POINT is a DER OCTET STRING; a bare point fails here. */
	p = point;
	os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)ptlen);
	if (!oid || !os || p != point + ptlen)
		goto out;
	group = OBJ_nid2sn(OBJ_obj2nid(oid));
	if (!group || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os)))
		goto out;
	/* OpenSSL 3 keeps SM2 keys apart from EC keys: SM2 signatures and
	 * encryption need the "SM2" key type. */
	pk = pkey_fromdata(OBJ_obj2nid(oid) == NID_sm2 ? "SM2" : "EC", bld);
out:
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(os);
	OSSL_PARAM_BLD_free(bld);
	free(params);
	free(point);
	return pk;
}

EVP_PKEY *ukc_pubkey_from_object(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub)
{
	CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };

	if (p11->C_GetAttributeValue(s, pub, &a, 1) != CKR_OK)
		return NULL;
	if (kt == CKK_RSA)
		return rsa_pub(p11, s, pub);
	if (kt == CKK_EC || kt == CKK_SM2)
		return ec_pub(p11, s, pub);
	return NULL;
}

size_t ukc_ecdsa_raw_to_der(const unsigned char *raw, size_t rawlen, unsigned char *der, size_t dersize)
{
	unsigned char *d = NULL;
	int n = ukc_ecsig_raw_to_der(raw, rawlen, &d);
	size_t len = n > 0 && (size_t)n <= dersize ? (size_t)n : 0;

	if (len > 0)
		memcpy(der, d, len);
	OPENSSL_free(d);
	return len;
}

size_t ukc_digest_info(const char *md, const unsigned char *data, size_t len,
		       unsigned char *out, size_t outsize)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	X509_SIG *xs = X509_SIG_new();
	X509_ALGOR *alg;
	ASN1_OCTET_STRING *dig;
	const EVP_MD *emd = EVP_get_digestbyname(md);
	unsigned char *p = out;
	size_t ret = 0;
	int n;

	if (!xs || !emd || EVP_Digest(data, len, h, &hlen, emd, NULL) != 1)
		goto out;
	X509_SIG_getm(xs, &alg, &dig);
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(emd)), V_ASN1_NULL, NULL) != 1 ||
	    ASN1_OCTET_STRING_set(dig, h, (int)hlen) != 1)
		goto out;
	n = i2d_X509_SIG(xs, NULL);
	if (n > 0 && (size_t)n <= outsize && i2d_X509_SIG(xs, &p) == n)
		ret = (size_t)n;
out:
	X509_SIG_free(xs);
	return ret;
}

static int set_pss(EVP_PKEY_CTX *pctx, const EVP_MD *md)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, EVP_MD_get_size(md)) == 1;
}

int ukc_verify(EVP_PKEY *pk, const struct ukc_sigmech *m, const char *raw_md,
	       const unsigned char *data, size_t len, const unsigned char *sig, size_t siglen)
{
	unsigned char der[256];
	const EVP_MD *md = m->md ? EVP_get_digestbyname(m->md) : NULL;
	const EVP_MD *rmd = raw_md ? EVP_get_digestbyname(raw_md) : NULL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL, *sm2ctx = NULL;
	int ret = -1, r;

	if (m->kind == UKC_ECDSA || m->kind == UKC_SM2) {
		siglen = ukc_ecdsa_raw_to_der(sig, siglen, der, sizeof(der));
		if (!siglen)
			return 0;
		sig = der;
	}
	if (md && m->kind == UKC_SM2) {
		/* The ID must reach the key context before Init computes Z. */
		mctx = EVP_MD_CTX_new();
		sm2ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		if (!mctx || !sm2ctx || EVP_PKEY_CTX_set1_id(sm2ctx, UKEY_SM2_DEFAULT_ID, 16) != 1)
			goto out;
		EVP_MD_CTX_set_pkey_ctx(mctx, sm2ctx); /* mctx does not own it */
		if (EVP_DigestVerifyInit(mctx, NULL, md, NULL, pk) != 1)
			goto out;
		r = EVP_DigestVerify(mctx, sig, siglen, data, len);
	} else if (md) {
		mctx = EVP_MD_CTX_new();
		if (!mctx || EVP_DigestVerifyInit(mctx, &pctx, md, NULL, pk) != 1)
			goto out;
		if (m->kind == UKC_RSA_PSS && !set_pss(pctx, md))
			goto out;
		r = EVP_DigestVerify(mctx, sig, siglen, data, len);
	} else {
		pctx = EVP_PKEY_CTX_new(pk, NULL);
		if (!pctx || EVP_PKEY_verify_init(pctx) != 1)
			goto out;
		if (m->kind == UKC_RSA_PKCS &&
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
			goto out;
		if (m->kind == UKC_RSA_PSS &&
		    (!rmd || EVP_PKEY_CTX_set_signature_md(pctx, rmd) != 1 || !set_pss(pctx, rmd)))
			goto out;
		r = EVP_PKEY_verify(pctx, sig, siglen, data, len);
	}
	ret = r == 1 ? 1 : r == 0 ? 0 : -1;
	/* OpenSSL reports a malformed signature as an error, which for this
	 * check means "not a valid signature". */
	if (r < 0)
		ret = 0;
out:
	if (mctx)
		EVP_MD_CTX_free(mctx);
	else
		EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_CTX_free(sm2ctx);
	return ret;
}
