/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for seal cleaning (renew-plugin/seal/clean*.c): each of the
 * guide's four rules as docs/protocol.md states them (and their
 * combinations, all reported at once, naming ids and names), --auto on
 * tricky sets, and the strict plan-file parser. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ukey-seal.h"

#define DAY 86400
static const time_t T0 = 1750000000;

/* The service's situation: S1 and S2 identical (same DER), S3 another
 * seal, S4 an unusable remake sharing S1's esID. */
static const char *service_list =
	"{\"state\":\"abnormal\",\"seals\":["
	"{\"id\":\"S1\",\"es_id\":\"E1\",\"name\":\"业务章\",\"type\":1,\"status\":\"usable\","
	"\"sha256\":\"aa\",\"valid_from\":1749900000,\"valid_to\":1790000000},"
	"{\"id\":\"S2\",\"es_id\":\"E1\",\"name\":\"业务章\",\"type\":1,\"status\":\"usable\","
	"\"sha256\":\"aa\",\"valid_from\":1749900000,\"valid_to\":1790000000},"
	"{\"id\":\"S3\",\"es_id\":\"E2\",\"name\":\"财务专用章\",\"type\":2,\"status\":\"usable\","
	"\"sha256\":\"bb\",\"valid_from\":1749900000,\"valid_to\":1790000000},"
	"{\"id\":\"S4\",\"es_id\":\"E1\",\"name\":\"业务章\",\"type\":1,\"status\":\"unusable\","
	"\"sha256\":\"cc\",\"valid_from\":1749900000,\"valid_to\":1790000000}],"
	"\"types\":[{\"type\":1,\"name\":\"单位公章\"},{\"type\":2,\"name\":\"财务专用章\"},"
	"{\"type\":3,\"name\":\"合同专用章\"}]}";

static void list(struct ukey_clean_list *l)
{
	struct ukey_err e;

	if (ukey_clean_list_parse(service_list, strlen(service_list), l, &e))
		fail_msg("list: %s", e.msg);
}

static int plan(const char *json, struct ukey_clean_plan *p, struct ukey_err *e)
{
	return ukey_clean_plan_parse(json, strlen(json), p, e);
}

/* Checks json against the service list; returns the codes joined by ' '. */
static char *check(const char *json, struct ukey_clean_report *r)
{
	static char codes[512];
	struct ukey_clean_list l;
	struct ukey_clean_plan p;
	struct ukey_err e;
	size_t i;

	list(&l);
	if (plan(json, &p, &e))
		fail_msg("plan: %s", e.msg);
	assert_true(ukey_clean_check(&l, &p, r) >= 0);
	codes[0] = '\0';
	for (i = 0; i < r->n; i++)
		snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes), "%s%s", i ? " " : "",
			 r->v[i].code);
	ukey_clean_plan_free(&p);
	ukey_clean_list_free(&l);
	return codes;
}

#define K(id, t) "{\"id\":\"" id "\",\"action\":\"keep\",\"type\":" #t "}"
#define D(id) "{\"id\":\"" id "\",\"action\":\"drop\"}"
#define C ","
#define PLAN(x) "{\"decisions\":[" x "]}"

static void the_guides_plan_passes_every_rule(void **state)
{
	struct ukey_clean_report r;

	(void)state;
	assert_string_equal(check(PLAN(K("S1", 1) C D("S2") C K("S3", 2)), &r), "");
	ukey_clean_report_free(&r);
	assert_string_equal(check(PLAN(D("S1") C K("S2", 3) C D("S3")), &r), "");
	ukey_clean_report_free(&r);
}

static void each_rule_is_reported_with_its_service_code(void **state)
{
	static const struct {
		const char *plan, *codes, *names;
	} c[] = {
		{ PLAN(K("S1", 1) C D("S2") C K("S3", 2) C D("S4")), "rule_unusable_chosen", "S4 (业务章)" },
		{ PLAN(K("S1", 1) C D("S2")), "rule_missing_decision", "S3 (财务专用章)" },
		{ PLAN(K("S1", 9) C D("S2") C K("S3", 2)), "rule_missing_type", "S1 (业务章)" },
		{ PLAN("{\"id\":\"S1\",\"action\":\"keep\"}" C D("S2") C K("S3", 2)), "rule_missing_type",
		  "S1" },
		{ PLAN(K("S1", 1) C K("S2", 3) C K("S3", 2)), "rule_identical_kept_twice",
		  "S1 (业务章), S2 (业务章)" },
		{ PLAN(D("S1") C D("S2") C K("S3", 2)), "rule_identical_none_kept", "S1 (业务章), S2" },
		{ PLAN(K("S1", 2) C D("S2") C K("S3", 2)), "rule_type_taken", "S1 (业务章), S3 (财务专用章)" },
		{ PLAN(K("S1", 1) C D("S2") C K("S3", 2) C D("S999")), "not_found", "S999" },
	};
	struct ukey_clean_report r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_string_equal(check(c[i].plan, &r), c[i].codes);
		if (strstr(r.v[0].msg, c[i].names) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, r.v[0].msg, c[i].names);
		ukey_clean_report_free(&r);
	}
}

