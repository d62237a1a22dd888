/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ecsig.h"

#include <limits.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

int ukc_ecsig_raw_to_der(const unsigned char *rs, size_t len, unsigned char **der)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int n = -1;

	*der = NULL;
	if (len == 0 || len % 2 != 0 || len > INT_MAX)
		return -1;
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(rs, (int)(len / 2), NULL);
	s = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL);
	if (sig != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(sig, r, s)) {
		r = s = NULL; /* owned by sig now */
		n = i2d_ECDSA_SIG(sig, der);
	}
	if (n <= 0) {
		*der = NULL;
		n = -1;
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return n;
}

int ukc_ecsig_to_der(const unsigned char *sig, size_t len, unsigned char **der)
{
	const unsigned char *p = sig;
	ECDSA_SIG *es;
	int n;

	*der = NULL;
	ERR_set_mark(); /* not DER is an answer, not an error to queue */
	es = len <= INT_MAX ? d2i_ECDSA_SIG(NULL, &p, (long)len) : NULL;
	ERR_pop_to_mark();
	if (es != NULL && p == sig + len) {
		n = i2d_ECDSA_SIG(es, der);
		ECDSA_SIG_free(es);
		return n > 0 ? n : -1;
	}
	ECDSA_SIG_free(es);
	if (len != 64 && len != 96 && len != 132)
		return 0;
	return ukc_ecsig_raw_to_der(sig, len, der);
}
