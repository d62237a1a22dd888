/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clean-json.c: seal-cleaning JSON: the plan file (strict, every mistake is
 * an error naming the decision), the body sent to POST /api/v1/seals/clean
 * and the seal list of GET /api/v1/seals (docs/protocol.md).
 */
#include "config.h"

#include "ukey-seal.h"
#include "seal.h"
#include "ukey-base.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

static json_object *parse(const char *json, size_t len, const char *what, struct ukey_err *err)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *j = NULL;

	if (tok == NULL || len > 0x7fffffff) {
		ukey_seal_err_set(err, UKEY_E_ERROR, "%s: %s", what, _("out of memory"));
		goto out;
	}
	j = json_tokener_parse_ex(tok, json, (int)len);
	if (j == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		/* trailing whitespace is fine, anything else is not */
		size_t i = j ? json_tokener_get_parse_end(tok) : 0;
		while (j && i < len && strchr(" \t\r\n", json[i]) && json[i])
			i++;
		if (j == NULL || i < len) {
			ukey_seal_err_set(err, UKEY_E_ERROR, _("%s: not valid JSON (%s)"), what,
					  j ? _("trailing data") :
					      json_tokener_error_desc(json_tokener_get_error(tok)));
			json_object_put(j);
			j = NULL;
		}
	}
out:
	json_tokener_free(tok);
	return j;
}

static int decision(json_object *e, size_t i, struct ukey_clean_decision *d, struct ukey_err *err)
{
	json_object *v;
	const char *action;

	if (!json_object_is_type(e, json_type_object))
		return ukey_seal_err_set(err, UKEY_E_ERROR, _("plan: decisions[%zu] is not an object"), i);
	json_object_object_foreach(e, key, val) {
		(void)val;
		if (strcmp(key, "id") && strcmp(key, "action") && strcmp(key, "type"))
			return ukey_seal_err_set(err, UKEY_E_ERROR,
						 _("plan: decisions[%zu]: unknown member \"%s\""), i, key);
	}
	if (!json_object_object_get_ex(e, "id", &v) || !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return ukey_seal_err_set(err, UKEY_E_ERROR,
					 _("plan: decisions[%zu]: \"id\" must be a non-empty string"), i);
	d->id = strdup(json_object_get_string(v));
	if (d->id == NULL)
		return ukey_seal_err_set(err, UKEY_E_ERROR, "%s", _("out of memory"));
	if (!json_object_object_get_ex(e, "action", &v) || !json_object_is_type(v, json_type_string))
		return ukey_seal_err_set(err, UKEY_E_ERROR,
					 _("plan: decision for %s: \"action\" must be \"keep\" or \"drop\""),
					 d->id);
	action = json_object_get_string(v);
	if (strcmp(action, "keep") == 0)
		d->action = UKEY_CLEAN_KEEP;
	else if (strcmp(action, "drop") == 0)
		d->action = UKEY_CLEAN_DROP;
	else
		return ukey_seal_err_set(err, UKEY_E_ERROR,
					 _("plan: decision for %s: unknown action \"%s\" (keep or drop)"),
					 d->id, action);
	if (!json_object_object_get_ex(e, "type", &v))
		return 0; /* a kept seal without type is rule_missing_type, reported by the rules */
	if (d->action == UKEY_CLEAN_DROP)
		return ukey_seal_err_set(err, UKEY_E_ERROR,
					 _("plan: decision for %s: a dropped seal takes no \"type\""), d->id);
	if (!json_object_is_type(v, json_type_int))
		return ukey_seal_err_set(err, UKEY_E_ERROR,
					 _("plan: decision for %s: \"type\" must be an integer"), d->id);
	d->has_type = 1;
	d->type = (long)json_object_get_int64(v);
	return 0;
}

int ukey_clean_plan_parse(const char *json, size_t len, struct ukey_clean_plan *out,
			  struct ukey_err *err)
{
	json_object *j = parse(json, len, _("plan"), err), *a = NULL;
	size_t i, k, n;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (j == NULL)
		return -1;
	if (!json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "decisions", &a) || !json_object_is_type(a, json_type_array)) {
		ukey_seal_err_set(err, UKEY_E_ERROR, "%s",
				  _("plan: expected {\"decisions\": [...]}"));
		goto out;
	}
	if (json_object_object_length(j) != 1) {
		ukey_seal_err_set(err, UKEY_E_ERROR, "%s",
				  _("plan: only the member \"decisions\" is allowed"));
		goto out;
	}
	n = json_object_array_length(a);
	out->d = calloc(n + 1, sizeof(*out->d));
	if (out->d == NULL) {
		ukey_seal_err_set(err, UKEY_E_ERROR, "%s", _("out of memory"));
		goto out;
	}
	for (i = 0; i < n; i++) {
		out->n = i + 1;
		if (decision(json_object_array_get_idx(a, i), i, &out->d[i], err))
			goto out;
		for (k = 0; k < i; k++)
			if (strcmp(out->d[k].id, out->d[i].id) == 0) {
				ukey_seal_err_set(err, UKEY_E_ERROR,
						  _("plan: two decisions for seal %s (decisions[%zu]"
						    " and [%zu])"), out->d[i].id, k, i);
				goto out;
			}
	}
	ret = 0;
out:
	if (ret != 0)
		ukey_clean_plan_free(out);
	json_object_put(j);
	return ret;
}

