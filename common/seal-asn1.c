/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal-asn1.c: ASN.1 templates for GM/T 0031-2014 and GB/T 38540-2020 seals,
 * shape detection, the signed bytes of each shape and signature helpers.
 * Field order and types follow the standards as summarised in
 * docs/seals.md, with the deviations of real seals listed there.
 */
#include "config.h"

#include "seal-asn1.h"
#include "dertlv.h"
#include "ecsig.h"

#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

ASN1_SEQUENCE(SES_HEADER) = {
	ASN1_SIMPLE(SES_HEADER, id, ASN1_IA5STRING),
	ASN1_SIMPLE(SES_HEADER, version, ASN1_INTEGER),
	ASN1_SIMPLE(SES_HEADER, vid, ASN1_IA5STRING),
} ASN1_SEQUENCE_END(SES_HEADER)
IMPLEMENT_ASN1_FUNCTIONS(SES_HEADER)

/* Certificates are OCTET STRINGs; SEQUENCE OF ANY also accepts the digest
 * arm of the v4 CHOICE, which a CHOICE template cannot tell apart (both arms
 * are SEQUENCE OF). */
ASN1_SEQUENCE(SES_PROPERTY_V1) = {
	ASN1_SIMPLE(SES_PROPERTY_V1, type, ASN1_INTEGER),
	ASN1_SIMPLE(SES_PROPERTY_V1, name, ASN1_UTF8STRING),
	ASN1_SEQUENCE_OF(SES_PROPERTY_V1, cert_list, ASN1_ANY),
	ASN1_SIMPLE(SES_PROPERTY_V1, create_date, ASN1_TIME),
	ASN1_SIMPLE(SES_PROPERTY_V1, valid_start, ASN1_TIME),
	ASN1_SIMPLE(SES_PROPERTY_V1, valid_end, ASN1_TIME),
} ASN1_SEQUENCE_END(SES_PROPERTY_V1)
IMPLEMENT_ASN1_FUNCTIONS(SES_PROPERTY_V1)

ASN1_SEQUENCE(SES_PROPERTY_V4) = {
	ASN1_SIMPLE(SES_PROPERTY_V4, type, ASN1_INTEGER),
	ASN1_SIMPLE(SES_PROPERTY_V4, name, ASN1_UTF8STRING),
	ASN1_SIMPLE(SES_PROPERTY_V4, cert_list_type, ASN1_INTEGER),
	ASN1_SEQUENCE_OF(SES_PROPERTY_V4, cert_list, ASN1_ANY),
	ASN1_SIMPLE(SES_PROPERTY_V4, create_date, ASN1_TIME),
	ASN1_SIMPLE(SES_PROPERTY_V4, valid_start, ASN1_TIME),
	ASN1_SIMPLE(SES_PROPERTY_V4, valid_end, ASN1_TIME),
} ASN1_SEQUENCE_END(SES_PROPERTY_V4)
IMPLEMENT_ASN1_FUNCTIONS(SES_PROPERTY_V4)

ASN1_SEQUENCE(SES_PICTURE) = {
	ASN1_SIMPLE(SES_PICTURE, type, ASN1_IA5STRING),
	ASN1_SIMPLE(SES_PICTURE, data, ASN1_OCTET_STRING),
	ASN1_SIMPLE(SES_PICTURE, width, ASN1_INTEGER),
	ASN1_SIMPLE(SES_PICTURE, height, ASN1_INTEGER),
} ASN1_SEQUENCE_END(SES_PICTURE)
IMPLEMENT_ASN1_FUNCTIONS(SES_PICTURE)

/* critical BOOLEAN DEFAULT FALSE, as in X.509 extensions; an explicit FALSE
 * (seen in real seals) decodes too. */
ASN1_SEQUENCE(SES_EXTDATA) = {
	ASN1_SIMPLE(SES_EXTDATA, extn_id, ASN1_OBJECT),
	ASN1_OPT(SES_EXTDATA, critical, ASN1_FBOOLEAN),
	ASN1_SIMPLE(SES_EXTDATA, extn_value, ASN1_OCTET_STRING),
} ASN1_SEQUENCE_END(SES_EXTDATA)
IMPLEMENT_ASN1_FUNCTIONS(SES_EXTDATA)

