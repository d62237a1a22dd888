/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Changes to the token made through the module: create, destroy, set
 * attributes, generate key pairs. Each goes to the driver first, then the
 * cache is updated and the token's generation bumped so that other
 * processes reload (inventory.c explains the rule). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "token/attr.h"
#include "token/backend.h"
#include "token/crypto.h"
#include "token/generation.h"
#include "token/handles.h"
#include "token/inventory.h"
#include "token/model.h"
#include "token/object.h"
#include "token/objrules.h"
#include "token/pass.h"
#include "token/session.h"
#include "token/slot.h"
#include "token/token.h"
#include "util/log.h"

static const CK_ATTRIBUTE *tmpl_find(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

/* CK_BBOOL value of a template attribute, dflt when absent; -1 if malformed. */
static int tmpl_bool(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, int dflt)
{
	const CK_ATTRIBUTE *a = tmpl_find(t, n, type);
	if (!a)
		return dflt;
	if (a->ulValueLen != sizeof(CK_BBOOL) || !a->pValue)
		return -1;
	return *(const CK_BBOOL *)a->pValue ? 1 : 0;
}

/* Session checks shared by writes: the slot, read-write for token objects,
 * user login for private ones. */
static CK_RV write_access(CK_SESSION_HANDLE h, bool on_token, bool priv, struct ukey_slot **slot)
{
	struct ukey_session *s;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && on_token && !(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	if (rv == CKR_OK && priv && s->slot->login != CKU_USER)
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK)
		*slot = s->slot;
	ukey_unlock();
	return rv;
}

/* Adds a new object to the inventory and hands out its handle; frees it
 * when that fails. */
static CK_RV adopt_object_unlocked(struct ukey_slot *slot, struct ukey_object *obj, CK_OBJECT_HANDLE *out)
{
	ukey_lock();
	CK_RV rv = ukey_inventory_add_inlock(slot, obj);
	if (rv == CKR_OK)
		*out = obj->handle;
	ukey_unlock();
	if (rv != CKR_OK)
		ukey_object_free(obj);
	return rv;
}

/* A session object lives in our memory only: cert, data or public key. */
static CK_RV create_session_object(CK_SESSION_HANDLE h, struct ukey_slot *slot, const CK_ATTRIBUTE *tmpl,
				   CK_ULONG n, CK_OBJECT_CLASS cls, bool priv, CK_OBJECT_HANDLE *out)
{
	CK_RV rv = CKR_OK;
	if (cls != CKO_CERTIFICATE && cls != CKO_DATA && cls != CKO_PUBLIC_KEY)
		return CKR_TEMPLATE_INCONSISTENT;
	struct ukey_object *obj = calloc(1, sizeof(*obj));
	if (!obj)
		return CKR_HOST_MEMORY;
	obj->slot = slot;
	obj->cls = cls;
	obj->session = h;
	obj->is_private = priv;
	for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++)
		rv = ukey_object_attr_set(obj, tmpl[i].type, tmpl[i].pValue, tmpl[i].ulValueLen, false);
	if (rv == CKR_OK)
		rv = ukey_session_object_defaults(obj);
	if (rv != CKR_OK) {
		ukey_object_free(obj);
		return rv;
	}
	return adopt_object_unlocked(slot, obj, out);
}

/* Reads a new token object back and adds it to the cache. */
static CK_RV adopt_unlocked(struct ukey_slot *slot, ukey_ref ref, CK_OBJECT_HANDLE *out)
{
	struct ukey_object *obj;
	CK_RV rv = ukey_object_fetch_unlocked(slot, ref, &obj);
	if (rv != CKR_OK)
		return rv;
	return adopt_object_unlocked(slot, obj, out);
}

