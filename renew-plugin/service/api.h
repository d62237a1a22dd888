/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client's insides: struct ukey_client (opaque in ukey-renew.h, where
 * the endpoints are declared), and the signed requests the endpoints
 * (endpoints.c) and the renewal make. */
#ifndef UKEY_RENEW_API_H
#define UKEY_RENEW_API_H

#include <stdint.h>

#include "api-parse.h"
#include "auth.h"
#include "json.h"

struct ukey_client {
	struct ukey_http http;
	struct ukey_auth auth;
	/* [service] protocol = cmp: renewals by CMP key update (cmp/), the
	 * answers' signer trusted from cmp_trusted, sent to cmp_path. */
	int cmp;
	char cmp_trusted[PATH_MAX];
	char cmp_path[256];
	/* Called before each automatic retry (NULL: nobody is told): attempt is the
	 * number of the coming try (2, 3), why the failure that caused it. */
	void (*on_retry)(void *arg, const char *method, const char *path, int attempt, const char *why);
	void *retry_arg;
};

/* Tries a request safe to repeat gets (GETs, and POSTs idempotent by
 * design). The pauses between them: 1 s, then 2 s (for tests only,
 * UKEY_RETRY_BASE_MS sets the first, in milliseconds; it doubles). */
#define UKEY_API_TRIES 3

/* An authenticated request. GETs are retried (UKEY_API_TRIES tries, with
 * backoff) when the failure is transient: no connection, timeout, a dropped
 * connection, HTTP 5xx (a 5xx or a failure of the nonce request included);
 * never on 4xx, a TLS refusal or a malformed answer. Other methods are sent
 * once. After the last try the message ends with ", after 3 tries". On 2xx
 * *out is the parsed JSON (json_object_put it), or raw holds the body when
 * raw != NULL. */
int ukey_api_call(struct ukey_client *c, const char *method, const char *path, const char *body,
		  json_object **out, struct ukey_http_resp *raw, size_t max, struct ukey_err *e);
/* The same for a request the service makes safe to repeat whatever its
 * method (POST /api/v1/renewals with its request_id, POST
 * /api/v1/renewals/<id>/installed): retried as a GET is. */
int ukey_api_call_idempotent(struct ukey_client *c, const char *method, const char *path, const char *body,
			     json_object **out, struct ukey_http_resp *raw, size_t max, struct ukey_err *e);

/* One signed request, sent once, its answer whatever the HTTP status in r
 * (only a request that could not be made is an error). */
int ukey_api_send(struct ukey_client *c, const char *method, const char *path, const char *body,
		  struct ukey_http_resp *r, size_t max, struct ukey_err *e);

#endif
