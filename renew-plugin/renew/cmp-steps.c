/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* cmp-steps.c: steps 3 and 4 when the CA speaks CMP ([service] protocol =
 * cmp): the key update (cmp/) instead of POST /api/v1/renewals, with the
 * same check of the certificate (check.c) before it is confirmed to the
 * CA and again, from the journal, on every resume.
 *
 * Resuming: the transaction ID is drawn and journaled (durably) before
 * the first message leaves, and a rerun sends its kur under the same ID.
 * A CA that already issued for it answers with that certificate (the
 * reference service is idempotent on it); one that never saw the first
 * run (it died before or while sending) starts the transaction then. A
 * kur is never sent under a new ID for a pending key while the
 * transaction may be open: a CA that issued once and saw the client die
 * before certConf would otherwise issue a second certificate for the same
 * key. Once the CA closed it without a certificate kept (it rejected the
 * request, or took our rejection of its certificate with pkiConf), the
 * ID is dropped and a rerun starts a new transaction. The journal keeps the certificate
 * only once checked and confirmed ("cmp_cert", "cmp_confirmed"), with the
 * last nonces for whoever debugs a transaction with the CA. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include "b64.h"
#include "cmp/cmp.h"
#include "renew.h"
#include "ukey-base.h"

/* OpenSSL 3's CMP code cannot carry an SM2 signature either way, found
 * against its mock server: it picks the protection algorithm with
 * OBJ_find_sigid_by_algs(digest, EVP_PKEY_get_id(key)), and an SM2 key
 * (a provider's, id EVP_PKEY_KEYMGMT, or a decoded one, EVP_PKEY_EC) has
 * no entry ("unsupported key type"); and it verifies SM2 signatures (the
 * protection, the proof of possession, the signer's certificate path)
 * without a distinguishing ID, so with an empty one, where every GM/T
 * 0009 signer (a U-KEY, a Chinese CA) uses 1234567812345678. Refused
 * before the token is touched rather than failing at step 3. */
const char *ukey_renew_cmp_no_sm2(void)
{
	return _("SM2 keys cannot be renewed by CMP: OpenSSL's CMP cannot sign with an SM2 key, and verifies SM2 "
		 "signatures without the GM/T 0009 signer ID; renew an SM2 U-KEY with the native protocol");
}

/* The old signing key: the private key with the journal's old CKA_ID. */
static int old_key(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn, CK_OBJECT_HANDLE *h,
		   struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	unsigned char id[64];
	size_t id_len = 0;
	CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, id, 0 } };
	CK_ULONG n = 0;
	CK_RV rv;

	if (ukey_unhex(ukey_journal_str(jn, "old_id"), id, sizeof(id), &id_len) != 0 || id_len == 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("the journal %s is damaged; move it away to start over"), jn->path);
	t[1].ulValueLen = id_len;
	rv = p->f->C_FindObjectsInit(s, t, 2);
	if (rv == CKR_OK) {
		rv = p->f->C_FindObjects(s, h, 1, &n);
		p->f->C_FindObjectsFinal(s);
	}
	if (rv != CKR_OK || n != 1)
		return ukey_err_set(e, UKEY_E_TOKEN, _("the old signing key, which signs the CMP request, is not on the "
						       "U-KEY (%s)"), rv != CKR_OK ? ukey_p11_rv_name(rv) : "not found");
	return UKEY_E_OK;
}

/* check.c's verdict on a certificate, given as X509. */
static int check_x509(const struct ukey_renew_expect *w, X509 *x, STACK_OF(X509) *chain, unsigned char **der,
		      size_t *der_len, struct ukey_err *e)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long n;
	int ret;

	*der = NULL;
	if (b == NULL || !PEM_write_bio_X509(b, x) || (n = BIO_get_mem_data(b, &pem)) <= 0 ||
	    (pem = strndup(pem, (size_t)n)) == NULL) {
		BIO_free(b);
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	}
	BIO_free(b);
	ret = ukey_renew_check(w, pem, chain, der, der_len, e);
	free(pem);
	return ret;
}

static int check_cb(void *arg, X509 *cert, STACK_OF(X509) *chain, struct ukey_err *e)
{
	unsigned char *der = NULL;
	size_t len = 0;
	int ret = check_x509(arg, cert, chain, &der, &len, e);

	OPENSSL_free(der);
	return ret;
}

static long total_timeout(void)
{
	const char *v = getenv("UKEY_CMP_TOTAL_TIMEOUT");

	/* Long enough for a CA that asks to poll a few times; for tests, shorter. */
	return v != NULL && atol(v) > 0 && atol(v) < 300 ? atol(v) : 300;
}

