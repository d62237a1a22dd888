/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the seal decoder and verifier (renew-plugin/seal): seals
 * made by the reference CA service (tests/unit/seal-data, written by
 * `ca-service-cli add-seals`), hand-built seals carrying each deviation
 * found in real seals (docs/seals.md), and problems that must be reported
 * in the verification result rather than crash or pass silently. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal/seal.h"
#include "seal-asn1.h"
#include "seal-build.h"

static EVP_PKEY *sm2;
static X509 *sm2_cert;
static time_t now;

static unsigned char *slurp(const char *name, size_t *len)
{
	char path[1024];
	unsigned char *b = malloc(1 << 16);
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/seal-data/%s", UKEY_TOP_SRCDIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_non_null(b);
	*len = fread(b, 1, 1 << 16, f);
	fclose(f);
	assert_true(*len > 0);
	return b;
}

static int setup(void **state)
{
	(void)state;
	now = time(NULL);
	sm2 = sb_key("SM2");
	sm2_cert = sm2 ? sb_cert(sm2, now - 86400 * 10, now + 86400 * 365) : NULL;
	return sm2_cert ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(sm2_cert);
	EVP_PKEY_free(sm2);
	return 0;
}

static void opts(struct sb_opts *o)
{
	sb_defaults(o);
	o->maker = sm2;
	o->maker_cert = sm2_cert;
}

/* Builds, decodes (must succeed) and verifies at now. */
static struct ukey_seal *make(const struct sb_opts *o, struct ukey_seal_result *r)
{
	size_t len;
	unsigned char *der = sb_build(o, &len);
	struct ukey_seal *s = NULL;
	struct ukey_err e;

	assert_non_null(der);
	if (ukey_seal_decode(der, len, &s, &e) != 0)
		fail_msg("decode: %s", e.msg);
	free(der);
	assert_int_equal(ukey_seal_verify(s, now, r), 0);
	return s;
}

static void service_2020_seal_decodes_and_its_sm2_signature_verifies(void **state)
{
	size_t len;
	unsigned char *der = slurp("service-2020.der", &len);
	struct ukey_seal *s;
	struct ukey_seal_result r;
	struct ukey_err e;

	(void)state;
	assert_int_equal(ukey_seal_decode(der, len, &s, &e), 0);
	assert_int_equal(s->shape, UKEY_SEAL_2020);
	assert_int_equal(s->header_version, 4);
	assert_string_equal(s->es_id, "44010000000001");
	assert_string_equal(s->name, "业务章");
	assert_string_equal(s->vid, "UKEYTEST");
	assert_int_equal(s->type, 1);
	assert_int_equal(s->cert_list_type, 1);
	assert_int_equal(s->n_certs, 1);
	assert_int_equal(s->certs[0].p[0], 0x30);
	assert_int_equal(s->picture.sniffed, UKEY_PIC_PNG);
	assert_string_equal(s->picture.declared, "PNG");
	assert_int_equal(s->picture.width_mm, 40);
	assert_string_equal(s->sig_alg, "1.2.156.10197.1.501");
	assert_true(s->valid_end > s->valid_start);
	ukey_seal_verify(s, s->valid_start + 60, &r);
	assert_true(r.signature_ok);
	assert_true(r.valid);
	assert_int_equal(r.n_reasons, 0);
	ukey_seal_verify(s, s->valid_end + 1, &r);
	assert_false(r.valid);
	assert_true(r.problems & UKEY_SEAL_EXPIRED);
	ukey_seal_free(s);
	free(der);
}

static void service_2014_seal_decodes_with_utctime_and_verifies(void **state)
{
	size_t len;
	unsigned char *der = slurp("service-2014.der", &len);
	struct ukey_seal *s;
	struct ukey_seal_result r;

	(void)state;
	assert_int_equal(ukey_seal_decode(der, len, &s, NULL), 0);
	assert_int_equal(s->shape, UKEY_SEAL_2014);
	assert_string_equal(s->name, "财务专用章");
	assert_int_equal(s->type, 2);
	assert_true(s->valid_end - s->valid_start > 86400 * 300);
	ukey_seal_verify(s, s->valid_start + 60, &r);
	assert_true(r.valid);
	ukey_seal_verify(s, s->valid_start - 60, &r);
	assert_true(r.problems & UKEY_SEAL_NOT_YET_VALID);
	assert_true(r.signature_ok);
	ukey_seal_free(s);
	free(der);
}

