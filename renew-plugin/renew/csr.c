/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* csr.c: step 2, the PKCS#10 request for the new key, built and signed by
 * OpenSSL with the new key as a token key of ossl/'s provider: the
 * signature is C_Sign on the U-KEY (the key never leaves it), and the
 * algorithm the request declares is the one the provider says it made.
 * The result is verified locally with the public half. */

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certder.h"
#include "ukey-base.h"
#include "ossl/ossl.h"
#include "renew.h"
#include "ukey-pkcs11.h"

int ukey_renew_csr(struct ukey_conn *p, CK_SESSION_HANDLE s, const struct ukey_renew_key *k,
		   const unsigned char *old_der, size_t old_len, char **pem, struct ukey_err *e)
{
	const unsigned char *q = old_der;
	X509 *old = d2i_X509(NULL, &q, (long)old_len);
	X509_REQ *req = X509_REQ_new();
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *tk = NULL;
	BIO *b = NULL;
	BUF_MEM *mem;
	int ret;

	*pem = NULL;
	if (old == NULL || req == NULL || mc == NULL || !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, X509_get_subject_name(old)) || !X509_REQ_set_pubkey(req, k->pkey))
		goto bad;
	if ((tk = ukey_ossl_token_key(p, s, k->priv, k->pkey, e)) == NULL) {
		ret = e->code;
		goto out;
	}
	/* SM2: SM3 over the signer's Z with GM/T 0009's default ID, the one
	 * the request is then verified with (and the CA verifies it with). */
	if (EVP_DigestSignInit_ex(mc, &pc, k->kind == UKEY_KEY_SM2 ? "SM3" : "SHA256", ukey_ossl_libctx(), NULL, tk,
				  NULL) != 1 ||
	    (k->kind == UKEY_KEY_SM2 &&
	     (EVP_PKEY_CTX_set1_id(pc, UKEY_SM2_DEFAULT_ID, strlen(UKEY_SM2_DEFAULT_ID)) != 1 ||
	      ukc_x509_req_set_sm2_id(req) != 0)))
		goto bad;
	if (X509_REQ_sign_ctx(req, mc) <= 0) {
		/* The provider leaves the token's CKR_ name as the error's data. */
		const char *why = NULL;
		int flags = 0;
		unsigned long err = ERR_peek_last_error_data(&why, &flags);
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the new key could not sign the certificate request: %s"),
				   why && *why && (flags & ERR_TXT_STRING) ? why : err ? ERR_reason_error_string(err) : "?");
		goto out;
	}
	if (X509_REQ_verify(req, k->pkey) != 1) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the certificate request signed on the U-KEY does not verify"));
		goto out;
	}
	b = BIO_new(BIO_s_mem());
	if (b == NULL || !PEM_write_bio_X509_REQ(b, req) || BIO_get_mem_ptr(b, &mem) <= 0 ||
	    (*pem = strndup(mem->data, mem->length)) == NULL)
		goto bad;
	ret = UKEY_E_OK;
	goto out;
bad:
	ret = ukey_err_set(e, UKEY_E_ERROR, _("cannot build the certificate request"));
out:
	ERR_clear_error();
	BIO_free(b);
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(tk);
	X509_REQ_free(req);
	X509_free(old);
	return ret;
}
