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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
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
	size_t body = s->tbs_info.len + s->tbs_cert.len + s->tbs_alg.len, h = 0, n;
	unsigned char *out = malloc(body + 6);

	if (out == NULL)
		return NULL;
	out[h++] = 0x30;
	if (body < 0x80) {
		out[h++] = (unsigned char)body;
	} else {
		for (n = body, h = 0; n != 0; n >>= 8)
			h++;
		out[1] = (unsigned char)(0x80 | h);
		for (n = 0; n < h; n++)
			out[2 + n] = (unsigned char)(body >> (8 * (h - 1 - n)));
		h += 2;
	}
	memcpy(out + h, s->tbs_info.p, s->tbs_info.len);
	memcpy(out + h + s->tbs_info.len, s->tbs_cert.p, s->tbs_cert.len);
	memcpy(out + h + s->tbs_info.len + s->tbs_cert.len, s->tbs_alg.p, s->tbs_alg.len);
	*len = h + body;
	return out;
}

/* EC signatures as DER: raw r||s (seen in real seals) is converted. Returns
 * the DER length, 0 when the bytes are no signature, -1 on no memory. */
static int ec_der(const unsigned char *sig, size_t len, unsigned char **der)
{
	const unsigned char *p = sig;
	ECDSA_SIG *es = len < 0x7fffffff ? d2i_ECDSA_SIG(NULL, &p, (long)len) : NULL;
	BIGNUM *r = NULL, *s = NULL;
	int ret = 0;

	*der = NULL;
	if (es == NULL || p != sig + len) {
		ECDSA_SIG_free(es);
		es = NULL;
		if (len != 64 && len != 96 && len != 132)
			return 0;
		r = BN_bin2bn(sig, (int)len / 2, NULL);
		s = BN_bin2bn(sig + len / 2, (int)len / 2, NULL);
		es = ECDSA_SIG_new();
		if (r == NULL || s == NULL || es == NULL || !ECDSA_SIG_set0(es, r, s)) {
			ret = -1;
			goto out;
		}
		r = s = NULL;
	}
	ret = i2d_ECDSA_SIG(es, der);
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ret;
}

static int check(EVP_PKEY *key, const char *md, const unsigned char *sig, size_t sig_len,
		 const unsigned char *tbs, size_t tbs_len)
{
	OSSL_PARAM params[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = 0;

	if (EVP_PKEY_is_a(key, "SM2"))
		params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_DIST_ID,
							      (void *)UKEY_SEAL_SM2_ID,
							      strlen(UKEY_SEAL_SM2_ID));
	if (ctx != NULL && EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, key, params) == 1)
		ok = EVP_DigestVerify(ctx, sig, sig_len, tbs, tbs_len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
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
		n = ec_der(s->signature.p, s->signature.len, &sig);
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
		r->signature_ok = check(key, md, sig, sig_len, s->tbs_info.p, s->tbs_info.len) ||
				  check(key, md, sig, sig_len, alt, alt_len);
	else
		r->signature_ok = check(key, md, sig, sig_len, alt, alt_len) ||
				  check(key, md, sig, sig_len, s->tbs_info.p, s->tbs_info.len);
	if (!r->signature_ok)
		problem(r, UKEY_SEAL_BAD_SIGNATURE,
			_("the maker's signature does not verify (the seal was altered or not"
			  " signed by its maker certificate)"));
out:
	OPENSSL_free(sig);
	free(alt);
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return (time_t)-1;
	return timegm(&tm);
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
		na = asn1_time(X509_get0_notAfter(cert));
		if (na != (time_t)-1 && na < s->create_date)
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
