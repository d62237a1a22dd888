/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey seals clean: the guide's "印章数据存在异常" page. A plan (per usable
 * seal: keep with a seal type, or drop) comes from the terminal, a --plan
 * file or --auto; the four rules are checked locally and every violation
 * shown before anything is sent; then POST /api/v1/seals/clean, whose 409
 * refusals are shown the same way. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seals.h"
#include "ukey.h"

/* The service's refusal codes, worded as the local rules word them. */
static const struct {
	const char *code, *text;
} refusals[] = {
	{ "not_found", N_("No such seal on this medium") },
	{ "rule_unusable_chosen", N_("A seal marked unusable (a duplicate awaiting cleaning) cannot be chosen") },
	{ "rule_missing_decision", N_("Every usable seal needs a decision (keep or drop)") },
	{ "rule_missing_type", N_("A kept seal needs a seal type from the list") },
	{ "rule_identical_kept_twice", N_("Of identical seals only one may be kept") },
	{ "rule_identical_none_kept", N_("Of identical seals one must be kept (choose one, drop the others)") },
	{ "rule_type_taken", N_("Kept seals cannot share a type") },
};

static const struct ukey_clean_decision *decision_for(const struct ukey_clean_plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->d[i].id, id) == 0)
			return &p->d[i];
	return NULL;
}

static void seal_line(const struct ukey_clean_list *l, size_t i)
{
	const struct ukey_clean_seal *s = &l->seals[i];
	const char *tn = ukey_clean_type_name(l, s->type);
	char d1[16], d2[16];

	printf(_("%s  %s  type %ld %s  valid %s to %s  %s\n"), ukey_tx(s->id), ukey_tx(s->name), s->type,
	       tn ? ukey_tx(tn) : "",
	       ukey_cli_date(s->valid_from, d1, sizeof(d1)), ukey_cli_date(s->valid_to, d2, sizeof(d2)),
	       s->usable ? _("usable") : _("unusable (印章不可用)"));
}

static void plan_print(const struct ukey_clean_list *l, const struct ukey_clean_plan *p)
{
	const struct ukey_clean_decision *d;
	const char *tn;
	size_t i;

	for (i = 0; i < l->n_seals; i++) {
		seal_line(l, i);
		d = decision_for(p, l->seals[i].id);
		tn = d && d->has_type ? ukey_clean_type_name(l, d->type) : NULL;
		if (!l->seals[i].usable)
			printf("    -> %s\n", _("no decision: an unusable seal cannot be chosen"));
		else if (d == NULL)
			printf("    -> %s\n", _("no decision"));
		else if (d->action == UKEY_CLEAN_DROP)
			printf("    -> %s\n", _("drop (不保留印章)"));
		else if (d->has_type)
			printf(_("    -> keep (保留印章) as type %ld %s\n"), d->type, tn ? ukey_tx(tn) : "?");
		else
			printf("    -> %s\n", _("keep (保留印章), no seal type chosen"));
	}
}

