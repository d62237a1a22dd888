/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "emu.h"
#include "skfblob.h"

/* Key generation, signing, decryption and key import. Every private-key
 * operation needs the user PIN of the container's application. The result
 * of an operation is given only if the device is still present after it:
 * a token pulled out mid-signature gives no signature. */

static SKF_ULONG cont_enter(SKF_HANDLE h, struct emu_cont **c)
{
	struct emu_obj *o;
	SKF_ULONG rv = emu_enter(h, EMU_CONT, 1, &o);

	*c = (struct emu_cont *)o;
	if (rv == SAR_OK && !(*c)->app->user_in) {
		emu_leave(o->dev);
		return SAR_USER_NOT_LOGGED_IN;
	}
	return rv;
}

static SKF_ULONG cont_leave(struct emu_cont *c, SKF_ULONG rv)
{
	if (!emu_present(c->hdr.dev))
		rv = SAR_DEVICE_REMOVED;
	emu_leave(c->hdr.dev);
	return rv;
}

static SKF_ULONG store_key(struct emu_cont *c, int sign, EVP_PKEY *k)
{
	char path[PATH_MAX];

	if (emu_path(path, c->path, sign ? "sign.key.pem" : "enc.key.pem") != 0 ||
	    emu_key_store(path, k) != 0)
		return SAR_WRITEFILEERR;
	return SAR_OK;
}

EMU_EXPORT SKF_ULONG SKF_GenECCKeyPair(SKF_HANDLE hContainer, SKF_ULONG ulAlgId, SKF_ECCPUBLICKEYBLOB *pBlob)
{
	struct emu_cont *c;
	EVP_PKEY *k = NULL;
	SKF_ULONG rv = cont_enter(hContainer, &c);

	if (rv != SAR_OK)
		return rv;
	/* SGD_SM2_1 in both conventions (vendor 0x00020100, GM/T 0006 table
	 * 0x00020200). */
	if (!pBlob)
		rv = SAR_INVALIDPARAMERR;
	else if (ulAlgId != 0x00020100 && ulAlgId != 0x00020200)
		rv = SAR_NOTSUPPORTYETERR;
	else if (!(k = emu_key_gen("SM2", 0)))
		rv = SAR_FAIL;
	else if ((rv = store_key(c, 1, k)) == SAR_OK && emu_ecc_pub_to_blob(k, pBlob) != 0)
		rv = SAR_FAIL;
	EVP_PKEY_free(k);
	return cont_leave(c, rv);
}

EMU_EXPORT SKF_ULONG SKF_GenRSAKeyPair(SKF_HANDLE hContainer, SKF_ULONG ulBitsLen, SKF_RSAPUBLICKEYBLOB *pBlob)
{
	struct emu_cont *c;
	EVP_PKEY *k = NULL;
	SKF_ULONG rv = cont_enter(hContainer, &c);

	if (rv != SAR_OK)
		return rv;
	if (!pBlob)
		rv = SAR_INVALIDPARAMERR;
	else if (ulBitsLen != 1024 && ulBitsLen != 2048)
		rv = SAR_RSAMODULUSLENERR;
	else if (!(k = emu_key_gen("RSA", (int)ulBitsLen)))
		rv = SAR_GENRSAKEYERR;
	else if ((rv = store_key(c, 1, k)) == SAR_OK && emu_rsa_pub_to_blob(k, pBlob) != 0)
		rv = SAR_FAIL;
	EVP_PKEY_free(k);
	return cont_leave(c, rv);
}

