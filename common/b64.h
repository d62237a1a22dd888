/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Base64 as the protocol and the journal carry it (RFC 4648 section 4: the
 * standard alphabet, '=' padding, no line breaks), over OpenSSL's
 * EVP_EncodeBlock / EVP_DecodeBlock. EVP_DecodeBlock alone is lax (it skips
 * white space, takes '=' anywhere as zero bits and counts the padding in
 * its result); the decoder here checks the text first and returns the true
 * length. */
#ifndef UKC_B64_H
#define UKC_B64_H

#include <stddef.h>

/* The base64 of len bytes, NUL-terminated, malloc'd; NULL when out of
 * memory or too long for OpenSSL (over 1.5 GiB). */
char *ukc_b64_encode(const unsigned char *in, size_t len);

/* Decodes exactly textlen characters: a non-zero multiple of four, only the
 * alphabet, then one or two '=' at the end. Returns the bytes (malloc'd,
 * *outlen of them), or NULL with *bad (when not NULL) at the offset of the
 * first offending character: textlen when the length is wrong (empty
 * included: every field this project base64s holds data), SIZE_MAX when out
 * of memory. */
unsigned char *ukc_b64_decode(const char *text, size_t textlen, size_t *outlen, size_t *bad);

#endif
