/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* parse.c: the service's answers parsed, each checking every member it
 * uses (unknown members are ignored: forward compatibility). Below the
 * request code (api.c, auth.c, endpoints.c all use it; it uses none). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-parse.h"
#include "b64.h"
#include "json.h"

#include "ukey-base.h"

/* A string member copied into a fixed buffer: a value that does not fit is
 * an error (a cut id would name another order), and so are control
 * characters (they would reach the terminal). JSON null gives "". */
static int str_into(json_object *j, const char *name, int nullable, char *dst, size_t size, struct ukey_err *e)
{
	const char *v;
	size_t i, n;
	int ret = ukey_json_str(j, name, nullable, &v, e);

	dst[0] = '\0';
	if (ret != UKEY_E_OK || v == NULL)
		return ret;
	n = strlen(v);
	if (n >= size)
		return ukey_err_set(e, UKEY_E_SERVICE, _("the member \"%s\" of the service's answer is too long"),
				    name);
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return ukey_err_set(e, UKEY_E_SERVICE,
					    _("the member \"%s\" of the service's answer contains control characters"),
					    name);
	if (!ukey_utf8_ok((const unsigned char *)v, n))
		return ukey_err_set(e, UKEY_E_SERVICE, _("the member \"%s\" of the service's answer is not valid UTF-8"),
				    name);
	memcpy(dst, v, n + 1);
	return UKEY_E_OK;
}

#define STR(j, name, nullable, dst, e) str_into((j), (name), (nullable), (dst), sizeof(dst), (e))

