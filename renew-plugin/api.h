/* The CA service's client endpoints (docs/protocol.md), parsed strictly. */
#ifndef UKEY_RENEW_API_H
#define UKEY_RENEW_API_H

#include <stdint.h>

#include "auth.h"
#include "json.h"

struct ukey_client {
	struct ukey_http http;
	struct ukey_auth auth;
};

struct ukey_binding {
	char code[64], medium_last4[8], qr[160];
	int64_t expires;
};

struct ukey_order {
	char state[24]; /* none unpaid awaiting_transfer paid used */
	char id[64], covers[16], price_text[32], pay_method[16];
	int64_t price, paid_at; /* fen; 0 when null */
	int encryption;
};

struct ukey_invoice {
	char id[64], order_id[64], state[16], title[304], tax_number[32];
	int64_t amount, issued_at;
};

struct ukey_svc_status {
	char medium[32], medium_last4[8], binding[16], seals[16];
	char cert_serial[80], cert_subject[512], trust_number[64];
	int64_t not_before, not_after;
	int expired, identity_checked;
	struct ukey_order order;
};

/* An authenticated request. GETs are retried (3 tries, backoff) on
 * connection errors and 5xx; nothing else is. On 2xx *out is the parsed
 * JSON (json_object_put it), or raw holds the body when raw != NULL. */
int ukey_api_call(struct ukey_client *c, const char *method, const char *path, const char *body,
		  json_object **out, struct ukey_http_resp *raw, size_t max, struct ukey_err *e);

int ukey_api_status(struct ukey_client *c, struct ukey_svc_status *st, struct ukey_err *e);
int ukey_api_binding_new(struct ukey_client *c, struct ukey_binding *b, struct ukey_err *e);
int ukey_api_binding_state(struct ukey_client *c, char *state, size_t len, int64_t *confirmed_at,
			   struct ukey_err *e);
int ukey_api_order(struct ukey_client *c, struct ukey_order *o, struct ukey_err *e);
int ukey_api_invoices(struct ukey_client *c, struct ukey_invoice **list, size_t *n, struct ukey_err *e);
int ukey_api_invoice_request(struct ukey_client *c, const char *order, const char *title, const char *tax,
			     struct ukey_invoice *inv, int *created, struct ukey_err *e);
/* The PDF (raw->body, raw->len). */
int ukey_api_invoice_document(struct ukey_client *c, const char *id, struct ukey_http_resp *raw,
			      struct ukey_err *e);
/* order parsing, shared by status and order (api-parse.c) */
int ukey_api_parse_order(json_object *j, struct ukey_order *o, struct ukey_err *e);
int ukey_api_parse_invoice(json_object *j, struct ukey_invoice *inv, struct ukey_err *e);

#endif
