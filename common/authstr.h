/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The string a client signs to authenticate a request to the CA service
 * (docs/protocol.md, "Authentication"): the client (libukey-renew), the
 * reference service and the tests build it here, so they cannot drift. */
#ifndef UKC_AUTHSTR_H
#define UKC_AUTHSTR_H

#include <stddef.h>

/* "UKEY-AUTH-V1\nMETHOD\nPATH[?QUERY]\nNONCE\n" and the lower-case hex
 * SHA-256 of the body (NULL body: empty), malloc'd; NULL when out of
 * memory. */
char *ukc_auth_string(const char *method, const char *path, const char *nonce, const void *body,
		      size_t body_len);

#endif
