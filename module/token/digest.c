/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* C_Digest*: SHA-1, SHA-2 and SM3 in software with OpenSSL, offered on every
 * slot whatever the backend has. A one-shot C_Digest after C_DigestUpdate
 * ends the operation with CKR_OPERATION_NOT_INITIALIZED, as signing does. */
#include "config.h"

#include "token/crypto.h"
#include "token/model.h"
#include "token/session.h"
#include "token/token.h"

CK_RV ukey_digest_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech)
{
	return ukey_op_begin(h, UKEY_OP_DIGEST, mech, CK_INVALID_HANDLE);
}

static CK_RV digest_run(struct ukey_op *op, const CK_BYTE *data, CK_ULONG len, bool oneshot,
			CK_BYTE *out, CK_ULONG *outlen, bool *finished)
{
	CK_ULONG size = (CK_ULONG)EVP_MD_get_size(op->md);
	unsigned int hlen = 0;
	CK_RV rv;

	*finished = false;
	if (!out) {
		*outlen = size;
		return CKR_OK;
	}
	if (*outlen < size) {
		*outlen = size;
		return CKR_BUFFER_TOO_SMALL;
	}
	*finished = true;
	rv = ukey_op_hash(op, data, len, oneshot, out, &hlen);
	if (rv == CKR_OK)
		*outlen = hlen;
	return rv;
}

CK_RV ukey_digest(CK_SESSION_HANDLE h, const CK_BYTE *data, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen)
{
	struct ukey_op *op;
	bool finished = true;
	CK_RV rv = ukey_session_op_take(h, UKEY_OP_DIGEST, &op);

	if (rv != CKR_OK)
		return rv;
	if (op->updated)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else
		rv = digest_run(op, data, len, true, out, outlen, &finished);
	ukey_session_op_release(h, UKEY_OP_DIGEST, op, finished);
	return rv;
}

CK_RV ukey_digest_update(CK_SESSION_HANDLE h, const CK_BYTE *part, CK_ULONG len)
{
	struct ukey_op *op;
	bool finished = true;
	CK_RV rv = ukey_session_op_take(h, UKEY_OP_DIGEST, &op);

	if (rv != CKR_OK)
		return rv;
	if (len > 0 && !EVP_DigestUpdate(op->mdctx, part, len)) {
		rv = CKR_FUNCTION_FAILED;
	} else {
		op->updated = true;
		finished = false;
	}
	ukey_session_op_release(h, UKEY_OP_DIGEST, op, finished);
	return rv;
}

CK_RV ukey_digest_final(CK_SESSION_HANDLE h, CK_BYTE *out, CK_ULONG *outlen)
{
	struct ukey_op *op;
	bool finished = true;
	CK_RV rv = ukey_session_op_take(h, UKEY_OP_DIGEST, &op);

	if (rv != CKR_OK)
		return rv;
	rv = digest_run(op, NULL, 0, false, out, outlen, &finished);
	ukey_session_op_release(h, UKEY_OP_DIGEST, op, finished);
	return rv;
}
