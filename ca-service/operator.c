/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * operator.c: /operator/v1/ -- the phone account and the CA's counter,
 * behind the bearer token (checked by dispatch.c). All POST with JSON:
 *   media {medium, certificate PEM, trust_number?}    enroll a token
 *   media/<m>/identity                                identity checked
 *   media/<m>/seals                                   add seals (+ duplicates)
 *   media/<m>/seals/abnormal                          mark seals abnormal
 *   bindings/confirm {code, medium_last4}             phone-side confirm
 *   orders {medium, covers, price, encryption?}       create an order
 *   orders/<id>/pay {method}   orders/<id>/confirm-transfer
 *   invoices/<id>/issue        certificates/<serial>/revoke
 *   misbehave {mode, kind?, times?, on?}              (cmp-waiting: times = N)
 */
#include "config.h"

#include "svc.h"

#include <string.h>
#include <time.h>

#include <openssl/pem.h>

static const char *modes[] = { "none", "wrong-key", "wrong-chain", "wrong-subject",
			       "fail-500", "drop-connection", "hang", "bad-answer", "cmp-waiting",
			       NULL };

/* Splits "<prefix><id>[/<tail>]"; id is copied into buf. */
static int seg(const char *rest, const char *prefix, char *buf, size_t n, const char **tail)
{
	size_t pl = strlen(prefix), il;

	if (strncmp(rest, prefix, pl) != 0)
		return 0;
	rest += pl;
	il = strcspn(rest, "/");
	if (il == 0 || il >= n)
		return 0;
	memcpy(buf, rest, il);
	buf[il] = '\0';
	*tail = rest[il] ? rest + il + 1 : "";
	return 1;
}

static void ok_state(struct resp *o, const char *state)
{
	json_object *j = json_object_new_object();
	json_object_object_add(j, "state", json_object_new_string(state));
	svc_resp_json(o, 200, j);
}

static int medium_exists(struct svc *s, const char *m, struct resp *o)
{
	if (svc_db_int(s, 0, "SELECT count(*) FROM media WHERE medium = ?", "s", m) > 0)
		return 1;
	svc_resp_error(o, 404, "not_found", "no medium %s", m);
	return 0;
}

static void enroll(struct svc *s, json_object *b, struct resp *o)
{
	const char *m, *pem, *trust = NULL, *why;
	char *serial = NULL, *issuer = NULL;
	unsigned char *der = NULL;
	X509 *x = NULL;
	int len, expired;

	if (svc_get_string(b, "medium", 1, &m, o) || svc_get_string(b, "certificate", 1, &pem, o) ||
	    svc_get_string(b, "trust_number", 0, &trust, o) < 0)
		return;
	x = ukc_x509_from_pem(pem);
	if (x == NULL || svc_cert_check(s, x, time(NULL), 2, &expired, &why) != 0) {
		svc_resp_error(o, 400, "bad_request", "certificate unusable: %s",
			       x ? why : "not a PEM certificate");
		goto out;
	}
	serial = ukc_x509_serial_hex(x);
	issuer = svc_name_text(X509_get_issuer_name(x));
	len = i2d_X509(x, &der);
	if (!serial || !issuer || len <= 0 ||
	    svc_db_run(s, "INSERT INTO media(medium, trust_number) VALUES(?, ?)"
			  " ON CONFLICT(medium) DO NOTHING", "ss", m, trust ? trust : m) ||
	    svc_db_run(s, "INSERT INTO certificates(serial, issuer, medium, der) VALUES(?, ?, ?, ?)"
			  " ON CONFLICT(serial, issuer) DO UPDATE SET medium = excluded.medium",
		       "sssb", serial, issuer, m, der, len)) {
		svc_resp_error(o, 500, "internal", "cannot enroll");
		goto out;
	}
	ok_state(o, "enrolled");
out:
	OPENSSL_free(der);
	free(serial);
	free(issuer);
	X509_free(x);
}

static void confirm_binding(struct svc *s, json_object *b, struct resp *o)
{
	const char *code, *l4;
	char *m;
	size_t n;

	if (svc_get_string(b, "code", 1, &code, o) || svc_get_string(b, "medium_last4", 1, &l4, o))
		return;
	m = svc_db_text(s, "SELECT medium FROM bindings WHERE code = ? AND state = 'pending'"
			   " AND expires >= ?", "si", code, (int64_t)time(NULL));
	if (m == NULL) {
		svc_resp_error(o, 404, "not_found", "no pending binding with this code");
		return;
	}
	n = strlen(m);
	if (strlen(l4) != 4 || n < 4 || strcmp(m + n - 4, l4) != 0) {
		svc_resp_error(o, 409, "binding_mismatch",
			       "the last four digits do not match the medium number");
	} else if (svc_db_run(s, "UPDATE bindings SET state = 'confirmed', confirmed_at = ?,"
				 " code = NULL WHERE medium = ?", "is", (int64_t)time(NULL), m)) {
		svc_resp_error(o, 500, "internal", "cannot confirm");
	} else {
		ok_state(o, "confirmed");
	}
	free(m);
}

