/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* kur.c: one key update with OpenSSL's CMP client (OSSL_CMP_exec_KUR_ses:
 * kur, pollReq while "waiting", certConf, pkiConf) in ossl/'s library
 * context. Both keys are token keys of ossl/'s provider, so OpenSSL's own
 * code makes the protection (old key) and the proof of possession (new
 * key) by C_Sign. The answer's protection must chain to cmp_trusted
 * (srvCert unset: the CA may renew its signing certificate); the
 * transaction ID is the caller's, so a rerun continues the same
 * transaction at the CA. Implicit confirmation is off: the certificate is
 * checked (req->check) before it is confirmed, and a failed check is sent
 * as a rejection in certConf, so the CA knows it was not taken. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "base/log.h"
#include "cmp/cmp.h"
#include "ossl/ossl.h"
#include "ukey-base.h"

STACK_OF(X509) *ukey_cmp_load_certs(const char *path, struct ukey_err *e)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b = path && path[0] ? BIO_new_file(path, "r") : NULL;
	X509 *x;

	while (b != NULL && sk != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x))
			X509_free(x);
	ERR_clear_error();
	BIO_free(b);
	if (sk == NULL || sk_X509_num(sk) == 0) {
		sk_X509_pop_free(sk, X509_free);
		ukey_err_set(e, UKEY_E_USAGE, _("no CA certificate to trust for CMP answers in '%s': set [service] "
						"cmp_trusted (or ca) to a PEM file"), path ? path : "");
		return NULL;
	}
	return sk;
}

void ukey_cmp_out_free(struct ukey_cmp_out *o)
{
	OPENSSL_free(o->der);
	o->der = NULL;
	o->der_len = 0;
}

struct run {
	const struct ukey_cmp_req *q;
	STACK_OF(X509) *trusted;
	struct ukey_err check_err; /* the check's refusal, code 0 when none */
	int checked;
};

static int on_log(const char *func, const char *file, int line, OSSL_CMP_severity level, const char *msg)
{
	(void)func;
	(void)file;
	(void)line;
	ukey_log(level <= OSSL_CMP_LOG_ERR ? UKEY_LOG_INFO : UKEY_LOG_DEBUG, "cmp: %s", msg);
	return 1;
}

static int certconf(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info, const char **text)
{
	struct run *r = OSSL_CMP_CTX_get_certConf_cb_arg(ctx);
	STACK_OF(X509) *chain = sk_X509_new_null(), *extra = OSSL_CMP_CTX_get1_extraCertsIn(ctx),
		       *capubs = OSSL_CMP_CTX_get1_caPubs(ctx);
	int ret;

	/* Whatever the answer carried may link the certificate to an
	 * anchor; check.c takes as anchors only those that verify the old
	 * certificate. */
	for (int i = 0; chain && i < sk_X509_num(r->trusted); i++)
		sk_X509_push(chain, sk_X509_value(r->trusted, i));
	for (int i = 0; chain && i < sk_X509_num(extra); i++)
		sk_X509_push(chain, sk_X509_value(extra, i));
	for (int i = 0; chain && i < sk_X509_num(capubs); i++)
		sk_X509_push(chain, sk_X509_value(capubs, i));
	r->checked = 1;
	/* Our check first, also when OpenSSL found a fault (fail_info): its
	 * words are the ones the user reads. */
	if (chain == NULL) {
		ukey_err_set(&r->check_err, UKEY_E_ERROR, _("out of memory"));
		ret = 1 << OSSL_CMP_PKIFAILUREINFO_systemFailure;
	} else if (r->q->check(r->q->check_arg, cert, chain, &r->check_err) != UKEY_E_OK) {
		ret = fail_info ? fail_info : 1 << OSSL_CMP_PKIFAILUREINFO_incorrectData;
		if (*text == NULL)
			*text = "the certificate failed the client's check";
	} else if (fail_info != 0) {
		ukey_err_set(&r->check_err, UKEY_E_SERVICE, _("OpenSSL refused the CA's certificate (%s)"),
			     *text ? *text : "?");
		ret = fail_info;
	} else {
		ret = 0;
	}
	sk_X509_free(chain);
	sk_X509_pop_free(extra, X509_free);
	sk_X509_pop_free(capubs, X509_free);
	return ret;
}

/* The trust anchors of the answers' protection. */
static int set_trust(OSSL_CMP_CTX *ctx, STACK_OF(X509) *certs)
{
	X509_STORE *st = X509_STORE_new();

	for (int i = 0; st && i < sk_X509_num(certs); i++)
		if (!X509_STORE_add_cert(st, sk_X509_value(certs, i)))
			goto bad;
	if (st && OSSL_CMP_CTX_set0_trustedStore(ctx, st))
		return 1;
bad:
	X509_STORE_free(st);
	return 0;
}

/* Why the exchange failed, in the order of what is most precise: our
 * check, the transport, the CA's status, OpenSSL's verdict on the answer. */
