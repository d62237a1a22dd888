/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The inventory cache (docs/architecture.md, "The inventory cache"). Each object's attributes are read from
 * the backend once, in three calls (its class, then sizes, then values over
 * the union of the attributes consumers ask for), and served from memory
 * afterwards: a browser reads hundreds of attributes at start-up and a
 * backend read costs tens of microseconds -- or, on a USB key, milliseconds
 * per 255 bytes. Secret key material is never cached (nor asked for). What
 * is large or read from content (a data object's CKA_VALUE and
 * CKA_APPLICATION: a seal is 5-200 KB) is read only when a caller asks for
 * it, then cached (ukey_attr_is_lazy).
 *
 * The rule: writes made through this module update the cache and bump the
 * token's generation file. The first use of a slot, re-insertion, and a
 * moved generation (another process wrote through the module; checked at
 * C_OpenSession and C_FindObjectsInit) re-read everything. Login lists the
 * objects again and reads only the new ones (the private objects): public
 * objects that did not change are not read again. Changes made behind the
 * module's back are seen at re-insertion. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "token/attr.h"
#include "token/backend.h"
#include "token/generation.h"
#include "token/handles.h"
#include "token/inventory.h"
#include "token/model.h"
#include "token/ondemand.h"
#include "util/log.h"

static const CK_ATTRIBUTE_TYPE cached_types[] = {
	CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_APPLICATION, CKA_VALUE, CKA_OBJECT_ID,
	CKA_CERTIFICATE_TYPE, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_AC_ISSUER, CKA_OWNER,
	CKA_ATTR_TYPES, CKA_TRUSTED, CKA_CERTIFICATE_CATEGORY, CKA_JAVA_MIDP_SECURITY_DOMAIN, CKA_URL,
	CKA_HASH_OF_SUBJECT_PUBLIC_KEY, CKA_HASH_OF_ISSUER_PUBLIC_KEY, CKA_CHECK_VALUE, CKA_KEY_TYPE,
	CKA_SUBJECT, CKA_ID, CKA_SENSITIVE, CKA_ENCRYPT, CKA_DECRYPT, CKA_WRAP, CKA_UNWRAP, CKA_SIGN,
	CKA_SIGN_RECOVER, CKA_VERIFY, CKA_VERIFY_RECOVER, CKA_DERIVE, CKA_START_DATE, CKA_END_DATE,
	CKA_MODULUS, CKA_MODULUS_BITS, CKA_PUBLIC_EXPONENT, CKA_EXTRACTABLE, CKA_LOCAL,
	CKA_NEVER_EXTRACTABLE, CKA_ALWAYS_SENSITIVE, CKA_KEY_GEN_MECHANISM, CKA_MODIFIABLE,
	CKA_COPYABLE, CKA_DESTROYABLE, CKA_EC_PARAMS, CKA_EC_POINT, CKA_ALWAYS_AUTHENTICATE,
	CKA_WRAP_WITH_TRUSTED, CKA_PUBLIC_KEY_INFO, CKA_NAME_HASH_ALGORITHM, CKA_VALUE_LEN,
};
#define NCACHED (sizeof(cached_types) / sizeof(cached_types[0]))

/* Attributes whose value is key material on a private or secret key. */
bool ukey_attr_is_secret(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE type)
{
	if (cls != CKO_PRIVATE_KEY && cls != CKO_SECRET_KEY)
		return false;
	switch (type) {
	case CKA_VALUE:
	case CKA_PRIVATE_EXPONENT:
	case CKA_PRIME_1:
	case CKA_PRIME_2:
	case CKA_EXPONENT_1:
	case CKA_EXPONENT_2:
	case CKA_COEFFICIENT:
		return true;
	default:
		return false;
	}
}

bool ukey_attr_is_lazy(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE type)
{
	return cls == CKO_DATA && (type == CKA_VALUE || type == CKA_APPLICATION);
}

void ukey_object_free(struct ukey_object *obj)
{
	if (!obj)
		return;
	for (CK_ULONG i = 0; i < obj->nattrs; i++)
		free(obj->attrs[i].value);
	free(obj->attrs);
	EVP_PKEY_free(obj->pub);
	free(obj);
}

