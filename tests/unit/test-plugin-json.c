/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The renewal plugin's parsers of the CA service's answers (status, binding,
 * order, invoices, seal list, nonce, error body) on hostile input: malformed
 * JSON, wrong member types, missing members, huge and deeply nested input,
 * bad UTF-8, control characters. Each refusal names the member or the
 * problem; unknown members are accepted (docs/protocol.md); nothing crashes
 * (run under ASan in CI). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ukey-renew.h"

#include "service/api-parse.h"

enum which { P_STATUS, P_ORDER, P_BINDING, P_BINDING_STATE, P_INVOICES, P_NONCE, P_SEALS };

/* Answers as the reference service gives them (docs/protocol.md). */
static const char *const good[] = {
	[P_STATUS] = "{\"medium\":\"0071120230420100\",\"medium_last4\":\"0100\","
		     "\"certificate\":{\"serial\":\"1a2b\",\"subject\":\"CN=测试\",\"not_before\":1690000000,"
		     "\"not_after\":1790000000,\"trust_number\":\"007112023042010001\",\"expired\":false},"
		     "\"binding\":\"confirmed\",\"identity_checked\":true,\"seals\":\"clean\","
		     "\"order\":{\"id\":\"ORD-1\",\"state\":\"paid\",\"covers\":\"cert\",\"price\":30000,"
		     "\"currency\":\"CNY\",\"price_text\":\"300.00\",\"pay_method\":\"wechat\","
		     "\"paid_at\":1795000000,\"encryption_certificate\":true}}",
	[P_ORDER] = "{\"id\":\"ORD-20261125-0001\",\"state\":\"unpaid\",\"covers\":\"cert+seals\",\"price\":30000,"
		    "\"currency\":\"CNY\",\"price_text\":\"300.00\",\"pay_method\":null,\"paid_at\":null,"
		    "\"encryption_certificate\":true}",
	[P_BINDING] = "{\"code\":\"K7Q2-9XWM\",\"medium_last4\":\"0100\",\"expires\":1795600000,"
		      "\"qr\":\"ukey-bind:K7Q2-9XWM:0100\"}",
	[P_BINDING_STATE] = "{\"state\":\"confirmed\",\"confirmed_at\":1795000000}",
	[P_INVOICES] = "{\"invoices\":[{\"id\":\"INV-1\",\"order_id\":\"ORD-1\",\"state\":\"issued\","
		       "\"title\":\"测试单位\",\"tax_number\":\"91440101MA5CXXXX1X\",\"amount\":30000,"
		       "\"issued_at\":1795000000}]}",
	[P_NONCE] = "{\"nonce\":\"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\",\"expires\":1795600000}",
	[P_SEALS] = "{\"state\":\"abnormal\",\"seals\":[{\"id\":\"S1\",\"es_id\":\"44010000000001\","
		    "\"name\":\"业务章\",\"type\":1,\"status\":\"usable\",\"sha256\":\"aa\","
		    "\"valid_from\":1690000000,\"valid_to\":1790000000}],"
		    "\"types\":[{\"type\":1,\"name\":\"单位公章\"}]}",
};

/* Runs one parser on exactly len bytes (a private copy, no NUL after it, so
 * ASan sees any overread). */
static int run(enum which w, const char *text, size_t len, struct ukey_err *e)
{
	char *copy = malloc(len ? len : 1), nonce[256];
	json_object *j = NULL;
	struct ukey_svc_status st;
	struct ukey_binding b;
	struct ukey_invoice *list = NULL;
	struct ukey_clean_list sl;
	char state[24];
	int64_t at;
	size_t n;
	int ret;

	assert_non_null(copy);
	memcpy(copy, text, len);
	ukey_err_clear(e);
	if (w == P_NONCE) {
		ret = ukey_api_parse_nonce(copy, len, nonce, sizeof(nonce), e);
	} else if (w == P_SEALS) {
		ret = ukey_clean_list_parse(copy, len, &sl, e) == 0 ? 0 : UKEY_E_SERVICE;
		if (ret == 0)
			ukey_clean_list_free(&sl);
	} else if ((ret = ukey_json_parse(copy, len, &j, e)) == UKEY_E_OK) {
		switch (w) {
		case P_STATUS: ret = ukey_api_parse_status(j, &st, e); break;
		case P_ORDER: ret = ukey_api_parse_order(j, &st.order, e); break;
		case P_BINDING: ret = ukey_api_parse_binding(j, &b, e); break;
		case P_BINDING_STATE: ret = ukey_api_parse_binding_state(j, state, sizeof(state), &at, e); break;
		default:
			ret = ukey_api_parse_invoices(j, &list, &n, e);
			free(list);
			break;
		}
	}
	json_object_put(j);
	free(copy);
	if (ret != 0)
		assert_true(e->msg[0] != '\0'); /* every refusal says why */
	return ret;
}

