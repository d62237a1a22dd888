/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Objects the backend makes for the pass-through (pass.h): C_GenerateKey,
 * C_CopyObject, C_WrapKey, C_UnwrapKey with a backend mechanism, and
 * session secret keys from C_CreateObject. A token object is made on the
 * device and cached as write.c caches its objects; a session object is
 * made in the session's holder (a backend context that dies with the
 * session) and cached as a held object, visible to this application only.
 * Either way the cache never holds a secret key's value (inventory.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "token/attr.h"
#include "token/backend.h"
#include "token/generation.h"
#include "token/inventory.h"
#include "token/model.h"
#include "token/object.h"
#include "token/pass.h"
#include "token/session.h"
#include "token/token.h"
#include "util/log.h"

/* CK_BBOOL of a template attribute: dflt when absent, -1 when malformed,
 * -2 when given twice with different values (the backend might take
 * either, and token-ness decides where the object goes). */
static int tmpl_flag(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, int dflt)
{
	int v = dflt;
	bool seen = false;
	for (CK_ULONG i = 0; i < n; i++) {
		if (t[i].type != type)
			continue;
		if (!t[i].pValue || t[i].ulValueLen != sizeof(CK_BBOOL))
			return -1;
		int x = *(const CK_BBOOL *)t[i].pValue ? 1 : 0;
		if (seen && x != v)
			return -2;
		v = x;
		seen = true;
	}
	return v;
}

static CK_RV flag_rv(int v)
{
	return v == -1 ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_TEMPLATE_INCONSISTENT;
}

/* A template goes to the backend as it is: one whose entry points nowhere
 * with a length could crash it (inside our host). */
static CK_RV tmpl_sane(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (!t[i].pValue && t[i].ulValueLen)
			return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

CK_RV ukey_pass_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, struct ukey_pass_key *k)
{
	struct ukey_session *s;
	struct ukey_object *obj;

	for (int round = 0;; round++) {
		bool standin = false;
		ukey_lock();
		CK_RV rv = ukey_session_find_inlock(h, &s);
		if (rv == CKR_OK)
			rv = ukey_object_find_inlock(s, oh, &obj);
		if (rv == CKR_OK && !(standin = obj->standin)) {
			k->slot = obj->slot;
			k->ref = obj->ref;
			k->cls = obj->cls;
			k->on_token = obj->on_token;
			k->backed = obj->on_token || obj->held;
		}
		ukey_unlock();
		if (rv != CKR_OK || !standin)
			return rv;
		if (round)
			return CKR_USER_NOT_LOGGED_IN;
		/* A stand-in (ondemand.c): log in as a key's first use does. */
		struct ukey_key tmp;
		rv = ukey_key_get(h, oh, &tmp);
		ukey_key_clear(&tmp);
		if (rv != CKR_OK)
			return rv;
	}
}

/* The session's slot, and whether it is read-write. */
static CK_RV session_slot(CK_SESSION_HANDLE h, struct ukey_slot **slot, bool *rw)
{
	struct ukey_session *s;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK) {
		*slot = s->slot;
		*rw = s->flags & CKF_RW_SESSION;
	}
	ukey_unlock();
	return rv;
}

/* The session's holder, opened on first use. */
static CK_RV session_holder(CK_SESSION_HANDLE h, struct ukey_slot *slot, ukey_ref *holder)
{
	struct ukey_session *s;
	ukey_ref fresh = UKEY_NO_HOLDER;
	CK_RV rv;

	ukey_lock();
	rv = ukey_session_find_inlock(h, &s);
	*holder = rv == CKR_OK ? s->holder : UKEY_NO_HOLDER;
	ukey_unlock();
	if (rv != CKR_OK || *holder != UKEY_NO_HOLDER)
		return rv;
	rv = ukey_be_holder_open(slot, &fresh);
	if (rv != CKR_OK)
		return rv;
	ukey_lock();
	rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && s->holder == UKEY_NO_HOLDER) {
		s->holder = fresh;
		fresh = UKEY_NO_HOLDER;
	}
	if (rv == CKR_OK)
		*holder = s->holder;
	/* Another thread was first, or the session closed meanwhile. */
	ukey_be_holder_close(slot, fresh);
	ukey_unlock();
	return rv;
}

