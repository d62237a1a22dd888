/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pass-through inside token/: what the backend does by itself and the
 * module only hands on (driver.h's last group of operations). Secret keys
 * and their mechanisms, C_GenerateKey, C_CopyObject, sign/verify with
 * recovery, C_WrapKey and C_UnwrapKey with the backend's mechanisms, and
 * the multi-part encryption that goes with them. The module's own
 * mechanisms (mech.c) keep their software paths; a mechanism goes through
 * here only for what mech.c does not do. docs/mechanisms.md has the rules.
 *
 * Objects a pass-through makes as session objects live in the backend, in
 * a holder the module session owns (ukey_object.held), and die with it;
 * their key values are never read into the cache (inventory.c). */
#ifndef UKEY_TOKEN_PASS_H
#define UKEY_TOKEN_PASS_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "drivers/driver.h"
#include "token/model.h"

/* ---- pass-mech.c: which backend mechanisms pass through ---- */
/* The functions (CKF_ENCRYPT, CKF_WRAP...) the module passes through for
 * a mechanism; 0 for one it never passes. */
CK_FLAGS ukey_pass_mech_flags(CK_MECHANISM_TYPE type);
/* True when the slot's driver passes through and its backend lists the
 * mechanism, and the mechanism passes through for function fn. */
bool ukey_pass_offered(const struct ukey_slot *slot, CK_MECHANISM_TYPE type, CK_FLAGS fn);
/* Appends the pass-through mechanisms the module's own table lacks to a
 * C_GetMechanismList answer being built: n entries so far, list of
 * capacity cap (NULL: sizing). Returns the new count; sets *rv to
 * CKR_BUFFER_TOO_SMALL when list is too short. */
CK_ULONG ukey_pass_mech_list_inlock(const struct ukey_slot *slot, CK_MECHANISM_TYPE *list, CK_ULONG cap,
				    CK_ULONG n, CK_RV *rv);
/* C_GetMechanismInfo of a mechanism only the pass-through offers. */
CK_RV ukey_pass_mech_info_unlocked(struct ukey_slot *slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);
/* The pass-through functions the backend offers for a mechanism of the
 * module's own table (CKM_RSA_PKCS: wrap, unwrap), given the backend's flags. */
CK_FLAGS ukey_pass_extra_flags(const struct ukey_slot *slot, CK_MECHANISM_TYPE type, CK_FLAGS backend_flags);

/* ---- pass-op.c: operations the backend runs ---- */
/* True when C_<kind>Init with this mechanism goes to the backend. */
bool ukey_pass_takes(CK_SESSION_HANDLE h, enum ukey_op_kind kind, const CK_MECHANISM *mech);
/* C_*Init through the backend (recover: C_SignRecoverInit/C_VerifyRecoverInit). */
CK_RV ukey_pass_begin(CK_SESSION_HANDLE h, enum ukey_op_kind kind, bool recover, const CK_MECHANISM *mech,
		      CK_OBJECT_HANDLE key);
/* One call of a running pass-through op; *finished as for the module's
 * own ops (PKCS#11: a size query, BUFFER_TOO_SMALL or an Update keep it). */
CK_RV ukey_pass_step(struct ukey_op *op, enum ukey_pass_step step, bool recover, const CK_BYTE *in,
		     CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen, bool *finished);
/* C_Verify (final false) or C_VerifyFinal; always ends the op. */
CK_RV ukey_pass_verify(struct ukey_op *op, bool final, const CK_BYTE *in, CK_ULONG inlen, const CK_BYTE *sig,
		       CK_ULONG siglen);
/* Frees the backend's side of an op (op.c's ukey_op_free). */
void ukey_pass_op_free(struct ukey_op *op);

/* ---- pass-obj.c: objects ---- */
/* The backend object behind a handle the session sees (a stand-in logs in
 * first, as key_get does). backed is false for objects that live in the
 * module's memory only (session certificates, data, public keys). */
struct ukey_pass_key {
	struct ukey_slot *slot;
	ukey_ref ref;
	CK_OBJECT_CLASS cls;
	bool on_token;
	bool backed;
};
CK_RV ukey_pass_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, struct ukey_pass_key *k);
/* C_CreateObject of a session secret key: made in the backend, in the
 * session's holder (write.c). */
CK_RV ukey_pass_create_session(CK_SESSION_HANDLE h, struct ukey_slot *slot, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			       CK_OBJECT_HANDLE *out);
/* C_UnwrapKey with a backend mechanism (unwrap.c hands everything but
 * CKM_UKEY_ENVELOPED_KEY_PAIR here). */
CK_RV ukey_pass_unwrap(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE unwrapping_key,
		       const CK_BYTE *in, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out);
/* A closing session gives its holder back (session.c, table lock held). */
void ukey_pass_session_end_inlock(struct ukey_session *s);

#endif
