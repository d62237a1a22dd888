/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* C_Encrypt and C_Decrypt with RSA (PKCS#1 v1.5 and OAEP) and SM2.
 * Encryption needs only the public key and runs in software; decryption goes
 * to the device. Both are one-shot only, as PKCS#11 allows for RSA. SM2
 * ciphertexts are the DER SM2Cipher of GM/T 0009, which is what OpenSSL
 * writes and what the device is handed unchanged. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include "token/backend.h"
#include "token/crypto.h"
#include "token/model.h"
#include "token/pass.h"
#include "token/session.h"
#include "token/slot.h"
#include "token/token.h"
#include "util/log.h"
#include "util/ossl.h"

static CK_RV oaep_hash_len(const struct ukey_op *op, CK_ULONG *hlen)
{
	const EVP_MD *md = EVP_get_digestbyname(ukey_hash_name(op->oaep.hashAlg));
	if (!md)
		return CKR_MECHANISM_PARAM_INVALID;
	*hlen = (CK_ULONG)EVP_MD_get_size(md);
	return CKR_OK;
}

/* Largest plaintext the padding leaves room for in a k-byte modulus. */
static CK_RV max_plaintext(const struct ukey_op *op, CK_ULONG k, CK_ULONG *max)
{
	CK_ULONG hlen;
	CK_RV rv;

	if (!op->has_oaep) {
		*max = k > 11 ? k - 11 : 0;
		return CKR_OK;
	}
	rv = oaep_hash_len(op, &hlen);
	if (rv != CKR_OK)
		return rv;
	*max = k > 2 * hlen + 2 ? k - 2 * hlen - 2 : 0;
	return CKR_OK;
}

static CK_RV set_oaep(EVP_PKEY_CTX *ctx, const struct ukey_op *op)
{
	EVP_MD *md = EVP_MD_fetch(ukey_ossl_ctx(), ukey_hash_name(op->oaep.hashAlg), NULL);
	EVP_MD *mgf = EVP_MD_fetch(ukey_ossl_ctx(), ukey_hash_name(ukey_mgf1_hash(op->oaep.mgf)), NULL);
	unsigned char *label = NULL;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (!md || !mgf || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf) <= 0)
		goto out;
	if (op->oaep.ulSourceDataLen > 0) {
		/* set0 takes ownership, so it gets its own OpenSSL copy. */
		label = OPENSSL_memdup(op->label, op->oaep.ulSourceDataLen);
		if (!label || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, (int)op->oaep.ulSourceDataLen) <= 0)
			goto out;
		label = NULL;
	}
	rv = CKR_OK;
out:
	OPENSSL_free(label);
	EVP_MD_free(md);
	EVP_MD_free(mgf);
	return rv;
}

/* SM2: OpenSSL's size query gives the DER bound for this input length
 * (x and y may encode one byte shorter, so the result can be smaller). */
static CK_RV encrypt_sm2(const struct ukey_op *op, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out,
			 CK_ULONG *outlen, bool *finished)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(ukey_ossl_ctx(), op->key.pub, NULL);
	size_t bound = 0, olen;
	CK_RV rv = CKR_FUNCTION_FAILED;

	*finished = true;
	if (!ukey_sm2_pkey_is_sm2(op->key.pub)) {
		rv = CKR_KEY_TYPE_INCONSISTENT;
		goto out;
	}
	/* An empty C2 carries nothing and some devices refuse it. */
	if (len == 0) {
		rv = CKR_DATA_LEN_RANGE;
		goto out;
	}
	if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 || EVP_PKEY_encrypt(ctx, NULL, &bound, in, len) <= 0)
		goto out;
	if (!out || *outlen < bound) {
		rv = out ? CKR_BUFFER_TOO_SMALL : CKR_OK;
		*finished = false;
		*outlen = (CK_ULONG)bound;
		goto out;
	}
	olen = *outlen;
	if (EVP_PKEY_encrypt(ctx, out, &olen, in, len) <= 0)
		goto out;
	*outlen = (CK_ULONG)olen;
	rv = CKR_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

