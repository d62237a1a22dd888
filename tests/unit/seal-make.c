/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal-make OUT: writes a seal shaped as one seen in the wild for the shell
 * tests (tests/plugin/ukey-seals.sh), built with seal-build.c: the 2014
 * shape whose certList holds an IA5String placeholder instead of the
 * holder's certificate, signed by a fresh SM2 seal maker.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "seal-build.h"

int main(int argc, char **argv)
{
	static const unsigned char placeholder[] = "\x16\x0bno-cert-yet";
	time_t now = time(NULL);
	struct sb_opts o;
	unsigned char *der = NULL;
	size_t len = 0;
	FILE *f;
	int ok;

	if (argc != 2) {
		fprintf(stderr, "usage: seal-make OUT\n");
		return 2;
	}
	sb_defaults(&o);
	sb_wild_2014(&o, placeholder, sizeof(placeholder) - 1);
	o.maker = sb_key("SM2");
	o.maker_cert = o.maker ? sb_cert(o.maker, now - 86400, now + 86400 * 365) : NULL;
	if (o.maker_cert)
		der = sb_build(&o, &len);
	f = der ? fopen(argv[1], "wb") : NULL;
	ok = f && fwrite(der, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok)
		fprintf(stderr, "seal-make: cannot make %s\n", argv[1]);
	free(der);
	X509_free(o.maker_cert);
	EVP_PKEY_free(o.maker);
	return ok ? 0 : 1;
}
