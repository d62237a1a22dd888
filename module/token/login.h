/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* login.c: login state and PINs (C_Login and the rest are token.h's). */
#ifndef UKEY_TOKEN_LOGIN_H
#define UKEY_TOKEN_LOGIN_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>

struct ukey_slot;

/* Logs the token out at the driver and drops private objects; with
 * if_idle only when no session is left. CKR_USER_NOT_LOGGED_IN when nobody
 * was logged in. */
CK_RV ukey_token_logout_unlocked(struct ukey_slot *slot, bool if_idle);

/* pin-dialog.c: what a C_SetPIN (old != NULL) or C_InitPIN (old == NULL)
 * with NULL PINs asks through the PIN dialog for `user`'s PIN: the current
 * PIN (at most the token's maximum length) and a new one typed twice within
 * the token's length rule. The buffers hold UKEY_PINENTRY_MAX_PIN + 1 bytes
 * and are wiped on failure. CKR_PIN_LOCKED (the current PIN is locked: not
 * asked), CKR_FUNCTION_CANCELED (cancelled, or the confirmation never
 * matched), CKR_PIN_LEN_RANGE; the device is not touched beyond reading
 * its counters. */
CK_RV ukey_pin_dialog_collect(struct ukey_slot *slot, CK_USER_TYPE user, char *old, size_t *old_len, char *new_pin,
			      size_t *new_len);

#endif