static int run_str(enum which w, const char *text, struct ukey_err *e)
{
	return run(w, text, strlen(text), e);
}

/* The refusal's message contains want (print it when it does not). */
static void refused_with(enum which w, const char *text, const char *want)
{
	struct ukey_err e;

	if (run_str(w, text, &e) == 0)
		fail_msg("accepted: %.200s", text);
	assert_int_equal(e.code, UKEY_E_SERVICE);
	if (strstr(e.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" (input %.200s)", e.msg, want, text);
}

/* JSON null for edit() (json-c's null is the NULL pointer). */
static char json_null_marker;
#define JNULL ((json_object *)(void *)&json_null_marker)

/* good[w] with the member at path ("certificate.serial", "invoices.0.id")
 * replaced by repl (NULL: removed; JNULL: null), as JSON text (caller frees). */
static char *edit(enum which w, const char *path, json_object *repl)
{
	json_object *root = json_tokener_parse(good[w]), *o = root, *next;
	char buf[128], *seg, *save = NULL, *dot;
	char *out;

	assert_non_null(root);
	snprintf(buf, sizeof(buf), "%s", path);
	for (seg = strtok_r(buf, ".", &save); (dot = strtok_r(NULL, ".", &save)) != NULL; seg = dot) {
		next = json_object_is_type(o, json_type_array) ? json_object_array_get_idx(o, (size_t)atoi(seg))
							       : json_object_object_get(o, seg);
		assert_non_null(next);
		o = next;
	}
	if (repl == NULL)
		json_object_object_del(o, seg);
	else if (repl == JNULL)
		json_object_object_add(o, seg, NULL);
	else
		json_object_object_add(o, seg, repl);
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	assert_non_null(out);
	return out;
}

static const char *last(const char *path)
{
	const char *d = strrchr(path, '.');

	return d ? d + 1 : path;
}

/* Members each parser requires, with a value of the wrong type for each. */
static const struct req {
	enum which w;
	const char *path, *wrong; /* wrong: JSON text of a value of another type */
} required[] = {
	{ P_STATUS, "medium", "12" },
	{ P_STATUS, "medium_last4", "[]" },
	{ P_STATUS, "binding", "true" },
	{ P_STATUS, "seals", "{}" },
	{ P_STATUS, "identity_checked", "\"yes\"" },
	{ P_STATUS, "certificate", "\"x\"" },
	{ P_STATUS, "certificate.serial", "1" },
	{ P_STATUS, "certificate.subject", "null" },
	{ P_STATUS, "certificate.not_before", "\"1690000000\"" },
	{ P_STATUS, "certificate.not_after", "1.5" },
	{ P_STATUS, "certificate.trust_number", "7" },
	{ P_STATUS, "certificate.expired", "0" },
	{ P_STATUS, "order", "[]" },
	{ P_STATUS, "order.state", "1" },
	{ P_STATUS, "order.encryption_certificate", "null" },
	{ P_ORDER, "state", "null" },
	{ P_ORDER, "id", "5" },
	{ P_ORDER, "covers", "false" },
	{ P_ORDER, "price", "\"300.00\"" },
	{ P_ORDER, "price_text", "300" },
	{ P_ORDER, "encryption_certificate", "\"true\"" },
	{ P_BINDING, "code", "{}" },
	{ P_BINDING, "medium_last4", "100" },
	{ P_BINDING, "qr", "null" },
	{ P_BINDING, "expires", "\"soon\"" },
	{ P_BINDING_STATE, "state", "[]" },
	{ P_BINDING_STATE, "confirmed_at", "null" },
	{ P_INVOICES, "invoices", "{}" },
	{ P_INVOICES, "invoices.0.id", "1" },
	{ P_INVOICES, "invoices.0.order_id", "null" },
	{ P_INVOICES, "invoices.0.state", "2" },
	{ P_INVOICES, "invoices.0.title", "[]" },
	{ P_INVOICES, "invoices.0.tax_number", "91440101" },
	{ P_INVOICES, "invoices.0.amount", "\"300\"" },
	{ P_INVOICES, "invoices.0.issued_at", "\"x\"" },
	{ P_NONCE, "nonce", "42" },
	{ P_SEALS, "state", "true" },
	{ P_SEALS, "seals", "{}" },
	{ P_SEALS, "types", "\"x\"" },
	{ P_SEALS, "seals.0.id", "1" },
	{ P_SEALS, "seals.0.es_id", "null" },
	{ P_SEALS, "seals.0.name", "[]" },
	{ P_SEALS, "seals.0.type", "\"1\"" },
	{ P_SEALS, "seals.0.status", "true" },
	{ P_SEALS, "seals.0.sha256", "{}" },
	{ P_SEALS, "seals.0.valid_from", "1.5" },
	{ P_SEALS, "seals.0.valid_to", "\"2026\"" },
	{ P_SEALS, "types.0.type", "null" },
	{ P_SEALS, "types.0.name", "7" },
};

static void real_answers_are_accepted(void **state)
{
	struct ukey_err e;
	enum which w;

	(void)state;
	for (w = P_STATUS; w <= P_SEALS; w++)
		if (run_str(w, good[w], &e) != 0)
			fail_msg("parser %d refused a real answer: %s", (int)w, e.msg);
	/* order state none: the nullable members are null */
	assert_int_equal(run_str(P_ORDER, "{\"id\":null,\"state\":\"none\",\"covers\":null,\"price\":null,"
					  "\"price_text\":null,\"encryption_certificate\":false}", &e), 0);
	/* binding pending: confirmed_at may be absent */
	assert_int_equal(run_str(P_BINDING_STATE, "{\"state\":\"pending\"}", &e), 0);
	assert_int_equal(run_str(P_INVOICES, "{\"invoices\":[]}", &e), 0);
	/* whitespace around the value is JSON */
	assert_int_equal(run_str(P_BINDING_STATE, " \r\n{\"state\":\"none\"}\n\n", &e), 0);
}

static void a_missing_member_is_named(void **state)
{
	struct ukey_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		char *t = edit(required[i].w, required[i].path, NULL), want[96];

		snprintf(want, sizeof(want), "\"%s\"", last(required[i].path));
		refused_with(required[i].w, t, want);
		assert_true(run_str(required[i].w, t, &e) != 0);
		free(t);
	}
}