static void altered_service_seal_fails_signature_with_a_reason(void **state)
{
	size_t len;
	unsigned char *der = slurp("service-2020.der", &len), *p;
	struct ukey_seal *s;
	struct ukey_seal_result r;

	(void)state;
	p = memmem(der, len, "44010000000001", 14);
	assert_non_null(p);
	p[13] = '9';
	assert_int_equal(ukey_seal_decode(der, len, &s, NULL), 0);
	ukey_seal_verify(s, s->valid_start + 60, &r);
	assert_false(r.signature_ok);
	assert_false(r.valid);
	assert_true(r.problems & UKEY_SEAL_BAD_SIGNATURE);
	assert_true(r.n_reasons >= 1 && strlen(r.reasons[0]) > 10);
	ukey_seal_free(s);
	free(der);
}

static void shape_2014_with_header_version_4_is_told_by_element_count(void **state)
{
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;

	(void)state;
	opts(&o);
	o.shape = 1;
	o.version = 4;
	o.times = SB_UTC;
	s = make(&o, &r);
	assert_int_equal(s->shape, UKEY_SEAL_2014);
	assert_int_equal(s->header_version, 4);
	assert_true(r.signature_ok);
	assert_true(r.valid);
	ukey_seal_free(s);
}

static void dates_without_z_and_with_2_digit_years_are_read(void **state)
{
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;
	enum sb_time t[] = { SB_GEN_NO_Z, SB_GEN_2DIGIT, SB_UTC, SB_GEN_Z };
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		opts(&o);
		o.times = t[i];
		s = make(&o, &r);
		assert_int_equal(s->valid_start, o.from);
		assert_int_equal(s->valid_end, o.to);
		assert_int_equal(s->create_date, o.created);
		assert_true(r.valid);
		ukey_seal_free(s);
	}
}

static void odd_types_cert_list_type_3_and_nul_padded_names_are_accepted(void **state)
{
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;

	(void)state;
	opts(&o);
	o.type = 15;
	o.cert_list_type = 3;
	o.pad_name = 1;
	s = make(&o, &r);
	assert_int_equal(s->type, 15);
	assert_int_equal(s->cert_list_type, 3);
	assert_string_equal(s->name, "业务章");
	assert_true(r.valid);
	ukey_seal_free(s);
}

/* Seen in the wild: a 2014-shaped seal whose certList holds an IA5String
 * placeholder instead of the holder's certificate. The seal is shown, the
 * entry reported, the maker's signature (its own certificate) verified. */
static void shape_2014_cert_list_with_an_ia5string_placeholder_is_shown(void **state)
{
	static const unsigned char placeholder[] = "\x16\x0cno cert\x01\x1b[2J";
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;
	unsigned char *der;
	ukc_ses_seal *ses;
	size_t len;

	(void)state;
	opts(&o);
	sb_wild_2014(&o, placeholder, sizeof(placeholder) - 1);
	s = make(&o, &r);
	assert_int_equal(s->shape, UKEY_SEAL_2014);
	assert_string_equal(s->name, "业务章");
	assert_int_equal(s->n_certs, 0);
	assert_int_equal(s->n_odd, 1);
	assert_int_equal(s->odd[0].index, 1);
	assert_string_equal(ukey_seal_tag_name(s->odd[0].tag), "IA5String");
	/* The entry's text is shown with its control bytes made harmless. */
	assert_string_equal(s->odd[0].text, "no cert??[2J");
	assert_true(r.signature_ok);
	assert_true(r.valid);
	ukey_seal_free(s);
	/* The OpenSSL-template decoder of the same bytes agrees. */
	der = sb_build(&o, &len);
	assert_non_null(der);
	ses = ukc_ses_decode(der, (long)len);
	assert_non_null(ses);
	assert_int_equal(ukc_ses_cert_count(ses), 0);
	assert_int_equal(ukc_ses_verify(ses), 1);
	ukc_ses_free(ses);
	free(der);
}

