/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure codecs between SKF blobs and DER / PKCS#11 encodings (blob.h).
 * The DER walk is bounded by hand: every length is checked against what is
 * left before it is used, so a hostile device or file cannot make us read
 * past a buffer. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "drivers/skf/blob.h"
#include "util/log.h"

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

static bool sm2_point_on_curve(const uint8_t point[UKEY_SKF_POINT_LEN])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
	EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
	bool ok = pt && EC_POINT_oct2point(g, pt, point, UKEY_SKF_POINT_LEN, NULL) == 1 &&
		  EC_POINT_is_on_curve(g, pt, NULL) == 1;
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return ok;
}

/* Takes a 256-bit value from a 64-byte field: right-aligned as the standard
 * says, or left-aligned as some early libraries wrote it. */
static int field32(const uint8_t field[64], uint8_t out[32], bool *left)
{
	if (all_zero(field, 32)) {
		memcpy(out, field + 32, 32);
		*left = false;
		return 0;
	}
	if (all_zero(field + 32, 32)) {
		memcpy(out, field, 32);
		*left = true;
		return 0;
	}
	return -1;
}

int ukey_skf_blob_ecc_pub_decode(const uint8_t *blob, size_t blen, uint8_t point[UKEY_SKF_POINT_LEN])
{
	SKF_ECCPUBLICKEYBLOB b;
	uint8_t p[UKEY_SKF_POINT_LEN];
	bool lx, ly;
	if (!blob || blen < sizeof(b)) {
		ukey_warn("ECC public key blob too short (%zu bytes)", blen);
		return -1;
	}
	memcpy(&b, blob, sizeof(b));
	if (b.BitLen != 256) {
		ukey_warn("ECC public key blob: BitLen %u, expected 256", (unsigned)b.BitLen);
		return -1;
	}
	p[0] = 0x04;
	if (field32(b.XCoordinate, p + 1, &lx) != 0 || field32(b.YCoordinate, p + 33, &ly) != 0 ||
	    lx != ly) {
		ukey_warn("ECC public key blob: coordinates wider than 256 bits");
		return -1;
	}
	if (lx)
		ukey_debug("ECC public key blob with left-aligned coordinates");
	if (!sm2_point_on_curve(p)) {
		ukey_warn("ECC public key blob: point not on the SM2 curve");
		return -1;
	}
	memcpy(point, p, sizeof(p));
	return 0;
}

int ukey_skf_blob_ecc_pub_encode(const uint8_t *point, size_t len, SKF_ECCPUBLICKEYBLOB *blob)
{
	if (!point || len != UKEY_SKF_POINT_LEN || point[0] != 0x04) {
		ukey_warn("EC point is not an uncompressed 256-bit point (%zu bytes)", len);
		return -1;
	}
	memset(blob, 0, sizeof(*blob));
	blob->BitLen = 256;
	memcpy(blob->XCoordinate + 32, point + 1, 32);
	memcpy(blob->YCoordinate + 32, point + 33, 32);
	return 0;
}

void ukey_skf_ec_point_der(const uint8_t point[UKEY_SKF_POINT_LEN], uint8_t out[UKEY_SKF_EC_POINT_DER_LEN])
{
	out[0] = DER_OCTET_STRING;
	out[1] = UKEY_SKF_POINT_LEN;
	memcpy(out + 2, point, UKEY_SKF_POINT_LEN);
}