void ukey_pass_session_end_inlock(struct ukey_session *s)
{
	/* (Not in a forked child, which drops the parent's state: backend.c.) */
	ukey_be_holder_close(s->slot, s->holder);
	s->holder = UKEY_NO_HOLDER;
}

/* Where a new object goes: a token object needs a read-write session, a
 * session object goes to the session's holder. */
static CK_RV target(CK_SESSION_HANDLE h, struct ukey_slot *slot, bool rw, bool on_token, ukey_ref *holder)
{
	*holder = UKEY_NO_HOLDER;
	if (on_token)
		return rw ? CKR_OK : CKR_SESSION_READ_ONLY;
	return session_holder(h, slot, holder);
}

/* A new object's template checks, then where it goes: a token object when
 * CKA_TOKEN says so (dflt when the template does not say), see target(). */
static CK_RV destination(CK_SESSION_HANDLE h, struct ukey_slot *slot, bool rw, const CK_ATTRIBUTE *tmpl,
			 CK_ULONG n, int dflt, int *tok, ukey_ref *holder)
{
	CK_RV rv = tmpl_sane(tmpl, n);

	if (rv != CKR_OK)
		return rv;
	*tok = tmpl_flag(tmpl, n, CKA_TOKEN, dflt);
	if (*tok < 0)
		return flag_rv(*tok);
	return target(h, slot, rw, *tok, holder);
}

/* Reads a new backend object into the cache and hands out its handle. */
static CK_RV adopt(CK_SESSION_HANDLE h, struct ukey_slot *slot, ukey_ref ref, bool on_token, CK_OBJECT_HANDLE *out)
{
	struct ukey_session *s;
	struct ukey_object *obj;
	CK_RV rv = ukey_object_fetch_unlocked(slot, ref, &obj);

	if (rv != CKR_OK)
		return rv;
	if (!on_token) {
		obj->on_token = false;
		obj->held = true;
		obj->session = h;
	}
	ukey_lock();
	/* A held object outliving its session would never be dropped (its
	 * backend side dies with the holder anyway). */
	rv = on_token ? CKR_OK : ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK)
		rv = ukey_inventory_add_inlock(slot, obj);
	if (rv == CKR_OK)
		*out = obj->handle;
	ukey_unlock();
	if (rv != CKR_OK)
		ukey_object_free(obj);
	if (on_token)
		ukey_generation_note_write_unlocked(slot);
	return rv;
}

CK_RV ukey_generate_key(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			CK_OBJECT_HANDLE *out)
{
	struct ukey_slot *slot;
	ukey_ref holder, ref = 0;
	bool rw;
	int tok;
	CK_RV rv = session_slot(h, &slot, &rw);

	if (rv != CKR_OK)
		return rv;
	if (!ukey_pass_offered(slot, mech->mechanism, CKF_GENERATE))
		return CKR_MECHANISM_INVALID;
	/* PKCS#11's default is a session object. */
	rv = destination(h, slot, rw, tmpl, n, 0, &tok, &holder);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_be_generate_key(slot, holder, mech, tmpl, n, &ref);
	if (rv == CKR_OK)
		rv = adopt(h, slot, ref, tok, out);
	ukey_info("slot %lu: secret key generated (mechanism 0x%lx, %s object): 0x%08lx", (unsigned long)slot->id,
		  (unsigned long)mech->mechanism, tok ? "token" : "session", (unsigned long)rv);
	return rv;
}

CK_RV ukey_pass_create_session(CK_SESSION_HANDLE h, struct ukey_slot *slot, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			       CK_OBJECT_HANDLE *out)
{
	ukey_ref holder, ref = 0;
	CK_RV rv;

	/* A backend without pass-through has no place for a secret key. */
	if (!ukey_be_can(slot, UKEY_BE_CREATE_IN))
		return CKR_TEMPLATE_INCONSISTENT;
	rv = tmpl_sane(tmpl, n);
	if (rv == CKR_OK)
		rv = session_holder(h, slot, &holder);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_be_create_in(slot, holder, tmpl, n, &ref);
	return rv == CKR_OK ? adopt(h, slot, ref, false, out) : rv;
}

