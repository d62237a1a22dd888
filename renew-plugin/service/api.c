/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* api.c: the client, its authenticated requests, retries of the transient
 * failures of the requests safe to repeat, and the service's error bodies. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"

#include "base/log.h"

/* What the user should understand from a known error code. */
static const struct {
	const char *code;
	int exit;
	const char *text;
} known[] = {
	{ "not_bound", UKEY_E_WAIT, N_("the certificate is not bound to a phone account yet: run 'ukey bind'") },
	{ "identity_unchecked", UKEY_E_WAIT, N_("the CA must check your identity before the first renewal") },
	{ "order_unpaid", UKEY_E_WAIT, N_("the renewal order is not paid yet: pay it on your phone") },
	{ "order_awaiting_transfer", UKEY_E_WAIT,
	  N_("the bank transfer for the order is waiting for the CA's verification") },
	{ "invoice_not_issued", UKEY_E_WAIT, N_("the CA has not issued this invoice yet") },
	{ "order_used", UKEY_E_ERROR, N_("the renewal order has already been used") },
	{ "already_bound", UKEY_E_OK, N_("the certificate is already bound") },
	{ "not_found", UKEY_E_ERROR, N_("the service does not know it") },
	{ "auth_bad_certificate", UKEY_E_ERROR,
	  N_("the service does not accept the U-KEY's certificate (unknown, revoked or expired)") },
	{ "auth_bad_signature", UKEY_E_ERROR, N_("the service did not accept the U-KEY's signature") },
	{ "auth_nonce", UKEY_E_ERROR, N_("the service refused the request's nonce") },
	{ "bad_request", UKEY_E_ERROR, N_("the service refused the request") },
};

static int service_error(const struct ukey_http_resp *r, struct ukey_err *e)
{
	char code[48], msg[256];   /* code: the size of ukey_err.service_code */
	int ret = UKEY_E_ERROR;
	size_t i;

	/* Tolerant, and scrubbed of control characters: it reaches the terminal. */
	ukey_api_parse_error(r->body, r->len, code, sizeof(code), msg, sizeof(msg));
	if (r->status >= 500) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service has a problem (HTTP %ld)"), r->status);
		goto out;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i].code, code) == 0) {
			ret = ukey_err_set(e, known[i].exit == UKEY_E_OK ? UKEY_E_ERROR : known[i].exit, "%s",
					   _(known[i].text));
			goto out;
		}
	ret = ukey_err_set(e, UKEY_E_ERROR, _("the service refused the request (HTTP %ld %s: %s)"), r->status,
			   code, msg);
out:
	snprintf(e->service_code, sizeof(e->service_code), "%s", code);
	return ret;
}

int ukey_client_new(const struct ukey_conf *conf, struct ukey_client **out, struct ukey_err *e)
{
	struct ukey_client *c = calloc(1, sizeof(*c));
	int ret;

	*out = NULL;
	if (c == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, "%s", _("out of memory"));
	ret = ukey_http_init(&c->http, conf, e);
	if (ret != UKEY_E_OK) {
		ukey_client_free(c);
		return ret;
	}
	c->cmp = UKEY_CONF_CMP(conf);
	snprintf(c->cmp_trusted, sizeof(c->cmp_trusted), "%s", conf->cmp_trusted[0] ? conf->cmp_trusted : conf->service_ca);
	snprintf(c->cmp_path, sizeof(c->cmp_path), "%s", conf->cmp_path);
	*out = c;
	return UKEY_E_OK;
}

int ukey_client_sign_with(struct ukey_client *c, struct ukey_conn *p, CK_SESSION_HANDLE s,
			  const struct ukey_cert *certs, size_t n, struct ukey_err *e)
{
	return ukey_auth_init(&c->auth, p, s, certs, n, e);
}

void ukey_client_free(struct ukey_client *c)
{
	if (c == NULL)
		return;
	ukey_http_cleanup(&c->http);
	free(c);
}

int ukey_api_send(struct ukey_client *c, const char *method, const char *path, const char *body,
		  struct ukey_http_resp *r, size_t max, struct ukey_err *e)
{
	struct curl_slist *h = NULL;
	size_t blen = body ? strlen(body) : 0;
	int ret = ukey_auth_headers(&c->auth, &c->http, method, path, body, blen, &h, e);

	if (ret == UKEY_E_OK && body != NULL) {
		struct curl_slist *n = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
		if (n == NULL)
			ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		else
			h = n;
	}
	if (ret == UKEY_E_OK)
		ret = ukey_http_request(&c->http, method, path, h, body, blen, max, r, e);
	curl_slist_free_all(h);
	return ret;
}

/* The pause before try i + 1 (i >= 1): base, then twice as long. */
static void backoff(int i)
{
	const char *env = getenv("UKEY_RETRY_BASE_MS");
	long base = env != NULL && *env != '\0' ? strtol(env, NULL, 10) : 1000;
	struct timespec ts;

	if (base < 0 || base > 60000)
		base = 1000;
	base <<= i - 1;
	ts.tv_sec = base / 1000;
	ts.tv_nsec = base % 1000 * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		; /* interrupted: sleep the rest */
}

static int call(struct ukey_client *c, const char *method, const char *path, const char *body, json_object **out,
		struct ukey_http_resp *raw, size_t max, int tries, struct ukey_err *e)
{
	struct ukey_http_resp r;
	int ret, i;

	if (out != NULL)
		*out = NULL;
	for (i = 1;; i++) {
		memset(&r, 0, sizeof(r));
		e->service_code[0] = '\0';
		ret = ukey_api_send(c, method, path, body, &r, max, e);
		if (ret == UKEY_E_OK && r.status >= 500)
			ret = service_error(&r, e);
		else if (ret == UKEY_E_OK)
			break;
		ukey_http_resp_free(&r);
		/* Only what another try may cure: never a 4xx, a TLS refusal, a
		 * malformed answer or the token's trouble. */
		if (ret != UKEY_E_SERVICE || !c->http.transient)
			return ret;
		if (i == tries) {
			char msg[sizeof(e->msg)];
			if (tries == 1)
				return ret;
			snprintf(msg, sizeof(msg), "%s", e->msg);
			return ukey_err_set(e, ret, _("%s, after %d tries"), msg, tries);
		}
		ukey_log(UKEY_LOG_INFO, "%s %s: retry %d after: %s", method, path, i, e->msg);
		if (c->on_retry != NULL)
			c->on_retry(c->retry_arg, method, path, i + 1, e->msg);
		backoff(i);
	}
	if (r.status < 200 || r.status > 299) {
		ret = service_error(&r, e);
		ukey_http_resp_free(&r);
		return ret;
	}
	if (raw != NULL) {
		*raw = r;
		return UKEY_E_OK;
	}
	ret = ukey_json_parse(r.body, r.len, out, e);
	ukey_http_resp_free(&r);
	return ret;
}

int ukey_api_call(struct ukey_client *c, const char *method, const char *path, const char *body,
		  json_object **out, struct ukey_http_resp *raw, size_t max, struct ukey_err *e)
{
	return call(c, method, path, body, out, raw, max, strcmp(method, "GET") == 0 ? UKEY_API_TRIES : 1, e);
}

int ukey_api_call_idempotent(struct ukey_client *c, const char *method, const char *path, const char *body,
			     json_object **out, struct ukey_http_resp *raw, size_t max, struct ukey_err *e)
{
	return call(c, method, path, body, out, raw, max, UKEY_API_TRIES, e);
}