/* Odd entries next to the certificate: a NULL, a SEQUENCE that is no
 * CertDigestObj; a digest is still taken. Only the odd ones are set aside. */
static void cert_list_entries_that_are_no_certificate_are_set_aside(void **state)
{
	static const unsigned char extra[] = { 0x05, 0x00, 0x30, 0x03, 0x02, 0x01, 0x05,
					       0x30, 0x07, 0x13, 0x01, 'x', 0x04, 0x02, 0xab, 0xcd };
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;

	(void)state;
	opts(&o);
	o.cert_list_type = 1;
	o.cert_list_extra = extra;
	o.cert_list_extra_len = sizeof(extra);
	s = make(&o, &r);
	assert_int_equal(s->n_certs, 2);
	assert_int_equal(s->certs[0].p[0], 0x30);
	assert_int_equal(s->certs[1].len, 2);
	assert_int_equal(s->n_odd, 2);
	assert_int_equal(s->odd[0].index, 2);
	assert_string_equal(ukey_seal_tag_name(s->odd[0].tag), "NULL");
	assert_int_equal(s->odd[1].index, 3);
	assert_string_equal(ukey_seal_tag_name(s->odd[1].tag), "SEQUENCE");
	assert_string_equal(s->odd[1].text, "");
	assert_true(r.valid);
	ukey_seal_free(s);
}

static void critical_false_written_out_still_verifies_on_the_bytes_as_written(void **state)
{
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;

	(void)state;
	opts(&o);
	o.ext_critical_false = 1;
	s = make(&o, &r);
	assert_int_equal(s->n_ext, 1);
	assert_true(r.signature_ok);
	ukey_seal_free(s);
}

static void algorithm_identifier_with_or_without_null_is_accepted(void **state)
{
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;
	int shape;

	(void)state;
	for (shape = 1; shape <= 4; shape += 3) {
		opts(&o);
		o.shape = shape;
		o.alg = SB_ALG_ID_NULL;
		s = make(&o, &r);
		assert_string_equal(s->sig_alg, "1.2.156.10197.1.501");
		assert_true(r.signature_ok);
		ukey_seal_free(s);
		o.alg = SB_ALG_ID;
		s = make(&o, &r);
		assert_true(r.signature_ok);
		ukey_seal_free(s);
	}
}

static void raw_r_s_signatures_and_nonzero_unused_bits_verify(void **state)
{
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;

	(void)state;
	opts(&o);
	o.raw_sig = 1;
	s = make(&o, &r);
	assert_int_equal(s->signature.len, 64);
	assert_true(r.signature_ok);
	ukey_seal_free(s);
	o.unused_bits = 3;
	s = make(&o, &r);
	assert_int_equal(s->sig_unused_bits, 3);
	assert_true(r.signature_ok);
	ukey_seal_free(s);
	o.raw_sig = 0;
	o.shape = 1;
	s = make(&o, &r);
	assert_true(r.signature_ok);
	ukey_seal_free(s);
}

static void picture_labels_are_hints_and_bytes_are_sniffed(void **state)
{
	static const struct {
		const char *label, *bytes;
		size_t len;
		enum ukey_seal_pic want;
	} c[] = {
		{ "bmp", "GIF89a\1\0\1\0", 10, UKEY_PIC_GIF },
		{ "ofd", "PK\3\4\24\0\0\0", 8, UKEY_PIC_OFD },
		{ "PNG", "\xff\xd8\xff\xe0\0\x10JFIF", 10, UKEY_PIC_JPEG },
		{ "GIF", "BM\x46\0\0\0\0\0\0\0\x36\0\0\0", 14, UKEY_PIC_BMP },
		{ "xml", "\xef\xbb\xbf<?xml version=\"1.0\"?>\n<svg/>", 31, UKEY_PIC_SVG },
		{ "PNG", "not a picture", 13, UKEY_PIC_UNKNOWN },
	};
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		opts(&o);
		o.label = c[i].label;
		o.pic = (const unsigned char *)c[i].bytes;
		o.pic_len = c[i].len;
		s = make(&o, &r);
		assert_int_equal(s->picture.sniffed, c[i].want);
		assert_string_equal(s->picture.declared, c[i].label);
		assert_int_equal(s->picture.data.len, c[i].len);
		ukey_seal_free(s);
	}
	assert_string_equal(ukey_seal_pic_ext(UKEY_PIC_OFD), "ofd");
	assert_string_equal(ukey_seal_pic_ext(UKEY_PIC_UNKNOWN), "bin");
}

