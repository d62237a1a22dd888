/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cached attribute array of one object: lookup and update. Values are
 * copies owned by the object; secret values are never stored (object.c
 * decides what is cached). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "token/attr.h"
#include "token/model.h"

const struct ukey_attr *ukey_object_attr(const struct ukey_object *obj, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < obj->nattrs; i++)
		if (obj->attrs[i].type == type)
			return &obj->attrs[i];
	return NULL;
}

bool ukey_object_bool(const struct ukey_object *obj, CK_ATTRIBUTE_TYPE type, bool dflt)
{
	const struct ukey_attr *a = ukey_object_attr(obj, type);
	if (!a || a->len != sizeof(CK_BBOOL))
		return dflt;
	return *(const CK_BBOOL *)a->value != CK_FALSE;
}

CK_ULONG ukey_object_ulong(const struct ukey_object *obj, CK_ATTRIBUTE_TYPE type, CK_ULONG dflt)
{
	const struct ukey_attr *a = ukey_object_attr(obj, type);
	CK_ULONG v;
	if (!a || a->len != sizeof(CK_ULONG))
		return dflt;
	memcpy(&v, a->value, sizeof(v));
	return v;
}

CK_RV ukey_object_attr_set(struct ukey_object *obj, CK_ATTRIBUTE_TYPE type, const void *value,
			   CK_ULONG len, bool sensitive)
{
	struct ukey_attr *a = (struct ukey_attr *)ukey_object_attr(obj, type);
	unsigned char *copy = NULL;
	bool marker = len == CK_UNAVAILABLE_INFORMATION;
	if (!marker && len > 0) {
		copy = malloc(len);
		if (!copy)
			return CKR_HOST_MEMORY;
		memcpy(copy, value, len);
	}
	if (!a) {
		struct ukey_attr *grown = realloc(obj->attrs, (obj->nattrs + 1) * sizeof(*grown));
		if (!grown) {
			free(copy);
			return CKR_HOST_MEMORY;
		}
		obj->attrs = grown;
		a = &obj->attrs[obj->nattrs++];
		a->type = type;
		a->value = NULL;
	}
	if (a->value) {
		OPENSSL_cleanse(a->value, a->len == CK_UNAVAILABLE_INFORMATION ? 0 : a->len);
		free(a->value);
	}
	a->value = copy;
	a->len = len;
	a->sensitive = marker && sensitive;
	return CKR_OK;
}
