/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The renewal assistant (`ukey assistant`, docs/assistant.md): a loopback
 * HTTP server in the ukey process whose JSON API drives libukey-renew for
 * the page in tools/assistant/www/. One struct asst holds it all; the files
 * of this directory each do one job on it:
 *
 *   server.c    libmicrohttpd: the two loopback sockets, bodies, answers
 *   security.c  secret, Host, Origin, CSRF, content type, the headers
 *   static.c    the page's files
 *   routes.c    which handler answers which request, the error mapping
 *   api-token.c session, token, seal pictures, login
 *   api-service.c  status, binding (and its poll), order, invoices
 *   api-seals.c the service's seals, the rule check, the cleaning
 *   api-renew.c the renewal in a worker thread
 *   events.c    server-sent events, the token watch thread
 *   qr.c        the binding's QR code as SVG
 *   life.c      start, the exit conditions, tear-down
 * and tools/ukey/cmd-assistant.c is the command around it.
 */
#ifndef UKEY_ASSISTANT_H
#define UKEY_ASSISTANT_H

#include <limits.h>
#include <pthread.h>
#include <time.h>

#include <json-c/json.h>

#include "ukey-renew.h"

struct MHD_Connection;
struct MHD_Daemon;

struct asst_opts {
	unsigned port;     /* 0: a free one */
	long idle;         /* seconds without a request before exiting */
	long closed;       /* seconds without an event stream (after one) */
	const char *serial, *module;
};

/* The event ring the streams read from; a stream that falls further
 * behind than this skips to the oldest kept (the page re-reads state). */
#define ASST_EVENTS 128

struct asst_event {
	unsigned long seq;
	char name[16];
	char *data;
};

struct asst {
	struct asst_opts o;
	char secret[48], csrf[48], locale[8], www[PATH_MAX];
	unsigned port;
	struct MHD_Daemon *d4, *d6;
	char launch_file[PATH_MAX]; /* the browser's redirect file, removed on launch */
	time_t launch_made;

	/* lock: the fields from here to "work" (events, counters, exit,
	 * renewal state); never held across a token or service call. */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a new event, or exiting */
	struct asst_event ev[ASST_EVENTS];
	unsigned long seq;
	int streams, ever_streamed;
	int inflight; /* requests begun, their answer not yet sent */
	time_t last_stream, last_request;
	int quit;
	const char *quit_reason;
	int token_gone; /* the selected key was removed: the session is dead */
	char session_serial[17]; /* the key the session is open on, or "" */
	int renew_running, renew_thread;
	pthread_t renew_th;
	json_object *renew_events, *renew_result; /* this run's events, its outcome */
	int renew_step;
	int bind_polling, bind_thread;
	pthread_t bind_th;
	int64_t bind_expires;

	/* work: one token or service job at a time (the PKCS#11 session and
	 * the client are not shared between threads); the renewal thread
	 * holds it for the whole run, so handlers check renew_running first. */
	pthread_mutex_t work;
	struct ukey_conf conf;
	struct ukey_conn p11;
	int module_ok;
	char module_msg[1024];
	struct ukey_token_info tok;
	CK_SESSION_HANDLE s;
	int have_session, logged_in;
	struct ukey_cert *certs;
	size_t ncerts;
	struct ukey_client *client;
	struct ukey_clean_list seals;
	int have_seals;

	pthread_t watch_th;
	int watch_started;
};

/* A request as the handlers see it. */
struct asst_req {
	struct asst *a;
	struct MHD_Connection *conn;
	const char *method, *path; /* path without the query */
	char *body;
	size_t len;
	json_object *json; /* POST: the parsed body (an object) */
};

/* An answer: JSON (j), bytes (body, owned), or an event stream. */
struct asst_resp {
	int status;
	json_object *j;
	char *body;
	size_t len;
	const char *ctype;
	char disposition[160];
	char cookie[160];
	const char *location;
	int stream;
	unsigned long stream_from;
};

/* server.c */
int asst_server_start(struct asst *a, struct ukey_err *e);
void asst_server_stop(struct asst *a);
/* A header of the request, or NULL. */
const char *asst_header(const struct asst_req *r, const char *name);
const char *asst_query(const struct asst_req *r, const char *name);

