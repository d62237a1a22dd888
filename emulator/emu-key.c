/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "emu.h"

/* Key helpers: PEM storage, SKF blobs, and the ECCCIPHERBLOB <-> SM2Cipher
 * DER conversion (SEQUENCE { INTEGER x, INTEGER y, OCTET STRING hash,
 * OCTET STRING ciphertext }, what OpenSSL's SM2 encryption reads/writes). */

int emu_key_is_sm2(const EVP_PKEY *pkey)
{
	char group[32];
	size_t len = 0;

	if (EVP_PKEY_is_a(pkey, "SM2"))
		return 1;
	return EVP_PKEY_is_a(pkey, "EC") &&
	       EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) &&
	       strcmp(group, "SM2") == 0;
}

EVP_PKEY *emu_key_load(const char *path)
{
	BIO *bio = BIO_new_file(path, "r");
	EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (pkey && EVP_PKEY_is_a(pkey, "EC") && emu_key_is_sm2(pkey)) {
		/* An EC key on the SM2 curve would sign with ECDSA: refuse it
		 * rather than make a wrong signature. OpenSSL 3 loads such
		 * PEM files as SM2 keys, so this should not happen. */
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

int emu_key_store(const char *path, EVP_PKEY *pkey)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd, n, rc = -1;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if (n < 0 || n >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1)
		rc = 0;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
out:
	if (rc != 0)
		unlink(tmp);
	return rc;
}

EVP_PKEY *emu_key_gen(const char *alg, int bits)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY *pkey = NULL;

	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0)
		goto out;
	if (bits && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) <= 0)
		goto out;
	if (EVP_PKEY_keygen(ctx, &pkey) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int emu_ecc_pub_to_blob(const EVP_PKEY *pkey, SKF_ECCPUBLICKEYBLOB *blob)
{
	unsigned char pt[65];
	size_t len = 0;

	if (!EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len) ||
	    len != 65 || pt[0] != 4)
		return -1;
	memset(blob, 0, sizeof(*blob));
	blob->BitLen = 256;
	memcpy(blob->XCoordinate + 32, pt + 1, 32);
	memcpy(blob->YCoordinate + 32, pt + 33, 32);
	return 0;
}

/* Modulus and exponent right-aligned in their fields (like ECC values). */
int emu_rsa_pub_to_blob(const EVP_PKEY *pkey, SKF_RSAPUBLICKEYBLOB *blob)
{
	BIGNUM *n = NULL, *e = NULL;
	int rc = -1;

	memset(blob, 0, sizeof(*blob));
	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
		goto out;
	if (BN_num_bytes(n) > (int)sizeof(blob->Modulus) || BN_num_bytes(e) > 4)
		goto out;
	blob->AlgID = SGD_RSA;
	blob->BitLen = (SKF_ULONG)BN_num_bits(n);
	if (BN_bn2binpad(n, blob->Modulus, sizeof(blob->Modulus)) < 0 ||
	    BN_bn2binpad(e, blob->PublicExponent, 4) < 0)
		goto out;
	rc = 0;
out:
	BN_free(n);
	BN_free(e);
	return rc;
}

/* An SM2 key pair from its private scalar d (32 bytes big-endian). */
EVP_PKEY *emu_sm2_from_priv(const uint8_t d[32])
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_sm2);
	EC_POINT *pub = grp ? EC_POINT_new(grp) : NULL;
	BIGNUM *priv = BN_secure_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char pt[65];

	if (!pub || !priv || !bld || !BN_bin2bn(d, 32, priv) || BN_is_zero(priv) ||
	    BN_cmp(priv, EC_GROUP_get0_order(grp)) >= 0)
		goto out;
	if (!EC_POINT_mul(grp, pub, priv, NULL, NULL, NULL) ||
	    EC_POINT_point2oct(grp, pub, POINT_CONVERSION_UNCOMPRESSED, pt, sizeof(pt), NULL) != 65)
		goto out;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)))
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	EC_POINT_free(pub);
	EC_GROUP_free(grp);
	return pkey;
}

