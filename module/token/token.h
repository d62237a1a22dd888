/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The token model's interface to api/. api/ checks the caller's arguments
 * (pointers, lengths, flags) and calls exactly one of these; everything here
 * takes the table lock itself and never holds it across a driver call.
 * Handles are looked up here, so a stale or foreign handle gives the right
 * CKR_*_HANDLE_INVALID whichever entry point it came through. */
#ifndef UKEY_TOKEN_H
#define UKEY_TOKEN_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

/* ---- module: token/module.c ---- */
CK_RV ukey_module_initialize(const CK_C_INITIALIZE_ARGS *args);
CK_RV ukey_module_finalize(void);
/* CKR_OK when initialised in this process; CKR_CRYPTOKI_NOT_INITIALIZED
 * before C_Initialize, after C_Finalize, and in a forked child. */
CK_RV ukey_module_check(void);
CK_RV ukey_module_info(CK_INFO *info);

/* ---- slots and tokens: token/slot.c ---- */
CK_RV ukey_slot_list(bool token_present, CK_SLOT_ID *list, CK_ULONG *count);
CK_RV ukey_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO *info);
CK_RV ukey_slot_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO *info);
/* The same, and the device reading it came from (its PIN counters) into
 * counters unless NULL: one reading of the device for both. */
struct ukey_dev_info;
CK_RV ukey_slot_token_info_tries(CK_SLOT_ID slot, CK_TOKEN_INFO *info, struct ukey_dev_info *counters);
CK_RV ukey_slot_mechanisms(CK_SLOT_ID slot, CK_MECHANISM_TYPE *list, CK_ULONG *count);
CK_RV ukey_slot_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);
CK_RV ukey_slot_wait_event(CK_FLAGS flags, CK_SLOT_ID *slot);

/* ---- sessions: token/session.c ---- */
CK_RV ukey_session_open(CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE *out);
CK_RV ukey_session_close(CK_SESSION_HANDLE h);
CK_RV ukey_session_close_all(CK_SLOT_ID slot);
CK_RV ukey_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO *info);

/* ---- login and PINs: token/login.c ---- */
CK_RV ukey_login(CK_SESSION_HANDLE h, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV ukey_logout(CK_SESSION_HANDLE h);
CK_RV ukey_init_pin(CK_SESSION_HANDLE h, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV ukey_set_pin(CK_SESSION_HANDLE h, const CK_UTF8CHAR *old_pin, CK_ULONG old_len,
		   const CK_UTF8CHAR *new_pin, CK_ULONG new_len);

/* ---- objects: token/object.c, token/find.c ---- */
CK_RV ukey_object_create(CK_SESSION_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out);
CK_RV ukey_object_destroy(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj);
CK_RV ukey_object_get_attrs(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE *tmpl, CK_ULONG n);
CK_RV ukey_object_set_attrs(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
CK_RV ukey_object_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ULONG *size);
CK_RV ukey_find_init(CK_SESSION_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
CK_RV ukey_find(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count);
CK_RV ukey_find_final(CK_SESSION_HANDLE h);

/* ---- keys and randomness: token/object.c, token/slot.c ---- */
CK_RV ukey_generate_key_pair(CK_SESSION_HANDLE h, const CK_MECHANISM *mech,
			     const CK_ATTRIBUTE *pub, CK_ULONG npub,
			     const CK_ATTRIBUTE *priv, CK_ULONG npriv,
			     CK_OBJECT_HANDLE *pub_out, CK_OBJECT_HANDLE *priv_out);
CK_RV ukey_generate_random(CK_SESSION_HANDLE h, CK_BYTE *out, CK_ULONG len);
/* token/unwrap.c: C_UnwrapKey with CKM_UKEY_ENVELOPED_KEY_PAIR. */
CK_RV ukey_unwrap_key(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE unwrapping_key,
		      const CK_BYTE *env, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
		      CK_OBJECT_HANDLE *out);

/* ---- cryptographic operations: token/sign.c, token/cipher.c, token/digest.c ----
 * Output conventions are PKCS#11's: out == NULL asks the size and keeps the
 * operation; CKR_BUFFER_TOO_SMALL sets *outlen and keeps the operation; any
 * other result ends it. */
CK_RV ukey_sign_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key);
CK_RV ukey_sign(CK_SESSION_HANDLE h, const CK_BYTE *data, CK_ULONG len, CK_BYTE *sig, CK_ULONG *siglen);
CK_RV ukey_sign_update(CK_SESSION_HANDLE h, const CK_BYTE *part, CK_ULONG len);
CK_RV ukey_sign_final(CK_SESSION_HANDLE h, CK_BYTE *sig, CK_ULONG *siglen);

CK_RV ukey_verify_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key);
CK_RV ukey_verify(CK_SESSION_HANDLE h, const CK_BYTE *data, CK_ULONG len, const CK_BYTE *sig, CK_ULONG siglen);
CK_RV ukey_verify_update(CK_SESSION_HANDLE h, const CK_BYTE *part, CK_ULONG len);
CK_RV ukey_verify_final(CK_SESSION_HANDLE h, const CK_BYTE *sig, CK_ULONG siglen);

CK_RV ukey_encrypt_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key);
CK_RV ukey_encrypt(CK_SESSION_HANDLE h, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_decrypt_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key);
CK_RV ukey_decrypt(CK_SESSION_HANDLE h, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen);

CK_RV ukey_digest_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech);
CK_RV ukey_digest(CK_SESSION_HANDLE h, const CK_BYTE *data, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_digest_update(CK_SESSION_HANDLE h, const CK_BYTE *part, CK_ULONG len);
CK_RV ukey_digest_final(CK_SESSION_HANDLE h, CK_BYTE *out, CK_ULONG *outlen);

/* ---- pass-through to the backend: token/pass-op.c, token/pass-obj.c ----
 * Secret keys, the backend's own mechanisms, copies, recovery, wrapping
 * (token/pass.h). Argument checks are api/'s, as everywhere. */
CK_RV ukey_generate_key(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			CK_OBJECT_HANDLE *out);
CK_RV ukey_copy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
		       CK_OBJECT_HANDLE *out);
CK_RV ukey_wrap_key(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key,
		    CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_encrypt_update(CK_SESSION_HANDLE h, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_encrypt_final(CK_SESSION_HANDLE h, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_decrypt_update(CK_SESSION_HANDLE h, const CK_BYTE *in, CK_ULONG len, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_decrypt_final(CK_SESSION_HANDLE h, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_digest_key(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key);
CK_RV ukey_sign_recover_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key);
CK_RV ukey_sign_recover(CK_SESSION_HANDLE h, const CK_BYTE *data, CK_ULONG len, CK_BYTE *sig, CK_ULONG *siglen);
CK_RV ukey_verify_recover_init(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key);
CK_RV ukey_verify_recover(CK_SESSION_HANDLE h, const CK_BYTE *sig, CK_ULONG siglen, CK_BYTE *data,
			  CK_ULONG *datalen);

#endif