/* One-shot private-key operation: sign (raw input) or decrypt. */
static int pkey_op(EVP_PKEY *k, int sign, int rsa_pad, const uint8_t *in, size_t inlen, uint8_t *out,
		   size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	int ok = ctx && (sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_decrypt_init(ctx)) > 0 &&
		 (!rsa_pad || EVP_PKEY_CTX_set_rsa_padding(ctx, rsa_pad) > 0) &&
		 (sign ? EVP_PKEY_sign(ctx, out, outlen, in, inlen) :
			 EVP_PKEY_decrypt(ctx, out, outlen, in, inlen)) > 0;

	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

EMU_EXPORT SKF_ULONG SKF_ECCSignData(SKF_HANDLE hContainer, const SKF_BYTE *pbDigest, SKF_ULONG ulDigestLen,
				     SKF_ECCSIGNATUREBLOB *pSignature)
{
	struct emu_cont *c;
	EVP_PKEY *k = NULL;
	ECDSA_SIG *sig = NULL;
	uint8_t der[80], rs[64];
	const uint8_t *p = der;
	size_t derlen = sizeof(der);
	SKF_ULONG rv = cont_enter(hContainer, &c);

	if (rv != SAR_OK)
		return rv;
	if (!pbDigest || !pSignature) {
		rv = SAR_INVALIDPARAMERR;
	} else if (ulDigestLen != 32) {
		rv = SAR_INDATALENERR;
	} else if (!(k = emu_cont_key(c, 1))) {
		rv = SAR_KEYNOTFOUNTERR;
	} else if (!emu_key_is_sm2(k)) {
		rv = SAR_KEYUSAGEERR;
	} else if (pkey_op(k, 1, 0, pbDigest, 32, der, &derlen) != 0 ||
		   !(sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen))) {
		/* OpenSSL's SM2 signer takes the input as e: no Z is added. */
		rv = SAR_FAIL;
	} else if (BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32) < 0 ||
		   BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32) < 0) {
		rv = SAR_FAIL;
	} else {
		ukc_skf_ecc_sig_pack(rs, pSignature);
	}
	ECDSA_SIG_free(sig);
	EVP_PKEY_free(k);
	rv = cont_leave(c, rv);
	if (rv != SAR_OK && pSignature)
		memset(pSignature, 0, sizeof(*pSignature));
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ECCDecrypt(SKF_HANDLE hContainer, const SKF_ECCCIPHERBLOB *pCipherText,
				    SKF_BYTE *pbPlainText, SKF_ULONG *pulPlainTextLen)
{
	struct emu_cont *c;
	EVP_PKEY *k = NULL;
	uint8_t *plain = NULL;
	size_t n;
	SKF_ULONG rv = cont_enter(hContainer, &c);

	if (rv != SAR_OK)
		return rv;
	if (!pCipherText || !pulPlainTextLen) {
		rv = SAR_INVALIDPARAMERR;
		goto out;
	}
	if (pCipherText->CipherLen == 0 || pCipherText->CipherLen > EMU_MAX_ECC_CIPHER) {
		rv = SAR_INDATALENERR;
		goto out;
	}
	if (!pbPlainText || *pulPlainTextLen < pCipherText->CipherLen) {
		rv = emu_out_bytes(NULL, pCipherText->CipherLen, pbPlainText, pulPlainTextLen);
		goto out;
	}
	if (!(k = emu_cont_key(c, 0))) {
		rv = SAR_KEYNOTFOUNTERR;
		goto out;
	}
	n = pCipherText->CipherLen;
	if (!emu_key_is_sm2(k))
		rv = SAR_KEYUSAGEERR;
	else if (!(plain = OPENSSL_secure_malloc(n + 1)))
		rv = SAR_MEMORYERR;
	else if (emu_sm2_decrypt(k, pCipherText, plain, &n) != 0)
		rv = SAR_INDATAERR; /* C3 did not match: wrong key or damaged blob */
	else
		rv = emu_out_bytes(plain, n, pbPlainText, pulPlainTextLen);
out:
	if (plain)
		OPENSSL_secure_clear_free(plain, pCipherText->CipherLen + 1);
	EVP_PKEY_free(k);
	return cont_leave(c, rv);
}

EMU_EXPORT SKF_ULONG SKF_RSASignData(SKF_HANDLE hContainer, const SKF_BYTE *pbData, SKF_ULONG ulDataLen,
				     SKF_BYTE *pbSignature, SKF_ULONG *pulSignLen)
{
	struct emu_cont *c;
	EVP_PKEY *k = NULL;
	size_t klen, n;
	SKF_ULONG rv = cont_enter(hContainer, &c);

	if (rv != SAR_OK)
		return rv;
	if (!pbData || !pulSignLen) {
		rv = SAR_INVALIDPARAMERR;
	} else if (!(k = emu_cont_key(c, 1))) {
		rv = SAR_KEYNOTFOUNTERR;
	} else if (emu_key_is_sm2(k)) {
		rv = SAR_KEYUSAGEERR;
	} else if (klen = (size_t)EVP_PKEY_get_size(k), ulDataLen == 0 || ulDataLen > klen - 11) {
		rv = SAR_INDATALENERR;
	} else if (!pbSignature || *pulSignLen < klen) {
		rv = emu_out_bytes(NULL, klen, pbSignature, pulSignLen);
	} else {
		/* PKCS#1 v1.5 type 1 over the caller's DigestInfo. */
		n = *pulSignLen;
		if (pkey_op(k, 1, RSA_PKCS1_PADDING, pbData, ulDataLen, pbSignature, &n) != 0)
			rv = SAR_RSAENCERR;
		else
			*pulSignLen = (SKF_ULONG)n;
	}
	EVP_PKEY_free(k);
	rv = cont_leave(c, rv);
	if (rv != SAR_OK && rv != SAR_BUFFER_TOO_SMALL && pbSignature && pulSignLen)
		OPENSSL_cleanse(pbSignature, *pulSignLen);
	return rv;
}

/* SM4-ECB without padding, for unwrapping an imported private key. */
static int sm4_ecb_decrypt(const uint8_t key[16], const uint8_t *in, int len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	EVP_CIPHER *sm4 = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL);
	int n = 0, f = 0;
	int ok = ctx && sm4 && EVP_DecryptInit_ex2(ctx, sm4, key, NULL, NULL) &&
		 EVP_CIPHER_CTX_set_padding(ctx, 0) && EVP_DecryptUpdate(ctx, out, &n, in, len) &&
		 EVP_DecryptFinal_ex(ctx, out + n, &f) && n + f == len;

	EVP_CIPHER_free(sm4);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

