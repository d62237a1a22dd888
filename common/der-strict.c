/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "der-strict.h"

ASN1_VALUE *ukc_der_decode(const ASN1_ITEM *it, const uint8_t *der, size_t len, const char **why)
{
	const unsigned char *p = der;
	unsigned char *again = NULL;
	const char *what = NULL;
	ASN1_VALUE *v;
	int n;

	if (!der || len == 0 || len > INT_MAX) {
		if (why)
			*why = "empty or over 2 GiB";
		return NULL;
	}
	ERR_set_mark();
	v = ASN1_item_d2i(NULL, &p, (long)len, it);
	if (!v)
		what = "not the DER structure expected";
	else if (p != der + len)
		what = "bytes after the DER structure";
	else if ((n = ASN1_item_i2d(v, &again, it)) <= 0 || (size_t)n != len || memcmp(again, der, len) != 0)
		what = "not DER: a length or INTEGER in a longer form than needed";
	ERR_pop_to_mark();
	OPENSSL_free(again);
	if (what) {
		ASN1_item_free(v, it);
		v = NULL;
		if (why)
			*why = what;
	}
	return v;
}
