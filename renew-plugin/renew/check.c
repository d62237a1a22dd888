/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* check.c: step 4, the meaning of the renewal answer's parts (answer.c
 * parses them and calls these before the answer is journaled): the issued
 * certificate carries the new key, keeps the old subject, chains to the CA
 * that issued the old certificate (a `chain` member is a trust anchor only
 * if it verifies the old certificate), starts about when the renewal began
 * and ends later than the old one; each new seal decodes, verifies and
 * lists it. The
 * encryption certificate passes the same checks, is for encryption only,
 * and carries the public key of the envelope (parsed here, never opened:
 * only the token can). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "certder.h"
#include "envelope.h"
#include "ukey-base.h"
#include "renew.h"
#include "seal/seal.h"
#include "ukey-pkcs11.h"

/* An SM2 signature is over the signer's Z, made with its ID (GM/T 0009's
 * default): set on each SM2-signed certificate, whatever the other keys
 * are (an SM2 user certificate may come from an ECDSA or RSA CA). */
static int sm2_id(X509 *x)
{
	return X509_get_signature_nid(x) == NID_SM2_with_SM3 ? ukc_x509_set_sm2_id(x) : 0;
}

/* The anchors: chain members named as the old certificate's issuer whose
 * key verifies the old certificate. The time is the check's, not the
 * clock's, so the same answer gives the same verdict. */
static int chain_ok(X509 *old, X509 *cert, STACK_OF(X509) *chain, time_t now, struct ukey_err *e)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int anchors = 0, ret = UKEY_E_ERROR;

	if (st == NULL || ctx == NULL || sm2_id(old) != 0 || sm2_id(cert) != 0)
		goto out;
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *ca = sk_X509_value(chain, i);
		if (X509_NAME_cmp(X509_get_subject_name(ca), X509_get_issuer_name(old)) == 0 &&
		    X509_verify(old, X509_get0_pubkey(ca)) == 1 && X509_STORE_add_cert(st, ca))
			anchors++;
	}
	if (anchors == 0) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's chain does not contain the CA that issued the old "
							"certificate: the new certificate is not installed"));
		goto out;
	}
	if (!X509_STORE_CTX_init(ctx, st, cert, NULL))
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	if (X509_verify_cert(ctx) != 1) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the new certificate does not chain to the CA of the old one (%s): "
							"it is not installed"),
				   X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	ret = UKEY_E_OK;
out:
	if (ret == UKEY_E_ERROR && e->msg[0] == '\0')
		ret = ukey_err_set(e, UKEY_E_ERROR, _("cannot check the new certificate's chain"));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ret;
}

int ukey_renew_check_seal(size_t i, const unsigned char *raw, size_t len, const unsigned char *der, size_t der_len,
			  time_t now, struct ukey_err *e)
{
	struct ukey_seal *seal = NULL;
	struct ukey_seal_result r;
	int listed = 0;

	if (len == 0 || ukey_seal_decode(raw, len, &seal, NULL) != 0)
		return ukey_err_set(e, UKEY_E_SERVICE, _("new seal %zu from the service cannot be decoded"), i + 1);
	ukey_seal_verify(seal, now, &r);
	for (size_t c = 0; c < seal->n_certs; c++)
		listed |= seal->certs[c].len == der_len && memcmp(seal->certs[c].p, der, der_len) == 0;
	ukey_seal_free(seal);
	if (!r.valid)
		return ukey_err_set(e, UKEY_E_SERVICE, _("new seal %zu from the service does not verify: %s"), i + 1,
				    r.n_reasons ? r.reasons[0] : "?");
	if (!listed)
		return ukey_err_set(e, UKEY_E_SERVICE, _("new seal %zu from the service does not list the new "
							 "certificate"), i + 1);
	return UKEY_E_OK;
}

/* Starts about when the renewal began (not before its new key existed, a
 * day's clock skew allowed), has begun by tomorrow, and ends later than the
 * old certificate and than now. */
static int validity_ok(X509 *x, X509 *old, const struct ukey_renew_expect *w)
{
	time_t lo = w->started - 86400, hi = w->now + 86400, now = w->now;

	return X509_cmp_time(X509_get0_notBefore(x), &lo) > 0 && X509_cmp_time(X509_get0_notBefore(x), &hi) < 0 &&
	       ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(old)) > 0 &&
	       X509_cmp_time(X509_get0_notAfter(x), &now) > 0;
}

int ukey_renew_check(const struct ukey_renew_expect *w, const char *cert_pem, STACK_OF(X509) *chain,
		     unsigned char **der, size_t *der_len, struct ukey_err *e)
{
	const unsigned char *q = w->old_der;
	X509 *old = d2i_X509(NULL, &q, (long)w->old_len), *x = ukc_x509_from_pem(cert_pem);
	int ret, len;

	*der = NULL;
	if (old == NULL || x == NULL) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's certificate cannot be read"));
		goto out;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(x), w->k->pkey) != 1) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's certificate is not for the new key: it is not "
							"installed"));
		goto out;
	}
	if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(old)) != 0) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's certificate names another subject: it is not "
							"installed"));
		goto out;
	}
	if (!validity_ok(x, old, w)) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's certificate has an unexpected validity: it is not "
							"installed"));
		goto out;
	}
	ret = chain_ok(old, x, chain, w->now, e);
	if (ret != UKEY_E_OK)
		goto out;
	len = i2d_X509(x, der);
	if (len <= 0) {
		*der = NULL;
		ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		goto out;
	}
	*der_len = (size_t)len;
