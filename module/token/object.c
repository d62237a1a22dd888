/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Objects seen through a session: attribute reads served from the
 * inventory cache, writes passed to the driver and then cached, and the key
 * snapshot that cryptographic operations run with. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ukey-pkcs11.h"

#include "token/attr.h"
#include "token/backend.h"
#include "token/handles.h"
#include "token/inventory.h"
#include "token/model.h"
#include "token/object.h"
#include "token/pkey.h"
#include "token/session.h"
#include "token/token.h"
#include "util/log.h"

CK_RV ukey_object_find_inlock(struct ukey_session *s, CK_OBJECT_HANDLE h, struct ukey_object **out)
{
	struct ukey_object *obj = ukey_handle_get_inlock(h, UKEY_HANDLE_OBJECT);
	if (!obj || obj->slot != s->slot)
		return CKR_OBJECT_HANDLE_INVALID;
	if (obj->is_private && s->slot->login != CKU_USER)
		return CKR_OBJECT_HANDLE_INVALID;
	*out = obj;
	return CKR_OK;
}

/* Session and object under the lock, or the right error. */
static CK_RV lookup_inlock(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, struct ukey_session **s,
			   struct ukey_object **obj)
{
	CK_RV rv = ukey_session_find_inlock(h, s);
	if (rv == CKR_OK)
		rv = ukey_object_find_inlock(*s, oh, obj);
	return rv;
}

/* Fills one template entry from a cached attribute; returns its CKR. */
static CK_RV serve(const struct ukey_attr *a, CK_ATTRIBUTE *t)
{
	if (a->len == CK_UNAVAILABLE_INFORMATION) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return a->sensitive ? CKR_ATTRIBUTE_SENSITIVE : CKR_ATTRIBUTE_TYPE_INVALID;
	}
	if (!t->pValue) {
		t->ulValueLen = a->len;
		return CKR_OK;
	}
	if (t->ulValueLen < a->len) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (a->len)
		memcpy(t->pValue, a->value, a->len);
	t->ulValueLen = a->len;
	return CKR_OK;
}

CK_RV ukey_object_fetch_attr_unlocked(struct ukey_slot *slot, ukey_ref ref, CK_OBJECT_CLASS cls,
				    CK_OBJECT_HANDLE oh, CK_ATTRIBUTE *t)
{
	CK_ATTRIBUTE probe = { t->type, NULL, 0 };
	CK_RV rv = ukey_be_get_value(slot, ref, &probe, CK_UNAVAILABLE_INFORMATION);
	unsigned char *value = probe.pValue;
	if (rv == CKR_OK || rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID) {
		bool secret = ukey_attr_is_secret(cls, t->type);
		CK_ULONG len = rv == CKR_OK ? probe.ulValueLen : CK_UNAVAILABLE_INFORMATION;
		struct ukey_attr tmp = { t->type, len, rv == CKR_ATTRIBUTE_SENSITIVE, value };
		CK_RV srv = serve(&tmp, t);
		if (!secret || rv != CKR_OK) {
			ukey_lock();
			struct ukey_object *obj = ukey_handle_get_inlock(oh, UKEY_HANDLE_OBJECT);
			if (obj && obj->ref == ref)
				ukey_object_attr_set(obj, t->type, value, len, rv == CKR_ATTRIBUTE_SENSITIVE);
			ukey_unlock();
		}
		rv = srv;
	}
	if (value)
		OPENSSL_cleanse(value, probe.ulValueLen);
	free(value);
	return rv;
}

CK_RV ukey_object_get_attrs(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	struct ukey_session *s;
	struct ukey_object *obj;
	CK_RV rv, result = CKR_OK;
	CK_ULONG nmiss = 0;
	CK_ULONG *miss = NULL;
	struct ukey_slot *slot = NULL;
	ukey_ref ref = 0;
	CK_OBJECT_CLASS cls = 0;

	ukey_lock();
	rv = lookup_inlock(h, oh, &s, &obj);
	if (rv != CKR_OK)
		goto out_locked;
	for (CK_ULONG i = 0; i < n; i++) {
		const struct ukey_attr *a = ukey_object_attr(obj, tmpl[i].type);
		CK_RV arv;
		if (a) {
			arv = serve(a, &tmpl[i]);
		} else if (!obj->on_token && !obj->in_backend && !obj->held) {
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			arv = CKR_ATTRIBUTE_TYPE_INVALID;
		} else {
			if (!miss && !(miss = calloc(n, sizeof(*miss)))) {
				rv = CKR_HOST_MEMORY;
				goto out_locked;
			}
			miss[nmiss++] = i;
			continue;
		}
		if (arv != CKR_OK)
			result = arv;
	}
	slot = obj->slot;
	ref = obj->ref;
	cls = obj->cls;
out_locked:
	ukey_unlock();
	for (CK_ULONG k = 0; rv == CKR_OK && k < nmiss; k++) {
		CK_RV arv = ukey_object_fetch_attr_unlocked(slot, ref, cls, oh, &tmpl[miss[k]]);
		if (arv == CKR_ATTRIBUTE_SENSITIVE || arv == CKR_ATTRIBUTE_TYPE_INVALID || arv == CKR_BUFFER_TOO_SMALL)
			result = arv;
		else if (arv != CKR_OK)
			rv = arv;
	}
	free(miss);
	return rv != CKR_OK ? rv : result;
}

