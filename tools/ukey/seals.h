/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukey seals: the listing (seals-list.c) that the list and export
 * (cmd-seals.c, cmd-seals-export.c) and clean (cmd-seals-clean.c) share. */
#ifndef UKEY_TOOL_SEALS_H
#define UKEY_TOOL_SEALS_H

#include "cli.h"

/* One seal of the token as 'ukey seals' lists it. */
struct ukey_seal_row {
	const struct ukey_token_seal *t;
	struct ukey_seal *dec; /* NULL: not decodable */
	struct ukey_err derr;
	struct ukey_seal_result vr;
	long svc; /* index in the service's list, or -1 */
};

/* The seals on the token open in c (ukey_cli_open_token first), each
 * decoded and verified now, in the numbering of 'ukey show': *t the
 * objects, *rows one per object (svc -1). Free both with ukey_seals_free
 * (also after a failure). Returns a UKEY_E_* code, message in c->err. */
int ukey_seals_read(struct ukey_cli *c, struct ukey_token_seal **t, struct ukey_seal_row **rows, size_t *n);
void ukey_seals_free(struct ukey_token_seal *t, struct ukey_seal_row *rows, size_t n);
/* Token seal i gets the service's seal of the same sha256 (rows[i].svc). */
void ukey_seals_join(struct ukey_seal_row *rows, size_t n, const struct ukey_clean_list *l);
/* "S1 (业务章), S3 (财务专用章)" for the service's ids (unknown ids as is). */
void ukey_seals_names(const struct ukey_clean_list *l, const char *const *ids, size_t n, char *buf,
		      size_t len);
/* ukey seals export N|ID (cmd-seals-export.c): the picture of seal N (as
 * listed) or of the service's seal ID to -o FILE, -o DIR, -o - or
 * seal-N.EXT. */
int ukey_seals_export(struct ukey_cli *c, struct ukey_seal_row *rows, size_t n, const struct ukey_clean_list *l,
		      int have_list, const char *id);
/* ukey seals clean (c parsed, positional "clean" checked). */
int ukey_seals_clean(struct ukey_cli *c);

#endif
