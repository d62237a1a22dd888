/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cryptographic operations: sign, verify, encrypt, decrypt, digest.
 * Output buffers follow PKCS#11 sizing: out == NULL asks for the length, so
 * only the length pointer is mandatory. Input pointers may be NULL only for
 * empty input. The operation state lives in token/. */
#include "config.h"

#include "api/shim.h"

#define UKEY_CHECK_IN(ptr, len) UKEY_CHECK_ARG((ptr) != NULL || (len) == 0)

CK_RV ukey_C_SignInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	rv = ukey_sign_init(session, mech, key);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig,
		  CK_ULONG_PTR sig_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(data, data_len);
	UKEY_CHECK_ARG(sig_len != NULL);
	rv = ukey_sign(session, data, data_len, sig, sig_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_SignUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(part, part_len);
	rv = ukey_sign_update(session, part, part_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_SignFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(sig_len != NULL);
	rv = ukey_sign_final(session, sig, sig_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_VerifyInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	rv = ukey_verify_init(session, mech, key);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_Verify(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig,
		    CK_ULONG sig_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(data, data_len);
	UKEY_CHECK_ARG(sig != NULL);
	rv = ukey_verify(session, data, data_len, sig, sig_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_VerifyUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(part, part_len);
	rv = ukey_verify_update(session, part, part_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_VerifyFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(sig != NULL);
	rv = ukey_verify_final(session, sig, sig_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_EncryptInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	rv = ukey_encrypt_init(session, mech, key);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_Encrypt(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR out,
		     CK_ULONG_PTR out_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(data, data_len);
	UKEY_CHECK_ARG(out_len != NULL);
	rv = ukey_encrypt(session, data, data_len, out, out_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_DecryptInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	rv = ukey_decrypt_init(session, mech, key);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_Decrypt(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR out,
		     CK_ULONG_PTR out_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(data, data_len);
	UKEY_CHECK_ARG(out_len != NULL);
	rv = ukey_decrypt(session, data, data_len, out, out_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_DigestInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	rv = ukey_digest_init(session, mech);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_Digest(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR out,
		    CK_ULONG_PTR out_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(data, data_len);
	UKEY_CHECK_ARG(out_len != NULL);
	rv = ukey_digest(session, data, data_len, out, out_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_DigestUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_IN(part, part_len);
	rv = ukey_digest_update(session, part, part_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_DigestFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(out_len != NULL);
	rv = ukey_digest_final(session, out, out_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}
