/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the skf driver reads in device files and shows as PKCS#11
 * attributes (blob.h). The DER walk is bounded by hand, because a seal is
 * recognised from a file's first bytes alone: every length is checked
 * against what is left before it is used, so a hostile device or file
 * cannot make us read past a buffer. */
#include "config.h"

#include <string.h>

#include "drivers/skf/blob.h"

const uint8_t ukey_skf_sm2_oid_der[10] = { 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d };

#define DER_INTEGER 0x02
#define DER_OCTET_STRING 0x04
#define DER_IA5STRING 0x16
#define DER_SEQUENCE 0x30

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

void ukey_skf_ec_point_der(const uint8_t point[UKC_SKF_POINT_LEN], uint8_t out[UKEY_SKF_EC_POINT_DER_LEN])
{
	out[0] = DER_OCTET_STRING;
	out[1] = UKC_SKF_POINT_LEN;
	memcpy(out + 2, point, UKC_SKF_POINT_LEN);
}

/* ---- a bounded DER reader ---- */

struct der {
	const uint8_t *p;
	const uint8_t *end;
};

/* Reads one element with the expected tag; val and vlen give its content.
 * cut: the content may run past the buffer (we hold only a file's first
 * bytes): vlen is then what of it the buffer holds. */
static int der_elem(struct der *d, uint8_t tag, const uint8_t **val, size_t *vlen, bool cut)
{
	size_t left = (size_t)(d->end - d->p), len, nlen;
	const uint8_t *q = d->p;
	if (left < 2 || q[0] != tag)
		return -1;
	len = q[1];
	q += 2;
	left -= 2;
	if (len & 0x80) {
		nlen = len & 0x7f;
		if (nlen == 0 || nlen > 3 || nlen > left)
			return -1;
		len = 0;
		for (size_t i = 0; i < nlen; i++)
			len = (len << 8) | q[i];
		if (len < 0x80)   /* not the minimal (DER) form */
			return -1;
		q += nlen;
		left -= nlen;
	}
	if (len > left && !cut)
		return -1;
	if (len > left)
		len = left;
	*val = q;
	*vlen = len;
	d->p = q + len;
	return 0;
}

static int der_next(struct der *d, uint8_t tag, const uint8_t **val, size_t *vlen)
{
	return der_elem(d, tag, val, vlen, false);
}

/* prefix: der is a file's first bytes; the seal and its seal info may run
 * past them, the header must not. */
static bool seal_walk(const uint8_t *der, size_t len, bool prefix)
{
	struct der d = { der, der + len };
	const uint8_t *v;
	size_t n;
	if (!der)
		return false;
	for (int i = 0; i < 2; i++) {   /* the seal, then its seal info */
		if (der_elem(&d, DER_SEQUENCE, &v, &n, prefix) != 0)
			return false;
		d = (struct der){ v, v + n };
	}
	if (der_next(&d, DER_SEQUENCE, &v, &n) != 0)   /* header */
		return false;
	d = (struct der){ v, v + n };
	if (der_next(&d, DER_IA5STRING, &v, &n) != 0 || n != 2 || memcmp(v, "ES", 2) != 0)
		return false;
	return der_next(&d, DER_INTEGER, &v, &n) == 0 && n > 0 &&
	       der_next(&d, DER_IA5STRING, &v, &n) == 0;
}

bool ukey_skf_is_seal(const uint8_t *der, size_t len)
{
	return seal_walk(der, len, false);
}

bool ukey_skf_is_seal_prefix(const uint8_t *head, size_t len)
{
	return seal_walk(head, len, true);
}

size_t ukey_skf_der_trim(const uint8_t *buf, size_t len)
{
	struct der d = { buf, buf + len };
	const uint8_t *v;
	size_t n, used;
	if (!buf || len < 2 || der_next(&d, buf[0], &v, &n) != 0)
		return len;
	used = (size_t)(d.p - buf);
	return all_zero(d.p, len - used) ? used : len;
}