static CK_RV encrypt_run(const struct ukey_op *op, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out,
			 CK_ULONG *outlen, bool *finished)
{
	CK_ULONG k = ukey_op_key_bytes(op), max = 0;
	EVP_PKEY_CTX *ctx = NULL;
	size_t olen;
	CK_RV rv;

	if (op->mech->backend == CKM_SM2_ENCRYPT)
		return encrypt_sm2(op, in, len, out, outlen, finished);
	*finished = false;
	if (!out) {
		*outlen = k;
		return CKR_OK;
	}
	if (*outlen < k) {
		*outlen = k;
		return CKR_BUFFER_TOO_SMALL;
	}
	*finished = true;
	rv = max_plaintext(op, k, &max);
	if (rv != CKR_OK)
		goto out;
	if (len > max) {
		rv = CKR_DATA_LEN_RANGE;
		goto out;
	}
	rv = CKR_FUNCTION_FAILED;
	ctx = EVP_PKEY_CTX_new_from_pkey(ukey_ossl_ctx(), op->key.pub, NULL);
	if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0)
		goto out;
	if (op->has_oaep) {
		rv = set_oaep(ctx, op);
		if (rv != CKR_OK)
			goto out;
		rv = CKR_FUNCTION_FAILED;
	} else if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) {
		goto out;
	}
	olen = *outlen;
	if (EVP_PKEY_encrypt(ctx, out, &olen, in, len) <= 0)
		goto out;
	*outlen = (CK_ULONG)olen;
	rv = CKR_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

CK_RV ukey_encrypt_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
	return ukey_op_begin(h, UKEY_OP_ENCRYPT, mech, key);
}

CK_RV ukey_encrypt(CK_SESSION_HANDLE h, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen)
{
	struct ukey_op *op;
	bool finished = true;
	CK_RV rv = ukey_session_op_take(h, UKEY_OP_ENCRYPT, &op);

	if (rv != CKR_OK)
		return rv;
	if (op->pass)
		rv = ukey_pass_step(op, UKEY_PASS_ONESHOT, false, in, len, out, outlen, &finished);
	else
		rv = encrypt_run(op, in, len, out, outlen, &finished);
	ukey_session_op_release(h, UKEY_OP_ENCRYPT, op, finished);
	return rv;
}

