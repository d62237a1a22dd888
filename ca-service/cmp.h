/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmp.h: the CMP endpoint (POST /.well-known/cmp), RFC 4210 key update on
 * OpenSSL's server-side CMP API. OpenSSL keeps a transaction's state
 * (transaction ID, nonces, certReqId) in its server context, so each
 * transaction in progress has its own (cmp-session.c); the renewal itself
 * is the native one's (routes-renew.c): same gate, same issuer, same rows.
 */
#ifndef UKEY_CA_CMP_H
#define UKEY_CA_CMP_H

#include "svc.h"

#include <openssl/cmp.h>
#include <openssl/crmf.h>

/* PKIBody choices (RFC 4210 section 5.1.2): OpenSSL 3.0 keeps its names
 * for them private. */
enum {
	CMP_BODY_IR = 0, CMP_BODY_CR = 2, CMP_BODY_P10CR = 4, CMP_BODY_KUR = 7, CMP_BODY_RR = 11,
	CMP_BODY_GENM = 21, CMP_BODY_ERROR = 23, CMP_BODY_CERTCONF = 24, CMP_BODY_POLLREQ = 25,
};

/* One transaction in progress. */
struct cmp_txn {
	unsigned char tid[64];
	int tid_len; /* 0: free */
	OSSL_CMP_SRV_CTX *srv;
	time_t used;
	int open;	    /* a certConf or pollReq is expected */
	long wait_left;	    /* pollRep answers left (misbehave cmp-waiting) */
	OSSL_CMP_MSG *kur;  /* the request a pollReq asks about */
};

/* What the callbacks of one request see (OpenSSL's custom context). */
struct cmp_call {
	struct svc *s;
	struct cmp_txn *t;
	char rid[80];	     /* the renewal's request_id: "cmp-" and the hex transaction ID */
	X509 *sender;	     /* the protecting certificate (extraCerts[0]) */
	char medium[64];     /* its medium */
	const char *refusal; /* why the protecting certificate is not accepted, or NULL */
	int restoring;	     /* replaying the stored kur of a transaction (cmp-route.c) */
	int open;	     /* the answer leaves the transaction open */
	int dbfail;	     /* roll the request's database transaction back */
};

/* cmp-route.c: queues an error whose reason OpenSSL's error answer gives
 * as its statusString (these words) and detail as its errorDetails. */
enum {
	CMP_ERR_NO_CERT = 1, CMP_ERR_PROTECTION, CMP_ERR_GENM, CMP_ERR_SENDER, CMP_ERR_NOT_HERE,
	CMP_ERR_NOT_WAITING, CMP_ERR_HASH, CMP_ERR_RECORD,
};
void cmp_err(int reason, const char *detail);

/* cmp-asn1.c: the parts of a message OpenSSL 3.0 has no getter for. */
X509 *cmp_protecting_cert(const unsigned char *der, long len);
EVP_PKEY *cmp_template_key(const OSSL_CRMF_MSG *crm);
int cmp_pkisi_status(const OSSL_CMP_PKISI *si);

/* cmp-sender.c: the verdict on the protecting certificate. */
void cmp_sender_check(struct cmp_call *c);

/* cmp-session.c */
struct cmp_txn *cmp_txn_get(struct svc *s, const ASN1_OCTET_STRING *tid);
void cmp_call_bind(struct cmp_call *c);

/* cmp-issue.c, cmp-confirm.c: OpenSSL's server callbacks. */
OSSL_CMP_PKISI *cmp_cert_request(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId,
				 const OSSL_CRMF_MSG *crm, const X509_REQ *p10cr, X509 **certOut,
				 STACK_OF(X509) **chainOut, STACK_OF(X509) **caPubs);
X509 *cmp_issued_cert(struct svc *s, const char *rid, char **medium, char **state);
int cmp_cert_conf(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId,
		  const ASN1_OCTET_STRING *certHash, const OSSL_CMP_PKISI *si);
int cmp_poll(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId, OSSL_CMP_MSG **certReq,
	     int64_t *check_after);
int cmp_genm(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, const STACK_OF(OSSL_CMP_ITAV) *in,
	     STACK_OF(OSSL_CMP_ITAV) **out);
OSSL_CMP_PKISI *cmp_rr(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, const X509_NAME *issuer,
		       const ASN1_INTEGER *serial);
void cmp_error(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, const OSSL_CMP_PKISI *si,
	       const ASN1_INTEGER *errorCode, const OSSL_CMP_PKIFREETEXT *errorDetails);

#endif
