/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "authstr.h"
#include "hex.h"

#include <stdio.h>

char *ukc_auth_string(const char *method, const char *path, const char *nonce, const void *body,
		      size_t body_len)
{
	char hex[65], *out = NULL;

	if (ukc_sha256_hex(body ? body : "", body ? body_len : 0, hex) == NULL)
		return NULL;
	if (asprintf(&out, "UKEY-AUTH-V1\n%s\n%s\n%s\n%s", method, path, nonce, hex) < 0)
		return NULL;
	return out;
}
