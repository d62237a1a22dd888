/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * routes-renew.c: POST /api/v1/renewals (idempotent by request_id),
 * GET /api/v1/renewals/<id>, POST /api/v1/renewals/<id>/installed.
 * The new certificate keeps the old subject, takes the CSR's public key
 * (its signature checked) and is valid from now - 5 min for a year (or a
 * year past the old notAfter when that is later). with_seals remakes the
 * medium's usable seals bound to the new certificate. When the order covers
 * the encryption certificate, renew-enc.c adds the new encryption pair
 * enveloped to the CSR's key; otherwise "encryption" is null.
 */
#include "config.h"

#include "renew-enc.h"

#include <string.h>
#include <time.h>

#include <openssl/pem.h>

/* The renewal's gate, shared by POST /api/v1/renewals and the CMP endpoint
 * (cmp-issue.c): 0 and the paid order's id, or -1 and why (status 0: the
 * database failed). */
int svc_renew_gate(struct svc *s, const char *medium, int with_seals, char **order, int *enc,
		   struct svc_refusal *why)
{
	sqlite3_stmt *st;
	const char *state, *covers;
	int ret = -1;

	*why = (struct svc_refusal){ 0, "internal", "the service's database failed" };
	if (svc_db_int(s, 0, "SELECT count(*) FROM bindings WHERE medium = ? AND state = 'confirmed'",
		       "s", medium) == 0) {
		*why = (struct svc_refusal){ 403, "not_bound", "the certificate is not bound to a phone account" };
		return -1;
	}
	if (svc_db_int(s, 0, "SELECT identity_checked FROM media WHERE medium = ?", "s", medium) == 0) {
		*why = (struct svc_refusal){ 403, "identity_unchecked", "the identity check at the CA is needed" };
		return -1;
	}
	st = svc_db_prep(s, "SELECT id, state, covers, renewal, encryption FROM orders WHERE medium = ?"
			    " ORDER BY n DESC LIMIT 1", "s", medium);
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		*why = (struct svc_refusal){ 409, "order_unpaid", "there is no renewal order" };
		goto out;
	}
	state = (const char *)sqlite3_column_text(st, 1);
	covers = (const char *)sqlite3_column_text(st, 2);
	if (strcmp(state, "unpaid") == 0)
		*why = (struct svc_refusal){ 409, "order_unpaid", "the renewal order is not paid" };
	else if (strcmp(state, "awaiting_transfer") == 0)
		*why = (struct svc_refusal){ 409, "order_awaiting_transfer",
					     "the bank transfer awaits the CA's confirmation" };
	else if (strcmp(state, "paid") != 0 || sqlite3_column_type(st, 3) != SQLITE_NULL)
		*why = (struct svc_refusal){ 409, "order_used", "the order's renewal was already issued" };
	else if (with_seals && strcmp(covers, "cert+seals") != 0)
		*why = (struct svc_refusal){ 409, "order_does_not_cover", "the order covers the certificate only" };
	else if (svc_db_int(s, 0, "SELECT count(*) FROM media WHERE medium = ? AND"
				  " seals_state != 'clean'", "s", medium) != 0)
		*why = (struct svc_refusal){ 409, "seals_unclean", "the seals must be cleaned first" };
	else {
		*order = strdup((const char *)sqlite3_column_text(st, 0));
		*enc = sqlite3_column_int(st, 4) != 0;
		ret = *order ? 0 : -1;
	}
out:
	sqlite3_finalize(st);
	return ret;
}

static int refused(struct svc *s, const char *medium, int with_seals, char **order, int *enc,
		   struct resp *o)
{
	struct svc_refusal why;

	if (svc_renew_gate(s, medium, with_seals, order, enc, &why) == 0)
		return 0;
	svc_resp_error(o, why.status ? why.status : 500, why.code, "%s", why.msg);
	return -1;
}