/* Attributes a copy must keep (PKCS#11 lets a copy change only what may be
 * changed, plus CKA_TOKEN, CKA_PRIVATE, CKA_MODIFIABLE, CKA_DESTROYABLE). */
static bool fixed_on_copy(CK_ATTRIBUTE_TYPE type)
{
	switch (type) {
	case CKA_CLASS:
	case CKA_KEY_TYPE:
	case CKA_CERTIFICATE_TYPE:
	case CKA_VALUE:
	case CKA_MODULUS:
	case CKA_PUBLIC_EXPONENT:
	case CKA_EC_PARAMS:
	case CKA_EC_POINT:
	case CKA_LOCAL:
	case CKA_KEY_GEN_MECHANISM:
		return true;
	default:
		return false;
	}
}

static bool in_template(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == type)
			return true;
	return false;
}

/* CKA_COPYABLE FALSE (an SKF key cannot leave its container: the driver
 * says so) or a profile: CKR_ACTION_PROHIBITED, wherever the object lives. */
static bool copy_refused_inlock(const struct ukey_object *obj)
{
	return obj->cls == CKO_PROFILE || !ukey_object_bool(obj, CKA_COPYABLE, true);
}

static CK_RV copyable(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh)
{
	struct ukey_session *s;
	struct ukey_object *obj;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK)
		rv = ukey_object_find_inlock(s, oh, &obj);
	if (rv == CKR_OK && copy_refused_inlock(obj))
		rv = CKR_ACTION_PROHIBITED;
	ukey_unlock();
	return rv;
}

/* A copy of an object that lives in the module's memory only: the cached
 * attributes with the template's over them, made as C_CreateObject would
 * make it (token or session object alike). */
static CK_RV copy_in_memory(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			    CK_OBJECT_HANDLE *out)
{
	struct ukey_session *s;
	struct ukey_object *obj;
	CK_ATTRIBUTE *merged = NULL;
	CK_ULONG m = 0;
	CK_RV rv;

	for (CK_ULONG i = 0; i < n; i++)
		if (fixed_on_copy(tmpl[i].type))
			return CKR_ATTRIBUTE_READ_ONLY;
	ukey_lock();
	rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK)
		rv = ukey_object_find_inlock(s, oh, &obj);
	if (rv == CKR_OK && copy_refused_inlock(obj))
		rv = CKR_ACTION_PROHIBITED;
	if (rv == CKR_OK && !(merged = calloc(obj->nattrs + n + 1, sizeof(*merged))))
		rv = CKR_HOST_MEMORY;
	for (CK_ULONG i = 0; rv == CKR_OK && i < obj->nattrs; i++) {
		const struct ukey_attr *a = &obj->attrs[i];
		if (a->len == CK_UNAVAILABLE_INFORMATION || in_template(tmpl, n, a->type))
			continue;
		merged[m] = (CK_ATTRIBUTE){ a->type, NULL, a->len };
		if (a->len && !(merged[m].pValue = malloc(a->len)))
			rv = CKR_HOST_MEMORY;
		else if (a->len)
			memcpy(merged[m].pValue, a->value, a->len);
		m++;
	}
	ukey_unlock();
	if (rv == CKR_OK) {
		for (CK_ULONG i = 0; i < n; i++)
			merged[m + i] = tmpl[i];
		rv = ukey_object_create(h, merged, m + n, out);
	}
	for (CK_ULONG i = 0; merged && i < m; i++)
		free(merged[i].pValue);
	free(merged);
	return rv;
}

