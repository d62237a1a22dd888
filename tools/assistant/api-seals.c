/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* api-seals.c: the guide's "印章数据存在异常" page. The service's list,
 * the four rules checked by libukeyseal's own checker (ukey_clean_check,
 * the one `ukey seals clean` and the service's rules agree with: the page
 * never re-implements them), and the plan sent once. */

#include <stdlib.h>
#include <string.h>

#include "assistant.h"
#include "cli.h"

/* With work held: the list last fetched, or fetched now. */
static int seals_list(struct asst *a, struct ukey_err *e)
{
	int ret;

	if (a->have_seals)
		return UKEY_E_OK;
	ret = ukey_api_seals(a->client, &a->seals, e);
	a->have_seals = ret == UKEY_E_OK;
	return ret;
}

static int on_token(const struct ukey_token_seal *ts, size_t nt, const char *sha256)
{
	for (size_t i = 0; i < nt; i++)
		if (sha256 != NULL && strcmp(ts[i].sha256, sha256) == 0)
			return 1;
	return 0;
}

static json_object *list_json(struct asst *a)
{
	const struct ukey_clean_list *l = &a->seals;
	json_object *o = json_object_new_object(), *seals = json_object_new_array(), *types = json_object_new_array();
	struct ukey_token_seal *ts = NULL;
	struct ukey_clean_plan plan = { NULL, 0 };
	struct ukey_err e;
	size_t nt = 0;
	char *pj;

	if (ukey_seal_list_token(&a->p11, a->s, &ts, &nt, &e) != UKEY_E_OK)
		nt = 0;
	json_object_object_add(o, "abnormal", json_object_new_boolean(l->abnormal));
	for (size_t i = 0; i < l->n_seals; i++) {
		const struct ukey_clean_seal *s = &l->seals[i];
		const char *tn = ukey_clean_type_name(l, s->type);
		json_object *j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_string(s->id ? s->id : ""));
		json_object_object_add(j, "es_id", s->es_id ? json_object_new_string(s->es_id) : NULL);
		json_object_object_add(j, "sha256", s->sha256 ? json_object_new_string(s->sha256) : NULL);
		json_object_object_add(j, "name", json_object_new_string(s->name ? s->name : ""));
		json_object_object_add(j, "type", json_object_new_int64(s->type));
		json_object_object_add(j, "type_name", tn ? json_object_new_string(tn) : NULL);
		json_object_object_add(j, "usable", json_object_new_boolean(s->usable));
		json_object_object_add(j, "valid_from", json_object_new_int64(s->valid_from));
		json_object_object_add(j, "valid_to", json_object_new_int64(s->valid_to));
		json_object_object_add(j, "on_token", json_object_new_boolean(on_token(ts, nt, s->sha256)));
		json_object_array_add(seals, j);
	}
	ukey_token_seals_free(ts, nt);
	for (size_t i = 0; i < l->n_types; i++) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "type", json_object_new_int64(l->types[i].type));
		json_object_object_add(t, "name", json_object_new_string(l->types[i].name ? l->types[i].name : ""));
		json_object_array_add(types, t);
	}
	json_object_object_add(o, "seals", seals);
	json_object_object_add(o, "types", types);
	pj = ukey_clean_auto(l, ukey_now(), &plan, &e) == 0 ? ukey_clean_plan_json(&plan) : NULL;
	json_object_object_add(o, "auto_plan", pj ? json_tokener_parse(pj) : NULL);
	free(pj);
	ukey_clean_plan_free(&plan);
	return o;
}

void asst_api_seals(struct asst_req *q, struct asst_resp *r)
{
	struct asst *a = q->a;
	struct ukey_err e;

	if (asst_work_begin(q, r, 1) != 0)
		return;
	ukey_err_clear(&e);
	/* The page's list is always the service's list of now. */
	if (a->have_seals)
		ukey_clean_list_free(&a->seals);
	a->have_seals = 0;
	if (seals_list(a, &e) == UKEY_E_OK)
		asst_json(r, 200, list_json(a));
	else
		asst_error_from(r, &e);
	asst_work_end(a);
}

/* The seals of the list at these indexes, as sha256 and as ids. */
static void add_seals(json_object *o, const struct ukey_clean_list *l, const size_t *idx, size_t n)
{
	json_object *sha = json_object_new_array(), *ids = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= l->n_seals)
			continue;
		json_object_array_add(sha, json_object_new_string(l->seals[idx[i]].sha256 ? l->seals[idx[i]].sha256 : ""));
		json_object_array_add(ids, json_object_new_string(l->seals[idx[i]].id ? l->seals[idx[i]].id : ""));
	}
	json_object_object_add(o, "seals", sha);
	json_object_object_add(o, "ids", ids);
}

/* The body's plan checked against the list: the number of rules broken
 * (their report in *broken, an array), or -1 with r set. */
