/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal-decode.c: SESeal DER (either shape) into struct ukey_seal, read
 * element by element with common/dertlv.c (OpenSSL's ASN1_get_object) to
 * keep the signed bytes as written and tolerate real seals' deviations. Every failure names the element ("SES_SealInfo.property.
 * validEnd: ...") so a user can tell which part of a seal is broken.
 */
#include "config.h"

#include "seal.h"
#include "dertlv.h"
#include "ukey-base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>

struct dec {
	struct ukey_seal *s;
	struct ukey_err *err;
};

static int fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	if (d->err != NULL) {
		d->err->code = UKEY_E_ERROR;
		va_start(ap, fmt);
		vsnprintf(d->err->msg, sizeof(d->err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Reads the next element of cur as elem; tag 0 takes any tag. */
static int need(struct dec *d, struct ukc_der *cur, struct ukc_der_tlv *t, const char *elem,
		unsigned int tag)
{
	const char *why = NULL;
	int r = ukc_der_next(cur, t, &why);

	if (r < 0)
		return fail(d, _("%s: malformed DER: %s"), elem, why);
	if (r == 0)
		return fail(d, _("%s: missing (its SEQUENCE ends early)"), elem);
	if (tag != 0 && t->tag != tag)
		return fail(d, _("%s: expected %s, found tag 0x%02x"), elem, ukey_seal_tag_name(tag), t->tag);
	return 0;
}

static int is_string_tag(unsigned int tag)
{
	/* UTF8, Printable, T61, IA5, Visible, BMP-less text: as written. */
	return tag == UKC_DER_UTF8STRING || tag == UKC_DER_PRINTABLESTRING || tag == UKC_DER_T61STRING ||
	       tag == UKC_DER_IA5STRING || tag == UKC_DER_VISIBLESTRING || tag == UKC_DER_OCTET_STRING;
}

/* A string element as NUL-terminated UTF-8: NUL padding dropped, bytes that
 * are not valid UTF-8 replaced by '?' so callers can print it safely. */
static int text(struct dec *d, struct ukc_der *cur, const char *elem, char **out)
{
	struct ukc_der_tlv t;
	size_t i, j = 0, k, n;
	char *s;

	if (need(d, cur, &t, elem, 0))
		return -1;
	if (!is_string_tag(t.tag))
		return fail(d, _("%s: expected a string, found tag 0x%02x"), elem, t.tag);
	s = malloc(t.len + 1);
	if (s == NULL)
		return fail(d, _("out of memory"));
	for (i = 0; i < t.len;) {
		unsigned char c = t.val[i];
		n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			: (c & 0xf8) == 0xf0 ? 4 : 0;
		if (c == 0) {
			i++;
			continue;
		}
		for (k = 1; n > 1 && k < n; k++)
			if (i + k >= t.len || (t.val[i + k] & 0xc0) != 0x80)
				n = 0;
		if (n == 0) {
			s[j++] = '?';
			i++;
			continue;
		}
		memcpy(s + j, t.val + i, n);
		j += n;
		i += n;
	}
	s[j] = '\0';
	*out = s;
	return 0;
}

static int integer(struct dec *d, struct ukc_der *cur, const char *elem, long *out, int lenient)
{
	struct ukc_der_tlv t;

	if (need(d, cur, &t, elem, UKC_DER_INTEGER))
		return -1;
	if (ukc_der_uint31(&t, out) == 0)
		return 0;
	if (lenient) { /* a display hint out of range: not worth refusing a seal */
		*out = 0;
		return 0;
	}
	return fail(d, _("%s: INTEGER out of range"), elem);
}

static int date(struct dec *d, struct ukc_der *cur, const char *elem, time_t *out)
{
	struct ukc_der_tlv t;

	if (need(d, cur, &t, elem, 0))
		return -1;
	if (t.tag != UKC_DER_UTCTIME && t.tag != UKC_DER_GENERALIZEDTIME)
		return fail(d, _("%s: expected UTCTime or GeneralizedTime, found tag 0x%02x"), elem,
			    t.tag);
	if (ukey_seal_time_parse(t.val, t.len, t.tag == UKC_DER_GENERALIZEDTIME, out))
		return fail(d, _("%s: not a date: \"%.*s\""), elem, t.len > 32 ? 32 : (int)t.len,
			    (const char *)t.val);
	return 0;
}

/* A CertDigestObj { type PrintableString (any string), value OCTET STRING }:
 * its value, or NULL when the SEQUENCE is something else. */
static const struct ukc_der_tlv *digest_value(const struct ukc_der_tlv *e, struct ukc_der_tlv *v)
{
	struct ukc_der in;
	struct ukc_der_tlv t;
	const char *why;

	ukc_der_enter(e, &in);
	if (ukc_der_next(&in, &t, &why) != 1 || !is_string_tag(t.tag) ||
	    ukc_der_next(&in, v, &why) != 1 || v->tag != UKC_DER_OCTET_STRING || in.len != 0)
		return NULL;
	return v;
}

/* Kept aside, not fatal: a certList entry that is no certificate and no
 * digest says nothing about who made the seal. */
static void odd_entry(struct ukey_seal *s, size_t index, const struct ukc_der_tlv *e)
{
	struct ukey_seal_odd_entry *o = &s->odd[s->n_odd++];
	size_t i, n = 0;

	o->index = index;
	o->tag = e->tag;
	o->text[0] = '\0';
	if (!is_string_tag(e->tag) || e->tag == UKC_DER_OCTET_STRING)
		return;
	for (i = 0; i < e->len && n < sizeof(o->text) - 4; i++)
		o->text[n++] = e->val[i] >= 0x20 && e->val[i] < 0x7f ? (char)e->val[i] : '?';
	if (i < e->len)
		n += (size_t)snprintf(o->text + n, sizeof(o->text) - n, "...");
	o->text[n] = '\0';
}

static int cert_list(struct dec *d, const struct ukc_der_tlv *list)
{
	struct ukc_der cur;
	struct ukc_der_tlv e, v;
	size_t n = 0, index = 0;
	const char *why;

	ukc_der_enter(list, &cur);
	if (ukc_der_count(cur, &n, &why) < 0)
		return fail(d, _("%s: malformed DER: %s"), "SES_ESPropertyInfo.certList", why);
	d->s->certs = calloc(n ? n : 1, sizeof(*d->s->certs));
	d->s->odd = calloc(n ? n : 1, sizeof(*d->s->odd));
	if (d->s->certs == NULL || d->s->odd == NULL)
		return fail(d, _("out of memory"));
	while (ukc_der_next(&cur, &e, &why) == 1) {
		const struct ukc_der_tlv *c = e.tag == UKC_DER_OCTET_STRING ? &e
					     : e.tag == UKC_DER_SEQUENCE ? digest_value(&e, &v) : NULL;
		index++;
		if (c == NULL) {
			odd_entry(d->s, index, &e);
			continue;
		}
		d->s->certs[d->s->n_certs].p = c->val;
		d->s->certs[d->s->n_certs++].len = c->len;
	}
	return 0;
}

static int property(struct dec *d, const struct ukc_der_tlv *seq)
{
	struct ukc_der cur;
	struct ukc_der_tlv t;

	ukc_der_enter(seq, &cur);
	if (integer(d, &cur, "SES_ESPropertyInfo.type", &d->s->type, 0) ||
	    text(d, &cur, "SES_ESPropertyInfo.name", &d->s->name) ||
	    need(d, &cur, &t, "SES_ESPropertyInfo.certList", 0))
		return -1;
	d->s->cert_list_type = 1;
	/* certListType comes with the 2020 text; take it wherever it appears. */
	if (t.tag == UKC_DER_INTEGER) {
		if (ukc_der_uint31(&t, &d->s->cert_list_type))
			return fail(d, _("%s: INTEGER out of range"), "SES_ESPropertyInfo.certListType");
		if (need(d, &cur, &t, "SES_ESPropertyInfo.certList", 0))
			return -1;
	}
	if (t.tag != UKC_DER_SEQUENCE)
		return fail(d, _("%s: expected %s, found tag 0x%02x"), "SES_ESPropertyInfo.certList",
			    "SEQUENCE", t.tag);
	if (cert_list(d, &t))
		return -1;
	return date(d, &cur, "SES_ESPropertyInfo.createDate", &d->s->create_date) ||
	       date(d, &cur, "SES_ESPropertyInfo.validStart", &d->s->valid_start) ||
	       date(d, &cur, "SES_ESPropertyInfo.validEnd", &d->s->valid_end);
}

static int picture(struct dec *d, const struct ukc_der_tlv *seq)
{
	struct ukc_der cur;
	struct ukc_der_tlv t;

	ukc_der_enter(seq, &cur);
	if (text(d, &cur, "SES_ESPictrueInfo.type", &d->s->picture.declared) ||
	    need(d, &cur, &t, "SES_ESPictrueInfo.data", UKC_DER_OCTET_STRING))
		return -1;
	d->s->picture.data.p = t.val;
	d->s->picture.data.len = t.len;
	d->s->picture.sniffed = ukey_seal_pic_sniff(t.val, t.len);
	return integer(d, &cur, "SES_ESPictrueInfo.width", &d->s->picture.width_mm, 1) ||
	       integer(d, &cur, "SES_ESPictrueInfo.height", &d->s->picture.height_mm, 1);
}

/* ExtensionDatas: each ExtData starts with its OID; critical (even an
 * explicit FALSE) and the value are not interpreted here. */
static int extensions(struct dec *d, const struct ukc_der_tlv *seq)
{
	struct ukc_der cur, in;
	struct ukc_der_tlv e, t;
	const char *why;
	int r;

	ukc_der_enter(seq, &cur);
	while ((r = ukc_der_next(&cur, &e, &why)) == 1) {
		if (e.tag != UKC_DER_SEQUENCE)
			return fail(d, _("%s: expected %s, found tag 0x%02x"), "ExtData", "SEQUENCE",
				    e.tag);
		ukc_der_enter(&e, &in);
		if (need(d, &in, &t, "ExtData.extnID", UKC_DER_OID))
			return -1;
		d->s->n_ext++;
	}
	return r < 0 ? fail(d, _("%s: malformed DER: %s"), "ExtensionDatas", why) : 0;
}

static int seal_info(struct dec *d, const struct ukc_der_tlv *seq)
{
	struct ukc_der cur, h;
	struct ukc_der_tlv t;
	char *id = NULL;
	int r;

	d->s->tbs_info.p = seq->tlv;
	d->s->tbs_info.len = seq->tlv_len;
	ukc_der_enter(seq, &cur);
	if (need(d, &cur, &t, "SES_Header", UKC_DER_SEQUENCE))
		return -1;
	ukc_der_enter(&t, &h);
	r = text(d, &h, "SES_Header.ID", &id);
	free(id); /* "ES" by the texts; not checked: nothing depends on it */
	if (r || integer(d, &h, "SES_Header.version", &d->s->header_version, 0) ||
	    text(d, &h, "SES_Header.Vid", &d->s->vid) ||
	    text(d, &cur, "SES_SealInfo.esID", &d->s->es_id) ||
	    need(d, &cur, &t, "SES_ESPropertyInfo", UKC_DER_SEQUENCE) || property(d, &t) ||
	    need(d, &cur, &t, "SES_ESPictrueInfo", UKC_DER_SEQUENCE) || picture(d, &t))
		return -1;
	if (cur.len == 0)
		return 0;
	if (need(d, &cur, &t, "ExtensionDatas", UKC_DER_SEQUENCE))
		return -1;
	return extensions(d, &t);
}

/* The algorithm: a bare OID as the texts say, or an AlgorithmIdentifier
 * SEQUENCE { OID, parameters (NULL or absent) } as some makers write it. */
static int algorithm(struct dec *d, struct ukc_der *cur, const char *elem)
{
	struct ukc_der_tlv t, o;
	struct ukc_der in;
	const unsigned char *p;
	ASN1_OBJECT *obj;

	if (need(d, cur, &t, elem, 0))
		return -1;
	d->s->tbs_alg.p = t.tlv;
	d->s->tbs_alg.len = t.tlv_len;
	o = t;
	if (t.tag == UKC_DER_SEQUENCE) {
		ukc_der_enter(&t, &in);
		if (need(d, &in, &o, elem, UKC_DER_OID))
			return -1;
	} else if (t.tag != UKC_DER_OID) {
		return fail(d, _("%s: expected %s, found tag 0x%02x"), elem, ukey_seal_tag_name(UKC_DER_OID),
			    t.tag);
	}
	p = o.tlv;
	obj = d2i_ASN1_OBJECT(NULL, &p, (long)o.tlv_len);
	if (obj == NULL || OBJ_obj2txt(d->s->sig_alg, sizeof(d->s->sig_alg), obj, 1) <= 0) {
		ASN1_OBJECT_free(obj);
		return fail(d, _("%s: malformed OBJECT IDENTIFIER"), elem);
	}
	ASN1_OBJECT_free(obj);
	return 0;
}

static int signature(struct dec *d, struct ukc_der *cur, const char *cert_elem,
		     const char *alg_elem, const char *sig_elem)
{
	struct ukc_der_tlv t;

	if (need(d, cur, &t, cert_elem, UKC_DER_OCTET_STRING))
		return -1;
	d->s->maker_cert.p = t.val;
	d->s->maker_cert.len = t.len;
	d->s->tbs_cert.p = t.tlv;
	d->s->tbs_cert.len = t.tlv_len;
	if (algorithm(d, cur, alg_elem) || need(d, cur, &t, sig_elem, 0))
		return -1;
	if (t.tag == UKC_DER_BIT_STRING) {
		/* The unused-bits count is kept, not applied: real seals set it
		 * on whole-byte signatures. */
		if (t.len < 1)
			return fail(d, _("%s: empty BIT STRING"), sig_elem);
		d->s->sig_unused_bits = t.val[0];
		d->s->signature.p = t.val + 1;
		d->s->signature.len = t.len - 1;
	} else if (t.tag == UKC_DER_OCTET_STRING) {
		d->s->signature.p = t.val;
		d->s->signature.len = t.len;
	} else {
		return fail(d, _("%s: expected %s, found tag 0x%02x"), sig_elem, "BIT STRING", t.tag);
	}
	return 0;
}

static int decode(struct dec *d)
{
	struct ukc_der cur = { d->s->der, d->s->der_len }, top;
	struct ukc_der_tlv t;
	const char *why;
	size_t i, n = 0;

	if (need(d, &cur, &t, "SESeal", UKC_DER_SEQUENCE))
		return -1;
	/* Fixed-size token files pad with zeros after the seal. */
	for (i = 0; i < cur.len; i++)
		if (cur.p[i] != 0)
			return fail(d, _("%s: %zu bytes of trailing data"), "SESeal", cur.len);
	ukc_der_enter(&t, &top);
	if (ukc_der_count(top, &n, &why) < 0)
		return fail(d, _("%s: malformed DER: %s"), "SESeal", why);
	if (n != 2 && n != 4 && n != 5)
		return fail(d, _("SESeal has %zu elements: neither the 2014 shape (2) nor the 2020"
				 " shape (4)"), n);
	d->s->shape = n == 2 ? UKEY_SEAL_2014 : UKEY_SEAL_2020;
	if (need(d, &top, &t, "SES_SealInfo", UKC_DER_SEQUENCE) || seal_info(d, &t))
		return -1;
	if (n != 2)
		return signature(d, &top, "SESeal.cert", "SESeal.signAlgID", "SESeal.signedValue");
	if (need(d, &top, &t, "SES_SignInfo", UKC_DER_SEQUENCE))
		return -1;
	ukc_der_enter(&t, &cur);
	return signature(d, &cur, "SES_SignInfo.cert", "SES_SignInfo.signatureAlgorithm",
			 "SES_SignInfo.signData");
}

int ukey_seal_decode(const unsigned char *der, size_t len, struct ukey_seal **out,
		     struct ukey_err *err)
{
	struct dec d = { NULL, err };

	*out = NULL;
	if (err != NULL) {
		err->code = UKEY_E_OK;
		err->service_code[0] = err->msg[0] = '\0';
	}
	if (der == NULL || len == 0)
		return fail(&d, _("SESeal: no data"));
	d.s = calloc(1, sizeof(*d.s));
	if (d.s == NULL || (d.s->der = malloc(len)) == NULL) {
		free(d.s);
		return fail(&d, _("out of memory"));
	}
	memcpy(d.s->der, der, len);
	d.s->der_len = len;
	if (decode(&d)) {
		ukey_seal_free(d.s);
		return -1;
	}
	*out = d.s;
	return 0;
}

void ukey_seal_free(struct ukey_seal *s)
{
	if (s == NULL)
		return;
	free(s->vid);
	free(s->es_id);
	free(s->name);
	free(s->certs);
	free(s->odd);
	free(s->picture.declared);
	free(s->der);
	free(s);
}
