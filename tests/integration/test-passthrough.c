/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* The functions the module used to hide (module/api/pass.c): C_CopyObject,
 * C_SignRecover/C_VerifyRecover, multi-part encryption on the module's own
 * single-part operations, C_GetFunctionStatus/C_CancelFunction. Arguments
 * are checked first on both backends; then p11 answers what SoftHSM itself
 * answers (called directly, in this process, for the recover functions) and
 * skf what GM/T 0016 allows. */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass-common.h"
#include "ukey-pkcs11.h"

static void read_attr(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, void *buf, CK_ULONG size, CK_ULONG *len)
{
	CK_ATTRIBUTE a = { type, buf, size };
	RV(p11->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
	*len = a.ulValueLen;
}

static void test_copy_object_checks_arguments_first(void **state)
{
	static CK_UTF8CHAR label[] = "copy";
	CK_ATTRIBUTE t = { CKA_LABEL, label, 4 };
	CK_OBJECT_HANDLE cert, out;
	(void)state;
	RV(ukt_find_one(p11, s, CKO_CERTIFICATE, tok.sign_id, tok.sign_id_len, &cert), CKR_OK);
	RV(p11->C_CopyObject(s, cert, NULL, 1, &out), CKR_ARGUMENTS_BAD);
	RV(p11->C_CopyObject(s, cert, &t, 1, NULL), CKR_ARGUMENTS_BAD);
	RV(p11->C_CopyObject(CK_INVALID_HANDLE, cert, &t, 1, &out), CKR_SESSION_HANDLE_INVALID);
	RV(p11->C_CopyObject(s, 0x7fffff, &t, 1, &out), CKR_OBJECT_HANDLE_INVALID);
}

/* Objects in the module's memory are copied there, on both backends. */
static void test_copy_of_a_session_data_object(void **state)
{
	static CK_OBJECT_CLASS data = CKO_DATA, cert = CKO_CERTIFICATE;
	static CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &data, sizeof(data) }, { CKA_TOKEN, &no, 1 },
			     { CKA_LABEL, "orig", 4 }, { CKA_VALUE, "hello", 5 } };
	CK_ATTRIBUTE nocopy[] = { t[0], t[1], { CKA_COPYABLE, &no, 1 } };
	CK_ATTRIBUTE relabel = { CKA_LABEL, "copy", 4 }, recls = { CKA_CLASS, &cert, sizeof(cert) };
	CK_ATTRIBUTE totoken = { CKA_TOKEN, &yes, 1 };
	CK_OBJECT_HANDLE o, c = CK_INVALID_HANDLE;
	char buf[16];
	CK_ULONG n;
	(void)state;
	RV(p11->C_CreateObject(s, t, 4, &o), CKR_OK);
	RV(p11->C_CopyObject(s, o, &relabel, 1, &c), CKR_OK);
	assert_int_not_equal(c, o);
	read_attr(c, CKA_LABEL, buf, sizeof(buf), &n);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "copy", 4);
	read_attr(c, CKA_VALUE, buf, sizeof(buf), &n);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);
	read_attr(o, CKA_LABEL, buf, sizeof(buf), &n);
	assert_memory_equal(buf, "orig", 4);
	RV(p11->C_CopyObject(s, o, &recls, 1, &c), CKR_ATTRIBUTE_READ_ONLY);
	/* A token copy from a read-only session is a write it may not make. */
	RV(p11->C_CopyObject(s, o, &totoken, 1, &c), CKR_SESSION_READ_ONLY);
	RV(p11->C_CreateObject(s, nocopy, 3, &o), CKR_OK);
	RV(p11->C_CopyObject(s, o, &relabel, 1, &c), CKR_ACTION_PROHIBITED);
}

/* Device objects: the backend copies them (p11); GM/T 0016 cannot (skf: the
 * objects say CKA_COPYABLE FALSE, so CKR_ACTION_PROHIBITED). */
