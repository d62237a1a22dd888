/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SM2Cipher (sm2cipher.h) through an OpenSSL ASN.1 template. */
#include <stdbool.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include "der-strict.h"
#include "sm2cipher.h"

#define FIELD 32
/* The longest ciphertext an SKF blob is given: well past any SKF device's
 * MaxECCBufferSize, and a DER length of at most three bytes. */
#define CIPHER_MAX 0xffffff

typedef struct {
	ASN1_INTEGER *x;
	ASN1_INTEGER *y;
	ASN1_OCTET_STRING *hash;
	ASN1_OCTET_STRING *ciphertext;
} SM2CIPHER;

ASN1_SEQUENCE(SM2CIPHER) = {
	ASN1_SIMPLE(SM2CIPHER, x, ASN1_INTEGER),
	ASN1_SIMPLE(SM2CIPHER, y, ASN1_INTEGER),
	ASN1_SIMPLE(SM2CIPHER, hash, ASN1_OCTET_STRING),
	ASN1_SIMPLE(SM2CIPHER, ciphertext, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(SM2CIPHER)

IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(SM2CIPHER)

static int bad(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -1;
}

/* A non-negative INTEGER of at most 256 bits -> 32 bytes big-endian. */
static int coord(const ASN1_INTEGER *i, uint8_t out[FIELD])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(i, NULL);
	int ok = bn && !BN_is_negative(bn) && BN_num_bytes(bn) <= FIELD && BN_bn2binpad(bn, out, FIELD) == FIELD;
	BN_free(bn);
	return ok ? 0 : -1;
}

/* The SM2Cipher in der, checked; NULL with *why otherwise. */
static SM2CIPHER *decode(const uint8_t *der, size_t len, const char **why)
{
	SM2CIPHER *c = (SM2CIPHER *)ukc_der_decode(ASN1_ITEM_rptr(SM2CIPHER), der, len, why);
	uint8_t x[FIELD];

	if (!c)
		return NULL;
	if (coord(c->x, x) != 0 || coord(c->y, x) != 0)
		bad(why, "a coordinate is negative or wider than 256 bits");
	else if (ASN1_STRING_length(c->hash) != FIELD)
		bad(why, "the hash is not 32 bytes");
	else if (ASN1_STRING_length(c->ciphertext) < 1)
		bad(why, "the ciphertext is empty");
	else
		return c;
	SM2CIPHER_free(c);
	return NULL;
}

int ukc_sm2cipher_plain_len(const uint8_t *der, size_t len, size_t *plen, const char **why)
{
	SM2CIPHER *c = decode(der, len, why);

	if (!c)
		return -1;
	*plen = (size_t)ASN1_STRING_length(c->ciphertext);
	SM2CIPHER_free(c);
	return 0;
}

int ukc_sm2cipher_to_skf(const uint8_t *der, size_t len, SKF_ECCCIPHERBLOB **blob, size_t *bloblen,
			 const char **why)
{
	SM2CIPHER *c = decode(der, len, why);
	SKF_ECCCIPHERBLOB *b;
	size_t clen;

	if (!c)
		return -1;
	clen = (size_t)ASN1_STRING_length(c->ciphertext);
	if (clen > CIPHER_MAX) {
		SM2CIPHER_free(c);
		return bad(why, "the ciphertext is over 16 MiB");
	}
	b = OPENSSL_zalloc(SKF_ECCCIPHERBLOB_HEADER + clen);
	if (!b) {
		SM2CIPHER_free(c);
		return bad(why, "out of memory");
	}
	/* decode() checked that both fit. */
	coord(c->x, b->XCoordinate + FIELD);
	coord(c->y, b->YCoordinate + FIELD);
	memcpy(b->HASH, ASN1_STRING_get0_data(c->hash), FIELD);
	b->CipherLen = (SKF_ULONG)clen;
	memcpy(b->Cipher, ASN1_STRING_get0_data(c->ciphertext), clen);
	SM2CIPHER_free(c);
	*blob = b;
	*bloblen = SKF_ECCCIPHERBLOB_HEADER + clen;
	return 0;
}

static int set_coord(ASN1_INTEGER *i, const uint8_t field[2 * FIELD])
{
	BIGNUM *bn = BN_bin2bn(field + FIELD, FIELD, NULL);
	int ok = bn && BN_to_ASN1_INTEGER(bn, i) == i;
	BN_free(bn);
	return ok ? 0 : -1;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int ukc_sm2cipher_from_skf(const SKF_ECCCIPHERBLOB *blob, size_t bloblen, uint8_t **der, size_t *len,
			   const char **why)
{
	SM2CIPHER *c;
	unsigned char *out = NULL;
	int n = -1;

	if (!blob || bloblen < SKF_ECCCIPHERBLOB_HEADER || blob->CipherLen == 0 ||
	    blob->CipherLen > bloblen - SKF_ECCCIPHERBLOB_HEADER || blob->CipherLen > CIPHER_MAX)
		return bad(why, "CipherLen is 0 or runs past the blob");
	if (!all_zero(blob->XCoordinate, FIELD) || !all_zero(blob->YCoordinate, FIELD))
		return bad(why, "a coordinate wider than 256 bits");
	c = SM2CIPHER_new();
	if (c && set_coord(c->x, blob->XCoordinate) == 0 && set_coord(c->y, blob->YCoordinate) == 0 &&
	    ASN1_OCTET_STRING_set(c->hash, blob->HASH, FIELD) &&
	    ASN1_OCTET_STRING_set(c->ciphertext, blob->Cipher, (int)blob->CipherLen))
		n = ASN1_item_i2d((ASN1_VALUE *)c, &out, ASN1_ITEM_rptr(SM2CIPHER));
	SM2CIPHER_free(c);
	if (n <= 0)
		return bad(why, "out of memory");
	*der = out;
	*len = (size_t)n;
	return 0;
}
