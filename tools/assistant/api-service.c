/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* api-service.c: the guide's middle pages over the CA service's client
 * (the calls `ukey status`, `ukey bind`, `ukey order`, `ukey invoices`
 * make): the status, the binding with a thread that asks for its state
 * until the phone confirmed it, the order, the invoices. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assistant.h"
#include "cli.h"
#include "ukey.h"

#define BIND_POLL_S 3

static json_object *status_json(const struct ukey_svc_status *st)
{
	json_object *o = json_object_new_object(), *c = json_object_new_object();
	struct ukey_next next;
	char serial[80];

	ukey_next_step(st, &next);
	json_object_object_add(o, "medium", json_object_new_string(st->medium));
	json_object_object_add(o, "medium_last4", json_object_new_string(st->medium_last4));
	json_object_object_add(o, "binding", json_object_new_string(st->binding));
	json_object_object_add(o, "seals", json_object_new_string(st->seals));
	json_object_object_add(o, "identity_checked", json_object_new_boolean(st->identity_checked));
	json_object_object_add(o, "expired", json_object_new_boolean(st->expired));
	json_object_object_add(c, "serial", json_object_new_string(ukey_cli_serial(st->cert_serial, serial, sizeof(serial))));
	json_object_object_add(c, "subject", json_object_new_string(st->cert_subject));
	json_object_object_add(c, "trust_number", st->trust_number[0] ? json_object_new_string(st->trust_number) : NULL);
	json_object_object_add(c, "not_before", json_object_new_int64(st->not_before));
	json_object_object_add(c, "not_after", json_object_new_int64(st->not_after));
	json_object_object_add(c, "days_left", json_object_new_int64(ukey_cli_days_left((time_t)st->not_after)));
	json_object_object_add(o, "cert", c);
	json_object_object_add(o, "order", ukey_cli_order_json(&st->order));
	/* The code is what a page acts on; the sentence is the command
	 * line's (it names ukey commands). */
	json_object_object_add(o, "next_step", json_object_new_string(next.code));
	json_object_object_add(o, "next", json_object_new_string(next.text));
	return o;
}

void asst_api_status(struct asst_req *q, struct asst_resp *r)
{
	struct ukey_svc_status st;
	struct ukey_err e;

	if (asst_work_begin(q, r, 1) != 0)
		return;
	ukey_err_clear(&e);
	if (ukey_api_status(q->a->client, &st, &e) == UKEY_E_OK)
		asst_json(r, 200, status_json(&st));
	else
		asst_error_from(r, &e);
	asst_work_end(q->a);
}

static json_object *binding_state_json(const char *state, int64_t at)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "confirmed_at", at ? json_object_new_int64(at) : NULL);
	return o;
}

/* Asks the service every few seconds while a binding is open and tells the
 * page each change, so it moves on by itself when the phone confirms. */
