/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmp-session.c: the CMP transactions in progress, each with its own
 * OpenSSL server context (which holds the transaction ID, the nonces and
 * the certReqId a certConf or pollReq is checked against), looked up by
 * transaction ID. At most CMP_TXN_MAX are held; the least recently used
 * gives its place up. Losing one costs nothing but a restore: a certConf
 * or pollReq of a transaction no longer held is answered from the stored
 * kur (cmp-route.c). The answers are signed by the CMP signer certificate
 * (cmp-signer.c), whose chain goes in their extraCerts.
 */
#include "config.h"

#include "cmp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define CMP_TXN_MAX 64

struct cmp_table {
	struct cmp_txn t[CMP_TXN_MAX];
};

static int log_cb(const char *func, const char *file, int line, OSSL_CMP_severity level,
		  const char *msg)
{
	(void)func;
	(void)file;
	(void)line;
	if (level <= OSSL_CMP_LOG_WARNING)
		fprintf(stderr, "ca-service: cmp: %s\n", msg);
	return 1;
}

static OSSL_CMP_SRV_CTX *srv_new(struct svc *s)
{
	OSSL_CMP_SRV_CTX *srv = OSSL_CMP_SRV_CTX_new(NULL, NULL);
	OSSL_CMP_CTX *ctx = srv ? OSSL_CMP_SRV_CTX_get0_cmp_ctx(srv) : NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	int ok;

	/* The CA certificate lets OpenSSL build the signer's chain for
	 * extraCerts (it leaves the self-signed root out, as RFC 9483 asks). */
	ok = ctx != NULL && chain != NULL && sk_X509_push(chain, s->ca_cert) &&
	     OSSL_CMP_CTX_set_log_cb(ctx, log_cb) && OSSL_CMP_CTX_set1_cert(ctx, s->cmp_cert) &&
	     OSSL_CMP_CTX_set1_pkey(ctx, s->cmp_key) && OSSL_CMP_CTX_set1_untrusted(ctx, chain) &&
	     /* Every answer is protected, errors too; requests must be. */
	     OSSL_CMP_SRV_CTX_set_send_unprotected_errors(srv, 0) &&
	     OSSL_CMP_SRV_CTX_set_accept_unprotected(srv, 0) &&
	     OSSL_CMP_SRV_CTX_set_accept_raverified(srv, 0) &&
	     /* The order becomes used when the client confirms: no implicitConfirm. */
	     OSSL_CMP_SRV_CTX_set_grant_implicit_confirm(srv, 0);
	sk_X509_free(chain);
	if (!ok) {
		OSSL_CMP_SRV_CTX_free(srv);
		return NULL;
	}
	return srv;
}

static void txn_clear(struct cmp_txn *t)
{
	OSSL_CMP_SRV_CTX_free(t->srv);
	OSSL_CMP_MSG_free(t->kur);
	memset(t, 0, sizeof(*t));
}

struct cmp_txn *cmp_txn_get(struct svc *s, const ASN1_OCTET_STRING *tid)
{
	struct cmp_table *tab = s->cmp;
	struct cmp_txn *t, *lru = NULL, *free_slot = NULL;
	int i, n = ASN1_STRING_length(tid);

	if (tab == NULL && (tab = s->cmp = calloc(1, sizeof(*tab))) == NULL)
		return NULL;
	if (n <= 0 || n > (int)sizeof(t->tid))
		return NULL;
	for (i = 0; i < CMP_TXN_MAX; i++) {
		t = &tab->t[i];
		if (t->tid_len == n && memcmp(t->tid, ASN1_STRING_get0_data(tid), (size_t)n) == 0) {
			t->used = time(NULL);
			return t;
		}
		if (t->tid_len == 0) {
			if (free_slot == NULL)
				free_slot = t;
		} else if (lru == NULL || t->used < lru->used) {
			lru = t;
		}
	}
	if (free_slot != NULL)
		lru = free_slot;
	txn_clear(lru);
	if ((lru->srv = srv_new(s)) == NULL)
		return NULL;
	memcpy(lru->tid, ASN1_STRING_get0_data(tid), (size_t)n);
	lru->tid_len = n;
	lru->used = time(NULL);
	return lru;
}

/* Points the transaction's context at this request: its callbacks see c,
 * and the protection is checked with c's protecting certificate. */
void cmp_call_bind(struct cmp_call *c)
{
	OSSL_CMP_SRV_CTX_init(c->t->srv, c, cmp_cert_request, cmp_rr, cmp_genm, cmp_error,
			      cmp_cert_conf, cmp_poll);
	OSSL_CMP_CTX_set1_srvCert(OSSL_CMP_SRV_CTX_get0_cmp_ctx(c->t->srv), c->sender);
}

void svc_cmp_free(struct svc *s)
{
	struct cmp_table *tab = s->cmp;
	int i;

	for (i = 0; tab != NULL && i < CMP_TXN_MAX; i++)
		txn_clear(&tab->t[i]);
	free(tab);
	s->cmp = NULL;
	X509_free(s->cmp_cert);
	EVP_PKEY_free(s->cmp_key);
}
