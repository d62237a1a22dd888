/* ukey seals: what cmd-seals.c (list, export) and cmd-seals-clean.c (clean)
 * share -- the service's seal list fetched and parsed. */
#ifndef UKEY_TOOL_SEALS_H
#define UKEY_TOOL_SEALS_H

#include "cli.h"
#include "seal/clean.h"

/* GET /api/v1/seals into l (ukey_clean_list_free it); needs
 * ukey_cli_connect first. Returns a UKEY_E_* code, message in c->err. */
int ukey_seals_fetch(struct ukey_cli *c, struct ukey_clean_list *l);
/* "S1 (业务章), S3 (财务专用章)" for the service's ids (unknown ids as is). */
void ukey_seals_names(const struct ukey_clean_list *l, const char *const *ids, size_t n, char *buf,
		      size_t len);
/* ukey seals clean (c parsed, positional "clean" checked). */
int ukey_seals_clean(struct ukey_cli *c);

#endif
