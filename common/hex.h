/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hexadecimal text <-> bytes, the one place the project spells bytes as hex
 * (medium numbers, journal fields, fingerprints, test fixtures). */
#ifndef UKC_HEX_H
#define UKC_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* Writes 2*len hex digits and a NUL into out (2*len+1 bytes); lower case
 * unless upper. Returns out. */
char *ukc_hex_encode(const unsigned char *in, size_t len, char *out, bool upper);

/* The same, lower case, into a malloc'd string; NULL when out of memory. */
char *ukc_hex_dup(const unsigned char *in, size_t len);

/* Decodes exactly `textlen` characters of hex (either case, no separators)
 * into out (outmax bytes). Returns the byte count, or -1 when the text is
 * odd-length, holds a non-hex character or does not fit; *bad, when not
 * NULL, then gets the offset of the first offending character (textlen for
 * odd length or overflow). */
long ukc_hex_decode(const char *text, size_t textlen, unsigned char *out, size_t outmax, size_t *bad);

/* Whether text (textlen characters) is all lower-case hex digits, the form
 * this project writes (files it later reads back must hold nothing else). */
bool ukc_hex_is_lower(const char *text, size_t textlen);

/* The lower-case hex SHA-256 of data, as the service and the token files
 * name things by it (seals, request bodies, public keys). Returns out, or
 * NULL (out then "") when the digest cannot be computed. */
char *ukc_sha256_hex(const void *data, size_t len, char out[65]);

#endif
