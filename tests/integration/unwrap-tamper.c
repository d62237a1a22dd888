/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* unwrap-tamper.c: where to flip a byte in each part of an envelope
 * (test-unwrap.c's tampering test), by format. */
#include "config.h"

#include <string.h>

#include "testlib.h"
#include "unwrap-tamper.h"

/* DER walk for the tamper offsets: header length of the TLV at p. */
static size_t der_hdr(const unsigned char *p, size_t *vlen)
{
	if (p[1] < 0x80) {
		*vlen = p[1];
		return 2;
	}
	*vlen = 0;
	for (int i = 0; i < (p[1] & 0x7f); i++)
		*vlen = (*vlen << 8) | p[2 + i];
	return 2 + (size_t)(p[1] & 0x7f);
}

/* Bytes to flip, one per part of the envelope (and a few structural ones). */
size_t ukt_tamper_offsets(const unsigned char *env, size_t len, size_t off[16])
{
	size_t n = 0, v, h, pos;
	if (ukt_is_skf()) {
		/* Version, SymmAlgID, Bits, EncryptedPriKey, PubKey X and Y,
		 * cipher X, Y, HASH, CipherLen, Cipher */
		static const size_t o[] = { 0, 4, 9, 12 + 40, 76 + 4 + 50, 76 + 68 + 60, 208 + 40, 208 + 64 + 63,
					    208 + 128 + 7, 208 + 160, 208 + 164 + 9 };
		memcpy(off, o, sizeof(o));
		return sizeof(o) / sizeof(o[0]);
	}
	h = der_hdr(env, &v);
	off[n++] = 0;       /* outer tag */
	pos = h;
	off[n++] = pos + 2; /* version value */
	pos += 3;
	h = der_hdr(env + pos, &v);
	off[n++] = pos + h + v / 2; /* encryptedKey */
	pos += h + v;
	h = der_hdr(env + pos, &v);
	off[n++] = pos + h + 3;     /* wrappedPrivateKey: start, middle, end */
	off[n++] = pos + h + v / 2;
	off[n++] = pos + h + v - 1;
	pos += h + v;
	off[n++] = pos + 1;         /* publicKey: its length */
	off[n++] = len - 20;        /* publicKey: the modulus */
	return n;
}