static void a_member_of_the_wrong_type_is_named(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		char *t = edit(required[i].w, required[i].path, json_tokener_parse(required[i].wrong)), want[96];

		/* invoices.0.id -> "id"; a non-object element is "invoices[]" */
		snprintf(want, sizeof(want), "\"%s\"", last(required[i].path));
		if (required[i].w == P_NONCE)
			refused_with(required[i].w, t, "nonce");
		else
			refused_with(required[i].w, t, want);
		free(t);
	}
	refused_with(P_INVOICES, "{\"invoices\":[7]}", "\"invoices[]\" of the service's answer is not an object");
	refused_with(P_INVOICES, "{\"invoices\":[null]}", "\"invoices[]\"");
	refused_with(P_ORDER, "{\"id\":\"O\",\"state\":\"shipped\",\"covers\":\"cert\",\"price\":1,"
			      "\"price_text\":\"0.01\",\"encryption_certificate\":true}",
		     "\"state\" of the service's answer has an unknown value");
	refused_with(P_STATUS, "{\"medium\":\"1\",\"medium_last4\":\"1\",\"binding\":\"maybe\"}", "\"binding\"");
	/* The seal list's state and each seal's status are enums: an unknown
	 * value is an error, never taken for "clean" or "unusable". */
	{
		char *t = edit(P_SEALS, "state", json_object_new_string("dirty"));
		refused_with(P_SEALS, t, "\"state\" is not \"clean\" or \"abnormal\"");
		free(t);
		t = edit(P_SEALS, "seals.0.status", json_object_new_string("Usable"));
		refused_with(P_SEALS, t, "\"status\" of seals[0] is not \"usable\" or \"unusable\"");
		free(t);
	}
}

