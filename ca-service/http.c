/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * http.c: the HTTPS front of the service with libmicrohttpd (TLS by GnuTLS
 * inside MHD, PEM key and certificate from memory). Collects the body (at
 * most 1 MiB), then runs one handler at a time under svc->lock inside a
 * database transaction, and answers JSON.
 */
#include "config.h"

#include "svc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req *r = calloc(1, sizeof(*r));

	(void)cls;
	if (r != NULL) {
		r->uri = strdup(uri);
		r->conn = conn;
	}
	return r;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	free(r->uri);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

const char *svc_req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static int append(struct req *r, const char *data, size_t n)
{
	if (r->too_large || r->len + n > SVC_BODY_MAX) {
		r->too_large = 1;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = (r->len + n + 1) * 2;
		char *b = realloc(r->body, cap > SVC_BODY_MAX + 1 ? SVC_BODY_MAX + 1 : cap);
		if (b == NULL)
			return -1;
		r->body = b;
		r->cap = cap > SVC_BODY_MAX + 1 ? SVC_BODY_MAX + 1 : cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return 0;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct svc *s = cls;
	struct req *r = *con_cls;
	struct resp o = { 0 };
	struct MHD_Response *mr;
	enum MHD_Result ret;
	const char *cl;

	(void)url;
	(void)version;
	if (r == NULL)
		return MHD_NO;
	if (r->method == NULL) {
		/* First call: headers only. Refuse an announced oversized body
		 * at once, without reading it. */
		r->method = method;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		/* An oversized body is read and discarded so the client sees
		 * the 413 (answering early makes the kernel reset the
		 * connection over the unread data); an absurd one is not. */
		if (cl != NULL && strtoull(cl, NULL, 10) > 16 * (unsigned long long)SVC_BODY_MAX)
			return MHD_NO;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (append(r, upload, *upload_size) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->too_large) {
		svc_resp_error(&o, 413, "bad_request", "request body larger than %d bytes",
			       SVC_BODY_MAX);
	} else {
		pthread_mutex_lock(&s->lock);
		svc_dispatch(s, r, &o);
		pthread_mutex_unlock(&s->lock);
	}
	if (o.drop) {
		free(o.body);
		return MHD_NO;
	}
	if (o.status == 0)
		svc_resp_error(&o, 500, "internal", "no response");
	mr = MHD_create_response_from_buffer(o.len, o.body, MHD_RESPMEM_MUST_FREE);
	if (mr == NULL) {
		free(o.body);
		return MHD_NO;
	}
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
				o.ctype ? o.ctype : "application/json; charset=utf-8");
	ret = MHD_queue_response(conn, (unsigned)o.status, mr);
	MHD_destroy_response(mr);
	return ret;
}

void *svc_http_start(struct svc *s, unsigned port, const char *key_pem, const char *cert_pem,
		     unsigned *bound)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	/* Loopback only: the service names only localhost and 127.0.0.1 in
	 * its TLS certificate, and its operator API (which issues and pays
	 * on anyone's behalf) has no business on a network. */
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr, "ca-service: this libmicrohttpd has no TLS\n");
		return NULL;
	}
	d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_THREAD_PER_CONNECTION |
				     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
				     MHD_USE_ERROR_LOG,
			     (uint16_t)port, NULL, NULL, &answer, s,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_HTTPS_MEM_KEY, key_pem,
			     MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
			     MHD_OPTION_HTTPS_PRIORITIES,
			     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)15,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
			     MHD_OPTION_URI_LOG_CALLBACK, &uri_log, NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, &completed, NULL,
			     MHD_OPTION_END);
	if (d == NULL)
		return NULL;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*bound = info ? info->port : 0;
	return d;
}

void svc_http_stop(void *d)
{
	MHD_stop_daemon(d);
}

void svc_resp_json(struct resp *o, int status, json_object *j)
{
	const char *t = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);

	free(o->body);
	o->body = strdup(t ? t : "{}");
	o->len = o->body ? strlen(o->body) : 0;
	o->status = o->body ? status : 500;
	o->ctype = NULL;
	json_object_put(j);
}

void svc_resp_error_list(struct resp *o, int status, const char *code, const char *msg,
			 json_object *list)
{
	json_object *e = json_object_new_object(), *top = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	if (list != NULL)
		json_object_object_add(top, "seals", list);
	json_object_object_add(top, "error", e);
	svc_resp_json(o, status, top);
}

void svc_resp_error(struct resp *o, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	svc_resp_error_list(o, status, code, msg, NULL);
}

json_object *svc_req_json(struct req *r, struct resp *o)
{
	struct json_tokener *tok;
	json_object *j;
	enum json_tokener_error err;

	if (r->len == 0)
		return json_object_new_object();
	if (memchr(r->body, '\0', r->len) != NULL) {
		svc_resp_error(o, 400, "bad_request", "malformed JSON: NUL byte in the body");
		return NULL;
	}
	tok = json_tokener_new_ex(32);
	if (tok == NULL) {
		svc_resp_error(o, 500, "internal", "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	j = json_tokener_parse_ex(tok, r->body, (int)r->len);
	err = json_tokener_get_error(tok);
	if (err == json_tokener_continue)
		svc_resp_error(o, 400, "bad_request", "malformed JSON: unexpected end of body");
	else if (err != json_tokener_success)
		svc_resp_error(o, 400, "bad_request", "malformed JSON at byte %zu: %s",
			       json_tokener_get_parse_end(tok), json_tokener_error_desc(err));
	else if (json_tokener_get_parse_end(tok) < r->len &&
		 r->body[json_tokener_get_parse_end(tok) + strspn(r->body +
			json_tokener_get_parse_end(tok), " \t\r\n")] != '\0')
		svc_resp_error(o, 400, "bad_request", "malformed JSON: trailing data at byte %zu",
			       json_tokener_get_parse_end(tok));
	else if (!json_object_is_type(j, json_type_object))
		svc_resp_error(o, 400, "bad_request", "the body must be a JSON object");
	else {
		json_tokener_free(tok);
		return j;
	}
	json_object_put(j);
	json_tokener_free(tok);
	return NULL;
}

static int member(json_object *j, const char *key, int required, json_type type,
		  const char *tname, json_object **v, struct resp *o)
{
	if (!json_object_object_get_ex(j, key, v) || *v == NULL) {
		if (!required)
			return 1;
		svc_resp_error(o, 400, "bad_request", "missing member '%s'", key);
		return -1;
	}
	if (!json_object_is_type(*v, type)) {
		svc_resp_error(o, 400, "bad_request", "member '%s' must be %s", key, tname);
		return -1;
	}
	return 0;
}

int svc_get_string(json_object *j, const char *key, int required, const char **out,
		   struct resp *o)
{
	json_object *v;
	int rc = member(j, key, required, json_type_string, "a string", &v, o);

	if (rc == 0)
		*out = json_object_get_string(v);
	return rc;
}

int svc_get_int(json_object *j, const char *key, int required, int64_t *out, struct resp *o)
{
	json_object *v;
	int rc = member(j, key, required, json_type_int, "an integer", &v, o);

	if (rc == 0)
		*out = json_object_get_int64(v);
	return rc;
}

int svc_get_bool(json_object *j, const char *key, int required, int *out, struct resp *o)
{
	json_object *v;
	int rc = member(j, key, required, json_type_boolean, "true or false", &v, o);

	if (rc == 0)
		*out = json_object_get_boolean(v);
	return rc;
}
