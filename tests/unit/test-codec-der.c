/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The codec library's DER helpers (common/dertlv.c, certder.c, ecsig.c):
 * the length of the element at the start of a buffer in every length form
 * (the renewal once guessed a certificate's length from "30 82" alone,
 * wrong below 256 bytes and from 64 KiB), refused when truncated or not
 * DER; the element reader's refusals by name; SEQUENCE building; the
 * serial as the service names it; PEM both ways; SM2 certificates signed
 * and verified with the signer ID; r||s to DER. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certder.h"
#include "dertlv.h"
#include "ecsig.h"

/* A SEQUENCE with n content bytes, as OpenSSL writes its header; malloc'd,
 * *len bytes. */
static unsigned char *sequence(size_t n, size_t *len)
{
	int total = ASN1_object_size(1, (int)n, V_ASN1_SEQUENCE);
	unsigned char *der = malloc((size_t)total), *p = der;

	assert_non_null(der);
	ASN1_put_object(&p, 1, (int)n, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memset(p, 0x5a, n);
	*len = (size_t)total;
	return der;
}

static void element_length_in_every_length_form(void **state)
{
	static const struct {
		size_t content, header;
		unsigned char len0;
	} c[] = {
		{ 0, 2, 0x00 },      { 5, 2, 0x05 },      { 127, 2, 0x7f },     /* short form */
		{ 128, 3, 0x81 },    { 200, 3, 0x81 },    { 255, 3, 0x81 },     /* one length octet */
		{ 256, 4, 0x82 },    { 1000, 4, 0x82 },   { 65535, 4, 0x82 },   /* two */
		{ 65536, 5, 0x83 },  { 70000, 5, 0x83 },                        /* three */
	};
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		unsigned char *der = sequence(c[i].content, &len), *more;
		assert_int_equal(len, c[i].header + c[i].content);
		assert_int_equal(der[1], c[i].len0);
		assert_int_equal(ukc_der_elem_len(der, len), (long)len);
		/* What follows the element is not part of it. */
		more = realloc(der, len + 7);
		assert_non_null(more);
		memset(more + len, 0, 7);
		assert_int_equal(ukc_der_elem_len(more, len + 7), (long)len);
		/* Cut anywhere: refused, never a length past the buffer. */
		assert_int_equal(ukc_der_elem_len(more, len - 1), -1);
		assert_int_equal(ukc_der_elem_len(more, c[i].header - 1), -1);
		free(more);
	}
}

static void element_length_of_a_real_certificate(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int len;

	(void)state;
	assert_non_null(k);
	assert_non_null(x);
	assert_true(X509_set_pubkey(x, k) && ASN1_INTEGER_set(X509_get_serialNumber(x), 10) &&
		    X509_gmtime_adj(X509_getm_notBefore(x), 0) && X509_gmtime_adj(X509_getm_notAfter(x), 60) &&
		    X509_sign(x, k, EVP_sha256()) > 0);
	len = i2d_X509(x, &der);
	assert_true(len > 0 && len < 256); /* the short certificate "30 82" missed */
	assert_int_equal(der[1], 0x81);
	assert_int_equal(ukc_der_elem_len(der, (size_t)len), len);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void element_length_refuses_garbage(void **state)
{
	(void)state;
	assert_int_equal(ukc_der_elem_len(NULL, 4), -1);
	assert_int_equal(ukc_der_elem_len((const unsigned char *)"\x30", 0), -1);
	assert_int_equal(ukc_der_elem_len((const unsigned char *)"\x30", 1), -1);
	assert_int_equal(ukc_der_elem_len((const unsigned char *)"\x30\x80\x00\x00", 4), -1); /* indefinite */
	assert_int_equal(ukc_der_elem_len((const unsigned char *)"\x30\x84\xff\xff\xff\xff", 6), -1);
	assert_int_equal(ukc_der_elem_len((const unsigned char *)"\x30\x89\x01\x00\x00\x00\x00\x00\x00\x00\x00", 11),
			 -1);
	assert_int_equal(ukc_der_elem_len((const unsigned char *)"\x30\x82\x01", 3), -1);
}

static void reader_names_what_is_wrong(void **state)
{
	static const struct {
		const char *der;
		size_t len;
		const char *why;
	} c[] = {
		{ "\x1f\x01\x00", 3, "multi-byte tag" },
		{ "\x30", 1, "truncated (no length)" },
		{ "\x30\x80\x00\x00", 4, "indefinite length (not DER)" },
		{ "\x30\x85\x00\x00\x00\x00\x01\x00", 8, "absurd length" },
		{ "\x30\x82\x01", 3, "truncated (in the length)" },
		{ "\x30\x84\xff\xff\xff\xff", 6, "truncated" },
		{ "\x30\x03\x02\x01", 4, "truncated (content shorter than its length)" },
	};
	struct ukc_der_tlv t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ukc_der cur = { (const unsigned char *)c[i].der, c[i].len };
		const char *why = NULL;
		assert_int_equal(ukc_der_next(&cur, &t, &why), -1);
		assert_non_null(why);
		if (strncmp(why, c[i].why, strlen(c[i].why)) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, why, c[i].why);
	}
}

