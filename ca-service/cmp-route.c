/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmp-route.c: POST /.well-known/cmp (RFC 6712 CMP over HTTP, the path of
 * RFC 9483 section 6.1), one PKIMessage in, one out, both
 * application/pkixcmp; HTTP errors only for what is no PKIMessage. The
 * request's transaction gets its OpenSSL server context (cmp-session.c),
 * its protecting certificate is pinned and judged (cmp-sender.c), and
 * OpenSSL checks protection, nonces, transaction ID and proof of
 * possession before calling back (cmp-issue.c, cmp-confirm.c). The
 * faults (misbehave fail-500, drop-connection, hang) hit requests whose
 * pseudo-path /.well-known/cmp/<body type> (kur, certConf, pollReq, ...)
 * starts with `on`. A certConf or pollReq of a transaction this process no
 * longer holds (restarted, or pushed out) is answered after replaying the
 * stored kur, which gives the same certificate.
 */
#include "config.h"

#include "cmp.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static void plain(struct resp *o, int status, const char *text)
{
	free(o->body);
	o->body = strdup(text);
	o->len = o->body ? strlen(o->body) : 0;
	o->status = status;
	o->ctype = "text/plain; charset=utf-8";
}

static const char *body_path(int type)
{
	switch (type) {
	case CMP_BODY_IR: return SVC_CMP_PATH "/ir";
	case CMP_BODY_CR: return SVC_CMP_PATH "/cr";
	case CMP_BODY_P10CR: return SVC_CMP_PATH "/p10cr";
	case CMP_BODY_KUR: return SVC_CMP_PATH "/kur";
	case CMP_BODY_CERTCONF: return SVC_CMP_PATH "/certConf";
	case CMP_BODY_POLLREQ: return SVC_CMP_PATH "/pollReq";
	case CMP_BODY_RR: return SVC_CMP_PATH "/rr";
	case CMP_BODY_GENM: return SVC_CMP_PATH "/genm";
	case CMP_BODY_ERROR: return SVC_CMP_PATH "/error";
	default: return SVC_CMP_PATH "/other";
	}
}

/* OpenSSL answers a request it cannot process with an error message whose
 * statusString is the reason of the first error queued: these reasons are
 * that statusString in words. */
static ERR_STRING_DATA reasons[] = {
	{ CMP_ERR_NO_CERT, "the request carries no certificate in its extraCerts to check its protection with" },
	{ CMP_ERR_PROTECTION, "the request is not protected, or its protection does not verify with the first"
			      " certificate of its extraCerts" },
	{ CMP_ERR_GENM, "this CA answers no general messages (genm): its CA certificate comes from your"
			" configuration" },
	{ CMP_ERR_SENDER, "the protecting certificate is not accepted" },
	{ CMP_ERR_NOT_HERE, "no certificate of this transaction awaits this medium" },
	{ CMP_ERR_NOT_WAITING, "no request of this transaction is waiting" },
	{ CMP_ERR_HASH, "the confirmed certificate is not the one this transaction issued" },
	{ CMP_ERR_RECORD, "the CA could not record the confirmation" },
	{ 0, NULL },
};
static int err_lib;

void cmp_err(int reason, const char *detail)
{
	if (err_lib == 0 && (err_lib = ERR_get_next_error_library()) > 0)
		ERR_load_strings(err_lib, reasons);
	if (detail != NULL)
		ERR_raise_data(err_lib, reason, "%s", detail);
	else
		ERR_raise(err_lib, reason);
}

static void bind_sender(struct cmp_call *c, const unsigned char *der, long len)
{
	X509_free(c->sender);
	c->sender = cmp_protecting_cert(der, len);
	cmp_sender_check(c);
	cmp_call_bind(c);
}

/* Queues the words for a protection that fails (checked ahead by the same
 * OpenSSL function the request's processing calls). */
static void explain_protection(struct cmp_call *c, const OSSL_CMP_MSG *req)
{
	int ok = c->sender != NULL &&
		 OSSL_CMP_validate_msg(OSSL_CMP_SRV_CTX_get0_cmp_ctx(c->t->srv), req) == 1;

	ERR_clear_error();
	if (!ok)
		cmp_err(c->sender == NULL ? CMP_ERR_NO_CERT : CMP_ERR_PROTECTION, NULL);
}

/* Puts a transaction this process no longer holds back where its kup left
 * it: the stored kur replayed (answered from the stored renewal), then the
 * nonce the client answers to taken as the last one sent. */
