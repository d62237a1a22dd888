/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal-asn1.h: electronic seals (SESeal) as OpenSSL ASN.1 types, both shapes:
 *   GM/T 0031-2014 ("v1"): SESeal = { SES_SealInfo, SES_SignInfo }
 *   GB/T 38540-2020 ("v4"): SESeal = { SES_SealInfo, cert, signAlgID, signedValue }
 * Encode and decode (d2i_/i2d_ generated from templates), tell the shapes
 * apart by the element count of the outer SEQUENCE (never by the header
 * version: 2014-shaped seals with header version 4 exist), and verify the
 * seal maker's signature. A pure library: no I/O, no service or plugin code.
 * (The tolerant decoder that names a broken element and keeps the signed
 * bytes as written is renew-plugin/seal/seal-decode.c, on dertlv.h.)
 *
 * Tolerance (real seals differ from the texts): every date is an ASN1_TIME
 * (UTCTime or GeneralizedTime, either shape); the v4 certList is a SEQUENCE
 * OF ANY so both of its CHOICE arms (certificates or digests) decode;
 * signatures may be DER SEQUENCE{r,s} or raw r||s.
 */
#ifndef UKC_SEAL_ASN1_H
#define UKC_SEAL_ASN1_H

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certder.h"

typedef struct {
	ASN1_IA5STRING *id; /* always "ES" */
	ASN1_INTEGER *version;
	ASN1_IA5STRING *vid; /* vendor id */
} SES_HEADER;

typedef struct {
	ASN1_INTEGER *type;
	ASN1_UTF8STRING *name;
	STACK_OF(ASN1_TYPE) *cert_list; /* OCTET STRINGs: DER certificates */
	ASN1_TIME *create_date;
	ASN1_TIME *valid_start;
	ASN1_TIME *valid_end;
} SES_PROPERTY_V1;

typedef struct {
	ASN1_INTEGER *type;
	ASN1_UTF8STRING *name;
	ASN1_INTEGER *cert_list_type; /* 1 certificates, 2 digests */
	STACK_OF(ASN1_TYPE) *cert_list; /* OCTET STRINGs (type 1) or CertDigestObj SEQUENCEs */
	ASN1_TIME *create_date;
	ASN1_TIME *valid_start;
	ASN1_TIME *valid_end;
} SES_PROPERTY_V4;

typedef struct {
	ASN1_IA5STRING *type; /* "PNG", "GIF"... a hint only */
	ASN1_OCTET_STRING *data;
	ASN1_INTEGER *width; /* mm */
	ASN1_INTEGER *height;
} SES_PICTURE;

typedef struct {
	ASN1_OBJECT *extn_id;
	ASN1_BOOLEAN critical;
	ASN1_OCTET_STRING *extn_value;
} SES_EXTDATA;

DEFINE_STACK_OF(SES_EXTDATA)

typedef struct {
	SES_HEADER *header;
	ASN1_IA5STRING *es_id;
	SES_PROPERTY_V1 *property;
	SES_PICTURE *picture;
	STACK_OF(SES_EXTDATA) *ext_datas;
} SES_SEALINFO_V1;

typedef struct {
	SES_HEADER *header;
	ASN1_IA5STRING *es_id;
	SES_PROPERTY_V4 *property;
	SES_PICTURE *picture;
	STACK_OF(SES_EXTDATA) *ext_datas;
} SES_SEALINFO_V4;

typedef struct {
	ASN1_OCTET_STRING *cert; /* DER of the seal maker's certificate */
	ASN1_OBJECT *signature_algorithm;
	ASN1_BIT_STRING *sign_data;
} SES_SIGNINFO_V1;

typedef struct {
	SES_SEALINFO_V1 *seal_info;
	SES_SIGNINFO_V1 *sign_info;
} SES_SEAL_V1;

typedef struct {
	SES_SEALINFO_V4 *seal_info;
	ASN1_OCTET_STRING *cert;
	ASN1_OBJECT *sign_alg_id;
	ASN1_BIT_STRING *signed_value;
} SES_SEAL_V4;

