/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmp/: the key update request of CMP (RFC 4210, the Lightweight CMP
 * Profile of RFC 9483) with OpenSSL's client (OSSL_CMP_CTX) in ossl/'s
 * library context, so both signatures are made on the token: the
 * message protection by the OLD key with the old certificate, the proof
 * of possession by the NEW key. One exchange: kur, polling while the CA
 * answers "waiting", the certificate checked by the caller before it is
 * confirmed (certConf), pkiConf. What the renewal journals and resumes is
 * renew/'s business (renew/cmp-steps.c); this room only talks CMP. */
#ifndef UKEY_RENEW_CMP_H
#define UKEY_RENEW_CMP_H

#include <stddef.h>
#include <time.h>

#include <openssl/cmp.h>
#include <openssl/x509.h>

#include "ukey-renew.h"
#include "service/http.h"

#define UKEY_CMP_TID_LEN 16
#define UKEY_CMP_MAX_MSG (1u << 20) /* 1 MiB: a few certificates at most */
/* RFC 4210 PKIBody: the choice of pkiconf (OpenSSL 3.0 keeps its names private). */
#define UKEY_CMP_BODY_PKICONF 19

struct ukey_cmp_req {
	struct ukey_conn *p;
	CK_SESSION_HANDLE s; /* logged in */
	CK_OBJECT_HANDLE old_priv;
	const unsigned char *old_der; /* the certificate being renewed */
	size_t old_len;
	CK_OBJECT_HANDLE new_priv;
	EVP_PKEY *new_pub;
	const char *trusted; /* PEM file: the CA certificates whose answers are trusted */
	struct ukey_http *http;
	const char *path;
	unsigned char tid[UKEY_CMP_TID_LEN]; /* the transaction ID, as journaled */
	long total_timeout;                  /* seconds for the whole exchange, polling included */
	/* The issued certificate before it is confirmed; chain: what the
	 * answer carried (extraCerts, caPubs) and the trusted certificates.
	 * Not UKEY_E_OK: it is rejected in certConf and the exchange fails
	 * with e as the check set it. */
	int (*check)(void *arg, X509 *cert, STACK_OF(X509) *chain, struct ukey_err *e);
	void *check_arg;
};

struct ukey_cmp_out {
	unsigned char *der; /* the confirmed certificate, OPENSSL_malloc'd */
	size_t der_len;
	char sender_nonce[2 * 64 + 1]; /* hex, of our last message and of the CA's */
	char recip_nonce[2 * 64 + 1];
	int status; /* the CA's last PKIStatus, -1 without one */
	/* The CA closed the transaction: it rejected the request, or took
	 * our rejection of its certificate (pkiConf). A new one may follow;
	 * otherwise a rerun continues this one. */
	int closed;
};

/* kur.c: the exchange. UKEY_E_SERVICE for the CA's refusal (the status
 * in words), an answer refused (its signer not trusted, the nonces wrong,
 * the certificate failing the check) or the transport failing; every
 * case leaves the token as it was. */
int ukey_cmp_kur(const struct ukey_cmp_req *q, struct ukey_cmp_out *out, struct ukey_err *e);
void ukey_cmp_out_free(struct ukey_cmp_out *o);
/* The certificates of a PEM file; NULL with e set. */
STACK_OF(X509) *ukey_cmp_load_certs(const char *path, struct ukey_err *e);

/* status.c: PKIStatusInfo in words: "the CA refused the request: badPOP
 * (the proof that the new key is on your U-KEY did not verify)", every
 * failInfo bit, then what the CA wrote (statusString). */
void ukey_cmp_status_words(int status, int failinfo, const OSSL_CMP_PKIFREETEXT *text, char *buf, size_t len);

/* transfer.c: OpenSSL's transfer callback over libukey-renew's libcurl
 * client; arg a struct ukey_cmp_transfer. */
struct ukey_cmp_transfer {
	struct ukey_http *http;
	const char *path;
	struct ukey_err err; /* the transport's failure, code 0 when none */
	/* Hex of the last exchange's nonces, for the journal. */
	char sender_nonce[2 * 64 + 1], recip_nonce[2 * 64 + 1];
	int last_type; /* the body type of the last answer, -1 before one */
};
OSSL_CMP_MSG *ukey_cmp_transfer_cb(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req);
/* An answer's bytes (HTTP status status) as one CMP message, its
 * senderNonce as hex in nonce ("" without one); NULL with e set
 * (UKEY_E_SERVICE). OpenSSL checks the rest (protection, nonces, IDs). */
OSSL_CMP_MSG *ukey_cmp_decode(const unsigned char *der, size_t len, long status, char *nonce, size_t nlen,
			      struct ukey_err *e);

#endif
