/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * routes-invoices.c: /api/v1/invoices -- list, request (one per paid or
 * used order, title and tax number checked), and the issued document.
 */
#include "config.h"

#include "svc.h"

#include <string.h>
#include <time.h>

static json_object *invoice_json(sqlite3_stmt *st)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "id", json_object_new_string((const char *)sqlite3_column_text(st, 0)));
	json_object_object_add(j, "order_id",
			       json_object_new_string((const char *)sqlite3_column_text(st, 1)));
	json_object_object_add(j, "state",
			       json_object_new_string((const char *)sqlite3_column_text(st, 2)));
	json_object_object_add(j, "title",
			       json_object_new_string((const char *)sqlite3_column_text(st, 3)));
	json_object_object_add(j, "tax_number",
			       json_object_new_string((const char *)sqlite3_column_text(st, 4)));
	json_object_object_add(j, "amount", json_object_new_int64(sqlite3_column_int64(st, 5)));
	json_object_object_add(j, "issued_at", sqlite3_column_type(st, 6) == SQLITE_NULL
		? NULL : json_object_new_int64(sqlite3_column_int64(st, 6)));
	return j;
}

#define INVOICE_COLS "id, order_id, state, title, tax_number, amount, issued_at"

static void list(struct svc *s, struct caller *c, struct resp *o)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT " INVOICE_COLS " FROM invoices WHERE medium = ?"
					  " ORDER BY n", "s", c->medium);
	json_object *j = json_object_new_object(), *a = json_object_new_array();

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		json_object_array_add(a, invoice_json(st));
	sqlite3_finalize(st);
	json_object_object_add(j, "invoices", a);
	svc_resp_json(o, 200, j);
}

/* Number of UTF-8 characters (json-c already validated the encoding). */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int tax_ok(const char *t)
{
	size_t n = strlen(t);

	return n >= 15 && n <= 20 && strspn(t, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

static int one(struct svc *s, const char *sql, const char *key, struct resp *o, int status)
{
	sqlite3_stmt *st;
	char q[256];

	snprintf(q, sizeof(q), "SELECT " INVOICE_COLS " FROM invoices WHERE %s", sql);
	st = svc_db_prep(s, q, "s", key);
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return 0;
	}
	svc_resp_json(o, status, invoice_json(st));
	sqlite3_finalize(st);
	return 1;
}

static void request(struct svc *s, struct req *r, struct caller *c, struct resp *o)
{
	json_object *b = svc_req_json(r, o);
	const char *order, *title, *tax;
	char *state = NULL, id[32];
	int64_t n;

	if (b == NULL)
		return;
	if (svc_get_string(b, "order_id", 1, &order, o) || svc_get_string(b, "title", 1, &title, o) ||
	    svc_get_string(b, "tax_number", 1, &tax, o))
		goto out;
	if (chars(title) < 1 || chars(title) > 100) {
		svc_resp_error(o, 400, "bad_request", "title must be 1 to 100 characters");
		goto out;
	}
	if (!tax_ok(tax)) {
		svc_resp_error(o, 400, "bad_request", "tax_number must be 15 to 20 of [0-9A-Z]");
		goto out;
	}
	state = svc_db_text(s, "SELECT state FROM orders WHERE id = ? AND medium = ?", "ss", order,
			    c->medium);
	if (state == NULL) {
		svc_resp_error(o, 404, "not_found", "no order %s for this medium", order);
		goto out;
	}
	if (strcmp(state, "paid") != 0 && strcmp(state, "used") != 0) {
		svc_resp_error(o, 409, strcmp(state, "awaiting_transfer") == 0
				       ? "order_awaiting_transfer" : "order_unpaid",
			       "invoices are for paid orders; this one is %s", state);
		goto out;
	}
	if (one(s, "order_id = ?", order, o, 200))
		goto out;
	n = svc_next_id(s, "invoice");
	snprintf(id, sizeof(id), "INV-%lld", (long long)n);
	if (n < 0 || svc_db_run(s, "INSERT INTO invoices(id, order_id, medium, title, tax_number,"
				   " amount, state) SELECT ?, id, medium, ?, ?, price, 'requested'"
				   " FROM orders WHERE id = ?", "ssss", id, title, tax, order) ||
	    !one(s, "id = ?", id, o, 201))
		svc_resp_error(o, 500, "internal", "cannot store the invoice");
out:
	free(state);
	json_object_put(b);
}

static void document(struct svc *s, struct caller *c, const char *id, struct resp *o)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT " INVOICE_COLS " FROM invoices WHERE id = ?"
					  " AND medium = ?", "ss", id, c->medium);
	char *pdf;
	size_t len;

	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		svc_resp_error(o, 404, "not_found", "no invoice %s", id);
	} else if (strcmp((const char *)sqlite3_column_text(st, 2), "issued") != 0) {
		svc_resp_error(o, 409, "invoice_not_issued", "the CA has not issued %s yet", id);
	} else {
		pdf = svc_pdf_invoice(id, (const char *)sqlite3_column_text(st, 3),
				      (const char *)sqlite3_column_text(st, 4),
				      sqlite3_column_int64(st, 5), (time_t)sqlite3_column_int64(st, 6),
				      &len);
		if (pdf == NULL) {
			svc_resp_error(o, 500, "internal", "cannot make the document");
		} else {
			free(o->body);
			o->body = pdf;
			o->len = len;
			o->status = 200;
			o->ctype = "application/pdf";
		}
	}
	sqlite3_finalize(st);
}

void svc_route_invoices(struct svc *s, struct req *r, struct caller *c, struct resp *o,
			const char *rest)
{
	int get = strcmp(r->method, "GET") == 0;
	char id[64];
	size_t n;

	if (*rest == '\0') {
		if (get)
			list(s, c, o);
		else if (strcmp(r->method, "POST") == 0)
			request(s, r, c, o);
		return;
	}
	/* "/<id>/document" */
	rest++;
	n = strcspn(rest, "/");
	if (!get || n == 0 || n >= sizeof(id) || strcmp(rest + n, "/document") != 0)
		return;
	memcpy(id, rest, n);
	id[n] = '\0';
	document(s, c, id, o);
}
