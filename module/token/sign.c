/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* C_Sign* and C_Verify*. Signing hashes and pads in software and sends the
 * raw result to the backend's raw mechanism; verification runs entirely in
 * software on the key's public part. SM3-SM2 works as ECDSA-SHA* does:
 * op.c fed Z into the SM3 context at init, so the hash here is e.
 *
 * After an Update, a one-shot C_Sign/C_Verify ends the operation with
 * CKR_OPERATION_NOT_INITIALIZED (what SoftHSM 2.6 does). Update or Final on
 * a raw mechanism ends it with CKR_FUNCTION_NOT_SUPPORTED. */
#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include "ecsig.h"

#include "token/backend.h"
#include "token/crypto.h"
#include "token/model.h"
#include "token/pass.h"
#include "token/session.h"
#include "token/token.h"
#include "util/log.h"
#include "util/ossl.h"

#define UKEY_TBS_MAX (EVP_MAX_MD_SIZE + 32)   /* a hash, or a DigestInfo around one */

static CK_ULONG sig_size(const struct ukey_op *op)
{
	CK_ULONG n = ukey_op_key_bytes(op);
	/* ECDSA and SM2 give r||s, each the field size. */
	return op->mech->key_type == CKK_RSA ? n : 2 * n;
}

static bool is_raw(const struct ukey_op *op)
{
	return op->mech->soft == UKEY_SOFT_NONE;
}

/* Checks raw input against the mechanism's rules. */
static CK_RV check_raw_input(const struct ukey_op *op, CK_ULONG len)
{
	CK_ULONG k = ukey_op_key_bytes(op);
	const EVP_MD *md;

	switch (op->mech->backend) {
	case CKM_RSA_PKCS:
		return len + 11 <= k ? CKR_OK : CKR_DATA_LEN_RANGE;
	case CKM_RSA_PKCS_PSS:
		md = EVP_get_digestbyname(ukey_hash_name(op->pss.hashAlg));
		if (!md)
			return CKR_MECHANISM_PARAM_INVALID;
		return len == (CK_ULONG)EVP_MD_get_size(md) ? CKR_OK : CKR_DATA_LEN_RANGE;
	case CKM_ECDSA:
		return len > 0 && len <= EVP_MAX_MD_SIZE ? CKR_OK : CKR_DATA_LEN_RANGE;
	case CKM_SM2:
		/* e is an SM3 value; the device signs exactly 32 bytes. */
		return len == UKEY_SM2_FIELD_BYTES ? CKR_OK : CKR_DATA_LEN_RANGE;
	default:
		return CKR_MECHANISM_INVALID;
	}
}

/* What the backend's raw mechanism (or our software verifier) receives:
 * the caller's data itself for raw entries (*tbsp = data), else its hash or
 * DigestInfo written to buf (capacity *tbslen). */
