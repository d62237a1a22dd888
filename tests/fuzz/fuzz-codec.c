/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-codec.c: libFuzzer target for the codec library's parsers (common/):
 * the DER element reader and element length, the SESeal templates with
 * their verifier, r||s-or-DER signatures, PEM, base64 and hex. Arbitrary
 * bytes must be refused or read, never crash, never give a length or an
 * element past the input, and what decodes must encode back. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/x509.h>

#include "b64.h"
#include "certder.h"
#include "dertlv.h"
#include "ecsig.h"
#include "hex.h"
#include "seal-asn1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every element lies inside its parent; the elements of a well-formed
 * content tile it exactly. */
static void walk(const unsigned char *p, size_t len, int depth)
{
	struct ukc_der cur = { p, len };
	struct ukc_der_tlv t;
	const char *why = NULL;
	size_t n = 0, counted;
	long v;
	int r;

	while ((r = ukc_der_next(&cur, &t, &why)) == 1) {
		n++;
		if (t.tlv < p || t.val + t.len > p + len || t.tlv + t.tlv_len != t.val + t.len)
			abort();
		if (t.tag == UKC_DER_INTEGER)
			(void)ukc_der_uint31(&t, &v);
		if ((t.tag & V_ASN1_CONSTRUCTED) && depth < 8)
			walk(t.val, t.len, depth + 1);
	}
	if (r < 0 ? why == NULL : cur.len != 0)
		abort();
	cur.p = p;
	cur.len = len;
	if (ukc_der_count(cur, &counted, &why) != r || (r == 0 && counted != n))
		abort();
}

static void der(const uint8_t *data, size_t size)
{
	long n = ukc_der_elem_len(data, size);
	ukc_ses_seal *s;
	unsigned char *tbs = NULL, *sig = NULL;
	const unsigned char *q;
	ECDSA_SIG *es;
	int len;

	if (n == 0 || n > (long)size)
		abort();
	walk(data, size, 0);
	s = ukc_ses_decode(data, (long)size);
	if (s != NULL) {
		(void)ukc_ses_verify(s);
		(void)ukc_ses_cert_count(s);
		(void)ukc_ses_cert_get(s, 0);
		if (ukc_ses_tbs(s, &tbs) <= 0)
			abort();
		OPENSSL_free(tbs);
		ukc_ses_free(s);
	}
	len = ukc_ecsig_to_der(data, size, &sig);
	if (len > 0) {
		q = sig;
		es = d2i_ECDSA_SIG(NULL, &q, len);
		if (es == NULL || q != sig + len)
			abort();
		ECDSA_SIG_free(es);
	} else if (sig != NULL) {
		abort();
	}
	OPENSSL_free(sig);
}

static void text(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *enc, hex[2 * 64 + 1];
	unsigned char *raw, bytes[64];
	size_t len, bad = 0;
	long h;
	X509 *x;

	if (copy == NULL)
		return;
	memcpy(copy, data, size);
	copy[size] = '\0';
	raw = ukc_b64_decode(copy, size, &len, &bad);
	if (raw != NULL) {
		/* The same length back (the padding bits may differ). */
		enc = ukc_b64_encode(raw, len);
		if (enc != NULL && strlen(enc) != size)
			abort();
		free(enc);
		free(raw);
	} else if (bad != SIZE_MAX && bad > size) {
		abort();
	}
	h = ukc_hex_decode(copy, size, bytes, sizeof(bytes), &bad);
	if (h >= 0) {
		ukc_hex_encode(bytes, (size_t)h, hex, false);
		if (strncasecmp(hex, copy, size) != 0)
			abort();
	} else if (bad > size) {
		abort();
	}
	x = ukc_x509_from_pem(copy);
	if (x != NULL) {
		free(ukc_x509_serial_hex(x));
		free(ukc_x509_to_pem(x));
		X509_free(x);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	der(data, size);
	text(data, size);
	return 0;
}
