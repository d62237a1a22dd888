/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service's answers parsed from JSON (parse.c), apart from the
 * requests that fetch them: the unit tests and the fuzz target reach every
 * parser, and the request code below the endpoints (api.c, auth.c) uses
 * them without a cycle. The answer types, and the tolerant parsers of
 * error bodies, are public (ukey-renew.h). Each failure is UKEY_E_SERVICE
 * with a message naming the member. */
#ifndef UKEY_RENEW_API_PARSE_H
#define UKEY_RENEW_API_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "ukey-renew.h"

#include "json.h"

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
#endif