CK_RV ukey_object_create(CK_SESSION_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	const CK_ATTRIBUTE *c = tmpl_find(tmpl, n, CKA_CLASS);
	int on_token = tmpl_bool(tmpl, n, CKA_TOKEN, 0);
	int priv = tmpl_bool(tmpl, n, CKA_PRIVATE, 0);
	struct ukey_slot *slot = NULL;
	CK_OBJECT_CLASS cls;
	ukey_ref ref;
	CK_RV rv;

	if (!c)
		return CKR_TEMPLATE_INCOMPLETE;
	if (c->ulValueLen != sizeof(cls) || !c->pValue || on_token < 0 || priv < 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(&cls, c->pValue, sizeof(cls));
	rv = write_access(h, on_token, priv, &slot);
	if (rv != CKR_OK)
		return rv;
	/* A secret key's value belongs in the backend, never in our memory. */
	if (!on_token && cls == CKO_SECRET_KEY)
		return ukey_pass_create_session(h, slot, tmpl, n, out);
	if (!on_token)
		return create_session_object(h, slot, tmpl, n, cls, priv, out);
	/* The driver places the object by what the token holds (skf: the
	 * container of a certificate's CKA_ID): as another process left it. */
	rv = ukey_inventory_current_unlocked(slot, false);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_be_create(slot, tmpl, n, &ref);
	if (rv != CKR_OK)
		return rv;
	rv = adopt_unlocked(slot, ref, out);
	ukey_generation_note_write_unlocked(slot);
	ukey_debug("slot %lu: created object class 0x%lx: 0x%08lx", (unsigned long)slot->id, (unsigned long)cls,
		   (unsigned long)rv);
	return rv;
}

/* Looks the object up and checks the session may change it (with tmpl:
 * set it so). *backend: the backend holds it (ref valid); *on_token: a
 * token object. */
static CK_RV writable_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			     struct ukey_slot **slot, ukey_ref *ref, bool *backend, bool *on_token)
{
	struct ukey_session *s;
	struct ukey_object *obj;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK)
		rv = ukey_object_find_inlock(s, oh, &obj);
	if (rv == CKR_OK && obj->cls == CKO_PROFILE)
		rv = CKR_ACTION_PROHIBITED;
	if (rv == CKR_OK && obj->on_token && !(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	if (rv == CKR_OK && tmpl)
		rv = ukey_object_set_check_inlock(obj, tmpl, n);
	if (rv == CKR_OK) {
		*slot = obj->slot;
		*ref = obj->ref;
		*on_token = obj->on_token;
		*backend = obj->on_token || obj->in_backend || obj->held;
	}
	ukey_unlock();
	return rv;
}

CK_RV ukey_object_destroy(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh)
{
	struct ukey_slot *slot;
	ukey_ref ref;
	bool on_token, backend;
	CK_RV rv = writable_object(h, oh, NULL, 0, &slot, &ref, &backend, &on_token);
	if (rv != CKR_OK)
		return rv;
	if (backend) {
		rv = ukey_be_destroy(slot, ref);
		if (rv != CKR_OK)
			return rv;
	}
	ukey_lock();
	struct ukey_object *obj = ukey_handle_get_inlock(oh, UKEY_HANDLE_OBJECT);
	if (obj)
		ukey_inventory_remove_inlock(slot, obj);
	ukey_unlock();
	if (!on_token)
		return CKR_OK;
	ukey_generation_note_write_unlocked(slot);
	/* A device may take more with it than the one object (SKF: the
	 * signing private key's container, with its certificates and public
	 * keys): list the token again rather than guess (what is still there
	 * is not read again). */
	rv = ukey_inventory_reload_unlocked(slot, false);
	if (rv != CKR_OK)
		ukey_warn("slot %lu: re-reading objects after a destroy: 0x%08lx", (unsigned long)slot->id,
			  (unsigned long)rv);
	return CKR_OK;
}

CK_RV ukey_object_set_attrs(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	struct ukey_slot *slot;
	ukey_ref ref;
	bool on_token, backend;
	CK_RV rv = writable_object(h, oh, tmpl, n, &slot, &ref, &backend, &on_token);
	if (rv != CKR_OK)
		return rv;
	if (backend) {
		rv = ukey_be_set_attrs(slot, ref, tmpl, n);
		if (rv != CKR_OK)
			return rv;
	}
	ukey_lock();
	struct ukey_object *obj = ukey_handle_get_inlock(oh, UKEY_HANDLE_OBJECT);
	for (CK_ULONG i = 0; obj && rv == CKR_OK && i < n; i++)
		if (!ukey_attr_is_secret(obj->cls, tmpl[i].type))
			rv = ukey_object_attr_set(obj, tmpl[i].type, tmpl[i].pValue, tmpl[i].ulValueLen, false);
	if (obj) {
		/* Key attributes may have changed: rebuild on next use. */
		EVP_PKEY_free(obj->pub);
		obj->pub = NULL;
		obj->pub_tried = false;
		obj->key_bits = 0;
	}
	ukey_unlock();
	if (on_token)
		ukey_generation_note_write_unlocked(slot);
	return rv;
}

/* The template with CKA_TOKEN = TRUE added when the caller left it out
 * (PKCS#11's default is a session object, which we do not make on devices).
 * *copy receives what the caller frees. */
static const CK_ATTRIBUTE *on_token_template(const CK_ATTRIBUTE *t, CK_ULONG *n, CK_ATTRIBUTE **copy)
{
	static CK_BBOOL yes = CK_TRUE;
	*copy = NULL;
	if (tmpl_find(t, *n, CKA_TOKEN))
		return t;
	*copy = calloc(*n + 1, sizeof(**copy));
	if (!*copy)
		return NULL;
	if (*n)
		memcpy(*copy, t, *n * sizeof(**copy));
	(*copy)[*n] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	(*n)++;
	return *copy;
}

/* A new session key the backend holds: read back like a token object,
 * owned by session h (session.c destroys it when h closes). */
static CK_RV adopt_session_key_unlocked(CK_SESSION_HANDLE h, struct ukey_slot *slot, ukey_ref ref,
					CK_OBJECT_HANDLE *out)
{
	struct ukey_object *obj;
	CK_RV rv = ukey_object_fetch_unlocked(slot, ref, &obj);
	if (rv != CKR_OK)
		return rv;
	obj->on_token = false;
	obj->in_backend = true;
	obj->session = h;
	return adopt_object_unlocked(slot, obj, out);
}

CK_RV ukey_generate_key_pair(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, const CK_ATTRIBUTE *pub,
			     CK_ULONG npub, const CK_ATTRIBUTE *priv, CK_ULONG npriv,
			     CK_OBJECT_HANDLE *pub_out, CK_OBJECT_HANDLE *priv_out)
{
	struct ukey_slot *slot = NULL;
	ukey_ref pub_ref, priv_ref;
	const struct ukey_mech *m = ukey_mech_lookup(mech->mechanism);
	if (!m || !(m->flags & CKF_GENERATE_KEY_PAIR))
		return CKR_MECHANISM_INVALID;
	/* Without CKA_TOKEN a pair goes on the device (a U-KEY's keys live
	 * there); CKA_TOKEN = FALSE on both makes a session pair, which a
	 * read-only session may make too (PKCS#11 2.40 section 5.7). */
	int pub_token = tmpl_bool(pub, npub, CKA_TOKEN, 1), on_token = tmpl_bool(priv, npriv, CKA_TOKEN, 1);
	if (pub_token != on_token)
		return CKR_TEMPLATE_INCONSISTENT;
	/* Login only for a private half (a private key is private unless its
	 * template says otherwise, as on SoftHSM). */
	bool private = tmpl_bool(priv, npriv, CKA_PRIVATE, 1) == 1 || tmpl_bool(pub, npub, CKA_PRIVATE, 0) == 1;
	CK_RV rv = write_access(h, on_token, private, &slot);
	if (rv != CKR_OK)
		return rv;
	if (!ukey_slot_backend_has(slot, m->backend))
		return CKR_MECHANISM_INVALID;
	if (!on_token && !ukey_be_can(slot, UKEY_BE_SESSION_KEYS))
		return CKR_TEMPLATE_INCONSISTENT;
	CK_ATTRIBUTE *pub_copy, *priv_copy;
	rv = ukey_inventory_current_unlocked(slot, false);
	if (rv != CKR_OK)
		return rv;
	pub = on_token_template(pub, &npub, &pub_copy);
	priv = on_token_template(priv, &npriv, &priv_copy);
	rv = pub && priv ? ukey_be_generate_key_pair(slot, mech, pub, npub, priv, npriv, &pub_ref, &priv_ref)
			 : CKR_HOST_MEMORY;
	free(pub_copy);
	free(priv_copy);
	if (rv != CKR_OK)
		return rv;
	if (!on_token) {
		rv = adopt_session_key_unlocked(h, slot, pub_ref, pub_out);
		if (rv == CKR_OK)
			rv = adopt_session_key_unlocked(h, slot, priv_ref, priv_out);
		return rv;
	}
	rv = adopt_unlocked(slot, pub_ref, pub_out);
	if (rv == CKR_OK)
		rv = adopt_unlocked(slot, priv_ref, priv_out);
	ukey_generation_note_write_unlocked(slot);
	ukey_info("slot %lu: key pair generated (mechanism 0x%lx): 0x%08lx", (unsigned long)slot->id,
		  (unsigned long)mech->mechanism, (unsigned long)rv);
	return rv;
}

CK_RV ukey_generate_random(CK_SESSION_HANDLE h, CK_BYTE *out, CK_ULONG len)
{
	struct ukey_session *s;
	struct ukey_slot *slot = NULL;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK)
		slot = s->slot;
	ukey_unlock();
	if (rv != CKR_OK || len == 0)
		return rv;
	return ukey_be_random(slot, out, len);
}
