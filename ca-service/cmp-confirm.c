/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmp-confirm.c: the rest of a CMP transaction. certConf: the client's
 * verdict on the certificate (its hash checked against the one issued);
 * accepted, the renewal is installed and the order used, as the native
 * POST /api/v1/renewals/<id>/installed makes them; rejected, the
 * certificate is revoked and the order freed for a new transaction. pollReq:
 * pollRep while misbehave cmp-waiting holds the certificate back, then the
 * kup. A revocation request and a general message are refused in words; an
 * error message from the client is logged.
 */
#include "config.h"

#include "cmp.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

/* The request comes from the transaction's medium. */
static int same_medium(struct cmp_call *c)
{
	char *m;
	int ok;

	if (c->refusal != NULL) {
		cmp_err(CMP_ERR_SENDER, c->refusal);
		return 0;
	}
	m = svc_db_text(c->s, "SELECT medium FROM renewals WHERE request_id = ?", "s", c->rid);
	ok = m != NULL && strcmp(m, c->medium) == 0;
	free(m);
	if (!ok)
		cmp_err(CMP_ERR_NOT_HERE, NULL);
	return ok;
}

int cmp_cert_conf(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId,
		  const ASN1_OCTET_STRING *certHash, const OSSL_CMP_PKISI *si)
{
	struct cmp_call *c = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
	char *state = NULL, *serial = NULL;
	ASN1_OCTET_STRING *hash = NULL;
	X509 *x = NULL;
	int st, ok = 0;

	(void)req;
	(void)certReqId;
	if (!same_medium(c))
		return 0;
	x = cmp_issued_cert(c->s, c->rid, NULL, &state);
	hash = x ? X509_digest_sig(x, NULL, NULL) : NULL;
	if (hash == NULL || certHash == NULL || ASN1_OCTET_STRING_cmp(hash, certHash) != 0) {
		cmp_err(CMP_ERR_HASH, NULL);
		goto out;
	}
	st = si ? cmp_pkisi_status(si) : OSSL_CMP_PKISTATUS_accepted;
	ok = 1;
	if (strcmp(state, "issued") != 0) /* confirmed before: the same answer */
		goto out;
	if (st == OSSL_CMP_PKISTATUS_accepted || st == OSSL_CMP_PKISTATUS_grantedWithMods) {
		if (svc_db_run(c->s, "UPDATE renewals SET state = 'installed' WHERE request_id = ?", "s",
			       c->rid) ||
		    svc_db_run(c->s, "UPDATE orders SET state = 'used' WHERE renewal = ?", "s", c->rid))
			ok = 0;
	} else {
		serial = ukc_x509_serial_hex(x);
		fprintf(stderr, "ca-service: cmp: %s: the client rejected certificate %s: revoked\n",
			c->rid, serial ? serial : "?");
		if (serial == NULL ||
		    svc_db_run(c->s, "UPDATE renewals SET state = 'rejected' WHERE request_id = ?", "s",
			       c->rid) ||
		    svc_db_run(c->s, "UPDATE certificates SET revoked = 1 WHERE serial = ? AND medium = ?",
			       "ss", serial, c->medium) ||
		    svc_db_run(c->s, "UPDATE orders SET renewal = NULL WHERE renewal = ? AND state = 'paid'",
			       "s", c->rid))
			ok = 0;
	}
	if (!ok) {
		c->dbfail = 1;
		cmp_err(CMP_ERR_RECORD, NULL);
	}
out:
	ASN1_OCTET_STRING_free(hash);
	X509_free(x);
	free(state);
	free(serial);
	return ok;
}

int cmp_poll(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId, OSSL_CMP_MSG **certReq,
	     int64_t *check_after)
{
	struct cmp_call *c = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);

	(void)req;
	(void)certReqId;
	*certReq = NULL;
	if (!same_medium(c))
		return 0;
	if (c->t->kur == NULL) {
		cmp_err(CMP_ERR_NOT_WAITING, NULL);
		return 0;
	}
	c->open = 1;
	if (c->t->wait_left > 0) {
		c->t->wait_left--;
		*check_after = 1;
		return 1;
	}
	*certReq = OSSL_CMP_MSG_dup(c->t->kur);
	return *certReq != NULL;
}

int cmp_genm(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, const STACK_OF(OSSL_CMP_ITAV) *in,
	     STACK_OF(OSSL_CMP_ITAV) **out)
{
	(void)srv;
	(void)req;
	(void)in;
	*out = NULL;
	cmp_err(CMP_ERR_GENM, NULL);
	return 0;
}

OSSL_CMP_PKISI *cmp_rr(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, const X509_NAME *issuer,
		       const ASN1_INTEGER *serial)
{
	(void)srv;
	(void)req;
	(void)issuer;
	(void)serial;
	return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection,
				       1 << OSSL_CMP_PKIFAILUREINFO_badRequest,
				       "this CA does not revoke certificates over CMP: ask the CA's"
				       " counter");
}

void cmp_error(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, const OSSL_CMP_PKISI *si,
	       const ASN1_INTEGER *errorCode, const OSSL_CMP_PKIFREETEXT *errorDetails)
{
	struct cmp_call *c = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
	char buf[512];

	(void)req;
	(void)errorCode;
	(void)errorDetails;
	fprintf(stderr, "ca-service: cmp: %s: the client sent an error: %s\n", c->rid,
		si && OSSL_CMP_snprint_PKIStatusInfo(si, buf, sizeof(buf)) ? buf : "?");
}
