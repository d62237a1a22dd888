/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* C_UnwrapKey with CKM_UKEY_ENVELOPED_KEY_PAIR: a new encryption key pair,
 * sealed by its issuer to the token's new signing key, is opened on the
 * device by the driver. Here: the session, key, mechanism and template
 * checks, then the two new objects enter the cache as generated ones do
 * (write.c), and the token's generation moves so other processes reload.
 * What an envelope looks like, its length included, is the driver's that
 * implements the format (drivers/driver.h, unwrap_key_pair). */
#include "config.h"

#include <string.h>

#include "token/backend.h"
#include "token/generation.h"
#include "token/inventory.h"
#include "token/model.h"
#include "token/object.h"
#include "token/pass.h"
#include "token/session.h"
#include "token/slot.h"
#include "token/token.h"
#include "token/unwrap.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

static const CK_ATTRIBUTE *find_attr(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

/* CK_BBOOL of a template attribute: dflt when absent, -1 when malformed. */
static int tmpl_bool(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, int dflt)
{
	const CK_ATTRIBUTE *a = find_attr(t, n, type);
	if (!a)
		return dflt;
	if (!a->pValue || a->ulValueLen != sizeof(CK_BBOOL))
		return -1;
	return *(const CK_BBOOL *)a->pValue ? 1 : 0;
}

static CK_RV tmpl_ulong(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, CK_ULONG *v, bool *present)
{
	const CK_ATTRIBUTE *a = find_attr(t, n, type);
	*present = a != NULL;
	if (!a)
		return CKR_OK;
	if (!a->pValue || a->ulValueLen != sizeof(CK_ULONG))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(v, a->pValue, sizeof(*v));
	return CKR_OK;
}

/* The format named by the mechanism parameter. */
static CK_RV mech_format(const CK_MECHANISM *mech, CK_ULONG *format)
{
	if (mech->mechanism != CKM_UKEY_ENVELOPED_KEY_PAIR)
		return CKR_MECHANISM_INVALID;
	if (!mech->pParameter || mech->ulParameterLen != sizeof(CK_ULONG))
		return CKR_MECHANISM_PARAM_INVALID;
	memcpy(format, mech->pParameter, sizeof(*format));
	if (*format != UKEY_ENVELOPE_SM2_V1 && *format != UKEY_ENVELOPE_RSA_OAEP_AES_V1 &&
	    *format != UKEY_ENVELOPE_ECDH_AES_V1 && *format != UKEY_ENVELOPE_SKF_RSA_V1)
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

/* The key type a format seals to (its signing key) and imports: an RSA key
 * takes rsa-oaep-aes-v1 on a PKCS#11 backend, skf-rsa-envelope-v1 on SKF. */
static CK_KEY_TYPE format_key_type(CK_ULONG format)
{
	return format == UKEY_ENVELOPE_SM2_V1 ? CKK_SM2 : format == UKEY_ENVELOPE_ECDH_AES_V1 ? CKK_EC : CKK_RSA;
}

/* Whether the slot's backend imports format (mech.c's unwrap_offered() is
 * the union of these): a format it does not gives CKR_MECHANISM_PARAM_INVALID
 * before the envelope is looked at, so a caller can ask which format a key
 * takes with an empty envelope (CKR_WRAPPED_KEY_LEN_RANGE: this one). */
bool ukey_unwrap_format_offered(const struct ukey_slot *slot, CK_ULONG format)
{
	if (!ukey_be_unwrap_format(slot, format))
		return false;
	switch (format) {
	case UKEY_ENVELOPE_SM2_V1:
		return ukey_slot_backend_has(slot, CKM_SM2_ENCRYPT);
	case UKEY_ENVELOPE_RSA_OAEP_AES_V1:
		return ukey_slot_backend_has(slot, CKM_AES_KEY_WRAP_PAD) && ukey_slot_backend_has(slot, CKM_RSA_PKCS_OAEP);
	case UKEY_ENVELOPE_ECDH_AES_V1:
		return ukey_slot_backend_has(slot, CKM_AES_KEY_WRAP_PAD) && ukey_slot_backend_has(slot, CKM_ECDH1_DERIVE);
	default: /* skf-rsa-envelope-v1: the device's RSA capability (docs/skf.md) */
		return ukey_slot_backend_has(slot, CKM_RSA_PKCS);
	}
}

/* The private-key template: a token private key of the format's type that
 * never leaves the device (the plaintext key exists only inside it). An
 * ecdh-aes-v1 key must be allowed to derive: the driver proves the pair
 * with one ECDH (drivers/p11-unwrap.c), and agreeing is what it is for. */
static CK_RV template_check(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ULONG format)
{
	CK_ULONG cls = 0, kt = 0;
	bool has_cls, has_kt;
	CK_RV rv = tmpl_ulong(t, n, CKA_CLASS, &cls, &has_cls);
	if (rv == CKR_OK)
		rv = tmpl_ulong(t, n, CKA_KEY_TYPE, &kt, &has_kt);
	if (rv != CKR_OK)
		return rv;
	int token = tmpl_bool(t, n, CKA_TOKEN, 0), sens = tmpl_bool(t, n, CKA_SENSITIVE, 1);
	int extr = tmpl_bool(t, n, CKA_EXTRACTABLE, 0), priv = tmpl_bool(t, n, CKA_PRIVATE, 1);
	int derive = tmpl_bool(t, n, CKA_DERIVE, 1);
	if (token < 0 || sens < 0 || extr < 0 || priv < 0 || derive < 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (!has_cls || cls != CKO_PRIVATE_KEY || token != 1)
		return CKR_TEMPLATE_INCONSISTENT;
	if (has_kt && kt != format_key_type(format))
		return CKR_TEMPLATE_INCONSISTENT;
	if (sens != 1 || extr != 0 || priv != 1)
		return CKR_TEMPLATE_INCONSISTENT;
	if (format == UKEY_ENVELOPE_ECDH_AES_V1 && derive != 1)
		return CKR_TEMPLATE_INCONSISTENT;
	return CKR_OK;
}

/* The session may write token objects as the user. */
static CK_RV session_check(CK_SESSION_HANDLE h)
{
	struct ukey_session *s;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK && !(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	if (rv == CKR_OK && s->slot->login != CKU_USER)
		rv = CKR_USER_NOT_LOGGED_IN;
	ukey_unlock();
	return rv;
}

/* The unwrapping key: a private key on this token, of the format's type. */
static CK_RV unwrapping_key_get(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE kh, CK_ULONG format, struct ukey_key *key)
{
	CK_RV rv = ukey_key_get(h, kh, key);
	if (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_UNWRAPPING_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	if (!key->on_token)
		return CKR_UNWRAPPING_KEY_HANDLE_INVALID;
	if (key->cls != CKO_PRIVATE_KEY || key->key_type != format_key_type(format))
		return CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
	if (!ukey_be_can(key->slot, UKEY_BE_UNWRAP_PAIR))
		return CKR_MECHANISM_INVALID;
	if (!ukey_unwrap_format_offered(key->slot, format))
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

/* The cached token object of ref, if any. */
static struct ukey_object *cached_inlock(struct ukey_slot *slot, ukey_ref ref)
{
	for (CK_ULONG i = 0; i < slot->nobjects; i++)
		if (slot->objects[i]->on_token && !slot->objects[i]->standin && slot->objects[i]->ref == ref)
			return slot->objects[i];
	return NULL;
}

/* Reads a new token object back and adds it to the cache. A driver may
 * answer with objects that exist already (SKF: the same pair imported
 * again): those keep their handle. */
static CK_RV adopt_unlocked(struct ukey_slot *slot, ukey_ref ref, CK_OBJECT_HANDLE *out)
{
	struct ukey_object *obj, *old;
	CK_RV rv = ukey_object_fetch_unlocked(slot, ref, &obj);
	if (rv != CKR_OK)
		return rv;
	ukey_lock();
	old = cached_inlock(slot, ref);
	if (old) {
		*out = old->handle;
		ukey_unlock();
		ukey_object_free(obj);
		return CKR_OK;
	}
	rv = ukey_inventory_add_inlock(slot, obj);
	if (rv == CKR_OK)
		*out = obj->handle;
	ukey_unlock();
	if (rv != CKR_OK)
		ukey_object_free(obj);
	return rv;
}

CK_RV ukey_unwrap_key(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE unwrapping_key,
		      const CK_BYTE *env, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
		      CK_OBJECT_HANDLE *out)
{
	struct ukey_key key = { 0 };
	struct ukey_slot *slot;
	CK_OBJECT_HANDLE pub_handle = CK_INVALID_HANDLE;
	ukey_ref pub_ref = 0, priv_ref = 0;
	CK_ULONG format = 0;
	CK_RV rv;

	/* Every other mechanism is the backend's own (pass.h). */
	if (mech->mechanism != CKM_UKEY_ENVELOPED_KEY_PAIR)
		return ukey_pass_unwrap(h, mech, unwrapping_key, env, len, tmpl, n, out);
	rv = session_check(h);
	if (rv == CKR_OK)
		rv = mech_format(mech, &format);
	if (rv == CKR_OK)
		rv = unwrapping_key_get(h, unwrapping_key, format, &key);
	if (rv == CKR_OK)
		rv = template_check(tmpl, n, format);
	if (rv != CKR_OK)
		goto out;
	slot = key.slot;
	/* The driver checks the envelope's length before anything else. */
	rv = ukey_be_unwrap_key_pair(slot, key.ref, format, env, len, tmpl, n, &pub_ref, &priv_ref);
	if (rv != CKR_OK) {
		ukey_info("slot %lu: enveloped key pair (format %lu) refused: 0x%08lx", (unsigned long)slot->id,
			  (unsigned long)format, (unsigned long)rv);
		goto out;
	}
	rv = adopt_unlocked(slot, pub_ref, &pub_handle);
	if (rv == CKR_OK)
		rv = adopt_unlocked(slot, priv_ref, out);
	ukey_generation_note_write_unlocked(slot);
	ukey_info("slot %lu: enveloped key pair (format %lu) imported: 0x%08lx", (unsigned long)slot->id,
		  (unsigned long)format, (unsigned long)rv);
out:
	ukey_key_clear(&key);
	return rv;
}
