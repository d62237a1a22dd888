/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The check both drivers run on an envelope of CKM_UKEY_ENVELOPED_KEY_PAIR
 * before their backend sees it: common/envelope.h's parser, with its
 * answer as the PKCS#11 codes the mechanism gives (docs/mechanisms.md). */
#ifndef UKEY_DRIVER_ENVELOPE_CHECK_H
#define UKEY_DRIVER_ENVELOPE_CHECK_H

#include <p11-kit/pkcs11.h>

#include "envelope.h"

/* CKR_OK with *e filled; CKR_WRAPPED_KEY_LEN_RANGE for a length the format
 * cannot have (checked first: an empty envelope asks only whether the
 * format is imported); CKR_WRAPPED_KEY_INVALID for anything else wrong.
 * The caller has refused the formats it does not import, and calls
 * ukc_envelope_clear(e) whatever the answer. */
CK_RV ukey_driver_envelope_parse(CK_ULONG format, const CK_BYTE *env, CK_ULONG len, struct ukc_envelope *e);

#endif