int svc_renew_key_ok(EVP_PKEY *k)
{
	return EVP_PKEY_is_a(k, "SM2") || EVP_PKEY_is_a(k, "EC") ||
	       (EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) >= 2048);
}

/* The CSR's public key after checking its signature (SM2: with the ID). */
static EVP_PKEY *csr_key(const char *pem, struct resp *o)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509_REQ *req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = req ? X509_REQ_get_pubkey(req) : NULL;
	int ok = 0;

	BIO_free(b);
	if (k == NULL) {
		svc_resp_error(o, 400, "bad_request", "csr is not a PEM PKCS#10 request");
		goto out;
	}
	if (EVP_PKEY_is_a(k, "SM2")) {
		if (ukc_x509_req_set_sm2_id(req) != 0)
			goto out;
	} else if (!svc_renew_key_ok(k)) {
		svc_resp_error(o, 400, "bad_request", "csr key must be RSA >= 2048, EC or SM2");
		goto out;
	}
	if (X509_REQ_verify(req, k) != 1) {
		svc_resp_error(o, 400, "bad_request", "csr signature does not verify");
		goto out;
	}
	ok = 1;
out:
	X509_REQ_free(req);
	if (!ok) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

int svc_cert_register(struct svc *s, const char *medium, X509 *x)
{
	char *serial = ukc_x509_serial_hex(x), *issuer = svc_name_text(X509_get_issuer_name(x));
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der), rc = -1;

	if (serial && issuer && len > 0)
		rc = svc_db_run(s, "INSERT INTO certificates(serial, issuer, medium, der)"
				   " VALUES(?, ?, ?, ?)", "sssb", serial, issuer, medium, der, len);
	free(serial);
	free(issuer);
	OPENSSL_free(der);
	return rc;
}

/* New seals for every usable seal of the medium, bound to x. */
static int remake_seals(struct svc *s, const char *medium, X509 *x, json_object *out)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT n, es_id, name, type FROM seals WHERE medium = ?"
					  " AND status = 'usable' ORDER BY n", "s", medium);
	time_t now = time(NULL), to = svc_asn1_time(X509_get0_notAfter(x));
	int ret = -1, len;

	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		const char *es = (const char *)sqlite3_column_text(st, 1);
		const char *name = (const char *)sqlite3_column_text(st, 2);
		long type = (long)sqlite3_column_int64(st, 3);
		unsigned char *der = svc_seal_make(s, x, es, name, type, now, to, 4, &len);
		char id[24], *b64 = der ? ukc_b64_encode(der, (size_t)len) : NULL;
		json_object *j;
		int rc = b64 ? svc_seal_store(s, medium, es, name, type, "new", der, len, now, to, id)
			     : -1;
		OPENSSL_free(der);
		if (rc != 0) {
			free(b64);
			goto out;
		}
		j = json_object_new_object();
		json_object_object_add(j, "name", json_object_new_string(name));
		json_object_object_add(j, "type", json_object_new_int64(type));
		json_object_object_add(j, "der", json_object_new_string(b64));
		json_object_array_add(out, j);
		free(b64);
		if (svc_db_run(s, "UPDATE seals SET status = 'superseded' WHERE n = ?", "i",
			       (int64_t)sqlite3_column_int64(st, 0)))
			goto out;
	}
	ret = svc_db_run(s, "UPDATE seals SET status = 'usable' WHERE medium = ? AND status = 'new'",
			 "s", medium);
out:
	sqlite3_finalize(st);
	return ret;
}

/* Issues the certificate renewing old for key (with the misbehaviour the
 * operator switched on); the CMP endpoint issues with it too. */
