/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plain PKCS#11 consumer: loads any module (ours by default) with dlopen
 * and speaks only the standard API to it. */
#ifndef UKEY_RENEW_P11_H
#define UKEY_RENEW_P11_H

#include <p11-kit/pkcs11.h>

#include "base/err.h"
#include "ukey-pkcs11.h"

/* The consumer's connection to one loaded module (not to be confused with
 * the module's own p11 driver, which forwards to a backend module). */
struct ukey_conn {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	int initialized;
	/* ukey-pkcs11's vendor interface (exact PIN tries, why no slot), or
	 * NULL for another module: then only standard PKCS#11 is used. */
	const UKEY_VENDOR_FUNCTION_LIST *v;
};

/* Loads the module at path and initialises it (CKF_OS_LOCKING_OK). When it
 * is ukey-pkcs11 (it has the vendor interface) and UKEY_LOG is not set, its
 * stderr log is off: what it would log at start-up (no configuration, a
 * backend that does not load) is reported by the command in its own words
 * (ukey_token_no_backend, `ukey doctor`) instead of as a raw log line. */
int ukey_conn_open(struct ukey_conn *p, const char *path, struct ukey_err *e);
void ukey_conn_close(struct ukey_conn *p);
/* "CKR_PIN_INCORRECT" etc., or "CKR_0x..." in a static buffer. */
const char *ukey_p11_rv_name(CK_RV rv);
/* Reads one attribute into a malloc'd buffer (two-call sizing). */
int ukey_conn_attr(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
		   unsigned char **val, size_t *len, struct ukey_err *e);
/* Finds up to max objects matching tmpl. */
int ukey_conn_find(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n,
		   CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *found, struct ukey_err *e);

#endif
