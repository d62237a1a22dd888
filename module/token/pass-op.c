/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Operations the backend runs for the pass-through (pass.h): a
 * C_EncryptInit with CKM_AES_CBC_PAD, a C_SignInit with CKM_SHA256_HMAC, a
 * C_SignRecoverInit... The driver holds a backend session with the
 * operation from its init to its end; here the operation sits in the
 * module session's slot for its kind like the module's own ones (sign.c,
 * cipher.c), so "one operation of each kind per session" holds for both.
 * Also C_DigestKey, which feeds a secret key to the module's software
 * digest (digest.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "token/backend.h"
#include "token/crypto.h"
#include "token/model.h"
#include "token/pass.h"
#include "token/session.h"
#include "token/token.h"
#include "util/log.h"

/* A secret key's value is a few dozen bytes; this is far beyond any. */
#define DIGEST_KEY_MAX 65536

static CK_FLAGS kind_fn(enum ukey_op_kind kind, bool recover)
{
	switch (kind) {
	case UKEY_OP_SIGN: return recover ? CKF_SIGN_RECOVER : CKF_SIGN;
	case UKEY_OP_VERIFY: return recover ? CKF_VERIFY_RECOVER : CKF_VERIFY;
	case UKEY_OP_ENCRYPT: return CKF_ENCRYPT;
	case UKEY_OP_DECRYPT: return CKF_DECRYPT;
	default: return 0;
	}
}

static enum ukey_pass_kind pass_kind(enum ukey_op_kind kind, bool recover)
{
	switch (kind) {
	case UKEY_OP_SIGN: return recover ? UKEY_PASS_SIGN_RECOVER : UKEY_PASS_SIGN;
	case UKEY_OP_VERIFY: return recover ? UKEY_PASS_VERIFY_RECOVER : UKEY_PASS_VERIFY;
	case UKEY_OP_ENCRYPT: return UKEY_PASS_ENCRYPT;
	default: return UKEY_PASS_DECRYPT;
	}
}

bool ukey_pass_takes(CK_SESSION_HANDLE h, enum ukey_op_kind kind, const CK_MECHANISM *mech)
{
	const struct ukey_mech *m = ukey_mech_lookup(mech->mechanism);
	CK_FLAGS fn = kind_fn(kind, false);
	struct ukey_session *s;
	bool takes = false;

	/* The module's own entry keeps what it does (software hashing...). */
	if (!fn || (m && (m->flags & fn)))
		return false;
	ukey_lock();
	if (ukey_session_find_inlock(h, &s) == CKR_OK)
		takes = ukey_pass_offered(s->slot, mech->mechanism, fn);
	ukey_unlock();
	return takes;
}

CK_RV ukey_pass_begin(CK_SESSION_HANDLE h, enum ukey_op_kind kind, bool recover, const CK_MECHANISM *mech,
		      CK_OBJECT_HANDLE key)
{
	struct ukey_pass_key k;
	struct ukey_session *s;
	struct ukey_op *op;
	void *dop = NULL;
	CK_RV rv;

	ukey_lock();
	rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && !ukey_pass_offered(s->slot, mech->mechanism, kind_fn(kind, recover)))
		rv = CKR_MECHANISM_INVALID;
	else if (rv == CKR_OK && s->ops[kind])
		rv = CKR_OPERATION_ACTIVE;
	ukey_unlock();
	if (rv == CKR_OK)
		rv = ukey_pass_object(h, key, &k);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	/* A public key in the module's memory only: the backend never saw it. */
	if (!k.backed)
		return CKR_KEY_TYPE_INCONSISTENT;
	rv = ukey_be_op_begin(k.slot, pass_kind(kind, recover), mech, k.ref, &dop);
	if (rv != CKR_OK)
		return rv;
	op = calloc(1, sizeof(*op));
	if (!op) {
		ukey_be_op_end(k.slot, dop);
		return CKR_HOST_MEMORY;
	}
	op->kind = kind;
	op->pass = dop;
	op->pass_slot = k.slot;
	op->recover = recover;
	return ukey_op_start(h, kind, op);
}

CK_RV ukey_pass_step(struct ukey_op *op, enum ukey_pass_step step, bool recover, const CK_BYTE *in,
		     CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen, bool *finished)
{
	CK_RV rv;

	/* C_Sign on a C_SignRecoverInit, or the other way round. */
	if (op->recover != recover) {
		*finished = false;
		return CKR_OPERATION_NOT_INITIALIZED;
	}
	rv = ukey_be_op_step(op->pass_slot, op->pass, step, in, inlen, out, outlen);
	*finished = !(rv == CKR_BUFFER_TOO_SMALL || (rv == CKR_OK && (step == UKEY_PASS_UPDATE || !out)));
	return rv;
}

CK_RV ukey_pass_verify(struct ukey_op *op, bool final, const CK_BYTE *in, CK_ULONG inlen, const CK_BYTE *sig,
		       CK_ULONG siglen)
{
	if (op->recover)
		return CKR_OPERATION_NOT_INITIALIZED;
	return ukey_be_op_verify(op->pass_slot, op->pass, final, in, inlen, sig, siglen);
}

void ukey_pass_op_free(struct ukey_op *op)
{
	/* (Not in a forked child, whose driver state is the parent's: backend.c.) */
	if (op->pass)
		ukey_be_op_end(op->pass_slot, op->pass);
	op->pass = NULL;
}

