/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* auth.c: the signed-request headers, signature made on the token. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "authstr.h"
#include "b64.h"
#include "ecsig.h"
#include "ukey-base.h"
#include "json.h"
#include "ukey-pkcs11.h"
#include "api-parse.h"

int ukey_auth_init(struct ukey_auth *a, struct ukey_conn *p, CK_SESSION_HANDLE s,
		   const struct ukey_cert *certs, size_t n, struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[2] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, NULL, 0 } };
	CK_ULONG found;
	int ret;

	memset(a, 0, sizeof(*a));
	a->p = p;
	a->s = s;
	a->cert = ukey_certs_signing(certs, n);
	if (a->cert == NULL)
		return ukey_err_set(e, UKEY_E_TOKEN, _("the U-KEY holds no signing certificate"));
	tmpl[1].pValue = (void *)a->cert->id;
	tmpl[1].ulValueLen = a->cert->id_len;
	ret = ukey_conn_find(p, s, tmpl, 2, &a->key, 1, &found, e);
	if (ret != UKEY_E_OK)
		return ret;
	if (found == 0)
		return ukey_err_set(e, UKEY_E_TOKEN, _("the U-KEY holds no private key for its signing certificate"));
	if (strcmp(a->cert->key_type, "RSA") == 0) {
		a->mech = CKM_SHA256_RSA_PKCS;
		a->alg = "rsa-sha256";
	} else if (strcmp(a->cert->key_type, "EC") == 0) {
		a->mech = CKM_ECDSA_SHA256;
		a->alg = "ecdsa-sha256";
	} else if (strcmp(a->cert->key_type, "SM2") == 0) {
		a->mech = CKM_SM3_SM2;
		a->alg = "sm2-sm3";
	} else {
		return ukey_err_set(e, UKEY_E_TOKEN, _("the signing certificate has an unsupported key type"));
	}
	return UKEY_E_OK;
}

static int get_nonce(struct ukey_http *h, char *nonce, size_t len, struct ukey_err *e)
{
	struct ukey_http_resp r;
	int ret = ukey_http_request(h, "POST", "/api/v1/nonce", NULL, NULL, 0, UKEY_HTTP_MAX_JSON, &r, e);

	if (ret != UKEY_E_OK)
		return ret;
	if (r.status != 200) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service refused a nonce (HTTP %ld)"), r.status);
		goto out;
	}
	/* Strict: the nonce goes into a header line and the string to sign. */
	ret = ukey_api_parse_nonce(r.body, r.len, nonce, len, e);
out:
	ukey_http_resp_free(&r);
	return ret;
}

static int add_header(struct curl_slist **hdrs, const char *name, const char *value)
{
	char *line = NULL;
	struct curl_slist *n;

	if (asprintf(&line, "%s: %s", name, value) < 0)
		return -1;
	n = curl_slist_append(*hdrs, line);
	OPENSSL_cleanse(line, strlen(line));
	free(line);
	if (n == NULL)
		return -1;
	*hdrs = n;
	return 0;
}

int ukey_auth_headers(struct ukey_auth *a, struct ukey_http *h, const char *method, const char *path,
		      const char *body, size_t body_len, struct curl_slist **hdrs, struct ukey_err *e)
{
	CK_MECHANISM mech = { a->mech, NULL, 0 };
	unsigned char sig[1024], *der = NULL;
	CK_ULONG siglen = sizeof(sig);
	char nonce[256], *tbs = NULL, *sig64 = NULL, *cert64 = NULL;
	int derlen = 0, ret;
	CK_RV rv;

	ret = get_nonce(h, nonce, sizeof(nonce), e);
	if (ret != UKEY_E_OK)
		return ret;
	tbs = ukc_auth_string(method, path, nonce, body, body_len);
	if (tbs == NULL) {
		ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		goto out;
	}
	rv = a->p->f->C_SignInit(a->s, &mech, a->key);
	if (rv == CKR_OK)
		rv = a->p->f->C_Sign(a->s, (CK_BYTE_PTR)tbs, strlen(tbs), sig, &siglen);
	if (rv != CKR_OK) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the U-KEY could not sign the request: %s"),
				   ukey_p11_rv_name(rv));
		goto out;
	}
	if (a->mech != CKM_SHA256_RSA_PKCS) {
		/* r || s from the token; the protocol carries the DER ECDSA-Sig-Value. */
		if ((derlen = ukc_ecsig_raw_to_der(sig, siglen, &der)) <= 0) {
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("the U-KEY returned a malformed signature"));
			goto out;
		}
		sig64 = ukc_b64_encode(der, (size_t)derlen);
	} else {
		sig64 = ukc_b64_encode(sig, siglen);
	}
	cert64 = ukc_b64_encode(a->cert->der, a->cert->der_len);
	if (sig64 == NULL || cert64 == NULL || add_header(hdrs, "X-Ukey-Certificate", cert64) ||
	    add_header(hdrs, "X-Ukey-Nonce", nonce) || add_header(hdrs, "X-Ukey-Signature-Algorithm", a->alg) ||
	    add_header(hdrs, "X-Ukey-Signature", sig64)) {
		ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		goto out;
	}
	ret = UKEY_E_OK;
out:
	OPENSSL_cleanse(nonce, sizeof(nonce));
	if (tbs != NULL)
		OPENSSL_cleanse(tbs, strlen(tbs));
	free(tbs);
	OPENSSL_free(der);
	free(sig64);
	free(cert64);
	return ret;
}