/* security.c */
int asst_secrets_make(struct asst *a);
/* 0 when the request may go on; else r is the refusal. The launch URL's
 * redirect is an answer too (returns 1). */
int asst_guard(struct asst_req *q, struct asst_resp *r);
/* The headers every answer carries. */
void asst_headers_add(void *mhd_response);

/* static.c: 0 with the file in r, or a 404 in r. */
void asst_static(struct asst_req *q, struct asst_resp *r);

/* routes.c */
void asst_route(struct asst_req *q, struct asst_resp *r);
/* JSON answers and errors; asst_error returns the "error" object for
 * extra members (field, tries_left...). */
void asst_json(struct asst_resp *r, int status, json_object *j);
json_object *asst_error(struct asst_resp *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A library error as the API's: status and code from e->code and
 * e->service_code, the message as it is. */
json_object *asst_error_from(struct asst_resp *r, const struct ukey_err *e);
/* Member helpers for bodies: 0, 1 when absent and optional, -1 with r set. */
int asst_get_string(struct asst_req *q, struct asst_resp *r, const char *key, int required, const char **out);
int asst_get_bool(struct asst_req *q, struct asst_resp *r, const char *key, int *out);
int asst_renew_busy(struct asst *a);
/* Before a token or service call: 0 with a->work held (a removed key's
 * session closed first), or r is the refusal (busy, no module, and with
 * login, login_required). */
int asst_work_begin(struct asst_req *q, struct asst_resp *r, int login);
void asst_work_end(struct asst *a);

/* api-token.c */
void asst_api_session(struct asst_req *q, struct asst_resp *r);
void asst_api_token(struct asst_req *q, struct asst_resp *r);
void asst_api_seal_picture(struct asst_req *q, struct asst_resp *r);
void asst_api_login(struct asst_req *q, struct asst_resp *r);
void asst_api_logout(struct asst_req *q, struct asst_resp *r);
/* With work held: the selected token open in a session (selected again
 * when it was removed); UKEY_E_OK or e. */
int asst_token_open(struct asst *a, struct ukey_err *e);
void asst_token_close(struct asst *a);
/* The token as GET /api/token gives it ("token" member). */
json_object *asst_token_json(struct asst *a, const struct ukey_token_info *t, CK_SESSION_HANDLE s);
json_object *asst_cert_json(const struct ukey_cert *c);
/* {what, state, serial, label}: the keys present in a word, for events. */
json_object *asst_token_brief(struct asst *a, const char *what);

/* api-service.c */
void asst_api_status(struct asst_req *q, struct asst_resp *r);
void asst_api_binding(struct asst_req *q, struct asst_resp *r);
void asst_api_order(struct asst_req *q, struct asst_resp *r);
void asst_api_invoices(struct asst_req *q, struct asst_resp *r);
void asst_api_invoice_document(struct asst_req *q, struct asst_resp *r, const char *id);

/* api-seals.c */
void asst_api_seals(struct asst_req *q, struct asst_resp *r);
void asst_api_seals_check(struct asst_req *q, struct asst_resp *r);
void asst_api_seals_clean(struct asst_req *q, struct asst_resp *r);

/* api-renew.c */
void asst_api_renew(struct asst_req *q, struct asst_resp *r);
void asst_renew_join(struct asst *a);

/* events.c */
/* Queues an event for every stream (takes o). */
void asst_event(struct asst *a, const char *name, json_object *o);
void asst_events_stream(struct asst_req *q, struct asst_resp *r);
/* The MHD response of a stream from seq on. */
void *asst_events_response(struct asst *a, unsigned long from);
int asst_watch_start(struct asst *a);
void asst_watch_stop(struct asst *a);

/* qr.c: an SVG of text's QR code (malloc'd), or NULL. */
char *asst_qr_svg(const char *text);

/* The assistant's life, for cmd-assistant.c: set up (module, secrets,
 * sockets, threads), wait for an exit condition, tear down. */
int asst_start(struct asst *a, const struct asst_opts *o, struct ukey_err *e);
/* Blocks until quit, idle or closed; returns the reason. */
const char *asst_wait(struct asst *a);
void asst_quit(struct asst *a, const char *reason);
void asst_stop(struct asst *a);

#endif
