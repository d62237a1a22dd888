/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The renewal answer's check (renew-plugin/renew/answer.c, check.c) on real
 * answers of the reference service (tests/fuzz/corpus/renew-answer, with
 * their contexts in tests/fuzz/renew-answer-ctx, from
 * tests/fuzz/capture-renew-answer.sh): they pass; every member of every
 * wrong JSON type is refused with a message naming it, never an abort (json-c
 * asserts on a wrong type); each meaning fault is refused for what it is; a
 * resume days later still accepts the journaled answer; the answer survives
 * the journal's round trip. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "certder.h"
#include "renew/renew.h"

#define DATA UKEY_TOP_SRCDIR "/tests/fuzz/"

struct fx {
	json_object *answer, *ctx;
	unsigned char *old;
	size_t old_len;
	struct ukey_renew_key key;
	struct ukey_renew_expect w;
};

static const char *cstr(json_object *j, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(j, k, &v) ? json_object_get_string(v) : "";
}

static int64_t cint(json_object *j, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(j, k, &v) ? json_object_get_int64(v) : 0;
}

static int load(void **state, const char *name, enum ukey_renew_kind kind)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[512];
	X509 *old;
	BIO *b;
	int len;

	if (f == NULL)
		return -1;
	snprintf(path, sizeof(path), DATA "corpus/renew-answer/%s.json", name);
	f->answer = json_object_from_file(path);
	snprintf(path, sizeof(path), DATA "renew-answer-ctx/%s.ctx", name);
	f->ctx = json_object_from_file(path);
	if (f->answer == NULL || f->ctx == NULL)
		return -1;
	old = ukc_x509_from_pem(cstr(f->ctx, "old_certificate"));
	len = old ? i2d_X509(old, &f->old) : -1;
	X509_free(old);
	b = BIO_new_mem_buf(cstr(f->ctx, "new_key"), -1);
	f->key.pkey = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (len <= 0 || f->key.pkey == NULL)
		return -1;
	f->old_len = (size_t)len;
	f->key.kind = kind;
	f->w.old_der = f->old;
	f->w.old_len = f->old_len;
	f->w.k = &f->key;
	f->w.request_id = cstr(f->ctx, "request_id");
	f->w.with_seals = strcmp(cstr(f->ctx, "with_seals"), "true") == 0;
	f->w.encryption = 1;
	f->w.started = (time_t)cint(f->ctx, "started");
	f->w.now = (time_t)cint(f->ctx, "now");
	*state = f;
	return 0;
}

static int setup_sm2(void **state)
{
	return load(state, "sm2-seals-enc", UKEY_KEY_SM2);
}

static int setup_rsa(void **state)
{
	return load(state, "rsa-enc", UKEY_KEY_RSA);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	json_object_put(f->answer);
	json_object_put(f->ctx);
	OPENSSL_free(f->old);
	EVP_PKEY_free(f->key.pkey);
	free(f);
	return 0;
}

/* A deep copy of the answer with the member at path ("a", "a.b", "a[1]",
 * "a[1].b") set to the JSON text val (NULL: removed). */
static json_object *with(const struct fx *f, const char *path, const char *val)
{
	json_object *j = NULL, *o;
	char buf[128], *seg, *save = NULL, *next;

	assert_int_equal(json_object_deep_copy(f->answer, &j, NULL), 0);
	o = j;
	snprintf(buf, sizeof(buf), "%s", path);
	for (seg = strtok_r(buf, ".", &save); seg != NULL; seg = next) {
		char *br = strchr(seg, '[');
		int idx = br ? atoi(br + 1) : -1;
		next = strtok_r(NULL, ".", &save);
		if (br)
			*br = '\0';
		if (next == NULL && idx < 0) {
			if (val == NULL)
				json_object_object_del(o, seg);
			else
				json_object_object_add(o, seg, strcmp(val, "null") == 0 ? NULL : json_tokener_parse(val));
			break;
		}
		assert_true(json_object_object_get_ex(o, seg, &o));
		if (idx >= 0 && next == NULL) {
			assert_int_equal(json_object_array_put_idx(o, (size_t)idx,
								   strcmp(val, "null") == 0 ? NULL : json_tokener_parse(val)),
					 0);
			break;
		}
		if (idx >= 0)
			o = json_object_array_get_idx(o, (size_t)idx);
	}
	return j;
}

