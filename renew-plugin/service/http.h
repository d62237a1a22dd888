/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTPS to the CA's service with libcurl: verification always on with the
 * configured CA file, host name checked, bounded time and size. */
#ifndef UKEY_RENEW_HTTP_H
#define UKEY_RENEW_HTTP_H

#include <stddef.h>

#include <curl/curl.h>

#include "ukey-renew.h"

#define UKEY_HTTP_MAX_JSON (4u << 20) /* 4 MiB (docs/protocol.md) */
#define UKEY_HTTP_MAX_PDF (8u << 20)

struct ukey_http {
	CURL *c;
	char base[1024]; /* service URL without a trailing slash */
	char ca[4096];
	int plain; /* http:// (a CMP service only) */
	/* Set by each request: 1 when its failure may pass if tried again (no
	 * connection, timeout, dropped connection, HTTP 5xx), 0 otherwise (TLS
	 * refusal, 4xx, a 2xx answer whatever its body). */
	int transient;
};

int ukey_http_init(struct ukey_http *h, const struct ukey_conf *c, struct ukey_err *e);
void ukey_http_cleanup(struct ukey_http *h);
/* One request; no retries here (api.c decides, from h->transient). headers
 * may be NULL. A transport failure is UKEY_E_SERVICE naming the cause
 * (unreachable, expired / wrong-host / untrusted server certificate,
 * timeout, too big). The whole request is bounded by 60 s (for tests only:
 * UKEY_HTTP_TIMEOUT, seconds, shortens it). */
int ukey_http_request(struct ukey_http *h, const char *method, const char *path,
		      struct curl_slist *headers, const char *body, size_t body_len, size_t max,
		      struct ukey_http_resp *r, struct ukey_err *e);

#endif
