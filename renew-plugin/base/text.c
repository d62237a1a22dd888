/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* text.c: escaping text from outside for the terminal, and bytes as hex
 * (ukey-base.h). */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "ukey-base.h"

/* Length of the UTF-8 character at p (RFC 3629, no overlong forms or
 * surrogates) and its code point; 0 when p does not start one. */
static size_t utf8_char(const unsigned char *p, uint32_t *cp)
{
	size_t len = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
		     : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
	uint32_t c;

	if (len <= 1) {
		*cp = p[0];
		return len;
	}
	c = p[0] & (0xff >> (len + 1));
	for (size_t k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[k] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return len;
}

/* Characters that reorder what follows (U+200E/F, U+202A-E, U+2066-9):
 * printed, they make a name read as something else. */
static int is_bidi(uint32_t c)
{
	return c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

char *ukey_text_escape(const char *in, char *out, size_t outlen, int keep_newlines)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t used = 0;

	if (outlen == 0)
		return out;
	while (*p) {
		char piece[16];
		uint32_t c = 0;
		size_t n = utf8_char(p, &c), plen;

		if (n == 0) {
			snprintf(piece, sizeof(piece), "\\x%02x", p[0]);
			n = 1;
		} else if ((c < 0x20 && !(keep_newlines && c == '\n')) || c == 0x7f) {
			snprintf(piece, sizeof(piece), "\\x%02x", (unsigned)c);
		} else if ((c >= 0x80 && c <= 0x9f) || is_bidi(c)) {
			snprintf(piece, sizeof(piece), "\\u{%04x}", (unsigned)c);
		} else {
			memcpy(piece, p, n);
			piece[n] = '\0';
		}
		plen = strlen(piece);
		if (used + plen >= outlen)
			break;
		memcpy(out + used, piece, plen);
		used += plen;
		p += n;
	}
	out[used] = '\0';
	return out;
}

const char *ukey_tx(const char *in)
{
	static __thread char bufs[8][1024];
	static __thread unsigned next;
	char *b = bufs[next++ % 8];

	return ukey_text_escape(in, b, sizeof(bufs[0]), 0);
}

char *ukey_text_json_safe(const char *json)
{
	const unsigned char *p = (const unsigned char *)json;
	size_t len = strlen(json), used = 0;
	char *out = malloc(len * 6 + 1); /* each byte at most one \uNNNN */

	if (out == NULL)
		return NULL;
	while (*p) {
		uint32_t c = 0;
		size_t n = utf8_char(p, &c);

		if (n == 0 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
			used += (size_t)sprintf(out + used, "\\u%04x", n == 0 ? 0xfffdu : (unsigned)c);
			n = n ? n : 1;
		} else {
			memcpy(out + used, p, n);
			used += n;
		}
		p += n;
	}
	out[used] = '\0';
	return out;
}

char *ukey_hex(const unsigned char *p, size_t len)
{
	return ukc_hex_dup(p, len);
}

int ukey_unhex(const char *hex, unsigned char *out, size_t max, size_t *len)
{
	long n = ukc_hex_decode(hex, strlen(hex), out, max, NULL);

	if (n < 0)
		return -1;
	*len = (size_t)n;
	return 0;
}