static void create_order(struct svc *s, json_object *b, struct resp *o)
{
	const char *m, *covers;
	int64_t price, n;
	int enc = 0;
	char id[40], day[16];
	time_t now = time(NULL);
	struct tm tm;

	if (svc_get_string(b, "medium", 1, &m, o) || svc_get_string(b, "covers", 1, &covers, o) ||
	    svc_get_int(b, "price", 1, &price, o) || svc_get_bool(b, "encryption", 0, &enc, o) < 0)
		return;
	if (!medium_exists(s, m, o))
		return;
	if ((strcmp(covers, "cert") != 0 && strcmp(covers, "cert+seals") != 0) || price < 0) {
		svc_resp_error(o, 400, "bad_request", "covers is cert or cert+seals, price >= 0");
		return;
	}
	n = svc_next_id(s, "order");
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	snprintf(id, sizeof(id), "ORD-%s-%04lld", day, (long long)n);
	if (n < 0 || svc_db_run(s, "INSERT INTO orders(id, medium, state, covers, price, encryption)"
				   " VALUES(?, ?, 'unpaid', ?, ?, ?)", "sssii", id, m, covers,
				price, (int64_t)enc)) {
		svc_resp_error(o, 500, "internal", "cannot create the order");
		return;
	}
	svc_resp_json(o, 201, svc_order_json(s, m));
}

static void pay(struct svc *s, const char *id, const char *tail, json_object *b, struct resp *o)
{
	char *state = svc_db_text(s, "SELECT state FROM orders WHERE id = ?", "s", id);
	const char *method = NULL;
	int64_t now = (int64_t)time(NULL);

	if (state == NULL) {
		svc_resp_error(o, 404, "not_found", "no order %s", id);
		return;
	}
	if (strcmp(tail, "confirm-transfer") == 0) {
		if (strcmp(state, "awaiting_transfer") != 0)
			svc_resp_error(o, 409, "order_state", "order is %s, not awaiting_transfer", state);
		else if (svc_db_run(s, "UPDATE orders SET state = 'paid', paid_at = ? WHERE id = ?",
				    "is", now, id) ||
			 svc_db_run(s, "UPDATE payments SET state = 'confirmed', at = ?"
				       " WHERE order_id = ?", "is", now, id))
			svc_resp_error(o, 500, "internal", "cannot update");
		else
			ok_state(o, "paid");
	} else if (strcmp(tail, "pay") == 0) {
		if (svc_get_string(b, "method", 1, &method, o))
			goto out;
		if (strcmp(method, "wechat") != 0 && strcmp(method, "transfer") != 0)
			svc_resp_error(o, 400, "bad_request", "method is wechat or transfer");
		else if (strcmp(state, "unpaid") != 0)
			svc_resp_error(o, 409, "order_state", "order is %s, not unpaid", state);
		else if (svc_db_run(s, "UPDATE orders SET state = ?, pay_method = ?, paid_at = ?"
				       " WHERE id = ?", "ssis",
				    method[0] == 'w' ? "paid" : "awaiting_transfer", method,
				    method[0] == 'w' ? now : (int64_t)0, id) ||
			 svc_db_run(s, "UPDATE orders SET paid_at = NULL WHERE id = ? AND state !="
				       " 'paid'", "s", id) ||
			 svc_db_run(s, "INSERT INTO payments(order_id, method, amount, state, at)"
				       " SELECT id, ?, price, ?, ? FROM orders WHERE id = ?", "ssis",
				    method, method[0] == 'w' ? "confirmed" : "pending", now, id))
			svc_resp_error(o, 500, "internal", "cannot pay");
		else
			ok_state(o, method[0] == 'w' ? "paid" : "awaiting_transfer");
	}
out:
	free(state);
}

