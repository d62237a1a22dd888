/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * auth.c: request authentication as docs/protocol.md says. Nonces are
 * single-use and short-lived; the caller signs
 *   UKEY-AUTH-V1 \n METHOD \n PATH[?QUERY] \n NONCE \n hex(SHA-256(body))
 * with its signing key; the certificate must chain to the user CA, be
 * valid (or recently expired where allowed), not revoked, and registered
 * to a medium.
 */
#include "config.h"

#include "svc.h"

#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include "authstr.h"

void svc_nonce_new(struct svc *s, struct resp *o)
{
	unsigned char rnd[32];
	time_t now = time(NULL);
	char *b = NULL;
	json_object *j;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || (b = ukc_b64_encode(rnd, sizeof(rnd))) == NULL ||
	    svc_db_run(s, "DELETE FROM nonces WHERE expires < ?", "i", (int64_t)(now - 3600)) ||
	    svc_db_run(s, "INSERT INTO nonces(nonce, expires) VALUES(?, ?)", "si", b,
		       (int64_t)(now + s->nonce_ttl))) {
		svc_resp_error(o, 500, "internal", "cannot make a nonce");
		goto out;
	}
	j = json_object_new_object();
	json_object_object_add(j, "nonce", json_object_new_string(b));
	json_object_object_add(j, "expires", json_object_new_int64(now + s->nonce_ttl));
	svc_resp_json(o, 200, j);
out:
	free(b);
}

void svc_caller_clear(struct caller *c)
{
	X509_free(c->cert);
	c->cert = NULL;
}

/* The medium x is registered to (by serial and issuer): 0, or -1 and why. */
int svc_cert_medium(struct svc *s, X509 *x, char *medium, size_t n, const char **why)
{
	char *serial = ukc_x509_serial_hex(x), *issuer = svc_name_text(X509_get_issuer_name(x));
	sqlite3_stmt *st = NULL;
	int ret = -1;

	*why = "out of memory";
	if (serial == NULL || issuer == NULL)
		goto out;
	st = svc_db_prep(s, "SELECT medium, revoked FROM certificates WHERE serial = ? AND issuer = ?",
			 "ss", serial, issuer);
	*why = "the certificate is not registered with any medium";
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW)
		goto out;
	*why = "the certificate is revoked";
	if (sqlite3_column_int(st, 1) != 0)
		goto out;
	snprintf(medium, n, "%s", (const char *)sqlite3_column_text(st, 0));
	ret = 0;
out:
	sqlite3_finalize(st);
	free(serial);
	free(issuer);
	return ret;
}

/* Looks the certificate up: registered medium, not revoked. */
static int registered(struct svc *s, X509 *x, struct caller *c, struct resp *o)
{
	const char *why;

	if (svc_cert_medium(s, x, c->medium, sizeof(c->medium), &why) == 0)
		return 0;
	if (strcmp(why, "out of memory") == 0)
		svc_resp_error(o, 500, "internal", "out of memory");
	else
		svc_resp_error(o, 401, "auth_bad_certificate", "%s", why);
	return -1;
}

/* Checks and consumes the nonce. */
static int nonce_take(struct svc *s, const char *nonce, struct resp *o)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT expires, used FROM nonces WHERE nonce = ?", "s",
				       nonce);
	int found = 0, used = 0;
	int64_t expires = 0;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		expires = sqlite3_column_int64(st, 0);
		used = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (!found) {
		svc_resp_error(o, 401, "auth_nonce", "the nonce was not issued by this server");
		return -1;
	}
	if (used) {
		svc_resp_error(o, 401, "auth_nonce", "the nonce was already used");
		return -1;
	}
	if (svc_db_run(s, "UPDATE nonces SET used = 1 WHERE nonce = ?", "s", nonce) != 0) {
		svc_resp_error(o, 500, "internal", "cannot consume the nonce");
		return -1;
	}
	if (expires < (int64_t)time(NULL)) {
		svc_resp_error(o, 401, "auth_nonce", "the nonce has expired");
		return -1;
	}
	return 0;
}

static int sig_ok(struct req *r, EVP_PKEY *key, const char *alg, const char *nonce,
		  const char *sig_b64)
{
	OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	char *tbs = NULL;
	size_t sig_len = 0;
	const char *mdname = "SHA256";
	int ok = 0;

	if (strcmp(alg, "rsa-sha256") == 0 && EVP_PKEY_is_a(key, "RSA")) {
	} else if (strcmp(alg, "ecdsa-sha256") == 0 && EVP_PKEY_is_a(key, "EC")) {
	} else if (strcmp(alg, "sm2-sm3") == 0 && EVP_PKEY_is_a(key, "SM2")) {
		mdname = "SM3";
		p[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_DIST_ID,
							 (void *)UKC_SM2_ID,
							 strlen(UKC_SM2_ID));
	} else {
		return 0;
	}
	sig = ukc_b64_decode(sig_b64, strlen(sig_b64), &sig_len, NULL);
	tbs = ukc_auth_string(r->method, r->uri, nonce, r->body, r->len);
	md = EVP_MD_CTX_new();
	if (sig == NULL || tbs == NULL || md == NULL)
		goto out;
	if (EVP_DigestVerifyInit_ex(md, NULL, mdname, NULL, NULL, key, p) != 1)
		goto out;
	ok = EVP_DigestVerify(md, sig, sig_len, (unsigned char *)tbs, strlen(tbs)) == 1;
out:
	EVP_MD_CTX_free(md);
	free(sig);
	free(tbs);
	return ok;
}

int svc_auth(struct svc *s, struct req *r, struct resp *o, int allow_expired, struct caller *c)
{
	const char *cert = svc_req_header(r, "X-Ukey-Certificate");
	const char *nonce = svc_req_header(r, "X-Ukey-Nonce");
	const char *alg = svc_req_header(r, "X-Ukey-Signature-Algorithm");
	const char *sig = svc_req_header(r, "X-Ukey-Signature");
	const unsigned char *p;
	unsigned char *der = NULL;
	size_t der_len = 0;
	const char *why;
	X509 *x = NULL;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (!cert || !nonce || !alg || !sig || !*cert || !*nonce || !*alg || !*sig) {
		svc_resp_error(o, 401, "auth_missing", "authentication headers missing");
		return -1;
	}
	der = ukc_b64_decode(cert, strlen(cert), &der_len, NULL);
	p = der;
	x = der ? d2i_X509(NULL, &p, (long)der_len) : NULL;
	if (x == NULL || p != der + der_len) {
		svc_resp_error(o, 401, "auth_bad_certificate", "the certificate does not parse");
		goto out;
	}
	if (svc_cert_check(s, x, time(NULL), allow_expired, &c->expired, &why) != 0) {
		svc_resp_error(o, 401, "auth_bad_certificate", "%s", why);
		goto out;
	}
	if (registered(s, x, c, o) != 0 || nonce_take(s, nonce, o) != 0)
		goto out;
	if (!sig_ok(r, X509_get0_pubkey(x), alg, nonce, sig)) {
		svc_resp_error(o, 401, "auth_bad_signature",
			       "the signature does not verify (algorithm %s)", alg);
		goto out;
	}
	c->cert = x;
	x = NULL;
	ret = 0;
out:
	free(der);
	X509_free(x);
	return ret;
}
