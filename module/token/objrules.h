/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* objrules.c: attribute rules after creation. */
#ifndef UKEY_TOKEN_OBJRULES_H
#define UKEY_TOKEN_OBJRULES_H

#include <p11-kit/pkcs11.h>

struct ukey_object;

/* Whether C_SetAttributeValue may apply t to obj: CKR_ACTION_PROHIBITED
 * for an object with CKA_MODIFIABLE = FALSE, CKR_ATTRIBUTE_READ_ONLY for
 * CKA_CLASS, a latching attribute going back (CKA_SENSITIVE to FALSE,
 * CKA_EXTRACTABLE to TRUE) and, on objects in our memory, any attribute
 * PKCS#11 does not let change after creation. */
CK_RV ukey_object_set_check_inlock(const struct ukey_object *obj, const CK_ATTRIBUTE *t, CK_ULONG n);
/* Gives a session object held in our memory the defaults a token gives. */
CK_RV ukey_session_object_defaults(struct ukey_object *obj);

#endif
