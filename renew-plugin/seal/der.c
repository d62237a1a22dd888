/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * der.c: DER TLV reading with every length checked against what is left,
 * so a hostile length can never make a read run past the buffer.
 */
#include "config.h"

#include "der.h"

int ukey_der_next(struct ukey_der *cur, struct ukey_der_tlv *out, const char **why)
{
	const unsigned char *p = cur->p;
	size_t left = cur->len, len, n, i;

	if (left == 0)
		return 0;
	if ((p[0] & 0x1f) == 0x1f) {
		*why = "multi-byte tag";
		return -1;
	}
	if (left < 2) {
		*why = "truncated (no length)";
		return -1;
	}
	out->tag = p[0];
	len = p[1];
	p += 2;
	left -= 2;
	if (len == 0x80) {
		*why = "indefinite length (not DER)";
		return -1;
	}
	if (len > 0x80) {
		n = len & 0x7f;
		/* Four length octets cover anything a token can hold. */
		if (n > 4) {
			*why = "absurd length";
			return -1;
		}
		if (n > left) {
			*why = "truncated (in the length)";
			return -1;
		}
		for (len = 0, i = 0; i < n; i++)
			len = (len << 8) | p[i];
		p += n;
		left -= n;
	}
	if (len > left) {
		*why = "truncated (content shorter than its length)";
		return -1;
	}
	out->tlv = cur->p;
	out->val = p;
	out->len = len;
	out->tlv_len = (size_t)(p - cur->p) + len;
	cur->p = p + len;
	cur->len = left - len;
	return 1;
}

void ukey_der_enter(const struct ukey_der_tlv *tlv, struct ukey_der *cur)
{
	cur->p = tlv->val;
	cur->len = tlv->len;
}

int ukey_der_long(const struct ukey_der_tlv *tlv, long *out)
{
	unsigned long v = 0;
	size_t i;

	if (tlv->len == 0 || (tlv->val[0] & 0x80))
		return -1;
	for (i = 0; i < tlv->len; i++) {
		if (v > (~0UL >> 9))
			return -1;
		v = (v << 8) | tlv->val[i];
	}
	if (v > (unsigned long)0x7fffffffL)
		return -1;
	*out = (long)v;
	return 0;
}
