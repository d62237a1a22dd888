/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* steps.c: the renewal transaction. Refusals come before anything changes;
 * then each step runs only when the journal says it has not completed, and
 * its result is in the journal (saved durably) before the next begins. A
 * rerun takes the journal's request id, so the idempotent service answers
 * with the certificate it already issued. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64.h"
#include "certder.h"
#include "dertlv.h"
#include "ukey-base.h"
#include "present.h"
#include "renew.h"
#include "ukey-renew.h"

static const char *const step_names[] = {
	"preconditions", "generate-key", "build-request", "send-request", "check-certificate",
	"encryption-key", "write-token", "retire-old", "confirm-installed",
};

const char *ukey_renew_step_name(int step)
{
	return step >= 0 && step <= UKEY_RENEW_STEPS ? step_names[step] : "?";
}

struct run {
	struct ukey_conn *p;
	CK_SESSION_HANDLE rw;
	struct ukey_client *c;
	const struct ukey_renew_opts *o;
	struct ukey_journal jn;
	struct ukey_renew_key key;
	unsigned char *old_der;
	size_t old_len;
	struct ukey_renew_answer ans; /* the checked answer (step 4) */
	int token_enc;                /* the U-KEY held an encryption pair */
	int cur; /* the step in course, for the retry events (0: preconditions) */
};

static void ev(struct run *r, int step, const char *state, const char *detail)
{
	if (strcmp(state, "start") == 0)
		r->cur = step;
	if (r->o->event != NULL)
		r->o->event(r->o->arg, step, ukey_renew_step_name(step), state, detail);
}

static json_object *jget(struct run *r, const char *key)
{
	json_object *v = NULL;

	return r->jn.j && json_object_object_get_ex(r->jn.j, key, &v) ? v : NULL;
}

/* Marks step done in the journal, durably. */
static int done(struct run *r, int step, const char *detail, struct ukey_err *e)
{
	int ret;

	ukey_journal_set_int(&r->jn, "step", step);
	if (step == UKEY_RENEW_STEPS)
		ukey_journal_set_str(&r->jn, "state", "done");
	ret = ukey_journal_save(&r->jn, e);
	if (ret == UKEY_E_OK)
		ev(r, step, "done", detail);
	return ret;
}

/* A stop on the service's side at step (0: the preconditions): the cause,
 * then what is safe and what to do, then the request. */
static void stopped(struct run *r, int step, const char *safe, struct ukey_err *e)
{
	const char *rid = ukey_journal_str(&r->jn, "request_id");
	char msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), "%s", e->msg);
	if (rid[0] != '\0')
		ukey_err_set(e, e->code, _("step %d (%s): %s; %s (request %s)"), step, ukey_renew_step_label(step), msg,
			     safe, rid);
	else
		ukey_err_set(e, e->code, _("step %d (%s): %s; %s"), step, ukey_renew_step_label(step), msg, safe);
}

/* api.c's automatic retries, shown as events of the step in course. */
static void retrying(void *arg, const char *method, const char *path, int attempt, const char *why)
{
	struct run *r = arg;

	(void)method;
	(void)path;
	(void)attempt;
	ev(r, r->cur, "retry", why);
}

