/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal-token.h: the seals stored on a token: public CKO_DATA objects whose
 * CKA_APPLICATION is UKEY_SEAL_APPLICATION ("GM/T 0031 seal"), CKA_VALUE
 * the seal DER. Read through any PKCS#11 module (renew-plugin/p11/p11.h).
 */
#ifndef UKEY_SEAL_TOKEN_H
#define UKEY_SEAL_TOKEN_H

#include <stddef.h>

#include "p11/p11.h"

struct ukey_token_seal {
	CK_OBJECT_HANDLE h;
	char label[256];
	unsigned char *der;
	size_t len;
	char sha256[65]; /* lower-case hex of der: matches the service's sha256 */
};

/* All seal objects (up to 256) in session s, by label then sha256 (the
 * numbering of 'ukey show' and 'ukey seals'). *out malloc'd, *n may be 0. */
int ukey_seal_list_token(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_token_seal **out,
			 size_t *n, struct ukey_err *e);
void ukey_token_seals_free(struct ukey_token_seal *t, size_t n);

#endif
