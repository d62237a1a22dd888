/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* login.c: login state and PINs (C_Login and the rest are token.h's). */
#ifndef UKEY_TOKEN_LOGIN_H
#define UKEY_TOKEN_LOGIN_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

struct ukey_slot;

/* Logs the token out at the driver and drops private objects; with
 * if_idle only when no session is left. CKR_USER_NOT_LOGGED_IN when nobody
 * was logged in. */
CK_RV ukey_token_logout_unlocked(struct ukey_slot *slot, bool if_idle);

#endif