/* The check of j: its code, and the message in msg. */
static int check(const struct fx *f, json_object *j, const struct ukey_renew_expect *w, char *msg, size_t len)
{
	struct ukey_renew_answer a;
	struct ukey_err e;
	int ret;

	ukey_err_clear(&e);
	ret = ukey_renew_answer_check(j, w ? w : &f->w, &a, &e);
	snprintf(msg, len, "%s", e.msg);
	if (ret == UKEY_E_OK) {
		assert_non_null(a.der);
	} else {
		assert_int_equal(e.code, ret);
		assert_true(msg[0] != '\0');
		assert_null(a.der);
		assert_false(a.has_enc);
	}
	ukey_renew_answer_free(&a);
	return ret;
}

static void refused(const struct fx *f, const char *path, const char *val, const char *want)
{
	json_object *j = with(f, path, val);
	char msg[1024];

	if (check(f, j, NULL, msg, sizeof(msg)) != UKEY_E_SERVICE || strstr(msg, want) == NULL)
		fail_msg("%s = %s: want \"%s\", got \"%s\"", path, val ? val : "(removed)", want, msg);
	json_object_put(j);
}

static void real_answers_pass(void **state)
{
	struct fx *f = *state;
	struct ukey_renew_answer a;
	struct ukey_err e;
	const char *text = json_object_to_json_string_ext(f->answer, JSON_C_TO_STRING_PLAIN);
	json_object *j = NULL;

	ukey_err_clear(&e);
	assert_int_equal(ukey_renew_answer_parse(text, strlen(text), &f->w, &j, &a, &e), UKEY_E_OK);
	assert_non_null(j);
	assert_true(a.has_enc);
	assert_non_null(a.enc.der);
	assert_true(a.enc.format == ukey_renew_enc_format(f->key.kind == UKEY_KEY_SM2 ? "sm2-envelope-v1"
										      : "rsa-oaep-aes-v1"));
	ukey_renew_answer_free(&a);
	json_object_put(j);
}

/* The class: any member the renewal reads, of any other JSON type. */
static void every_member_of_every_wrong_type_is_refused_by_name(void **state)
{
	static const struct {
		const char *path;
		char type; /* s string, i integer, a array, o object */
	} members[] = {
		{ "request_id", 's' }, { "certificate", 's' }, { "chain", 'a' }, { "chain[0]", 's' }, { "seals", 'a' },
		{ "seals[0]", 'o' }, { "seals[0].name", 's' }, { "seals[0].type", 'i' }, { "seals[0].der", 's' },
		{ "encryption", 'o' }, { "encryption.certificate", 's' }, { "encryption.envelope", 's' },
		{ "encryption.envelope_format", 's' },
	};
	static const struct {
		const char *json;
		char type;
	} vals[] = { { "null", 'n' }, { "true", 'b' }, { "7", 'i' }, { "1.5", 'd' }, { "\"x\"", 's' },
		     { "[]", 'a' }, { "[1]", 'a' }, { "{}", 'o' }, { "{\"a\":1}", 'o' } };
	struct fx *f = *state;
	char msg[1024], name[64];

	for (size_t p = 0; p < sizeof(members) / sizeof(members[0]); p++) {
		if (strncmp(members[p].path, "seals", 5) == 0 && !f->w.with_seals)
			continue;
		for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			json_object *j;
			if (vals[v].type == members[p].type)
				continue;
			j = with(f, members[p].path, vals[v].json);
			/* Named by its path (a nested one names the rest). */
			snprintf(name, sizeof(name), "\"%.*s", (int)strcspn(members[p].path, "."), members[p].path);
			if (check(f, j, NULL, msg, sizeof(msg)) != UKEY_E_SERVICE || strstr(msg, name) == NULL)
				fail_msg("%s = %s: not refused by name: \"%s\"", members[p].path, vals[v].json, msg);
			json_object_put(j);
		}
	}
}

