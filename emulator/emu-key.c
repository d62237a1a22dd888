/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "emu.h"
#include "skfblob.h"
#include "sm2cipher.h"

/* Key helpers: PEM storage, the SKF blobs of a key (common/skfblob.h), and
 * SM2 decryption of an ECCCIPHERBLOB (through the DER SM2Cipher OpenSSL
 * reads, common/sm2cipher.h). */

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
	unsigned char pt[UKC_SKF_POINT_LEN];
	size_t len = 0;

	if (!EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len))
		return -1;
	return ukc_skf_ecc_pub_pack(pt, len, blob);
}

int emu_rsa_pub_to_blob(const EVP_PKEY *pkey, SKF_RSAPUBLICKEYBLOB *blob)
{
	BIGNUM *n = NULL, *e = NULL;
	unsigned char nb[sizeof(blob->Modulus)], eb[sizeof(blob->PublicExponent)];
	int nl = -1, el = -1;

	memset(blob, 0, sizeof(*blob));
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) && BN_num_bytes(n) <= (int)sizeof(nb) &&
	    BN_num_bytes(e) <= (int)sizeof(eb)) {
		nl = BN_bn2bin(n, nb);
		el = BN_bn2bin(e, eb);
	}
	BN_free(n);
	BN_free(e);
	return nl > 0 && el > 0 ? ukc_skf_rsa_pub_pack(nb, (size_t)nl, eb, (size_t)el, blob) : -1;
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

int emu_sm2_decrypt(EVP_PKEY *pkey, const SKF_ECCCIPHERBLOB *blob, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t *der = NULL;
	size_t derlen;
	int rc = -1;

	if (ukc_sm2cipher_from_skf(blob, SKF_ECCCIPHERBLOB_HEADER + (size_t)blob->CipherLen, &der, &derlen, NULL) != 0)
		return -1;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx && EVP_PKEY_decrypt_init(ctx) > 0 && EVP_PKEY_decrypt(ctx, out, outlen, der, derlen) > 0)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(der);
	return rc;
}