char *ukey_clean_plan_json(const struct ukey_clean_plan *p)
{
	json_object *j = json_object_new_object(), *a = json_object_new_array(), *e;
	char *out = NULL;
	size_t i;

	if (j == NULL || a == NULL)
		goto out;
	for (i = 0; i < p->n; i++) {
		e = json_object_new_object();
		if (e == NULL || json_object_array_add(a, e))
			goto out;
		json_object_object_add(e, "id", json_object_new_string(p->d[i].id));
		json_object_object_add(e, "action", json_object_new_string(
					       p->d[i].action == UKEY_CLEAN_KEEP ? "keep" : "drop"));
		if (p->d[i].action == UKEY_CLEAN_KEEP && p->d[i].has_type)
			json_object_object_add(e, "type", json_object_new_int64(p->d[i].type));
	}
	json_object_object_add(j, "decisions", a);
	a = NULL;
	out = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(a);
	json_object_put(j);
	return out;
}

/* Members of the service's seal list: a missing or mistyped one is named in
 * the error ("seals[2].status is not a string"), so a service change is
 * diagnosed from the message alone. */
static int str(json_object *o, const char *where, size_t i, const char *key, char **out, struct ukey_err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return ukey_seal_err_set(err, UKEY_E_SERVICE,
					 _("the service's seal list: \"%s\" of %s[%zu] is missing or not a string"), key,
					 where, i);
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : ukey_seal_err_set(err, UKEY_E_ERROR, "%s", _("out of memory"));
}

static int num(json_object *o, const char *where, size_t i, const char *key, long long *out, struct ukey_err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return ukey_seal_err_set(err, UKEY_E_SERVICE,
					 _("the service's seal list: \"%s\" of %s[%zu] is missing or not an integer"),
					 key, where, i);
	*out = json_object_get_int64(v);
	return 0;
}

static int seal_entry(json_object *e, size_t i, struct ukey_clean_seal *s, struct ukey_err *err)
{
	char *status = NULL;
	long long v1, v2, ty;
	int ret;

	if (!json_object_is_type(e, json_type_object))
		return ukey_seal_err_set(err, UKEY_E_SERVICE, _("the service's seal list: seals[%zu] is not an object"),
					 i);
	ret = str(e, "seals", i, "id", &s->id, err);
	if (ret == 0)
		ret = str(e, "seals", i, "es_id", &s->es_id, err);
	if (ret == 0)
		ret = str(e, "seals", i, "sha256", &s->sha256, err);
	if (ret == 0)
		ret = str(e, "seals", i, "name", &s->name, err);
	if (ret == 0)
		ret = str(e, "seals", i, "status", &status, err);
	if (ret == 0)
		ret = num(e, "seals", i, "type", &ty, err);
	if (ret == 0)
		ret = num(e, "seals", i, "valid_from", &v1, err);
	if (ret == 0)
		ret = num(e, "seals", i, "valid_to", &v2, err);
	/* An enum: a status this client does not know is not "unusable" (nor
	 * "usable"), and guessing would let the rules be checked wrongly. */
	if (ret == 0 && strcmp(status, "usable") != 0 && strcmp(status, "unusable") != 0)
		ret = ukey_seal_err_set(err, UKEY_E_SERVICE,
					_("the service's seal list: \"status\" of seals[%zu] is not \"usable\" or "
					  "\"unusable\""), i);
	if (ret == 0) {
		s->type = (long)ty;
		s->usable = strcmp(status, "usable") == 0;
		s->valid_from = (time_t)v1;
		s->valid_to = (time_t)v2;
	}
	free(status);
	return ret;
}

