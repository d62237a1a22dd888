/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The functions that go to the backend as they are (token/pass.h): secret
 * key generation, copies, wrapping, multi-part encryption, digesting a key,
 * signatures with recovery; and the two legacy parallel-mode functions.
 * Argument checks come first, whatever the backend can do: a NULL where
 * PKCS#11 wants a pointer is CKR_ARGUMENTS_BAD on every backend. */
#include "config.h"

#include "api/shim.h"

#define UKEY_CHECK_IN(ptr, len) UKEY_CHECK_ARG((ptr) != NULL || (len) == 0)

CK_RV ukey_C_GenerateKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
			 CK_OBJECT_HANDLE_PTR key)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	UKEY_CHECK_TEMPLATE(tmpl, count, UKEY_TMPL_WRITE);
	UKEY_CHECK_ARG(key != NULL);
	rv = ukey_generate_key(session, mech, tmpl, count, key);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_CopyObject(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
			CK_OBJECT_HANDLE_PTR new_object)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_TEMPLATE(tmpl, count, UKEY_TMPL_WRITE);
	UKEY_CHECK_ARG(new_object != NULL);
	rv = ukey_copy_object(session, object, tmpl, count, new_object);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_WrapKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE wrapping_key,
		     CK_OBJECT_HANDLE key, CK_BYTE_PTR wrapped, CK_ULONG_PTR wrapped_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	UKEY_CHECK_ARG(wrapped_len != NULL);
	rv = ukey_wrap_key(session, mech, wrapping_key, key, wrapped, wrapped_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_EncryptUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out,
			   CK_ULONG_PTR out_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(part, part_len);
	UKEY_CHECK_ARG(out_len != NULL);
	rv = ukey_encrypt_update(session, part, part_len, out, out_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_EncryptFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(out_len != NULL);
	rv = ukey_encrypt_final(session, out, out_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_DecryptUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out,
			   CK_ULONG_PTR out_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(part, part_len);
	UKEY_CHECK_ARG(out_len != NULL);
	rv = ukey_decrypt_update(session, part, part_len, out, out_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_DecryptFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(out_len != NULL);
	rv = ukey_decrypt_final(session, out, out_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_DigestKey(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key)
{
	CK_RV rv;
	UKEY_ENTER();
	rv = ukey_digest_key(session, key);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_SignRecoverInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	rv = ukey_sign_recover_init(session, mech, key);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_SignRecover(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig,
			 CK_ULONG_PTR sig_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(data, data_len);
	UKEY_CHECK_ARG(sig_len != NULL);
	rv = ukey_sign_recover(session, data, data_len, sig, sig_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_VerifyRecoverInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	rv = ukey_verify_recover_init(session, mech, key);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_VerifyRecover(CK_SESSION_HANDLE session, CK_BYTE_PTR sig, CK_ULONG sig_len, CK_BYTE_PTR data,
			   CK_ULONG_PTR data_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(sig != NULL);
	UKEY_CHECK_ARG(data_len != NULL);
	rv = ukey_verify_recover(session, sig, sig_len, data, data_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

/* Legacy parallel mode (PKCS#11 2.40 §5.16): no session of ours runs a
 * function in parallel, so both say so, as SoftHSM does. */
static CK_RV not_parallel(void)
{
	CK_RV rv;
	UKEY_ENTER();
	rv = CKR_FUNCTION_NOT_PARALLEL;
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_GetFunctionStatus(CK_SESSION_HANDLE session)
{
	(void)session;
	return not_parallel();
}

CK_RV ukey_C_CancelFunction(CK_SESSION_HANDLE session)
{
	(void)session;
	return not_parallel();
}