static void restore(struct cmp_call *c, const OSSL_CMP_MSG *req, const unsigned char *der, long len)
{
	sqlite3_stmt *st = svc_db_prep(c->s, "SELECT kur FROM cmp_requests WHERE request_id = ?", "s",
				       c->rid);
	const unsigned char *p;
	long klen;
	OSSL_CMP_MSG *kur = NULL, *rsp = NULL;
	ASN1_OCTET_STRING *nonce = OSSL_CMP_HDR_get0_recipNonce(OSSL_CMP_MSG_get0_header(req));

	if (st == NULL || sqlite3_step(st) != SQLITE_ROW || nonce == NULL)
		goto out;
	p = sqlite3_column_blob(st, 0);
	klen = sqlite3_column_bytes(st, 0);
	kur = d2i_OSSL_CMP_MSG(NULL, &p, klen);
	if (kur == NULL)
		goto out;
	c->restoring = 1;
	bind_sender(c, sqlite3_column_blob(st, 0), klen);
	rsp = OSSL_CMP_SRV_process_request(c->t->srv, kur);
	c->restoring = 0;
	if (rsp != NULL && c->open) {
		OSSL_CMP_CTX_set1_senderNonce(OSSL_CMP_SRV_CTX_get0_cmp_ctx(c->t->srv), nonce);
		OSSL_CMP_MSG_free(c->t->kur);
		c->t->kur = kur;
		c->t->wait_left = 0;
		kur = NULL;
	}
out:
	ERR_clear_error();
	OSSL_CMP_MSG_free(rsp);
	OSSL_CMP_MSG_free(kur);
	sqlite3_finalize(st);
	bind_sender(c, der, len);
	c->open = 0;
}

void svc_route_cmp(struct svc *s, struct req *r, struct resp *o)
{
	const char *ct = svc_req_header(r, "Content-Type");
	const unsigned char *p = (const unsigned char *)r->body;
	struct cmp_call c = { .s = s };
	OSSL_CMP_MSG *req = NULL, *rsp = NULL;
	ASN1_OCTET_STRING *tid;
	unsigned char *out = NULL;
	char *hex = NULL;
	int type, len;

	if (strcmp(r->method, "POST") != 0) {
		plain(o, 405, "CMP messages are POSTed to " SVC_CMP_PATH "\n");
		return;
	}
	if (ct == NULL || strncmp(ct, "application/pkixcmp", 19) != 0) {
		plain(o, 415, "the body must be a DER PKIMessage of type application/pkixcmp\n");
		return;
	}
	req = p ? d2i_OSSL_CMP_MSG(NULL, &p, (long)r->len) : NULL;
	if (req == NULL || p != (const unsigned char *)r->body + r->len) {
		plain(o, 400, "the body is not one DER PKIMessage\n");
		goto out;
	}
	type = OSSL_CMP_MSG_get_bodytype(req);
	if (svc_misbehaving(s, r, o, body_path(type)))
		goto out;
	tid = OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(req));
	hex = tid ? ukc_hex_dup(ASN1_STRING_get0_data(tid), (size_t)ASN1_STRING_length(tid)) : NULL;
	if (hex == NULL || strlen(hex) > 64 || (c.t = cmp_txn_get(s, tid)) == NULL) {
		plain(o, 400, "the PKIMessage has no usable transactionID (1 to 32 bytes)\n");
		goto out;
	}
	snprintf(c.rid, sizeof(c.rid), "cmp-%s", hex);
	if (svc_db_begin(s) != 0) {
		plain(o, 503, "database busy\n");
		goto out;
	}
	ERR_clear_error();
	if ((type == CMP_BODY_CERTCONF || type == CMP_BODY_POLLREQ) && !c.t->open)
		restore(&c, req, (const unsigned char *)r->body, (long)r->len);
	else
		bind_sender(&c, (const unsigned char *)r->body, (long)r->len);
	explain_protection(&c, req);
	rsp = OSSL_CMP_SRV_process_request(c.t->srv, req);
	ERR_clear_error();
	svc_db_end(s, !c.dbfail);
	c.t->open = rsp != NULL && c.open && OSSL_CMP_MSG_get_bodytype(rsp) != CMP_BODY_ERROR;
	len = rsp ? i2d_OSSL_CMP_MSG(rsp, &out) : -1;
	if (len <= 0) {
		plain(o, 500, "the CA could not make a CMP answer\n");
		goto out;
	}
	free(o->body);
	o->body = malloc((size_t)len);
	if (o->body == NULL) {
		plain(o, 500, "out of memory\n");
		goto out;
	}
	memcpy(o->body, out, (size_t)len);
	o->len = (size_t)len;
	o->status = 200;
	o->ctype = "application/pkixcmp";
out:
	OPENSSL_free(out);
	OSSL_CMP_MSG_free(req);
	OSSL_CMP_MSG_free(rsp);
	X509_free(c.sender);
	free(hex);
}
