/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hex.h"

#include <stdlib.h>

#include <openssl/evp.h>

char *ukc_hex_encode(const unsigned char *in, size_t len, char *out, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return out;
}

char *ukc_hex_dup(const unsigned char *in, size_t len)
{
	char *out = len < ((size_t)-1) / 2 ? malloc(2 * len + 1) : NULL;

	return out ? ukc_hex_encode(in, len, out, false) : NULL;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long ukc_hex_decode(const char *text, size_t textlen, unsigned char *out, size_t outmax, size_t *bad)
{
	if (textlen % 2 != 0 || textlen / 2 > outmax) {
		if (bad)
			*bad = textlen;
		return -1;
	}
	for (size_t i = 0; i < textlen; i += 2) {
		int hi = nibble(text[i]), lo = nibble(text[i + 1]);
		if (hi < 0 || lo < 0) {
			if (bad)
				*bad = hi < 0 ? i : i + 1;
			return -1;
		}
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(textlen / 2);
}

bool ukc_hex_is_lower(const char *text, size_t textlen)
{
	for (size_t i = 0; i < textlen; i++)
		if (nibble(text[i]) < 0 || (text[i] >= 'A' && text[i] <= 'F'))
			return false;
	return true;
}

char *ukc_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return NULL;
	return ukc_hex_encode(md, mdlen, out, false);
}
