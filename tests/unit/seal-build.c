/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seal-build.c: see seal-build.h. */
#include "config.h"

#include "seal-build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "seal-asn1.h"

struct buf {
	unsigned char *p;
	size_t n;
	int bad;
};

static void put(struct buf *b, const void *d, size_t n)
{
	unsigned char *q = b->bad ? NULL : realloc(b->p, b->n + n + 1);

	if (q == NULL) {
		b->bad = 1;
		return;
	}
	b->p = q;
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void tlv(struct buf *b, unsigned char tag, const void *c, size_t n)
{
	unsigned char h[6];
	size_t k = 0, i;

	h[k++] = tag;
	if (n < 0x80) {
		h[k++] = (unsigned char)n;
	} else {
		size_t l = n, nb = 0;
		while (l) {
			nb++;
			l >>= 8;
		}
		h[k++] = (unsigned char)(0x80 | nb);
		for (i = 0; i < nb; i++)
			h[k++] = (unsigned char)(n >> (8 * (nb - 1 - i)));
	}
	put(b, h, k);
	put(b, c, n);
}

/* Wraps inner as a constructed element and frees it. */
static void wrap(struct buf *b, unsigned char tag, struct buf *inner)
{
	tlv(b, tag, inner->p, inner->n);
	b->bad |= inner->bad;
	free(inner->p);
	memset(inner, 0, sizeof(*inner));
}

static void str(struct buf *b, unsigned char tag, const char *s)
{
	tlv(b, tag, s, strlen(s));
}

static void integer(struct buf *b, long v)
{
	unsigned char c[9];
	int n = 0, i;

	for (i = 7; i >= 0; i--) {
		unsigned char x = (unsigned char)(v >> (8 * i));
		if (n == 0 && x == 0 && i > 0)
			continue;
		if (n == 0 && (x & 0x80))
			c[n++] = 0;
		c[n++] = x;
	}
	tlv(b, 0x02, c, (size_t)n);
}

static void date(struct buf *b, time_t t, enum sb_time how)
{
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	/* Two-digit years on purpose: real seals carry them. */
	if (how == SB_UTC || how == SB_GEN_2DIGIT)
		snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02d%s", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, how == SB_GEN_NO_Z ? "" : "Z");
	str(b, how == SB_UTC ? 0x17 : 0x18, s);
}

static const unsigned char png1[] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d };

void sb_defaults(struct sb_opts *o)
{
	time_t now = time(NULL);

	memset(o, 0, sizeof(*o));
	o->shape = 4;
	o->version = 4;
	o->type = 1;
	o->label = "PNG";
	o->pic = png1;
	o->pic_len = sizeof(png1);
	o->created = now - 86400;
	o->from = now - 86400;
	o->to = now + 30 * 86400;
}

void sb_wild_2014(struct sb_opts *o, const unsigned char *entry, size_t len)
{
	o->shape = 1;
	o->version = 1;
	o->times = SB_UTC;
	o->no_cert_in_list = 1;
	o->cert_list_extra = entry;
	o->cert_list_extra_len = len;
}

static void seal_info(struct buf *b, const struct sb_opts *o, const unsigned char *cert,
		      size_t cert_len)
{
	struct buf in = { 0 }, h = { 0 }, p = { 0 }, l = { 0 }, pic = { 0 }, e = { 0 }, x = { 0 };
	static const unsigned char oid[] = { 0x2a, 0x03, 0x04 }, f = 0;
	char name[32] = "业务章";
	size_t name_len = strlen(name);

	str(&h, 0x16, "ES");
	integer(&h, o->version);
	str(&h, 0x16, "UKEYTEST");
	wrap(&in, 0x30, &h);
	str(&in, 0x16, "44010000000099");
	integer(&p, o->type);
	tlv(&p, 0x0c, name, name_len + (o->pad_name ? 6 : 0));
	if (o->cert_list_type)
		integer(&p, o->cert_list_type);
	if (!o->no_cert_in_list)
		tlv(&l, 0x04, cert, cert_len);
	if (o->cert_list_extra_len)
		put(&l, o->cert_list_extra, o->cert_list_extra_len);
	wrap(&p, 0x30, &l);
	date(&p, o->created, o->times);
	date(&p, o->from, o->times);
	date(&p, o->to, o->times);
	wrap(&in, 0x30, &p);
	str(&pic, 0x16, o->label);
	tlv(&pic, 0x04, o->pic, o->pic_len);
	integer(&pic, 40);
	integer(&pic, 40);
	wrap(&in, 0x30, &pic);
	if (o->ext_critical_false) {
		tlv(&x, 0x06, oid, sizeof(oid));
		tlv(&x, 0x01, &f, 1);
		tlv(&x, 0x04, "v", 1);
		wrap(&e, 0x30, &x);
		wrap(&in, 0x30, &e);
	}
	wrap(b, 0x30, &in);
}

