/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-plan-json.c: libFuzzer target for the seal-cleaning plan parser and
 * rules engine (renew-plugin/seal/clean*.c): arbitrary JSON is parsed
 * strictly, and whatever parses is checked against a fixed seal list and
 * written back out; an --auto plan for that list must pass the rules. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ukey-seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *list_json =
	"{\"state\":\"abnormal\",\"seals\":["
	"{\"id\":\"S1\",\"es_id\":\"E1\",\"name\":\"a\",\"type\":1,\"status\":\"usable\","
	"\"sha256\":\"aa\",\"valid_from\":1,\"valid_to\":2000000000},"
	"{\"id\":\"S2\",\"es_id\":\"E1\",\"name\":\"a\",\"type\":1,\"status\":\"usable\","
	"\"sha256\":\"aa\",\"valid_from\":1,\"valid_to\":2000000000},"
	"{\"id\":\"S3\",\"es_id\":\"E2\",\"name\":\"b\",\"type\":2,\"status\":\"usable\","
	"\"sha256\":\"bb\",\"valid_from\":1,\"valid_to\":2000000000},"
	"{\"id\":\"S4\",\"es_id\":\"E1\",\"name\":\"a\",\"type\":1,\"status\":\"unusable\","
	"\"sha256\":\"cc\",\"valid_from\":1,\"valid_to\":2000000000}],"
	"\"types\":[{\"type\":1,\"name\":\"x\"},{\"type\":2,\"name\":\"y\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ukey_clean_list l;
	struct ukey_clean_plan p, q;
	struct ukey_clean_report r;
	struct ukey_err e;
	char *json;

	if (ukey_clean_list_parse(list_json, strlen(list_json), &l, &e) != 0)
		abort();
	if (ukey_clean_auto(&l, 100, &p, &e) != 0 || ukey_clean_check(&l, &p, &r) != 0)
		abort(); /* the automatic plan must follow the rules */
	ukey_clean_plan_free(&p);
	if (ukey_clean_plan_parse((const char *)data, size, &p, &e) == 0) {
		if (ukey_clean_check(&l, &p, &r) < 0)
			abort();
		ukey_clean_report_free(&r);
		json = ukey_clean_plan_json(&p);
		/* what we send must parse back */
		if (json == NULL || ukey_clean_plan_parse(json, strlen(json), &q, &e) != 0 || q.n != p.n)
			abort();
		ukey_clean_plan_free(&q);
		free(json);
		ukey_clean_plan_free(&p);
	} else if (e.msg[0] == '\0' || p.d != NULL) {
		abort();
	}
	/* the service's list parser on the same bytes */
	ukey_clean_list_free(&l);
	if (ukey_clean_list_parse((const char *)data, size, &l, &e) == 0)
		ukey_clean_list_free(&l);
	return 0;
}
