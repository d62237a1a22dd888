/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal-token.c: reads the seal objects off a token, and implements the
 * seals view of `ukey show` / `ukey status` (ukey-renew.h) on
 * top of the decoder: name, type, validity and a verdict for each seal.
 */
#include "config.h"

#include "ukey-renew.h"

#include "p11/p11.h"
#include "seal.h"
#include "hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEALS 256

/* By label, then content: a token's own object order is not promised, and
 * the number 'ukey show' and 'ukey seals' give a seal must be the same on
 * every run and in both (seals export N). */
static int seal_cmp(const void *a, const void *b)
{
	const struct ukey_token_seal *x = a, *y = b;
	int r = strcmp(x->label, y->label);

	return r ? r : strcmp(x->sha256, y->sha256);
}

int ukey_seal_list_token(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_token_seal **out,
			 size_t *n, struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) },
				{ CKA_APPLICATION, (void *)UKEY_SEAL_APPLICATION,
				  strlen(UKEY_SEAL_APPLICATION) } };
	CK_OBJECT_HANDLE h[MAX_SEALS];
	CK_ULONG found = 0, i;
	unsigned char *v;
	size_t len;
	int ret;

	*out = NULL;
	*n = 0;
	ret = ukey_conn_find(p, s, tmpl, 2, h, MAX_SEALS, &found, e);
	if (ret != UKEY_E_OK)
		return ret;
	*out = calloc(found + 1, sizeof(**out));
	if (*out == NULL)
		return ukey_seal_err_set(e, UKEY_E_ERROR, "%s", _("out of memory")), UKEY_E_ERROR;
	for (i = 0; i < found; i++) {
		struct ukey_token_seal *t = &(*out)[*n];
		t->h = h[i];
		if (ukey_conn_attr(p, s, h[i], CKA_LABEL, &v, &len, e) == UKEY_E_OK) {
			snprintf(t->label, sizeof(t->label), "%.*s", (int)(len < 255 ? len : 255),
				 (char *)v);
			free(v);
		}
		ret = ukey_conn_attr(p, s, h[i], CKA_VALUE, &t->der, &t->len, e);
		if (ret != UKEY_E_OK) {
			ukey_token_seals_free(*out, *n);
			*out = NULL;
			*n = 0;
			return ret;
		}
		ukc_sha256_hex(t->der, t->len, t->sha256);
		(*n)++;
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), seal_cmp);
	return UKEY_E_OK;
}

void ukey_token_seals_free(struct ukey_token_seal *t, size_t n)
{
	size_t i;

	for (i = 0; t != NULL && i < n; i++)
		free(t[i].der);
	free(t);
}

int ukey_seals_view_list(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_seal_view **out,
			 size_t *n, struct ukey_err *e)
{
	struct ukey_token_seal *t = NULL;
	struct ukey_seal_result r;
	struct ukey_seal *seal;
	size_t nt = 0, i;
	int ret = ukey_seal_list_token(p, s, &t, &nt, e);

	*out = NULL;
	*n = 0;
	if (ret != UKEY_E_OK)
		return ret;
	*out = calloc(nt + 1, sizeof(**out));
	if (*out == NULL) {
		ukey_token_seals_free(t, nt);
		ukey_seal_err_set(e, UKEY_E_ERROR, "%s", _("out of memory"));
		return UKEY_E_ERROR;
	}
	for (i = 0; i < nt; i++) {
		struct ukey_seal_view *v = &(*out)[i];
		snprintf(v->name, sizeof(v->name), "%s", t[i].label);
		snprintf(v->sha256, sizeof(v->sha256), "%s", t[i].sha256);
		snprintf(v->status, sizeof(v->status), "unknown");
		/* An undecodable seal stays listed by label: the user must see it. */
		if (ukey_seal_decode(t[i].der, t[i].len, &seal, NULL) != 0)
			continue;
		snprintf(v->name, sizeof(v->name), "%s", seal->name);
		v->type = seal->type > 0 && seal->type < 0x7fffffff ? (int)seal->type : 0;
		v->valid_from = seal->valid_start;
		v->valid_to = seal->valid_end;
		v->decoded = 1;
		ukey_seal_verify(seal, time(NULL), &r);
		snprintf(v->status, sizeof(v->status), "%s",
			 r.valid ? "valid"
			 : r.problems == UKEY_SEAL_EXPIRED ? "expired" : "invalid");
		ukey_seal_free(seal);
	}
	*n = nt;
	ukey_token_seals_free(t, nt);
	return UKEY_E_OK;
}
