/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* server.c: the assistant's HTTP side on libmicrohttpd. Two daemons, one
 * on 127.0.0.1 and one on ::1 (the same port), never a wildcard address:
 * nothing off this machine can connect. A thread per connection, so an
 * event stream may block in its reader and a slow token call holds only
 * its own request. Bodies are collected (64 KiB at most) and wiped when the
 * request ends: one of them carries the PIN. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "assistant.h"

#define BODY_MAX (64 * 1024)

struct conn_ctx {
	char *body;
	size_t len, cap;
	int too_large, started;
};

const char *asst_header(const struct asst_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *asst_query(const struct asst_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *c = *con_cls;

	struct asst *a = cls;

	(void)conn;
	(void)toe;
	if (c == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	a->inflight--;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	if (c->body != NULL)
		OPENSSL_cleanse(c->body, c->cap);
	free(c->body);
	free(c);
	*con_cls = NULL;
}

static int append(struct conn_ctx *c, const char *data, size_t n)
{
	if (c->too_large || c->len + n > BODY_MAX) {
		c->too_large = 1;
		return 0;
	}
	if (c->len + n + 1 > c->cap) {
		/* Grown once to the maximum: a realloc would leave a copy of
		 * the PIN behind in the freed block. */
		char *b = malloc(BODY_MAX + 1);
		if (b == NULL)
			return -1;
		if (c->body != NULL) {
			memcpy(b, c->body, c->len);
			OPENSSL_cleanse(c->body, c->cap);
			free(c->body);
		}
		c->body = b;
		c->cap = BODY_MAX + 1;
	}
	memcpy(c->body + c->len, data, n);
	c->len += n;
	c->body[c->len] = '\0';
	return 0;
}

/* Parses a POST body strictly into q->json; the tokener's copy of each
 * string it read is wiped before it is freed (the PIN passes through it). */
static int parse_body(struct asst_req *q, struct asst_resp *r)
{
	struct json_tokener *tok;
	enum json_tokener_error err;
	size_t end;

	if (q->len == 0 || memchr(q->body, '\0', q->len) != NULL) {
		asst_error(r, 400, "bad_request", "%s", _("the request body must be a JSON object"));
		return -1;
	}
	tok = json_tokener_new_ex(16);
	if (tok == NULL) {
		asst_error(r, 500, "error", "%s", _("out of memory"));
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	q->json = json_tokener_parse_ex(tok, q->body, (int)q->len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (tok->pb != NULL && tok->pb->buf != NULL)
		OPENSSL_cleanse(tok->pb->buf, (size_t)tok->pb->size);
	json_tokener_free(tok);
	if (err == json_tokener_success && q->json != NULL && json_object_is_type(q->json, json_type_object) &&
	    q->body[end + strspn(q->body + end, " \t\r\n")] == '\0')
		return 0;
	json_object_put(q->json);
	q->json = NULL;
	asst_error(r, 400, "bad_request", "%s", _("the request body must be a JSON object"));
	return -1;
}

static enum MHD_Result send_resp(struct asst *a, struct MHD_Connection *conn, struct asst_resp *r)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;

	if (r->stream) {
		mr = asst_events_response(a, r->stream_from);
	} else {
		if (r->j != NULL) {
			char *safe = ukey_text_json_safe(json_object_to_json_string_ext(
				r->j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(r->j);
			r->j = NULL;
			free(r->body);
			r->body = safe;
			r->len = safe ? strlen(safe) : 0;
			r->ctype = "application/json; charset=utf-8";
			if (safe == NULL)
				return MHD_NO;
		}
		mr = MHD_create_response_from_buffer(r->len, r->body ? r->body : (char *)"", r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (mr != NULL)
			r->body = NULL;
	}
	if (mr == NULL) {
		free(r->body);
		return MHD_NO;
	}
	asst_headers_add(mr);
	if (r->ctype != NULL)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
	if (r->cookie[0])
		MHD_add_response_header(mr, MHD_HTTP_HEADER_SET_COOKIE, r->cookie);
	if (r->location != NULL)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->disposition[0])
		MHD_add_response_header(mr, "Content-Disposition", r->disposition);
	ret = MHD_queue_response(conn, (unsigned)r->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct asst *a = cls;
	struct conn_ctx *c = *con_cls;
	struct asst_req q;
	struct asst_resp r;
	enum MHD_Result ret;
	const char *cl;

	(void)version;
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return MHD_NO;
		*con_cls = c;
		pthread_mutex_lock(&a->lock);
		a->inflight++;
		pthread_mutex_unlock(&a->lock);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		/* An absurd body is not even read. */
		if (cl != NULL && strtoull(cl, NULL, 10) > 16ULL * BODY_MAX)
			return MHD_NO;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (append(c, upload, *upload_size) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&q, 0, sizeof(q));
	memset(&r, 0, sizeof(r));
	q.a = a;
	q.conn = conn;
	q.method = method;
	q.path = url;
	q.body = c->body;
	q.len = c->len;
	if (asst_guard(&q, &r) != 0) {
	} else if (c->too_large) {
		asst_error(&r, 413, "too_large", "%s", _("the request body is larger than 64 KiB"));
	} else if (strcmp(method, "POST") == 0 && parse_body(&q, &r) != 0) {
	} else {
		pthread_mutex_lock(&a->lock);
		a->last_request = time(NULL);
		pthread_mutex_unlock(&a->lock);
		asst_route(&q, &r);
	}
	json_object_put(q.json);
	if (r.status == 0)
		asst_error(&r, 500, "error", "%s", _("no answer"));
	ret = send_resp(a, conn, &r);
	json_object_put(r.j);
	free(r.body);
	return ret;
}

static struct MHD_Daemon *start_on(struct asst *a, int v6, unsigned port)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	s4.sin_family = AF_INET;
	s4.sin_port = htons((uint16_t)port);
	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons((uint16_t)port);
	s6.sin6_addr = in6addr_loopback;
	if (v6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, &answer, a,
				MHD_OPTION_SOCK_ADDR, v6 ? (struct sockaddr *)&s6 : (struct sockaddr *)&s4,
				/* the event streams send a ping every 15 s */
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
				MHD_OPTION_NOTIFY_COMPLETED, &completed, a,
				MHD_OPTION_END);
}

int asst_server_start(struct asst *a, struct ukey_err *e)
{
	const union MHD_DaemonInfo *info;

	a->d4 = start_on(a, 0, a->o.port);
	if (a->d4 == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot listen on 127.0.0.1 port %u (in use?)"), a->o.port);
	info = MHD_get_daemon_info(a->d4, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info ? info->port : a->o.port;
	/* ::1 as well when the machine has it; the URL given is 127.0.0.1. */
	a->d6 = start_on(a, 1, a->port);
	return UKEY_E_OK;
}

void asst_server_stop(struct asst *a)
{
	struct timespec until;

	/* The answers under way are sent first (the page's /api/quit among
	 * them: stopping the daemon would cut it off); the streams end by
	 * themselves once quit is set. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&a->lock);
	while (a->inflight > 0)
		if (pthread_cond_timedwait(&a->cond, &a->lock, &until) != 0)
			break;
	pthread_mutex_unlock(&a->lock);
	if (a->d6 != NULL)
		MHD_stop_daemon(a->d6);
	if (a->d4 != NULL)
		MHD_stop_daemon(a->d4);
	a->d4 = a->d6 = NULL;
}
