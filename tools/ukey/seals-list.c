/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* The seal listing of `ukey seals` in one place, for list, export and
 * clean alike: the token's seals read, decoded and verified; the
 * service's list (ukey_api_seals) joined to them by sha256; its seals
 * named. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seals.h"

int ukey_seals_read(struct ukey_cli *c, struct ukey_token_seal **t, struct ukey_seal_row **rows, size_t *n)
{
	size_t i;
	int ret = ukey_seal_list_token(&c->p11, c->s, t, n, &c->err);

	*rows = NULL;
	if (ret != UKEY_E_OK)
		return ret;
	*rows = calloc(*n + 1, sizeof(**rows));
	if (*rows == NULL)
		return ukey_err_set(&c->err, UKEY_E_ERROR, "%s", _("out of memory"));
	for (i = 0; i < *n; i++) {
		struct ukey_seal_row *r = &(*rows)[i];
		r->t = &(*t)[i];
		r->svc = -1;
		ukey_err_clear(&r->derr);
		if (ukey_seal_decode(r->t->der, r->t->len, &r->dec, &r->derr) != 0)
			r->dec = NULL;
		else
			ukey_seal_verify(r->dec, time(NULL), &r->vr);
	}
	return UKEY_E_OK;
}

void ukey_seals_free(struct ukey_token_seal *t, struct ukey_seal_row *rows, size_t n)
{
	for (size_t i = 0; rows != NULL && i < n; i++)
		ukey_seal_free(rows[i].dec);
	free(rows);
	ukey_token_seals_free(t, n);
}

void ukey_seals_names(const struct ukey_clean_list *l, const char *const *ids, size_t n, char *buf, size_t len)
{
	size_t used = 0, i;
	long k;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		k = ukey_clean_find(l, ids[i]);
		w = k >= 0 ? snprintf(buf + used, len - used, "%s%s (%s)", i ? ", " : "", ukey_tx(ids[i]),
				      ukey_tx(l->seals[k].name))
			   : snprintf(buf + used, len - used, "%s%s", i ? ", " : "", ukey_tx(ids[i]));
		used = w < 0 ? len : used + (size_t)w;
	}
}

/* Token seal i gets the first service seal with its sha256 not taken by an
 * earlier one (identical duplicates are two objects and two service ids). */
void ukey_seals_join(struct ukey_seal_row *rows, size_t n, const struct ukey_clean_list *l)
{
	unsigned char *taken = calloc(l->n_seals + 1, 1);
	size_t i, j;

	for (i = 0; i < n; i++) {
		rows[i].svc = -1;
		for (j = 0; j < l->n_seals; j++) {
			if (strcmp(l->seals[j].sha256, rows[i].t->sha256) != 0)
				continue;
			if (rows[i].svc < 0)
				rows[i].svc = (long)j;
			if (taken == NULL || !taken[j]) {
				rows[i].svc = (long)j;
				break;
			}
		}
		if (taken != NULL && rows[i].svc >= 0)
			taken[rows[i].svc] = 1;
	}
	free(taken);
}