static void reader_walks_and_counts(void **state)
{
	/* SEQUENCE { INTEGER 0x00 0x00 0x05 (padded), [0] { NULL }, OCTET STRING "ab" } */
	static const unsigned char der[] = { 0x30, 0x0d, 0x02, 0x03, 0x00, 0x00, 0x05, 0xa0, 0x02,
					     0x05, 0x00, 0x04, 0x02, 'a',  'b' };
	struct ukc_der cur = { der, sizeof(der) }, in;
	struct ukc_der_tlv t, e;
	const char *why;
	size_t n;
	long v;

	(void)state;
	assert_int_equal(ukc_der_next(&cur, &t, &why), 1);
	assert_int_equal(t.tag, UKC_DER_SEQUENCE);
	assert_int_equal(t.tlv_len, sizeof(der));
	assert_int_equal(cur.len, 0);
	assert_int_equal(ukc_der_next(&cur, &t, &why), 0);
	ukc_der_enter(&t, &in);
	assert_int_equal(ukc_der_count(in, &n, &why), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ukc_der_next(&in, &e, &why), 1);
	assert_int_equal(e.tag, UKC_DER_INTEGER);
	assert_int_equal(ukc_der_uint31(&e, &v), 0); /* leading zeros tolerated */
	assert_int_equal(v, 5);
	assert_int_equal(ukc_der_next(&in, &e, &why), 1);
	assert_int_equal(e.tag, 0xa0); /* context-specific, constructed */
	assert_int_equal(ukc_der_next(&in, &e, &why), 1);
	assert_int_equal(e.tag, UKC_DER_OCTET_STRING);
	assert_int_equal(e.len, 2);
	assert_memory_equal(e.val, "ab", 2);
}

static void uint31_refuses_negative_and_large(void **state)
{
	static const unsigned char neg[] = { 0x80 }, big[] = { 0x00, 0x80, 0x00, 0x00, 0x00 },
				   max[] = { 0x7f, 0xff, 0xff, 0xff };
	struct ukc_der_tlv t = { 0 };
	long v;

	(void)state;
	t.val = neg;
	t.len = sizeof(neg);
	assert_int_equal(ukc_der_uint31(&t, &v), -1);
	t.val = big;
	t.len = sizeof(big);
	assert_int_equal(ukc_der_uint31(&t, &v), -1);
	t.val = max;
	t.len = sizeof(max);
	assert_int_equal(ukc_der_uint31(&t, &v), 0);
	assert_int_equal(v, 0x7fffffffL);
	t.len = 0;
	assert_int_equal(ukc_der_uint31(&t, &v), -1);
}

static void sequence_wraps_the_parts_as_written(void **state)
{
	static const unsigned char a[] = { 0x05, 0x00 }, b[] = { 0x02, 0x01, 0x07 };
	unsigned char *big = calloc(1, 300), *out;
	struct ukc_bytes parts[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	size_t len;

	(void)state;
	out = ukc_der_sequence(parts, 2, &len);
	assert_non_null(out);
	assert_int_equal(len, 7);
	assert_memory_equal(out, "\x30\x05\x05\x00\x02\x01\x07", 7);
	free(out);
	assert_non_null(big);
	big[0] = 0x04;
	big[1] = 0x82;
	big[2] = 0x01;
	big[3] = 0x28; /* OCTET STRING of 296 bytes */
	parts[0].p = big;
	parts[0].len = 300;
	out = ukc_der_sequence(parts, 1, &len);
	assert_non_null(out);
	assert_int_equal(len, 304);
	assert_memory_equal(out, "\x30\x82\x01\x2c", 4);
	assert_int_equal(ukc_der_elem_len(out, len), 304);
	free(out);
	free(big);
}

static X509 *cert_with_serial(const char *hex)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	BIGNUM *bn = NULL;

	assert_non_null(k);
	assert_true(BN_hex2bn(&bn, hex) > 0);
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	assert_true(X509_set_pubkey(x, k) && X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
		    X509_gmtime_adj(X509_getm_notAfter(x), 3600) && X509_sign(x, k, EVP_sha256()) > 0);
	BN_free(bn);
	EVP_PKEY_free(k);
	return x;
}

