/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* attr.c: the cached attributes of one object. */
#ifndef UKEY_TOKEN_ATTR_H
#define UKEY_TOKEN_ATTR_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

struct ukey_object;
struct ukey_attr;

/* The cached attribute, or NULL when not cached (never asked). A cached
 * attribute may still be sensitive or invalid: check len. */
const struct ukey_attr *ukey_object_attr(const struct ukey_object *obj, CK_ATTRIBUTE_TYPE type);
/* Value of a cached CK_BBOOL / CK_ULONG attribute, or dflt when absent. */
bool ukey_object_bool(const struct ukey_object *obj, CK_ATTRIBUTE_TYPE type, bool dflt);
CK_ULONG ukey_object_ulong(const struct ukey_object *obj, CK_ATTRIBUTE_TYPE type, CK_ULONG dflt);
/* Stores (replaces) a value; len CK_UNAVAILABLE_INFORMATION stores a marker. */
CK_RV ukey_object_attr_set(struct ukey_object *obj, CK_ATTRIBUTE_TYPE type, const void *value,
			   CK_ULONG len, bool sensitive);

#endif
