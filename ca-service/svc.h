/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * svc.h: the reference CA service (ca-service/), shared declarations.
 * One process: an HTTPS server (libmicrohttpd, GnuTLS inside) whose request
 * handlers run one at a time under svc->lock on one SQLite connection, so
 * every handler is one transaction.
 */
#ifndef UKEY_CA_SVC_H
#define UKEY_CA_SVC_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sqlite3.h>

/* The codec library (common/): base64, PEM, serials, dates, hex. */
#include "b64.h"
#include "certder.h"
#include "hex.h"

#define SVC_BODY_MAX (1024 * 1024)
#define SVC_GRACE_EXPIRED (90L * 86400)
#define SVC_HANG_SECONDS 10 /* misbehave hang */

struct svc {
	pthread_mutex_t lock; /* held for every request's handler */
	sqlite3 *db;
	char *state;
	X509 *ca_cert; /* user-certificate CA */
	EVP_PKEY *ca_key;
	X509 *maker_cert; /* seal maker (SM2), issued by the user CA */
	EVP_PKEY *maker_key;
	X509 *rogue_cert; /* an unrelated CA, for misbehave wrong-chain */
	EVP_PKEY *rogue_key;
	X509 *cmp_cert; /* signs the CMP answers (cmp-signer.c), issued by the user CA */
	EVP_PKEY *cmp_key;
	void *cmp; /* the CMP transactions in progress (cmp-session.c) */
	char token[65]; /* operator bearer token */
	long nonce_ttl;
	char misbehave[32];
	long misbehave_times; /* 0 = until reset */
	char misbehave_on[128]; /* path prefix targeted; "" = POST /api/v1/renewals */
	char misbehave_kind[32]; /* bad-answer: how the renewal answer is corrupted */
};

struct req {
	char *uri; /* as sent: path and query */
	const char *method;
	void *conn; /* struct MHD_Connection */
	char *body;
	size_t len, cap;
	int too_large;
};

struct resp {
	int status;
	char *body;
	size_t len;
	const char *ctype;
	int drop; /* close the connection without answering */
};

/* The authenticated caller. */
struct caller {
	char medium[64];
	X509 *cert;
	int expired; /* accepted within the grace period */
};

/* http.c */
void *svc_http_start(struct svc *s, unsigned port, const char *key_pem, const char *cert_pem,
		     unsigned *bound);
void svc_http_stop(void *daemon);
/* dispatch.c: routes one request (called under svc->lock); the fail-500,
 * drop-connection and hang faults of a request to path (1: answered). */
