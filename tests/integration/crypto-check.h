/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OpenSSL-side checks shared by the crypto integration tests: every result
 * the module produces is verified here with OpenSSL against a public key
 * that came from the token (certificate or public key attributes), never
 * against a stored answer. */
#ifndef UKEY_CRYPTO_CHECK_H
#define UKEY_CRYPTO_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "testlib.h"
#include "ukey-pkcs11.h"

enum ukc_sigkind { UKC_RSA_PKCS, UKC_RSA_PSS, UKC_ECDSA, UKC_SM2 };

/* One signature mechanism and how OpenSSL checks its output. */
struct ukc_sigmech {
	CK_MECHANISM_TYPE mech;
	const char *name;
	enum ukc_sigkind kind;
	const char *md;               /* hash the mechanism applies (NULL: raw input) */
	CK_MECHANISM_TYPE hash;       /* matching CKM_SHA_* (PSS params) */
	CK_RSA_PKCS_MGF_TYPE mgf;     /* matching CKG_MGF1_* (PSS params) */
	size_t hlen;
};

/* The hash-and-sign mechanisms, NULL-name terminated. */
extern const struct ukc_sigmech ukc_rsa_pkcs_mechs[];
extern const struct ukc_sigmech ukc_rsa_pss_mechs[];
extern const struct ukc_sigmech ukc_ecdsa_mechs[];
extern const struct ukc_sigmech ukc_sm2_mechs[];

/* Digest info for a CKM_SHA_* mechanism (NULL when unknown). */
const char *ukc_md_for_ckm(CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE *mgf, size_t *hlen);

/* Reads the signing (sign) or encryption certificate (CKA_ID tok->sign_id
 * or enc_id) through the module, checks that it is signed by the test CA
 * (tok->ca_cert; SM2 with the default signer ID) and returns its public key
 * (caller frees), or NULL. */
EVP_PKEY *ukc_cert_pubkey(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s,
			  const struct ukt_token *tok, bool sign);

/* Builds a public key from a public-key object's attributes (CKA_MODULUS +
 * CKA_PUBLIC_EXPONENT, or CKA_EC_PARAMS + CKA_EC_POINT). */
EVP_PKEY *ukc_pubkey_from_object(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub);

/* Verifies a PKCS#11 signature with OpenSSL. With m->md set, data is the
 * message; otherwise data is what the raw mechanism signed (a DigestInfo for
 * CKM_RSA_PKCS, a hash for PSS and ECDSA, with raw_md naming that hash for
 * PSS, e for raw SM2). ECDSA and SM2 signatures are r||s as PKCS#11 returns
 * them; SM3-with-SM2 uses the default signer ID. Returns 1 valid,
 * 0 invalid, -1 on an error in the check itself. */
int ukc_verify(EVP_PKEY *pk, const struct ukc_sigmech *m, const char *raw_md,
	       const unsigned char *data, size_t len, const unsigned char *sig, size_t siglen);

/* r||s (PKCS#11) to a DER ECDSA-Sig-Value; returns its length or 0. */
size_t ukc_ecdsa_raw_to_der(const unsigned char *raw, size_t rawlen, unsigned char *der, size_t dersize);

/* DER DigestInfo of hash(data) for CKM_RSA_PKCS; returns its length or 0. */
size_t ukc_digest_info(const char *md, const unsigned char *data, size_t len,
		       unsigned char *out, size_t outsize);

/* Reads one attribute into a malloc'd buffer (caller frees). */
CK_RV ukc_get_attr(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
		   CK_ATTRIBUTE_TYPE type, unsigned char **val, CK_ULONG *len);

/* Fills buf with OpenSSL random bytes (test input). */
void ukc_random(unsigned char *buf, size_t len);

#endif
