/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-renew-answer.c: libFuzzer target for the renewal answer's parse and
 * check (renew-plugin/renew/answer.c, check.c), the path every answer of
 * POST /api/v1/renewals and GET /api/v1/renewals/<id> takes before it is
 * journaled. The bytes are an answer as the service sends it; what it is
 * checked against (old certificate, new key, request id, what was asked,
 * the time) comes from the *.ctx files in $UKEY_FUZZ_RENEW_CTX, written with
 * the seeds by capture-renew-answer.sh from the reference service: an input
 * naming a context's request id is checked against that context, any other
 * against the first. Invariants: a refusal has a message and its code and
 * keeps nothing; an accepted answer's certificate is for the new key, its
 * encryption part complete, and it passes again once journaled and read
 * back from the journal's text (what a resume does). */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "certder.h"
#include "renew/renew.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	char rid[65];
	unsigned char *old;
	size_t old_len;
	struct ukey_renew_key key;
	int with_seals, encryption;
	time_t started, now;
};

static struct ctx ctxs[8];
static size_t nctx;

static const char *str(json_object *j, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(j, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
											       : "";
}

static int load(const char *path, struct ctx *c)
{
	json_object *j = json_object_from_file(path), *v;
	X509 *old = j ? ukc_x509_from_pem(str(j, "old_certificate")) : NULL;
	BIO *b = j ? BIO_new_mem_buf(str(j, "new_key"), -1) : NULL;
	unsigned char *der = NULL;
	char group[32] = "";
	int len = old ? i2d_X509(old, &der) : -1;

	c->key.pkey = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	X509_free(old);
	if (len <= 0 || c->key.pkey == NULL) {
		json_object_put(j);
		return -1;
	}
	c->old = der;
	c->old_len = (size_t)len;
	EVP_PKEY_get_utf8_string_param(c->key.pkey, "group", group, sizeof(group), NULL);
	c->key.kind = EVP_PKEY_is_a(c->key.pkey, "RSA") ? UKEY_KEY_RSA
		      : EVP_PKEY_is_a(c->key.pkey, "SM2") || strcmp(group, "SM2") == 0 ? UKEY_KEY_SM2
											 : UKEY_KEY_EC;
	snprintf(c->rid, sizeof(c->rid), "%s", str(j, "request_id"));
	c->with_seals = json_object_object_get_ex(j, "with_seals", &v) && json_object_get_boolean(v);
	c->encryption = json_object_object_get_ex(j, "encryption", &v) && json_object_get_boolean(v);
	c->started = json_object_object_get_ex(j, "started", &v) ? (time_t)json_object_get_int64(v) : 0;
	c->now = json_object_object_get_ex(j, "now", &v) ? (time_t)json_object_get_int64(v) : 0;
	json_object_put(j);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("UKEY_FUZZ_RENEW_CTX");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	char path[4096];

	(void)argc;
	(void)argv;
	while (d != NULL && (e = readdir(d)) != NULL && nctx < sizeof(ctxs) / sizeof(ctxs[0])) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".ctx") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (load(path, &ctxs[nctx]) != 0) {
			fprintf(stderr, "fuzz-renew-answer: cannot load %s\n", path);
			abort();
		}
		nctx++;
	}
	if (d != NULL)
		closedir(d);
	if (nctx == 0) {
		fprintf(stderr, "fuzz-renew-answer: no *.ctx in UKEY_FUZZ_RENEW_CTX (%s)\n", dir ? dir : "unset");
		abort();
	}
	return 0;
}

/* The answer as a resume sees it: journaled, the journal's text parsed. */
static void journal_round_trip(json_object *j, const struct ukey_renew_expect *w)
{
	struct ukey_journal jn = { "", json_object_new_object() };
	struct ukey_renew_answer a;
	struct ukey_err e;
	json_object *text, *back;

	ukey_journal_set_str(&jn, "request_id", w->request_id);
	ukey_journal_set_answer(&jn, j);
	text = json_tokener_parse(json_object_to_json_string_ext(jn.j, JSON_C_TO_STRING_PRETTY |
									       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(jn.j);
	jn.j = text;
	back = ukey_journal_answer(&jn);
	ukey_err_clear(&e);
	if (back == NULL || ukey_renew_answer_check(back, w, &a, &e) != UKEY_E_OK) {
		fprintf(stderr, "accepted, but refused once journaled: %s\n", e.msg);
		abort();
	}
	ukey_renew_answer_free(&a);
	json_object_put(back);
	json_object_put(jn.j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ctx *c = &ctxs[0];
	struct ukey_renew_expect w;
	struct ukey_renew_answer a;
	struct ukey_err e;
	json_object *j = NULL;
	int ret;

	for (size_t i = 0; i < nctx; i++)
		if (memmem(data, size, ctxs[i].rid, strlen(ctxs[i].rid)) != NULL)
			c = &ctxs[i];
	memset(&w, 0, sizeof(w));
	w.old_der = c->old;
	w.old_len = c->old_len;
	w.k = &c->key;
	w.request_id = c->rid;
	w.with_seals = c->with_seals;
	w.encryption = c->encryption;
	w.started = c->started;
	w.now = c->now;
	ukey_err_clear(&e);
	ret = ukey_renew_answer_parse((const char *)data, size, &w, &j, &a, &e);
	if (ret != UKEY_E_OK) {
		if (e.msg[0] == '\0' || e.code != ret || j != NULL || a.der != NULL || a.has_enc)
			abort(); /* every refusal says why, and keeps nothing */
		return 0;
	}
	{
		const unsigned char *q = a.der;
		X509 *x = a.der ? d2i_X509(NULL, &q, (long)a.der_len) : NULL;
		if (x == NULL || EVP_PKEY_eq(X509_get0_pubkey(x), c->key.pkey) != 1)
			abort(); /* accepted: the certificate is the new key's */
		X509_free(x);
	}
	if (a.has_enc && (a.enc.der == NULL || a.enc.env == NULL || a.enc.env_len == 0 || a.enc.pub == NULL))
		abort();
	if (c->encryption && !a.has_enc)
		abort(); /* ordered: an answer without it is refused */
	journal_round_trip(j, &w);
	ukey_renew_answer_free(&a);
	json_object_put(j);
	return 0;
}
