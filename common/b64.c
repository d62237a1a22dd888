/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "b64.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

char *ukc_b64_encode(const unsigned char *in, size_t len)
{
	char *out;

	if (len > (size_t)INT_MAX / 4 * 3)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

static int alphabet(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/';
}

/* The offset of the first character out of place (SIZE_MAX: none) and the
 * number of padding characters. */
static size_t check(const char *s, size_t n, size_t *pad)
{
	*pad = 0;
	for (size_t i = 0; i < n; i++) {
		if (alphabet(s[i]))
			continue;
		/* '=' only as the last character or the last two. */
		if (s[i] == '=' && i + 2 >= n && s[n - 1] == '=') {
			(*pad)++;
			continue;
		}
		return i;
	}
	return SIZE_MAX;
}

unsigned char *ukc_b64_decode(const char *text, size_t textlen, size_t *outlen, size_t *bad)
{
	size_t pad = 0, off = textlen;
	unsigned char *out = NULL;
	int n;

	if (textlen != 0 && textlen % 4 == 0 && textlen <= INT_MAX)
		off = check(text, textlen, &pad);
	if (off == SIZE_MAX && (out = malloc(textlen / 4 * 3)) != NULL) {
		n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)textlen);
		if (n >= 0 && (size_t)n == textlen / 4 * 3) {
			*outlen = (size_t)n - pad;
			return out;
		}
		off = 0; /* cannot happen once checked; refused all the same */
	}
	free(out);
	if (bad != NULL)
		*bad = off;
	return NULL;
}