static void all_violations_are_reported_together_in_service_order(void **state)
{
	struct ukey_clean_report r;

	(void)state;
	assert_string_equal(check(PLAN(K("S1", 2) C K("S2", 7) C K("S4", 2) C D("S8")), &r),
			    "not_found rule_unusable_chosen rule_missing_decision rule_missing_type"
			    " rule_identical_kept_twice rule_type_taken");
	assert_int_equal(r.v[5].n, 2); /* S1 and S4 share type 2 */
	assert_non_null(strstr(r.v[5].msg, "财务专用章"));
	ukey_clean_report_free(&r);
}

static void identical_is_same_sha256_or_same_es_id_transitively(void **state)
{
	struct ukey_clean_list l;
	struct ukey_clean_plan p;
	struct ukey_clean_report r;
	struct ukey_err e;

	(void)state;
	list(&l);
	/* S3 shares S2's sha256 (not its esID): S1-S2-S3 become one group */
	free(l.seals[2].sha256);
	l.seals[2].sha256 = strdup("aa");
	assert_int_equal(plan(PLAN(K("S1", 1) C D("S2") C K("S3", 2)), &p, &e), 0);
	assert_int_equal(ukey_clean_check(&l, &p, &r), 1);
	assert_string_equal(r.v[0].code, "rule_identical_kept_twice");
	assert_int_equal(r.v[0].n, 2);
	ukey_clean_report_free(&r);
	ukey_clean_plan_free(&p);
	ukey_clean_list_free(&l);
}

static void auto_plan_follows_the_rules_and_keeps_the_newest_valid(void **state)
{
	struct ukey_clean_list l;
	struct ukey_clean_plan p;
	struct ukey_clean_report r;
	struct ukey_err e;
	char *json;

	(void)state;
	list(&l);
	l.seals[1].valid_from += DAY; /* S2 is newer */
	assert_int_equal(ukey_clean_auto(&l, T0, &p, &e), 0);
	assert_int_equal(ukey_clean_check(&l, &p, &r), 0);
	json = ukey_clean_plan_json(&p);
	assert_string_equal(json, PLAN(D("S1") C K("S2", 1) C K("S3", 2)));
	free(json);
	ukey_clean_plan_free(&p);
	/* an expired newer copy loses to a valid older one */
	l.seals[1].valid_to = T0 - DAY;
	assert_int_equal(ukey_clean_auto(&l, T0, &p, &e), 0);
	json = ukey_clean_plan_json(&p);
	assert_string_equal(json, PLAN(K("S1", 1) C D("S2") C K("S3", 2)));
	free(json);
	ukey_clean_plan_free(&p);
	ukey_clean_list_free(&l);
}

static void auto_with_all_identical_keeps_one_and_clashing_types_are_moved(void **state)
{
	struct ukey_clean_list l;
	struct ukey_clean_plan p;
	struct ukey_clean_report r;
	struct ukey_err e;
	char *json;
	size_t i;

	(void)state;
	list(&l);
	for (i = 0; i < l.n_seals; i++) {
		l.seals[i].usable = 1;
		free(l.seals[i].sha256);
		l.seals[i].sha256 = strdup("same");
	}
	assert_int_equal(ukey_clean_auto(&l, T0, &p, &e), 0);
	assert_int_equal(ukey_clean_check(&l, &p, &r), 0);
	json = ukey_clean_plan_json(&p);
	assert_string_equal(json, PLAN(K("S1", 1) C D("S2") C D("S3") C D("S4")));
	free(json);
	ukey_clean_plan_free(&p);
	ukey_clean_list_free(&l);
	/* two different seals that both say type 2: the second gets a free type */
	list(&l);
	l.seals[0].type = 2;
	assert_int_equal(ukey_clean_auto(&l, T0, &p, &e), 0);
	assert_int_equal(ukey_clean_check(&l, &p, &r), 0);
	json = ukey_clean_plan_json(&p);
	assert_string_equal(json, PLAN(K("S1", 2) C D("S2") C K("S3", 1)));
	free(json);
	ukey_clean_plan_free(&p);
	ukey_clean_list_free(&l);
}

