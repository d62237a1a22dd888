/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* unwrap.c: CKM_UKEY_ENVELOPED_KEY_PAIR (C_UnwrapKey is token.h's). */
#ifndef UKEY_TOKEN_UNWRAP_H
#define UKEY_TOKEN_UNWRAP_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

struct ukey_slot;

/* Whether the slot's driver implements envelope format and the device has
 * the mechanisms it needs (CKM_UKEY_ENVELOPED_KEY_PAIR, mech.c). */
bool ukey_unwrap_format_offered(const struct ukey_slot *slot, CK_ULONG format);

#endif
