/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-protocol-json.c: libFuzzer target for the renewal plugin's parsers
 * of the CA service's answers (renew-plugin/service/json.c, endpoints.c, the seals
 * a refusal names, and the seal list of seal/clean-json.c): the same bytes
 * go to every parser. Each must accept or refuse with a message and a code,
 * and what it accepts must obey its contract (NUL-terminated fields, known
 * enum values, no control characters in what reaches the terminal). The
 * renewal answer has its own target (fuzz-renew-answer.c). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ukey-renew.h"

#include "service/api-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(int ret, const struct ukey_err *e)
{
	if (ret != UKEY_E_OK && (e->msg[0] == '\0' || e->code != ret))
		abort(); /* every refusal says why, with its code */
}

static void no_controls(const char *s, size_t size)
{
	size_t i;

	if (memchr(s, '\0', size) == NULL)
		abort(); /* not terminated inside its buffer */
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void on_object(json_object *j)
{
	struct ukey_svc_status st;
	struct ukey_order o;
	struct ukey_binding b;
	struct ukey_invoice *list = NULL;
	struct ukey_err e;
	char state[24];
	int64_t at;
	size_t n, i;
	int ret;

	ukey_err_clear(&e);
	ret = ukey_api_parse_status(j, &st, &e);
	check_refusal(ret, &e);
	if (ret == UKEY_E_OK) {
		no_controls(st.medium, sizeof(st.medium));
		no_controls(st.cert_subject, sizeof(st.cert_subject));
		if (strcmp(st.binding, "none") && strcmp(st.binding, "pending") && strcmp(st.binding, "confirmed"))
			abort();
	}
	ukey_err_clear(&e);
	ret = ukey_api_parse_order(j, &o, &e);
	check_refusal(ret, &e);
	if (ret == UKEY_E_OK && (o.price < 0 || (strcmp(o.state, "none") != 0 && o.id[0] == '\0')))
		abort();
	ukey_err_clear(&e);
	ret = ukey_api_parse_binding(j, &b, &e);
	check_refusal(ret, &e);
	if (ret == UKEY_E_OK) {
		no_controls(b.code, sizeof(b.code));
		no_controls(b.qr, sizeof(b.qr));
	}
	ukey_err_clear(&e);
	check_refusal(ukey_api_parse_binding_state(j, state, sizeof(state), &at, &e), &e);
	ukey_err_clear(&e);
	ret = ukey_api_parse_invoices(j, &list, &n, &e);
	check_refusal(ret, &e);
	if (ret != UKEY_E_OK && list != NULL)
		abort();
	for (i = 0; i < n; i++) {
		no_controls(list[i].id, sizeof(list[i].id));
		no_controls(list[i].title, sizeof(list[i].title));
	}
	free(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct ukey_clean_list l;
	struct ukey_err e;
	json_object *j = NULL;
	char nonce[256], code[48], msg[256], ids[8][UKEY_API_SEAL_ID];
	size_t n, i;
	int ret;

	ukey_err_clear(&e);
	ret = ukey_json_parse(text, size, &j, &e);
	check_refusal(ret, &e);
	if (ret == UKEY_E_OK) {
		on_object(j);
		json_object_put(j);
	} else if (j != NULL) {
		abort();
	}
	ukey_err_clear(&e);
	ret = ukey_api_parse_nonce(text, size, nonce, sizeof(nonce), &e);
	check_refusal(ret, &e);
	if (ret == UKEY_E_OK && (nonce[0] == '\0' || strpbrk(nonce, "\r\n :") != NULL))
		abort();
	ukey_api_parse_error(text, size, code, sizeof(code), msg, sizeof(msg));
	no_controls(code, sizeof(code));
	no_controls(msg, sizeof(msg));
	n = ukey_api_parse_error_seals(text, size, ids, 8);
	for (i = 0; i < n; i++)
		no_controls(ids[i], sizeof(ids[i]));
	if (n > 8)
		abort();
	ukey_err_clear(&e);
	if (ukey_clean_list_parse(text, size, &l, &e) == 0)
		ukey_clean_list_free(&l);
	else if (e.msg[0] == '\0')
		abort();
	return 0;
}
