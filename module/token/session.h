/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* session.c: sessions, and the slots where a session keeps its running
 * operations so that they can run without the table lock. */
#ifndef UKEY_TOKEN_SESSION_H
#define UKEY_TOKEN_SESSION_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "token/model.h"

/* Looks a session up; CKR_SESSION_HANDLE_INVALID if unknown. */
CK_RV ukey_session_find_inlock(CK_SESSION_HANDLE h, struct ukey_session **out);
/* Installs a prepared operation; CKR_OPERATION_ACTIVE if one is there. */
CK_RV ukey_session_op_install(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op *op);
/* Takes the session's operation out so it can run without the table lock.
 * CKR_OPERATION_NOT_INITIALIZED if none; CKR_OPERATION_ACTIVE if another
 * thread has it. */
CK_RV ukey_session_op_take(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op **op);
/* Gives it back: finished → freed and the slot cleared; else kept. If the
 * session was closed meanwhile, the op is freed. */
void ukey_session_op_release(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op *op, bool finished);
void ukey_session_free_inlock(struct ukey_session *s);
/* Closes every session of a slot (removal, C_CloseAllSessions). */
void ukey_session_close_slot_inlock(struct ukey_slot *slot);

#endif
