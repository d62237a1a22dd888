/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* api-renew.c: the renewal, ukey_renew_run in a worker thread in the
 * logged-in session: the same journaled transaction `ukey renew` runs,
 * its step events sent to the page as `ukey renew --json` prints them (plus
 * the step's name for people), and resumed from the journal when a previous
 * run was interrupted. The thread holds the work lock for the whole run;
 * the other handlers answer "busy" meanwhile instead of queueing behind it. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assistant.h"
#include "cli.h"
#include "reminder.h"

struct run {
	struct asst *a;
	struct ukey_renew_opts o;
	struct timespec t0;
};

static void event(void *arg, int step, const char *name, const char *state, const char *detail)
{
	struct run *run = arg;
	struct asst *a = run->a;
	struct timespec now;
	json_object *o = json_object_new_object(), *copy = NULL;

	clock_gettime(CLOCK_MONOTONIC, &now);
	json_object_object_add(o, "elapsed_ms", json_object_new_int64((int64_t)(now.tv_sec - run->t0.tv_sec) * 1000 +
								     (now.tv_nsec - run->t0.tv_nsec) / 1000000));
	json_object_object_add(o, "step", json_object_new_int(step));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "label", json_object_new_string(ukey_renew_step_label(step)));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "detail", detail ? json_object_new_string(detail) : NULL);
	pthread_mutex_lock(&a->lock);
	a->renew_step = step;
	json_object_array_add(a->renew_events, o);
	json_object_deep_copy(o, &copy, NULL);
	pthread_mutex_unlock(&a->lock);
	if (copy != NULL)
		asst_event(a, "renew", copy);
}

/* Only a signal stops a running renewal (before its next step, all of it
 * journaled): a closed page or /api/quit waits for it to finish. */
static int stop(void *arg)
{
	struct asst *a = ((struct run *)arg)->a;
	int s;

	pthread_mutex_lock(&a->lock);
	s = a->quit && a->quit_reason != NULL && strcmp(a->quit_reason, "signal") == 0;
	pthread_mutex_unlock(&a->lock);
	return s;
}

/* The reminder must not go on about the certificate just replaced. */
static void remember(const struct asst *a, time_t not_after)
{
	struct ukey_seen s;
	struct ukey_err e;

	memset(&s, 0, sizeof(s));
	snprintf(s.medium, sizeof(s.medium), "%s", a->tok.serial);
	snprintf(s.label, sizeof(s.label), "%s", a->tok.label);
	s.not_after = not_after;
	s.seen = ukey_now();
	ukey_seen_put(&s, 1, &e);
}

/* With work held, after a renewal: the token as it is now, the client
 * signing with the new key, and the done event. */
static json_object *done_json(struct asst *a, const struct ukey_renew_result *res)
{
	json_object *o = json_object_new_object(), *cert = json_object_new_object(), *seals = json_object_new_array();
	struct ukey_seal_view *v = NULL;
	struct ukey_err e;
	size_t nv = 0;

	ukey_certs_free(a->certs, a->ncerts);
	a->certs = NULL;
	a->ncerts = 0;
	if (ukey_token_certs(&a->p11, a->s, &a->certs, &a->ncerts, &e) == UKEY_E_OK)
		ukey_client_sign_with(a->client, &a->p11, a->s, a->certs, a->ncerts, &e);
	json_object_object_add(o, "result", json_object_new_string("done"));
	json_object_object_add(o, "medium", json_object_new_string(a->tok.serial));
	json_object_object_add(o, "request_id", json_object_new_string(res->request_id));
	json_object_object_add(o, "resumed", json_object_new_boolean(res->resumed));
	json_object_object_add(o, "not_after", json_object_new_int64(res->not_after));
	json_object_object_add(cert, "not_after", json_object_new_int64(res->not_after));
	json_object_object_add(cert, "days_left", json_object_new_int64(ukey_cli_days_left(res->not_after)));
	json_object_object_add(o, "cert", cert);
	if (ukey_seals_view_list(&a->p11, a->s, &v, &nv, &e) == UKEY_E_OK)
		for (size_t i = 0; i < nv; i++) {
			json_object *s = json_object_new_object();
			json_object_object_add(s, "name", json_object_new_string(v[i].name));
			json_object_object_add(s, "sha256", json_object_new_string(v[i].sha256));
			json_object_object_add(s, "valid_to", json_object_new_int64(v[i].valid_to));
			json_object_array_add(seals, s);
		}
	free(v);
	json_object_object_add(o, "seals", seals);
	return o;
}

static json_object *failed_json(struct asst *a, const struct ukey_err *e)
{
	struct asst_resp tmp;
	json_object *o = json_object_new_object(), *err, *code = NULL;

	memset(&tmp, 0, sizeof(tmp));
	err = asst_error_from(&tmp, e);
	json_object_object_get_ex(err, "code", &code);
	json_object_object_add(o, "code", json_object_get(code));
	json_object_object_add(o, "message", json_object_new_string(e->msg));
	json_object_object_add(o, "service_code", e->service_code[0] ? json_object_new_string(e->service_code) : NULL);
	pthread_mutex_lock(&a->lock);
	json_object_object_add(o, "step", json_object_new_int(a->renew_step));
	pthread_mutex_unlock(&a->lock);
	json_object_object_add(o, "interrupted", json_object_new_boolean(e->code == UKEY_E_INTERRUPTED));
	json_object_put(tmp.j);
	return o;
}