int ukey_clean_list_parse(const char *json, size_t len, struct ukey_clean_list *l,
			  struct ukey_err *err)
{
	json_object *j = parse(json, len, _("seal list"), err), *a, *t, *e, *v;
	long long ty;
	size_t i, n;
	int ret = -1;

	memset(l, 0, sizeof(*l));
	if (j == NULL)
		return -1;
	if (!json_object_is_type(j, json_type_object) || !json_object_object_get_ex(j, "seals", &a) ||
	    !json_object_is_type(a, json_type_array) || !json_object_object_get_ex(j, "types", &t) ||
	    !json_object_is_type(t, json_type_array)) {
		ukey_seal_err_set(err, UKEY_E_SERVICE, "%s",
				  _("the service's seal list is not an object with the arrays \"seals\" and \"types\""));
		goto out;
	}
	/* An enum too: a missing or unknown state is an error, never "clean". */
	if (!json_object_object_get_ex(j, "state", &v) || !json_object_is_type(v, json_type_string) ||
	    (strcmp(json_object_get_string(v), "clean") != 0 && strcmp(json_object_get_string(v), "abnormal") != 0)) {
		ukey_seal_err_set(err, UKEY_E_SERVICE, "%s",
				  _("the service's seal list: \"state\" is not \"clean\" or \"abnormal\""));
		goto out;
	}
	l->abnormal = strcmp(json_object_get_string(v), "abnormal") == 0;
	n = json_object_array_length(a);
	l->seals = calloc(n + 1, sizeof(*l->seals));
	if (l->seals == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		l->n_seals++;
		if (seal_entry(json_object_array_get_idx(a, i), i, &l->seals[i], err))
			goto out;
	}
	n = json_object_array_length(t);
	l->types = calloc(n + 1, sizeof(*l->types));
	if (l->types == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(t, i);
		l->n_types++;
		if (!json_object_is_type(e, json_type_object)) {
			ukey_seal_err_set(err, UKEY_E_SERVICE,
					  _("the service's seal list: types[%zu] is not an object"), i);
			goto out;
		}
		if (str(e, "types", i, "name", &l->types[i].name, err) || num(e, "types", i, "type", &ty, err))
			goto out;
		l->types[i].type = (long)ty;
	}
	ret = 0;
	goto out;
oom:
	ukey_seal_err_set(err, UKEY_E_ERROR, "%s", _("out of memory"));
out:
	if (ret != 0)
		ukey_clean_list_free(l);
	json_object_put(j);
	return ret;
}

void ukey_clean_plan_free(struct ukey_clean_plan *p)
{
	size_t i;

	for (i = 0; p->d && i < p->n; i++)
		free(p->d[i].id);
	free(p->d);
	p->d = NULL;
	p->n = 0;
}

void ukey_clean_list_free(struct ukey_clean_list *l)
{
	size_t i;

	for (i = 0; l->seals && i < l->n_seals; i++) {
		free(l->seals[i].id);
		free(l->seals[i].es_id);
		free(l->seals[i].sha256);
		free(l->seals[i].name);
	}
	for (i = 0; l->types && i < l->n_types; i++)
		free(l->types[i].name);
	free(l->seals);
	free(l->types);
	memset(l, 0, sizeof(*l));
}