int ukey_renew_cmp_request(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_client *c, struct ukey_journal *jn,
			   const struct ukey_renew_key *k, const struct ukey_renew_expect *w, struct ukey_err *e)
{
	struct ukey_cmp_req q = {
		.p = p, .s = s, .old_der = w->old_der, .old_len = w->old_len, .new_priv = k->priv, .new_pub = k->pkey,
		.trusted = c->cmp_trusted, .http = &c->http, .path = c->cmp_path, .check = check_cb,
		.check_arg = (void *)w,
	};
	struct ukey_cmp_out out;
	size_t tid_len = 0;
	char *hex, *b64;
	int ret = old_key(p, s, jn, &q.old_priv, e);

	if (ret != UKEY_E_OK)
		return ret;
	if (ukey_unhex(ukey_journal_str(jn, "cmp_transaction_id"), q.tid, sizeof(q.tid), &tid_len) != 0 ||
	    tid_len != sizeof(q.tid)) {
		if (RAND_bytes(q.tid, sizeof(q.tid)) != 1 || (hex = ukey_hex(q.tid, sizeof(q.tid))) == NULL)
			return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		ukey_journal_set_str(jn, "cmp_transaction_id", hex);
		free(hex);
		/* Before anything is sent: a rerun must use the same ID. */
		if ((ret = ukey_journal_save(jn, e)) != UKEY_E_OK)
			return ret;
	}
	q.total_timeout = total_timeout();
	ret = ukey_cmp_kur(&q, &out, e);
	if (out.sender_nonce[0])
		ukey_journal_set_str(jn, "cmp_sender_nonce", out.sender_nonce);
	if (out.recip_nonce[0])
		ukey_journal_set_str(jn, "cmp_recip_nonce", out.recip_nonce);
	if (ret != UKEY_E_OK) {
		struct ukey_err scratch; /* the nonces, for whoever asks the CA: best effort */
		/* Nothing stands issued for the pending key in a closed
		 * transaction: the rerun starts a new one. */
		if (out.closed) {
			json_object_object_del(jn->j, "cmp_transaction_id");
			ukey_journal_note(jn, "the CA closed the CMP transaction without a certificate kept; a rerun "
					      "starts a new one");
		}
		ukey_journal_save(jn, &scratch);
	} else {
		b64 = ukc_b64_encode(out.der, out.der_len);
		if (b64 == NULL)
			ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		else
			ukey_journal_set_str(jn, "cmp_cert", b64);
		ukey_journal_set_int(jn, "cmp_confirmed", ret == UKEY_E_OK);
		free(b64);
	}
	ukey_cmp_out_free(&out);
	return ret;
}

int ukey_renew_cmp_check(struct ukey_client *c, struct ukey_journal *jn, const struct ukey_renew_expect *w,
			 struct ukey_renew_answer *a, struct ukey_err *e)
{
	const char *b64 = ukey_journal_str(jn, "cmp_cert");
	size_t len = 0;
	unsigned char *der = ukc_b64_decode(b64, strlen(b64), &len, NULL);
	const unsigned char *q = der;
	X509 *x = der ? d2i_X509(NULL, &q, (long)len) : NULL;
	STACK_OF(X509) *chain = x ? ukey_cmp_load_certs(c->cmp_trusted, e) : NULL;
	int ret;

	memset(a, 0, sizeof(*a));
	if (x == NULL)
		ret = ukey_err_set(e, UKEY_E_ERROR, _("the journal %s is damaged; move it away to start over"), jn->path);
	else if (chain == NULL)
		ret = e->code;
	else
		ret = check_x509(w, x, chain, &a->der, &a->der_len, e);
	sk_X509_pop_free(chain, X509_free);
	X509_free(x);
	free(der);
	return ret;
}

/* A CMP CA has no order to say "already used": without this, a rerun after
 * a renewal that finished (but whose exit the user never saw) would renew
 * a second time. The journal remembers the certificate it installed; while
 * that is still the signing certificate and not yet due, there is nothing
 * to do. */
int ukey_renew_cmp_done_before(const struct ukey_journal *jn, const struct ukey_cert *old, time_t now,
			       struct ukey_err *e)
{
	const char *b64 = ukey_journal_str(jn, "cmp_cert");
	size_t len = 0;
	unsigned char *der;
	int same;
	char until[32], from[32];
	time_t due = old->not_after - (time_t)UKEY_RENEW_CMP_DUE_DAYS * 86400;

	if (jn->j == NULL || strcmp(ukey_journal_str(jn, "state"), "done") != 0 ||
	    strcmp(ukey_journal_str(jn, "protocol"), "cmp") != 0 || b64[0] == '\0' || now >= due)
		return UKEY_E_OK;
	der = ukc_b64_decode(b64, strlen(b64), &len, NULL);
	same = der != NULL && len == old->der_len && memcmp(der, old->der, len) == 0;
	free(der);
	if (!same)
		return UKEY_E_OK;
	strftime(until, sizeof(until), "%Y-%m-%d", gmtime(&old->not_after));
	strftime(from, sizeof(from), "%Y-%m-%d", gmtime(&due));
	return ukey_err_set(e, UKEY_E_WAIT,
			    _("nothing to do: the certificate on your U-KEY is the one the last renewal installed "
			      "(valid until %s); it can be renewed again from %s"),
			    until, from);
}