int ukey_skf_blob_ecc_sig_decode(const SKF_ECCSIGNATUREBLOB *sig, uint8_t rs[64])
{
	if (!all_zero(sig->r, 32) || !all_zero(sig->s, 32)) {
		ukey_warn("ECC signature blob: r or s wider than 256 bits");
		return -1;
	}
	if (all_zero(sig->r + 32, 32) || all_zero(sig->s + 32, 32)) {
		ukey_warn("ECC signature blob: r or s is zero");
		return -1;
	}
	memcpy(rs, sig->r + 32, 32);
	memcpy(rs + 32, sig->s + 32, 32);
	return 0;
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

/* A non-negative INTEGER of at most 32 significant bytes → right-aligned
 * into a 64-byte SKF field. */
static int der_uint256(struct der *d, uint8_t field[64])
{
	const uint8_t *v;
	size_t n;
	if (der_next(d, DER_INTEGER, &v, &n) != 0 || n == 0 || (v[0] & 0x80))
		return -1;
	while (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	if (n > 32)
		return -1;
	memset(field, 0, 64);
	memcpy(field + 64 - n, v, n);
	return 0;
}

int ukey_skf_blob_cipher_from_der(const uint8_t *der, size_t len, SKF_ECCCIPHERBLOB **blob,
				  size_t *bloblen)
{
	struct der outer = { der, der + len }, in;
	const uint8_t *seq, *hash, *c;
	size_t seqlen, hlen, clen;
	SKF_ECCCIPHERBLOB *b = NULL;
	uint8_t x[64], y[64];
	if (!der || der_next(&outer, DER_SEQUENCE, &seq, &seqlen) != 0 || outer.p != outer.end)
		goto bad;
	in = (struct der){ seq, seq + seqlen };
	if (der_uint256(&in, x) != 0 || der_uint256(&in, y) != 0 ||
	    der_next(&in, DER_OCTET_STRING, &hash, &hlen) != 0 || hlen != 32 ||
	    der_next(&in, DER_OCTET_STRING, &c, &clen) != 0 || clen == 0 || in.p != in.end ||
	    clen > UINT32_MAX - SKF_ECCCIPHERBLOB_HEADER)
		goto bad;
	b = calloc(1, SKF_ECCCIPHERBLOB_HEADER + clen);
	if (!b)
		return -1;
	memcpy(b->XCoordinate, x, 64);
	memcpy(b->YCoordinate, y, 64);
	memcpy(b->HASH, hash, 32);
	b->CipherLen = (SKF_ULONG)clen;
	memcpy(b->Cipher, c, clen);
	*blob = b;
	*bloblen = SKF_ECCCIPHERBLOB_HEADER + clen;
	return 0;
bad:
	ukey_warn("SM2 ciphertext is not a DER SM2Cipher (%zu bytes)", len);
	return -1;
}

/* Writes a DER length; returns its size. */
static size_t der_len(uint8_t *out, size_t len)
{
	if (len < 0x80) {
		out[0] = (uint8_t)len;
		return 1;
	}
	if (len <= 0xff) {
		out[0] = 0x81;
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[0] = 0x82;
		out[1] = (uint8_t)(len >> 8);
		out[2] = (uint8_t)len;
		return 3;
	}
	out[0] = 0x83;
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	return 4;
}

/* A 32-byte unsigned value as a minimal DER INTEGER (at most 35 bytes). */
static size_t der_int32(uint8_t *out, const uint8_t v[32])
{
	size_t skip = 0, n;
	while (skip < 31 && v[skip] == 0)
		skip++;
	n = 32 - skip;
	out[0] = DER_INTEGER;
	if (v[skip] & 0x80) {
		out[1] = (uint8_t)(n + 1);
		out[2] = 0;
		memcpy(out + 3, v + skip, n);
		return n + 3;
	}
	out[1] = (uint8_t)n;
	memcpy(out + 2, v + skip, n);
	return n + 2;
}

int ukey_skf_blob_cipher_to_der(const SKF_ECCCIPHERBLOB *blob, size_t bloblen, uint8_t **der,
				size_t *len)
{
	uint8_t head[8], ints[2 * 35 + 34], clh[8];
	size_t ni, nc, body, nh, clen;
	uint8_t *out;
	if (!blob || bloblen < SKF_ECCCIPHERBLOB_HEADER || blob->CipherLen == 0 ||
	    blob->CipherLen > bloblen - SKF_ECCCIPHERBLOB_HEADER || blob->CipherLen > 0xffffff ||
	    !all_zero(blob->XCoordinate, 32) || !all_zero(blob->YCoordinate, 32)) {
		ukey_warn("ECC cipher blob malformed (%zu bytes)", bloblen);
		return -1;
	}
	clen = blob->CipherLen;
	ni = der_int32(ints, blob->XCoordinate + 32);
	ni += der_int32(ints + ni, blob->YCoordinate + 32);
	ints[ni++] = DER_OCTET_STRING;
	ints[ni++] = 32;
	memcpy(ints + ni, blob->HASH, 32);
	ni += 32;
	clh[0] = DER_OCTET_STRING;
	nc = 1 + der_len(clh + 1, clen);
	body = ni + nc + clen;
	head[0] = DER_SEQUENCE;
	nh = 1 + der_len(head + 1, body);
	out = malloc(nh + body);
	if (!out)
		return -1;
	memcpy(out, head, nh);
	memcpy(out + nh, ints, ni);
	memcpy(out + nh + ni, clh, nc);
	memcpy(out + nh + ni + nc, blob->Cipher, clen);
	*der = out;
	*len = nh + body;
	return 0;
}

int ukey_skf_blob_rsa_pub_decode(const uint8_t *blob, size_t blen, uint8_t modulus[256],
				 size_t *modlen, uint8_t exponent[4], size_t *explen)
{
	SKF_RSAPUBLICKEYBLOB b;
	const uint8_t *m, *e;
	size_t n, skip = 0;
	if (!blob || blen < sizeof(b)) {
		ukey_warn("RSA public key blob too short (%zu bytes)", blen);
		return -1;
	}
	memcpy(&b, blob, sizeof(b));
	if (b.BitLen < 512 || b.BitLen > 2048 || b.BitLen % 8) {
		ukey_warn("RSA public key blob: BitLen %u out of range", (unsigned)b.BitLen);
		return -1;
	}
	if (b.AlgID != SGD_RSA)
		ukey_debug("RSA public key blob: AlgID 0x%08x", (unsigned)b.AlgID);
	n = b.BitLen / 8;
	/* Right-aligned in the 256-byte field; a few libraries left-align. */
	m = b.Modulus + sizeof(b.Modulus) - n;
	if (n < sizeof(b.Modulus) && !all_zero(b.Modulus, sizeof(b.Modulus) - n)) {
		if (!all_zero(b.Modulus + n, sizeof(b.Modulus) - n)) {
			ukey_warn("RSA public key blob: modulus wider than BitLen");
			return -1;
		}
		m = b.Modulus;
	}
	if (!(m[0] & 0x80)) {
		ukey_warn("RSA public key blob: modulus shorter than BitLen %u", (unsigned)b.BitLen);
		return -1;
	}
	e = b.PublicExponent;
	while (skip < 4 && e[skip] == 0)
		skip++;
	if (skip == 4 || !(e[3] & 1)) {
		ukey_warn("RSA public key blob: bad public exponent");
		return -1;
	}
	memcpy(modulus, m, n);
	*modlen = n;
	memcpy(exponent, e + skip, 4 - skip);
	*explen = 4 - skip;
	return 0;
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

size_t ukey_skf_names_walk(const char *buf, size_t size, void (*fn)(const char *name, void *arg),
			   void *arg)
{
	size_t pos = 0, count = 0;
	while (pos < size) {
		size_t n = strnlen(buf + pos, size - pos);
		if (n == 0)
			break;
		/* A name running to the end is NUL-terminated by buf[size]. */
		fn(buf + pos, arg);
		count++;
		pos += n + 1;
	}
	return count;
}
