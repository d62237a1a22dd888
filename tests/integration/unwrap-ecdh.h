/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The possession proof of an EC key imported by ecdh-aes-v1
 * (test-unwrap.c), done in the p11 backend itself. */
#ifndef UKEY_TESTS_UNWRAP_ECDH_H
#define UKEY_TESTS_UNWRAP_ECDH_H

#include <openssl/evp.h>

#include "testlib.h"

/* The module has no C_DeriveKey (CKR_FUNCTION_NOT_SUPPORTED, test-unwrap.c
 * checks it), and the imported key agrees rather than decrypts or signs. So
 * the proof goes to the backend itself, to be called with the module
 * finalized: SoftHSM loaded here directly derives an ECDH secret with the imported private
 * key (found on tok by its CKA_ID) and a fresh point; it must equal OpenSSL's
 * ECDH of that point's key with the pair's public key. Fails the running
 * cmocka test otherwise. */
void ukt_unwrap_ecdh_check(const struct ukt_token *tok, const unsigned char *id, unsigned long idlen, EVP_PKEY *pair);

#endif