static int check(struct asst_req *q, struct asst_resp *r, struct ukey_clean_plan *plan, json_object **broken)
{
	struct asst *a = q->a;
	struct ukey_clean_report rep = { NULL, 0 };
	json_object *pj;
	struct ukey_err e;
	const char *text;
	int n;

	*broken = NULL;
	if (!json_object_object_get_ex(q->json, "plan", &pj) || !json_object_is_type(pj, json_type_object)) {
		json_object_object_add(asst_error(r, 400, "invalid", "%s", _("the request has no plan of the seals")),
				       "field", json_object_new_string("plan"));
		return -1;
	}
	ukey_err_clear(&e);
	if (seals_list(a, &e) != UKEY_E_OK) {
		asst_error_from(r, &e);
		return -1;
	}
	text = json_object_to_json_string_ext(pj, JSON_C_TO_STRING_PLAIN);
	if (ukey_clean_plan_parse(text, strlen(text), plan, &e) != 0) {
		json_object_object_add(asst_error(r, 400, "invalid", "%s", e.msg), "field", json_object_new_string("plan"));
		return -1;
	}
	n = ukey_clean_check(&a->seals, plan, &rep);
	if (n < 0) {
		asst_error(r, 500, "error", "%s", _("out of memory"));
		return -1;
	}
	*broken = json_object_new_array();
	for (size_t i = 0; i < rep.n; i++) {
		json_object *b = json_object_new_object();
		json_object_object_add(b, "rule", json_object_new_string(rep.v[i].code));
		json_object_object_add(b, "message", json_object_new_string(rep.v[i].msg));
		add_seals(b, &a->seals, rep.v[i].seals, rep.v[i].n);
		json_object_array_add(*broken, b);
	}
	ukey_clean_report_free(&rep);
	return n;
}

void asst_api_seals_check(struct asst_req *q, struct asst_resp *r)
{
	struct ukey_clean_plan plan = { NULL, 0 };
	json_object *broken, *o;
	int n;

	if (asst_work_begin(q, r, 1) != 0)
		return;
	n = check(q, r, &plan, &broken);
	if (n >= 0) {
		o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(n == 0));
		json_object_object_add(o, "broken", broken);
		asst_json(r, 200, o);
	}
	ukey_clean_plan_free(&plan);
	asst_work_end(q->a);
}

/* The service's refusal of a plan, its seals named by sha256 as well. */
static void refused(struct asst *a, struct asst_resp *r, const struct ukey_http_resp *h)
{
	char code[48], msg[512], ids[32][UKEY_API_SEAL_ID];
	size_t n = ukey_api_parse_error_seals(h->body, h->len, ids, 32), idx[32], k = 0;
	json_object *o;

	ukey_api_parse_error(h->body, h->len, code, sizeof(code), msg, sizeof(msg));
	o = asst_error(r, h->status >= 500 ? 502 : 409, h->status >= 500 ? "service_unreachable" : "service",
		       _("The CA refused the seal plan: %s"), msg[0] ? msg : code);
	json_object_object_add(o, "service_code", json_object_new_string(code));
	for (size_t i = 0; i < n; i++) {
		long at = ukey_clean_find(&a->seals, ids[i]);
		if (at >= 0)
			idx[k++] = (size_t)at;
	}
	add_seals(o, &a->seals, idx, k);
}

void asst_api_seals_clean(struct asst_req *q, struct asst_resp *r)
{
	struct asst *a = q->a;
	struct ukey_clean_plan plan = { NULL, 0 };
	struct ukey_http_resp h = { 0 };
	json_object *broken = NULL, *o;
	struct ukey_err e;
	char *body = NULL;
	int n;

	if (asst_work_begin(q, r, 1) != 0)
		return;
	n = check(q, r, &plan, &broken);
	if (n > 0) {
		/* Never sent: the service would refuse it for the same rule. */
		o = asst_error(r, 409, "service", "%s",
			       json_object_get_string(json_object_object_get(json_object_array_get_idx(broken, 0), "message")));
		json_object_object_add(o, "service_code", json_object_get(json_object_object_get(
								  json_object_array_get_idx(broken, 0), "rule")));
		json_object_object_add(o, "seals", json_object_get(json_object_object_get(json_object_array_get_idx(broken, 0), "seals")));
		json_object_object_add(o, "broken", broken);
		broken = NULL;
	} else if (n == 0) {
		ukey_err_clear(&e);
		body = ukey_clean_plan_json(&plan);
		if (body == NULL) {
			asst_error(r, 500, "error", "%s", _("out of memory"));
		} else if (ukey_api_seals_clean(a->client, body, &h, &e) != UKEY_E_OK) {
			asst_error_from(r, &e);
		} else if (h.status < 200 || h.status > 299) {
			refused(a, r, &h);
		} else {
			o = json_object_new_object();
			json_object_object_add(o, "result", json_tokener_parse(h.body ? h.body : "null"));
			asst_json(r, 200, o);
			ukey_clean_list_free(&a->seals);
			a->have_seals = 0;
		}
	}
	json_object_put(broken);
	free(body);
	ukey_http_resp_free(&h);
	ukey_clean_plan_free(&plan);
	asst_work_end(a);
}