static int failed(OSSL_CMP_CTX *ctx, struct run *r, struct ukey_cmp_transfer *t, struct ukey_err *e)
{
	int status = OSSL_CMP_CTX_get_status(ctx);
	unsigned long err = ERR_peek_last_error();
	char words[sizeof(e->msg)];

	/* OpenSSL's whole story, for UKEY_LOG=debug. */
	{
		const char *file, *func, *data;
		int line, flags;
		unsigned long x;
		while ((x = ERR_get_error_all(&file, &line, &func, &data, &flags)) != 0)
			ukey_log(UKEY_LOG_DEBUG, "cmp: %s: %s%s%s", func ? func : "?", ERR_reason_error_string(x),
				 (flags & ERR_TXT_STRING) && data && *data ? ": " : "",
				 (flags & ERR_TXT_STRING) && data ? data : "");
	}
	if (r->check_err.code != 0) {
		*e = r->check_err;
		return e->code;
	}
	if (t->err.code != 0) {
		*e = t->err;
		return e->code;
	}
	if (status >= 0 && status != OSSL_CMP_PKISTATUS_accepted && status != OSSL_CMP_PKISTATUS_grantedWithMods) {
		ukey_cmp_status_words(status, OSSL_CMP_CTX_get_failInfoCode(ctx), OSSL_CMP_CTX_get0_statusString(ctx),
				      words, sizeof(words));
		return ukey_err_set(e, UKEY_E_SERVICE, "%s", words);
	}
	return ukey_err_set(e, UKEY_E_SERVICE, _("the CA's answer was refused: %s"),
			    err ? ERR_reason_error_string(err) : _("no certificate came"));
}

int ukey_cmp_kur(const struct ukey_cmp_req *q, struct ukey_cmp_out *out, struct ukey_err *e)
{
	struct ukey_cmp_transfer t = { .http = q->http, .path = q->path, .last_type = -1 };
	struct run r = { .q = q };
	const unsigned char *p = q->old_der;
	X509 *old = d2i_X509(NULL, &p, (long)q->old_len), *cert;
	EVP_PKEY *oldk = NULL, *newk = NULL;
	ASN1_OCTET_STRING *tid = ASN1_OCTET_STRING_new();
	OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(ukey_ossl_libctx(), NULL);
	int sm2, len, ret = UKEY_E_ERROR;

	memset(out, 0, sizeof(*out));
	out->status = -1;
	ERR_clear_error();
	if (ctx == NULL || old == NULL || tid == NULL || !ASN1_OCTET_STRING_set(tid, q->tid, UKEY_CMP_TID_LEN)) {
		ret = ukey_err_set(e, UKEY_E_ERROR, _("cannot set up the CMP client"));
		goto out;
	}
	if ((r.trusted = ukey_cmp_load_certs(q->trusted, e)) == NULL) {
		ret = e->code;
		goto out;
	}
	oldk = ukey_ossl_token_key(q->p, q->s, q->old_priv, X509_get0_pubkey(old), e);
	newk = oldk ? ukey_ossl_token_key(q->p, q->s, q->new_priv, q->new_pub, e) : NULL;
	if (newk == NULL) {
		ret = e->code;
		goto out;
	}
	/* One digest for the protection and the proof of possession: SM3
	 * with an SM2 key (the only one SM2 signs with), else SHA-256. */
	sm2 = EVP_PKEY_is_a(newk, "SM2") || EVP_PKEY_is_a(oldk, "SM2");
	if (!OSSL_CMP_CTX_set_log_cb(ctx, on_log) || !OSSL_CMP_CTX_set_transfer_cb(ctx, ukey_cmp_transfer_cb) ||
	    !OSSL_CMP_CTX_set_transfer_cb_arg(ctx, &t) || !OSSL_CMP_CTX_set_certConf_cb(ctx, certconf) ||
	    !OSSL_CMP_CTX_set_certConf_cb_arg(ctx, &r) || !set_trust(ctx, r.trusted) ||
	    !OSSL_CMP_CTX_set1_cert(ctx, old) || !OSSL_CMP_CTX_set1_pkey(ctx, oldk) || !OSSL_CMP_CTX_set1_oldCert(ctx, old) ||
	    !OSSL_CMP_CTX_set1_subjectName(ctx, X509_get_subject_name(old)) ||
	    !OSSL_CMP_CTX_set1_transactionID(ctx, tid) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_DIGEST_ALGNID, sm2 ? NID_sm3 : NID_sha256) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, 0) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_DISABLE_CONFIRM, 0) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_POPO_METHOD, OSSL_CRMF_POPO_SIGNATURE) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT, (int)q->total_timeout)) {
		ret = ukey_err_set(e, UKEY_E_ERROR, _("cannot set up the CMP client"));
		goto out;
	}
	/* The proof of possession's key; the context owns it from here. */
	if (!OSSL_CMP_CTX_set0_newPkey(ctx, 1, newk)) {
		ret = ukey_err_set(e, UKEY_E_ERROR, _("cannot set up the CMP client"));
		goto out;
	}
	newk = NULL;
	cert = OSSL_CMP_exec_KUR_ses(ctx);
	out->status = OSSL_CMP_CTX_get_status(ctx);
	snprintf(out->sender_nonce, sizeof(out->sender_nonce), "%s", t.sender_nonce);
	snprintf(out->recip_nonce, sizeof(out->recip_nonce), "%s", t.recip_nonce);
	out->closed = out->status == OSSL_CMP_PKISTATUS_rejection ||
		      (r.check_err.code != 0 && t.last_type == UKEY_CMP_BODY_PKICONF);
	if (cert == NULL || r.check_err.code != 0 || !r.checked) {
		if (cert != NULL && !r.checked)
			ret = ukey_err_set(e, UKEY_E_SERVICE, _("the CA's certificate was not checked"));
		else
			ret = failed(ctx, &r, &t, e);
		goto out;
	}
	len = i2d_X509(cert, &out->der);
	if (len <= 0) {
		out->der = NULL;
		ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		goto out;
	}
	out->der_len = (size_t)len;
	ret = UKEY_E_OK;
out:
	ERR_clear_error();
	sk_X509_pop_free(r.trusted, X509_free);
	EVP_PKEY_free(newk);
	EVP_PKEY_free(oldk);
	ASN1_OCTET_STRING_free(tid);
	OSSL_CMP_CTX_free(ctx);
	X509_free(old);
	return ret;
}