static void an_order_lacking_what_its_state_needs_is_named(void **state)
{
	char *t;

	(void)state;
	t = edit(P_ORDER, "id", JNULL);
	refused_with(P_ORDER, t, "lacks its \"id\"");
	free(t);
	t = edit(P_ORDER, "price", JNULL);
	refused_with(P_ORDER, t, "lacks its \"price\"");
	free(t);
	t = edit(P_ORDER, "covers", json_object_new_string(""));
	refused_with(P_ORDER, t, "lacks its \"covers\"");
	free(t);
	t = edit(P_ORDER, "price", json_object_new_int64(-1));
	refused_with(P_ORDER, t, "\"price\" of the service's answer is negative");
	free(t);
	t = edit(P_BINDING, "code", json_object_new_string(""));
	refused_with(P_BINDING, t, "\"code\" of the service's answer is empty");
	free(t);
}

static void malformed_json_is_refused_naming_the_problem(void **state)
{
	static const char *const bad[] = {
		"", " ", "{", "{\"state\":", "{\"state\":\"none\"", "{\"state\":\"none\",}", "{'state':'none'}",
		"{state:\"none\"}", "{\"state\":\"none\"} x", "{\"state\":\"none\"}{}", "{\"state\":\"n\\q\"}",
		"{\"state\":01}", "{\"state\":NaN}", "{\"state\":\"none\" /* c */}", "\xef\xbb\xbf{}",
	};
	struct ukey_err e;
	enum which w;
	size_t i;

	(void)state;
	for (w = P_STATUS; w <= P_SEALS; w++)
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (run_str(w, bad[i], &e) == 0)
				fail_msg("parser %d accepted malformed %s", (int)w, bad[i]);
	refused_with(P_ORDER, "{\"state\":", "not a JSON object (truncated)");
	refused_with(P_ORDER, "", "not a JSON object");
	refused_with(P_ORDER, "[{\"state\":\"none\"}]", "not a JSON object (another JSON type)");
	refused_with(P_ORDER, "\"none\"", "another JSON type");
	refused_with(P_ORDER, "null", "not a JSON object");
	refused_with(P_ORDER, "{\"state\":\"none\"} trailing", "not a JSON object");
	refused_with(P_NONCE, "<html>502 Bad Gateway</html>", "not a JSON object");
	/* a NUL inside the body (the HTTP layer counts bytes, not C strings) */
	assert_int_not_equal(run(P_BINDING_STATE, "{\"state\":\"none\"}\0{}", 18, &e), 0);
	assert_int_not_equal(run(P_BINDING_STATE, "{\"state\":\"no\0ne\"}", 17, &e), 0);
	assert_int_not_equal(run(P_SEALS, "{\"seals\":[],\"types\":[]}\0x", 25, &e), 0);
}

static void bad_utf8_and_control_characters_are_refused(void **state)
{
	static const char *const bad_utf8[] = { "\xff\xfe", "\xc3", "a\x80z", "\xf8\x88\x80\x80\x80" };
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		snprintf(text, sizeof(text), "{\"state\":\"pending\",\"x\":\"%s\"}", bad_utf8[i]);
		refused_with(P_BINDING_STATE, text, "utf");
		snprintf(text, sizeof(text), "{\"nonce\":\"%s\"}", bad_utf8[i]);
		refused_with(P_NONCE, text, "not a JSON object");
	}
	/* forms json-c lets through, in a member the parser reads */
	refused_with(P_BINDING, "{\"code\":\"\xc0\xaf\",\"medium_last4\":\"0100\",\"qr\":\"q\",\"expires\":1}",
		     "\"code\" of the service's answer is not valid UTF-8");
	refused_with(P_BINDING, "{\"code\":\"\xed\xa0\x80\",\"medium_last4\":\"0100\",\"qr\":\"q\",\"expires\":1}",
		     "\"code\" of the service's answer is not valid UTF-8");
	/* escaped control characters and NUL decode fine as JSON, and are refused */
	refused_with(P_BINDING, "{\"code\":\"K7Q2\\u001b[2J\",\"medium_last4\":\"0100\",\"qr\":\"q\",\"expires\":1}",
		     "\"code\" of the service's answer contains control characters");
	refused_with(P_BINDING, "{\"code\":\"K7Q2\\u0000-9XWM\",\"medium_last4\":\"0100\",\"qr\":\"q\",\"expires\":1}",
		     "\"code\" of the service's answer contains a NUL character");
	refused_with(P_NONCE, "{\"nonce\":\"abc\\r\\nX-Evil: 1\"}", "bad nonce");
	refused_with(P_NONCE, "{\"nonce\":\"\"}", "bad nonce");
	refused_with(P_NONCE, "{\"nonce\":\"a b\"}", "bad nonce");
}

