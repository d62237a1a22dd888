/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * routes-client.c: GET /api/v1/status, /api/v1/binding (GET, POST) and
 * GET /api/v1/order for the authenticated medium.
 */
#include "config.h"

#include "svc.h"

#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#define BIND_TTL (24L * 3600)

static json_object *str_or_null(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? json_object_new_string((const char *)t) : NULL;
}

static json_object *int_or_null(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	return json_object_new_int64(sqlite3_column_int64(st, col));
}

json_object *svc_order_json(struct svc *s, const char *medium)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT id, state, covers, price, pay_method, paid_at,"
					  " encryption FROM orders WHERE medium = ?"
					  " ORDER BY n DESC LIMIT 1", "s", medium);
	json_object *j = json_object_new_object();
	char text[32];

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		int64_t price = sqlite3_column_int64(st, 3);
		snprintf(text, sizeof(text), "%lld.%02lld", (long long)(price / 100),
			 (long long)(price % 100));
		json_object_object_add(j, "id", str_or_null(st, 0));
		json_object_object_add(j, "state", str_or_null(st, 1));
		json_object_object_add(j, "covers", str_or_null(st, 2));
		json_object_object_add(j, "price", json_object_new_int64(price));
		json_object_object_add(j, "currency", json_object_new_string("CNY"));
		json_object_object_add(j, "price_text", json_object_new_string(text));
		json_object_object_add(j, "pay_method", str_or_null(st, 4));
		json_object_object_add(j, "paid_at", int_or_null(st, 5));
		json_object_object_add(j, "encryption_certificate",
				       json_object_new_boolean(sqlite3_column_int(st, 6)));
	} else {
		json_object_object_add(j, "id", NULL);
		json_object_object_add(j, "state", json_object_new_string("none"));
		json_object_object_add(j, "covers", NULL);
		json_object_object_add(j, "price", NULL);
		json_object_object_add(j, "currency", json_object_new_string("CNY"));
		json_object_object_add(j, "price_text", NULL);
		json_object_object_add(j, "pay_method", NULL);
		json_object_object_add(j, "paid_at", NULL);
		json_object_object_add(j, "encryption_certificate", json_object_new_boolean(0));
	}
	sqlite3_finalize(st);
	return j;
}

/* "none", "pending" (an unexpired code) or "confirmed". */
static const char *binding_state(struct svc *s, const char *medium, int64_t *confirmed_at)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT state, expires, confirmed_at FROM bindings"
					  " WHERE medium = ?", "s", medium);
	const char *state = "none";

	*confirmed_at = 0;
	if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (t && strcmp(t, "confirmed") == 0) {
			state = "confirmed";
			*confirmed_at = sqlite3_column_int64(st, 2);
		} else if (t && strcmp(t, "pending") == 0 &&
			   sqlite3_column_int64(st, 1) >= (int64_t)time(NULL)) {
			state = "pending";
		}
	}
	sqlite3_finalize(st);
	return state;
}

static const char *last4(const char *medium)
{
	size_t n = strlen(medium);
	return n > 4 ? medium + n - 4 : medium;
}

void svc_route_status(struct svc *s, struct caller *c, struct resp *o)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT trust_number, identity_checked, seals_state"
					  " FROM media WHERE medium = ?", "s", c->medium);
	json_object *j, *cert;
	char *serial = ukc_x509_serial_hex(c->cert), *subject = svc_name_text(X509_get_subject_name(c->cert));
	int64_t at;

	if (st == NULL || sqlite3_step(st) != SQLITE_ROW || !serial || !subject) {
		svc_resp_error(o, 500, "internal", "medium record missing");
		goto out;
	}
	j = json_object_new_object();
	cert = json_object_new_object();
	json_object_object_add(j, "medium", json_object_new_string(c->medium));
	json_object_object_add(j, "medium_last4", json_object_new_string(last4(c->medium)));
	json_object_object_add(cert, "serial", json_object_new_string(serial));
	json_object_object_add(cert, "subject", json_object_new_string(subject));
	json_object_object_add(cert, "not_before", json_object_new_int64(
		svc_asn1_time(X509_get0_notBefore(c->cert))));
	json_object_object_add(cert, "not_after", json_object_new_int64(
		svc_asn1_time(X509_get0_notAfter(c->cert))));
	json_object_object_add(cert, "trust_number", str_or_null(st, 0));
	json_object_object_add(cert, "expired", json_object_new_boolean(c->expired));
	json_object_object_add(j, "certificate", cert);
	json_object_object_add(j, "binding",
			       json_object_new_string(binding_state(s, c->medium, &at)));
	json_object_object_add(j, "identity_checked",
			       json_object_new_boolean(sqlite3_column_int(st, 1)));
	json_object_object_add(j, "seals", str_or_null(st, 2));
	json_object_object_add(j, "order", svc_order_json(s, c->medium));
	svc_resp_json(o, 200, j);
out:
	sqlite3_finalize(st);
	free(serial);
	free(subject);
}

static void new_code(char code[10])
{
	static const char alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
	unsigned char rnd[8];
	int i, k = 0;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < 8; i++) {
		if (i == 4)
			code[k++] = '-';
		code[k++] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	}
	code[k] = '\0';
}

void svc_route_binding(struct svc *s, struct req *r, struct caller *c, struct resp *o)
{
	json_object *j, *body;
	int64_t at, expires = (int64_t)time(NULL) + BIND_TTL;
	const char *state = binding_state(s, c->medium, &at);
	char code[10], qr[128];

	if (strcmp(r->method, "GET") == 0) {
		j = json_object_new_object();
		json_object_object_add(j, "state", json_object_new_string(state));
		json_object_object_add(j, "confirmed_at", at ? json_object_new_int64(at) : NULL);
		svc_resp_json(o, 200, j);
		return;
	}
	body = svc_req_json(r, o);
	if (body == NULL)
		return;
	json_object_put(body);
	if (strcmp(state, "confirmed") == 0) {
		svc_resp_error(o, 409, "already_bound", "the certificate is already bound");
		return;
	}
	new_code(code);
	if (svc_db_run(s, "INSERT INTO bindings(medium, code, expires, state) VALUES(?, ?, ?, 'pending')"
			  " ON CONFLICT(medium) DO UPDATE SET code = excluded.code,"
			  " expires = excluded.expires, state = 'pending'", "ssi",
		       c->medium, code, expires) != 0) {
		svc_resp_error(o, 500, "internal", "cannot store the binding code");
		return;
	}
	snprintf(qr, sizeof(qr), "ukey-bind:%s:%s", code, last4(c->medium));
	j = json_object_new_object();
	json_object_object_add(j, "code", json_object_new_string(code));
	json_object_object_add(j, "medium_last4", json_object_new_string(last4(c->medium)));
	json_object_object_add(j, "expires", json_object_new_int64(expires));
	json_object_object_add(j, "qr", json_object_new_string(qr));
	svc_resp_json(o, 200, j);
}

void svc_route_order(struct svc *s, struct caller *c, struct resp *o)
{
	svc_resp_json(o, 200, svc_order_json(s, c->medium));
}
