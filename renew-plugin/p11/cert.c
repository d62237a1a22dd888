/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* cert.c: the facts the user checks on a certificate, read with OpenSSL. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certder.h"
#include "ukey-base.h"
#include "p11.h"

/* GDCA's trust-service number (证书信任号), docs/protocol.md, "trust_number". */
#define TRUST_NUMBER_OID "1.2.86.21.1.3"

static void name_text(const X509_NAME *n, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int got;

	out[0] = '\0';
	if (b == NULL)
		return;
	/* RFC 2253 order but UTF-8 kept as is (Chinese names stay readable). */
	if (X509_NAME_print_ex(b, n, 0, (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | XN_FLAG_DN_REV) >= 0) {
		got = BIO_read(b, out, (int)len - 1);
		out[got > 0 ? got : 0] = '\0';
	}
	BIO_free(b);
}

/* The extension's value is a DER string (UTF8String, PrintableString...);
 * a bare value is accepted too when it is printable. */
static void trust_number(X509 *x, char *out, size_t len)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(TRUST_NUMBER_OID, 1);
	int idx = oid ? X509_get_ext_by_OBJ(x, oid, -1) : -1;
	const ASN1_OCTET_STRING *os;
	const unsigned char *p;
	ASN1_TYPE *t = NULL;
	int n, i;

	out[0] = '\0';
	ASN1_OBJECT_free(oid);
	if (idx < 0)
		return;
	os = X509_EXTENSION_get_data(X509_get_ext(x, idx));
	p = ASN1_STRING_get0_data(os);
	n = ASN1_STRING_length(os);
	t = d2i_ASN1_TYPE(NULL, &p, n);
	if (t != NULL && t->type != V_ASN1_SEQUENCE && t->type != V_ASN1_SET && t->type != V_ASN1_OBJECT &&
	    t->type != V_ASN1_BOOLEAN && t->type != V_ASN1_NULL) {
		p = ASN1_STRING_get0_data(t->value.asn1_string);
		n = ASN1_STRING_length(t->value.asn1_string);
	} else {
		p = ASN1_STRING_get0_data(os);
		n = ASN1_STRING_length(os);
	}
	for (i = 0; i < n && (size_t)i < len - 1 && isprint(p[i]); i++)
		out[i] = (char)p[i];
	out[i == n ? i : 0] = '\0';
	ASN1_TYPE_free(t);
}

static void key_type(X509 *x, char *out, size_t len)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char group[64] = "";

	snprintf(out, len, "?");
	if (k == NULL)
		return;
	if (EVP_PKEY_is_a(k, "RSA")) {
		snprintf(out, len, "RSA");
	} else if (EVP_PKEY_is_a(k, "SM2")) {
		snprintf(out, len, "SM2");
	} else if (EVP_PKEY_is_a(k, "EC")) {
		/* An id-ecPublicKey on the sm2p256v1 curve is an SM2 key. */
		EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), NULL);
		snprintf(out, len, "%s", strcmp(group, "SM2") == 0 ? "SM2" : "EC");
	}
}

int ukey_cert_parse(struct ukey_cert *c, struct ukey_err *e)
{
	const unsigned char *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
	char *hex = NULL;
	uint32_t ku;
	int ret = UKEY_E_OK;

	if (x == NULL)
		return ukey_err_set(e, UKEY_E_TOKEN, _("a certificate on the token cannot be parsed"));
	name_text(X509_get_subject_name(x), c->subject, sizeof(c->subject));
	name_text(X509_get_issuer_name(x), c->issuer, sizeof(c->issuer));
	if (ukc_asn1_time(X509_get0_notBefore(x), &c->not_before) ||
	    ukc_asn1_time(X509_get0_notAfter(x), &c->not_after)) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("a certificate on the token has bad validity dates"));
		goto out;
	}
	hex = ukc_x509_serial_hex(x);
	if (hex != NULL)
		snprintf(c->serial_hex, sizeof(c->serial_hex), "%s", hex);
	trust_number(x, c->trust_number, sizeof(c->trust_number));
	ku = X509_get_key_usage(x);
	c->sign = (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
	c->encrypt = (ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT)) != 0;
	key_type(x, c->key_type, sizeof(c->key_type));
out:
	free(hex);
	X509_free(x);
	return ret;
}
