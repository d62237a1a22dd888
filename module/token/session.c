/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sessions: open/close, their info, and the slots where a session keeps its
 * running operations so that they can run without the table lock. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "token/backend.h"
#include "token/crypto.h"
#include "token/find.h"
#include "token/handles.h"
#include "token/inventory.h"
#include "token/login.h"
#include "token/model.h"
#include "token/pass.h"
#include "token/session.h"
#include "token/slot.h"
#include "token/token.h"

CK_RV ukey_session_find_inlock(CK_SESSION_HANDLE h, struct ukey_session **out)
{
	struct ukey_session *s = ukey_handle_get_inlock(h, UKEY_HANDLE_SESSION);
	if (!s)
		return CKR_SESSION_HANDLE_INVALID;
	*out = s;
	return CKR_OK;
}

static void unlist_inlock(struct ukey_session *s)
{
	for (size_t i = 0; i < ukey_M.nsessions; i++)
		if (ukey_M.sessions[i] == s) {
			ukey_M.sessions[i] = ukey_M.sessions[--ukey_M.nsessions];
			return;
		}
}

/* Session objects die with their session. */
static void drop_session_objects_inlock(struct ukey_session *s)
{
	struct ukey_slot *slot = s->slot;
	CK_ULONG kept = 0;
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		struct ukey_object *obj = slot->objects[i];
		if (!obj->on_token && obj->session == s->handle) {
			ukey_handle_drop_inlock(obj->handle);
			ukey_object_free(obj);
		} else {
			slot->objects[kept++] = obj;
		}
	}
	slot->nobjects = kept;
}

void ukey_session_free_inlock(struct ukey_session *s)
{
	struct ukey_slot *slot = s->slot;
	for (int k = 0; k < UKEY_OP_COUNT; k++)
		/* A busy op belongs to the thread running it: it frees it on
		 * release when it finds the session gone. */
		if (s->ops[k] && !s->op_busy[k])
			ukey_op_free((enum ukey_op_kind)k, s->ops[k]);
	ukey_find_free(s->find);
	drop_session_objects_inlock(s);
	ukey_pass_session_end_inlock(s);
	ukey_handle_drop_inlock(s->handle);
	unlist_inlock(s);
	slot->sessions--;
	if (s->flags & CKF_RW_SESSION)
		slot->rw_sessions--;
	free(s);
}

void ukey_session_close_slot_inlock(struct ukey_slot *slot)
{
	for (size_t i = ukey_M.nsessions; i-- > 0;)
		if (i < ukey_M.nsessions && ukey_M.sessions[i]->slot == slot)
			ukey_session_free_inlock(ukey_M.sessions[i]);
	slot->login = UKEY_NO_USER;
	slot->login_epoch++;
}

