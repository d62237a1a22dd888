/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clean.c: the seal-cleaning rules of the guide, checked the way the
 * service checks them (docs/protocol.md, "Seals"), but reporting every
 * violation at once so the user can fix the whole plan in one go.
 */
#include "config.h"

#include "ukey-seal.h"
#include "ukey-base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long ukey_clean_find(const struct ukey_clean_list *l, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < l->n_seals; i++)
		if (strcmp(l->seals[i].id, id) == 0)
			return (long)i;
	return -1;
}

const char *ukey_clean_type_name(const struct ukey_clean_list *l, long type)
{
	size_t i;

	for (i = 0; i < l->n_types; i++)
		if (l->types[i].type == type)
			return l->types[i].name;
	return NULL;
}

/* Seals are identical when they share sha256 or esID, transitively; only
 * usable seals take part (as on the service). group[i] = smallest member. */
static void group(const struct ukey_clean_list *l, size_t *g)
{
	size_t i, j, k, from, to;
	int changed = 1;

	for (i = 0; i < l->n_seals; i++)
		g[i] = i;
	while (changed) {
		changed = 0;
		for (i = 0; i < l->n_seals; i++)
			for (j = i + 1; j < l->n_seals; j++) {
				const struct ukey_clean_seal *a = &l->seals[i], *b = &l->seals[j];
				if (!a->usable || !b->usable || g[i] == g[j])
					continue;
				if (strcmp(a->sha256, b->sha256) != 0 && strcmp(a->es_id, b->es_id) != 0)
					continue;
				to = g[i] < g[j] ? g[i] : g[j];
				from = g[i] + g[j] - to;
				for (k = 0; k < l->n_seals; k++)
					if (g[k] == from)
						g[k] = to;
				changed = 1;
			}
	}
}

static const char *codes[] = {
	[UKEY_RULE_DUPLICATE_DECISION] = "bad_request",
	[UKEY_RULE_NOT_FOUND] = "not_found",
	[UKEY_RULE_UNUSABLE_CHOSEN] = "rule_unusable_chosen",
	[UKEY_RULE_MISSING_DECISION] = "rule_missing_decision",
	[UKEY_RULE_MISSING_TYPE] = "rule_missing_type",
	[UKEY_RULE_IDENTICAL_KEPT_TWICE] = "rule_identical_kept_twice",
	[UKEY_RULE_IDENTICAL_NONE_KEPT] = "rule_identical_none_kept",
	[UKEY_RULE_TYPE_TAKEN] = "rule_type_taken",
};

struct ctx {
	const struct ukey_clean_list *l;
	struct ukey_clean_report *r;
	int oom;
};

