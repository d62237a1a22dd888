/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmp-asn1.c: views of the CMP structures whose parts OpenSSL 3.0 has no
 * getter for (later versions have some), decoded by OpenSSL's ASN.1
 * templates: a PKIMessage's extraCerts (RFC 4210 section 5.1; RFC 9483
 * section 3.3: the first is the protecting certificate), a CertTemplate's
 * publicKey (RFC 4211 section 5) and a PKIStatusInfo's status.
 */
#include "config.h"

#include "cmp.h"

#include <openssl/asn1t.h>
#include <openssl/x509.h>

typedef struct {
	ASN1_TYPE *header, *body;
	ASN1_BIT_STRING *protection;
	STACK_OF(X509) *extraCerts;
} CMP_VIEW;

ASN1_SEQUENCE(CMP_VIEW) = {
	ASN1_SIMPLE(CMP_VIEW, header, ASN1_ANY),
	ASN1_SIMPLE(CMP_VIEW, body, ASN1_ANY),
	ASN1_EXP_OPT(CMP_VIEW, protection, ASN1_BIT_STRING, 0),
	ASN1_EXP_SEQUENCE_OF_OPT(CMP_VIEW, extraCerts, X509, 1),
} static_ASN1_SEQUENCE_END(CMP_VIEW)

typedef struct {
	ASN1_TIME *notBefore, *notAfter;
} TMPL_VALIDITY;

ASN1_SEQUENCE(TMPL_VALIDITY) = {
	ASN1_EXP_OPT(TMPL_VALIDITY, notBefore, ASN1_TIME, 0),
	ASN1_EXP_OPT(TMPL_VALIDITY, notAfter, ASN1_TIME, 1),
} static_ASN1_SEQUENCE_END(TMPL_VALIDITY)

typedef struct {
	ASN1_INTEGER *version, *serialNumber;
	X509_ALGOR *signingAlg;
	X509_NAME *issuer;
	TMPL_VALIDITY *validity;
	X509_NAME *subject;
	X509_PUBKEY *publicKey;
	ASN1_BIT_STRING *issuerUID, *subjectUID;
	STACK_OF(X509_EXTENSION) *extensions;
} TMPL_VIEW;

ASN1_SEQUENCE(TMPL_VIEW) = {
	ASN1_IMP_OPT(TMPL_VIEW, version, ASN1_INTEGER, 0),
	ASN1_IMP_OPT(TMPL_VIEW, serialNumber, ASN1_INTEGER, 1),
	ASN1_IMP_OPT(TMPL_VIEW, signingAlg, X509_ALGOR, 2),
	ASN1_EXP_OPT(TMPL_VIEW, issuer, X509_NAME, 3),
	ASN1_IMP_OPT(TMPL_VIEW, validity, TMPL_VALIDITY, 4),
	ASN1_EXP_OPT(TMPL_VIEW, subject, X509_NAME, 5),
	ASN1_IMP_OPT(TMPL_VIEW, publicKey, X509_PUBKEY, 6),
	ASN1_IMP_OPT(TMPL_VIEW, issuerUID, ASN1_BIT_STRING, 7),
	ASN1_IMP_OPT(TMPL_VIEW, subjectUID, ASN1_BIT_STRING, 8),
	ASN1_IMP_SEQUENCE_OF_OPT(TMPL_VIEW, extensions, X509_EXTENSION, 9),
} static_ASN1_SEQUENCE_END(TMPL_VIEW)

typedef struct {
	ASN1_INTEGER *status;
	STACK_OF(ASN1_UTF8STRING) *statusString;
	ASN1_BIT_STRING *failInfo;
} PKISI_VIEW;

ASN1_SEQUENCE(PKISI_VIEW) = {
	ASN1_SIMPLE(PKISI_VIEW, status, ASN1_INTEGER),
	ASN1_SEQUENCE_OF_OPT(PKISI_VIEW, statusString, ASN1_UTF8STRING),
	ASN1_OPT(PKISI_VIEW, failInfo, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(PKISI_VIEW)

X509 *cmp_protecting_cert(const unsigned char *der, long len)
{
	const unsigned char *p = der;
	CMP_VIEW *v = (CMP_VIEW *)ASN1_item_d2i(NULL, &p, len, ASN1_ITEM_rptr(CMP_VIEW));
	X509 *x = NULL;

	if (v != NULL && sk_X509_num(v->extraCerts) > 0) {
		x = sk_X509_value(v->extraCerts, 0);
		X509_up_ref(x);
	}
	ASN1_item_free((ASN1_VALUE *)v, ASN1_ITEM_rptr(CMP_VIEW));
	return x;
}

EVP_PKEY *cmp_template_key(const OSSL_CRMF_MSG *crm)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_OSSL_CRMF_CERTTEMPLATE(OSSL_CRMF_MSG_get0_tmpl(crm), &der);
	TMPL_VIEW *v;
	EVP_PKEY *k = NULL;

	if (len <= 0)
		return NULL;
	p = der;
	v = (TMPL_VIEW *)ASN1_item_d2i(NULL, &p, len, ASN1_ITEM_rptr(TMPL_VIEW));
	if (v != NULL && v->publicKey != NULL)
		k = X509_PUBKEY_get(v->publicKey);
	ASN1_item_free((ASN1_VALUE *)v, ASN1_ITEM_rptr(TMPL_VIEW));
	OPENSSL_free(der);
	return k;
}

/* The PKIStatus, or -1. */
int cmp_pkisi_status(const OSSL_CMP_PKISI *si)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_OSSL_CMP_PKISI((OSSL_CMP_PKISI *)si, &der), st = -1;
	PKISI_VIEW *v;

	if (len <= 0)
		return -1;
	p = der;
	v = (PKISI_VIEW *)ASN1_item_d2i(NULL, &p, len, ASN1_ITEM_rptr(PKISI_VIEW));
	if (v != NULL)
		st = (int)ASN1_INTEGER_get(v->status);
	ASN1_item_free((ASN1_VALUE *)v, ASN1_ITEM_rptr(PKISI_VIEW));
	OPENSSL_free(der);
	return st;
}