static void test_copy_of_a_token_certificate(void **state)
{
	static CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE t[] = { { CKA_TOKEN, &no, 1 }, { CKA_LABEL, "copy", 4 } };
	unsigned char v1[4096], v2[4096];
	CK_OBJECT_HANDLE cert, c = CK_INVALID_HANDLE;
	CK_ULONG n1, n2;
	CK_BBOOL token = 2;
	(void)state;
	RV(ukt_find_one(p11, s, CKO_CERTIFICATE, tok.sign_id, tok.sign_id_len, &cert), CKR_OK);
	if (ukt_is_skf()) {
		RV(p11->C_CopyObject(s, cert, t, 2, &c), CKR_ACTION_PROHIBITED);
		return;
	}
	RV(p11->C_CopyObject(s, cert, t, 2, &c), CKR_OK);
	read_attr(cert, CKA_VALUE, v1, sizeof(v1), &n1);
	read_attr(c, CKA_VALUE, v2, sizeof(v2), &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(v1, v2, n1);
	read_attr(c, CKA_TOKEN, &token, 1, &n1);
	assert_int_equal(token, CK_FALSE);
	/* It dies with its session. */
	RV(p11->C_CloseSession(s), CKR_OK);
	RV(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
	CK_ATTRIBUTE a = { CKA_CLASS, NULL, 0 };
	RV(p11->C_GetAttributeValue(s, c, &a, 1), CKR_OBJECT_HANDLE_INVALID);
}

/* What SoftHSM itself answers to C_SignRecoverInit / C_VerifyRecoverInit
 * for the token's signing pair (same library, same process: the module's
 * backend; its login state is the token's, already logged in). */
static void softhsm_recover_rvs(CK_RV *sign_rv, CK_RV *verify_rv)
{
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	CK_SESSION_HANDLE hs = CK_INVALID_HANDLE;
	void *h = dlopen(ukt_softhsm_path(), RTLD_NOW | RTLD_LOCAL);

	assert_non_null(h);
	get = (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList");
	assert_true(get && get(&f) == CKR_OK);
	RV(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (CK_ULONG i = 0; i < n && hs == CK_INVALID_HANDLE; i++) {
		CK_TOKEN_INFO ti;
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.serialNumber, tok.serial, strlen(tok.serial)) == 0)
			RV(f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &hs), CKR_OK);
	}
	assert_int_not_equal(hs, CK_INVALID_HANDLE);
	CK_OBJECT_CLASS cls[2] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY };
	CK_RV *out[2] = { sign_rv, verify_rv };
	for (int k = 0; k < 2; k++) {
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls[k], sizeof(cls[k]) },
				     { CKA_ID, tok.sign_id, (CK_ULONG)tok.sign_id_len } };
		CK_OBJECT_HANDLE o;
		CK_ULONG got = 0;
		CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };
		RV(f->C_FindObjectsInit(hs, t, 2), CKR_OK);
		RV(f->C_FindObjects(hs, &o, 1, &got), CKR_OK);
		RV(f->C_FindObjectsFinal(hs), CKR_OK);
		assert_int_equal(got, 1);
		*out[k] = k ? f->C_VerifyRecoverInit(hs, &m, o) : f->C_SignRecoverInit(hs, &m, o);
	}
	f->C_CloseSession(hs);
	dlclose(h);
}