CK_RV ukey_session_open(CK_SLOT_ID id, CK_FLAGS flags, CK_SESSION_HANDLE *out)
{
	CK_RV rv = CKR_OK;
	struct ukey_session *s = NULL;
	struct ukey_slot *slot;

	ukey_lock();
	slot = ukey_slot_find_inlock(id);
	rv = !slot ? CKR_SLOT_ID_INVALID : !slot->present ? CKR_TOKEN_NOT_PRESENT : CKR_OK;
	if (rv == CKR_OK && slot->login == CKU_SO && !(flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
	if (rv == CKR_OK && !slot->probed) {
		/* The first session on a device that was never asked what it is. */
		ukey_unlock();
		rv = ukey_slot_probe_unlocked(slot);
		ukey_lock();
		if (rv == CKR_OK && !slot->present)
			rv = CKR_TOKEN_NOT_PRESENT;
	}
	ukey_unlock();
	if (rv != CKR_OK)
		return rv;
	/* The inventory is read at the first search, not here: opening a
	 * session costs the device nothing. Once read, another process may
	 * have changed the token (docs/architecture.md, "The inventory cache"). */
	rv = ukey_inventory_current_unlocked(slot, false);
	if (rv != CKR_OK)
		return rv;

	s = calloc(1, sizeof(*s));
	if (!s)
		return CKR_HOST_MEMORY;
	s->slot = slot;
	s->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
	ukey_lock();
	struct ukey_session **grown = realloc(ukey_M.sessions, (ukey_M.nsessions + 1) * sizeof(*grown));
	if (!grown) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	ukey_M.sessions = grown;
	if (!slot->present) {
		rv = CKR_TOKEN_NOT_PRESENT;
		goto out;
	}
	s->handle = ukey_handle_new_inlock(UKEY_HANDLE_SESSION, s);
	if (!s->handle) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	ukey_M.sessions[ukey_M.nsessions++] = s;
	slot->sessions++;
	if (flags & CKF_RW_SESSION)
		slot->rw_sessions++;
	*out = s->handle;
	s = NULL;
out:
	ukey_unlock();
	free(s);
	return rv;
}

/* Session keys the backend holds for the sessions being closed: their
 * references, taken before the sessions are freed, so that they can be
 * destroyed on the device without the table lock. */
struct backend_refs {
	ukey_ref *refs;
	CK_ULONG n;
};

static void collect_backend_refs_inlock(struct ukey_slot *slot, CK_SESSION_HANDLE h, bool all,
					struct backend_refs *out)
{
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		struct ukey_object *obj = slot->objects[i];
		if (!obj->in_backend || (!all && obj->session != h))
			continue;
		ukey_ref *grown = realloc(out->refs, (out->n + 1) * sizeof(*grown));
		if (!grown)
			return;   /* the backend frees them at its logout or unload */
		out->refs = grown;
		out->refs[out->n++] = obj->ref;
	}
}

static void destroy_backend_refs_unlocked(struct ukey_slot *slot, struct backend_refs *r)
{
	/* A failure changes nothing here (backend.c logs it); one that says
	 * CKR_OBJECT_HANDLE_INVALID is a private session key that died at the
	 * backend's logout already. */
	for (CK_ULONG i = 0; i < r->n; i++)
		(void)ukey_be_destroy(slot, r->refs[i]);
	free(r->refs);
}

/* PKCS#11: closing the last session of a token logs it out. */
static void logout_if_idle_unlocked(struct ukey_slot *slot)
{
	bool idle;
	ukey_lock();
	idle = slot->present && slot->sessions == 0 && slot->login != UKEY_NO_USER;
	ukey_unlock();
	if (idle)
		(void)ukey_token_logout_unlocked(slot, true);
}

CK_RV ukey_session_close(CK_SESSION_HANDLE h)
{
	struct ukey_session *s;
	struct ukey_slot *slot = NULL;
	struct backend_refs keys = { 0 };
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK) {
		slot = s->slot;
		collect_backend_refs_inlock(slot, h, false, &keys);
		ukey_session_free_inlock(s);
	}
	ukey_unlock();
	if (slot) {
		destroy_backend_refs_unlocked(slot, &keys);
		logout_if_idle_unlocked(slot);
	}
	return rv;
}

CK_RV ukey_session_close_all(CK_SLOT_ID id)
{
	CK_RV rv = CKR_OK;
	struct backend_refs keys = { 0 };
	ukey_lock();
	struct ukey_slot *slot = ukey_slot_find_inlock(id);
	if (!slot) {
		rv = CKR_SLOT_ID_INVALID;
	} else {
		collect_backend_refs_inlock(slot, 0, true, &keys);
		for (size_t i = ukey_M.nsessions; i-- > 0;)
			if (i < ukey_M.nsessions && ukey_M.sessions[i]->slot == slot)
				ukey_session_free_inlock(ukey_M.sessions[i]);
	}
	ukey_unlock();
	if (slot) {
		destroy_backend_refs_unlocked(slot, &keys);
		logout_if_idle_unlocked(slot);
	}
	return rv;
}

CK_RV ukey_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO *info)
{
	struct ukey_session *s;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK) {
		bool rw = s->flags & CKF_RW_SESSION;
		memset(info, 0, sizeof(*info));
		info->slotID = s->slot->id;
		info->flags = s->flags;
		if (s->slot->login == CKU_SO)
			info->state = CKS_RW_SO_FUNCTIONS;
		else if (s->slot->login == CKU_USER)
			info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
		else
			info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	}
	ukey_unlock();
	return rv;
}

CK_RV ukey_session_op_install(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op *op)
{
	struct ukey_session *s;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && s->ops[kind])
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK)
		s->ops[kind] = op;
	ukey_unlock();
	return rv;
}

CK_RV ukey_session_op_take(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op **op)
{
	struct ukey_session *s;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && !s->ops[kind])
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (rv == CKR_OK && s->op_busy[kind])
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK) {
		s->op_busy[kind] = true;
		*op = s->ops[kind];
	}
	ukey_unlock();
	return rv;
}

void ukey_session_op_release(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op *op, bool finished)
{
	struct ukey_session *s;
	bool orphan;
	ukey_lock();
	orphan = ukey_session_find_inlock(h, &s) != CKR_OK || s->ops[kind] != op;
	if (!orphan) {
		s->op_busy[kind] = false;
		if (finished)
			s->ops[kind] = NULL;
	}
	ukey_unlock();
	if (orphan || finished)
		ukey_op_free(kind, op);
}
