/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service's answers parsed from JSON, apart from the requests that
 * fetch them (parse.c), so the unit tests and the fuzz target reach every
 * parser, and the request code below the endpoints (api.c, auth.c) uses
 * them without a cycle.
 * Each failure is UKEY_E_SERVICE with a message naming the member. */
#ifndef UKEY_RENEW_API_PARSE_H
#define UKEY_RENEW_API_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "json.h"

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

/* An order: shared by status and order; an invoice: by invoices and the
 * invoice request. */
int ukey_api_parse_order(json_object *j, struct ukey_order *o, struct ukey_err *e);
int ukey_api_parse_invoice(json_object *j, struct ukey_invoice *inv, struct ukey_err *e);
int ukey_api_parse_status(json_object *j, struct ukey_svc_status *st, struct ukey_err *e);
int ukey_api_parse_binding(json_object *j, struct ukey_binding *b, struct ukey_err *e);
int ukey_api_parse_binding_state(json_object *j, char *state, size_t len, int64_t *confirmed_at,
				 struct ukey_err *e);
/* *list is malloc'd (free()); *n may be 0. */
int ukey_api_parse_invoices(json_object *j, struct ukey_invoice **list, size_t *n, struct ukey_err *e);
/* The body of POST /api/v1/nonce: a non-empty base64 string shorter than size. */
int ukey_api_parse_nonce(const char *body, size_t len, char *nonce, size_t size, struct ukey_err *e);
/* The error body of a non-2xx answer, tolerantly: code and message are ""
 * when absent or malformed; control characters in them become '?' (they
 * reach the terminal), and they are cut to their buffers. */
void ukey_api_parse_error(const char *body, size_t len, char *code, size_t code_len, char *msg,
			  size_t msg_len);
/* The "seals" of an error body (409 rule_*, 404 not_found: the seals
 * concerned), tolerantly: its string entries only, at most max, each
 * cleaned and cut like the code; the count. */
#define UKEY_API_SEAL_ID 64
size_t ukey_api_parse_error_seals(const char *body, size_t len, char (*ids)[UKEY_API_SEAL_ID], size_t max);

#endif
