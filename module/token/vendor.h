/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor interface's token side (ukey-pkcs11.h, "Vendor ukey-pkcs11"):
 * what C_Initialize made of the configuration, kept for consumers that ask
 * why there is no slot, and the exact PIN counters. module.c notes the
 * outcome while it loads; api/vendor.c calls the rest. */
#ifndef UKEY_TOKEN_VENDOR_H
#define UKEY_TOKEN_VENDOR_H

#include <p11-kit/pkcs11.h>

#include "ukey-pkcs11.h"
#include "util/conf.h"

/* Called by load_backends (module.c), under C_Initialize's lock. */
void ukey_vendor_note_config(const char *path, const char *error);
void ukey_vendor_note_backend(const struct ukey_backend_conf *bc, CK_RV rv, const char *reason);

CK_RV ukey_vendor_module_status(UKEY_MODULE_STATUS *status);
CK_RV ukey_vendor_backend_status(CK_ULONG index, UKEY_BACKEND_STATUS *status);
CK_RV ukey_vendor_pin_tries(CK_SLOT_ID slot, CK_USER_TYPE user, UKEY_PIN_TRIES *tries);

#endif
