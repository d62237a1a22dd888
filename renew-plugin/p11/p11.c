/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* p11.c: loading a PKCS#11 module and small helpers over its function list. */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ukey-base.h"
#include "p11.h"

const char *ukey_p11_rv_name(CK_RV rv)
{
	static __thread char buf[32];

	switch (rv) {
#define RV(x) case x: return #x;
	RV(CKR_OK) RV(CKR_PIN_INCORRECT) RV(CKR_PIN_LOCKED) RV(CKR_PIN_LEN_RANGE)
	RV(CKR_DEVICE_REMOVED) RV(CKR_TOKEN_NOT_PRESENT) RV(CKR_DEVICE_ERROR)
	RV(CKR_USER_NOT_LOGGED_IN) RV(CKR_USER_ALREADY_LOGGED_IN) RV(CKR_MECHANISM_INVALID)
	RV(CKR_KEY_TYPE_INCONSISTENT) RV(CKR_SESSION_HANDLE_INVALID) RV(CKR_ARGUMENTS_BAD)
	RV(CKR_GENERAL_ERROR) RV(CKR_FUNCTION_FAILED) RV(CKR_CRYPTOKI_NOT_INITIALIZED)
	RV(CKR_SLOT_ID_INVALID) RV(CKR_ATTRIBUTE_SENSITIVE) RV(CKR_ATTRIBUTE_TYPE_INVALID)
#undef RV
	default:
		snprintf(buf, sizeof(buf), "CKR_0x%lx", (unsigned long)rv);
		return buf;
	}
}

/* The vendor interface of ukey-pkcs11 (ukey-pkcs11.h), version 1.x. */
static const UKEY_VENDOR_FUNCTION_LIST *vendor(void *dl)
{
	CK_RV (*gi)(CK_UTF8CHAR *, CK_VERSION *, UKEY_CK_INTERFACE **, CK_FLAGS);
	UKEY_CK_INTERFACE *iface = NULL;
	const UKEY_VENDOR_FUNCTION_LIST *v;

	*(void **)&gi = dlsym(dl, "C_GetInterface");
	if (gi == NULL || gi((CK_UTF8CHAR *)UKEY_VENDOR_INTERFACE, NULL, &iface, 0) != CKR_OK || iface == NULL ||
	    iface->pFunctionList == NULL)
		return NULL;
	v = iface->pFunctionList;
	return v->version.major == UKEY_VENDOR_VERSION_MAJOR ? v : NULL;
}

int ukey_conn_open(struct ukey_conn *p, const char *path, struct ukey_err *e)
{
	CK_C_INITIALIZE_ARGS args;
	CK_C_GetFunctionList gfl;
	CK_RV rv;
	int quiet;

	memset(p, 0, sizeof(*p));
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (p->dl == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot load the PKCS#11 module %s: %s"), path,
				    dlerror());
	*(void **)&gfl = dlsym(p->dl, "C_GetFunctionList");
	if (gfl == NULL || gfl(&p->f) != CKR_OK || p->f == NULL) {
		ukey_conn_close(p);
		return ukey_err_set(e, UKEY_E_ERROR, _("%s is not a PKCS#11 module"), path);
	}
	p->v = vendor(p->dl);
	quiet = p->v != NULL && getenv("UKEY_LOG") == NULL;
	if (quiet)
		setenv("UKEY_LOG", "off", 1);
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = p->f->C_Initialize(&args);
	if (quiet)
		unsetenv("UKEY_LOG");
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		ukey_conn_close(p);
		return ukey_err_set(e, UKEY_E_ERROR, _("the PKCS#11 module %s failed to start: %s"), path,
				    ukey_p11_rv_name(rv));
	}
	p->initialized = rv == CKR_OK;
	return UKEY_E_OK;
}

void ukey_conn_close(struct ukey_conn *p)
{
	if (p->f != NULL && p->initialized)
		p->f->C_Finalize(NULL);
	if (p->dl != NULL)
		dlclose(p->dl);
	memset(p, 0, sizeof(*p));
}

int ukey_conn_attr(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
		   unsigned char **val, size_t *len, struct ukey_err *e)
{
	CK_ATTRIBUTE a = { t, NULL, 0 };
	CK_RV rv = p->f->C_GetAttributeValue(s, o, &a, 1);

	*val = NULL;
	*len = 0;
	if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return ukey_err_set(e, UKEY_E_TOKEN, _("cannot read an attribute of a token object: %s"),
				    ukey_p11_rv_name(rv));
	a.pValue = malloc(a.ulValueLen + 1);
	if (a.pValue == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	rv = p->f->C_GetAttributeValue(s, o, &a, 1);
	if (rv != CKR_OK) {
		free(a.pValue);
		return ukey_err_set(e, UKEY_E_TOKEN, _("cannot read an attribute of a token object: %s"),
				    ukey_p11_rv_name(rv));
	}
	((unsigned char *)a.pValue)[a.ulValueLen] = '\0'; /* handy for text attributes */
	*val = a.pValue;
	*len = a.ulValueLen;
	return UKEY_E_OK;
}

int ukey_conn_find(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n,
		   CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *found, struct ukey_err *e)
{
	CK_RV rv = p->f->C_FindObjectsInit(s, tmpl, n);

	*found = 0;
	if (rv != CKR_OK)
		return ukey_err_set(e, UKEY_E_TOKEN, _("cannot search the token: %s"), ukey_p11_rv_name(rv));
	rv = p->f->C_FindObjects(s, out, max, found);
	p->f->C_FindObjectsFinal(s);
	if (rv != CKR_OK)
		return ukey_err_set(e, UKEY_E_TOKEN, _("cannot search the token: %s"), ukey_p11_rv_name(rv));
	return UKEY_E_OK;
}
