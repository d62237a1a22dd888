/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0016 blobs (skfblob.h). Blobs are read through memcpy into a local
 * structure: a caller's buffer need not be aligned, and a short one is
 * refused before any field is read. */
#include <string.h>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "skfblob.h"

static int bad(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -1;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static bool sm2_point_on_curve(const uint8_t point[UKC_SKF_POINT_LEN])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
	EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
	bool ok = pt && EC_POINT_oct2point(g, pt, point, UKC_SKF_POINT_LEN, NULL) == 1 &&
		  EC_POINT_is_on_curve(g, pt, NULL) == 1;
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return ok;
}

/* A 256-bit value from a 64-byte field: right-aligned as the standard
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

int ukc_skf_ecc_pub_unpack(const uint8_t *blob, size_t blen, uint8_t point[UKC_SKF_POINT_LEN], bool *left,
			   const char **why)
{
	SKF_ECCPUBLICKEYBLOB b;
	uint8_t p[UKC_SKF_POINT_LEN];
	bool lx, ly;

	if (!blob || blen < sizeof(b))
		return bad(why, "ECC public key blob shorter than 132 bytes");
	memcpy(&b, blob, sizeof(b));
	if (b.BitLen != 256)
		return bad(why, "ECC public key blob: BitLen is not 256");
	p[0] = 0x04;
	if (field32(b.XCoordinate, p + 1, &lx) != 0 || field32(b.YCoordinate, p + 33, &ly) != 0 || lx != ly)
		return bad(why, "ECC public key blob: coordinates wider than 256 bits");
	if (!sm2_point_on_curve(p))
		return bad(why, "ECC public key blob: point not on the SM2 curve");
	memcpy(point, p, sizeof(p));
	if (left)
		*left = lx;
	return 0;
}

int ukc_skf_ecc_pub_pack(const uint8_t *point, size_t len, SKF_ECCPUBLICKEYBLOB *blob)
{
	if (!point || len != UKC_SKF_POINT_LEN || point[0] != 0x04)
		return -1;
	memset(blob, 0, sizeof(*blob));
	blob->BitLen = 256;
	memcpy(blob->XCoordinate + 32, point + 1, 32);
	memcpy(blob->YCoordinate + 32, point + 33, 32);
	return 0;
}

int ukc_skf_ecc_sig_unpack(const SKF_ECCSIGNATUREBLOB *sig, uint8_t rs[64], const char **why)
{
	if (!all_zero(sig->r, 32) || !all_zero(sig->s, 32))
		return bad(why, "ECC signature blob: r or s wider than 256 bits");
	if (all_zero(sig->r + 32, 32) || all_zero(sig->s + 32, 32))
		return bad(why, "ECC signature blob: r or s is zero");
	memcpy(rs, sig->r + 32, 32);
	memcpy(rs + 32, sig->s + 32, 32);
	return 0;
}

void ukc_skf_ecc_sig_pack(const uint8_t rs[64], SKF_ECCSIGNATUREBLOB *sig)
{
	memset(sig, 0, sizeof(*sig));
	memcpy(sig->r + 32, rs, 32);
	memcpy(sig->s + 32, rs + 32, 32);
}

int ukc_skf_rsa_pub_unpack(const uint8_t *blob, size_t blen, uint8_t modulus[256], size_t *modlen,
			   uint8_t exponent[4], size_t *explen, SKF_ULONG *algid, const char **why)
{
	SKF_RSAPUBLICKEYBLOB b;
	const uint8_t *m, *e;
	size_t n, skip = 0;

	if (!blob || blen < sizeof(b))
		return bad(why, "RSA public key blob shorter than 268 bytes");
	memcpy(&b, blob, sizeof(b));
	if (b.BitLen < 512 || b.BitLen > 2048 || b.BitLen % 8)
		return bad(why, "RSA public key blob: BitLen out of range");
	n = b.BitLen / 8;
	m = b.Modulus + sizeof(b.Modulus) - n;
	if (n < sizeof(b.Modulus) && !all_zero(b.Modulus, sizeof(b.Modulus) - n)) {
		if (!all_zero(b.Modulus + n, sizeof(b.Modulus) - n))
			return bad(why, "RSA public key blob: modulus wider than BitLen");
		m = b.Modulus;
	}
	if (!(m[0] & 0x80))
		return bad(why, "RSA public key blob: modulus shorter than BitLen");
	e = b.PublicExponent;
	while (skip < 4 && e[skip] == 0)
		skip++;
	if (skip == 4 || !(e[3] & 1))
		return bad(why, "RSA public key blob: bad public exponent");
	memcpy(modulus, m, n);
	*modlen = n;
	memcpy(exponent, e + skip, 4 - skip);
	*explen = 4 - skip;
	if (algid)
		*algid = b.AlgID;
	return 0;
}

int ukc_skf_rsa_pub_pack(const uint8_t *modulus, size_t modlen, const uint8_t *exponent, size_t explen,
			 SKF_RSAPUBLICKEYBLOB *blob)
{
	unsigned bits;

	while (modlen > 0 && modulus[0] == 0) {
		modulus++;
		modlen--;
	}
	while (explen > 0 && exponent[0] == 0) {
		exponent++;
		explen--;
	}
	if (modlen == 0 || modlen > sizeof(blob->Modulus) || explen > sizeof(blob->PublicExponent))
		return -1;
	memset(blob, 0, sizeof(*blob));
	bits = (unsigned)(modlen - 1) * 8;
	for (unsigned top = modulus[0]; top; top >>= 1)
		bits++;
	blob->AlgID = SGD_RSA;
	blob->BitLen = bits;
	memcpy(blob->Modulus + sizeof(blob->Modulus) - modlen, modulus, modlen);
	memcpy(blob->PublicExponent + sizeof(blob->PublicExponent) - explen, exponent, explen);
	return 0;
}

#define ENV_CIPHER_AT offsetof(SKF_ENVELOPEDKEYBLOB, ECCCipherBlob)

int ukc_skf_envelope_unpack(const uint8_t *env, size_t len, uint8_t point[UKC_SKF_POINT_LEN], const char **why)
{
	SKF_ENVELOPEDKEYBLOB head;
	SKF_ULONG clen;

	if (!env || len != UKC_SKF_ENVELOPE_LEN) {
		bad(why, "enveloped key blob: not 388 bytes");
		return 1;
	}
	memcpy(&head, env, ENV_CIPHER_AT);
	memcpy(&clen, env + ENV_CIPHER_AT + offsetof(SKF_ECCCIPHERBLOB, CipherLen), sizeof(clen));
	if (clen != UKC_SKF_ENVELOPE_CIPHER_LEN) {
		bad(why, "enveloped key blob: CipherLen is not 16");
		return 1;
	}
	if (head.Version != 1 || head.ulSymmAlgID != SGD_SM4_ECB || head.ulBits != 256)
		return bad(why, "enveloped key blob: not Version 1, SGD_SM4_ECB, 256 bits");
	return ukc_skf_ecc_pub_unpack((const uint8_t *)&head.PubKey, sizeof(head.PubKey), point, NULL, why);
}

int ukc_skf_envelope_pack(const uint8_t enc_priv[64], const uint8_t point[UKC_SKF_POINT_LEN],
			  const SKF_ECCCIPHERBLOB *cipher, size_t cipher_len, uint8_t *out)
{
	SKF_ENVELOPEDKEYBLOB head;

	if (cipher_len != SKF_ECCCIPHERBLOB_HEADER + UKC_SKF_ENVELOPE_CIPHER_LEN ||
	    cipher->CipherLen != UKC_SKF_ENVELOPE_CIPHER_LEN)
		return -1;
	memset(&head, 0, sizeof(head));
	head.Version = 1;
	head.ulSymmAlgID = SGD_SM4_ECB;
	head.ulBits = 256;
	memcpy(head.cbEncryptedPriKey, enc_priv, sizeof(head.cbEncryptedPriKey));
	if (ukc_skf_ecc_pub_pack(point, UKC_SKF_POINT_LEN, &head.PubKey) != 0)
		return -1;
	memcpy(out, &head, ENV_CIPHER_AT);
	memcpy(out + ENV_CIPHER_AT, cipher, cipher_len);
	return 0;
}

size_t ukc_skf_names_walk(const char *buf, size_t size, void (*fn)(const char *name, void *arg), void *arg)
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