ASN1_SEQUENCE(SES_SEALINFO_V1) = {
	ASN1_SIMPLE(SES_SEALINFO_V1, header, SES_HEADER),
	ASN1_SIMPLE(SES_SEALINFO_V1, es_id, ASN1_IA5STRING),
	ASN1_SIMPLE(SES_SEALINFO_V1, property, SES_PROPERTY_V1),
	ASN1_SIMPLE(SES_SEALINFO_V1, picture, SES_PICTURE),
	ASN1_SEQUENCE_OF_OPT(SES_SEALINFO_V1, ext_datas, SES_EXTDATA),
} ASN1_SEQUENCE_END(SES_SEALINFO_V1)
IMPLEMENT_ASN1_FUNCTIONS(SES_SEALINFO_V1)

ASN1_SEQUENCE(SES_SEALINFO_V4) = {
	ASN1_SIMPLE(SES_SEALINFO_V4, header, SES_HEADER),
	ASN1_SIMPLE(SES_SEALINFO_V4, es_id, ASN1_IA5STRING),
	ASN1_SIMPLE(SES_SEALINFO_V4, property, SES_PROPERTY_V4),
	ASN1_SIMPLE(SES_SEALINFO_V4, picture, SES_PICTURE),
	ASN1_SEQUENCE_OF_OPT(SES_SEALINFO_V4, ext_datas, SES_EXTDATA),
} ASN1_SEQUENCE_END(SES_SEALINFO_V4)
IMPLEMENT_ASN1_FUNCTIONS(SES_SEALINFO_V4)