out:
	X509_free(old);
	X509_free(x);
	return ret;
}

/* ---- step 4, the encryption part: its certificate checked like the
 * signing one, and its public key is the envelope's. */

void ukey_renew_enc_free(struct ukey_renew_enc *x)
{
	free(x->env);
	OPENSSL_free(x->der);
	EVP_PKEY_free(x->pub);
	memset(x, 0, sizeof(*x));
}

static int same_pub(EVP_PKEY *a, EVP_PKEY *b)
{
	unsigned char pa[160], pb[160];
	size_t la = 0, lb = 0;

	if (EVP_PKEY_eq(a, b) == 1)
		return 1;
	/* An SM2 point may come as an "EC" key from one side and an "SM2"
	 * key from the other; the encoded points then decide. */
	return !EVP_PKEY_is_a(a, "RSA") && !EVP_PKEY_is_a(b, "RSA") &&
	       EVP_PKEY_get_octet_string_param(a, OSSL_PKEY_PARAM_PUB_KEY, pa, sizeof(pa), &la) &&
	       EVP_PKEY_get_octet_string_param(b, OSSL_PKEY_PARAM_PUB_KEY, pb, sizeof(pb), &lb) && la == lb &&
	       memcmp(pa, pb, la) == 0;
}

/* The envelope's publicKey, of the format's type, as libukeycodec's one
 * parser reads it (the same the module's drivers use); NULL with *why
 * naming the problem. */
static EVP_PKEY *env_pub(const unsigned char *env, size_t len, CK_ULONG format, const char **why)
{
	struct ukc_envelope ev;
	EVP_PKEY *k = NULL;

	if (ukc_envelope_parse((int)format, env, len, &ev, why) == 0 && ev.pub != NULL) {
		k = ev.pub;
		ev.pub = NULL;
	} else if (*why == NULL) {
		*why = "no public key";
	}
	ukc_envelope_clear(&ev);
	return k;
}

static int enc_refuse(struct ukey_err *e, const char *why)
{
	return ukey_err_set(e, UKEY_E_SERVICE, _("the service's encryption certificate or key envelope is wrong (%s): "
						 "nothing is installed"), why);
}

int ukey_renew_check_enc(const struct ukey_renew_expect *w, const char *pem, CK_ULONG format,
			 const unsigned char *env, size_t env_len, STACK_OF(X509) *chain, struct ukey_renew_enc *out,
			 struct ukey_err *e)
{
	const struct ukey_renew_key *k = w->k;
	const unsigned char *q = w->old_der;
	X509 *old = d2i_X509(NULL, &q, (long)w->old_len), *x = ukc_x509_from_pem(pem);
	uint32_t ku = x ? X509_get_key_usage(x) : 0;
	const char *why = NULL;
	int ret, len;

	memset(out, 0, sizeof(*out));
	out->kind = k->kind;
	out->format = format;
	if (old == NULL || x == NULL || env_len == 0 || (out->env = malloc(env_len)) == NULL) {
		ret = enc_refuse(e, _("it cannot be read"));
		goto out;
	}
	memcpy(out->env, env, env_len);
	out->env_len = env_len;
	if (out->format != (k->kind == UKEY_KEY_SM2 ? UKEY_ENVELOPE_SM2_V1
			    : k->kind == UKEY_KEY_RSA ? (out->format == UKEY_ENVELOPE_SKF_RSA_V1 ? UKEY_ENVELOPE_SKF_RSA_V1
										 : UKEY_ENVELOPE_RSA_OAEP_AES_V1)
						      : UKEY_ENVELOPE_ECDH_AES_V1)) {
		ret = enc_refuse(e, _("an envelope format that does not fit the new key"));
		goto out;
	}
	out->pub = env_pub(out->env, out->env_len, out->format, &why);
	if (out->pub == NULL) {
		char what[160];
		snprintf(what, sizeof(what), "%s: %s", _("the envelope cannot be decoded"), why);
		ret = enc_refuse(e, what);
		goto out;
	}
	if (!same_pub(X509_get0_pubkey(x), out->pub)) {
		ret = enc_refuse(e, _("the certificate is not for the enveloped key"));
		goto out;
	}
	if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(old)) != 0) {
		ret = enc_refuse(e, _("another subject"));
		goto out;
	}
	/* An encryption key only: a signing usage would make it a second
	 * signing certificate on the token. */
	if (!(X509_get_extension_flags(x) & EXFLAG_KUSAGE) ||
	    !(ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT)) ||
	    (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
		ret = enc_refuse(e, _("its key usage is not encryption only"));
		goto out;
	}
	if (!validity_ok(x, old, w)) {
		ret = enc_refuse(e, _("an unexpected validity"));
		goto out;
	}
	ret = chain_ok(old, x, chain, w->now, e);
	if (ret != UKEY_E_OK)
		goto out;
	len = i2d_X509(x, &out->der);
	if (len <= 0)
		ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	else
		out->der_len = (size_t)len;
out:
	if (ret != UKEY_E_OK)
		ukey_renew_enc_free(out);
	X509_free(old);
	X509_free(x);
	return ret;
}