static void serial_is_lower_case_without_leading_zeros(void **state)
{
	static const struct {
		const char *in, *out;
	} c[] = { { "0A", "a" }, { "0A1B", "a1b" }, { "1A2B", "1a2b" }, { "00FF", "ff" }, { "10", "10" } };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		X509 *x = cert_with_serial(c[i].in);
		char *s = ukc_x509_serial_hex(x);
		assert_non_null(s);
		assert_string_equal(s, c[i].out);
		free(s);
		X509_free(x);
	}
}

static void pem_round_trips_and_dates_read(void **state)
{
	X509 *x = cert_with_serial("1234"), *y;
	char *pem = ukc_x509_to_pem(x);
	time_t nb, na;

	(void)state;
	assert_non_null(pem);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	y = ukc_x509_from_pem(pem);
	assert_non_null(y);
	assert_int_equal(X509_cmp(x, y), 0);
	assert_int_equal(ukc_asn1_time(X509_get0_notBefore(y), &nb), 0);
	assert_int_equal(ukc_asn1_time(X509_get0_notAfter(y), &na), 0);
	assert_int_equal(na - nb, 3600);
	assert_int_equal(ukc_asn1_time(NULL, &na), -1);
	assert_null(ukc_x509_from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
	assert_null(ukc_x509_from_pem(NULL));
	free(pem);
	X509_free(y);
	X509_free(x);
}

/* Signed with the ID, verified with it set: OpenSSL 3 checks an SM2
 * certificate's signature over the Z its ID makes. */
static void sm2_certificates_sign_and_verify_with_the_id(void **state)
{
	const char *types[] = { "SM2", "EC" };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		EVP_PKEY *k = strcmp(types[i], "SM2") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "SM2")
							  : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		X509 *x = X509_new();
		assert_non_null(k);
		assert_true(X509_set_pubkey(x, k) && X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
			    X509_gmtime_adj(X509_getm_notAfter(x), 60));
		assert_int_equal(ukc_x509_sign(x, k), 1);
		assert_int_equal(X509_get_signature_nid(x), i == 0 ? NID_SM2_with_SM3 : NID_ecdsa_with_SHA256);
		if (i == 0)
			assert_int_equal(ukc_x509_set_sm2_id(x), 0);
		assert_int_equal(X509_verify(x, k), 1);
		X509_free(x);
		EVP_PKEY_free(k);
	}
}

static void raw_signatures_become_der(void **state)
{
	unsigned char rs[64], *der = NULL, *again = NULL;
	const unsigned char *p;
	ECDSA_SIG *sig;
	int n, m;

	(void)state;
	memset(rs, 0, sizeof(rs));
	rs[31] = 3;
	rs[32] = 0x80; /* s needs a leading zero octet in DER */
	n = ukc_ecsig_raw_to_der(rs, sizeof(rs), &der);
	assert_true(n > 0);
	p = der;
	sig = d2i_ECDSA_SIG(NULL, &p, n);
	assert_non_null(sig);
	assert_int_equal(BN_get_word(ECDSA_SIG_get0_r(sig)), 3);
	assert_int_equal(BN_num_bits(ECDSA_SIG_get0_s(sig)), 256);
	ECDSA_SIG_free(sig);
	/* DER is kept as it is; r||s of a curve size is converted; else 0. */
	m = ukc_ecsig_to_der(der, (size_t)n, &again);
	assert_int_equal(m, n);
	assert_memory_equal(again, der, (size_t)n);
	OPENSSL_free(again);
	m = ukc_ecsig_to_der(rs, sizeof(rs), &again);
	assert_int_equal(m, n);
	OPENSSL_free(again);
	assert_int_equal(ukc_ecsig_to_der(rs, 62, &again), 0);
	assert_null(again);
	assert_int_equal(ukc_ecsig_raw_to_der(rs, 63, &again), -1);
	assert_int_equal(ukc_ecsig_raw_to_der(rs, 0, &again), -1);
	assert_null(again);
	OPENSSL_free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(element_length_in_every_length_form),
		cmocka_unit_test(element_length_of_a_real_certificate),
		cmocka_unit_test(element_length_refuses_garbage),
		cmocka_unit_test(reader_names_what_is_wrong),
		cmocka_unit_test(reader_walks_and_counts),
		cmocka_unit_test(uint31_refuses_negative_and_large),
		cmocka_unit_test(sequence_wraps_the_parts_as_written),
		cmocka_unit_test(serial_is_lower_case_without_leading_zeros),
		cmocka_unit_test(pem_round_trips_and_dates_read),
		cmocka_unit_test(sm2_certificates_sign_and_verify_with_the_id),
		cmocka_unit_test(raw_signatures_become_der),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
