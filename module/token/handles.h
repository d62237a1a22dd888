/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The typed handle table (docs/architecture.md, "Handles"): sessions and objects get
 * monotonically increasing numbers, never pointers, so a stale handle can
 * never name a newer session or object. Numbers start at 0x100 so tests
 * catch a slot id or a backend handle used in place of ours. All calls need
 * the table lock. */
#ifndef UKEY_TOKEN_HANDLES_H
#define UKEY_TOKEN_HANDLES_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

enum ukey_handle_kind {
	UKEY_HANDLE_SESSION = 1,
	UKEY_HANDLE_OBJECT = 2,
};

/* Returns the new handle, or 0 when out of memory. */
CK_ULONG ukey_handle_new_inlock(enum ukey_handle_kind kind, void *ptr);
/* The pointer registered under h with that kind, or NULL. */
void *ukey_handle_get_inlock(CK_ULONG h, enum ukey_handle_kind kind);
/* Points an existing handle at another structure (inventory reload keeps
 * handles of objects that are still there). */
void ukey_handle_rebind_inlock(CK_ULONG h, void *ptr);
void ukey_handle_drop_inlock(CK_ULONG h);
/* Forgets every handle (finalize, fork). */
void ukey_handle_reset_inlock(void);

#endif