/* Hands out the plaintext kept in the op, or says how much room it needs. */
static CK_RV deliver(struct ukey_op *op, CK_BYTE *out, CK_ULONG *outlen, bool *finished)
{
	*finished = false;
	if (!out) {
		*outlen = op->outlen;
		return CKR_OK;
	}
	if (*outlen < op->outlen) {
		*outlen = op->outlen;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(out, op->out, op->outlen);
	*outlen = op->outlen;
	*finished = true;
	return CKR_OK;
}

static CK_RV decrypt_oaep_raw(struct ukey_op *op, const CK_BYTE *in, CK_ULONG len, unsigned char *plain,
			      CK_ULONG *plen)
{
	CK_ULONG k = ukey_op_key_bytes(op), emlen = k;
	CK_MECHANISM raw = { CKM_RSA_X_509, NULL, 0 };
	unsigned char *em = malloc(k);
	if (!em)
		return CKR_HOST_MEMORY;
	CK_RV rv = ukey_be_decrypt(op->key.slot, op->key.ref, &raw, in, len, em, &emlen);
	if (rv == CKR_OK)
		rv = ukey_oaep_decode(&op->oaep, op->label, em, emlen, k, plain, plen);
	OPENSSL_cleanse(em, k);
	free(em);
	return rv;
}

/* SM2: the plaintext is exactly as long as the SM2Cipher's ciphertext
 * OCTET STRING, so the size query is exact and the DER is checked before
 * the device sees it. */
static CK_RV decrypt_sm2(struct ukey_op *op, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen,
			 bool *finished)
{
	CK_MECHANISM bmech = { CKM_SM2_ENCRYPT, NULL, 0 };
	CK_ULONG want = 0, plen;
	unsigned char *plain;
	CK_RV rv = ukey_sm2_cipher_plain_len(in, len, &want);

	*finished = true;
	if (rv != CKR_OK)
		return rv;
	if (!out || *outlen < want) {
		*finished = false;
		*outlen = want;
		return out ? CKR_BUFFER_TOO_SMALL : CKR_OK;
	}
	plain = malloc(want);
	if (!plain)
		return CKR_HOST_MEMORY;
	plen = want;
	rv = ukey_be_decrypt(op->key.slot, op->key.ref, &bmech, in, len, plain, &plen);
	/* A device reports a failed C3 check in its own words. */
	if (rv == CKR_GENERAL_ERROR || rv == CKR_DATA_INVALID)
		rv = CKR_ENCRYPTED_DATA_INVALID;
	if (rv == CKR_OK && plen != want) {
		ukey_error("backend SM2 plaintext of %lu bytes, expected %lu", (unsigned long)plen,
			   (unsigned long)want);
		rv = CKR_DEVICE_ERROR;
	}
	if (rv != CKR_OK) {
		OPENSSL_cleanse(plain, want);
		free(plain);
		return rv;
	}
	op->out = plain;
	op->outlen = plen;
	return deliver(op, out, outlen, finished);
}

static CK_RV decrypt_run(struct ukey_op *op, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out,
			 CK_ULONG *outlen, bool *finished)
{
	CK_ULONG k = ukey_op_key_bytes(op), plen = k;
	CK_MECHANISM bmech = { op->mech->backend, NULL, 0 };
	unsigned char *plain = NULL;
	CK_RV rv;

	if (op->out)
		return deliver(op, out, outlen, finished);
	if (op->mech->backend == CKM_SM2_ENCRYPT)
		return decrypt_sm2(op, in, len, out, outlen, finished);
	*finished = false;
	if (!out) {
		/* The exact length is known only after decrypting; the
		 * modulus length is the bound PKCS#11 allows us to give. */
		*outlen = k;
		return CKR_OK;
	}
	*finished = true;
	if (len != k)
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	if (op->has_oaep) {
		bmech.pParameter = &op->oaep;
		bmech.ulParameterLen = sizeof(op->oaep);
	}
	plain = malloc(k);
	if (!plain)
		return CKR_HOST_MEMORY;
	rv = ukey_be_decrypt(op->key.slot, op->key.ref, &bmech, in, len, plain, &plen);
	/* Our arguments were checked; the backend refusing them means it
	 * does not support these OAEP parameters (SoftHSM 2.6: SHA-1 only,
	 * no label): decrypt raw on the device and check the padding here. */
	if ((rv == CKR_ARGUMENTS_BAD || rv == CKR_MECHANISM_PARAM_INVALID) && op->has_oaep &&
	    ukey_slot_backend_has(op->key.slot, CKM_RSA_X_509))
		rv = decrypt_oaep_raw(op, in, len, plain, &plen);
	else if (rv == CKR_ARGUMENTS_BAD && op->has_oaep)
		rv = CKR_MECHANISM_PARAM_INVALID;
	/* SoftHSM reports bad padding as a general error, which consumers
	 * take as fatal, and SKF devices an input-data error, which C_Decrypt
	 * may not return: it is the ciphertext that is wrong. */
	if (rv == CKR_GENERAL_ERROR || rv == CKR_DATA_INVALID)
		rv = CKR_ENCRYPTED_DATA_INVALID;
	if (rv != CKR_OK || plen > k) {
		rv = rv != CKR_OK ? rv : CKR_DEVICE_ERROR;
		OPENSSL_cleanse(plain, k);
		free(plain);
		return rv;
	}
	op->out = plain;
	op->outlen = plen;
	ukey_debug("decrypted %lu bytes", (unsigned long)plen);
	return deliver(op, out, outlen, finished);
}

CK_RV ukey_decrypt_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
	return ukey_op_begin(h, UKEY_OP_DECRYPT, mech, key);
}

CK_RV ukey_decrypt(CK_SESSION_HANDLE h, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen)
{
	struct ukey_op *op;
	bool finished = true;
	CK_RV rv = ukey_session_op_take(h, UKEY_OP_DECRYPT, &op);

	if (rv != CKR_OK)
		return rv;
	if (op->pass)
		rv = ukey_pass_step(op, UKEY_PASS_ONESHOT, false, in, len, out, outlen, &finished);
	else
		rv = decrypt_run(op, in, len, out, outlen, &finished);
	ukey_session_op_release(h, UKEY_OP_DECRYPT, op, finished);
	return rv;
}
