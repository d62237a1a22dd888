/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* algid.c: the AlgorithmIdentifier a signature declares. OpenSSL asks the
 * signature for it (OSSL_SIGNATURE_PARAM_ALGORITHM_ID) when it signs a
 * certificate request, a CMP message's protection or a proof of
 * possession, so it must say exactly what the token computed. */

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ossl/ossl.h"

/* RSASSA-PSS-params (RFC 4055): the hash, MGF1 over mgf, the salt length;
 * the trailer field is the default. */
static int pss_params(X509_ALGOR *alg, int md_nid, int mgf_nid, int saltlen)
{
	RSA_PSS_PARAMS *pp = RSA_PSS_PARAMS_new();
	X509_ALGOR *mgfmd = X509_ALGOR_new();
	ASN1_STRING *seq = NULL, *mgfseq = NULL;
	int ok = 0;

	if (pp == NULL || mgfmd == NULL || (pp->hashAlgorithm = X509_ALGOR_new()) == NULL ||
	    (pp->maskGenAlgorithm = X509_ALGOR_new()) == NULL)
		goto out;
	if (!X509_ALGOR_set0(pp->hashAlgorithm, OBJ_nid2obj(md_nid), V_ASN1_UNDEF, NULL) ||
	    !X509_ALGOR_set0(mgfmd, OBJ_nid2obj(mgf_nid), V_ASN1_UNDEF, NULL) ||
	    ASN1_item_pack(mgfmd, ASN1_ITEM_rptr(X509_ALGOR), &mgfseq) == NULL ||
	    !X509_ALGOR_set0(pp->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, mgfseq))
		goto out;
	mgfseq = NULL;
	if (saltlen != 20 && ((pp->saltLength = ASN1_INTEGER_new()) == NULL || !ASN1_INTEGER_set(pp->saltLength, saltlen)))
		goto out;
	if (ASN1_item_pack(pp, ASN1_ITEM_rptr(RSA_PSS_PARAMS), &seq) == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, seq))
		goto out;
	seq = NULL;
	ok = 1;
out:
	ASN1_STRING_free(seq);
	ASN1_STRING_free(mgfseq);
	X509_ALGOR_free(mgfmd);
	RSA_PSS_PARAMS_free(pp);
	return ok;
}

int ukey_ossl_algid(enum ukey_ossl_kind kind, int md_nid, int pss, int mgf_nid, int saltlen, unsigned char **der)
{
	X509_ALGOR *alg = X509_ALGOR_new();
	int sig_nid = 0, len = -1, ok;

	*der = NULL;
	if (alg == NULL)
		return -1;
	if (kind == UKEY_OSSL_RSA && pss)
		ok = pss_params(alg, md_nid, mgf_nid, saltlen);
	else if (kind == UKEY_OSSL_SM2)
		ok = md_nid == NID_sm3 && X509_ALGOR_set0(alg, OBJ_nid2obj(NID_SM2_with_SM3), V_ASN1_UNDEF, NULL);
	else
		/* RFC 4055: PKCS#1 v1.5 with NULL parameters; RFC 5758:
		 * ECDSA with none. */
		ok = OBJ_find_sigid_by_algs(&sig_nid, md_nid,
					    kind == UKEY_OSSL_RSA ? NID_rsaEncryption : NID_X9_62_id_ecPublicKey) &&
		     X509_ALGOR_set0(alg, OBJ_nid2obj(sig_nid), kind == UKEY_OSSL_RSA ? V_ASN1_NULL : V_ASN1_UNDEF,
				     NULL);
	if (ok)
		len = i2d_X509_ALGOR(alg, der);
	X509_ALGOR_free(alg);
	return len > 0 ? len : -1;
}
