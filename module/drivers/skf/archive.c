/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Archived encryption pairs (docs/skf.md, "Labels"). SKF labels are the
 * container's name and cannot be changed, and rewriting anything on the
 * device to mark a pair archived would put the old encryption key at the
 * mercy of a torn write. So the driver derives it from what the device
 * holds: an encryption pair is archived when its container no longer has
 * a listed signing pair (retired, or none) and another container holds an
 * encryption certificate that starts later; the date shown is when the
 * first such successor starts. Nothing is written. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "certder.h"
#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"

/* notBefore or notAfter of a pair's certificate, or -1. */
static time_t cert_time(const struct skf_pair *p, int after)
{
	const unsigned char *q = p->cert;
	X509 *x = p->has_cert ? d2i_X509(NULL, &q, (long)p->certlen) : NULL;
	time_t t = -1;

	if (x && ukc_asn1_time(after ? X509_get0_notAfter(x) : X509_get0_notBefore(x), &t) != 0)
		t = -1;
	X509_free(x);
	return t;
}

bool ukey_skf_enc_archived(const struct skf_dev *d, const struct skf_container *c, char date[11])
{
	const struct skf_container *next = NULL;
	time_t mine, t, next_end = -1, start;
	struct tm tm;

	if (!c->pair[SKF_ENC].has_cert || c->pair[SKF_SIGN].has_key || (mine = cert_time(&c->pair[SKF_ENC], 1)) < 0)
		return false;
	for (size_t i = 0; i < d->nconts; i++)
		if (&d->conts[i] != c && (t = cert_time(&d->conts[i].pair[SKF_ENC], 1)) > mine &&
		    (next_end < 0 || t < next_end)) {
			next_end = t;
			next = &d->conts[i];
		}
	if (next == NULL || (start = cert_time(&next->pair[SKF_ENC], 0)) < 0 || !gmtime_r(&start, &tm))
		return false;
	strftime(date, 11, "%Y-%m-%d", &tm);
	return true;
}
