/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* csr.c: step 2, the PKCS#10 request for the new key, built with OpenSSL
 * and signed THROUGH PKCS#11 by the new key (the key never leaves the
 * token): DER of the request info, C_Sign, then algorithm and signature set
 * on the X509_REQ and the result verified locally. */

#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certder.h"
#include "ecsig.h"
#include "ukey-base.h"
#include "renew.h"
#include "ukey-pkcs11.h"

int ukey_renew_csr(struct ukey_conn *p, CK_SESSION_HANDLE s, const struct ukey_renew_key *k,
		   const unsigned char *old_der, size_t old_len, char **pem, struct ukey_err *e)
{
	static const int nids[] = { NID_sha256WithRSAEncryption, NID_ecdsa_with_SHA256, NID_SM2_with_SM3 };
	static const CK_MECHANISM_TYPE mechs[] = { CKM_SHA256_RSA_PKCS, CKM_ECDSA_SHA256, CKM_SM3_SM2 };
	const unsigned char *q = old_der;
	X509 *old = d2i_X509(NULL, &q, (long)old_len);
	X509_REQ *req = X509_REQ_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
	CK_MECHANISM m = { mechs[k->kind], NULL, 0 };
	unsigned char *tbs = NULL, sig[1024], *der = NULL;
	CK_ULONG siglen = sizeof(sig);
	int tbs_len, der_len = 0, ret;
	BIO *b = NULL;
	BUF_MEM *mem;
	CK_RV rv;

	*pem = NULL;
	if (old == NULL || req == NULL || alg == NULL || bits == NULL || !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, X509_get_subject_name(old)) || !X509_REQ_set_pubkey(req, k->pkey) ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(nids[k->kind]), k->kind == UKEY_KEY_RSA ? V_ASN1_NULL : V_ASN1_UNDEF, NULL))
		goto bad;
	/* The algorithm sits outside the signed request info, so it can be
	 * set after signing; the request info is encoded afresh. */
	tbs_len = i2d_re_X509_REQ_tbs(req, &tbs);
	if (tbs_len <= 0)
		goto bad;
	rv = p->f->C_SignInit(s, &m, k->priv);
	if (rv == CKR_OK)
		rv = p->f->C_Sign(s, tbs, (CK_ULONG)tbs_len, sig, &siglen);
	if (rv != CKR_OK) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the new key could not sign the certificate request: %s"),
				   ukey_p11_rv_name(rv));
		goto out;
	}
	if (k->kind != UKEY_KEY_RSA) {
		if ((der_len = ukc_ecsig_raw_to_der(sig, siglen, &der)) <= 0)
			goto bad;
	}
	if (!ASN1_BIT_STRING_set(bits, der ? der : sig, der ? der_len : (int)siglen))
		goto bad;
	bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bits);
	bits = NULL;
	if (!X509_REQ_set1_signature_algo(req, alg))
		goto bad;
	if (k->kind == UKEY_KEY_SM2 && ukc_x509_req_set_sm2_id(req) != 0)
		goto bad;
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
	BIO_free(b);
	OPENSSL_free(tbs);
	OPENSSL_free(der);
	ASN1_BIT_STRING_free(bits);
	X509_ALGOR_free(alg);
	X509_REQ_free(req);
	X509_free(old);
	return ret;
}
