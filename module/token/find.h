/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* find.c: C_FindObjects* (token.h); a session's search state. */
#ifndef UKEY_TOKEN_FIND_H
#define UKEY_TOKEN_FIND_H

struct ukey_find;

void ukey_find_free(struct ukey_find *find);

#endif