static void unknown_members_are_accepted_everywhere(void **state)
{
	json_object *extra = json_tokener_parse("{\"v2\":[1,{\"deep\":null}],\"s\":\"\xe6\x96\xb0\"}");
	static const char *const where[] = { "future", "certificate.future", "order.future" };
	struct ukey_err e;
	size_t i;
	char *t;

	(void)state;
	assert_non_null(extra);
	for (i = 0; i < 3; i++) {
		t = edit(P_STATUS, where[i], json_object_get(extra));
		assert_int_equal(run_str(P_STATUS, t, &e), 0);
		free(t);
	}
	for (i = P_ORDER; i <= P_SEALS; i++) {
		t = edit((enum which)i, "future", json_object_get(extra));
		if (run_str((enum which)i, t, &e) != 0)
			fail_msg("parser %zu refused an unknown member: %s", i, e.msg);
		free(t);
	}
	t = edit(P_INVOICES, "invoices.0.future", json_object_get(extra));
	assert_int_equal(run_str(P_INVOICES, t, &e), 0);
	free(t);
	t = edit(P_SEALS, "seals.0.future", json_object_get(extra));
	assert_int_equal(run_str(P_SEALS, t, &e), 0);
	free(t);
	json_object_put(extra);
}

static void huge_and_deeply_nested_input_is_refused_or_bounded(void **state)
{
	size_t depth = 100000, big = 3u << 20, i, k;
	char *t = malloc(depth * 2 + 64), *s;
	struct ukey_err e;
	enum which w;

	(void)state;
	assert_non_null(t);
	k = (size_t)sprintf(t, "{\"state\":\"none\",\"x\":");
	for (i = 0; i < depth; i++)
		t[k++] = '[';
	for (i = 0; i < depth; i++)
		t[k++] = ']';
	t[k++] = '}';
	for (w = P_STATUS; w <= P_SEALS; w++)
		assert_int_not_equal(run(w, t, k, &e), 0);
	refused_with(P_BINDING_STATE, t, "not a JSON object (nesting too deep)");
	free(t);

	/* a 3 MiB string where a short one is expected: parsed, then refused by name */
	s = malloc(big + 128);
	assert_non_null(s);
	k = (size_t)sprintf(s, "{\"medium_last4\":\"0100\",\"qr\":\"q\",\"expires\":1,\"code\":\"");
	memset(s + k, 'A', big);
	k += big;
	k += (size_t)sprintf(s + k, "\"}");
	refused_with(P_BINDING, s, "\"code\" of the service's answer is too long");
	s[k - 2] = '\0'; /* cut: the closing quote and brace gone */
	refused_with(P_BINDING, s, "truncated");
	free(s);

	/* 20000 invoices: all parsed */
	s = malloc(20000 * 160 + 32);
	assert_non_null(s);
	k = (size_t)sprintf(s, "{\"invoices\":[");
	for (i = 0; i < 20000; i++)
		k += (size_t)sprintf(s + k, "%s{\"id\":\"I%zu\",\"order_id\":\"O\",\"state\":\"issued\",\"title\":\"t\","
					    "\"tax_number\":\"n\",\"amount\":1,\"issued_at\":null}", i ? "," : "", i);
	k += (size_t)sprintf(s + k, "]}");
	assert_int_equal(run(P_INVOICES, s, k, &e), 0);
	free(s);

	/* integers beyond 64 bits, and floats where integers belong */
	refused_with(P_BINDING, "{\"code\":\"c\",\"medium_last4\":\"0100\",\"qr\":\"q\",\"expires\":1e400}",
		     "\"expires\"");
	refused_with(P_BINDING, "{\"code\":\"c\",\"medium_last4\":\"0100\",\"qr\":\"q\","
				"\"expires\":123456789012345678901234567890}", "\"expires\" of the service's answer is out of range");
	refused_with(P_ORDER, "{\"id\":\"O\",\"state\":\"paid\",\"covers\":\"cert\",\"price\":-99999999999999999999,"
			      "\"price_text\":\"0.01\",\"encryption_certificate\":true}", "\"price\" of the service's answer is out of range");
}

