/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Byte offsets to flip in an envelope, one per part (and a few structural
 * ones): the SKF ENVELOPEDKEYBLOB on an SKF run, else the DER
 * UkeyEnvelopedKeyPair (docs/mechanisms.md). Returns how many, at most 16. */
#ifndef UKEY_TESTS_UNWRAP_TAMPER_H
#define UKEY_TESTS_UNWRAP_TAMPER_H

#include <stddef.h>

size_t ukt_tamper_offsets(const unsigned char *env, size_t len, size_t off[16]);

#endif
