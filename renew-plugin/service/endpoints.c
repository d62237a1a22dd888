/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* endpoints.c: one function per client endpoint: the request (api.c), then
 * its answer parsed (parse.c). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int ukey_api_status(struct ukey_client *c, struct ukey_svc_status *st, struct ukey_err *e)
{
	json_object *j = NULL;
	int ret = ukey_api_call(c, "GET", "/api/v1/status", NULL, &j, NULL, UKEY_HTTP_MAX_JSON, e);

	if (ret == UKEY_E_OK)
		ret = ukey_api_parse_status(j, st, e);
	else
		memset(st, 0, sizeof(*st));
	json_object_put(j);
	return ret;
}

int ukey_api_binding_new(struct ukey_client *c, struct ukey_binding *b, struct ukey_err *e)
{
	json_object *j = NULL;
	int ret = ukey_api_call(c, "POST", "/api/v1/binding", "{}", &j, NULL, UKEY_HTTP_MAX_JSON, e);

	if (ret == UKEY_E_OK)
		ret = ukey_api_parse_binding(j, b, e);
	else
		memset(b, 0, sizeof(*b));
	json_object_put(j);
	return ret;
}

int ukey_api_binding_state(struct ukey_client *c, char *state, size_t len, int64_t *confirmed_at,
			   struct ukey_err *e)
{
	json_object *j = NULL;
	int ret = ukey_api_call(c, "GET", "/api/v1/binding", NULL, &j, NULL, UKEY_HTTP_MAX_JSON, e);

	*confirmed_at = 0;
	if (ret == UKEY_E_OK)
		ret = ukey_api_parse_binding_state(j, state, len, confirmed_at, e);
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
	json_object *j = NULL;
	int ret = ukey_api_call(c, "GET", "/api/v1/invoices", NULL, &j, NULL, UKEY_HTTP_MAX_JSON, e);

	*list = NULL;
	*n = 0;
	if (ret == UKEY_E_OK)
		ret = ukey_api_parse_invoices(j, list, n, e);
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

int ukey_api_seals(struct ukey_client *c, struct ukey_clean_list *l, struct ukey_err *e)
{
	struct ukey_http_resp r;
	int ret = ukey_api_call(c, "GET", "/api/v1/seals", NULL, NULL, &r, UKEY_HTTP_MAX_JSON, e);

	memset(l, 0, sizeof(*l));
	if (ret != UKEY_E_OK)
		return ret;
	if (ukey_clean_list_parse(r.body, r.len, l, e) != 0)
		ret = e->code ? e->code : UKEY_E_SERVICE;
	ukey_http_resp_free(&r);
	return ret;
}

int ukey_api_seals_clean(struct ukey_client *c, const char *plan, struct ukey_http_resp *r, struct ukey_err *e)
{
	return ukey_api_send(c, "POST", "/api/v1/seals/clean", plan, r, UKEY_HTTP_MAX_JSON, e);
}
