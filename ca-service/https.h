/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * https.h: a minimal HTTPS/1.1 client on OpenSSL for the service's CLI and
 * test client: server certificate verified against a CA file, host name or
 * IP checked, TLS 1.2+, one request per connection.
 */
#ifndef UKEY_CA_HTTPS_H
#define UKEY_CA_HTTPS_H

#include <stddef.h>

struct https_resp {
	int status; /* 0: no answer (connection dropped) */
	char *body; /* NUL-terminated */
	size_t len;
};

/* headers: NULL-terminated "Name: value" lines. Returns 0 when an HTTP
 * answer arrived (any status), -1 with a message on stderr otherwise. */
int https_request(const char *base_url, const char *cafile, const char *method,
		  const char *path, const char *const *headers, const char *body, size_t body_len,
		  struct https_resp *out);
void https_resp_free(struct https_resp *r);

/* Reads a whole file (NUL-terminated); NULL on error. */
char *https_read_file(const char *path, size_t *len);

#endif
