/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ondemand.c: login on demand in the PIN-dialog mode. */
#ifndef UKEY_TOKEN_ONDEMAND_H
#define UKEY_TOKEN_ONDEMAND_H

#include <p11-kit/pkcs11.h>

struct ukey_slot;

/* Adds stand-in private keys for public keys without one (not logged in). */
CK_RV ukey_standins_refresh_inlock(struct ukey_slot *slot);
/* After login: stand-ins hand their handles to the real private keys. */
void ukey_standins_adopt_inlock(struct ukey_slot *slot);

#endif
