/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmp-sender.c: who protects a CMP request. The protecting certificate is
 * the first of the message's extraCerts (RFC 9483 section 3.3); the route
 * pins it so that OpenSSL checks the protection with exactly that key, and
 * this file judges the certificate as the native authentication (auth.c)
 * does: it chains to the user CA, is valid or expired less than 90 days
 * (the renewal's grace), is registered to a medium by serial and issuer and
 * is not revoked. A refusal is said in the answer to the request (cmp-issue.c)
 * in these words, with failInfo signerNotTrusted.
 */
#include "config.h"

#include "cmp.h"

#include <string.h>
#include <time.h>

void cmp_sender_check(struct cmp_call *c)
{
	const char *why;
	int expired;

	c->medium[0] = '\0';
	if (c->sender == NULL) {
		c->refusal = "the request carries no protecting certificate in extraCerts";
		return;
	}
	if (svc_cert_check(c->s, c->sender, time(NULL), 1, &expired, &why) != 0) {
		c->refusal = strcmp(why, "certificate has expired") == 0
				     ? "the protecting certificate expired more than 90 days ago"
				     : strcmp(why, "certificate is not yet valid") == 0
					       ? "the protecting certificate is not yet valid"
					       : "the protecting certificate was not issued by this CA";
		return;
	}
	if (svc_cert_medium(c->s, c->sender, c->medium, sizeof(c->medium), &why) != 0) {
		c->medium[0] = '\0';
		c->refusal = strcmp(why, "the certificate is revoked") == 0
				     ? "the protecting certificate is revoked"
				     : "the protecting certificate is not registered with any medium";
		return;
	}
	c->refusal = NULL;
}
