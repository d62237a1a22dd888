#include "config.h"

/* endpoints.c: one function per client endpoint, each checking every member
 * it uses (unknown members are ignored: forward compatibility). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "i18n.h"

#define CPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

int ukey_api_parse_order(json_object *j, struct ukey_order *o, struct ukey_err *e)
{
	static const char *const states[] = { "none", "unpaid", "awaiting_transfer", "paid", "used", NULL };
	const char *state, *id, *covers, *text, *pay = NULL;
	int ret, isnull;

	memset(o, 0, sizeof(*o));
	if ((ret = ukey_json_enum(j, "state", states, &state, e)) != UKEY_E_OK ||
	    (ret = ukey_json_str(j, "id", 1, &id, e)) != UKEY_E_OK ||
	    (ret = ukey_json_str(j, "covers", 1, &covers, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(j, "price", 1, &o->price, &isnull, e)) != UKEY_E_OK ||
	    (ret = ukey_json_str(j, "price_text", 1, &text, e)) != UKEY_E_OK ||
	    (ret = ukey_json_bool(j, "encryption_certificate", &o->encryption, e)) != UKEY_E_OK)
		return ret;
	/* pay_method and paid_at are informative: absent is tolerated. */
	if (json_object_object_get_ex(j, "pay_method", NULL) &&
	    (ret = ukey_json_str(j, "pay_method", 1, &pay, e)) != UKEY_E_OK)
		return ret;
	if (json_object_object_get_ex(j, "paid_at", NULL) &&
	    (ret = ukey_json_int(j, "paid_at", 1, &o->paid_at, NULL, e)) != UKEY_E_OK)
		return ret;
	if (strcmp(state, "none") != 0 && (id == NULL || covers == NULL || text == NULL || isnull))
		return ukey_err_set(e, UKEY_E_SERVICE, _("the service's order lacks its id, coverage or price"));
	CPY(o->state, state);
	CPY(o->id, id);
	CPY(o->covers, covers);
	CPY(o->price_text, text);
	CPY(o->pay_method, pay);
	return UKEY_E_OK;
}

