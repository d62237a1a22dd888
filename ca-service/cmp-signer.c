/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmp-signer.c: the key and certificate that sign the CMP endpoint's
 * answers: a dedicated signer (EC P-256, keyUsage digitalSignature,
 * extendedKeyUsage cmcCA as RFC 9483 section 3.1 asks of a CA's CMP
 * signer) issued by the user CA, so a client that trusts the user CA
 * (`cmp_trusted`) trusts the answers, and the CA key itself signs nothing
 * but certificates. `init` makes it; a state directory made before the CMP
 * endpoint gets it at start.
 */
#include "config.h"

#include "svc.h"

#include <stdio.h>

#include <openssl/pem.h>

static int load(const char *state, X509 **x, EVP_PKEY **k)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cmp-signer.pem", state);
	if ((f = fopen(path, "r")) != NULL) {
		*x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/cmp-signer.key", state);
	if ((f = fopen(path, "r")) != NULL) {
		*k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	return *x != NULL && *k != NULL && X509_check_private_key(*x, *k) == 1 ? 0 : -1;
}

int svc_cmp_signer_load(struct svc *s)
{
	if (load(s->state, &s->cmp_cert, &s->cmp_key) == 0)
		return 0;
	X509_free(s->cmp_cert);
	EVP_PKEY_free(s->cmp_key);
	s->cmp_cert = NULL;
	s->cmp_key = NULL;
	if (svc_make_pair(s->state, "cmp-signer", "ukey test CMP signer", "EC", s->ca_cert, s->ca_key,
			  SVC_CERT_CMP, &s->cmp_cert, &s->cmp_key) == 0)
		return 0;
	fprintf(stderr, "ca-service: cannot make %s/cmp-signer.{pem,key}\n", s->state);
	return -1;
}
