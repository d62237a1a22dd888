/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seals on a token as `ukey show` / `ukey status` list them.
 *
 * CONTRACT with renew-plugin/seal/ (the seal decoder's owner): implement
 * ukey_seals_view_list() in seal/ on top of ukey_seal_list_token() and drop
 * seals-view.c from renew-plugin/Makefile.am. Until then seals-view.c lists
 * the CKO_DATA objects whose CKA_APPLICATION is UKEY_SEAL_APPLICATION by
 * label only (decoded = 0). */
#ifndef UKEY_RENEW_SEALS_VIEW_H
#define UKEY_RENEW_SEALS_VIEW_H

#include <stddef.h>
#include <time.h>

#include "p11/p11.h"

struct ukey_seal_view {
	char name[256];      /* the seal's name; the object's CKA_LABEL until decoded */
	int type;            /* GM/T 0031 seal type, 0 = unknown */
	char type_name[64];  /* "" when unknown */
	time_t valid_from;   /* 0 = unknown */
	time_t valid_to;     /* 0 = unknown */
	char status[16];     /* "valid", "expired", "invalid", or "unknown" */
	char sha256[65];     /* lower-case hex of the seal DER (matches the service's), "" if unreadable */
	int decoded;         /* 1 when the fields above come from the decoded seal */
};

/* All seals on the token open in session s (public objects). *out is
 * malloc'd (free()), *n may be 0. */
int ukey_seals_view_list(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_seal_view **out, size_t *n,
			 struct ukey_err *e);

#endif
