/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmp-issue.c: the certificate request of a CMP transaction. Only a key
 * update request (kur) is served: it renews the protecting certificate for
 * the template's public key, whose proof of possession OpenSSL has checked,
 * under the native renewal's rules (routes-renew.c: the same gate on binding,
 * identity and order, the same issuer, subject and validity, the same rows,
 * request_id "cmp-<hex transaction ID>"). Idempotent on the transaction ID:
 * the same ID and key get the same certificate again, another key or
 * medium under a used ID is refused (transactionIdInUse). A refusal is a
 * rejection whose failInfo says what kind and whose statusString says why
 * in plain words.
 */
#include "config.h"

#include "cmp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static OSSL_CMP_PKISI *refuse(int bit, const char *why)
{
	return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, bit < 0 ? 0 : 1 << bit, why);
}

static const char *body_name(int type)
{
	switch (type) {
	case CMP_BODY_IR: return "an initialization request (ir)";
	case CMP_BODY_CR: return "a certification request (cr)";
	case CMP_BODY_P10CR: return "a PKCS#10 request (p10cr)";
	default: return "this request";
	}
}

/* The certificate a renewal issued, from its stored answer. */
X509 *cmp_issued_cert(struct svc *s, const char *rid, char **medium, char **state)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT response, medium, state FROM renewals"
					  " WHERE request_id = ?", "s", rid);
	json_object *j = NULL, *v;
	X509 *x = NULL;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		j = json_tokener_parse((const char *)sqlite3_column_text(st, 0));
		if (j && json_object_object_get_ex(j, "certificate", &v))
			x = ukc_x509_from_pem(json_object_get_string(v));
		if (medium)
			*medium = svc_col_text(st, 1);
		if (state)
			*state = svc_col_text(st, 2);
	}
	json_object_put(j);
	sqlite3_finalize(st);
	return x;
}

static char *key_hash(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(k, &der);
	char hex[65];

	if (len <= 0)
		return NULL;
	ukc_sha256_hex(der, (size_t)len, hex);
	OPENSSL_free(der);
	return hex[0] ? strdup(hex) : NULL;
}

/* Issues and stores a new renewal; NULL and *si the refusal otherwise. */
static X509 *issue_new(struct cmp_call *c, const OSSL_CMP_MSG *req, EVP_PKEY *key, const char *hash,
		       OSSL_CMP_PKISI **si)
{
	struct svc *s = c->s;
	struct svc_refusal why;
	char *order = NULL, *pem = NULL, *capem = NULL, *serial = NULL;
	unsigned char *kur = NULL;
	json_object *out = NULL, *chain;
	int enc = 0, kur_len;
	X509 *x = NULL;

	if (svc_renew_gate(s, c->medium, 0, &order, &enc, &why) != 0) {
		*si = why.status == 0 ? refuse(OSSL_CMP_PKIFAILUREINFO_systemUnavail, why.msg)
				      : refuse(OSSL_CMP_PKIFAILUREINFO_notAuthorized, why.msg);
		goto out;
	}
	if (enc) {
		*si = refuse(OSSL_CMP_PKIFAILUREINFO_badRequest,
			     "the renewal order includes an encryption certificate, which this CA"
			     " delivers over its native protocol only");
		goto out;
	}
	x = svc_renew_issue(s, c->sender, key);
	pem = x ? ukc_x509_to_pem(x) : NULL;
	capem = ukc_x509_to_pem(s->ca_cert);
	serial = x ? ukc_x509_serial_hex(x) : NULL;
	kur_len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &kur);
	if (pem == NULL || capem == NULL || serial == NULL || kur_len <= 0 ||
	    svc_cert_register(s, c->medium, x) != 0)
		goto fail;
	/* The native answer's shape: GET /api/v1/renewals/<id> serves it too. */
	out = json_object_new_object();
	json_object_object_add(out, "request_id", json_object_new_string(c->rid));
	json_object_object_add(out, "certificate", json_object_new_string(pem));
	chain = json_object_new_array();
	json_object_array_add(chain, json_object_new_string(capem));
	json_object_object_add(out, "chain", chain);
	json_object_object_add(out, "encryption", NULL);
	if (svc_db_run(s, "INSERT INTO renewals(request_id, medium, body_sha256, order_id, response,"
			  " cert_serial, state, created) VALUES(?, ?, ?, ?, ?, ?, 'issued', ?)",
		       "ssssssi", c->rid, c->medium, hash, order,
		       json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE),
		       serial, (int64_t)time(NULL)) ||
	    svc_db_run(s, "INSERT INTO cmp_requests(request_id, kur) VALUES(?, ?)", "sb", c->rid, kur,
		       kur_len) ||
	    svc_db_run(s, "UPDATE orders SET renewal = ? WHERE id = ?", "ss", c->rid, order))
		goto fail;
	goto out;
fail:
	c->dbfail = 1;
	X509_free(x);
	x = NULL;
	*si = refuse(OSSL_CMP_PKIFAILUREINFO_systemFailure, "the CA could not issue the certificate");
out:
	json_object_put(out);
	OPENSSL_free(kur);
	free(order);
	free(pem);
	free(capem);
	free(serial);
	return x;
}