static CK_RV to_be_signed(struct ukey_op *op, const CK_BYTE *data, CK_ULONG len, bool oneshot,
			  unsigned char *buf, const unsigned char **tbsp, CK_ULONG *tbslen)
{
	unsigned char hash[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	CK_RV rv;

	if (is_raw(op)) {
		rv = check_raw_input(op, len);
		if (rv != CKR_OK)
			return rv;
		*tbsp = data;
		*tbslen = len;
		return CKR_OK;
	}
	*tbsp = buf;
	rv = ukey_op_hash(op, data, len, oneshot, hash, &hlen);
	if (rv != CKR_OK)
		return rv;
	if (op->mech->soft == UKEY_SOFT_DIGESTINFO) {
		rv = ukey_op_digest_info(op, hash, hlen, buf, tbslen);
		if (rv == CKR_OK && *tbslen + 11 > ukey_op_key_bytes(op))
			rv = CKR_KEY_SIZE_RANGE;
		return rv;
	}
	memcpy(buf, hash, hlen);
	*tbslen = hlen;
	return CKR_OK;
}

static CK_RV sign_run(struct ukey_op *op, const CK_BYTE *data, CK_ULONG len, bool oneshot,
		      CK_BYTE *sig, CK_ULONG *siglen, bool *finished)
{
	unsigned char buf[UKEY_TBS_MAX];
	const unsigned char *tbs = NULL;
	CK_ULONG tbslen = sizeof(buf), size = sig_size(op), outlen;
	CK_MECHANISM bmech = { op->mech->backend, NULL, 0 };
	CK_RV rv;

	*finished = false;
	if (!sig) {
		*siglen = size;
		return CKR_OK;
	}
	if (*siglen < size) {
		*siglen = size;
		return CKR_BUFFER_TOO_SMALL;
	}
	*finished = true;
	rv = to_be_signed(op, data, len, oneshot, buf, &tbs, &tbslen);
	if (rv != CKR_OK)
		goto out;
	if (op->has_pss) {
		bmech.pParameter = &op->pss;
		bmech.ulParameterLen = sizeof(op->pss);
	}
	outlen = *siglen;
	rv = ukey_be_sign(op->key.slot, op->key.ref, &bmech, tbs, tbslen, sig, &outlen);
	/* Our arguments were checked; the backend refusing them means it
	 * does not support these PSS parameters (SoftHSM 2.6: MGF1 must use
	 * the same hash). */
	if (rv == CKR_ARGUMENTS_BAD && op->has_pss)
		rv = CKR_MECHANISM_PARAM_INVALID;
	/* The key was found at init; the backend no longer knowing it means
	 * the user logged out meanwhile (its handles died with the login). */
	if (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv != CKR_OK)
		goto out;
	if (op->mech->key_type != CKK_RSA && outlen != size) {
		/* r||s halves must each be the field size; anything else is a
		 * backend speaking another format (DER). */
		ukey_error("backend ECDSA/SM2 signature of %lu bytes, expected %lu", (unsigned long)outlen,
			   (unsigned long)size);
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	*siglen = outlen;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rv;
}

CK_RV ukey_sign_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
	return ukey_op_begin(h, UKEY_OP_SIGN, mech, key);
}

CK_RV ukey_sign(CK_SESSION_HANDLE h, const CK_BYTE *data, CK_ULONG len, CK_BYTE *sig, CK_ULONG *siglen)
{
	struct ukey_op *op;
	bool finished = true;
	CK_RV rv = ukey_session_op_take(h, UKEY_OP_SIGN, &op);

	if (rv != CKR_OK)
		return rv;
	if (op->pass)
		rv = ukey_pass_step(op, UKEY_PASS_ONESHOT, false, data, len, sig, siglen, &finished);
	else if (op->updated)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else
		rv = sign_run(op, data, len, true, sig, siglen, &finished);
	ukey_session_op_release(h, UKEY_OP_SIGN, op, finished);
	return rv;
}

/* Shared by sign and verify: feeds the hash, or refuses a raw mechanism. */
static CK_RV hash_update(CK_SESSION_HANDLE h, enum ukey_op_kind kind, const CK_BYTE *part, CK_ULONG len)
{
	struct ukey_op *op;
	bool finished = true;
	CK_RV rv = ukey_session_op_take(h, kind, &op);

	if (rv != CKR_OK)
		return rv;
	if (op->pass) {
		rv = ukey_pass_step(op, UKEY_PASS_UPDATE, false, part, len, NULL, NULL, &finished);
	} else if (is_raw(op)) {
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	} else if (len > 0 && !EVP_DigestUpdate(op->mdctx, part, len)) {
		rv = CKR_FUNCTION_FAILED;
	} else {
		op->updated = true;
		finished = false;
	}
	ukey_session_op_release(h, kind, op, finished);
	return rv;
}

CK_RV ukey_sign_update(CK_SESSION_HANDLE h, const CK_BYTE *part, CK_ULONG len)
{
	return hash_update(h, UKEY_OP_SIGN, part, len);
}

CK_RV ukey_sign_final(CK_SESSION_HANDLE h, CK_BYTE *sig, CK_ULONG *siglen)
{
	struct ukey_op *op;
	bool finished = true;
	CK_RV rv = ukey_session_op_take(h, UKEY_OP_SIGN, &op);

	if (rv != CKR_OK)
		return rv;
	if (op->pass)
		rv = ukey_pass_step(op, UKEY_PASS_FINAL, false, NULL, 0, sig, siglen, &finished);
	else if (is_raw(op))
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	else
		rv = sign_run(op, NULL, 0, false, sig, siglen, &finished);
	ukey_session_op_release(h, UKEY_OP_SIGN, op, finished);
	return rv;
}

/* ---- verification, in software ---- */

static CK_RV verify_rsa_pkcs1(const struct ukey_op *op, const unsigned char *tbs, CK_ULONG tbslen,
			      const CK_BYTE *sig, CK_ULONG siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(ukey_ossl_ctx(), op->key.pub, NULL);
	unsigned char rec[2048];
	size_t reclen = sizeof(rec);
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (!ctx || EVP_PKEY_verify_recover_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	/* Recovering and comparing covers raw CKM_RSA_PKCS, where the input is
	 * whatever the caller chose to sign, not necessarily a DigestInfo. */
	if (EVP_PKEY_verify_recover(ctx, rec, &reclen, sig, siglen) <= 0 || reclen != tbslen ||
	    CRYPTO_memcmp(rec, tbs, tbslen) != 0)
		rv = CKR_SIGNATURE_INVALID;
	else
		rv = CKR_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

static CK_RV verify_rsa_pss(const struct ukey_op *op, const unsigned char *tbs, CK_ULONG tbslen,
			    const CK_BYTE *sig, CK_ULONG siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(ukey_ossl_ctx(), op->key.pub, NULL);
	EVP_MD *md = EVP_MD_fetch(ukey_ossl_ctx(), ukey_hash_name(op->pss.hashAlg), NULL);
	EVP_MD *mgf = EVP_MD_fetch(ukey_ossl_ctx(), ukey_hash_name(ukey_mgf1_hash(op->pss.mgf)), NULL);
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (!ctx || !md || !mgf || EVP_PKEY_verify_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf) <= 0)
		goto out;
	if (op->pss.sLen > (CK_ULONG)ukey_op_key_bytes(op) ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)op->pss.sLen) <= 0) {
		rv = CKR_MECHANISM_PARAM_INVALID;
		goto out;
	}
	rv = EVP_PKEY_verify(ctx, sig, siglen, tbs, tbslen) == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
out:
	EVP_MD_free(md);
	EVP_MD_free(mgf);
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

/* PKCS#11 signatures are r||s; OpenSSL verifies DER. */
static CK_RV verify_ecdsa(const struct ukey_op *op, const unsigned char *tbs, CK_ULONG tbslen,
			  const CK_BYTE *sig, CK_ULONG siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(ukey_ossl_ctx(), op->key.pub, NULL);
	unsigned char *der = NULL;
	int derlen = ukc_ecsig_raw_to_der(sig, siglen, &der);
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (!ctx || derlen <= 0 || EVP_PKEY_verify_init(ctx) <= 0)
		goto out;
	rv = EVP_PKEY_verify(ctx, der, (size_t)derlen, tbs, tbslen) == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
out:
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

static CK_RV verify_run(struct ukey_op *op, const CK_BYTE *data, CK_ULONG len, bool oneshot,
			const CK_BYTE *sig, CK_ULONG siglen)
{
	unsigned char buf[UKEY_TBS_MAX];
	const unsigned char *tbs = NULL;
	CK_ULONG tbslen = sizeof(buf);
	CK_RV rv;

	if (siglen != sig_size(op))
		return CKR_SIGNATURE_LEN_RANGE;
	rv = to_be_signed(op, data, len, oneshot, buf, &tbs, &tbslen);
	if (rv != CKR_OK)
		return rv;
	switch (op->mech->backend) {
	case CKM_RSA_PKCS:
		return verify_rsa_pkcs1(op, tbs, tbslen, sig, siglen);
	case CKM_RSA_PKCS_PSS:
		return verify_rsa_pss(op, tbs, tbslen, sig, siglen);
	case CKM_ECDSA:
		return verify_ecdsa(op, tbs, tbslen, sig, siglen);
	case CKM_SM2:
		return ukey_sm2_verify_e(op->key.pub, tbs, tbslen, sig, siglen);
	default:
		return CKR_MECHANISM_INVALID;
	}
}

CK_RV ukey_verify_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
	return ukey_op_begin(h, UKEY_OP_VERIFY, mech, key);
}

CK_RV ukey_verify(CK_SESSION_HANDLE h, const CK_BYTE *data, CK_ULONG len, const CK_BYTE *sig, CK_ULONG siglen)
{
	struct ukey_op *op;
	CK_RV rv = ukey_session_op_take(h, UKEY_OP_VERIFY, &op);

	if (rv != CKR_OK)
		return rv;
	if (op->pass)
		rv = ukey_pass_verify(op, false, data, len, sig, siglen);
	else if (op->updated)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else
		rv = verify_run(op, data, len, true, sig, siglen);
	ukey_session_op_release(h, UKEY_OP_VERIFY, op, true);
	return rv;
}

CK_RV ukey_verify_update(CK_SESSION_HANDLE h, const CK_BYTE *part, CK_ULONG len)
{
	return hash_update(h, UKEY_OP_VERIFY, part, len);
}

CK_RV ukey_verify_final(CK_SESSION_HANDLE h, const CK_BYTE *sig, CK_ULONG siglen)
{
	struct ukey_op *op;
	CK_RV rv = ukey_session_op_take(h, UKEY_OP_VERIFY, &op);

	if (rv != CKR_OK)
		return rv;
	if (op->pass)
		rv = ukey_pass_verify(op, true, NULL, 0, sig, siglen);
	else if (is_raw(op))
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	else
		rv = verify_run(op, NULL, 0, false, sig, siglen);
	ukey_session_op_release(h, UKEY_OP_VERIFY, op, true);
	return rv;
}