ASN1_SEQUENCE(SES_SIGNINFO_V1) = {
	ASN1_SIMPLE(SES_SIGNINFO_V1, cert, ASN1_OCTET_STRING),
	ASN1_SIMPLE(SES_SIGNINFO_V1, signature_algorithm, ASN1_OBJECT),
	ASN1_SIMPLE(SES_SIGNINFO_V1, sign_data, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(SES_SIGNINFO_V1)
IMPLEMENT_ASN1_FUNCTIONS(SES_SIGNINFO_V1)

ASN1_SEQUENCE(SES_SEAL_V1) = {
	ASN1_SIMPLE(SES_SEAL_V1, seal_info, SES_SEALINFO_V1),
	ASN1_SIMPLE(SES_SEAL_V1, sign_info, SES_SIGNINFO_V1),
} ASN1_SEQUENCE_END(SES_SEAL_V1)
IMPLEMENT_ASN1_FUNCTIONS(SES_SEAL_V1)

ASN1_SEQUENCE(SES_SEAL_V4) = {
	ASN1_SIMPLE(SES_SEAL_V4, seal_info, SES_SEALINFO_V4),
	ASN1_SIMPLE(SES_SEAL_V4, cert, ASN1_OCTET_STRING),
	ASN1_SIMPLE(SES_SEAL_V4, sign_alg_id, ASN1_OBJECT),
	ASN1_SIMPLE(SES_SEAL_V4, signed_value, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(SES_SEAL_V4)
IMPLEMENT_ASN1_FUNCTIONS(SES_SEAL_V4)

ASN1_SEQUENCE(SES_TBS_V1) = {
	ASN1_SIMPLE(SES_TBS_V1, seal_info, SES_SEALINFO_V1),
	ASN1_SIMPLE(SES_TBS_V1, cert, ASN1_OCTET_STRING),
	ASN1_SIMPLE(SES_TBS_V1, signature_algorithm, ASN1_OBJECT),
} ASN1_SEQUENCE_END(SES_TBS_V1)
IMPLEMENT_ASN1_FUNCTIONS(SES_TBS_V1)

int ukc_ses_shape(const unsigned char *der, long len)
{
	struct ukc_der cur = { der, len > 0 ? (size_t)len : 0 }, in;
	struct ukc_der_tlv t;
	const char *why;
	size_t n;

	if (der == NULL || ukc_der_next(&cur, &t, &why) != 1 || t.tag != UKC_DER_SEQUENCE)
		return 0;
	ukc_der_enter(&t, &in);
	if (ukc_der_count(in, &n, &why) < 0)
		return 0;
	return n == 2 ? 1 : n == 4 ? 4 : 0;
}

ukc_ses_seal *ukc_ses_decode(const unsigned char *der, long len)
{
	ukc_ses_seal *s;
	const unsigned char *p = der;
	int shape = ukc_ses_shape(der, len);

	if (shape == 0)
		return NULL;
	s = OPENSSL_zalloc(sizeof(*s));
	if (s == NULL)
		return NULL;
	s->shape = shape;
	if (shape == 1)
		s->v1 = d2i_SES_SEAL_V1(NULL, &p, len);
	else
		s->v4 = d2i_SES_SEAL_V4(NULL, &p, len);
	if (s->v1 == NULL && s->v4 == NULL) {
		OPENSSL_free(s);
		return NULL;
	}
	return s;
}

void ukc_ses_free(ukc_ses_seal *seal)
{
	if (seal == NULL)
		return;
	SES_SEAL_V1_free(seal->v1);
	SES_SEAL_V4_free(seal->v4);
	OPENSSL_free(seal);
}

const ASN1_IA5STRING *ukc_ses_es_id(const ukc_ses_seal *s)
{
	return s->v1 ? s->v1->seal_info->es_id : s->v4->seal_info->es_id;
}

const ASN1_UTF8STRING *ukc_ses_name(const ukc_ses_seal *s)
{
	return s->v1 ? s->v1->seal_info->property->name : s->v4->seal_info->property->name;
}

long ukc_ses_type(const ukc_ses_seal *s)
{
	return ASN1_INTEGER_get(s->v1 ? s->v1->seal_info->property->type
				      : s->v4->seal_info->property->type);
}

const ASN1_TIME *ukc_ses_valid_start(const ukc_ses_seal *s)
{
	return s->v1 ? s->v1->seal_info->property->valid_start
		     : s->v4->seal_info->property->valid_start;
}

const ASN1_TIME *ukc_ses_valid_end(const ukc_ses_seal *s)
{
	return s->v1 ? s->v1->seal_info->property->valid_end
		     : s->v4->seal_info->property->valid_end;
}

const ASN1_OCTET_STRING *ukc_ses_maker_cert(const ukc_ses_seal *s)
{
	return s->v1 ? s->v1->sign_info->cert : s->v4->cert;
}

static STACK_OF(ASN1_TYPE) *certlist(const ukc_ses_seal *s)
{
	return s->v1 ? s->v1->seal_info->property->cert_list
		     : s->v4->seal_info->property->cert_list;
}

int ukc_ses_cert_count(const ukc_ses_seal *s)
{
	STACK_OF(ASN1_TYPE) *l = certlist(s);
	int i, n = 0;

	for (i = 0; i < sk_ASN1_TYPE_num(l); i++)
		if (ASN1_TYPE_get(sk_ASN1_TYPE_value(l, i)) == V_ASN1_OCTET_STRING)
			n++;
	return n;
}

const ASN1_OCTET_STRING *ukc_ses_cert_get(const ukc_ses_seal *s, int idx)
{
	STACK_OF(ASN1_TYPE) *l = certlist(s);
	int i, n = 0;

	for (i = 0; i < sk_ASN1_TYPE_num(l); i++) {
		ASN1_TYPE *t = sk_ASN1_TYPE_value(l, i);
		if (ASN1_TYPE_get(t) != V_ASN1_OCTET_STRING)
			continue;
		if (n++ == idx)
			return t->value.octet_string;
	}
	return NULL;
}

int ukc_ses_tbs(const ukc_ses_seal *s, unsigned char **out)
{
	SES_TBS_V1 tbs;

	*out = NULL;
	if (s->v4 != NULL)
		return i2d_SES_SEALINFO_V4(s->v4->seal_info, out);
	/* Borrowed pointers: i2d only reads them. */
	tbs.seal_info = s->v1->seal_info;
	tbs.cert = s->v1->sign_info->cert;
	tbs.signature_algorithm = s->v1->sign_info->signature_algorithm;
	return i2d_SES_TBS_V1(&tbs, out);
}

int ukc_ses_sig_nid(const EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "SM2"))
		return NID_SM2_with_SM3;
	if (EVP_PKEY_is_a(key, "EC"))
		return NID_ecdsa_with_SHA256;
	if (EVP_PKEY_is_a(key, "RSA"))
		return NID_sha256WithRSAEncryption;
	return NID_undef;
}

/* Starts a sign or verify operation with the digest (NULL: the one the
 * key type calls for) and, for SM2, the signer ID. */
static int md_init(EVP_MD_CTX *md, EVP_PKEY *key, const char *name, int sign)
{
	OSSL_PARAM params[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
	int sm2 = EVP_PKEY_is_a(key, "SM2");

	if (name == NULL)
		name = sm2 ? "SM3" : "SHA256";
	if (sm2)
		params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_DIST_ID, (void *)UKC_SM2_ID,
							      strlen(UKC_SM2_ID));
	if (sign)
		return EVP_DigestSignInit_ex(md, NULL, name, NULL, NULL, key, params) == 1;
	return EVP_DigestVerifyInit_ex(md, NULL, name, NULL, NULL, key, params) == 1;
}

int ukc_ses_sign_bytes(EVP_PKEY *key, const unsigned char *tbs, size_t tbs_len,
			unsigned char **sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t len = 0;
	int ret = -1;

	*sig = NULL;
	if (md == NULL || !md_init(md, key, NULL, 1))
		goto out;
	if (EVP_DigestSign(md, NULL, &len, tbs, tbs_len) != 1)
		goto out;
	*sig = OPENSSL_malloc(len);
	if (*sig == NULL || EVP_DigestSign(md, *sig, &len, tbs, tbs_len) != 1)
		goto out;
	ret = (int)len;
out:
	if (ret < 0) {
		OPENSSL_free(*sig);
		*sig = NULL;
	}
	EVP_MD_CTX_free(md);
	return ret;
}

int ukc_ses_check(EVP_PKEY *key, const char *md, const unsigned char *sig, size_t sig_len,
		  const unsigned char *tbs, size_t tbs_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL && md_init(ctx, key, md, 0) && EVP_DigestVerify(ctx, sig, sig_len, tbs, tbs_len) == 1;

	EVP_MD_CTX_free(ctx);
	return ok;
}

int ukc_ses_verify(const ukc_ses_seal *s)
{
	const ASN1_OCTET_STRING *mc = ukc_ses_maker_cert(s);
	const ASN1_BIT_STRING *bs = s->v1 ? s->v1->sign_info->sign_data : s->v4->signed_value;
	const unsigned char *p = ASN1_STRING_get0_data(mc);
	unsigned char *tbs = NULL, *sig = NULL;
	X509 *cert = d2i_X509(NULL, &p, ASN1_STRING_length(mc));
	EVP_PKEY *key = cert ? X509_get0_pubkey(cert) : NULL;
	int tbs_len, sig_len, ret = -1;

	if (key == NULL)
		goto out;
	tbs_len = ukc_ses_tbs(s, &tbs);
	if (tbs_len <= 0)
		goto out;
	/* A BIT STRING with a non-zero unused-bits count still carries whole
	 * signature bytes; take them as they are. */
	if (EVP_PKEY_is_a(key, "RSA")) {
		sig_len = ASN1_STRING_length(bs);
		sig = OPENSSL_memdup(ASN1_STRING_get0_data(bs), sig_len > 0 ? sig_len : 1);
	} else {
		sig_len = ukc_ecsig_to_der(ASN1_STRING_get0_data(bs), (size_t)ASN1_STRING_length(bs), &sig);
	}
	if (sig == NULL || sig_len <= 0) {
		ret = 0;
		goto out;
	}
	ret = ukc_ses_check(key, NULL, sig, (size_t)sig_len, tbs, (size_t)tbs_len);
out:
	OPENSSL_free(tbs);
	OPENSSL_free(sig);
	X509_free(cert);
	return ret;
}
