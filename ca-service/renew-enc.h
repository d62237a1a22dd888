/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * renew-enc.h: the encryption part of a renewal, the CA's key-management
 * role (docs/protocol.md "Renewal"): a new encryption key pair of the
 * CSR key's type, its certificate, and the pair enveloped to the CSR's
 * (the new signing) public key with ukc_envelope_build.
 */
#ifndef UKEY_CA_RENEW_ENC_H
#define UKEY_CA_RENEW_ENC_H

#include "svc.h"

struct svc_enc {
	EVP_PKEY *pair;
	unsigned char *env; /* OPENSSL_malloc'd */
	size_t env_len;
	const char *format;
};

/* Before anything is issued: the pair and its envelope to `to`, in the
 * first of `formats` (the request's `envelope_formats`, NULL when absent:
 * the format of to's type) that fits to's type. 0 ok; -1 answered in o (409
 * encryption_unsupported when no format fits). */
int svc_enc_prepare(EVP_PKEY *to, json_object *formats, struct svc_enc *e, struct resp *o);
/* Issues the encryption certificate (subject and validity of `sign`),
 * keeps the pair in the key-management store under rid and answers the
 * protocol's `encryption` object; NULL on failure (answered in o). */
json_object *svc_enc_issue(struct svc *s, const char *rid, const char *medium, X509 *sign,
			   struct svc_enc *e, struct resp *o);
void svc_enc_free(struct svc_enc *e);

#endif
