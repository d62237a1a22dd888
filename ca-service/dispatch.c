/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dispatch.c: maps a request to its handler. Authentication runs in its own
 * transaction (a consumed nonce stays consumed whatever follows); each
 * handler runs in one transaction, committed only for a 2xx answer.
 */
#include "config.h"

#include "svc.h"

#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* Fault injection for the client's tests (operator misbehave): fail-500,
 * drop-connection and hang hit the requests whose path starts with
 * misbehave_on (any method), by default POST /api/v1/renewals only; the
 * wrong-* modes are the issuer's (routes-renew.c), bad-answer corrupts the
 * renewal answer on its way out (bad-answer.c). times counts down, then
 * the service behaves again. 1 when the request was answered here. */
int svc_misbehaving(struct svc *s, struct req *r, struct resp *o, const char *path)
{
	const char *m = s->misbehave;
	int hang = strcmp(m, "hang") == 0;

	if (strcmp(m, "fail-500") != 0 && strcmp(m, "drop-connection") != 0 && !hang)
		return 0;
	if (s->misbehave_on[0] == '\0' ? strcmp(r->method, "POST") != 0 ||
						 strcmp(path, "/api/v1/renewals") != 0
				       : strncmp(path, s->misbehave_on, strlen(s->misbehave_on)) != 0)
		return 0;
	if (m[0] == 'f')
		svc_resp_error(o, 500, "internal", "injected failure (misbehave fail-500)");
	else
		o->drop = 1;
	if (s->misbehave_times > 0 && --s->misbehave_times == 0) {
		snprintf(s->misbehave, sizeof(s->misbehave), "none");
		s->misbehave_on[0] = '\0';
	}
	if (hang) {
		/* No answer for a while (the client's timeout fires first); the
		 * other requests are served meanwhile: no lock held asleep. */
		pthread_mutex_unlock(&s->lock);
		sleep(SVC_HANG_SECONDS);
		pthread_mutex_lock(&s->lock);
	}
	return 1;
}

static int operator_ok(struct svc *s, struct req *r)
{
	const char *h = svc_req_header(r, "Authorization");
	size_t n = strlen(s->token);

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) != n)
		return 0;
	return CRYPTO_memcmp(h + 7, s->token, n) == 0;
}

static void api(struct svc *s, struct req *r, struct resp *o, const char *rest)
{
	int get = strcmp(r->method, "GET") == 0, post = strcmp(r->method, "POST") == 0;
	int renew = strncmp(rest, "renewals", 8) == 0 && (rest[8] == '\0' || rest[8] == '/');
	struct caller c;
	int rc;

	if (strcmp(rest, "nonce") == 0) {
		if (!post) {
			svc_resp_error(o, 404, "not_found", "POST /api/v1/nonce only");
			return;
		}
		if (svc_db_begin(s) != 0) {
			svc_resp_error(o, 503, "unavailable", "database busy");
			return;
		}
		svc_nonce_new(s, o);
		svc_db_end(s, o->status < 400);
		return;
	}
	if (svc_db_begin(s) != 0) {
		svc_resp_error(o, 503, "unavailable", "database busy");
		return;
	}
	rc = svc_auth(s, r, o, (get && strcmp(rest, "status") == 0) || renew, &c);
	svc_db_end(s, 1);
	if (rc != 0)
		return;
	if (svc_db_begin(s) != 0) {
		svc_resp_error(o, 503, "unavailable", "database busy");
		goto out;
	}
	if (get && strcmp(rest, "status") == 0)
		svc_route_status(s, &c, o);
	else if ((get || post) && strcmp(rest, "binding") == 0)
		svc_route_binding(s, r, &c, o);
	else if (get && strcmp(rest, "order") == 0)
		svc_route_order(s, &c, o);
	else if (strncmp(rest, "invoices", 8) == 0 && (rest[8] == '\0' || rest[8] == '/'))
		svc_route_invoices(s, r, &c, o, rest + 8);
	else if (strncmp(rest, "seals", 5) == 0 && (rest[5] == '\0' || rest[5] == '/'))
		svc_route_seals(s, r, &c, o, rest + 5);
	else if (renew)
		svc_route_renewals(s, r, &c, o, rest + 8);
	else
		svc_resp_error(o, 404, "not_found", "no such endpoint: %s %s", r->method, r->uri);
	if (o->status == 0)
		svc_resp_error(o, 404, "not_found", "no such endpoint: %s %s", r->method, r->uri);
	svc_db_end(s, o->status < 400);
out:
	svc_caller_clear(&c);
}

void svc_dispatch(struct svc *s, struct req *r, struct resp *o)
{
	char *path = strdup(r->uri);

	if (path == NULL) {
		svc_resp_error(o, 500, "internal", "out of memory");
		return;
	}
	path[strcspn(path, "?")] = '\0';
	if (strncmp(path, "/api/v1/", 8) == 0) {
		if (!svc_misbehaving(s, r, o, path)) {
			api(s, r, o, path + 8);
			svc_bad_answer(s, r, o, path);
		}
	} else if (strcmp(path, SVC_CMP_PATH) == 0 ||
		   (strncmp(path, SVC_CMP_PATH "/p/", 19) == 0 && path[19] != '\0' &&
		    strchr(path + 19, '/') == NULL)) {
		/* RFC 9483 section 6.1: /.well-known/cmp/p/<label> names a CA or
		 * profile; this service has one of each, so any label is it. */
		svc_route_cmp(s, r, o);
	} else if (strncmp(path, "/operator/v1/", 13) == 0) {
		if (!operator_ok(s, r)) {
			svc_resp_error(o, 401, "auth_missing", "operator bearer token missing or wrong");
		} else if (svc_db_begin(s) != 0) {
			svc_resp_error(o, 503, "unavailable", "database busy");
		} else {
			svc_route_operator(s, r, o, path + 13);
			if (o->status == 0)
				svc_resp_error(o, 404, "not_found", "no such operator endpoint");
			svc_db_end(s, o->status < 400);
		}
	} else {
		svc_resp_error(o, 404, "not_found", "no such endpoint: %s", path);
	}
	free(path);
}