/* Update and Final of encryption and decryption. The module's own RSA and
 * SM2 operations are single-part: refused, and kept, as SoftHSM does. */
static CK_RV multi(CK_SESSION_HANDLE h, enum ukey_op_kind kind, enum ukey_pass_step step, const CK_BYTE *in,
		   CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen)
{
	struct ukey_op *op;
	bool finished = false;
	CK_RV rv = ukey_session_op_take(h, kind, &op);

	if (rv != CKR_OK)
		return rv;
	if (op->pass)
		rv = ukey_pass_step(op, step, false, in, inlen, out, outlen, &finished);
	else
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	ukey_session_op_release(h, kind, op, finished);
	return rv;
}

CK_RV ukey_encrypt_update(CK_SESSION_HANDLE h, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen)
{
	return multi(h, UKEY_OP_ENCRYPT, UKEY_PASS_UPDATE, in, len, out, outlen);
}

CK_RV ukey_encrypt_final(CK_SESSION_HANDLE h, CK_BYTE *out, CK_ULONG *outlen)
{
	return multi(h, UKEY_OP_ENCRYPT, UKEY_PASS_FINAL, NULL, 0, out, outlen);
}

CK_RV ukey_decrypt_update(CK_SESSION_HANDLE h, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen)
{
	return multi(h, UKEY_OP_DECRYPT, UKEY_PASS_UPDATE, in, len, out, outlen);
}

CK_RV ukey_decrypt_final(CK_SESSION_HANDLE h, CK_BYTE *out, CK_ULONG *outlen)
{
	return multi(h, UKEY_OP_DECRYPT, UKEY_PASS_FINAL, NULL, 0, out, outlen);
}

/* C_SignRecover and C_VerifyRecover: one-shot, on a recover op only. */
static CK_RV recover(CK_SESSION_HANDLE h, enum ukey_op_kind kind, const CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out,
		     CK_ULONG *outlen)
{
	struct ukey_op *op;
	bool finished = false;
	CK_RV rv = ukey_session_op_take(h, kind, &op);

	if (rv != CKR_OK)
		return rv;
	if (op->pass && op->recover)
		rv = ukey_pass_step(op, UKEY_PASS_ONESHOT, true, in, inlen, out, outlen, &finished);
	else
		rv = CKR_OPERATION_NOT_INITIALIZED;
	ukey_session_op_release(h, kind, op, finished);
	return rv;
}

CK_RV ukey_sign_recover_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
	return ukey_pass_begin(h, UKEY_OP_SIGN, true, mech, key);
}

CK_RV ukey_sign_recover(CK_SESSION_HANDLE h, const CK_BYTE *data, CK_ULONG len, CK_BYTE *sig, CK_ULONG *siglen)
{
	return recover(h, UKEY_OP_SIGN, data, len, sig, siglen);
}

CK_RV ukey_verify_recover_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
	return ukey_pass_begin(h, UKEY_OP_VERIFY, true, mech, key);
}

CK_RV ukey_verify_recover(CK_SESSION_HANDLE h, const CK_BYTE *sig, CK_ULONG siglen, CK_BYTE *data,
			  CK_ULONG *datalen)
{
	return recover(h, UKEY_OP_VERIFY, sig, siglen, data, datalen);
}

/* Feeds a secret key's value to the running software digest. The value is
 * read from the backend for this call only and wiped after it: never
 * cached. A key whose value the backend keeps to itself (sensitive, or not
 * extractable) cannot be digested in software: CKR_KEY_INDIGESTIBLE. */
static CK_RV digest_value(struct ukey_op *op, const struct ukey_pass_key *k, bool *finished)
{
	CK_ATTRIBUTE a = { CKA_VALUE, NULL, 0 };
	unsigned char *value;
	CK_RV rv;

	if (k->cls != CKO_SECRET_KEY || !k->backed)
		return CKR_KEY_INDIGESTIBLE;
	rv = ukey_be_get_value(k->slot, k->ref, &a, DIGEST_KEY_MAX);
	value = a.pValue;
	/* Kept to itself (sensitive, not extractable), or no value of a size
	 * a key has (unavailable, over the bound, or grown meanwhile). */
	if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_BUFFER_TOO_SMALL)
		rv = CKR_KEY_INDIGESTIBLE;
	if (rv == CKR_OK && a.ulValueLen > DIGEST_KEY_MAX)
		rv = CKR_KEY_INDIGESTIBLE;
	if (rv == CKR_OK) {
		if (a.ulValueLen && !EVP_DigestUpdate(op->mdctx, value, a.ulValueLen)) {
			rv = CKR_FUNCTION_FAILED;
			*finished = true;
		}
		/* As after C_DigestUpdate, a one-shot C_Digest is refused now. */
		op->updated = true;
	}
	if (value) {
		OPENSSL_cleanse(value, a.ulValueLen);
		free(value);
	}
	return rv;
}

CK_RV ukey_digest_key(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key)
{
	struct ukey_pass_key k;
	struct ukey_op *op;
	bool finished = false;
	CK_RV rv = ukey_session_op_take(h, UKEY_OP_DIGEST, &op);

	if (rv != CKR_OK)
		return rv;
	rv = ukey_pass_object(h, key, &k);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_KEY_HANDLE_INVALID;
	if (rv == CKR_OK)
		rv = digest_value(op, &k, &finished);
	ukey_session_op_release(h, UKEY_OP_DIGEST, op, finished);
	return rv;
}