CK_RV ukey_object_fetch_unlocked(struct ukey_slot *slot, ukey_ref ref, struct ukey_object **out)
{
	CK_ATTRIBUTE t[NCACHED];
	CK_ULONG n = 0, k = 0;
	CK_RV rv;
	struct ukey_object *obj = calloc(1, sizeof(*obj));
	if (!obj)
		return CKR_HOST_MEMORY;
	obj->slot = slot;
	obj->ref = ref;
	obj->on_token = true;
	obj->cls = (CK_OBJECT_CLASS)-1;
	/* The class first: it decides what is never asked (secrets) and what is
	 * asked only later (lazy values). */
	CK_ATTRIBUTE c = { CKA_CLASS, &obj->cls, sizeof(obj->cls) };
	rv = ukey_be_get_attrs(slot, ref, &c, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID)
		rv = CKR_OK;
	if (rv != CKR_OK)
		goto out;
	for (size_t i = 0; i < NCACHED; i++)
		if (!ukey_attr_is_secret(obj->cls, cached_types[i]) && !ukey_attr_is_lazy(obj->cls, cached_types[i]))
			t[k++] = (CK_ATTRIBUTE){ cached_types[i], NULL, 0 };
	rv = ukey_be_get_values(slot, ref, t, k, &n);
	for (CK_ULONG i = 0; i < n && rv == CKR_OK; i++)
		rv = ukey_object_attr_set(obj, t[i].type, t[i].pValue, t[i].ulValueLen, false);
	obj->is_private = ukey_object_bool(obj, CKA_PRIVATE, true);
	for (CK_ULONG i = 0; i < n; i++)
		free(t[i].pValue);
out:
	if (rv != CKR_OK) {
		ukey_object_free(obj);
		return rv;
	}
	*out = obj;
	return CKR_OK;
}

static struct ukey_object *by_ref_inlock(struct ukey_slot *slot, ukey_ref ref)
{
	for (CK_ULONG i = 0; i < slot->nobjects; i++)
		if (slot->objects[i]->on_token && slot->objects[i]->ref == ref)
			return slot->objects[i];
	return NULL;
}

CK_RV ukey_inventory_add_inlock(struct ukey_slot *slot, struct ukey_object *obj)
{
	struct ukey_object **grown = realloc(slot->objects, (slot->nobjects + 1) * sizeof(*grown));
	if (!grown)
		return CKR_HOST_MEMORY;
	slot->objects = grown;
	obj->handle = ukey_handle_new_inlock(UKEY_HANDLE_OBJECT, obj);
	if (!obj->handle)
		return CKR_HOST_MEMORY;
	slot->objects[slot->nobjects++] = obj;
	return CKR_OK;
}

void ukey_inventory_remove_inlock(struct ukey_slot *slot, struct ukey_object *obj)
{
	for (CK_ULONG i = 0; i < slot->nobjects; i++)
		if (slot->objects[i] == obj) {
			slot->objects[i] = slot->objects[--slot->nobjects];
			break;
		}
	ukey_handle_drop_inlock(obj->handle);
	ukey_object_free(obj);
}

void ukey_inventory_forget_inlock(struct ukey_slot *slot)
{
	/* Downwards: removal moves the last object, one already seen, here. */
	for (CK_ULONG i = slot->nobjects; i-- > 0;)
		if (slot->objects[i]->on_token)
			ukey_inventory_remove_inlock(slot, slot->objects[i]);
	slot->inventory_loaded = false;
	slot->inventory_private = false;
}

/* The token's CKO_PROFILE object (PKCS#11 3.0) saying
 * CKP_PUBLIC_CERTIFICATES_TOKEN: certificates are readable without login.
 * NSS (Firefox, Chromium) then lists them without asking for the PIN at
 * start-up, and asks only when a private key is needed. It lives in memory
 * (no device object) and cannot be changed or destroyed (write.c). */
static CK_RV add_profile_inlock(struct ukey_slot *slot)
{
	static const CK_OBJECT_CLASS cls = CKO_PROFILE;
	static const CK_ULONG profile = CKP_PUBLIC_CERTIFICATES_TOKEN;
	static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	for (CK_ULONG i = 0; i < slot->nobjects; i++)
		if (slot->objects[i]->cls == CKO_PROFILE)
			return CKR_OK;
	struct ukey_object *obj = calloc(1, sizeof(*obj));
	if (!obj)
		return CKR_HOST_MEMORY;
	obj->slot = slot;
	obj->cls = CKO_PROFILE;
	CK_RV rv = ukey_object_attr_set(obj, CKA_CLASS, &cls, sizeof(cls), false);
	if (rv == CKR_OK)
		rv = ukey_object_attr_set(obj, CKA_PROFILE_ID, &profile, sizeof(profile), false);
	if (rv == CKR_OK)
		rv = ukey_object_attr_set(obj, CKA_TOKEN, &yes, sizeof(yes), false);
	if (rv == CKR_OK)
		rv = ukey_object_attr_set(obj, CKA_PRIVATE, &no, sizeof(no), false);
	if (rv == CKR_OK)
		rv = ukey_object_attr_set(obj, CKA_MODIFIABLE, &no, sizeof(no), false);
	if (rv == CKR_OK)
		rv = ukey_object_attr_set(obj, CKA_DESTROYABLE, &no, sizeof(no), false);
	if (rv == CKR_OK)
		rv = ukey_inventory_add_inlock(slot, obj);
	if (rv != CKR_OK)
		ukey_object_free(obj);
	return rv;
}

