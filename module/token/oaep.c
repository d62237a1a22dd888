/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OAEP decoding in software, for backends whose own CKM_RSA_PKCS_OAEP
 * accepts fewer parameters than we encrypt with (SoftHSM 2.6: SHA-1 and no
 * label only). The device still does the private-key operation, raw
 * (CKM_RSA_X_509); only the padding is checked here. OpenSSL 3.0 keeps its
 * constant-time OAEP check only in the deprecated RSA_padding_* API, and a
 * hand-written check would be easy to get wrong, so that API is used. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "config.h"

#include <openssl/rsa.h>

#include "token/crypto.h"
#include "util/ossl.h"

CK_RV ukey_oaep_decode(const CK_RSA_PKCS_OAEP_PARAMS *p, const unsigned char *label, const unsigned char *em,
		       CK_ULONG emlen, CK_ULONG k, unsigned char *out, CK_ULONG *outlen)
{
	EVP_MD *md = EVP_MD_fetch(ukey_ossl_ctx(), ukey_hash_name(p->hashAlg), NULL);
	EVP_MD *mgf = EVP_MD_fetch(ukey_ossl_ctx(), ukey_hash_name(ukey_mgf1_hash(p->mgf)), NULL);
	CK_RV rv = CKR_MECHANISM_PARAM_INVALID;
	if (!md || !mgf || emlen > k)
		goto out;
	/* Given the whole k-byte block, it checks the leading zero itself, in
	 * constant time, as OpenSSL's own RSA decryption does. */
	int n = RSA_padding_check_PKCS1_OAEP_mgf1(out, (int)*outlen, em, (int)emlen, (int)k, label,
						  (int)p->ulSourceDataLen, md, mgf);
	rv = n < 0 ? CKR_ENCRYPTED_DATA_INVALID : CKR_OK;
	if (n >= 0)
		*outlen = (CK_ULONG)n;
out:
	EVP_MD_free(md);
	EVP_MD_free(mgf);
	return rv;
}