X509 *svc_renew_issue(struct svc *s, X509 *old_cert, EVP_PKEY *key)
{
	time_t now = time(NULL), old = svc_asn1_time(X509_get0_notAfter(old_cert));
	time_t na = now + 365L * 86400;
	X509_NAME *subj = X509_NAME_dup(X509_get_subject_name(old_cert));
	EVP_PKEY *other = NULL;
	X509 *x = NULL;
	int rogue = 0;

	if (old >= na)
		na = old + 365L * 86400;
	if (subj == NULL)
		return NULL;
	if (strcmp(s->misbehave, "wrong-subject") == 0)
		X509_NAME_add_entry_by_txt(subj, "OU", MBSTRING_UTF8,
					   (const unsigned char *)"someone else", -1, -1, 0);
	else if (strcmp(s->misbehave, "wrong-key") == 0)
		key = other = svc_key_gen("EC");
	else if (strcmp(s->misbehave, "wrong-chain") == 0)
		rogue = 1;
	if (key != NULL)
		x = svc_ca_issue(rogue ? s->rogue_cert : s->ca_cert, rogue ? s->rogue_key : s->ca_key,
				 subj, key, now - 300, na, SVC_CERT_USER);
	if (s->misbehave_times > 0 && strncmp(s->misbehave, "wrong-", 6) == 0 &&
	    --s->misbehave_times == 0)
		snprintf(s->misbehave, sizeof(s->misbehave), "none");
	X509_NAME_free(subj);
	EVP_PKEY_free(other);
	return x;
}

static char *body_hash(const char *csr, int with_seals)
{
	size_t n = strlen(csr);
	char *buf = malloc(n + 3), hex[65];

	if (buf == NULL)
		return NULL;
	/* The request's meaning, not its bytes: a retry may re-serialise. */
	memcpy(buf, csr, n);
	memcpy(buf + n, with_seals ? "\n1" : "\n0", 3);
	ukc_sha256_hex(buf, n + 2, hex);
	free(buf);
	return hex[0] ? strdup(hex) : NULL;
}

static void stored(struct resp *o, const char *text, int status)
{
	free(o->body);
	o->body = strdup(text);
	o->len = o->body ? strlen(o->body) : 0;
	o->status = o->body ? status : 500;
	o->ctype = NULL;
}