/* One line from the terminal, or NULL at end of input. */
static char *ask(const char *prompt, char *buf, size_t len)
{
	printf("%s", prompt);
	fflush(stdout);
	if (fgets(buf, (int)len, stdin) == NULL)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

static int ask_type(const struct ukey_clean_list *l, long own, long *type)
{
	char buf[64], *end;
	size_t i;
	long v;

	printf("    %s", _("Seal types (印章类型):"));
	for (i = 0; i < l->n_types; i++)
		printf("  %ld %s", l->types[i].type, ukey_tx(l->types[i].name));
	printf("\n");
	for (;;) {
		if (ask(ukey_clean_type_name(l, own) ? _("    Seal type [its own]: ") : _("    Seal type: "), buf,
			sizeof(buf)) == NULL)
			return -1;
		if (buf[0] == '\0' && ukey_clean_type_name(l, own)) {
			*type = own;
			return 0;
		}
		v = strtol(buf, &end, 10);
		if (buf[0] != '\0' && *end == '\0' && ukey_clean_type_name(l, v)) {
			*type = v;
			return 0;
		}
		printf("    %s\n", _("Please enter one of the type numbers above."));
	}
}

/* The guide's page on the terminal: each usable seal kept (with a type) or
 * dropped; unusable ones shown but not selectable. */
static int interactive(struct ukey_cli *c, const struct ukey_clean_list *l, struct ukey_clean_plan *p)
{
	char buf[64];
	size_t i;

	printf("%s\n", _("For each seal choose keep (保留印章) or drop (不保留印章), and a seal type for the kept ones.\n"
			 "Of identical seals (相同的印章) keep only one; kept seals cannot share a seal type;\n"
			 "an unusable seal (印章不可用) is a duplicate awaiting cleaning and cannot be chosen."));
	p->d = calloc(l->n_seals + 1, sizeof(*p->d));
	if (p->d == NULL)
		return ukey_err_set(&c->err, UKEY_E_ERROR, "%s", _("out of memory"));
	for (i = 0; i < l->n_seals; i++) {
		struct ukey_clean_decision *d = &p->d[p->n];
		printf("\n");
		seal_line(l, i);
		if (!l->seals[i].usable) {
			printf("    %s\n", _("(not selectable)"));
			continue;
		}
		for (;;) {
			if (ask(_("    [k]eep or [d]rop? "), buf, sizeof(buf)) == NULL)
				return ukey_err_set(&c->err, UKEY_E_ERROR, "%s", _("cancelled: nothing was sent"));
			if (strcmp(buf, "k") == 0 || strcmp(buf, "d") == 0 || strcmp(buf, "keep") == 0 ||
			    strcmp(buf, "drop") == 0)
				break;
		}
		d->id = strdup(l->seals[i].id);
		if (d->id == NULL)
			return ukey_err_set(&c->err, UKEY_E_ERROR, "%s", _("out of memory"));
		p->n++;
		d->action = buf[0] == 'd' ? UKEY_CLEAN_DROP : UKEY_CLEAN_KEEP;
		if (d->action == UKEY_CLEAN_KEEP) {
			if (ask_type(l, l->seals[i].type, &d->type) != 0)
				return ukey_err_set(&c->err, UKEY_E_ERROR, "%s", _("cancelled: nothing was sent"));
			d->has_type = 1;
		}
	}
	printf("\n");
	return UKEY_E_OK;
}

static int read_plan(struct ukey_cli *c, struct ukey_clean_plan *p)
{
	FILE *f = fopen(c->plan, "rb");
	char *buf = malloc(1u << 20);
	size_t n = 0;
	int ret = UKEY_E_OK;

	if (f == NULL || buf == NULL)
		ret = ukey_err_set(&c->err, UKEY_E_ERROR, _("cannot read %s"), ukey_tx(c->plan));
	else if ((n = fread(buf, 1, (1u << 20) - 1, f)) == 0 || ferror(f) || !feof(f))
		ret = ukey_err_set(&c->err, UKEY_E_ERROR, _("cannot read %s (empty, unreadable or over 1 MiB)"),
				   ukey_tx(c->plan));
	else if (ukey_clean_plan_parse(buf, n, p, &c->err) != 0)
		ret = UKEY_E_ERROR;
	if (f != NULL)
		fclose(f);
	free(buf);
	return ret;
}

static json_object *violation_json(const char *code, const char *msg, const char *const *ids, size_t n)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	json_object_object_add(o, "rule", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(msg));
	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(ids[i]));
	json_object_object_add(o, "seals", a);
	return o;
}

/* Prints every local violation (text: stderr; JSON: into out). */
static void report_print(struct ukey_cli *c, const struct ukey_clean_list *l, const struct ukey_clean_report *r,
			 json_object *out)
{
	json_object *a = json_object_new_array();
	const char *ids[64];
	size_t i, k;

	if (!c->json)
		fprintf(stderr, _("ukey seals clean: the decisions break the seal rules; nothing was sent:\n"));
	for (i = 0; i < r->n; i++) {
		for (k = 0; k < r->v[i].n && k < 64; k++)
			ids[k] = l->seals[r->v[i].seals[k]].id;
		if (c->json)
			json_object_array_add(a, violation_json(r->v[i].code, r->v[i].msg, ids, k));
		else
			fprintf(stderr, "  [%s] %s\n", ukey_tx(r->v[i].code), ukey_tx(r->v[i].msg));
	}
	json_object_object_add(out, "violations", a);
}

/* A refusal from the service: 409 rule_* (or 404 not_found) naming seals. */
static int refused(struct ukey_cli *c, const struct ukey_clean_list *l, const struct ukey_http_resp *r,
		   json_object *out)
{
	char code[48], text[256], idbuf[64][UKEY_API_SEAL_ID], names[768], line[1040];
	const char *msg = text, *ids[64];
	/* Parsed like every error body: types checked, control characters out. */
	size_t n = ukey_api_parse_error_seals(r->body, r->len, idbuf, 64), i;

	ukey_api_parse_error(r->body, r->len, code, sizeof(code), text, sizeof(text));
	for (i = 0; i < n; i++)
		ids[i] = idbuf[i];
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strcmp(refusals[i].code, code) == 0)
			msg = _(refusals[i].text);
	ukey_seals_names(l, ids, n, names, sizeof(names));
	snprintf(line, sizeof(line), "%s%s%s", msg, n ? ": " : "", names);
	if (c->json) {
		json_object *arr = json_object_new_array();
		json_object_array_add(arr, violation_json(code, line, ids, n));
		json_object_object_add(out, "violations", arr);
	} else {
		fprintf(stderr, _("ukey seals clean: the CA refused the decisions (HTTP %ld):\n"), r->status);
		fprintf(stderr, "  [%s] %s\n", ukey_tx(code), ukey_tx(line));
	}
	c->reported = 1;
	snprintf(c->err.service_code, sizeof(c->err.service_code), "%s", code);
	return r->status >= 500 ? UKEY_E_SERVICE : UKEY_E_ERROR;
}