void svc_dispatch(struct svc *s, struct req *r, struct resp *o);
int svc_misbehaving(struct svc *s, struct req *r, struct resp *o, const char *path);
const char *svc_req_header(struct req *r, const char *name);
void svc_resp_json(struct resp *o, int status, json_object *j);
void svc_resp_error(struct resp *o, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void svc_resp_error_list(struct resp *o, int status, const char *code, const char *msg,
			 json_object *list);
/* Parses the request body as a JSON object; on failure answers 400. */
json_object *svc_req_json(struct req *r, struct resp *o);
/* Member getters that answer 400 on a wrong type; optional ones return 1
 * when absent (value unchanged). */
int svc_get_string(json_object *j, const char *key, int required, const char **out,
		   struct resp *o);
int svc_get_int(json_object *j, const char *key, int required, int64_t *out, struct resp *o);
int svc_get_bool(json_object *j, const char *key, int required, int *out, struct resp *o);

/* db.c: fmt letters bind arguments: s text, i int64, b blob (ptr, int len). */
int svc_db_open(struct svc *s, const char *path);
int svc_db_begin(struct svc *s);
int svc_db_end(struct svc *s, int commit);
sqlite3_stmt *svc_db_prep(struct svc *s, const char *sql, const char *fmt, ...);
int svc_db_run(struct svc *s, const char *sql, const char *fmt, ...);
char *svc_db_text(struct svc *s, const char *sql, const char *fmt, ...);
int64_t svc_db_int(struct svc *s, int64_t def, const char *sql, const char *fmt, ...);
char *svc_col_text(sqlite3_stmt *st, int col);
int64_t svc_next_id(struct svc *s, const char *name);

/* auth.c */
void svc_nonce_new(struct svc *s, struct resp *o);
int svc_auth(struct svc *s, struct req *r, struct resp *o, int allow_expired, struct caller *c);
int svc_cert_medium(struct svc *s, X509 *x, char *medium, size_t n, const char **why);
void svc_caller_clear(struct caller *c);

/* ca.c */
int svc_ca_init(const char *state, const char *ca_cert, const char *ca_key);
int svc_ca_load(struct svc *s);
char *svc_name_text(const X509_NAME *n);
/* allow_expired: 0 no, 1 within SVC_GRACE_EXPIRED, 2 any (enrolment). */
int svc_cert_check(struct svc *s, X509 *x, time_t now, int allow_expired, int *expired,
		   const char **why);
X509 *svc_ca_issue(X509 *ca, EVP_PKEY *cakey, const X509_NAME *subject, EVP_PKEY *pub,
		   time_t nb, time_t na, int kind);
enum { SVC_CERT_USER, SVC_CERT_CA, SVC_CERT_TLS, SVC_CERT_SEAL, SVC_CERT_CMP };
/* init.c: key + certificate NAME.pem/NAME.key in dir, issued by ca/cakey
 * (self-signed when ca is NULL). */
int svc_make_pair(const char *dir, const char *name, const char *cn, const char *type, X509 *ca,
		  EVP_PKEY *cakey, int kind, X509 **xo, EVP_PKEY **ko);
EVP_PKEY *svc_key_gen(const char *type);
int svc_write_pem(const char *path, X509 *x, EVP_PKEY *key);
time_t svc_asn1_time(const ASN1_TIME *t);
int svc_cli_issue(int argc, char **argv);

/* seal.c */
unsigned char *svc_seal_make(struct svc *s, X509 *holder, const char *es_id, const char *name,
			     long type, time_t from, time_t to, int shape, int *len);
int svc_seal_store(struct svc *s, const char *medium, const char *es_id, const char *name,
		   long type, const char *status, const unsigned char *der, int len, time_t from,
		   time_t to, char *id);

/* seal-picture.c: the picture of a seal of this type (malloc'd; type 1, an
 * organisation's seal: a BMP of about 200 KB, else a PNG of about 58 KB)
 * and its label ("BMP", "PNG"); NULL when out of memory. */
unsigned char *svc_seal_picture(long type, const char **label, size_t *len);

/* bad-answer.c: misbehave bad-answer, applied to the answer o of a
 * request to path (after its handler ran and committed). */
extern const char *const svc_bad_answer_kinds[];
void svc_bad_answer(struct svc *s, struct req *r, struct resp *o, const char *path);

/* routes-renew.c: the renewal's rules, shared with the CMP endpoint. */
struct svc_refusal {
	int status; /* the native answer's HTTP status; 0: the database failed */
	const char *code, *msg;
};
int svc_renew_gate(struct svc *s, const char *medium, int with_seals, char **order, int *enc,
		   struct svc_refusal *why);
int svc_renew_key_ok(EVP_PKEY *k);
X509 *svc_renew_issue(struct svc *s, X509 *old_cert, EVP_PKEY *key);
int svc_cert_register(struct svc *s, const char *medium, X509 *x);

/* cmp-route.c: POST /.well-known/cmp (called under svc->lock); cmp-signer.c:
 * the CMP signer key and certificate of the state directory, made when
 * missing. */
#define SVC_CMP_PATH "/.well-known/cmp"
void svc_route_cmp(struct svc *s, struct req *r, struct resp *o);
int svc_cmp_signer_load(struct svc *s);
void svc_cmp_free(struct svc *s);

/* routes-*.c, operator.c, pdf.c */
void svc_route_status(struct svc *s, struct caller *c, struct resp *o);
json_object *svc_order_json(struct svc *s, const char *medium);
void svc_route_binding(struct svc *s, struct req *r, struct caller *c, struct resp *o);
void svc_route_order(struct svc *s, struct caller *c, struct resp *o);
void svc_route_invoices(struct svc *s, struct req *r, struct caller *c, struct resp *o,
			const char *rest);
void svc_route_seals(struct svc *s, struct req *r, struct caller *c, struct resp *o,
		     const char *rest);
void svc_route_renewals(struct svc *s, struct req *r, struct caller *c, struct resp *o,
			const char *rest);
void svc_route_operator(struct svc *s, struct req *r, struct resp *o, const char *rest);
int svc_seals_add(struct svc *s, const char *medium, json_object *out);
char *svc_pdf_invoice(const char *id, const char *title, const char *tax, int64_t amount,
		      time_t issued, size_t *len);

#endif
