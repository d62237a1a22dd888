/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every PKCS#11 2.40 function, once, in CK_FUNCTION_LIST order.
 * I(name, params): implemented in the api/ files as ukey_C_<name>.
 * N(name, params): a U-KEY cannot do it; entry.c generates a stub that
 * returns CKR_FUNCTION_NOT_SUPPORTED (after the initialised check).
 * C_GetFunctionList itself is defined in entry.c and listed as I. */
#define UKEY_PKCS11_FUNCTIONS(I, N) \
	I(Initialize, (CK_VOID_PTR init_args)) \
	I(Finalize, (CK_VOID_PTR reserved)) \
	I(GetInfo, (CK_INFO_PTR info)) \
	I(GetFunctionList, (CK_FUNCTION_LIST_PTR_PTR list)) \
	I(GetSlotList, (CK_BBOOL token_present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)) \
	I(GetSlotInfo, (CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)) \
	I(GetTokenInfo, (CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)) \
	I(GetMechanismList, (CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)) \
	I(GetMechanismInfo, (CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)) \
	N(InitToken, (CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len, CK_UTF8CHAR_PTR label)) \
	I(InitPIN, (CK_SESSION_HANDLE session, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)) \
	I(SetPIN, (CK_SESSION_HANDLE session, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len, CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len)) \
	I(OpenSession, (CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR session)) \
	I(CloseSession, (CK_SESSION_HANDLE session)) \
	I(CloseAllSessions, (CK_SLOT_ID slot)) \
	I(GetSessionInfo, (CK_SESSION_HANDLE session, CK_SESSION_INFO_PTR info)) \
	N(GetOperationState, (CK_SESSION_HANDLE session, CK_BYTE_PTR state, CK_ULONG_PTR state_len)) \
	N(SetOperationState, (CK_SESSION_HANDLE session, CK_BYTE_PTR state, CK_ULONG state_len, CK_OBJECT_HANDLE enc_key, CK_OBJECT_HANDLE auth_key)) \
	I(Login, (CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)) \
	I(Logout, (CK_SESSION_HANDLE session)) \
	I(CreateObject, (CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR object)) \
	I(CopyObject, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR new_object)) \
	I(DestroyObject, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object)) \
	I(GetObjectSize, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ULONG_PTR size)) \
	I(GetAttributeValue, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)) \
	I(SetAttributeValue, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)) \
	I(FindObjectsInit, (CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)) \
	I(FindObjects, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE_PTR objects, CK_ULONG max, CK_ULONG_PTR count)) \
	I(FindObjectsFinal, (CK_SESSION_HANDLE session)) \
	I(EncryptInit, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)) \
	I(Encrypt, (CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	I(EncryptUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	I(EncryptFinal, (CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	I(DecryptInit, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)) \
	I(Decrypt, (CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	I(DecryptUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	I(DecryptFinal, (CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	I(DigestInit, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech)) \
	I(Digest, (CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	I(DigestUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len)) \
	I(DigestKey, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key)) \
	I(DigestFinal, (CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	I(SignInit, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)) \
	I(Sign, (CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)) \
	I(SignUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len)) \
	I(SignFinal, (CK_SESSION_HANDLE session, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)) \
	I(SignRecoverInit, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)) \
	I(SignRecover, (CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)) \
	I(VerifyInit, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)) \
	I(Verify, (CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig, CK_ULONG sig_len)) \
	I(VerifyUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len)) \
	I(VerifyFinal, (CK_SESSION_HANDLE session, CK_BYTE_PTR sig, CK_ULONG sig_len)) \
	I(VerifyRecoverInit, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)) \
	I(VerifyRecover, (CK_SESSION_HANDLE session, CK_BYTE_PTR sig, CK_ULONG sig_len, CK_BYTE_PTR data, CK_ULONG_PTR data_len)) \
	N(DigestEncryptUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	N(DecryptDigestUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	N(SignEncryptUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	N(DecryptVerifyUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)) \
	I(GenerateKey, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR key)) \
	I(GenerateKeyPair, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_ATTRIBUTE_PTR pub_tmpl, CK_ULONG pub_count, CK_ATTRIBUTE_PTR priv_tmpl, CK_ULONG priv_count, CK_OBJECT_HANDLE_PTR pub_key, CK_OBJECT_HANDLE_PTR priv_key)) \
	I(WrapKey, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE wrapping_key, CK_OBJECT_HANDLE key, CK_BYTE_PTR wrapped, CK_ULONG_PTR wrapped_len)) \
	I(UnwrapKey, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE unwrapping_key, CK_BYTE_PTR wrapped, CK_ULONG wrapped_len, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR key)) \
	N(DeriveKey, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE base_key, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR key)) \
	I(SeedRandom, (CK_SESSION_HANDLE session, CK_BYTE_PTR seed, CK_ULONG seed_len)) \
	I(GenerateRandom, (CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG len)) \
	I(GetFunctionStatus, (CK_SESSION_HANDLE session)) \
	I(CancelFunction, (CK_SESSION_HANDLE session)) \
	I(WaitForSlotEvent, (CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved))
