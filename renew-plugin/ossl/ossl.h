/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ossl/: token keys as OpenSSL 3 EVP_PKEYs. A small provider ("ukey"),
 * built into a private OSSL_LIB_CTX next to the default provider, whose
 * key management holds a PKCS#11 connection, session and private-key
 * handle (plus the public half, a default-provider EVP_PKEY, for
 * everything public) and whose signatures are C_Sign on the token: the
 * design of pkcs11-provider in miniature, without the deprecated engines.
 * OpenSSL's own code (X509_REQ_sign_ex, the CMP client) then signs with
 * a token key like with any other key. */
#ifndef UKEY_RENEW_OSSL_H
#define UKEY_RENEW_OSSL_H

#include <stddef.h>

#include <openssl/core.h>
#include <openssl/evp.h>

#include "ukey-renew.h"

/* The private library context: the "ukey" provider and "default". Made
 * once per process and kept (OpenSSL holds it until exit). */
OSSL_LIB_CTX *ukey_ossl_libctx(void);

/* The private key priv on the token (session s of p, logged in) as an
 * EVP_PKEY of ukey_ossl_libctx(); pub is its public half (RSA, EC or SM2;
 * a reference is taken). p and s must outlive the key. NULL with e set. */
EVP_PKEY *ukey_ossl_token_key(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, EVP_PKEY *pub,
			      struct ukey_err *e);

/* ---- between the provider's files ---- */

enum ukey_ossl_kind { UKEY_OSSL_RSA = 0, UKEY_OSSL_EC, UKEY_OSSL_SM2 };

/* The key data of the provider's keys. */
struct ukey_ossl_key {
	struct ukey_conn *p;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE priv;
	EVP_PKEY *pub;
	enum ukey_ossl_kind kind;
};

/* The one import parameter: a struct ukey_ossl_key, copied (pub gets a
 * reference). Nothing else can be imported: these keys are made by
 * ukey_ossl_token_key only. */
#define UKEY_OSSL_PARAM_KEY "ukey-token-key"
#define UKEY_OSSL_PROPS "provider=ukey"

extern const OSSL_DISPATCH ukey_ossl_rsa_keymgmt[], ukey_ossl_ec_keymgmt[], ukey_ossl_sm2_keymgmt[];
extern const OSSL_DISPATCH ukey_ossl_rsa_signature[], ukey_ossl_ec_signature[], ukey_ossl_sm2_signature[];

/* algid.c: the DER AlgorithmIdentifier of a signature by a key of kind
 * with digest md_nid; for RSA-PSS (pss nonzero) with MGF1 over mgf_nid and
 * salt length saltlen. Its length (OPENSSL_free *der), or -1. */
int ukey_ossl_algid(enum ukey_ossl_kind kind, int md_nid, int pss, int mgf_nid, int saltlen, unsigned char **der);

#endif