static void *worker(void *arg)
{
	struct run *run = arg;
	struct asst *a = run->a;
	struct ukey_renew_result res;
	struct ukey_err e;
	json_object *out, *ev;
	int ret;

	pthread_mutex_lock(&a->work);
	ukey_err_clear(&e);
	memset(&res, 0, sizeof(res));
	clock_gettime(CLOCK_MONOTONIC, &run->t0);
	ret = ukey_renew_run(&a->p11, a->s, &a->tok, a->client, a->certs, a->ncerts, &run->o, &res, &e);
	if (ret == UKEY_E_OK) {
		remember(a, res.not_after);
		out = done_json(a, &res);
	} else {
		out = failed_json(a, &e);
	}
	pthread_mutex_unlock(&a->work);
	/* Copies, not shared references: json-c objects are not for two
	 * threads at once (each keeps its own serialization buffer). */
	ev = NULL;
	json_object_deep_copy(out, &ev, NULL);
	pthread_mutex_lock(&a->lock);
	json_object_put(a->renew_result);
	a->renew_result = json_object_get(out);
	json_object_object_add(a->renew_result, ret == UKEY_E_OK ? "done" : "failed", json_object_new_boolean(1));
	a->renew_running = 0;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	json_object_put(out);
	asst_event(a, ret == UKEY_E_OK ? "done" : "failed", ev);
	free(run);
	return NULL;
}

static void start(struct asst_req *q, struct asst_resp *r)
{
	struct asst *a = q->a;
	const char *mode = NULL;
	struct run *run;
	int accept = 0, pending = 0, with = -1;
	struct ukey_err e;

	if (asst_get_string(q, r, "mode", 0, &mode) < 0 || asst_get_bool(q, r, "accept_final_try", &accept) < 0)
		return;
	if (mode != NULL && strcmp(mode, "cert") != 0 && strcmp(mode, "cert+seals") != 0) {
		json_object_object_add(asst_error(r, 400, "invalid", "%s", _("the mode is \"cert\" or \"cert+seals\"")),
				       "field", json_object_new_string("mode"));
		return;
	}
	if (asst_work_begin(q, r, 1) != 0)
		return;
	ukey_err_clear(&e);
	if (ukey_renew_pending(a->tok.serial, &pending, NULL, &e) != UKEY_E_OK) {
		asst_error_from(r, &e);
		goto out;
	}
	/* A resume goes on as the journal says, whatever the page asks. */
	if (mode != NULL && !pending)
		with = strcmp(mode, "cert+seals") == 0;
	run = calloc(1, sizeof(*run));
	if (run == NULL) {
		asst_error(r, 500, "error", "%s", _("out of memory"));
		goto out;
	}
	run->a = a;
	run->o.with_seals = with;
	run->o.event = event;
	run->o.arg = run;
	run->o.stop = stop;
	/* The previous run's thread ended (not running): reaped outside the
	 * lock, which its last event still takes. */
	asst_renew_join(a);
	pthread_mutex_lock(&a->lock);
	json_object_put(a->renew_events);
	json_object_put(a->renew_result);
	a->renew_events = json_object_new_array();
	a->renew_result = NULL;
	a->renew_step = 0;
	a->renew_running = 1;
	a->renew_thread = pthread_create(&a->renew_th, NULL, worker, run) == 0;
	if (!a->renew_thread) {
		a->renew_running = 0;
		free(run);
	}
	pthread_mutex_unlock(&a->lock);
	if (a->renew_thread) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "started", json_object_new_boolean(1));
		json_object_object_add(o, "resume", json_object_new_boolean(pending));
		asst_json(r, 202, o);
	} else {
		asst_error(r, 500, "error", "%s", _("cannot start the renewal"));
	}
out:
	asst_work_end(a);
}

void asst_api_renew(struct asst_req *q, struct asst_resp *r)
{
	struct asst *a = q->a;
	json_object *o, *events, *result;
	struct ukey_token_info t;
	struct ukey_err e;
	int running, step, pending = 0;

	if (strcmp(q->method, "POST") == 0) {
		start(q, r);
		return;
	}
	pthread_mutex_lock(&a->lock);
	running = a->renew_running;
	step = a->renew_step;
	o = json_object_new_object();
	json_object_object_add(o, "running", json_object_new_boolean(running));
	json_object_object_add(o, "step", json_object_new_int(step));
	json_object_object_add(o, "name", json_object_new_string(ukey_renew_step_name(step)));
	json_object_object_add(o, "label", json_object_new_string(ukey_renew_step_label(step)));
	events = result = NULL;
	if (a->renew_events == NULL || json_object_deep_copy(a->renew_events, &events, NULL) != 0)
		events = json_object_new_array();
	if (a->renew_result != NULL)
		json_object_deep_copy(a->renew_result, &result, NULL);
	json_object_object_add(o, "events", events);
	json_object_object_add(o, "result", result);
	pthread_mutex_unlock(&a->lock);
	/* The key inserted now (no login needed to know it was interrupted). */
	if (!running && a->module_ok && ukey_token_select(&a->p11, a->o.serial, &t, &e) == UKEY_E_OK &&
	    ukey_renew_pending(t.serial, &pending, NULL, &e) != UKEY_E_OK)
		pending = 0;
	json_object_object_add(o, "pending", json_object_new_boolean(pending));
	asst_json(r, 200, o);
}

void asst_renew_join(struct asst *a)
{
	int joinable;

	pthread_mutex_lock(&a->lock);
	while (a->renew_running)
		pthread_cond_wait(&a->cond, &a->lock);
	joinable = a->renew_thread;
	a->renew_thread = 0;
	pthread_mutex_unlock(&a->lock);
	if (joinable)
		pthread_join(a->renew_th, NULL);
}