static void shape_2020_signed_over_the_2014_form_still_verifies(void **state)
{
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;

	(void)state;
	opts(&o);
	o.sign_other_form = 1;
	s = make(&o, &r);
	assert_true(r.signature_ok);
	ukey_seal_free(s);
}

static void ecdsa_and_rsa_makers_verify(void **state)
{
	const char *alg[] = { "EC", "RSA" };
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		opts(&o);
		o.maker = sb_key(alg[i]);
		o.maker_cert = sb_cert(o.maker, now - 86400 * 5, now + 86400 * 5);
		assert_non_null(o.maker_cert);
		s = make(&o, &r);
		assert_true(r.signature_ok);
		assert_true(r.valid);
		ukey_seal_free(s);
		o.cut_sig = 9;
		s = make(&o, &r);
		assert_false(r.signature_ok);
		assert_true(r.problems & (UKEY_SEAL_SIG_TRUNCATED | UKEY_SEAL_BAD_SIGNATURE));
		ukey_seal_free(s);
		X509_free(o.maker_cert);
		EVP_PKEY_free(o.maker);
	}
}

static void maker_certificate_expired_before_the_seal_was_made_is_reported(void **state)
{
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;
	X509 *old = sb_cert(sm2, now - 86400 * 400, now - 86400 * 30);

	(void)state;
	opts(&o);
	o.maker_cert = old;
	s = make(&o, &r);
	assert_true(r.signature_ok);
	assert_false(r.valid);
	assert_true(r.problems & UKEY_SEAL_MAKER_EXPIRED);
	ukey_seal_free(s);
	X509_free(old);
}

static void truncated_outer_signature_is_reported_not_crashed_on(void **state)
{
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;
	size_t cut;

	(void)state;
	for (cut = 1; cut < 72; cut += 7) {
		opts(&o);
		o.cut_sig = cut;
		s = make(&o, &r);
		assert_false(r.signature_ok);
		assert_false(r.valid);
		assert_true(r.n_reasons > 0);
		ukey_seal_free(s);
	}
}

static void signature_by_another_key_is_invalid(void **state)
{
	struct sb_opts o;
	struct ukey_seal_result r;
	struct ukey_seal *s;
	EVP_PKEY *other = sb_key("SM2");

	(void)state;
	opts(&o);
	o.maker = other;
	s = make(&o, &r);
	assert_true(r.problems & UKEY_SEAL_BAD_SIGNATURE);
	ukey_seal_free(s);
	EVP_PKEY_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(service_2020_seal_decodes_and_its_sm2_signature_verifies),
		cmocka_unit_test(service_2014_seal_decodes_with_utctime_and_verifies),
		cmocka_unit_test(altered_service_seal_fails_signature_with_a_reason),
		cmocka_unit_test(shape_2014_with_header_version_4_is_told_by_element_count),
		cmocka_unit_test(dates_without_z_and_with_2_digit_years_are_read),
		cmocka_unit_test(odd_types_cert_list_type_3_and_nul_padded_names_are_accepted),
		cmocka_unit_test(shape_2014_cert_list_with_an_ia5string_placeholder_is_shown),
		cmocka_unit_test(cert_list_entries_that_are_no_certificate_are_set_aside),
		cmocka_unit_test(critical_false_written_out_still_verifies_on_the_bytes_as_written),
		cmocka_unit_test(algorithm_identifier_with_or_without_null_is_accepted),
		cmocka_unit_test(raw_r_s_signatures_and_nonzero_unused_bits_verify),
		cmocka_unit_test(picture_labels_are_hints_and_bytes_are_sniffed),
		cmocka_unit_test(shape_2020_signed_over_the_2014_form_still_verifies),
		cmocka_unit_test(ecdsa_and_rsa_makers_verify),
		cmocka_unit_test(maker_certificate_expired_before_the_seal_was_made_is_reported),
		cmocka_unit_test(truncated_outer_signature_is_reported_not_crashed_on),
		cmocka_unit_test(signature_by_another_key_is_invalid),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