static void auto_refuses_more_distinct_seals_than_types_and_says_why(void **state)
{
	struct ukey_clean_list l;
	struct ukey_clean_plan p;
	struct ukey_err e;
	size_t i;

	(void)state;
	list(&l);
	for (i = 0; i < l.n_seals; i++) {
		char s[24];
		snprintf(s, sizeof(s), "x%zu", i);
		l.seals[i].usable = 1;
		free(l.seals[i].sha256);
		free(l.seals[i].es_id);
		l.seals[i].sha256 = strdup(s);
		l.seals[i].es_id = strdup(s);
	}
	assert_int_equal(ukey_clean_auto(&l, T0, &p, &e), -1);
	assert_non_null(strstr(e.msg, "4"));
	assert_non_null(strstr(e.msg, "3"));
	assert_null(p.d);
	ukey_clean_list_free(&l);
}

static void plan_parser_rejects_each_mistake_clearly(void **state)
{
	static const struct {
		const char *json, *want;
	} c[] = {
		{ "{\"decisions\":[", "not valid JSON" },
		{ PLAN(D("S1")) " x", "trailing" },
		{ "[]", "expected {\"decisions\"" },
		{ "{\"decisions\":{}}", "expected {\"decisions\"" },
		{ "{\"decisions\":[],\"x\":1}", "only the member" },
		{ PLAN("3"), "decisions[0] is not an object" },
		{ PLAN("{\"id\":\"S1\",\"action\":\"drop\",\"why\":1}"), "unknown member \"why\"" },
		{ PLAN("{\"id\":1,\"action\":\"drop\"}"), "\"id\" must be" },
		{ PLAN("{\"id\":\"\",\"action\":\"drop\"}"), "\"id\" must be" },
		{ PLAN("{\"id\":\"S1\",\"action\":\"keepp\",\"type\":1}"), "unknown action \"keepp\"" },
		{ PLAN("{\"id\":\"S1\"}"), "\"action\" must be" },
		{ PLAN("{\"id\":\"S1\",\"action\":\"keep\",\"type\":\"1\"}"), "must be an integer" },
		{ PLAN("{\"id\":\"S1\",\"action\":\"keep\",\"type\":1.5}"), "must be an integer" },
		{ PLAN("{\"id\":\"S1\",\"action\":\"drop\",\"type\":1}"), "takes no \"type\"" },
		{ PLAN(D("S1") C K("S3", 1) C K("S1", 2)), "two decisions for seal S1" },
	};
	struct ukey_clean_plan p;
	struct ukey_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(plan(c[i].json, &p, &e), -1);
		assert_null(p.d);
		if (strstr(e.msg, c[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, e.msg, c[i].want);
	}
}

static void plan_json_round_trips(void **state)
{
	#define IN PLAN(K("S1", 1) C D("S2") C K("S3", 2))
	const char *in = IN;
	struct ukey_clean_plan p;
	struct ukey_err e;
	char *out;

	(void)state;
	assert_int_equal(plan(IN "\n", &p, &e), 0);
	out = ukey_clean_plan_json(&p);
	assert_string_equal(out, in);
	free(out);
	ukey_clean_plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_guides_plan_passes_every_rule),
		cmocka_unit_test(each_rule_is_reported_with_its_service_code),
		cmocka_unit_test(all_violations_are_reported_together_in_service_order),
		cmocka_unit_test(identical_is_same_sha256_or_same_es_id_transitively),
		cmocka_unit_test(auto_plan_follows_the_rules_and_keeps_the_newest_valid),
		cmocka_unit_test(auto_with_all_identical_keeps_one_and_clashing_types_are_moved),
		cmocka_unit_test(auto_refuses_more_distinct_seals_than_types_and_says_why),
		cmocka_unit_test(plan_parser_rejects_each_mistake_clearly),
		cmocka_unit_test(plan_json_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
