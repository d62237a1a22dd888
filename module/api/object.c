/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Object management and search. Templates are checked (api/template.c)
 * and passed through unchanged; attribute semantics (sensitive, invalid, buffer sizes) are token/'s. */
#include "config.h"

#include "api/shim.h"

CK_RV ukey_C_CreateObject(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
			  CK_OBJECT_HANDLE_PTR object)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(object != NULL);
	UKEY_CHECK_TEMPLATE(tmpl, count, UKEY_TMPL_NONNULL);
	rv = ukey_object_create(session, tmpl, count, object);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_DestroyObject(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object)
{
	CK_RV rv;
	UKEY_ENTER();
	rv = ukey_object_destroy(session, object);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_GetObjectSize(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ULONG_PTR size)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(size != NULL);
	rv = ukey_object_size(session, object, size);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_GetAttributeValue(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
			       CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	CK_RV rv;
	UKEY_ENTER();
	/* Values may be NULL here: that asks for their lengths. */
	UKEY_CHECK_ARG(tmpl != NULL);
	rv = ukey_object_get_attrs(session, object, tmpl, count);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_SetAttributeValue(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
			       CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_TEMPLATE(tmpl, count, UKEY_TMPL_NONNULL);
	rv = ukey_object_set_attrs(session, object, tmpl, count);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_FindObjectsInit(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_TEMPLATE(tmpl, count, UKEY_TMPL_SEARCH);
	rv = ukey_find_init(session, tmpl, count);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_FindObjects(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE_PTR objects, CK_ULONG max,
			 CK_ULONG_PTR count)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(count != NULL);
	UKEY_CHECK_ARG(objects != NULL || max == 0);
	rv = ukey_find(session, objects, max, count);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_FindObjectsFinal(CK_SESSION_HANDLE session)
{
	CK_RV rv;
	UKEY_ENTER();
	rv = ukey_find_final(session);
out:
	UKEY_LEAVE(rv);
	return rv;
}