static void algorithm(struct buf *b, const struct sb_opts *o, int nid)
{
	struct buf a = { 0 };
	unsigned char *der = NULL;
	int n = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &der);

	if (n <= 0) {
		b->bad = 1;
		return;
	}
	if (o->alg == SB_ALG_OID) {
		put(b, der, (size_t)n);
	} else {
		put(&a, der, (size_t)n);
		if (o->alg == SB_ALG_ID_NULL)
			tlv(&a, 0x05, "", 0);
		wrap(b, 0x30, &a);
	}
	OPENSSL_free(der);
}

/* DER ECDSA signature to r||s of 32 bytes each. */
static size_t raw_rs(unsigned char *sig, size_t len)
{
	const unsigned char *p = sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;

	if (es == NULL)
		return 0;
	ECDSA_SIG_get0(es, &r, &s);
	BN_bn2binpad(r, sig, 32);
	BN_bn2binpad(s, sig + 32, 32);
	ECDSA_SIG_free(es);
	return 64;
}

unsigned char *sb_build(const struct sb_opts *o, size_t *len)
{
	struct buf info = { 0 }, ca = { 0 }, tbs = { 0 }, t14 = { 0 }, out = { 0 }, si = { 0 };
	unsigned char *cert = NULL, *sig = NULL, *bits = NULL;
	int cert_len = i2d_X509(o->maker_cert, &cert), sig_len;
	int nid = ukc_ses_sig_nid(o->maker);
	size_t n;

	*len = 0;
	if (cert_len <= 0)
		return NULL;
	seal_info(&info, o, cert, (size_t)cert_len);
	tlv(&ca, 0x04, cert, (size_t)cert_len);
	algorithm(&ca, o, nid);
	put(&t14, info.p, info.n);
	put(&t14, ca.p, ca.n);
	wrap(&tbs, 0x30, &t14);
	if ((o->shape == 4) != (o->sign_other_form != 0))
		sig_len = ukc_ses_sign_bytes(o->maker, info.p, info.n, &sig);
	else
		sig_len = ukc_ses_sign_bytes(o->maker, tbs.p, tbs.n, &sig);
	if (sig_len <= 0)
		goto out;
	n = (size_t)sig_len;
	if (o->raw_sig)
		n = raw_rs(sig, n);
	n = n > o->cut_sig ? n - o->cut_sig : 0;
	bits = malloc(n + 1);
	if (bits == NULL)
		goto out;
	bits[0] = (unsigned char)o->unused_bits;
	memcpy(bits + 1, sig, n);
	if (o->shape == 4) {
		put(&si, info.p, info.n);
		put(&si, ca.p, ca.n);
		tlv(&si, 0x03, bits, n + 1);
		wrap(&out, 0x30, &si);
	} else {
		struct buf sign = { 0 };
		put(&sign, ca.p, ca.n);
		tlv(&sign, 0x03, bits, n + 1);
		put(&si, info.p, info.n);
		wrap(&si, 0x30, &sign);
		wrap(&out, 0x30, &si);
	}
	if (!out.bad)
		*len = out.n;
out:
	free(info.p);
	free(ca.p);
	free(tbs.p);
	free(bits);
	OPENSSL_free(sig);
	OPENSSL_free(cert);
	if (*len == 0) {
		free(out.p);
		return NULL;
	}
	return out.p;
}

EVP_PKEY *sb_key(const char *alg)
{
	if (strcmp(alg, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(alg, "EC") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
}

X509 *sb_cert(EVP_PKEY *key, time_t not_before, time_t not_after)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	int ok = x && n;

	ok = ok && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 7) &&
	     X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"seal maker",
					-1, -1, 0) &&
	     X509_set_subject_name(x, n) && X509_set_issuer_name(x, n) &&
	     X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &not_before) &&
	     X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &not_after) && X509_set_pubkey(x, key);
	ok = ok && ukc_x509_sign(x, key);
	X509_NAME_free(n);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}
