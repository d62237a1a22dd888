/* C_FindObjects*: the match runs over the inventory cache under the table
 * lock; the handles found are copied into the session's find state. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "token/internal.h"

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

static bool matches(const struct ukey_object *obj, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	for (CK_ULONG i = 0; i < n; i++) {
		const struct ukey_attr *a = ukey_object_attr(obj, tmpl[i].type);
		/* An attribute the cache does not hold, or that is sensitive or
		 * invalid for the object, never matches. */
		if (!a || a->len == CK_UNAVAILABLE_INFORMATION || a->len != tmpl[i].ulValueLen)
			return false;
		if (a->len && memcmp(a->value, tmpl[i].pValue, a->len) != 0)
			return false;
	}
	return true;
}

CK_RV ukey_find_init(CK_SESSION_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	struct ukey_session *s;
	struct ukey_slot *slot = NULL;
	struct ukey_find *find = NULL;
	bool reload = false;
	CK_RV rv;

	ukey_lock();
	rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && s->find)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK) {
		slot = s->slot;
		reload = !slot->inventory_loaded || ukey_generation_changed(slot);
	}
	ukey_unlock();
	if (rv != CKR_OK)
		return rv;
	if (reload) {
		rv = ukey_inventory_reload_unlocked(slot);
		if (rv != CKR_OK)
			return rv;
	}

	ukey_lock();
	rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && s->find)
		rv = CKR_OPERATION_ACTIVE;
	if (rv != CKR_OK)
		goto out;
	find = calloc(1, sizeof(*find));
	if (find)
		find->handles = calloc(slot->nobjects + 1, sizeof(*find->handles));
	if (!find || !find->handles) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		const struct ukey_object *obj = slot->objects[i];
		if (obj->is_private && slot->login != CKU_USER)
			continue;
		if (matches(obj, tmpl, n))
			find->handles[find->count++] = obj->handle;
	}
	s->find = find;
	find = NULL;
out:
	ukey_unlock();
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