EMU_EXPORT SKF_ULONG SKF_ImportECCKeyPair(SKF_HANDLE hContainer, const SKF_ENVELOPEDKEYBLOB *pEnvelopedKeyBlob)
{
	const SKF_ENVELOPEDKEYBLOB *env = pEnvelopedKeyBlob;
	struct emu_cont *c;
	EVP_PKEY *sign = NULL, *enc = NULL;
	SKF_ECCPUBLICKEYBLOB pub;
	uint8_t key[16], d[64];
	size_t klen = sizeof(key);
	SKF_ULONG rv = cont_enter(hContainer, &c);

	if (rv != SAR_OK)
		return rv;
	if (!env) {
		rv = SAR_INVALIDPARAMERR;
	} else if (env->Version != 1 || env->ulBits != 256 || env->PubKey.BitLen != 256) {
		rv = SAR_INDATAERR;
	} else if (env->ulSymmAlgID != SGD_SM4_ECB) {
		rv = SAR_NOTSUPPORTYETERR; /* SM1 is a hardware-only cipher */
	} else if (env->ECCCipherBlob.CipherLen != 16) {
		rv = SAR_INDATALENERR;
	} else if (!(sign = emu_cont_key(c, 1)) || !emu_key_is_sm2(sign)) {
		rv = SAR_KEYNOTFOUNTERR; /* the wrapping key is the SM2 signing key */
	} else if (emu_sm2_decrypt(sign, &env->ECCCipherBlob, key, &klen) != 0 || klen != 16) {
		rv = SAR_INDATAERR;
	} else if (sm4_ecb_decrypt(key, env->cbEncryptedPriKey, 64, d) != 0) {
		rv = SAR_FAIL;
	} else if (!(enc = emu_sm2_from_priv(d + 32)) || emu_ecc_pub_to_blob(enc, &pub) != 0) {
		rv = SAR_INDATAERR;
	} else if (CRYPTO_memcmp(&pub, &env->PubKey, sizeof(pub)) != 0) {
		rv = SAR_INDATAERR; /* private key does not match PubKey */
	} else {
		rv = store_key(c, 0, enc);
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(d, sizeof(d));
	EVP_PKEY_free(sign);
	EVP_PKEY_free(enc);
	return cont_leave(c, rv);
}

/* The RSA encryption pair: the symmetric key is RSA-PKCS#1-wrapped to the
 * container's signing key; the data is the PKCS#1 RSAPrivateKey DER,
 * SM4-ECB encrypted (trailing padding ignored). */
EMU_EXPORT SKF_ULONG SKF_ImportRSAKeyPair(SKF_HANDLE hContainer, SKF_ULONG ulSymAlgId, const SKF_BYTE *pbWrappedKey,
					  SKF_ULONG ulWrappedKeyLen, const SKF_BYTE *pbEncryptedData,
					  SKF_ULONG ulEncryptedDataLen)
{
	struct emu_cont *c;
	EVP_PKEY *sign = NULL, *enc = NULL;
	uint8_t key[256], *der = NULL;
	const uint8_t *p;
	size_t klen = sizeof(key);
	SKF_ULONG rv = cont_enter(hContainer, &c);

	if (rv != SAR_OK)
		return rv;
	if (!pbWrappedKey || !pbEncryptedData) {
		rv = SAR_INVALIDPARAMERR;
	} else if (ulSymAlgId != SGD_SM4_ECB) {
		rv = SAR_NOTSUPPORTYETERR;
	} else if (ulWrappedKeyLen == 0 || ulWrappedKeyLen > 256 || ulEncryptedDataLen == 0 ||
		   ulEncryptedDataLen % 16 || ulEncryptedDataLen > 4096) {
		rv = SAR_INDATALENERR;
	} else if (!(sign = emu_cont_key(c, 1)) || emu_key_is_sm2(sign)) {
		rv = SAR_KEYNOTFOUNTERR;
	} else if (pkey_op(sign, 0, RSA_PKCS1_PADDING, pbWrappedKey, ulWrappedKeyLen, key, &klen) != 0 ||
		   klen != 16) {
		rv = SAR_RSADECERR;
	} else if (!(der = OPENSSL_secure_malloc(ulEncryptedDataLen)) ||
		   sm4_ecb_decrypt(key, pbEncryptedData, (int)ulEncryptedDataLen, der) != 0) {
		rv = SAR_FAIL;
	} else if (p = der, !(enc = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)ulEncryptedDataLen))) {
		rv = SAR_INDATAERR;
	} else {
		rv = store_key(c, 0, enc);
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (der)
		OPENSSL_secure_clear_free(der, ulEncryptedDataLen);
	EVP_PKEY_free(sign);
	EVP_PKEY_free(enc);
	return cont_leave(c, rv);
}