static void *bind_poll(void *arg)
{
	struct asst *a = arg;
	char last[16] = "pending", state[16];
	int64_t at = 0, expires;

	for (;;) {
		struct ukey_err e;
		int ret = -1, stop, in;
		for (int i = 0; i < BIND_POLL_S * 10; i++) {
			pthread_mutex_lock(&a->lock);
			stop = a->quit;
			pthread_mutex_unlock(&a->lock);
			if (stop)
				goto out;
			usleep(100000);
		}
		if (asst_renew_busy(a))
			continue;
		pthread_mutex_lock(&a->lock);
		expires = a->bind_expires;
		pthread_mutex_unlock(&a->lock);
		pthread_mutex_lock(&a->work);
		in = a->logged_in && a->client != NULL;
		if (in)
			ret = ukey_api_binding_state(a->client, state, sizeof(state), &at, &e);
		pthread_mutex_unlock(&a->work);
		/* Logged out (or the key pulled out): nobody to ask for. */
		if (!in)
			break;
		if (ret == UKEY_E_OK && strcmp(state, "pending") == 0 && expires > 0 && time(NULL) > expires)
			snprintf(state, sizeof(state), "expired");
		if (ret == UKEY_E_OK && strcmp(state, last) != 0) {
			snprintf(last, sizeof(last), "%s", state);
			asst_event(a, "binding", binding_state_json(state, at));
		}
		/* The service away for a moment is asked again; a refusal or
		 * a state that is final ends the poll. */
		if ((ret != UKEY_E_OK && ret != UKEY_E_SERVICE) || strcmp(last, "pending") != 0)
			break;
	}
out:
	pthread_mutex_lock(&a->lock);
	a->bind_polling = 0;
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static void binding_new(struct asst *a, struct asst_resp *r)
{
	struct ukey_binding b;
	struct ukey_err e;
	json_object *o;
	char *svg;
	int start;

	ukey_err_clear(&e);
	if (ukey_api_binding_new(a->client, &b, &e) != UKEY_E_OK) {
		asst_error_from(r, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "code", json_object_new_string(b.code));
	json_object_object_add(o, "medium_last4", json_object_new_string(b.medium_last4));
	json_object_object_add(o, "qr", json_object_new_string(b.qr));
	json_object_object_add(o, "expires", json_object_new_int64(b.expires));
	svg = asst_qr_svg(b.qr);
	json_object_object_add(o, "qr_svg", svg ? json_object_new_string(svg) : NULL);
	free(svg);
	asst_json(r, 200, o);
	pthread_mutex_lock(&a->lock);
	a->bind_expires = b.expires;
	start = !a->bind_polling;
	if (start) {
		/* The previous poll ended: its thread is reaped before the next. */
		if (a->bind_thread)
			pthread_join(a->bind_th, NULL);
		a->bind_thread = a->bind_polling = pthread_create(&a->bind_th, NULL, bind_poll, a) == 0;
	}
	pthread_mutex_unlock(&a->lock);
}

void asst_api_binding(struct asst_req *q, struct asst_resp *r)
{
	struct asst *a = q->a;
	char state[16];
	int64_t at;
	struct ukey_err e;

	if (asst_work_begin(q, r, 1) != 0)
		return;
	ukey_err_clear(&e);
	if (strcmp(q->method, "POST") == 0)
		binding_new(a, r);
	else if (ukey_api_binding_state(a->client, state, sizeof(state), &at, &e) == UKEY_E_OK)
		asst_json(r, 200, binding_state_json(state, at));
	else
		asst_error_from(r, &e);
	asst_work_end(a);
}

void asst_api_order(struct asst_req *q, struct asst_resp *r)
{
	struct ukey_order o;
	struct ukey_err e;

	if (asst_work_begin(q, r, 1) != 0)
		return;
	ukey_err_clear(&e);
	if (ukey_api_order(q->a->client, &o, &e) == UKEY_E_OK)
		asst_json(r, 200, ukey_cli_order_json(&o));
	else
		asst_error_from(r, &e);
	asst_work_end(q->a);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The service's own rules (docs/protocol.md), checked here so the page can
 * name the field before anything is sent. */
static const char *invoice_field_bad(const char *title, const char *tax, const char **why)
{
	size_t n = strlen(tax), t = utf8_chars(title);

	if (t < 1 || t > 100) {
		*why = _("The invoice title must be 1 to 100 characters.");
		return "title";
	}
	if (n < 15 || n > 20 || strspn(tax, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n) {
		*why = _("The tax number (纳税人识别号) must be 15 to 20 digits or capital letters.");
		return "tax_number";
	}
	return NULL;
}

static void invoice_request(struct asst_req *q, struct asst_resp *r)
{
	const char *order, *title, *tax, *field, *why;
	struct ukey_invoice v;
	struct ukey_err e;
	json_object *o;
	int created = 0;

	if (asst_get_string(q, r, "order", 1, &order) || asst_get_string(q, r, "title", 1, &title) ||
	    asst_get_string(q, r, "tax_number", 1, &tax))
		return;
	if ((field = invoice_field_bad(title, tax, &why)) != NULL) {
		json_object_object_add(asst_error(r, 400, "invalid", "%s", why), "field", json_object_new_string(field));
		return;
	}
	ukey_err_clear(&e);
	if (ukey_api_invoice_request(q->a->client, order, title, tax, &v, &created, &e) != UKEY_E_OK) {
		o = asst_error_from(r, &e);
		field = strstr(e.msg, "tax_number") ? "tax_number" : strstr(e.msg, "title") ? "title"
			: strstr(e.msg, "order") ? "order" : NULL;
		if (field != NULL)
			json_object_object_add(o, "field", json_object_new_string(field));
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "invoice", ukey_cli_invoice_json(&v));
	json_object_object_add(o, "created", json_object_new_boolean(created));
	asst_json(r, created ? 201 : 200, o);
}

void asst_api_invoices(struct asst_req *q, struct asst_resp *r)
{
	struct ukey_invoice *list = NULL;
	struct ukey_err e;
	size_t n = 0;

	if (asst_work_begin(q, r, 1) != 0)
		return;
	ukey_err_clear(&e);
	if (strcmp(q->method, "POST") == 0) {
		invoice_request(q, r);
	} else if (ukey_api_invoices(q->a->client, &list, &n, &e) == UKEY_E_OK) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(a, ukey_cli_invoice_json(&list[i]));
		json_object_object_add(o, "invoices", a);
		asst_json(r, 200, o);
	} else {
		asst_error_from(r, &e);
	}
	free(list);
	asst_work_end(q->a);
}

void asst_api_invoice_document(struct asst_req *q, struct asst_resp *r, const char *id)
{
	struct ukey_http_resp raw = { 0 };
	struct ukey_err e;
	size_t n = strlen(id);

	if (n == 0 || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
		asst_error(r, 404, "not_found", "%s", _("no such invoice"));
		return;
	}
	if (asst_work_begin(q, r, 1) != 0)
		return;
	ukey_err_clear(&e);
	if (ukey_api_invoice_document(q->a->client, id, &raw, &e) == UKEY_E_OK) {
		r->body = raw.body;
		r->len = raw.len;
		raw.body = NULL;
		r->ctype = "application/pdf";
		snprintf(r->disposition, sizeof(r->disposition), "attachment; filename=\"%s.pdf\"", id);
		r->status = 200;
	} else {
		asst_error_from(r, &e);
	}
	ukey_http_resp_free(&raw);
	asst_work_end(q->a);
}
