/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* dertlv.c: every length checked by ASN1_get_object against what is left,
 * so a hostile length never makes a read run past the buffer. */
#include "dertlv.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>

/* ASN1_get_object on at most len bytes: its flags (0x80 error, 0x01
 * indefinite, V_ASN1_CONSTRUCTED), *p moved past the header on success.
 * The error it queues says nothing the return value does not. */
static int header(const unsigned char **p, size_t len, long *content, int *tag, int *cls)
{
	int r;

	ERR_set_mark();
	r = ASN1_get_object(p, content, tag, cls, len > LONG_MAX ? LONG_MAX : (long)len);
	ERR_pop_to_mark();
	return r;
}

int ukc_der_next(struct ukc_der *cur, struct ukc_der_tlv *out, const char **why)
{
	const unsigned char *p = cur->p;
	long len;
	int tag, cls, r;

	if (cur->len == 0)
		return 0;
	/* What ASN1_get_object would take but DER or a token never holds. */
	if ((p[0] & V_ASN1_PRIMITIVE_TAG) == V_ASN1_PRIMITIVE_TAG) {
		*why = "multi-byte tag";
		return -1;
	}
	if (cur->len < 2) {
		*why = "truncated (no length)";
		return -1;
	}
	if (p[1] == 0x80) {
		*why = "indefinite length (not DER)";
		return -1;
	}
	if (p[1] > 0x84) { /* four length octets cover anything a token holds */
		*why = "absurd length";
		return -1;
	}
	r = header(&p, cur->len, &len, &tag, &cls);
	if (r & 0x80) {
		/* A header that reads moves p; the content is then short. */
		*why = p == cur->p ? "truncated (in the length)" : "truncated (content shorter than its length)";
		return -1;
	}
	out->tag = (unsigned int)(cls | (r & V_ASN1_CONSTRUCTED) | tag);
	out->tlv = cur->p;
	out->val = p;
	out->len = (size_t)len;
	out->tlv_len = (size_t)(p - cur->p) + out->len;
	cur->p += out->tlv_len;
	cur->len -= out->tlv_len;
	return 1;
}

void ukc_der_enter(const struct ukc_der_tlv *tlv, struct ukc_der *cur)
{
	cur->p = tlv->val;
	cur->len = tlv->len;
}

int ukc_der_count(struct ukc_der cur, size_t *n, const char **why)
{
	struct ukc_der_tlv t;
	int r;

	*n = 0;
	while ((r = ukc_der_next(&cur, &t, why)) == 1)
		(*n)++;
	return r;
}

int ukc_der_uint31(const struct ukc_der_tlv *tlv, long *out)
{
	BIGNUM *bn;
	int ok;

	if (tlv->len == 0 || tlv->len > INT_MAX || (tlv->val[0] & 0x80))
		return -1;
	bn = BN_bin2bn(tlv->val, (int)tlv->len, NULL);
	ok = bn != NULL && BN_num_bits(bn) <= 31;
	if (ok)
		*out = (long)BN_get_word(bn);
	BN_free(bn);
	return ok ? 0 : -1;
}

long ukc_der_elem_len(const unsigned char *buf, size_t len)
{
	const unsigned char *p = buf;
	long content;
	int tag, cls, r;

	if (buf == NULL || len == 0)
		return -1;
	r = header(&p, len, &content, &tag, &cls);
	if (r & 0x81)
		return -1;
	return (long)(p - buf) + content;
}

unsigned char *ukc_der_sequence(const struct ukc_bytes *parts, size_t n, size_t *len)
{
	size_t body = 0, i;
	unsigned char *out, *p;
	int total;

	for (i = 0; i < n; i++) {
		if (parts[i].len > INT_MAX - body)
			return NULL;
		body += parts[i].len;
	}
	total = ASN1_object_size(1, (int)body, V_ASN1_SEQUENCE);
	if (total < 0 || (out = malloc((size_t)total)) == NULL)
		return NULL;
	p = out;
	ASN1_put_object(&p, 1, (int)body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	for (i = 0; i < n; i++) {
		memcpy(p, parts[i].p, parts[i].len);
		p += parts[i].len;
	}
	*len = (size_t)total;
	return out;
}
