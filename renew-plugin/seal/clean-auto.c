/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clean-auto.c: `ukey seals clean --auto`: a plan that follows the rules.
 * Of each group of identical usable seals the newest valid one is kept and
 * the others dropped; kept seals keep their own type when it is known and
 * still free, else take the first free type. A seal with no identical twin
 * is never dropped automatically: that is the user's choice to make.
 */
#include "config.h"

#include "ukey-seal.h"
#include "seal.h"
#include "ukey-base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Same grouping as the rules: sha256 or esID, transitively, usable only. */
static size_t root(size_t *g, size_t i)
{
	while (g[i] != i)
		i = g[i];
	return i;
}

static void group(const struct ukey_clean_list *l, size_t *g)
{
	size_t i, j, a, b;

	for (i = 0; i < l->n_seals; i++)
		g[i] = i;
	for (i = 0; i < l->n_seals; i++)
		for (j = i + 1; j < l->n_seals; j++) {
			const struct ukey_clean_seal *x = &l->seals[i], *y = &l->seals[j];
			if (!x->usable || !y->usable || (strcmp(x->sha256, y->sha256) != 0 &&
							 strcmp(x->es_id, y->es_id) != 0))
				continue;
			a = root(g, i);
			b = root(g, j);
			if (a != b)
				g[a > b ? a : b] = a < b ? a : b;
		}
	for (i = 0; i < l->n_seals; i++)
		g[i] = root(g, i);
}

/* Is a better than b to keep: valid now, then newest (latest start, then
 * latest end); ties keep list order. */
static int better(const struct ukey_clean_seal *a, const struct ukey_clean_seal *b, time_t now)
{
	int va = a->valid_from <= now && now <= a->valid_to;
	int vb = b->valid_from <= now && now <= b->valid_to;

	if (va != vb)
		return va;
	if (a->valid_from != b->valid_from)
		return a->valid_from > b->valid_from;
	return a->valid_to > b->valid_to;
}

int ukey_clean_auto(const struct ukey_clean_list *l, time_t now, struct ukey_clean_plan *out,
		    struct ukey_err *err)
{
	size_t ns = l->n_seals, i, j, n_keep = 0, n_free;
	size_t *g = calloc(ns + 1, sizeof(*g)), *best = calloc(ns + 1, sizeof(*best));
	unsigned char *taken = calloc(l->n_types + 1, 1);
	int ret = -1, pass;

	memset(out, 0, sizeof(*out));
	out->d = calloc(ns + 1, sizeof(*out->d));
	if (g == NULL || best == NULL || taken == NULL || out->d == NULL) {
		ukey_seal_err_set(err, UKEY_E_ERROR, "%s", _("out of memory"));
		goto out;
	}
	group(l, g);
	for (i = 0; i < ns; i++)
		best[i] = (size_t)-1;
	for (i = 0; i < ns; i++)
		if (l->seals[i].usable &&
		    (best[g[i]] == (size_t)-1 || better(&l->seals[i], &l->seals[best[g[i]]], now)))
			best[g[i]] = i;
	for (i = 0; i < ns; i++) {
		if (!l->seals[i].usable)
			continue; /* no decision for unusable seals */
		out->d[out->n].id = strdup(l->seals[i].id);
		if (out->d[out->n].id == NULL) {
			ukey_seal_err_set(err, UKEY_E_ERROR, "%s", _("out of memory"));
			goto out;
		}
		out->d[out->n++].action = best[g[i]] == i ? UKEY_CLEAN_KEEP : UKEY_CLEAN_DROP;
		n_keep += best[g[i]] == i;
	}
	if (n_keep > l->n_types) {
		ukey_seal_err_set(err, UKEY_E_ERROR,
			     _("%zu different seals must be kept but the service offers only %zu seal"
			       " types, and no two kept seals may share a type: choose which seals to"
			       " drop yourself (interactively or with --plan)"),
			     n_keep, l->n_types);
		goto out;
	}
	/* Pass 0: seals whose own type is known and free keep it; pass 1: the
	 * rest take the first free type. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < out->n; i++) {
			struct ukey_clean_decision *d = &out->d[i];
			long own = l->seals[ukey_clean_find(l, d->id)].type;
			if (d->action != UKEY_CLEAN_KEEP || d->has_type)
				continue;
			for (j = 0; j < l->n_types; j++)
				if (!taken[j] && (pass == 1 || l->types[j].type == own))
					break;
			if (j == l->n_types)
				continue;
			taken[j] = 1;
			d->has_type = 1;
			d->type = l->types[j].type;
		}
	for (i = 0, n_free = 0; i < out->n; i++)
		n_free += out->d[i].action == UKEY_CLEAN_KEEP && !out->d[i].has_type;
	if (n_free == 0)
		ret = 0;
	else /* cannot happen when n_keep <= n_types; kept as a guard */
		ukey_seal_err_set(err, UKEY_E_ERROR, "%s", _("not enough seal types for the kept seals"));
out:
	if (ret != 0)
		ukey_clean_plan_free(out);
	free(g);
	free(best);
	free(taken);
	return ret;
}