static void renew(struct svc *s, struct req *r, struct caller *c, struct resp *o)
{
	json_object *b = svc_req_json(r, o), *out = NULL, *seals = NULL, *chain, *fmts = NULL;
	const char *rid, *csr;
	char *hash = NULL, *order = NULL, *prev = NULL, *pem = NULL, *capem = NULL, *serial = NULL;
	int with_seals = 0, enc = 0;
	struct svc_enc ek = { NULL, NULL, 0, NULL };
	EVP_PKEY *key = NULL;
	X509 *x = NULL;

	if (b == NULL)
		return;
	if (svc_get_string(b, "request_id", 1, &rid, o) || svc_get_string(b, "csr", 1, &csr, o) ||
	    svc_get_bool(b, "with_seals", 0, &with_seals, o) < 0)
		goto out;
	if (strlen(rid) == 0 || strlen(rid) > 64) {
		svc_resp_error(o, 400, "bad_request", "request_id must be 1 to 64 characters");
		goto out;
	}
	hash = body_hash(csr, with_seals);
	prev = svc_db_text(s, "SELECT medium || ' ' || body_sha256 FROM renewals WHERE request_id = ?",
			   "s", rid);
	if (prev != NULL) {
		char *resp;
		size_t ml = strlen(c->medium);
		if (strncmp(prev, c->medium, ml) != 0 || prev[ml] != ' ' || !hash ||
		    strcmp(prev + ml + 1, hash) != 0) {
			svc_resp_error(o, 409, "request_conflict",
				       "request_id %s was used with a different request", rid);
			goto out;
		}
		resp = svc_db_text(s, "SELECT response FROM renewals WHERE request_id = ?", "s", rid);
		if (resp)
			stored(o, resp, 201);
		free(resp);
		goto out;
	}
	if (refused(s, c->medium, with_seals, &order, &enc, o) != 0 || (key = csr_key(csr, o)) == NULL)
		goto out;
	/* The envelope first: a key type without a format is refused before
	 * anything is issued. */
	if (enc && svc_enc_prepare(key, json_object_object_get_ex(b, "envelope_formats", &fmts) ? fmts : NULL, &ek,
				   o) != 0)
		goto out;
	x = svc_renew_issue(s, c->cert, key);
	pem = x ? ukc_x509_to_pem(x) : NULL;
	capem = ukc_x509_to_pem(s->ca_cert);
	serial = x ? ukc_x509_serial_hex(x) : NULL;
	if (pem == NULL || capem == NULL || serial == NULL || svc_cert_register(s, c->medium, x) != 0) {
		svc_resp_error(o, 500, "internal", "cannot issue the certificate");
		goto out;
	}
	out = json_object_new_object();
	json_object_object_add(out, "request_id", json_object_new_string(rid));
	json_object_object_add(out, "certificate", json_object_new_string(pem));
	chain = json_object_new_array();
	json_object_array_add(chain, json_object_new_string(capem));
	json_object_object_add(out, "chain", chain);
	if (with_seals) {
		seals = json_object_new_array();
		json_object_object_add(out, "seals", seals);
		if (remake_seals(s, c->medium, x, seals) != 0) {
			svc_resp_error(o, 500, "internal", "cannot make the seals");
			goto out;
		}
	}
	if (enc) {
		json_object *ej = svc_enc_issue(s, rid, c->medium, x, &ek, o);
		if (ej == NULL)
			goto out;
		json_object_object_add(out, "encryption", ej);
	} else {
		json_object_object_add(out, "encryption", NULL);
	}
	if (svc_db_run(s, "INSERT INTO renewals(request_id, medium, body_sha256, order_id, response,"
			  " cert_serial, state, created) VALUES(?, ?, ?, ?, ?, ?, 'issued', ?)",
		       "ssssssi", rid, c->medium, hash, order,
		       json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE),
		       serial, (int64_t)time(NULL)) ||
	    svc_db_run(s, "UPDATE orders SET renewal = ? WHERE id = ?", "ss", rid, order)) {
		svc_resp_error(o, 500, "internal", "cannot store the renewal");
		goto out;
	}
	svc_resp_json(o, 201, out);
	out = NULL;
out:
	json_object_put(out);
	json_object_put(b);
	EVP_PKEY_free(key);
	svc_enc_free(&ek);
	X509_free(x);
	free(hash);
	free(order);
	free(prev);
	free(pem);
	free(capem);
	free(serial);
}

void svc_route_renewals(struct svc *s, struct req *r, struct caller *c, struct resp *o,
			const char *rest)
{
	char id[80], *resp;
	size_t n;
	int post = strcmp(r->method, "POST") == 0;

	if (*rest == '\0') {
		if (post)
			renew(s, r, c, o);
		return;
	}
	rest++;
	n = strcspn(rest, "/");
	if (n == 0 || n >= sizeof(id))
		return;
	memcpy(id, rest, n);
	id[n] = '\0';
	resp = svc_db_text(s, "SELECT response FROM renewals WHERE request_id = ? AND medium = ?",
			   "ss", id, c->medium);
	if (resp == NULL) {
		svc_resp_error(o, 404, "not_found", "no renewal %s", id);
	} else if (!post && rest[n] == '\0') {
		stored(o, resp, 200);
	} else if (post && strcmp(rest + n, "/installed") == 0) {
		json_object *j = svc_req_json(r, o);
		if (j != NULL) {
			json_object_put(j);
			if (svc_db_run(s, "UPDATE renewals SET state = 'installed' WHERE request_id = ?",
				       "s", id) ||
			    svc_db_run(s, "UPDATE orders SET state = 'used' WHERE renewal = ?", "s", id)) {
				svc_resp_error(o, 500, "internal", "cannot record the installation");
			} else {
				j = json_object_new_object();
				json_object_object_add(j, "state", json_object_new_string("installed"));
				svc_resp_json(o, 200, j);
			}
		}
	}
	free(resp);
}
