/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What PKCS#11 says about an object's attributes after it is made: which
 * may change (the footnote-8 attributes of PKCS#11 2.40 section 4), that
 * CKA_MODIFIABLE = FALSE freezes an object, and that CKA_SENSITIVE and
 * CKA_EXTRACTABLE only ever latch towards safety. The backend enforces
 * this for its token objects; session objects live in our memory and get
 * the same rules (and the defaults a token would give them) here. */
#include "config.h"

#include <string.h>

#include "token/attr.h"
#include "token/model.h"
#include "token/objrules.h"

static bool in(CK_ATTRIBUTE_TYPE t, const CK_ATTRIBUTE_TYPE *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == t)
			return true;
	return false;
}

/* The attributes C_SetAttributeValue may change on a session object. */
static bool settable(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE t)
{
	static const CK_ATTRIBUTE_TYPE cert[] = { CKA_ID, CKA_ISSUER, CKA_SERIAL_NUMBER };
	static const CK_ATTRIBUTE_TYPE pub[] = { CKA_ID, CKA_START_DATE, CKA_END_DATE, CKA_DERIVE, CKA_SUBJECT,
						 CKA_ENCRYPT, CKA_VERIFY, CKA_VERIFY_RECOVER, CKA_WRAP };
	if (t == CKA_LABEL)
		return true;
	if (cls == CKO_CERTIFICATE)
		return in(t, cert, sizeof(cert) / sizeof(cert[0]));
	if (cls == CKO_PUBLIC_KEY)
		return in(t, pub, sizeof(pub) / sizeof(pub[0]));
	return false;
}

static int tmpl_bool(const CK_ATTRIBUTE *a)
{
	return a->ulValueLen == sizeof(CK_BBOOL) && a->pValue ? *(const CK_BBOOL *)a->pValue != CK_FALSE : -1;
}

CK_RV ukey_object_set_check_inlock(const struct ukey_object *obj, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	/* A key the backend says nothing about (SKF) never leaves it. */
	bool key = obj->cls == CKO_PRIVATE_KEY || obj->cls == CKO_SECRET_KEY;
	if (!ukey_object_bool(obj, CKA_MODIFIABLE, true))
		return CKR_ACTION_PROHIBITED;
	for (CK_ULONG i = 0; i < n; i++) {
		int b = tmpl_bool(&t[i]);
		/* Latching, whoever keeps the object. */
		if (t[i].type == CKA_SENSITIVE && b == 0 && ukey_object_bool(obj, CKA_SENSITIVE, key))
			return CKR_ATTRIBUTE_READ_ONLY;
		if (t[i].type == CKA_EXTRACTABLE && b == 1 && !ukey_object_bool(obj, CKA_EXTRACTABLE, !key))
			return CKR_ATTRIBUTE_READ_ONLY;
		if (t[i].type == CKA_CLASS)
			return CKR_ATTRIBUTE_READ_ONLY;
		if (obj->on_token || obj->in_backend || obj->held || settable(obj->cls, t[i].type))
			continue;
		return ukey_object_attr(obj, t[i].type) ? CKR_ATTRIBUTE_READ_ONLY : CKR_ATTRIBUTE_TYPE_INVALID;
	}
	return CKR_OK;
}

CK_RV ukey_session_object_defaults(struct ukey_object *obj)
{
	static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static const CK_ULONG zero = 0;
	static const struct {
		CK_OBJECT_CLASS cls;      /* (CK_OBJECT_CLASS)-1: every class */
		CK_ATTRIBUTE_TYPE type;
		const void *value;
		CK_ULONG len;
	} dflt[] = {
		{ (CK_OBJECT_CLASS)-1, CKA_TOKEN, &no, 1 },
		{ (CK_OBJECT_CLASS)-1, CKA_PRIVATE, &no, 1 },
		{ (CK_OBJECT_CLASS)-1, CKA_MODIFIABLE, &yes, 1 },
		{ (CK_OBJECT_CLASS)-1, CKA_COPYABLE, &yes, 1 },
		{ (CK_OBJECT_CLASS)-1, CKA_DESTROYABLE, &yes, 1 },
		{ (CK_OBJECT_CLASS)-1, CKA_LABEL, "", 0 },
		{ CKO_DATA, CKA_APPLICATION, "", 0 },
		{ CKO_DATA, CKA_OBJECT_ID, "", 0 },
		{ CKO_DATA, CKA_VALUE, "", 0 },
		{ CKO_CERTIFICATE, CKA_ID, "", 0 },
		{ CKO_CERTIFICATE, CKA_ISSUER, "", 0 },
		{ CKO_CERTIFICATE, CKA_SERIAL_NUMBER, "", 0 },
		{ CKO_CERTIFICATE, CKA_TRUSTED, &no, 1 },
		{ CKO_CERTIFICATE, CKA_CERTIFICATE_CATEGORY, &zero, sizeof(zero) },
		{ CKO_CERTIFICATE, CKA_START_DATE, "", 0 },
		{ CKO_CERTIFICATE, CKA_END_DATE, "", 0 },
		{ CKO_PUBLIC_KEY, CKA_ID, "", 0 },
		{ CKO_PUBLIC_KEY, CKA_SUBJECT, "", 0 },
		{ CKO_PUBLIC_KEY, CKA_START_DATE, "", 0 },
		{ CKO_PUBLIC_KEY, CKA_END_DATE, "", 0 },
		{ CKO_PUBLIC_KEY, CKA_LOCAL, &no, 1 },
		{ CKO_PUBLIC_KEY, CKA_DERIVE, &no, 1 },
		{ CKO_PUBLIC_KEY, CKA_ENCRYPT, &yes, 1 },
		{ CKO_PUBLIC_KEY, CKA_VERIFY, &yes, 1 },
		{ CKO_PUBLIC_KEY, CKA_VERIFY_RECOVER, &no, 1 },
		{ CKO_PUBLIC_KEY, CKA_WRAP, &no, 1 },
		{ CKO_PUBLIC_KEY, CKA_TRUSTED, &no, 1 },
	};
	CK_RV rv = CKR_OK;
	for (size_t i = 0; rv == CKR_OK && i < sizeof(dflt) / sizeof(dflt[0]); i++)
		if ((dflt[i].cls == (CK_OBJECT_CLASS)-1 || dflt[i].cls == obj->cls) &&
		    !ukey_object_attr(obj, dflt[i].type))
			rv = ukey_object_attr_set(obj, dflt[i].type, dflt[i].value, dflt[i].len, false);
	return rv;
}