static int begin(struct run *r, const char *medium, const struct ukey_cert *certs, size_t ncerts,
		 const struct ukey_cert *old, int with_seals, struct ukey_err *e)
{
	char rid[37], *id = ukey_hex(old->id, old->id_len), *b64 = ukc_b64_encode(old->der, old->der_len);
	struct ukey_token_seal *ts = NULL;
	json_object *seals = json_object_new_array();
	size_t n = 0;
	int ret = ukey_seal_list_token(r->p, r->rw, &ts, &n, e);

	if (ret == UKEY_E_OK && (id == NULL || b64 == NULL || ukey_journal_uuid(rid) != 0))
		ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	if (ret != UKEY_E_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		json_object_array_add(seals, json_object_new_string(ts[i].sha256));
	json_object_put(r->jn.j);
	r->jn.j = json_object_new_object();
	ukey_journal_set_int(&r->jn, "version", 2);
	ukey_journal_set_str(&r->jn, "medium", medium);
	ukey_journal_set_str(&r->jn, "state", "in_progress");
	ukey_journal_set_int(&r->jn, "step", 0);
	ukey_journal_set_str(&r->jn, "request_id", rid);
	ukey_journal_set_int(&r->jn, "with_seals", with_seals);
	ukey_journal_set_str(&r->jn, "key_type", r->o->key_type ? r->o->key_type : "");
	ukey_journal_set_str(&r->jn, "old_id", id);
	ukey_journal_set_str(&r->jn, "old_certificate", b64);
	json_object_object_add(r->jn.j, "old_seals", seals);
	seals = NULL;
	ukey_journal_set_int(&r->jn, "started", (int64_t)time(NULL));
	/* How everything the renewal makes will be known, before any of it
	 * exists (names.c, pending.c). */
	ret = ukey_renew_names(r->p, r->rw, certs, ncerts, old, &r->jn, e);
out:
	json_object_put(seals);
	ukey_token_seals_free(ts, n);
	free(id);
	free(b64);
	return ret;
}

static int step_keygen(struct run *r, struct ukey_err *e)
{
	const char *t = ukey_journal_str(&r->jn, "key_type");
	unsigned char ec[32], id[64];
	size_t ec_len = 0, id_len = 0;
	CK_ULONG bits = 2048;
	enum ukey_renew_kind kind;
	char *hex;
	int found = 0,
	    ret = ukey_renew_key_params(r->old_der, r->old_len, t[0] ? t : NULL, &kind, &bits, ec, &ec_len, e);

	/* A key made by a run that stopped before recording it is adopted,
	 * never made twice; one it left only in part is removed first. */
	if (ret == UKEY_E_OK)
		ret = ukey_renew_pending_key(r->p, r->rw, &r->jn, &r->key, &found, e);
	if (ret == UKEY_E_OK && !found) {
		if (ukey_unhex(ukey_journal_str(&r->jn, "pending_key_id"), id, sizeof(id), &id_len) != 0 || id_len == 0)
			return ukey_err_set(e, UKEY_E_ERROR, _("the journal %s is damaged; move it away to start over"),
					    r->jn.path);
		ret = ukey_renew_keygen(r->p, r->rw, kind, bits, ec, ec_len, ukey_journal_str(&r->jn, "label_key"), id,
					id_len, &r->key, e);
	}
	if (ret != UKEY_E_OK)
		return ret;
	hex = ukey_hex(r->key.id, r->key.id_len);
	if (hex == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	ukey_journal_set_str(&r->jn, "key_id", hex);
	ret = done(r, UKEY_RENEW_KEYGEN, hex, e);
	free(hex);
	return ret;
}

/* Step 3: the request. The answer is journaled only once checked (step 4);
 * the journal's step 3 says the service answered, so a rerun fetches the
 * answer by its request id. raw: the answer's bytes. */
static void expect(struct run *r, struct ukey_renew_expect *w);

static int step_request(struct run *r, struct ukey_http_resp *raw, struct ukey_err *e)
{
	json_object *body;
	const char *text;
	int ret;

	if (r->c->cmp) {
		struct ukey_renew_expect w;
		expect(r, &w);
		ret = ukey_renew_cmp_request(r->p, r->rw, r->c, &r->jn, &r->key, &w, e);
		if (ret == UKEY_E_SERVICE)
			stopped(r, UKEY_RENEW_REQUEST,
				_("nothing was written to your U-KEY and your old certificate stays in use; run "
				  "'ukey renew' again to retry"), e);
		return ret == UKEY_E_OK ? done(r, UKEY_RENEW_REQUEST, ukey_journal_str(&r->jn, "cmp_transaction_id"), e)
					: ret;
	}
	body = json_object_new_object();

	json_object_object_add(body, "request_id", json_object_new_string(ukey_journal_str(&r->jn, "request_id")));
	json_object_object_add(body, "csr", json_object_new_string(ukey_journal_str(&r->jn, "csr")));
	json_object_object_add(body, "with_seals", json_object_new_boolean(ukey_journal_int(&r->jn, "with_seals") != 0));
	/* The envelope formats the token imports, as asked before step 1. */
	if (jget(r, "envelope_formats") != NULL) {
		json_object *a = json_object_new_array();
		char list[128], *save = NULL;
		snprintf(list, sizeof(list), "%s", ukey_journal_str(&r->jn, "envelope_formats"));
		for (char *f = strtok_r(list, ",", &save); f != NULL; f = strtok_r(NULL, ",", &save))
			json_object_array_add(a, json_object_new_string(f));
		json_object_object_add(body, "envelope_formats", a);
	}
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	/* The request is idempotent by request_id: api.c retries it. */
	ret = ukey_api_call_idempotent(r->c, "POST", "/api/v1/renewals", text, NULL, raw, UKEY_HTTP_MAX_JSON, e);
	if (ret == UKEY_E_SERVICE)
		stopped(r, UKEY_RENEW_REQUEST,
			_("nothing was issued yet, or the issued certificate is kept by the service; your old "
			  "certificate still works; run 'ukey renew' again to resume"), e);
	if (ret == UKEY_E_OK)
		ret = done(r, UKEY_RENEW_REQUEST, ukey_journal_str(&r->jn, "request_id"), e);
	json_object_put(body);
	return ret;
}

static void expect(struct run *r, struct ukey_renew_expect *w)
{
	int64_t started = ukey_journal_int(&r->jn, "started");

	memset(w, 0, sizeof(*w));
	w->old_der = r->old_der;
	w->old_len = r->old_len;
	w->k = &r->key;
	w->request_id = ukey_journal_str(&r->jn, "request_id");
	w->with_seals = ukey_journal_int(&r->jn, "with_seals") != 0;
	w->encryption = jget(r, "encryption_ordered") ? ukey_journal_int(&r->jn, "encryption_ordered") != 0 : -1;
	w->now = time(NULL);
	w->started = started > 0 && started <= w->now ? (time_t)started : w->now;
}

/* GET /api/v1/renewals/<id>: the answer the service issued for the request,
 * parsed and checked into j and r->ans. *got: an answer came (0: the
 * request itself failed). */
static int fetch(struct run *r, const struct ukey_renew_expect *w, json_object **j, int *got, struct ukey_err *e)
{
	struct ukey_http_resp raw;
	char path[160];
	int ret;

	memset(&raw, 0, sizeof(raw));
	snprintf(path, sizeof(path), "/api/v1/renewals/%s", w->request_id);
	ret = ukey_api_call(r->c, "GET", path, NULL, NULL, &raw, UKEY_HTTP_MAX_JSON, e);
	*got = ret == UKEY_E_OK;
	if (ret == UKEY_E_OK)
		ret = ukey_renew_answer_parse(raw.body, raw.len, w, j, &r->ans, e);
	ukey_http_resp_free(&raw);
	return ret;
}

/* Step 4: the answer (the one just posted, else the journal's, else fetched
 * by request id) checked whole before it is journaled; one that fails is
 * fetched again once. Runs on every resume: it gives what steps 5-8 use. */
static int step_check(struct run *r, const struct ukey_http_resp *posted, int64_t step, struct ukey_err *e)
{
	struct ukey_renew_expect w;
	json_object *j = NULL;
	int fresh = posted->status != 0, got = 1, ret;
	char detail[sizeof(e->msg) + 64];

	expect(r, &w);
	if (step < UKEY_RENEW_CHECK)
		ev(r, UKEY_RENEW_CHECK, "start", NULL);
	if (r->c->cmp) {
		/* Checked before it was confirmed; again as the journal holds it. */
		ret = ukey_renew_cmp_check(r->c, &r->jn, &w, &r->ans, e);
		return ret == UKEY_E_OK && step < UKEY_RENEW_CHECK ? done(r, UKEY_RENEW_CHECK, NULL, e) : ret;
	}
	if (fresh)
		ret = ukey_renew_answer_parse(posted->body, posted->len, &w, &j, &r->ans, e);
	else if ((j = ukey_journal_answer(&r->jn)) != NULL)
		ret = ukey_renew_answer_check(j, &w, &r->ans, e);
	else {
		ret = fetch(r, &w, &j, &got, e);
		fresh = 1;
	}
	if (ret == UKEY_E_SERVICE && got) {
		/* The service keeps what it issued: a fault on the way, or in
		 * the journal, passes when it is fetched again. */
		snprintf(detail, sizeof(detail), "the answer failed its check, fetched again by request id: %s", e->msg);
		ukey_journal_note(&r->jn, detail);
		snprintf(detail, sizeof(detail), _("%s; fetching the answer again by its request id"), e->msg);
		ev(r, UKEY_RENEW_CHECK, "retry", detail);
		json_object_put(j);
		j = NULL;
		ukey_journal_set_answer(&r->jn, NULL);
		ret = fetch(r, &w, &j, &got, e);
		fresh = 1;
	}
	if (ret == UKEY_E_OK && fresh)
		ukey_journal_set_answer(&r->jn, j);
	json_object_put(j);
	if (ret == UKEY_E_OK)
		return step < UKEY_RENEW_CHECK ? done(r, UKEY_RENEW_CHECK, NULL, e)
		       : fresh ? ukey_journal_save(&r->jn, e) : UKEY_E_OK;
	if (step >= UKEY_RENEW_CHECK && jget(r, "certificate") == NULL) {
		struct ukey_err scratch; /* the bad answer out of the journal: best effort */
		ukey_journal_save(&r->jn, &scratch);
	}
	if (!got)
		stopped(r, UKEY_RENEW_CHECK,
			step < UKEY_RENEW_CHECK ? _("nothing was written to your U-KEY and your old certificate stays in "
						    "use; run 'ukey renew' again to resume")
						: _("this run changed nothing on your U-KEY; run 'ukey renew' again to finish"),
			e);
	else if (ret == UKEY_E_SERVICE)
		stopped(r, UKEY_RENEW_CHECK,
			step < UKEY_RENEW_CHECK ? _("the CA's answer is wrong, also when fetched again; nothing was written "
						    "to your U-KEY and your old certificate stays in use; contact the CA "
						    "with the request id, then run 'ukey renew' again")
						: _("the CA's answer is wrong, also when fetched again; this run changed "
						    "nothing on your U-KEY; contact the CA with the request id, then run "
						    "'ukey renew' again to finish"),
			e);
	return ret;
}

/* Step 5: the new encryption key pair, when the service sent one and the
 * U-KEY is a dual-certificate one (it held an encryption pair). */
static int step_encryption(struct run *r, struct ukey_err *e)
{
	char detail[200] = "";
	int ret;

	if (!r->ans.has_enc || !r->token_enc) {
		const char *why = r->c->cmp ? _("the CA service is CMP-only: encryption keys and seals are features of "
						"the native protocol")
				  : !r->ans.has_enc ? _("the order does not include an encryption certificate")
					      : _("the U-KEY holds no encryption key pair: the new encryption key is not "
						  "installed");
		ukey_journal_note(&r->jn, r->c->cmp ? "encryption: none (a CMP CA sends no encryption key)"
				  : !r->ans.has_enc ? "encryption: null (the order does not cover the encryption "
							"certificate)"
						      : "encryption key from the service not installed: the token held no "
							"encryption key pair");
		ukey_journal_set_int(&r->jn, "step", UKEY_RENEW_ENCRYPTION);
		ret = ukey_journal_save(&r->jn, e);
		if (ret == UKEY_E_OK)
			ev(r, UKEY_RENEW_ENCRYPTION, "skipped", why);
		return ret;
	}
	ev(r, UKEY_RENEW_ENCRYPTION, "start", NULL);
	ret = ukey_renew_encrypt(r->p, r->rw, &r->jn, &r->key, &r->ans.enc, detail, sizeof(detail), e);
	return ret == UKEY_E_OK ? done(r, UKEY_RENEW_ENCRYPTION, detail, e) : ret;
}

/* Step 8, authenticated by the new certificate (the old key may be gone). */
static int step_installed(struct run *r, const unsigned char *der, size_t der_len, struct ukey_err *e)
{
	struct ukey_cert nc;
	struct ukey_auth saved = r->c->auth;
	json_object *out = NULL;
	char path[160];
	int ret;

	/* A CMP CA was told by certConf, and answered pkiConf. */
	if (r->c->cmp)
		return done(r, UKEY_RENEW_INSTALLED, "certConf", e);
	memset(&nc, 0, sizeof(nc));
	nc.der = (unsigned char *)der;
	nc.der_len = der_len;
	memcpy(nc.id, r->key.id, r->key.id_len);
	nc.id_len = r->key.id_len;
	ret = ukey_cert_parse(&nc, e);
	if (ret == UKEY_E_OK)
		ret = ukey_auth_init(&r->c->auth, r->p, r->rw, &nc, 1, e);
	snprintf(path, sizeof(path), "/api/v1/renewals/%s/installed", ukey_journal_str(&r->jn, "request_id"));
	if (ret == UKEY_E_OK) {
		/* Idempotent by design: telling the service twice is harmless. */
		ret = ukey_api_call_idempotent(r->c, "POST", path, "{}", &out, NULL, UKEY_HTTP_MAX_JSON, e);
		if (ret == UKEY_E_SERVICE)
			stopped(r, UKEY_RENEW_INSTALLED,
				_("the new certificate is installed on your U-KEY and works; the CA was not told yet; "
				  "run 'ukey renew' again to finish"), e);
	}
	json_object_put(out);
	r->c->auth = saved;
	return ret == UKEY_E_OK ? done(r, UKEY_RENEW_INSTALLED, NULL, e) : ret;
}

/* A stop asked for (Ctrl-C): before step, everything before it journaled. */
static int check_stop(struct run *r, int step, struct ukey_err *e)
{
	if (r->o->stop == NULL || !r->o->stop(r->o->arg))
		return UKEY_E_OK;
	return ukey_err_set(e, UKEY_E_INTERRUPTED, _("interrupted at step %d; nothing is lost; run 'ukey renew' again "
						     "to finish"), step);
}

static int steps(struct run *r, struct ukey_renew_result *res, struct ukey_err *e)
{
	int64_t step = ukey_journal_int(&r->jn, "step");
	struct ukey_http_resp posted;
	const unsigned char *der = NULL;
	unsigned char id[64];
	size_t der_len = 0, id_len = 0;
	char *csr = NULL;
	int found = 0, ret = UKEY_E_OK;

	memset(&posted, 0, sizeof(posted));
	for (int i = 1; i <= step; i++)
		ev(r, i, "skipped", "done before");
	if (step < UKEY_RENEW_KEYGEN) {
		ret = check_stop(r, UKEY_RENEW_KEYGEN, e);
		if (ret == UKEY_E_OK)
			ev(r, UKEY_RENEW_KEYGEN, "start", NULL);
		if (ret == UKEY_E_OK)
			ret = step_keygen(r, e);
	} else if (ukey_unhex(ukey_journal_str(&r->jn, "key_id"), id, sizeof(id), &id_len) != 0 ||
		   (ret = ukey_renew_key_find(r->p, r->rw, id, id_len, NULL, &r->key, &found, e)) != UKEY_E_OK ||
		   !found) {
		if (ret == UKEY_E_OK)
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("the pending new key (CKA_ID %s) recorded in the journal is not "
							      "on the U-KEY; move %s away to start over"),
					   ukey_journal_str(&r->jn, "key_id"), r->jn.path);
	}
	if (ret == UKEY_E_OK && step < UKEY_RENEW_CSR && (ret = check_stop(r, UKEY_RENEW_CSR, e)) == UKEY_E_OK) {
		ev(r, UKEY_RENEW_CSR, "start", NULL);
		ret = ukey_renew_csr(r->p, r->rw, &r->key, r->old_der, r->old_len, &csr, e);
		if (ret == UKEY_E_OK) {
			ukey_journal_set_str(&r->jn, "csr", csr);
			ret = done(r, UKEY_RENEW_CSR, NULL, e);
		}
	}
	if (ret == UKEY_E_OK && step < UKEY_RENEW_REQUEST &&
	    (ret = check_stop(r, UKEY_RENEW_REQUEST, e)) == UKEY_E_OK) {
		ev(r, UKEY_RENEW_REQUEST, "start", ukey_journal_str(&r->jn, "request_id"));
		ret = step_request(r, &posted, e);
	}
	if (ret == UKEY_E_OK)
		ret = step_check(r, &posted, step, e);
	ukey_http_resp_free(&posted);
	der = r->ans.der;
	der_len = r->ans.der_len;
	if (ret == UKEY_E_OK && step < UKEY_RENEW_ENCRYPTION &&
	    (ret = check_stop(r, UKEY_RENEW_ENCRYPTION, e)) == UKEY_E_OK)
		ret = step_encryption(r, e);
	if (ret == UKEY_E_OK && step < UKEY_RENEW_WRITE && (ret = check_stop(r, UKEY_RENEW_WRITE, e)) == UKEY_E_OK) {
		ev(r, UKEY_RENEW_WRITE, "start", NULL);
		int enc = r->ans.has_enc && ukey_unhex(ukey_journal_str(&r->jn, "enc_key_id"), id, sizeof(id), &id_len) == 0 &&
			  id_len > 0;
		ret = ukey_renew_write(r->p, r->rw, &r->jn, &r->key, der, der_len, enc ? id : NULL, enc ? id_len : 0,
				       enc ? r->ans.enc.der : NULL, enc ? r->ans.enc.der_len : 0, jget(r, "seals"), e);
		if (ret == UKEY_E_OK && enc)
			ukey_journal_set_int(&r->jn, "encryption_installed", 1);
		if (ret == UKEY_E_OK)
			ret = done(r, UKEY_RENEW_WRITE, NULL, e);
	}
	if (ret == UKEY_E_OK && step < UKEY_RENEW_RETIRE &&
	    (ret = check_stop(r, UKEY_RENEW_RETIRE, e)) == UKEY_E_OK) {
		ev(r, UKEY_RENEW_RETIRE, "start", NULL);
		ret = ukey_renew_retire(r->p, r->rw, &r->jn, &r->key, r->old_der, r->old_len, jget(r, "old_seals"),
					jget(r, "seals"), e);
		if (ret == UKEY_E_OK)
			ret = done(r, UKEY_RENEW_RETIRE, NULL, e);
	}
	if (ret == UKEY_E_OK && step < UKEY_RENEW_INSTALLED &&
	    (ret = check_stop(r, UKEY_RENEW_INSTALLED, e)) == UKEY_E_OK) {
		ev(r, UKEY_RENEW_INSTALLED, "start", NULL);
		ret = step_installed(r, der, der_len, e);
	}
	if (ret == UKEY_E_OK && der != NULL) {
		const unsigned char *q = der;
		X509 *x = d2i_X509(NULL, &q, (long)der_len);
		if (x != NULL)
			ukc_asn1_time(X509_get0_notAfter(x), &res->not_after);
		X509_free(x);
	}
	free(csr);
	return ret;
}

int ukey_renew_run(struct ukey_conn *p, CK_SESSION_HANDLE s, const struct ukey_token_info *tok,
		   struct ukey_client *c, const struct ukey_cert *certs, size_t ncerts,
		   const struct ukey_renew_opts *o, struct ukey_renew_result *res, struct ukey_err *e)
{
	struct run r = { .p = p, .c = c, .o = o };
	const struct ukey_cert *old = ukey_certs_signing(certs, ncerts);
	int with_seals = o->with_seals, enc = 0, ret;
	char other[64], fmts[128];
	const char *b64;
	long der_len;
	int known = 0;
	CK_RV rv;

	(void)s;
	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < ncerts; i++)
		r.token_enc |= certs[i].encrypt && !certs[i].sign;
	ret = ukey_journal_other(tok->serial, other, sizeof(other), e);
	if (ret == UKEY_E_OK && other[0] != '\0')
		return ukey_err_set(e, UKEY_E_TOKEN, _("an unfinished renewal belongs to another U-KEY: re-insert the key "
						       "with medium number %s"), other);
	if (ret == UKEY_E_OK)
		ret = ukey_journal_open(&r.jn, tok->serial, e);
	c->on_retry = retrying;
	c->retry_arg = &r;
	if (ret != UKEY_E_OK)
		goto out;
	rv = p->f->C_OpenSession(tok->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &r.rw);
	if (rv != CKR_OK) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("cannot open a read-write session with the U-KEY: %s"),
				   ukey_p11_rv_name(rv));
		goto out;
	}
	res->resumed = r.jn.j != NULL && strcmp(ukey_journal_str(&r.jn, "state"), "done") != 0;
	if (!res->resumed) {
		if (old == NULL) {
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("the U-KEY holds no signing certificate to renew"));
			goto out;
		}
		/* A CMP CA has no binding, order or seals to refuse for. */
		if (c->cmp && (strcmp(old->key_type, "SM2") == 0 || (o->key_type && strcmp(o->key_type, "sm2") == 0)))
			ret = ukey_err_set(e, UKEY_E_USAGE, "%s", ukey_renew_cmp_no_sm2());
		else if (c->cmp && with_seals > 0)
			ret = ukey_err_set(e, UKEY_E_USAGE, _("the CA service is CMP-only: seals are a feature of the "
							      "native protocol; renew with --cert-only"));
		else if (c->cmp && (ret = ukey_renew_cmp_done_before(&r.jn, old, time(NULL), e)) == UKEY_E_OK)
			with_seals = 0;
		else
			ret = ukey_renew_refusals(p, r.rw, c, old, o->key_type, &with_seals, &enc, fmts, sizeof(fmts),
						  &known, e);
		if (ret == UKEY_E_SERVICE)
			stopped(&r, 0, _("nothing was changed; run 'ukey renew' again later"), e);
		if (ret == UKEY_E_OK)
			ret = begin(&r, tok->serial, certs, ncerts, old, with_seals, e);
		if (ret == UKEY_E_OK)
			ukey_journal_set_str(&r.jn, "protocol", c->cmp ? "cmp" : "native");
		if (ret == UKEY_E_OK && enc && known)
			ukey_journal_set_str(&r.jn, "envelope_formats", fmts);
		/* What the answer must then carry (checked at step 4). */
		if (ret == UKEY_E_OK)
			ukey_journal_set_int(&r.jn, "encryption_ordered", enc);
		if (ret == UKEY_E_OK)
			ret = ukey_journal_save(&r.jn, e);
		if (ret != UKEY_E_OK)
			goto out;
	}
	/* The journal's transaction is finished the way it began. */
	if ((strcmp(ukey_journal_str(&r.jn, "protocol"), "cmp") == 0) != (c->cmp != 0)) {
		ret = ukey_err_set(e, UKEY_E_USAGE, _("the unfinished renewal began with protocol %s: set [service] "
						      "protocol = %s to finish it"),
				   c->cmp ? "native" : "cmp", c->cmp ? "native" : "cmp");
		goto out;
	}
	snprintf(res->request_id, sizeof(res->request_id), "%s", ukey_journal_str(&r.jn, "request_id"));
	b64 = ukey_journal_str(&r.jn, "old_certificate");
	r.old_der = ukc_b64_decode(b64, strlen(b64), &r.old_len, NULL);
	/* One DER certificate: what follows it (if anything did) is not part of it. */
	der_len = r.old_der ? ukc_der_elem_len(r.old_der, r.old_len) : -1;
	if (der_len <= 0 || (size_t)der_len > r.old_len) {
		ret = ukey_err_set(e, UKEY_E_ERROR, _("the journal %s is damaged; move it away to start over"), r.jn.path);
		goto out;
	}
	r.old_len = (size_t)der_len;
	/* A journal of an earlier version (no names): named now, while the
	 * old certificate is there to take them from. */
	if (ukey_journal_str(&r.jn, "label_key")[0] == '\0' && old != NULL && old->der_len == r.old_len &&
	    memcmp(old->der, r.old_der, r.old_len) == 0) {
		ret = ukey_renew_names(p, r.rw, certs, ncerts, old, &r.jn, e);
		if (ret == UKEY_E_OK)
			ret = ukey_journal_save(&r.jn, e);
		if (ret != UKEY_E_OK)
			goto out;
	}
	ret = steps(&r, res, e);
	ret = ukey_renew_present(p, tok->serial, ret, e);
out:
	c->on_retry = NULL;
	c->retry_arg = NULL;
	if (r.rw)
		p->f->C_CloseSession(r.rw);
	ukey_renew_key_free(&r.key);
	ukey_renew_answer_free(&r.ans);
	free(r.old_der);
	ukey_journal_close(&r.jn);
	return ret;
}
