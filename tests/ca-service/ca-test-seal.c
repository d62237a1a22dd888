/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ca-test-seal.c: decodes a seal (DER file, or base64 with --b64) with
 * common/seal-asn1 and prints what a test checks:
 *   shape=4 es_id=... type=1 name=... certs=1 holder_serial=<hex>
 *   maker_serial=<hex> verify=1
 * Exit 0 only when the seal decodes and its maker signature verifies.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "b64.h"
#include "certder.h"
#include "https.h"
#include "seal-asn1.h"

static void print_serial(const char *label, const ASN1_OCTET_STRING *os)
{
	const unsigned char *p = os ? ASN1_STRING_get0_data(os) : NULL;
	X509 *x = p ? d2i_X509(NULL, &p, ASN1_STRING_length(os)) : NULL;
	char *h = x ? ukc_x509_serial_hex(x) : NULL;

	printf(" %s=%s", label, h ? h : "-");
	free(h);
	X509_free(x);
}

int main(int argc, char **argv)
{
	int b64 = argc > 2 && strcmp(argv[1], "--b64") == 0, v, ret = 1;
	size_t n = 0;
	char *raw = argc > 1 ? https_read_file(argv[argc - 1], &n) : NULL;
	unsigned char *der = (unsigned char *)raw;
	size_t len = n;
	ukc_ses_seal *s = NULL;

	if (raw == NULL) {
		fprintf(stderr, "usage: ca-test-seal [--b64] FILE\n");
		return 2;
	}
	if (b64) {
		raw[strcspn(raw, "\r\n")] = '\0';
		der = ukc_b64_decode(raw, strlen(raw), &len, NULL);
	}
	s = der != NULL && len > 0 && len <= LONG_MAX ? ukc_ses_decode(der, (long)len) : NULL;
	if (s == NULL) {
		printf("decode=failed\n");
		goto out;
	}
	v = ukc_ses_verify(s);
	printf("shape=%d es_id=%.*s type=%ld name=%.*s certs=%d", s->shape,
	       ASN1_STRING_length(ukc_ses_es_id(s)),
	       (const char *)ASN1_STRING_get0_data(ukc_ses_es_id(s)), ukc_ses_type(s),
	       ASN1_STRING_length(ukc_ses_name(s)),
	       (const char *)ASN1_STRING_get0_data(ukc_ses_name(s)), ukc_ses_cert_count(s));
	print_serial("holder_serial", ukc_ses_cert_get(s, 0));
	print_serial("maker_serial", ukc_ses_maker_cert(s));
	printf(" verify=%d\n", v);
	ret = v == 1 ? 0 : 1;
out:
	ukc_ses_free(s);
	if (der != (unsigned char *)raw)
		free(der);
	free(raw);
	return ret;
}
