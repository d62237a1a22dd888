/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * routes-seals.c: GET /api/v1/seals and POST /api/v1/seals/clean with the
 * four cleaning rules of the guide (印章数据存在异常) checked server-side;
 * a violation answers 409 with its rule code and the seals concerned.
 */
#include "config.h"

#include "svc.h"

#include <string.h>

#define MAX_SEALS 64

static const struct {
	int type;
	const char *name;
} types[] = { { 1, "单位公章" }, { 2, "财务专用章" }, { 3, "合同专用章" } };

struct seal {
	char id[24], es_id[64], sha[65];
	int usable;
	int decided, keep, dup; /* dup: number of decisions */
	int64_t type;
	int group;
};

static int load(struct svc *s, const char *medium, struct seal *v, int max)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT n, es_id, sha256, status FROM seals WHERE medium = ?"
					  " AND status IN ('usable', 'unusable') ORDER BY n", "s",
				       medium);
	int n = 0;

	while (st != NULL && n < max && sqlite3_step(st) == SQLITE_ROW) {
		memset(&v[n], 0, sizeof(v[n]));
		snprintf(v[n].id, sizeof(v[n].id), "S%lld", (long long)sqlite3_column_int64(st, 0));
		snprintf(v[n].es_id, sizeof(v[n].es_id), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		snprintf(v[n].sha, sizeof(v[n].sha), "%s", (const char *)sqlite3_column_text(st, 2));
		v[n].usable = strcmp((const char *)sqlite3_column_text(st, 3), "usable") == 0;
		v[n].group = n;
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

static void list(struct svc *s, struct caller *c, struct resp *o)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT n, es_id, name, type, status, sha256, valid_from,"
					  " valid_to FROM seals WHERE medium = ? AND status IN"
					  " ('usable', 'unusable') ORDER BY n", "s", c->medium);
	json_object *j = json_object_new_object(), *a = json_object_new_array(), *t;
	char *state = svc_db_text(s, "SELECT seals_state FROM media WHERE medium = ?", "s", c->medium);
	char id[24];
	size_t i;

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		json_object *e = json_object_new_object();
		snprintf(id, sizeof(id), "S%lld", (long long)sqlite3_column_int64(st, 0));
		json_object_object_add(e, "id", json_object_new_string(id));
		json_object_object_add(e, "es_id", json_object_new_string((const char *)sqlite3_column_text(st, 1)));
		json_object_object_add(e, "name", json_object_new_string((const char *)sqlite3_column_text(st, 2)));
		json_object_object_add(e, "type", json_object_new_int64(sqlite3_column_int64(st, 3)));
		json_object_object_add(e, "status", json_object_new_string((const char *)sqlite3_column_text(st, 4)));
		json_object_object_add(e, "sha256", json_object_new_string((const char *)sqlite3_column_text(st, 5)));
		json_object_object_add(e, "valid_from", json_object_new_int64(sqlite3_column_int64(st, 6)));
		json_object_object_add(e, "valid_to", json_object_new_int64(sqlite3_column_int64(st, 7)));
		json_object_array_add(a, e);
	}
	sqlite3_finalize(st);
	json_object_object_add(j, "state", json_object_new_string(state ? state : "clean"));
	json_object_object_add(j, "seals", a);
	a = json_object_new_array();
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		t = json_object_new_object();
		json_object_object_add(t, "type", json_object_new_int(types[i].type));
		json_object_object_add(t, "name", json_object_new_string(types[i].name));
		json_object_array_add(a, t);
	}
	json_object_object_add(j, "types", a);
	free(state);
	svc_resp_json(o, 200, j);
}

static int known_type(int64_t t)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == t)
			return 1;
	return 0;
}

/* Answers 409 code naming the seals for which pick(v, i, arg) holds. */
static int refuse(struct resp *o, const char *code, const char *msg, struct seal *v, int n,
		  int (*pick)(struct seal *, int, int), int arg)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < n; i++)
		if (pick(v, i, arg))
			json_object_array_add(a, json_object_new_string(v[i].id));
	if (json_object_array_length(a) == 0) {
		json_object_put(a);
		return 0;
	}
	svc_resp_error_list(o, 409, code, msg, a);
	return 1;
}

static int p_unusable(struct seal *v, int i, int a) { (void)a; return !v[i].usable && v[i].decided; }
static int p_missing(struct seal *v, int i, int a) { (void)a; return v[i].usable && !v[i].decided; }
static int p_notype(struct seal *v, int i, int a) { (void)a; return v[i].keep && !known_type(v[i].type); }
static int p_group_kept(struct seal *v, int i, int g) { return v[i].usable && v[i].group == g && v[i].keep; }
static int p_group(struct seal *v, int i, int g) { return v[i].usable && v[i].group == g; }
static int p_type(struct seal *v, int i, int t) { return v[i].keep && v[i].type == t; }

