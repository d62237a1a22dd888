/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal-verify.c: the maker's signature over the bytes as written (2020
 * shape: DER(SES_SealInfo); 2014 shape: SEQUENCE { sealInfo, cert,
 * signatureAlgorithm }; the other form is tried second because makers
 * disagree), the validity window, and the maker certificate's dates.
 * Problems are reported in the result, never by crashing or failing.
 */
#include "config.h"

#include "seal.h"
#include "ukey-base.h"
#include "dertlv.h"
#include "ecsig.h"
#include "seal-asn1.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

static void problem(struct ukey_seal_result *r, unsigned int what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct ukey_seal_result *r, unsigned int what, const char *fmt, ...)
{
	va_list ap;

	r->problems |= what;
	if (r->n_reasons >= UKEY_SEAL_MAX_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->reasons[r->n_reasons++], sizeof(r->reasons[0]), fmt, ap);
	va_end(ap);
}

/* SEQUENCE { info, cert, alg } from the three elements as written. */
static unsigned char *tbs_2014(const struct ukey_seal *s, size_t *len)
{
	const struct ukc_bytes parts[3] = {
		{ s->tbs_info.p, s->tbs_info.len },
		{ s->tbs_cert.p, s->tbs_cert.len },
		{ s->tbs_alg.p, s->tbs_alg.len },
	};

	return ukc_der_sequence(parts, 3, len);
}

/* The digest the algorithm OID names, checked against the key type. */
static const char *digest_for(const struct ukey_seal *s, EVP_PKEY *key, int *mismatch)
{
	int nid = OBJ_txt2nid(s->sig_alg), md = NID_undef, pk = NID_undef;

	*mismatch = 0;
	if (EVP_PKEY_is_a(key, "SM2"))
		return "SM3";
	if (nid != NID_undef && OBJ_find_sigid_algs(nid, &md, &pk) && md != NID_undef) {
		if ((pk == NID_rsaEncryption && !EVP_PKEY_is_a(key, "RSA")) ||
		    (pk == NID_X9_62_id_ecPublicKey && !EVP_PKEY_is_a(key, "EC")))
			*mismatch = 1;
		if (md != NID_sm3)
			return OBJ_nid2sn(md);
	}
	return "SHA256";
}

static void signature(const struct ukey_seal *s, X509 *cert, struct ukey_seal_result *r)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);
	unsigned char *sig = NULL, *alt = NULL;
	size_t sig_len = 0, alt_len = 0;
	const char *md;
	int mismatch, n;

	if (key == NULL) {
		problem(r, UKEY_SEAL_MAKER_CERT, _("the maker certificate's public key is unusable"));
		return;
	}
	md = digest_for(s, key, &mismatch);
	if (mismatch) {
		problem(r, UKEY_SEAL_UNKNOWN_ALG,
			_("the signature algorithm %s does not match the maker's key"), s->sig_alg);
		return;
	}
	if (EVP_PKEY_is_a(key, "RSA")) {
		sig_len = s->signature.len;
		if (sig_len < (size_t)EVP_PKEY_get_size(key)) {
			problem(r, UKEY_SEAL_SIG_TRUNCATED,
				_("the maker's signature is truncated (%zu bytes, %d expected)"),
				sig_len, EVP_PKEY_get_size(key));
			return;
		}
		sig = malloc(sig_len);
		if (sig != NULL)
			memcpy(sig, s->signature.p, sig_len);
	} else {
		n = ukc_ecsig_to_der(s->signature.p, s->signature.len, &sig);
		if (n == 0) {
			problem(r, UKEY_SEAL_SIG_TRUNCATED,
				_("the maker's signature is truncated or malformed (%zu bytes)"),
				s->signature.len);
			return;
		}
		sig_len = n > 0 ? (size_t)n : 0;
	}
	alt = tbs_2014(s, &alt_len);
	if (sig == NULL || alt == NULL) {
		problem(r, UKEY_SEAL_BAD_SIGNATURE, _("out of memory"));
		goto out;
	}
	if (s->shape == UKEY_SEAL_2020)
		r->signature_ok = ukc_ses_check(key, md, sig, sig_len, s->tbs_info.p, s->tbs_info.len) ||
				  ukc_ses_check(key, md, sig, sig_len, alt, alt_len);
	else
		r->signature_ok = ukc_ses_check(key, md, sig, sig_len, alt, alt_len) ||
				  ukc_ses_check(key, md, sig, sig_len, s->tbs_info.p, s->tbs_info.len);
	if (!r->signature_ok)
		problem(r, UKEY_SEAL_BAD_SIGNATURE,
			_("the maker's signature does not verify (the seal was altered or not"
			  " signed by its maker certificate)"));
out:
	OPENSSL_free(sig);
	free(alt);
}

int ukey_seal_verify(const struct ukey_seal *s, time_t now, struct ukey_seal_result *r)
{
	const unsigned char *p = s->maker_cert.p;
	X509 *cert = NULL;
	time_t na;

	memset(r, 0, sizeof(*r));
	if (s->maker_cert.len > 0 && s->maker_cert.len < 0x7fffffff)
		cert = d2i_X509(NULL, &p, (long)s->maker_cert.len);
	if (cert == NULL) {
		problem(r, UKEY_SEAL_MAKER_CERT,
			_("the maker certificate cannot be read: the signature cannot be checked"));
	} else {
		signature(s, cert, r);
		if (ukc_asn1_time(X509_get0_notAfter(cert), &na) == 0 && na < s->create_date)
			problem(r, UKEY_SEAL_MAKER_EXPIRED,
				_("the maker certificate had expired before the seal was made"));
	}
	if (now < s->valid_start)
		problem(r, UKEY_SEAL_NOT_YET_VALID, _("the seal is not valid yet"));
	if (now > s->valid_end)
		problem(r, UKEY_SEAL_EXPIRED, _("the seal has expired"));
	r->valid = r->problems == 0;
	X509_free(cert);
	return 0;
}