/* What v1 signs: SEQUENCE { esealInfo, cert, signatureAlgorithm }. */
typedef struct {
	SES_SEALINFO_V1 *seal_info;
	ASN1_OCTET_STRING *cert;
	ASN1_OBJECT *signature_algorithm;
} SES_TBS_V1;

DECLARE_ASN1_FUNCTIONS(SES_HEADER)
DECLARE_ASN1_FUNCTIONS(SES_PROPERTY_V1)
DECLARE_ASN1_FUNCTIONS(SES_PROPERTY_V4)
DECLARE_ASN1_FUNCTIONS(SES_PICTURE)
DECLARE_ASN1_FUNCTIONS(SES_EXTDATA)
DECLARE_ASN1_FUNCTIONS(SES_SEALINFO_V1)
DECLARE_ASN1_FUNCTIONS(SES_SEALINFO_V4)
DECLARE_ASN1_FUNCTIONS(SES_SIGNINFO_V1)
DECLARE_ASN1_FUNCTIONS(SES_SEAL_V1)
DECLARE_ASN1_FUNCTIONS(SES_SEAL_V4)
DECLARE_ASN1_FUNCTIONS(SES_TBS_V1)

/* Either shape, decoded. */
typedef struct {
	int shape; /* 1 = 2014 (two elements), 4 = 2020 (four elements) */
	SES_SEAL_V1 *v1;
	SES_SEAL_V4 *v4;
} ukc_ses_seal;

/* 1 or 4 by the number of elements of the outer SEQUENCE; 0 if neither. */
int ukc_ses_shape(const unsigned char *der, long len);

/* Decodes either shape; NULL on malformed input. Free with ukc_ses_free. */
ukc_ses_seal *ukc_ses_decode(const unsigned char *der, long len);
void ukc_ses_free(ukc_ses_seal *seal);

/* Views on the decoded seal (borrowed pointers). */
const ASN1_IA5STRING *ukc_ses_es_id(const ukc_ses_seal *seal);
const ASN1_UTF8STRING *ukc_ses_name(const ukc_ses_seal *seal);
long ukc_ses_type(const ukc_ses_seal *seal);
const ASN1_TIME *ukc_ses_valid_start(const ukc_ses_seal *seal);
const ASN1_TIME *ukc_ses_valid_end(const ukc_ses_seal *seal);
const ASN1_OCTET_STRING *ukc_ses_maker_cert(const ukc_ses_seal *seal);
/* Number of certificates in certList (digest entries are not counted) and
 * the i-th certificate's DER; NULL when out of range or not a certificate. */
int ukc_ses_cert_count(const ukc_ses_seal *seal);
const ASN1_OCTET_STRING *ukc_ses_cert_get(const ukc_ses_seal *seal, int i);

/* The bytes the maker signed: v4 DER(SES_SealInfo); v1 DER(SES_TBS_V1).
 * Returns the length (OPENSSL_free *out) or -1. */
int ukc_ses_tbs(const ukc_ses_seal *seal, unsigned char **out);

/* Signs tbs with key as the seal's algorithm requires (SM2: SM3 with
 * UKC_SM2_ID; EC: ECDSA-SHA256; RSA: PKCS#1 v1.5 SHA-256). Returns the
 * DER signature length (OPENSSL_free *sig) or -1. */
int ukc_ses_sign_bytes(EVP_PKEY *key, const unsigned char *tbs, size_t tbs_len, unsigned char **sig);

/* Verifies the maker's signature with the public key of the maker
 * certificate embedded in the seal. 1 valid, 0 invalid, -1 error. */
int ukc_ses_verify(const ukc_ses_seal *seal);

/* Whether sig (DER for EC and SM2) is key's signature of tbs with digest md
 * (an OpenSSL name; NULL: SM3 for SM2 keys, else SHA-256); an SM2 key
 * verifies with UKC_SM2_ID. 1 valid, 0 not. */
int ukc_ses_check(EVP_PKEY *key, const char *md, const unsigned char *sig, size_t sig_len,
		  const unsigned char *tbs, size_t tbs_len);

/* The signature algorithm OID matching a key (SM2-with-SM3, ecdsa-with-SHA256
 * or sha256WithRSAEncryption); NID_undef for other keys. */
int ukc_ses_sig_nid(const EVP_PKEY *key);

#endif