static void an_error_body_gives_code_and_clean_message(void **state)
{
	char code[48], msg[256], big[4096];

	(void)state;
	snprintf(big, sizeof(big), "{\"error\":{\"code\":\"order_unpaid\",\"message\":\"the renewal order is not paid\"}}");
	ukey_api_parse_error(big, strlen(big), code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "order_unpaid");
	assert_string_equal(msg, "the renewal order is not paid");
	/* terminal escapes in the service's words never reach the terminal */
	snprintf(big, sizeof(big), "{\"error\":{\"code\":\"x\\u001b]0;owned\\u0007\",\"message\":\"a\\nb\\u001b[31m\"}}");
	ukey_api_parse_error(big, strlen(big), code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "x?]0;owned?");
	assert_string_equal(msg, "a?b?[31m");
	/* anything else: no code, no message, no crash */
	ukey_api_parse_error("<html>", 6, code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "");
	assert_string_equal(msg, "");
	ukey_api_parse_error("{\"error\":\"internal\"}", 20, code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "");
	ukey_api_parse_error("{\"error\":{\"code\":5,\"message\":[]}}", 33, code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "");
	assert_string_equal(msg, "");
	ukey_api_parse_error("", 0, code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "");
	/* a long code is cut to its buffer */
	snprintf(big, sizeof(big), "{\"error\":{\"code\":\"%0200d\",\"message\":\"m\"}}", 0);
	ukey_api_parse_error(big, strlen(big), code, sizeof(code), msg, sizeof(msg));
	assert_int_equal(strlen(code), sizeof(code) - 1);
}

/* The seals a refusal names (ukey seals clean): strings only, cleaned, cut
 * and bounded; anything else in the list is skipped, never dereferenced. */
static void an_error_body_gives_only_its_string_seals(void **state)
{
	static const char body[] = "{\"error\":{\"code\":\"rule_type_taken\",\"message\":\"m\",\"seals\":"
				   "[null,1,{},[],\"S1\",\"S\\u001b]0;x\\u0007\",\"S3\"]}}";
	char ids[4][UKEY_API_SEAL_ID], big[300];
	size_t n;

	(void)state;
	n = ukey_api_parse_error_seals(body, strlen(body), ids, 4);
	assert_int_equal(n, 3);
	assert_string_equal(ids[0], "S1");
	assert_string_equal(ids[1], "S?]0;x?");
	assert_string_equal(ids[2], "S3");
	assert_int_equal(ukey_api_parse_error_seals(body, strlen(body), ids, 2), 2);
	assert_int_equal(ukey_api_parse_error_seals("{\"error\":{\"seals\":{\"a\":1}}}", 29, ids, 4), 0);
	assert_int_equal(ukey_api_parse_error_seals("{\"error\":[1]}", 13, ids, 4), 0);
	assert_int_equal(ukey_api_parse_error_seals("<html>", 6, ids, 4), 0);
	snprintf(big, sizeof(big), "{\"error\":{\"seals\":[\"%0200d\"]}}", 7);
	assert_int_equal(ukey_api_parse_error_seals(big, strlen(big), ids, 4), 1);
	assert_int_equal(strlen(ids[0]), UKEY_API_SEAL_ID - 1);
}

static void every_truncation_of_every_answer_is_refused(void **state)
{
	struct ukey_err e;
	enum which w;
	size_t k;

	(void)state;
	for (w = P_STATUS; w <= P_SEALS; w++)
		for (k = 0; k < strlen(good[w]); k++)
			if (run(w, good[w], k, &e) == 0)
				fail_msg("parser %d accepted the first %zu bytes of its answer", (int)w, k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_answers_are_accepted),
		cmocka_unit_test(a_missing_member_is_named),
		cmocka_unit_test(a_member_of_the_wrong_type_is_named),
		cmocka_unit_test(an_order_lacking_what_its_state_needs_is_named),
		cmocka_unit_test(malformed_json_is_refused_naming_the_problem),
		cmocka_unit_test(bad_utf8_and_control_characters_are_refused),
		cmocka_unit_test(unknown_members_are_accepted_everywhere),
		cmocka_unit_test(huge_and_deeply_nested_input_is_refused_or_bounded),
		cmocka_unit_test(an_error_body_gives_code_and_clean_message),
		cmocka_unit_test(an_error_body_gives_only_its_string_seals),
		cmocka_unit_test(every_truncation_of_every_answer_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