int ukey_api_parse_invoice(json_object *j, struct ukey_invoice *inv, struct ukey_err *e)
{
	static const char *const states[] = { "requested", "issued", NULL };
	const char *id, *order, *state, *title, *tax;
	int ret;

	memset(inv, 0, sizeof(*inv));
	if ((ret = ukey_json_str(j, "id", 0, &id, e)) != UKEY_E_OK ||
	    (ret = ukey_json_str(j, "order_id", 0, &order, e)) != UKEY_E_OK ||
	    (ret = ukey_json_enum(j, "state", states, &state, e)) != UKEY_E_OK ||
	    (ret = ukey_json_str(j, "title", 0, &title, e)) != UKEY_E_OK ||
	    (ret = ukey_json_str(j, "tax_number", 0, &tax, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(j, "amount", 0, &inv->amount, NULL, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(j, "issued_at", 1, &inv->issued_at, NULL, e)) != UKEY_E_OK)
		return ret;
	CPY(inv->id, id);
	CPY(inv->order_id, order);
	CPY(inv->state, state);
	CPY(inv->title, title);
	CPY(inv->tax_number, tax);
	return UKEY_E_OK;
}

int ukey_api_status(struct ukey_client *c, struct ukey_svc_status *st, struct ukey_err *e)
{
	static const char *const bindings[] = { "none", "pending", "confirmed", NULL };
	static const char *const seals[] = { "clean", "abnormal", NULL };
	json_object *j = NULL, *cert, *order;
	const char *m, *l4, *b, *sl, *serial, *subject, *trust;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = ukey_api_call(c, "GET", "/api/v1/status", NULL, &j, NULL, UKEY_HTTP_MAX_JSON, e);
	if (ret != UKEY_E_OK)
		return ret;
	if ((ret = ukey_json_str(j, "medium", 0, &m, e)) != UKEY_E_OK ||
	    (ret = ukey_json_str(j, "medium_last4", 0, &l4, e)) != UKEY_E_OK ||
	    (ret = ukey_json_enum(j, "binding", bindings, &b, e)) != UKEY_E_OK ||
	    (ret = ukey_json_enum(j, "seals", seals, &sl, e)) != UKEY_E_OK ||
	    (ret = ukey_json_bool(j, "identity_checked", &st->identity_checked, e)) != UKEY_E_OK ||
	    (ret = ukey_json_obj(j, "certificate", 0, &cert, e)) != UKEY_E_OK ||
	    (ret = ukey_json_str(cert, "serial", 0, &serial, e)) != UKEY_E_OK ||
	    (ret = ukey_json_str(cert, "subject", 0, &subject, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(cert, "not_before", 0, &st->not_before, NULL, e)) != UKEY_E_OK ||
	    (ret = ukey_json_int(cert, "not_after", 0, &st->not_after, NULL, e)) != UKEY_E_OK ||
	    (ret = ukey_json_str(cert, "trust_number", 1, &trust, e)) != UKEY_E_OK ||
	    (ret = ukey_json_bool(cert, "expired", &st->expired, e)) != UKEY_E_OK ||
	    (ret = ukey_json_obj(j, "order", 0, &order, e)) != UKEY_E_OK ||
	    (ret = ukey_api_parse_order(order, &st->order, e)) != UKEY_E_OK)
		goto out;
	CPY(st->medium, m);
	CPY(st->medium_last4, l4);
	CPY(st->binding, b);
	CPY(st->seals, sl);
	CPY(st->cert_serial, serial);
	CPY(st->cert_subject, subject);
	CPY(st->trust_number, trust);
out:
	json_object_put(j);
	return ret;
}

int ukey_api_binding_new(struct ukey_client *c, struct ukey_binding *b, struct ukey_err *e)
{
	json_object *j = NULL;
	const char *code, *l4, *qr;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = ukey_api_call(c, "POST", "/api/v1/binding", "{}", &j, NULL, UKEY_HTTP_MAX_JSON, e);
	if (ret != UKEY_E_OK)
		return ret;
	if ((ret = ukey_json_str(j, "code", 0, &code, e)) == UKEY_E_OK &&
	    (ret = ukey_json_str(j, "medium_last4", 0, &l4, e)) == UKEY_E_OK &&
	    (ret = ukey_json_str(j, "qr", 0, &qr, e)) == UKEY_E_OK &&
	    (ret = ukey_json_int(j, "expires", 0, &b->expires, NULL, e)) == UKEY_E_OK) {
		CPY(b->code, code);
		CPY(b->medium_last4, l4);
		CPY(b->qr, qr);
	}
	json_object_put(j);
	return ret;
}

int ukey_api_binding_state(struct ukey_client *c, char *state, size_t len, int64_t *confirmed_at,
			   struct ukey_err *e)
{
	static const char *const states[] = { "none", "pending", "confirmed", NULL };
	json_object *j = NULL;
	const char *s;
	int ret = ukey_api_call(c, "GET", "/api/v1/binding", NULL, &j, NULL, UKEY_HTTP_MAX_JSON, e);

	*confirmed_at = 0;
	if (ret != UKEY_E_OK)
		return ret;
	ret = ukey_json_enum(j, "state", states, &s, e);
	if (ret == UKEY_E_OK && strcmp(s, "confirmed") == 0)
		ret = ukey_json_int(j, "confirmed_at", 0, confirmed_at, NULL, e);
	if (ret == UKEY_E_OK)
		snprintf(state, len, "%s", s);
	json_object_put(j);
	return ret;
}

int ukey_api_order(struct ukey_client *c, struct ukey_order *o, struct ukey_err *e)
{
	json_object *j = NULL;
	int ret = ukey_api_call(c, "GET", "/api/v1/order", NULL, &j, NULL, UKEY_HTTP_MAX_JSON, e);

	if (ret == UKEY_E_OK)
		ret = ukey_api_parse_order(j, o, e);
	json_object_put(j);
	return ret;
}

int ukey_api_invoices(struct ukey_client *c, struct ukey_invoice **list, size_t *n, struct ukey_err *e)
{
	json_object *j = NULL, *arr;
	size_t i, count;
	int ret = ukey_api_call(c, "GET", "/api/v1/invoices", NULL, &j, NULL, UKEY_HTTP_MAX_JSON, e);

	*list = NULL;
	*n = 0;
	if (ret != UKEY_E_OK)
		return ret;
	ret = ukey_json_arr(j, "invoices", &arr, e);
	if (ret != UKEY_E_OK)
		goto out;
	count = json_object_array_length(arr);
	*list = calloc(count + 1, sizeof(**list));
	if (*list == NULL) {
		ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		goto out;
	}
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
out:
	json_object_put(j);
	return ret;
}

int ukey_api_invoice_request(struct ukey_client *c, const char *order, const char *title, const char *tax,
			     struct ukey_invoice *inv, int *created, struct ukey_err *e)
{
	json_object *req = json_object_new_object(), *j = NULL;
	int ret;

	if (req == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	json_object_object_add(req, "order_id", json_object_new_string(order));
	json_object_object_add(req, "title", json_object_new_string(title));
	json_object_object_add(req, "tax_number", json_object_new_string(tax));
	ret = ukey_api_call(c, "POST", "/api/v1/invoices",
			    json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), &j, NULL,
			    UKEY_HTTP_MAX_JSON, e);
	if (ret == UKEY_E_OK)
		ret = ukey_api_parse_invoice(j, inv, e);
	/* 201 = new, 200 = the existing one (one invoice per order). */
	{
		long code = 0;
		curl_easy_getinfo(c->http.c, CURLINFO_RESPONSE_CODE, &code);
		*created = ret == UKEY_E_OK && code == 201;
	}
	json_object_put(j);
	json_object_put(req);
	return ret;
}

int ukey_api_invoice_document(struct ukey_client *c, const char *id, struct ukey_http_resp *raw,
			      struct ukey_err *e)
{
	char path[256], *esc = curl_easy_escape(c->http.c, id, 0);
	int ret;

	if (esc == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	snprintf(path, sizeof(path), "/api/v1/invoices/%s/document", esc);
	curl_free(esc);
	ret = ukey_api_call(c, "GET", path, NULL, NULL, raw, UKEY_HTTP_MAX_PDF, e);
	if (ret == UKEY_E_OK && (raw->len < 5 || memcmp(raw->body, "%PDF-", 5) != 0)) {
		ukey_http_resp_free(raw);
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's invoice document is not a PDF"));
	}
	return ret;
}