CK_RV ukey_object_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, CK_ULONG *size)
{
	struct ukey_session *s;
	struct ukey_object *obj;
	ukey_lock();
	CK_RV rv = lookup_inlock(h, oh, &s, &obj);
	if (rv == CKR_OK) {
		/* The token's own storage size is not known: report what the
		 * cached attribute values take. */
		CK_ULONG total = 0;
		for (CK_ULONG i = 0; i < obj->nattrs; i++)
			if (obj->attrs[i].len != CK_UNAVAILABLE_INFORMATION)
				total += obj->attrs[i].len;
		*size = total;
	}
	ukey_unlock();
	return rv;
}

static CK_RV key_get_once(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key, struct ukey_key *out, bool *standin)
{
	struct ukey_session *s;
	struct ukey_object *obj;
	memset(out, 0, sizeof(*out));
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK) {
		rv = ukey_object_find_inlock(s, key, &obj);
		if (rv == CKR_OBJECT_HANDLE_INVALID)
			rv = CKR_KEY_HANDLE_INVALID;
	}
	if (rv == CKR_OK && obj->standin) {
		*standin = true;
		rv = CKR_USER_NOT_LOGGED_IN;
	}
	if (rv != CKR_OK)
		goto out;
	out->cls = obj->cls;
	if (obj->cls != CKO_PUBLIC_KEY && obj->cls != CKO_PRIVATE_KEY) {
		/* A secret key is a key, just not one these mechanisms take. */
		rv = obj->cls == CKO_SECRET_KEY ? CKR_KEY_TYPE_INCONSISTENT : CKR_KEY_HANDLE_INVALID;
		goto out;
	}
	/* Built once per object: a sign init must not pay for OpenSSL key or
	 * curve construction (design: the hot path stays cheap). */
	if (!obj->pub_tried) {
		obj->pub = ukey_pkey_from_object(obj);
		obj->pub_tried = true;
	}
	if (obj->pub && EVP_PKEY_up_ref(obj->pub))
		out->pub = obj->pub;
	out->slot = obj->slot;
	out->ref = obj->ref;
	out->on_token = obj->on_token;
	out->key_type = ukey_object_ulong(obj, CKA_KEY_TYPE, (CK_ULONG)-1);
	out->can_sign = ukey_object_bool(obj, CKA_SIGN, false);
	out->can_verify = ukey_object_bool(obj, CKA_VERIFY, false);
	out->can_encrypt = ukey_object_bool(obj, CKA_ENCRYPT, false);
	out->can_decrypt = ukey_object_bool(obj, CKA_DECRYPT, false);
	if (!obj->key_bits && out->key_type == CKK_RSA) {
		const struct ukey_attr *m = ukey_object_attr(obj, CKA_MODULUS);
		obj->key_bits = m && m->len != CK_UNAVAILABLE_INFORMATION ? m->len * 8 : 0;
	} else if (!obj->key_bits && (out->key_type == CKK_EC || out->key_type == CKK_SM2)) {
		const struct ukey_attr *p = ukey_object_attr(obj, CKA_EC_PARAMS);
		if (p && p->len != CK_UNAVAILABLE_INFORMATION)
			obj->key_bits = ukey_pkey_ec_field_bits(p->value, p->len);
	}
	out->bits = obj->key_bits;
out:
	ukey_unlock();
	return rv;
}

CK_RV ukey_key_get(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key, struct ukey_key *out)
{
	bool standin = false;
	CK_RV rv = key_get_once(h, key, out, &standin);
	if (!standin)
		return rv;
	/* First use of a private key in the PIN-dialog mode: log in with the
	 * dialog (ondemand.c), which gives this handle to the real key. One
	 * dialog, no retry: a cancel or a wrong PIN ends the operation. */
	rv = ukey_login(h, CKU_USER, NULL, 0);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return rv;
	standin = false;
	rv = key_get_once(h, key, out, &standin);
	return standin ? CKR_USER_NOT_LOGGED_IN : rv;
}

void ukey_key_clear(struct ukey_key *key)
{
	EVP_PKEY_free(key->pub);
	memset(key, 0, sizeof(*key));
}
