/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "certder.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

X509 *ukc_x509_from_pem(const char *pem)
{
	BIO *b = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

char *ukc_x509_to_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	long len;

	if (b != NULL && PEM_write_bio_X509(b, x)) {
		len = BIO_get_mem_data(b, &p);
		out = len >= 0 ? strndup(p, (size_t)len) : NULL;
	}
	BIO_free(b);
	return out;
}

char *ukc_x509_serial_hex(const X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL, *out = NULL;
	size_t i = 0;

	if (h != NULL) {
		for (char *p = h; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		/* BN_bn2hex writes whole bytes: "0a" is "a" to the service. */
		while (h[i] == '0' && h[i + 1] != '\0')
			i++;
		out = strdup(h + i);
	}
	OPENSSL_free(h);
	BN_free(bn);
	return out;
}

int ukc_asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = timegm(&tm);
	return 0;
}

static ASN1_OCTET_STRING *sm2_id(void)
{
	ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();

	if (id != NULL && !ASN1_OCTET_STRING_set(id, (const unsigned char *)UKC_SM2_ID, (int)strlen(UKC_SM2_ID))) {
		ASN1_OCTET_STRING_free(id);
		id = NULL;
	}
	return id;
}

int ukc_x509_set_sm2_id(X509 *x)
{
	ASN1_OCTET_STRING *id = sm2_id();

	if (id == NULL)
		return -1;
	X509_set0_distinguishing_id(x, id);
	return 0;
}

int ukc_x509_req_set_sm2_id(X509_REQ *req)
{
	ASN1_OCTET_STRING *id = sm2_id();

	if (id == NULL)
		return -1;
	X509_REQ_set0_distinguishing_id(req, id);
	return 0;
}

int ukc_x509_sign(X509 *x, EVP_PKEY *key)
{
	OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
	EVP_MD_CTX *md;
	int ok;

	if (!EVP_PKEY_is_a(key, "SM2"))
		return X509_sign(x, key, EVP_sha256()) > 0;
	md = EVP_MD_CTX_new();
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_DIST_ID, (void *)UKC_SM2_ID, strlen(UKC_SM2_ID));
	ok = md != NULL && EVP_DigestSignInit_ex(md, NULL, "SM3", NULL, NULL, key, p) == 1 && X509_sign_ctx(x, md) > 0;
	EVP_MD_CTX_free(md);
	return ok;
}
