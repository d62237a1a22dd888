/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* C_FindObjects*: the match runs over the inventory cache under the table
 * lock; the handles found are copied into the session's find state. A
 * template attribute the cache has not read for an object (a data object's
 * content or application, read lazily; a type no load asks for) is asked
 * from the driver for the objects the rest of the template matches, once:
 * the answer is cached. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "token/attr.h"
#include "token/find.h"
#include "token/handles.h"
#include "token/inventory.h"
#include "token/model.h"
#include "token/object.h"
#include "token/session.h"
#include "token/token.h"
#include "util/log.h"

struct ukey_find {
	CK_OBJECT_HANDLE *handles;
	CK_ULONG count;
	CK_ULONG pos;
};

void ukey_find_free(struct ukey_find *find)
{
	if (!find)
		return;
	free(find->handles);
	free(find);
}

enum match { NO, YES, ASK };

/* ASK: every cached attribute matches and some are not cached yet. */
static enum match matches(const struct ukey_object *obj, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	enum match m = YES;
	for (CK_ULONG i = 0; i < n; i++) {
		const struct ukey_attr *a = ukey_object_attr(obj, tmpl[i].type);
		if (!a) {
			/* Key material is never read, so never matched. */
			if (!obj->on_token || ukey_attr_is_secret(obj->cls, tmpl[i].type))
				return NO;
			m = ASK;
			continue;
		}
		/* Sensitive or invalid for the object: no match. */
		if (a->len == CK_UNAVAILABLE_INFORMATION || a->len != tmpl[i].ulValueLen)
			return NO;
		if (a->len && memcmp(a->value, tmpl[i].pValue, a->len) != 0)
			return NO;
	}
	return m;
}

struct pending {
	CK_OBJECT_HANDLE handle;
	ukey_ref ref;
	CK_OBJECT_CLASS cls;
};

/* Reads the template attributes p's object lacks; false when that failed
 * (the object then does not match; a removed device ends the search). */
static bool fetch_for_match(struct ukey_slot *slot, const struct pending *p, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			    CK_RV *fatal)
{
	for (CK_ULONG i = 0; i < n; i++) {
		CK_ATTRIBUTE probe = { tmpl[i].type, NULL, 0 };
		bool cached;
		ukey_lock();
		struct ukey_object *obj = ukey_handle_get_inlock(p->handle, UKEY_HANDLE_OBJECT);
		cached = !obj || ukey_object_attr(obj, tmpl[i].type);
		ukey_unlock();
		if (cached)
			continue;
		CK_RV rv = ukey_object_fetch_attr_unlocked(slot, p->ref, p->cls, p->handle, &probe);
		if (rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_HOST_MEMORY) {
			*fatal = rv;
			return false;
		}
		if (rv != CKR_OK && rv != CKR_ATTRIBUTE_SENSITIVE && rv != CKR_ATTRIBUTE_TYPE_INVALID) {
			ukey_info("slot %lu: attribute 0x%lx of an object unreadable (0x%08lx): not matched",
				  (unsigned long)slot->id, (unsigned long)tmpl[i].type, (unsigned long)rv);
			return false;
		}
	}
	return true;
}

/* The visible objects the template matches from the cache; those that need
 * attributes read first go to *ask (malloc'ed, *nask of them). */
static CK_RV match_inlock(struct ukey_slot *slot, const CK_ATTRIBUTE *tmpl, CK_ULONG n, struct ukey_find *find,
			  struct pending **ask, CK_ULONG *nask)
{
	*ask = NULL;
	*nask = 0;
	find->handles = calloc(slot->nobjects + 1, sizeof(*find->handles));
	if (!find->handles)
		return CKR_HOST_MEMORY;
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		const struct ukey_object *obj = slot->objects[i];
		if (obj->is_private && slot->login != CKU_USER)
			continue;
		switch (matches(obj, tmpl, n)) {
		case YES:
			find->handles[find->count++] = obj->handle;
			break;
		case ASK:
			if (!*ask && !(*ask = calloc(slot->nobjects, sizeof(**ask))))
				return CKR_HOST_MEMORY;
			(*ask)[(*nask)++] = (struct pending){ obj->handle, obj->ref, obj->cls };
			break;
		case NO:
			break;
		}
	}
	return CKR_OK;
}

CK_RV ukey_find_init(CK_SESSION_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	struct ukey_session *s;
	struct ukey_slot *slot = NULL;
	struct ukey_find *find = NULL;
	struct pending *ask = NULL;
	CK_ULONG nask = 0;
	CK_RV rv;

	ukey_lock();
	rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && s->find)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK)
		slot = s->slot;
	ukey_unlock();
	if (rv != CKR_OK)
		return rv;
	rv = ukey_inventory_current_unlocked(slot, true);
	if (rv != CKR_OK)
		return rv;

	find = calloc(1, sizeof(*find));
	if (!find)
		return CKR_HOST_MEMORY;
	ukey_lock();
	rv = match_inlock(slot, tmpl, n, find, &ask, &nask);
	ukey_unlock();
	/* Objects that need attributes read: read them, then match again. */
	for (CK_ULONG k = 0; rv == CKR_OK && k < nask; k++) {
		if (!fetch_for_match(slot, &ask[k], tmpl, n, &rv))
			continue;
		ukey_lock();
		const struct ukey_object *obj = ukey_handle_get_inlock(ask[k].handle, UKEY_HANDLE_OBJECT);
		if (obj && obj->slot == slot && (!obj->is_private || slot->login == CKU_USER) &&
		    matches(obj, tmpl, n) == YES)
			find->handles[find->count++] = ask[k].handle;
		ukey_unlock();
	}
	free(ask);
	if (rv != CKR_OK)
		goto out;

	ukey_lock();
	rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && s->find)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK) {
		s->find = find;
		find = NULL;
	}
	ukey_unlock();
out:
	ukey_find_free(find);
	return rv;
}

CK_RV ukey_find(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count)
{
	struct ukey_session *s;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && !s->find)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK) {
		struct ukey_find *f = s->find;
		CK_ULONG n = 0;
		/* Only handles that still name a visible object: a search begun
		 * before C_Logout must not hand out the (dead) private ones, nor
		 * tell how many there are. */
		for (; f->pos < f->count && n < max; f->pos++) {
			struct ukey_object *obj;
			if (ukey_object_find_inlock(s, f->handles[f->pos], &obj) == CKR_OK)
				out[n++] = f->handles[f->pos];
		}
		*count = n;
	}
	ukey_unlock();
	return rv;
}

CK_RV ukey_find_final(CK_SESSION_HANDLE h)
{
	struct ukey_session *s;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && !s->find)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK) {
		ukey_find_free(s->find);
		s->find = NULL;
	}
	ukey_unlock();
	return rv;
}