/* Swaps the listed token objects in: fresh[i] read now, or NULL when the
 * cached object of refs[i] stays as it is. Objects still there keep their
 * handles; those no longer listed lose theirs; session objects, stand-ins
 * and the profile are untouched. */
static CK_RV swap_in_inlock(struct ukey_slot *slot, const ukey_ref *refs, struct ukey_object **fresh, CK_ULONG n,
			    bool priv)
{
	struct ukey_object **next = calloc(n + slot->nobjects + 1, sizeof(*next));
	CK_ULONG m = 0, ntoken;
	if (!next)
		return CKR_HOST_MEMORY;
	for (CK_ULONG i = 0; i < n; i++) {
		struct ukey_object *old = by_ref_inlock(slot, refs[i]);
		if (!fresh[i]) {
			/* Kept as cached; gone meanwhile (destroyed) is just gone. */
			if (old)
				next[m++] = old;
			continue;
		}
		if (old) {
			fresh[i]->handle = old->handle;
			ukey_handle_rebind_inlock(old->handle, fresh[i]);
		} else {
			fresh[i]->handle = ukey_handle_new_inlock(UKEY_HANDLE_OBJECT, fresh[i]);
		}
		next[m++] = fresh[i];
		fresh[i] = NULL;
	}
	ntoken = m;
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		struct ukey_object *old = slot->objects[i];
		bool kept = false, handed = false;
		if (!old->on_token) {
			/* Session objects, stand-ins (ondemand.c) and the profile. */
			next[m++] = old;
			continue;
		}
		for (CK_ULONG k = 0; k < ntoken && !kept; k++) {
			kept = next[k] == old;
			handed |= next[k]->handle == old->handle;
		}
		if (kept)
			continue;
		if (!handed)
			ukey_handle_drop_inlock(old->handle);
		ukey_object_free(old);
	}
	free(slot->objects);
	slot->objects = next;
	slot->nobjects = m;
	slot->inventory_loaded = true;
	slot->inventory_private = priv;
	if (priv)
		ukey_standins_adopt_inlock(slot);
	CK_RV rv = ukey_standins_refresh_inlock(slot);
	return rv == CKR_OK ? add_profile_inlock(slot) : rv;
}

CK_RV ukey_inventory_current_unlocked(struct ukey_slot *slot, bool load)
{
	bool reload;
	ukey_lock();
	reload = slot->inventory_loaded ? ukey_generation_changed(slot) : load;
	ukey_unlock();
	return reload ? ukey_inventory_reload_unlocked(slot, true) : CKR_OK;
}

CK_RV ukey_inventory_reload_unlocked(struct ukey_slot *slot, bool reread)
{
	ukey_ref *refs = NULL;
	struct ukey_object **fresh = NULL;
	CK_ULONG n = 0, nread = 0;
	struct ukey_gen_stamp stamp;
	char serial[sizeof(slot->info.serial)];
	unsigned long epoch;
	bool priv;
	CK_RV rv;

	ukey_lock();
	priv = slot->login == CKU_USER;
	epoch = slot->login_epoch;
	memcpy(serial, slot->info.serial, sizeof(serial));
	ukey_unlock();
	/* The stamp before listing: a change made while we list is newer than
	 * it, so the next check reloads instead of taking it as seen. */
	ukey_generation_read(serial, &stamp);
	rv = ukey_be_list_objects(slot, reread, &refs, &n);
	if (rv == CKR_OK && !(fresh = calloc(n + 1, sizeof(*fresh))))
		rv = CKR_HOST_MEMORY;
	for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++) {
		bool cached = false;
		if (!reread) {
			ukey_lock();
			cached = by_ref_inlock(slot, refs[i]) != NULL;
			ukey_unlock();
		}
		if (cached)
			continue;
		rv = ukey_object_fetch_unlocked(slot, refs[i], &fresh[i]);
		/* An object deleted between listing and reading is just gone. */
		if (rv == CKR_OBJECT_HANDLE_INVALID) {
			rv = CKR_OK;
			refs[i] = refs[--n];
			fresh[i--] = NULL;
		} else if (rv == CKR_OK) {
			nread++;
		}
	}
	if (rv == CKR_OK) {
		ukey_lock();
		/* A login or logout since the listing: what we read belongs to
		 * the old state; the change made (or will make) its own. */
		if (slot->login_epoch == epoch)
			rv = swap_in_inlock(slot, refs, fresh, n, priv);
		if (rv == CKR_OK && reread && slot->login_epoch == epoch)
			slot->gen_stamp = stamp;
		ukey_unlock();
		ukey_debug("slot %lu: %lu token objects listed, %lu read", (unsigned long)slot->id, (unsigned long)n,
			   (unsigned long)nread);
	}
	for (CK_ULONG i = 0; fresh && i < n; i++)
		ukey_object_free(fresh[i]);
	free(fresh);
	free(refs);
	return rv;
}
