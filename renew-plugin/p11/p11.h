/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The p11 room's own declarations, beyond what ukey-renew.h makes public
 * (the connection, tokens, certificates, the PIN). */
#ifndef UKEY_RENEW_P11_H
#define UKEY_RENEW_P11_H

#include "ukey-renew.h"

/* Finds up to max objects matching tmpl. */
int ukey_conn_find(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n,
		   CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *found, struct ukey_err *e);
/* Re-reads the token's flags and tries. */
int ukey_token_refresh(struct ukey_conn *p, struct ukey_token_info *t, struct ukey_err *e);
/* cert.c: fills the parsed fields of c from c->der. */
int ukey_cert_parse(struct ukey_cert *c, struct ukey_err *e);

#endif