static void type_faults_are_worded(void **state)
{
	static const struct {
		const char *path, *val, *want; /* val NULL: the member removed */
	} cases[] = {
		{ "seals", "{\"a\":1}", "\"seals\" of the renewal answer must be an array" },
		{ "seals", NULL, "\"seals\" of the renewal answer is missing" },
		{ "seals[0]", "1", "\"seals[0]\" of the renewal answer must be an object" },
		{ "seals[0].der", "1", "\"seals[0].der\" of the renewal answer must be a string" },
		{ "seals[0].der", "\"AAA\"", "\"seals[0].der\" of the renewal answer is wrong: it is not base64" },
		{ "seals[0].der", "\"AA AA\"", "it is not base64" },
		{ "seals[1].name", "\"\\u001b]0;owned\\u0007\"",
		  "\"seals[1].name\" of the renewal answer is wrong: it contains control characters" },
		{ "seals[0].name", "\"a\\u0000b\"", "it contains a NUL character" },
		{ "seals[0].type", "\"1\"", "\"seals[0].type\" of the renewal answer must be an integer" },
		{ "seals[0].type", "-1", "\"seals[0].type\" of the renewal answer is wrong: it is out of range" },
		{ "chain", "\"x\"", "\"chain\" of the renewal answer must be an array" },
		{ "chain", "[]", "\"chain\" of the renewal answer is wrong: it is empty" },
		{ "chain[0]", "\"junk\"", "\"chain[0]\" of the renewal answer is wrong: it is not a PEM certificate" },
		{ "certificate", "42", "\"certificate\" of the renewal answer must be a string" },
		{ "certificate", NULL, "\"certificate\" of the renewal answer is missing" },
		{ "certificate", "\"\"", "\"certificate\" of the renewal answer is wrong: it is empty" },
		{ "request_id", "\"another\"", "\"request_id\" of the renewal answer is wrong: it names another request" },
		{ "encryption", "[]", "\"encryption\" of the renewal answer must be an object or null" },
		{ "encryption", "null", "\"encryption\" of the renewal answer is missing: the order includes" },
		{ "encryption.envelope_format", "\"rot13\"", "is wrong: an unknown envelope format" },
		{ "encryption.envelope", "7", "\"encryption.envelope\" of the renewal answer must be a string" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refused(*state, cases[i].path, cases[i].val, cases[i].want);
}

/* s as JSON text (a string member's value) into buf. */
static void json_text(const char *s, char *buf, size_t len)
{
	json_object *v = json_object_new_string(s);

	snprintf(buf, len, "%s", json_object_to_json_string(v));
	json_object_put(v);
}

static void meaning_faults_are_refused_for_what_they_are(void **state)
{
	struct fx *f = *state;
	const char *cert = cstr(f->answer, "certificate");
	char half[4096], buf[4096];

	/* The PEM cut in the middle of its base64. */
	snprintf(half, sizeof(half), "%.*s\n-----END CERTIFICATE-----\n", (int)(strlen(cert) / 2), cert);
	json_text(half, buf, sizeof(buf));
	refused(f, "certificate", buf, "the service's certificate cannot be read");
	/* The old certificate (another key). */
	json_text(cstr(f->ctx, "old_certificate"), buf, sizeof(buf));
	refused(f, "certificate", buf, "not for the new key");
	/* The encryption certificate: the signing one (not the enveloped key's). */
	json_text(cert, buf, sizeof(buf));
	refused(f, "encryption.certificate", buf, "the certificate is not for the enveloped key");
	refused(f, "encryption.envelope", "\"AAAA\"", "the envelope cannot be decoded");
	refused(f, "encryption.envelope_format",
		f->key.kind == UKEY_KEY_SM2 ? "\"rsa-oaep-aes-v1\"" : "\"sm2-envelope-v1\"",
		"an envelope format that does not fit the new key");
	if (f->w.with_seals) {
		/* A DER that is no seal (SEQUENCE { OID }). */
		refused(f, "seals[0].der", "\"MAoGCCqBHM9VAYN1\"", "new seal 1 from the service cannot be decoded");
	} else {
		refused(f, "seals", "[{\"name\":\"x\",\"type\":1,\"der\":\"MAoGCCqBHM9VAYN1\"}]",
			"lists seals that were not asked for");
	}
}

/* The validity is checked against when the renewal began: a resume days
 * later accepts the same answer (it was checked against the clock, and a
 * journaled answer then failed for ever); one older than the renewal fails. */
static void a_resume_days_later_accepts_the_answer(void **state)
{
	struct fx *f = *state;
	struct ukey_renew_expect w = f->w;
	char msg[1024];

	w.now = f->w.now + 10 * 86400;
	assert_int_equal(check(f, f->answer, &w, msg, sizeof(msg)), UKEY_E_OK);
	w = f->w;
	w.started = f->w.now + 3 * 86400;
	w.now = w.started;
	assert_int_equal(check(f, f->answer, &w, msg, sizeof(msg)), UKEY_E_SERVICE);
	assert_non_null(strstr(msg, "unexpected validity"));
}

static void the_answer_survives_the_journal(void **state)
{
	struct fx *f = *state;
	struct ukey_journal jn = { "", json_object_new_object() };
	json_object *back, *text;
	char msg[1024];

	ukey_journal_set_str(&jn, "request_id", f->w.request_id);
	assert_null(ukey_journal_answer(&jn));
	ukey_journal_set_answer(&jn, f->answer);
	text = json_tokener_parse(json_object_to_json_string_ext(jn.j, JSON_C_TO_STRING_PRETTY));
	json_object_put(jn.j);
	jn.j = text;
	back = ukey_journal_answer(&jn);
	assert_non_null(back);
	assert_int_equal(check(f, back, NULL, msg, sizeof(msg)), UKEY_E_OK);
	json_object_put(back);
	ukey_journal_set_answer(&jn, NULL);
	assert_null(ukey_journal_answer(&jn));
	assert_false(json_object_object_get_ex(jn.j, "chain", NULL));
	json_object_put(jn.j);
}

static void not_json_is_refused(void **state)
{
	struct fx *f = *state;
	const char *text = json_object_to_json_string_ext(f->answer, JSON_C_TO_STRING_PLAIN);
	struct ukey_renew_answer a;
	struct ukey_err e;
	json_object *j = (json_object *)1;

	ukey_err_clear(&e);
	assert_int_equal(ukey_renew_answer_parse(text, strlen(text) / 2, &f->w, &j, &a, &e), UKEY_E_SERVICE);
	assert_null(j);
	assert_non_null(strstr(e.msg, "not a JSON object"));
	ukey_err_clear(&e);
	assert_int_equal(ukey_renew_answer_parse("[1]", 3, &f->w, &j, &a, &e), UKEY_E_SERVICE);
	assert_null(j);
}

int main(void)
{
#define BOTH(t) cmocka_unit_test_setup_teardown(t, setup_sm2, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_rsa, teardown)
	const struct CMUnitTest tests[] = {
		BOTH(real_answers_pass),
		BOTH(every_member_of_every_wrong_type_is_refused_by_name),
		cmocka_unit_test_setup_teardown(type_faults_are_worded, setup_sm2, teardown),
		BOTH(meaning_faults_are_refused_for_what_they_are),
		BOTH(a_resume_days_later_accepts_the_answer),
		cmocka_unit_test_setup_teardown(the_answer_survives_the_journal, setup_sm2, teardown),
		cmocka_unit_test_setup_teardown(not_json_is_refused, setup_rsa, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