int ukey_api_parse_order(json_object *j, struct ukey_order *o, struct ukey_err *e)
{
	static const char *const states[] = { "none", "unpaid", "awaiting_transfer", "paid", "used", NULL };
	const char *state, *missing = NULL;
	int ret, isnull;

	memset(o, 0, sizeof(*o));
	if ((ret = ukey_json_enum(j, "state", states, &state, e)) != UKEY_E_OK ||
	    (ret = STR(j, "id", 1, o->id, e)) != UKEY_E_OK ||
	    (ret = STR(j, "covers", 1, o->covers, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(j, "price", 1, &o->price, &isnull, e)) != UKEY_E_OK ||
	    (ret = STR(j, "price_text", 1, o->price_text, e)) != UKEY_E_OK ||
	    (ret = ukey_json_bool(j, "encryption_certificate", &o->encryption, e)) != UKEY_E_OK)
		return ret;
	/* pay_method and paid_at are informative: absent is tolerated. */
	if (json_object_object_get_ex(j, "pay_method", NULL) &&
	    (ret = STR(j, "pay_method", 1, o->pay_method, e)) != UKEY_E_OK)
		return ret;
	if (json_object_object_get_ex(j, "paid_at", NULL) &&
	    (ret = ukey_json_int(j, "paid_at", 1, &o->paid_at, NULL, e)) != UKEY_E_OK)
		return ret;
	if (strcmp(state, "none") != 0)
		missing = o->id[0] == '\0' ? "id" : o->covers[0] == '\0' ? "covers" : isnull ? "price"
			: o->price_text[0] == '\0' ? "price_text" : NULL;
	if (missing != NULL)
		return ukey_err_set(e, UKEY_E_SERVICE, _("the service's order (state %s) lacks its \"%s\""), state,
				    missing);
	if (o->price < 0)
		return ukey_err_set(e, UKEY_E_SERVICE, _("the member \"%s\" of the service's answer is negative"),
				    "price");
	snprintf(o->state, sizeof(o->state), "%s", state);
	return UKEY_E_OK;
}

int ukey_api_parse_invoice(json_object *j, struct ukey_invoice *inv, struct ukey_err *e)
{
	static const char *const states[] = { "requested", "issued", NULL };
	const char *state;
	int ret;

	memset(inv, 0, sizeof(*inv));
	if ((ret = STR(j, "id", 0, inv->id, e)) != UKEY_E_OK ||
	    (ret = STR(j, "order_id", 0, inv->order_id, e)) != UKEY_E_OK ||
	    (ret = ukey_json_enum(j, "state", states, &state, e)) != UKEY_E_OK ||
	    (ret = STR(j, "title", 0, inv->title, e)) != UKEY_E_OK ||
	    (ret = STR(j, "tax_number", 0, inv->tax_number, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(j, "amount", 0, &inv->amount, NULL, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(j, "issued_at", 1, &inv->issued_at, NULL, e)) != UKEY_E_OK)
		return ret;
	if (inv->id[0] == '\0')
		return ukey_err_set(e, UKEY_E_SERVICE, _("the member \"%s\" of the service's answer is empty"), "id");
	snprintf(inv->state, sizeof(inv->state), "%s", state);
	return UKEY_E_OK;
}

int ukey_api_parse_status(json_object *j, struct ukey_svc_status *st, struct ukey_err *e)
{
	static const char *const bindings[] = { "none", "pending", "confirmed", NULL };
	static const char *const seals[] = { "clean", "abnormal", NULL };
	json_object *cert, *order;
	const char *b, *sl;
	int ret;

	memset(st, 0, sizeof(*st));
	if ((ret = STR(j, "medium", 0, st->medium, e)) != UKEY_E_OK ||
	    (ret = STR(j, "medium_last4", 0, st->medium_last4, e)) != UKEY_E_OK ||
	    (ret = ukey_json_enum(j, "binding", bindings, &b, e)) != UKEY_E_OK ||
	    (ret = ukey_json_enum(j, "seals", seals, &sl, e)) != UKEY_E_OK ||
	    (ret = ukey_json_bool(j, "identity_checked", &st->identity_checked, e)) != UKEY_E_OK ||
	    (ret = ukey_json_obj(j, "certificate", 0, &cert, e)) != UKEY_E_OK ||
	    (ret = STR(cert, "serial", 0, st->cert_serial, e)) != UKEY_E_OK ||
	    (ret = STR(cert, "subject", 0, st->cert_subject, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(cert, "not_before", 0, &st->not_before, NULL, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(cert, "not_after", 0, &st->not_after, NULL, e)) != UKEY_E_OK ||
	    (ret = STR(cert, "trust_number", 1, st->trust_number, e)) != UKEY_E_OK ||
	    (ret = ukey_json_bool(cert, "expired", &st->expired, e)) != UKEY_E_OK ||
	    (ret = ukey_json_obj(j, "order", 0, &order, e)) != UKEY_E_OK ||
	    (ret = ukey_api_parse_order(order, &st->order, e)) != UKEY_E_OK)
		return ret;
	snprintf(st->binding, sizeof(st->binding), "%s", b);
	snprintf(st->seals, sizeof(st->seals), "%s", sl);
	return UKEY_E_OK;
}

int ukey_api_parse_binding(json_object *j, struct ukey_binding *b, struct ukey_err *e)
{
	int ret;

	memset(b, 0, sizeof(*b));
	if ((ret = STR(j, "code", 0, b->code, e)) != UKEY_E_OK ||
	    (ret = STR(j, "medium_last4", 0, b->medium_last4, e)) != UKEY_E_OK ||
	    (ret = STR(j, "qr", 0, b->qr, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(j, "expires", 0, &b->expires, NULL, e)) != UKEY_E_OK)
		return ret;
	if (b->code[0] == '\0')
		return ukey_err_set(e, UKEY_E_SERVICE, _("the member \"%s\" of the service's answer is empty"),
				    "code");
	return UKEY_E_OK;
}

int ukey_api_parse_binding_state(json_object *j, char *state, size_t len, int64_t *confirmed_at,
				 struct ukey_err *e)
{
	static const char *const states[] = { "none", "pending", "confirmed", NULL };
	const char *s;
	int ret = ukey_json_enum(j, "state", states, &s, e);

	*confirmed_at = 0;
	if (ret == UKEY_E_OK && strcmp(s, "confirmed") == 0)
		ret = ukey_json_int(j, "confirmed_at", 0, confirmed_at, NULL, e);
	if (ret == UKEY_E_OK)
		snprintf(state, len, "%s", s);
	return ret;
}

int ukey_api_parse_invoices(json_object *j, struct ukey_invoice **list, size_t *n, struct ukey_err *e)
{
	json_object *arr;
	size_t i, count;
	int ret = ukey_json_arr(j, "invoices", &arr, e);

	*list = NULL;
	*n = 0;
	if (ret != UKEY_E_OK)
		return ret;
	count = json_object_array_length(arr);
	*list = calloc(count + 1, sizeof(**list));
	if (*list == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	for (i = 0; i < count && ret == UKEY_E_OK; i++) {
		json_object *inv = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(inv, json_type_object))
			ret = ukey_err_set(e, UKEY_E_SERVICE, _("the member \"%s\" of the service's answer is not %s"),
					   "invoices[]", _("an object"));
		else
			ret = ukey_api_parse_invoice(inv, &(*list)[i], e);
	}
	if (ret == UKEY_E_OK) {
		*n = count;
	} else {
		free(*list);
		*list = NULL;
	}
	return ret;
}

int ukey_api_parse_nonce(const char *body, size_t len, char *nonce, size_t size, struct ukey_err *e)
{
	json_object *j = NULL;
	const char *n = NULL;
	unsigned char *raw = NULL;
	size_t raw_len;
	int ret = ukey_json_parse(body, len, &j, e);

	nonce[0] = '\0';
	if (ret == UKEY_E_OK)
		ret = ukey_json_str(j, "nonce", 0, &n, e);
	/* It goes into a header line and the string to sign: base64 only. */
	if (ret == UKEY_E_OK && (strlen(n) >= size || (raw = ukc_b64_decode(n, strlen(n), &raw_len, NULL)) == NULL))
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service sent a bad nonce"));
	free(raw);
	if (ret == UKEY_E_OK)
		snprintf(nonce, size, "%s", n);
	json_object_put(j);
	return ret;
}

/* Copies src, control characters as '?', cut to size. */
static void clean_copy(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

void ukey_api_parse_error(const char *body, size_t len, char *code, size_t code_len, char *msg,
			  size_t msg_len)
{
	json_object *j = NULL, *err = NULL;
	const char *c = "", *m = "";
	struct ukey_err tmp;

	ukey_err_clear(&tmp);
	if (ukey_json_parse(body, len, &j, &tmp) == UKEY_E_OK &&
	    ukey_json_obj(j, "error", 0, &err, &tmp) == UKEY_E_OK) {
		if (ukey_json_str(err, "code", 0, &c, &tmp) != UKEY_E_OK)
			c = "";
		if (ukey_json_str(err, "message", 0, &m, &tmp) != UKEY_E_OK)
			m = "";
	}
	clean_copy(code, code_len, c);
	clean_copy(msg, msg_len, m);
	json_object_put(j);
}

size_t ukey_api_parse_error_seals(const char *body, size_t len, char (*ids)[UKEY_API_SEAL_ID], size_t max)
{
	json_object *j = NULL, *err = NULL, *a = NULL;
	struct ukey_err tmp;
	size_t n = 0;

	ukey_err_clear(&tmp);
	if (ukey_json_parse(body, len, &j, &tmp) == UKEY_E_OK && ukey_json_obj(j, "error", 0, &err, &tmp) == UKEY_E_OK &&
	    json_object_object_get_ex(err, "seals", &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a) && n < max; i++) {
			json_object *v = json_object_array_get_idx(a, i);
			if (v != NULL && json_object_is_type(v, json_type_string))
				clean_copy(ids[n++], UKEY_API_SEAL_ID, json_object_get_string(v));
		}
	json_object_put(j);
	return n;
}