/* POST /api/v1/seals/clean, signed by the token like every request. */
static int send_plan(struct ukey_cli *c, const struct ukey_clean_list *l, const char *body, json_object *out)
{
	struct ukey_http_resp r;
	int ret;

	memset(&r, 0, sizeof(r));
	ret = ukey_api_seals_clean(c->client, body, &r, &c->err);
	if (ret != UKEY_E_OK) {
		ukey_http_resp_free(&r);
		return ret;
	}
	if (r.status >= 500)
		ret = ukey_err_set(&c->err, UKEY_E_SERVICE, _("the service has a problem (HTTP %ld)"), r.status);
	else if (r.status < 200 || r.status > 299)
		ret = refused(c, l, &r, out);
	ukey_http_resp_free(&r);
	return ret;
}

static int confirm(const char *question)
{
	char buf[16];

	if (!isatty(STDIN_FILENO) || ask(question, buf, sizeof(buf)) == NULL)
		return 0;
	return buf[0] == 'y' || buf[0] == 'Y';
}

/* The plan from --plan, --auto or the terminal. */
static int make_plan(struct ukey_cli *c, const struct ukey_clean_list *l, struct ukey_clean_plan *p)
{
	if (c->plan)
		return read_plan(c, p);
	if (c->auto_plan)
		return ukey_clean_auto(l, time(NULL), p, &c->err) == 0 ? UKEY_E_OK : UKEY_E_ERROR;
	return interactive(c, l, p);
}

int ukey_seals_clean(struct ukey_cli *c)
{
	struct ukey_clean_list l;
	struct ukey_clean_plan p = { NULL, 0 };
	struct ukey_clean_report rep = { NULL, 0 };
	json_object *out = json_object_new_object();
	char *body = NULL;
	int ret, nv;

	memset(&l, 0, sizeof(l));
	if (!c->plan && !c->auto_plan && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "%s\n", _("ukey seals clean: not a terminal: use --plan FILE or --auto"));
		ret = UKEY_E_USAGE;
		goto out;
	}
	ret = ukey_cli_connect(c);
	if (ret == UKEY_E_OK)
		ret = ukey_api_seals(c->client, &l, &c->err);
	if (ret != UKEY_E_OK)
		goto out;
	json_object_object_add(out, "medium", json_object_new_string(c->tok.serial));
	if (!l.abnormal) {
		ret = ukey_err_set(&c->err, UKEY_E_WAIT, "%s", _("the seals are clean: nothing to do"));
		goto out;
	}
	ret = make_plan(c, &l, &p);
	if (ret != UKEY_E_OK)
		goto out;
	body = ukey_clean_plan_json(&p);
	nv = ukey_clean_check(&l, &p, &rep);
	if (body == NULL || nv < 0) {
		ret = ukey_err_set(&c->err, UKEY_E_ERROR, "%s", _("out of memory"));
		goto out;
	}
	json_object_object_add(out, "plan", json_tokener_parse(body));
	if (nv > 0) {
		report_print(c, &l, &rep, out);
		c->reported = 1;
		ret = UKEY_E_ERROR;
		goto out;
	}
	if (!c->json && !c->dry_run) {
		printf("%s\n", c->auto_plan ? _("Proposed decisions:") : _("Decisions:"));
		plan_print(&l, &p);
	}
	if (c->dry_run) {
		char *safe = c->json ? NULL : ukey_text_json_safe(body); /* the service's ids are in it */
		if (safe != NULL)
			printf("%s\n", safe);
		free(safe);
		json_object_object_add(out, "sent", json_object_new_boolean(0));
		goto out;
	}
	if (!c->plan && !c->yes && !confirm(_("Send these decisions to the CA? [y/N] "))) {
		if (!c->json)
			printf("%s\n", _("Nothing was sent: add --yes to apply this plan."));
		json_object_object_add(out, "sent", json_object_new_boolean(0));
		ret = UKEY_E_WAIT;
		c->reported = !c->json;
		goto out;
	}
	ret = send_plan(c, &l, body, out);
	json_object_object_add(out, "sent", json_object_new_boolean(ret == UKEY_E_OK || c->reported));
	if (ret == UKEY_E_OK) {
		json_object_object_add(out, "state", json_object_new_string("clean"));
		if (!c->json)
			printf("%s\n", _("The CA accepted the decisions: the seal data is clean."));
	}
out:
	/* JSON mode: one object, also when rules were broken or the user declined. */
	if (c->json && (ret == UKEY_E_OK || c->reported || ret == UKEY_E_WAIT) && json_object_object_length(out) > 1) {
		if (ret != UKEY_E_OK)
			json_object_object_add(out, "exit", json_object_new_int(ret));
		ukey_cli_print_json(out);
		c->reported = 1;
	} else {
		json_object_put(out);
	}
	free(body);
	ukey_clean_report_free(&rep);
	ukey_clean_plan_free(&p);
	ukey_clean_list_free(&l);
	return ret;
}
