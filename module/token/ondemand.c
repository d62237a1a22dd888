/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Login on demand, in the PIN-dialog mode ([module] pin_prompt = pinentry).
 *
 * Browsers reach tokens through NSS, and NSS asks the browser for a
 * password before it calls C_Login, even on a token with a protected
 * authentication path: Chromium answers with its own bare dialog (in
 * headless mode, never), so the module's dialog, the one that says how many
 * tries are left, would never be seen. In this mode the token therefore
 * does not report CKF_LOGIN_REQUIRED, and the module logs in by itself, with
 * its dialog, at the moment a private key is first used.
 *
 * For that, each public key (visible without login) gets a stand-in private
 * key object with the same CKA_ID and public attributes, so consumers find
 * "the key of this certificate" without logging in (NSS marks user
 * certificates this way). The stand-in holds no key: C_SignInit or
 * C_DecryptInit on it runs the dialog and logs in (object.c,
 * ukey_key_get), and the login hands the stand-in's handle to the real
 * private key, so the consumer's handle keeps working. Logout brings the
 * stand-ins back. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "token/attr.h"
#include "token/handles.h"
#include "token/inventory.h"
#include "token/model.h"
#include "token/ondemand.h"

static const CK_ATTRIBUTE_TYPE copied[] = {
	CKA_ID, CKA_LABEL, CKA_KEY_TYPE, CKA_SUBJECT, CKA_MODULUS, CKA_MODULUS_BITS, CKA_PUBLIC_EXPONENT,
	CKA_EC_PARAMS, CKA_EC_POINT, CKA_START_DATE, CKA_END_DATE,
};

static bool same_id(const struct ukey_object *a, const struct ukey_object *b)
{
	const struct ukey_attr *x = ukey_object_attr(a, CKA_ID), *y = ukey_object_attr(b, CKA_ID);
	return x && y && x->len != CK_UNAVAILABLE_INFORMATION && x->len == y->len &&
	       (x->len == 0 || memcmp(x->value, y->value, x->len) == 0);
}

static struct ukey_object *private_with_id_inlock(struct ukey_slot *slot, const struct ukey_object *pub)
{
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		struct ukey_object *o = slot->objects[i];
		if (o->cls == CKO_PRIVATE_KEY && same_id(o, pub))
			return o;
	}
	return NULL;
}

static CK_RV set_bool(struct ukey_object *o, CK_ATTRIBUTE_TYPE t, bool v)
{
	CK_BBOOL b = v ? CK_TRUE : CK_FALSE;
	return ukey_object_attr_set(o, t, &b, sizeof(b), false);
}

static CK_RV add_standin_inlock(struct ukey_slot *slot, const struct ukey_object *pub)
{
	static const CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	struct ukey_object *o = calloc(1, sizeof(*o));
	CK_RV rv = o ? CKR_OK : CKR_HOST_MEMORY;
	if (rv != CKR_OK)
		return rv;
	o->slot = slot;
	o->cls = CKO_PRIVATE_KEY;
	o->standin = true;
	rv = ukey_object_attr_set(o, CKA_CLASS, &cls, sizeof(cls), false);
	for (size_t i = 0; rv == CKR_OK && i < sizeof(copied) / sizeof(copied[0]); i++) {
		const struct ukey_attr *a = ukey_object_attr(pub, copied[i]);
		if (a && a->len != CK_UNAVAILABLE_INFORMATION)
			rv = ukey_object_attr_set(o, copied[i], a->value, a->len, false);
	}
	if (rv == CKR_OK)
		rv = set_bool(o, CKA_TOKEN, true);
	if (rv == CKR_OK)
		rv = set_bool(o, CKA_PRIVATE, true);
	if (rv == CKR_OK)
		rv = set_bool(o, CKA_SIGN, ukey_object_bool(pub, CKA_VERIFY, false));
	if (rv == CKR_OK)
		rv = set_bool(o, CKA_DECRYPT, ukey_object_bool(pub, CKA_ENCRYPT, false));
	if (rv == CKR_OK)
		rv = set_bool(o, CKA_UNWRAP, ukey_object_bool(pub, CKA_WRAP, false));
	if (rv == CKR_OK)
		rv = set_bool(o, CKA_SENSITIVE, true);
	if (rv == CKR_OK)
		rv = set_bool(o, CKA_EXTRACTABLE, false);
	if (rv == CKR_OK)
		rv = set_bool(o, CKA_ALWAYS_AUTHENTICATE, false);
	if (rv == CKR_OK)
		rv = set_bool(o, CKA_MODIFIABLE, false);
	if (rv == CKR_OK)
		rv = ukey_inventory_add_inlock(slot, o);
	if (rv != CKR_OK)
		ukey_object_free(o);
	return rv;
}

static struct ukey_object *public_with_id_inlock(struct ukey_slot *slot, const struct ukey_object *s)
{
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		struct ukey_object *o = slot->objects[i];
		if (o->cls == CKO_PUBLIC_KEY && o->on_token && same_id(o, s))
			return o;
	}
	return NULL;
}

CK_RV ukey_standins_refresh_inlock(struct ukey_slot *slot)
{
	CK_RV rv = CKR_OK;
	CK_ULONG n, kept = 0;
	if (!ukey_pin_prompt_on() || slot->login == CKU_USER)
		return CKR_OK;
	/* Stand-ins keep their handles across reloads; those whose public key
	 * is gone go too. */
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		struct ukey_object *o = slot->objects[i];
		if (o->standin && !public_with_id_inlock(slot, o)) {
			ukey_handle_drop_inlock(o->handle);
			ukey_object_free(o);
		} else {
			slot->objects[kept++] = o;
		}
	}
	slot->nobjects = kept;
	n = slot->nobjects;
	for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++) {
		const struct ukey_object *pub = slot->objects[i];
		if (pub->cls == CKO_PUBLIC_KEY && pub->on_token && ukey_object_attr(pub, CKA_ID) &&
		    !private_with_id_inlock(slot, pub))
			rv = add_standin_inlock(slot, pub);
	}
	return rv;
}

void ukey_standins_adopt_inlock(struct ukey_slot *slot)
{
	CK_ULONG kept = 0;
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		struct ukey_object *s = slot->objects[i];
		struct ukey_object *real = NULL;
		if (!s->standin) {
			slot->objects[kept++] = s;
			continue;
		}
		for (CK_ULONG k = 0; k < slot->nobjects && !real; k++) {
			struct ukey_object *o = slot->objects[k];
			if (o->cls == CKO_PRIVATE_KEY && !o->standin && same_id(o, s))
				real = o;
		}
		if (real) {
			/* The consumer's handle now names the real key. */
			ukey_handle_drop_inlock(real->handle);
			real->handle = s->handle;
			ukey_handle_rebind_inlock(s->handle, real);
		} else {
			ukey_handle_drop_inlock(s->handle);
		}
		ukey_object_free(s);
	}
	slot->nobjects = kept;
}