static void misbehave(struct svc *s, json_object *b, struct resp *o)
{
	const char *mode, *on = "", *kind = "";
	int64_t times = 0;
	int i;

	if (svc_get_string(b, "mode", 1, &mode, o) || svc_get_int(b, "times", 0, &times, o) < 0 ||
	    svc_get_string(b, "on", 0, &on, o) < 0 || svc_get_string(b, "kind", 0, &kind, o) < 0)
		return;
	for (i = 0; modes[i] && strcmp(modes[i], mode) != 0; i++)
		;
	if (modes[i] == NULL || times < 0) {
		svc_resp_error(o, 400, "bad_request", "unknown misbehave mode %s", mode);
		return;
	}
	for (i = 0; svc_bad_answer_kinds[i] && strcmp(svc_bad_answer_kinds[i], kind) != 0; i++)
		;
	if ((strcmp(mode, "bad-answer") == 0) != (svc_bad_answer_kinds[i] != NULL)) {
		svc_resp_error(o, 400, "bad_request", "kind: one of bad-answer's kinds, for bad-answer only");
		return;
	}
	/* The wrong-* modes change what is issued: renewals only. The CMP
	 * endpoint's requests are /.well-known/cmp/<body type> (cmp-route.c). */
	if (on[0] != '\0' && ((strncmp(on, "/api/v1/", 8) != 0 && strncmp(on, SVC_CMP_PATH, 16) != 0) ||
			      strlen(on) >= sizeof(s->misbehave_on) || strncmp(mode, "wrong-", 6) == 0 ||
			      strcmp(mode, "cmp-waiting") == 0)) {
		svc_resp_error(o, 400, "bad_request",
			       "on: a path prefix under /api/v1/ or " SVC_CMP_PATH
			       ", for fail-500, drop-connection, hang, bad-answer");
		return;
	}
	if (strcmp(mode, "cmp-waiting") == 0 && times < 1) {
		svc_resp_error(o, 400, "bad_request", "cmp-waiting N: N >= 1 waiting answers");
		return;
	}
	snprintf(s->misbehave, sizeof(s->misbehave), "%s", mode);
	snprintf(s->misbehave_kind, sizeof(s->misbehave_kind), "%s", kind);
	snprintf(s->misbehave_on, sizeof(s->misbehave_on), "%s", on);
	s->misbehave_times = (long)times;
	ok_state(o, mode);
}

static void simple_update(struct svc *s, struct resp *o, const char *sql, const char *key,
			  const char *state)
{
	if (svc_db_run(s, sql, "s", key) != 0)
		svc_resp_error(o, 500, "internal", "update failed");
	else if (sqlite3_changes(s->db) == 0)
		svc_resp_error(o, 404, "not_found", "nothing matches %s", key);
	else
		ok_state(o, state);
}

void svc_route_operator(struct svc *s, struct req *r, struct resp *o, const char *rest)
{
	json_object *b, *out;
	const char *tail;
	char id[128];

	if (strcmp(r->method, "POST") != 0) {
		svc_resp_error(o, 404, "not_found", "operator endpoints take POST");
		return;
	}
	b = svc_req_json(r, o);
	if (b == NULL)
		return;
	if (strcmp(rest, "media") == 0) {
		enroll(s, b, o);
	} else if (seg(rest, "media/", id, sizeof(id), &tail)) {
		if (!medium_exists(s, id, o))
			goto out;
		if (strcmp(tail, "identity") == 0) {
			simple_update(s, o, "UPDATE media SET identity_checked = 1 WHERE medium = ?",
				      id, "checked");
		} else if (strcmp(tail, "seals/abnormal") == 0) {
			simple_update(s, o, "UPDATE media SET seals_state = 'abnormal' WHERE medium = ?",
				      id, "abnormal");
		} else if (strcmp(tail, "seals") == 0) {
			out = json_object_new_object();
			if (svc_seals_add(s, id, out) != 0) {
				json_object_put(out);
				svc_resp_error(o, 500, "internal", "cannot make seals");
			} else {
				svc_resp_json(o, 201, out);
			}
		}
	} else if (strcmp(rest, "bindings/confirm") == 0) {
		confirm_binding(s, b, o);
	} else if (strcmp(rest, "orders") == 0) {
		create_order(s, b, o);
	} else if (seg(rest, "orders/", id, sizeof(id), &tail)) {
		pay(s, id, tail, b, o);
	} else if (seg(rest, "invoices/", id, sizeof(id), &tail) && strcmp(tail, "issue") == 0) {
		if (svc_db_run(s, "UPDATE invoices SET state = 'issued', issued_at = ? WHERE id = ?"
				  " AND state = 'requested'", "is", (int64_t)time(NULL), id) != 0)
			svc_resp_error(o, 500, "internal", "update failed");
		else if (sqlite3_changes(s->db) == 0)
			svc_resp_error(o, 404, "not_found", "no requested invoice %s", id);
		else
			ok_state(o, "issued");
	} else if (seg(rest, "certificates/", id, sizeof(id), &tail) &&
		   strcmp(tail, "revoke") == 0) {
		/* Stored as ukc_x509_serial_hex writes it; `openssl x509 -serial`
		 * gives upper case and whole bytes ("0A..."). */
		simple_update(s, o, "UPDATE certificates SET revoked = 1 WHERE serial = ltrim(lower(?), '0')", id,
			      "revoked");
	} else if (strcmp(rest, "misbehave") == 0) {
		misbehave(s, b, o);
	}
out:
	json_object_put(b);
}