/* The template's checks; NULL when they pass. */
static OSSL_CMP_PKISI *template_refused(struct cmp_call *c, const OSSL_CRMF_MSG *crm, EVP_PKEY *key)
{
	const OSSL_CRMF_CERTID *old = OSSL_CRMF_MSG_get0_regCtrl_oldCertID(crm);
	const X509_NAME *subj = OSSL_CRMF_CERTTEMPLATE_get0_subject(OSSL_CRMF_MSG_get0_tmpl(crm));

	if (old != NULL &&
	    (ASN1_INTEGER_cmp(OSSL_CRMF_CERTID_get0_serialNumber(old), X509_get0_serialNumber(c->sender)) != 0 ||
	     OSSL_CRMF_CERTID_get0_issuer(old) == NULL ||
	     X509_NAME_cmp(OSSL_CRMF_CERTID_get0_issuer(old), X509_get_issuer_name(c->sender)) != 0))
		return refuse(OSSL_CMP_PKIFAILUREINFO_badCertId,
			      "the request names another certificate to update (oldCertID) than the one"
			      " that protects it");
	if (key == NULL)
		return refuse(OSSL_CMP_PKIFAILUREINFO_badCertTemplate,
			      "the certificate template carries no public key");
	if (!svc_renew_key_ok(key))
		return refuse(OSSL_CMP_PKIFAILUREINFO_badAlg,
			      "the new key must be RSA of 2048 bits or more, EC or SM2");
	if (EVP_PKEY_eq(key, X509_get0_pubkey(c->sender)) == 1)
		return refuse(OSSL_CMP_PKIFAILUREINFO_badCertTemplate,
			      "the new key is the old key: a key update needs a new key pair");
	if (subj != NULL && X509_NAME_entry_count(subj) > 0 &&
	    X509_NAME_cmp(subj, X509_get_subject_name(c->sender)) != 0)
		return refuse(OSSL_CMP_PKIFAILUREINFO_badCertTemplate,
			      "a renewal keeps the subject of the certificate it renews");
	return NULL;
}

OSSL_CMP_PKISI *cmp_cert_request(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId,
				 const OSSL_CRMF_MSG *crm, const X509_REQ *p10cr, X509 **certOut,
				 STACK_OF(X509) **chainOut, STACK_OF(X509) **caPubs)
{
	struct cmp_call *c = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
	struct svc *s = c->s;
	int type = OSSL_CMP_MSG_get_bodytype(req);
	char *hash = NULL, *medium = NULL, *state = NULL, *prev_hash = NULL, msg[200];
	OSSL_CMP_PKISI *si = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;

	(void)certReqId;
	(void)p10cr;
	(void)caPubs;
	if (type != CMP_BODY_KUR) {
		snprintf(msg, sizeof(msg), "this CA renews certificates by key update requests (kur) only;"
			 " %s is not served", body_name(type));
		return refuse(OSSL_CMP_PKIFAILUREINFO_badRequest, msg);
	}
	if (c->refusal != NULL)
		return refuse(OSSL_CMP_PKIFAILUREINFO_signerNotTrusted, c->refusal);
	if (crm == NULL)
		return refuse(OSSL_CMP_PKIFAILUREINFO_badRequest, "the request holds no certificate request");
	key = cmp_template_key(crm);
	if ((si = template_refused(c, crm, key)) != NULL)
		goto out;
	hash = key_hash(key);
	x = cmp_issued_cert(s, c->rid, &medium, &state);
	if (x != NULL) {
		prev_hash = svc_db_text(s, "SELECT body_sha256 FROM renewals WHERE request_id = ?", "s", c->rid);
		if (strcmp(medium, c->medium) != 0 || hash == NULL || prev_hash == NULL ||
		    strcmp(hash, prev_hash) != 0)
			si = refuse(OSSL_CMP_PKIFAILUREINFO_transactionIdInUse,
				    "this transaction ID was used for another key; a new request needs a new"
				    " transaction ID");
		else if (strcmp(state, "rejected") == 0)
			si = refuse(OSSL_CMP_PKIFAILUREINFO_transactionIdInUse,
				    "the certificate of this transaction was rejected by the client; a new"
				    " request needs a new transaction ID");
	} else if (hash == NULL) {
		si = refuse(OSSL_CMP_PKIFAILUREINFO_systemFailure, "out of memory");
	} else {
		x = issue_new(c, req, key, hash, &si);
	}
	if (si != NULL)
		goto out;
	if (!c->restoring && strcmp(s->misbehave, "cmp-waiting") == 0) {
		/* Delivered through polling: this answer and times - 1 pollRep. */
		c->t->wait_left = s->misbehave_times > 1 ? s->misbehave_times - 1 : 0;
		snprintf(s->misbehave, sizeof(s->misbehave), "none");
		OSSL_CMP_MSG_free(c->t->kur);
		c->t->kur = OSSL_CMP_MSG_dup(req);
		c->open = c->t->kur != NULL;
		si = c->open ? OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_waiting, 0,
						       "the certificate awaits the CA's approval: poll for it")
			     : refuse(OSSL_CMP_PKIFAILUREINFO_systemFailure, "out of memory");
		goto out;
	}
	si = OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, NULL);
	*chainOut = sk_X509_new_null();
	if (si == NULL || *chainOut == NULL ||
	    !X509_add_cert(*chainOut, s->ca_cert, X509_ADD_FLAG_UP_REF)) {
		OSSL_CMP_PKISI_free(si);
		si = refuse(OSSL_CMP_PKIFAILUREINFO_systemFailure, "out of memory");
		goto out;
	}
	*certOut = x;
	x = NULL;
	c->open = 1;
out:
	EVP_PKEY_free(key);
	X509_free(x);
	free(hash);
	free(prev_hash);
	free(medium);
	free(state);
	return si;
}
