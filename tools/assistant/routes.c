/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* routes.c: which handler answers which request, and the shapes every
 * handler answers with: JSON, and errors as docs/assistant.md lists them
 * (a library error keeps its translated message; its kind becomes the
 * status and code the page acts on). */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "assistant.h"

void asst_json(struct asst_resp *r, int status, json_object *j)
{
	json_object_put(r->j);
	r->j = j;
	r->status = j != NULL ? status : 500;
}

json_object *asst_error(struct asst_resp *r, int status, const char *code, const char *fmt, ...)
{
	json_object *top = json_object_new_object(), *e = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(top, "error", e);
	asst_json(r, status, top);
	return e;
}

json_object *asst_error_from(struct asst_resp *r, const struct ukey_err *e)
{
	const char *sc = e->service_code;
	int status = 500;
	const char *code = "error";
	json_object *o;

	if (sc[0] && e->code == UKEY_E_WAIT) {
		status = 409, code = "wait";
	} else if (sc[0] && strcmp(sc, "internal") != 0) {
		status = 409, code = "service";
	} else if (e->code == UKEY_E_SERVICE) {
		status = 502, code = "service_unreachable";
	} else if (e->code == UKEY_E_WAIT) {
		status = 409, code = "wait";
	} else if (e->code == UKEY_E_TOKEN) {
		status = 409, code = "token";
	} else if (e->code == UKEY_E_USAGE) {
		status = 400, code = "invalid";
	}
	o = asst_error(r, status, code, "%s", e->msg[0] ? e->msg : _("something could not be done"));
	if (sc[0])
		json_object_object_add(o, "service_code", json_object_new_string(sc));
	return o;
}

static int member(struct asst_req *q, struct asst_resp *r, const char *key, int required, json_type type,
		  json_object **v)
{
	if (q->json == NULL || !json_object_object_get_ex(q->json, key, v) || *v == NULL) {
		if (!required)
			return 1;
		json_object_object_add(asst_error(r, 400, "bad_request", _("the request lacks \"%s\""), key), "field",
				       json_object_new_string(key));
		return -1;
	}
	if (!json_object_is_type(*v, type)) {
		json_object_object_add(asst_error(r, 400, "bad_request", _("\"%s\" has the wrong type"), key), "field",
				       json_object_new_string(key));
		return -1;
	}
	return 0;
}

int asst_get_string(struct asst_req *q, struct asst_resp *r, const char *key, int required, const char **out)
{
	json_object *v;
	int rc = member(q, r, key, required, json_type_string, &v);

	if (rc == 0)
		*out = json_object_get_string(v);
	return rc;
}

int asst_get_bool(struct asst_req *q, struct asst_resp *r, const char *key, int *out)
{
	json_object *v;
	int rc = member(q, r, key, 0, json_type_boolean, &v);

	if (rc == 0)
		*out = json_object_get_boolean(v);
	return rc;
}

int asst_renew_busy(struct asst *a)
{
	int busy;

	pthread_mutex_lock(&a->lock);
	busy = a->renew_running;
	pthread_mutex_unlock(&a->lock);
	return busy;
}

int asst_work_begin(struct asst_req *q, struct asst_resp *r, int login)
{
	struct asst *a = q->a;
	int gone;

	if (asst_renew_busy(a)) {
		asst_error(r, 409, "busy", "%s", _("a renewal is running: wait until it finishes"));
		return -1;
	}
	pthread_mutex_lock(&a->work);
	pthread_mutex_lock(&a->lock);
	gone = a->token_gone;
	a->token_gone = 0;
	pthread_mutex_unlock(&a->lock);
	/* The key was pulled out: its session and login are gone with it. */
	if (gone)
		asst_token_close(a);
	if (!a->module_ok) {
		pthread_mutex_unlock(&a->work);
		asst_error(r, 503, "no_module", "%s", a->module_msg);
		return -1;
	}
	if (login && !a->logged_in) {
		pthread_mutex_unlock(&a->work);
		asst_error(r, 401, "login_required", "%s", _("type the U-KEY's PIN first"));
		return -1;
	}
	return 0;
}

void asst_work_end(struct asst *a)
{
	pthread_mutex_unlock(&a->work);
}

static void quit(struct asst_req *q, struct asst_resp *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "bye", json_object_new_boolean(1));
	asst_json(r, 200, o);
	asst_quit(q->a, "quit");
}

static const struct {
	const char *method, *path;
	void (*fn)(struct asst_req *, struct asst_resp *);
} routes[] = {
	{ "GET", "/api/session", asst_api_session },
	{ "GET", "/api/token", asst_api_token },
	{ "GET", "/api/seal-picture", asst_api_seal_picture },
	{ "GET", "/api/login", asst_api_login },
	{ "POST", "/api/login", asst_api_login },
	{ "POST", "/api/logout", asst_api_logout },
	{ "GET", "/api/status", asst_api_status },
	{ "GET", "/api/binding", asst_api_binding },
	{ "POST", "/api/binding", asst_api_binding },
	{ "GET", "/api/order", asst_api_order },
	{ "GET", "/api/invoices", asst_api_invoices },
	{ "POST", "/api/invoices", asst_api_invoices },
	{ "GET", "/api/seals", asst_api_seals },
	{ "POST", "/api/seals/check", asst_api_seals_check },
	{ "POST", "/api/seals/clean", asst_api_seals_clean },
	{ "GET", "/api/renew", asst_api_renew },
	{ "POST", "/api/renew", asst_api_renew },
	{ "GET", "/api/events", asst_events_stream },
	{ "POST", "/api/quit", quit },
};

/* /api/invoices/ID/document: the one path with a parameter in it. */
static int invoice_document(struct asst_req *q, struct asst_resp *r)
{
	static const char pre[] = "/api/invoices/", post[] = "/document";
	size_t n = strlen(q->path), lp = sizeof(pre) - 1, ls = sizeof(post) - 1;
	char id[64];

	if (strncmp(q->path, pre, lp) != 0 || n <= lp + ls || strcmp(q->path + n - ls, post) != 0)
		return 0;
	if (n - lp - ls >= sizeof(id) || strcmp(q->method, "POST") == 0) {
		asst_error(r, strcmp(q->method, "POST") == 0 ? 405 : 404, strcmp(q->method, "POST") == 0 ? "method" :
		"not_found", "%s", _("no such invoice"));
		return 1;
	}
	memcpy(id, q->path + lp, n - lp - ls);
	id[n - lp - ls] = '\0';
	asst_api_invoice_document(q, r, id);
	return 1;
}

void asst_route(struct asst_req *q, struct asst_resp *r)
{
	/* HEAD is GET without the body (libmicrohttpd drops it). */
	const char *m = strcmp(q->method, "HEAD") == 0 ? "GET" : q->method;
	int path_known = 0;

	if (strncmp(q->path, "/api/", 5) != 0) {
		if (strcmp(m, "GET") == 0)
			asst_static(q, r);
		else
			asst_error(r, 405, "method", "%s", _("this method is not allowed here"));
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(q->path, routes[i].path) != 0)
			continue;
		path_known = 1;
		if (strcmp(m, routes[i].method) == 0) {
			routes[i].fn(q, r);
			return;
		}
	}
	if (invoice_document(q, r))
		return;
	if (path_known)
		asst_error(r, 405, "method", "%s", _("this method is not allowed here"));
	else
		asst_error(r, 404, "not_found", "%s", _("no such page"));
}