CK_RV ukey_copy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
		       CK_OBJECT_HANDLE *out)
{
	struct ukey_pass_key k;
	struct ukey_slot *slot;
	ukey_ref holder, ref = 0;
	bool rw;
	int tok;
	CK_RV rv = session_slot(h, &slot, &rw);

	if (rv == CKR_OK)
		rv = ukey_pass_object(h, oh, &k);
	if (rv == CKR_OK)
		rv = tmpl_sane(tmpl, n);
	if (rv == CKR_OK && (tok = tmpl_flag(tmpl, n, CKA_TOKEN, 0)) < 0)
		rv = flag_rv(tok);
	if (rv != CKR_OK)
		return rv;
	if (!k.backed)
		return copy_in_memory(h, oh, tmpl, n, out);
	if ((rv = copyable(h, oh)) != CKR_OK)
		return rv;
	if (!ukey_be_can(slot, UKEY_BE_COPY))
		return CKR_FUNCTION_NOT_SUPPORTED;
	/* Without CKA_TOKEN in the template the copy is what the original is. */
	rv = destination(h, slot, rw, tmpl, n, k.on_token, &tok, &holder);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_be_copy(slot, holder, k.ref, tmpl, n, &ref);
	if (rv == CKR_OK)
		rv = adopt(h, slot, ref, tok, out);
	ukey_debug("slot %lu: object copied (%s object): 0x%08lx", (unsigned long)slot->id, tok ? "token" : "session",
		   (unsigned long)rv);
	return rv;
}

/* What wrapping and unwrapping share: the session's slot, the mechanism
 * offered for fn, and the backend key behind kh (invalid_rv when there is
 * no such key, type_rv when the backend never saw it). */
static CK_RV wrap_prelude(CK_SESSION_HANDLE h, CK_MECHANISM_TYPE type, CK_FLAGS fn, CK_OBJECT_HANDLE kh,
			  CK_RV invalid_rv, CK_RV type_rv, struct ukey_slot **slot, bool *rw, struct ukey_pass_key *k)
{
	CK_RV rv = session_slot(h, slot, rw);

	if (rv != CKR_OK)
		return rv;
	if (!ukey_pass_offered(*slot, type, fn))
		return CKR_MECHANISM_INVALID;
	rv = ukey_pass_object(h, kh, k);
	if (rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_KEY_HANDLE_INVALID)
		return invalid_rv;
	if (rv == CKR_OK && !k->backed)
		return type_rv;
	return rv;
}

CK_RV ukey_wrap_key(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key,
		    CK_BYTE *out, CK_ULONG *outlen)
{
	struct ukey_pass_key wk, kk;
	struct ukey_slot *slot;
	bool rw;
	CK_RV rv = wrap_prelude(h, mech->mechanism, CKF_WRAP, wrapping, CKR_WRAPPING_KEY_HANDLE_INVALID,
				CKR_WRAPPING_KEY_TYPE_INCONSISTENT, &slot, &rw, &wk);

	if (rv != CKR_OK)
		return rv;
	rv = ukey_pass_object(h, key, &kk);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	if (!kk.backed)
		return CKR_KEY_NOT_WRAPPABLE;
	return ukey_be_wrap(slot, mech, wk.ref, kk.ref, out, outlen);
}

CK_RV ukey_pass_unwrap(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE unwrapping_key,
		       const CK_BYTE *in, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	struct ukey_pass_key uk;
	struct ukey_slot *slot;
	ukey_ref holder, ref = 0;
	bool rw;
	int tok;
	CK_RV rv = wrap_prelude(h, mech->mechanism, CKF_UNWRAP, unwrapping_key, CKR_UNWRAPPING_KEY_HANDLE_INVALID,
				CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, &slot, &rw, &uk);

	if (rv == CKR_OK)
		rv = destination(h, slot, rw, tmpl, n, 0, &tok, &holder);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_be_unwrap(slot, holder, mech, uk.ref, in, len, tmpl, n, &ref);
	/* SoftHSM says so when the wrapped bytes do not decrypt or unpad; it
	 * is the wrapped key that is wrong (as cipher.c maps it for decrypt). */
	if (rv == CKR_GENERAL_ERROR)
		rv = CKR_WRAPPED_KEY_INVALID;
	if (rv == CKR_OK)
		rv = adopt(h, slot, ref, tok, out);
	ukey_info("slot %lu: key unwrapped (mechanism 0x%lx, %s object): 0x%08lx", (unsigned long)slot->id,
		  (unsigned long)mech->mechanism, tok ? "token" : "session", (unsigned long)rv);
	return rv;
}