static int push_int(STACK_OF(ASN1_TYPE) *seq, const uint8_t *bytes)
{
	BIGNUM *bn = BN_bin2bn(bytes, 64, NULL);
	ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	ASN1_TYPE *t = ai ? ASN1_TYPE_new() : NULL;

	BN_free(bn);
	if (!t) {
		ASN1_INTEGER_free(ai);
		return 0;
	}
	ASN1_TYPE_set(t, V_ASN1_INTEGER, ai);
	if (!sk_ASN1_TYPE_push(seq, t)) {
		ASN1_TYPE_free(t);
		return 0;
	}
	return 1;
}

static int push_octets(STACK_OF(ASN1_TYPE) *seq, const uint8_t *bytes, size_t len)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_TYPE *t = os ? ASN1_TYPE_new() : NULL;

	if (!t || !ASN1_OCTET_STRING_set(os, bytes, (int)len)) {
		ASN1_OCTET_STRING_free(os);
		ASN1_TYPE_free(t);
		return 0;
	}
	ASN1_TYPE_set(t, V_ASN1_OCTET_STRING, os);
	if (!sk_ASN1_TYPE_push(seq, t)) {
		ASN1_TYPE_free(t);
		return 0;
	}
	return 1;
}

int emu_cipher_blob_to_der(const SKF_ECCCIPHERBLOB *blob, uint8_t **der, size_t *len)
{
	STACK_OF(ASN1_TYPE) *seq = sk_ASN1_TYPE_new_null();
	unsigned char *out = NULL;
	int n, rc = -1;

	*der = NULL;
	if (!seq || !push_int(seq, blob->XCoordinate) || !push_int(seq, blob->YCoordinate) ||
	    !push_octets(seq, blob->HASH, 32) || !push_octets(seq, blob->Cipher, blob->CipherLen))
		goto out;
	n = i2d_ASN1_SEQUENCE_ANY(seq, &out);
	if (n <= 0)
		goto out;
	*der = out;
	*len = (size_t)n;
	rc = 0;
out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return rc;
}

/* The inverse, for callers holding OpenSSL SM2 ciphertext (tests, tools).
 * Returns a malloc'ed blob of SKF_ECCCIPHERBLOB_HEADER + CipherLen bytes. */
SKF_ECCCIPHERBLOB *emu_der_to_cipher_blob(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	STACK_OF(ASN1_TYPE) *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
	SKF_ECCCIPHERBLOB *blob = NULL;
	BIGNUM *bn = NULL;
	ASN1_TYPE *t[4];

	if (!seq || sk_ASN1_TYPE_num(seq) != 4)
		goto out;
	for (int i = 0; i < 4; i++)
		t[i] = sk_ASN1_TYPE_value(seq, i);
	if (t[0]->type != V_ASN1_INTEGER || t[1]->type != V_ASN1_INTEGER ||
	    t[2]->type != V_ASN1_OCTET_STRING || t[3]->type != V_ASN1_OCTET_STRING ||
	    ASN1_STRING_length(t[2]->value.octet_string) != 32)
		goto out;
	blob = calloc(1, SKF_ECCCIPHERBLOB_HEADER + (size_t)ASN1_STRING_length(t[3]->value.octet_string));
	if (!blob)
		goto out;
	for (int i = 0; i < 2; i++) {
		bn = ASN1_INTEGER_to_BN(t[i]->value.integer, NULL);
		if (!bn || BN_bn2binpad(bn, i ? blob->YCoordinate : blob->XCoordinate, 64) < 0) {
			free(blob);
			blob = NULL;
			goto out;
		}
		BN_free(bn);
		bn = NULL;
	}
	memcpy(blob->HASH, ASN1_STRING_get0_data(t[2]->value.octet_string), 32);
	blob->CipherLen = (SKF_ULONG)ASN1_STRING_length(t[3]->value.octet_string);
	memcpy(blob->Cipher, ASN1_STRING_get0_data(t[3]->value.octet_string), blob->CipherLen);
out:
	BN_free(bn);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return blob;
}

int emu_sm2_decrypt(EVP_PKEY *pkey, const SKF_ECCCIPHERBLOB *blob, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t *der = NULL;
	size_t derlen;
	int rc = -1;

	if (emu_cipher_blob_to_der(blob, &der, &derlen) != 0)
		return -1;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx && EVP_PKEY_decrypt_init(ctx) > 0 && EVP_PKEY_decrypt(ctx, out, outlen, der, derlen) > 0)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(der);
	return rc;
}