/* Adds a violation naming the seals idx[0..n) as "S1 (业务章), S2 (...)". */
static void add(struct ctx *c, enum ukey_clean_rule rule, const size_t *idx, size_t n,
		const char *extra, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add(struct ctx *c, enum ukey_clean_rule rule, const size_t *idx, size_t n,
		const char *extra, const char *fmt, ...)
{
	struct ukey_clean_violation *v, *nv;
	char names[768] = "";
	size_t i, used = 0;
	va_list ap;
	int w;

	nv = realloc(c->r->v, (c->r->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		c->oom = 1;
		return;
	}
	c->r->v = nv;
	v = &nv[c->r->n];
	memset(v, 0, sizeof(*v));
	v->rule = rule;
	v->code = codes[rule];
	v->seals = malloc((n ? n : 1) * sizeof(size_t));
	if (v->seals == NULL) {
		c->oom = 1;
		return;
	}
	c->r->n++;
	for (i = 0; i < n; i++) {
		const struct ukey_clean_seal *s = &c->l->seals[idx[i]];
		v->seals[v->n++] = idx[i];
		w = snprintf(names + used, sizeof(names) - used, "%s%s (%s)", i ? ", " : "", s->id,
			     s->name);
		used = w < 0 || (size_t)w >= sizeof(names) - used ? sizeof(names) - 1 : used + (size_t)w;
	}
	if (extra != NULL)
		snprintf(names + used, sizeof(names) - used, "%s%s", n ? ", " : "", extra);
	va_start(ap, fmt);
	w = vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
	if (w >= 0 && (size_t)w < sizeof(v->msg))
		snprintf(v->msg + w, sizeof(v->msg) - (size_t)w, ": %s", names);
}

int ukey_clean_check(const struct ukey_clean_list *l, const struct ukey_clean_plan *p,
		     struct ukey_clean_report *r)
{
	size_t ns = l->n_seals, i, j, n;
	const struct ukey_clean_decision **dec = calloc(ns + 1, sizeof(*dec));
	size_t *g = calloc(ns + 1, sizeof(*g)), *idx = calloc(ns + 1, sizeof(*idx));
	struct ctx c = { l, r, 0 };
	long k;

	memset(r, 0, sizeof(*r));
	if (dec == NULL || g == NULL || idx == NULL) {
		c.oom = 1;
		goto out;
	}
	for (i = 0; i < p->n; i++) {
		k = ukey_clean_find(l, p->d[i].id);
		if (k < 0) {
			add(&c, UKEY_RULE_NOT_FOUND, NULL, 0, p->d[i].id,
			    "%s", _("No such seal on this medium"));
		} else if (dec[k] != NULL) {
			idx[0] = (size_t)k;
			add(&c, UKEY_RULE_DUPLICATE_DECISION, idx, 1, NULL, "%s",
			    _("Two decisions for one seal"));
		} else {
			dec[k] = &p->d[i];
		}
	}
	for (i = 0, n = 0; i < ns; i++)
		if (!l->seals[i].usable && dec[i] != NULL)
			idx[n++] = i;
	if (n)
		add(&c, UKEY_RULE_UNUSABLE_CHOSEN, idx, n, NULL, "%s",
		    _("A seal marked unusable (a duplicate awaiting cleaning) cannot be chosen"));
	for (i = 0, n = 0; i < ns; i++)
		if (l->seals[i].usable && dec[i] == NULL)
			idx[n++] = i;
	if (n)
		add(&c, UKEY_RULE_MISSING_DECISION, idx, n, NULL, "%s",
		    _("Every usable seal needs a decision (keep or drop)"));
	for (i = 0, n = 0; i < ns; i++)
		if (dec[i] && dec[i]->action == UKEY_CLEAN_KEEP &&
		    (!dec[i]->has_type || !ukey_clean_type_name(l, dec[i]->type)))
			idx[n++] = i;
	if (n)
		add(&c, UKEY_RULE_MISSING_TYPE, idx, n, NULL, "%s",
		    _("A kept seal needs a seal type from the list"));
	group(l, g);
	for (i = 0; i < ns; i++) {
		size_t size = 0, kept = 0, *all = idx, keep[64];
		if (!l->seals[i].usable || g[i] != i)
			continue;
		for (j = i; j < ns; j++) {
			if (!l->seals[j].usable || g[j] != i)
				continue;
			all[size++] = j;
			if (dec[j] && dec[j]->action == UKEY_CLEAN_KEEP && kept < 64)
				keep[kept++] = j;
		}
		if (size < 2)
			continue;
		if (kept > 1)
			add(&c, UKEY_RULE_IDENTICAL_KEPT_TWICE, keep, kept, NULL, "%s",
			    _("Of identical seals only one may be kept"));
		if (kept == 0)
			add(&c, UKEY_RULE_IDENTICAL_NONE_KEPT, all, size, NULL, "%s",
			    _("Of identical seals one must be kept (choose one, drop the others)"));
	}
	for (i = 0; i < ns; i++) {
		int first = 1;
		if (!dec[i] || dec[i]->action != UKEY_CLEAN_KEEP || !dec[i]->has_type)
			continue;
		for (j = 0, n = 0; j < ns; j++) {
			if (!dec[j] || dec[j]->action != UKEY_CLEAN_KEEP || !dec[j]->has_type ||
			    dec[j]->type != dec[i]->type)
				continue;
			if (j < i)
				first = 0; /* reported with the first seal of that type */
			idx[n++] = j;
		}
		if (first && n > 1) {
			const char *tn = ukey_clean_type_name(l, dec[i]->type);
			char t[160];
			if (tn != NULL)
				snprintf(t, sizeof(t), "%s", tn);
			else
				snprintf(t, sizeof(t), "%ld", dec[i]->type);
			add(&c, UKEY_RULE_TYPE_TAKEN, idx, n, NULL,
			    _("Kept seals cannot share a type; \"%s\" is chosen twice"), t);
		}
	}
out:
	free(dec);
	free(g);
	free(idx);
	if (c.oom) {
		ukey_clean_report_free(r);
		return -1;
	}
	return (int)r->n;
}

void ukey_clean_report_free(struct ukey_clean_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].seals);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