/* Groups usable seals that are identical (same sha256 or same esID). */
static void group(struct seal *v, int n)
{
	int i, j, k, changed = 1;

	while (changed) {
		changed = 0;
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++) {
				if (!v[i].usable || !v[j].usable || v[i].group == v[j].group)
					continue;
				if (strcmp(v[i].sha, v[j].sha) == 0 || strcmp(v[i].es_id, v[j].es_id) == 0) {
					int from = v[j].group, to = v[i].group < from ? v[i].group : from;
					from = v[i].group + v[j].group - to;
					for (k = 0; k < n; k++)
						if (v[k].group == from)
							v[k].group = to;
					changed = 1;
				}
			}
	}
}

static int check_rules(struct seal *v, int n, struct resp *o)
{
	int i, j, kept, size;

	if (refuse(o, "rule_unusable_chosen", "an unusable seal cannot be chosen", v, n, p_unusable, 0) ||
	    refuse(o, "rule_missing_decision", "every usable seal needs a decision", v, n, p_missing, 0) ||
	    refuse(o, "rule_missing_type", "a kept seal needs a type from the list", v, n, p_notype, 0))
		return -1;
	group(v, n);
	for (i = 0; i < n; i++) {
		if (!v[i].usable || v[i].group != i)
			continue;
		for (j = 0, kept = 0, size = 0; j < n; j++) {
			size += p_group(v, j, i);
			kept += p_group_kept(v, j, i);
		}
		if (size < 2)
			continue;
		if (kept > 1 && refuse(o, "rule_identical_kept_twice",
				       "of identical seals only one may be kept", v, n, p_group_kept, i))
			return -1;
		if (kept == 0 && refuse(o, "rule_identical_none_kept",
					"of identical seals one must be kept", v, n, p_group, i))
			return -1;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (v[i].keep && v[j].keep && v[i].type == v[j].type &&
			    refuse(o, "rule_type_taken", "two kept seals cannot share a type", v, n,
				   p_type, (int)v[i].type))
				return -1;
	return 0;
}

static void clean(struct svc *s, struct req *r, struct caller *c, struct resp *o)
{
	static struct seal v[MAX_SEALS]; /* handlers run one at a time */
	json_object *b = svc_req_json(r, o), *d, *e;
	const char *id, *action;
	int n, i, k;
	size_t di;

	if (b == NULL)
		return;
	if (!json_object_object_get_ex(b, "decisions", &d) || !json_object_is_type(d, json_type_array)) {
		svc_resp_error(o, 400, "bad_request", "member 'decisions' must be an array");
		goto out;
	}
	n = load(s, c->medium, v, MAX_SEALS);
	for (di = 0; di < json_object_array_length(d); di++) {
		int64_t type = 0;
		e = json_object_array_get_idx(d, di);
		if (!json_object_is_type(e, json_type_object)) {
			svc_resp_error(o, 400, "bad_request", "decisions[%zu] must be an object", di);
			goto out;
		}
		if (svc_get_string(e, "id", 1, &id, o) || svc_get_string(e, "action", 1, &action, o) ||
		    svc_get_int(e, "type", 0, &type, o) < 0)
			goto out;
		if (strcmp(action, "keep") != 0 && strcmp(action, "drop") != 0) {
			svc_resp_error(o, 400, "bad_request", "action must be keep or drop");
			goto out;
		}
		for (k = 0; k < n && strcmp(v[k].id, id) != 0; k++)
			;
		if (k == n) {
			json_object *a = json_object_new_array();
			json_object_array_add(a, json_object_new_string(id));
			svc_resp_error_list(o, 404, "not_found", "no such seal", a);
			goto out;
		}
		if (v[k].decided) {
			svc_resp_error(o, 400, "bad_request", "two decisions for seal %s", id);
			goto out;
		}
		v[k].decided = 1;
		v[k].keep = action[0] == 'k';
		v[k].type = type;
	}
	if (check_rules(v, n, o) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		int64_t num = strtoll(v[i].id + 1, NULL, 10);
		int rc = v[i].keep
			? svc_db_run(s, "UPDATE seals SET type = ? WHERE n = ?", "ii", v[i].type, num)
			: svc_db_run(s, "UPDATE seals SET status = 'dropped' WHERE n = ?", "i", num);
		if (rc != 0) {
			svc_resp_error(o, 500, "internal", "cannot store the decisions");
			goto out;
		}
	}
	if (svc_db_run(s, "UPDATE media SET seals_state = 'clean' WHERE medium = ?", "s", c->medium)) {
		svc_resp_error(o, 500, "internal", "cannot store the state");
		goto out;
	}
	e = json_object_new_object();
	json_object_object_add(e, "state", json_object_new_string("clean"));
	svc_resp_json(o, 200, e);
out:
	json_object_put(b);
}

void svc_route_seals(struct svc *s, struct req *r, struct caller *c, struct resp *o,
		     const char *rest)
{
	if (*rest == '\0' && strcmp(r->method, "GET") == 0)
		list(s, c, o);
	else if (strcmp(rest, "/clean") == 0 && strcmp(r->method, "POST") == 0)
		clean(s, r, c, o);
}