static void test_sign_and_verify_recover(void **state)
{
	CK_MECHANISM m = { ukt_is_skf() ? CKM_SM2 : CKM_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE priv, pub;
	unsigned char buf[512];
	CK_ULONG n = sizeof(buf);
	CK_RV want_sign = CKR_MECHANISM_INVALID, want_verify = CKR_MECHANISM_INVALID;
	(void)state;
	RV(p11->C_SignRecoverInit(s, NULL, 1), CKR_ARGUMENTS_BAD);
	RV(p11->C_VerifyRecoverInit(s, NULL, 1), CKR_ARGUMENTS_BAD);
	RV(p11->C_SignRecover(s, NULL, 5, buf, &n), CKR_ARGUMENTS_BAD);
	RV(p11->C_SignRecover(s, buf, 5, buf, NULL), CKR_ARGUMENTS_BAD);
	RV(p11->C_VerifyRecover(s, NULL, 5, buf, &n), CKR_ARGUMENTS_BAD);
	RV(p11->C_VerifyRecover(s, buf, 5, buf, NULL), CKR_ARGUMENTS_BAD);
	RV(p11->C_SignRecover(s, buf, 5, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
	RV(p11->C_VerifyRecover(s, buf, 5, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.sign_id, tok.sign_id_len, &priv), CKR_OK);
	RV(ukt_find_one(p11, s, CKO_PUBLIC_KEY, tok.sign_id, tok.sign_id_len, &pub), CKR_OK);
	RV(p11->C_SignRecoverInit(s, &m, 0x7fffff), ukt_is_skf() ? CKR_MECHANISM_INVALID : CKR_KEY_HANDLE_INVALID);
	if (!ukt_is_skf())
		softhsm_recover_rvs(&want_sign, &want_verify);
	RV(p11->C_SignRecoverInit(s, &m, priv), want_sign);
	RV(p11->C_VerifyRecoverInit(s, &m, pub), want_verify);
	/* (SoftHSM 2.6 has neither; one that has them must end them here.) */
	n = sizeof(buf);
	if (want_sign == CKR_OK)
		p11->C_SignRecover(s, buf, 5, buf, &n);
	if (want_verify == CKR_OK)
		p11->C_VerifyRecover(s, buf, 256, buf, &n);
	/* A recover operation is not a plain one, and the other way round. */
	m.mechanism = ukt_is_skf() ? CKM_SM3_SM2 : CKM_SHA256_RSA_PKCS;
	RV(p11->C_SignInit(s, &m, priv), CKR_OK);
	RV(p11->C_SignRecover(s, buf, 5, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
	n = sizeof(buf);
	RV(p11->C_Sign(s, buf, 5, buf, &n), CKR_OK);
}

static void test_multi_part_on_a_single_part_operation(void **state)
{
	CK_MECHANISM m = { ukt_is_skf() ? CKM_SM2_ENCRYPT : CKM_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE pub;
	unsigned char out[512];
	CK_ULONG n = sizeof(out);
	(void)state;
	RV(p11->C_EncryptUpdate(s, NULL, 5, out, &n), CKR_ARGUMENTS_BAD);
	RV(p11->C_EncryptUpdate(s, out, 5, out, NULL), CKR_ARGUMENTS_BAD);
	RV(p11->C_EncryptFinal(s, out, NULL), CKR_ARGUMENTS_BAD);
	RV(p11->C_DecryptUpdate(s, NULL, 5, out, &n), CKR_ARGUMENTS_BAD);
	RV(p11->C_DecryptFinal(s, out, NULL), CKR_ARGUMENTS_BAD);
	RV(p11->C_EncryptUpdate(s, out, 5, out, &n), CKR_OPERATION_NOT_INITIALIZED);
	RV(p11->C_DecryptFinal(s, out, &n), CKR_OPERATION_NOT_INITIALIZED);
	RV(ukt_find_one(p11, s, CKO_PUBLIC_KEY, tok.enc_id, tok.enc_id_len, &pub), CKR_OK);
	RV(p11->C_EncryptInit(s, &m, pub), CKR_OK);
	/* RSA and SM2 encryption are single-part: refused, and still there. */
	RV(p11->C_EncryptUpdate(s, (CK_BYTE_PTR) "hello", 5, out, &n), CKR_FUNCTION_NOT_SUPPORTED);
	RV(p11->C_EncryptFinal(s, out, &n), CKR_FUNCTION_NOT_SUPPORTED);
	n = sizeof(out);
	RV(p11->C_Encrypt(s, (CK_BYTE_PTR) "hello", 5, out, &n), CKR_OK);
}

static void test_function_status_and_cancel_are_not_parallel(void **state)
{
	(void)state;
	RV(p11->C_GetFunctionStatus(s), CKR_FUNCTION_NOT_PARALLEL);
	RV(p11->C_CancelFunction(s), CKR_FUNCTION_NOT_PARALLEL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_copy_object_checks_arguments_first),
		T(test_copy_of_a_session_data_object),
		T(test_copy_of_a_token_certificate),
		T(test_sign_and_verify_recover),
		T(test_multi_part_on_a_single_part_operation),
		T(test_function_status_and_cancel_are_not_parallel),
	};
	return cmocka_run_group_tests_name("passthrough", tests, pass_group_setup, pass_group_teardown);
}
