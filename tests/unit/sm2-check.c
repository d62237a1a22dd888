/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OpenSSL reference helpers for the SM2 unit tests (see sm2-check.h). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "sm2-check.h"
#include "token/crypto.h"

size_t sm2_rs_to_der(const unsigned char *rs, unsigned char *der)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
	unsigned char *p = der;
	int len;
	assert_non_null(sig);
	assert_true(r && s && ECDSA_SIG_set0(sig, r, s));
	len = i2d_ECDSA_SIG(sig, &p);
	assert_true(len > 0 && len <= 72);
	ECDSA_SIG_free(sig);
	return (size_t)len;
}

void sm2_der_to_rs(const unsigned char *der, size_t len, unsigned char *rs)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	assert_non_null(sig);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32), 32);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32), 32);
	ECDSA_SIG_free(sig);
}

/* A digest-sign/verify context whose SM2 key context carries the ID: the
 * ID must be set before EVP_Digest*Init computes Z. */
static EVP_MD_CTX *sm2_mdctx(EVP_PKEY *key, const void *id, size_t idlen, bool sign)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	assert_non_null(mctx);
	assert_non_null(pctx);
	assert_int_equal(EVP_PKEY_CTX_set1_id(pctx, id, idlen), 1);
	EVP_MD_CTX_set_pkey_ctx(mctx, pctx);   /* mctx does not own pctx */
	if (sign)
		assert_int_equal(EVP_DigestSignInit_ex(mctx, NULL, "SM3", NULL, NULL, key, NULL), 1);
	else
		assert_int_equal(EVP_DigestVerifyInit_ex(mctx, NULL, "SM3", NULL, NULL, key, NULL), 1);
	return mctx;
}

static void sm2_mdctx_free(EVP_MD_CTX *mctx)
{
	EVP_PKEY_CTX *pctx = EVP_MD_CTX_get_pkey_ctx(mctx);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
}

size_t sm2_openssl_sign(EVP_PKEY *key, const void *id, size_t idlen, const void *msg, size_t len,
			unsigned char *der, size_t max)
{
	EVP_MD_CTX *mctx = sm2_mdctx(key, id, idlen, true);
	size_t siglen = max;
	assert_int_equal(EVP_DigestSign(mctx, der, &siglen, msg, len), 1);
	sm2_mdctx_free(mctx);
	return siglen;
}

int sm2_openssl_verify(EVP_PKEY *key, const void *id, size_t idlen, const void *msg, size_t len,
		       const unsigned char *rs)
{
	unsigned char der[80];
	size_t derlen = sm2_rs_to_der(rs, der);
	EVP_MD_CTX *mctx = sm2_mdctx(key, id, idlen, false);
	int ok = EVP_DigestVerify(mctx, der, derlen, msg, len);
	sm2_mdctx_free(mctx);
	return ok;
}

size_t sm2_openssl_encrypt(EVP_PKEY *key, const unsigned char *msg, size_t len, unsigned char *out, size_t max)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	size_t outlen = max;
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
	assert_int_equal(EVP_PKEY_encrypt(ctx, out, &outlen, msg, len), 1);
	EVP_PKEY_CTX_free(ctx);
	return outlen;
}

void sm2_our_e(EVP_PKEY *key, const void *id, size_t idlen, const void *msg, size_t len, unsigned char e[32])
{
	unsigned char z[32];
	unsigned int elen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_int_equal(ukey_sm2_z(key, id, idlen, z), CKR_OK);
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sm3(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, z, 32), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, msg, len), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, e, &elen), 1);
	assert_int_equal(elen, 32);
	EVP_MD_CTX_free(ctx);
}
