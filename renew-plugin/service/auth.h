/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Request authentication (docs/protocol.md "Authentication"): a server
 * nonce, the string to sign, a signature made on the token by the signing
 * key (the private key with the signing certificate's CKA_ID). */
#ifndef UKEY_RENEW_AUTH_H
#define UKEY_RENEW_AUTH_H

#include "http.h"
#include "p11/p11.h"

struct ukey_auth {
	struct ukey_conn *p;
	CK_SESSION_HANDLE s; /* logged in */
	CK_OBJECT_HANDLE key;
	const struct ukey_cert *cert;
	CK_MECHANISM_TYPE mech;
	const char *alg; /* rsa-sha256 | ecdsa-sha256 | sm2-sm3 */
};

/* Finds the signing certificate among certs and its private key. */
int ukey_auth_init(struct ukey_auth *a, struct ukey_conn *p, CK_SESSION_HANDLE s,
		   const struct ukey_cert *certs, size_t n, struct ukey_err *e);
/* Gets a nonce and signs; appends the four X-Ukey-* headers to *hdrs. */
int ukey_auth_headers(struct ukey_auth *a, struct ukey_http *h, const char *method, const char *path,
		      const char *body, size_t body_len, struct curl_slist **hdrs, struct ukey_err *e);

#endif
