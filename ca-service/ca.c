/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ca.c: the service's certificate authority primitives with OpenSSL:
 * key generation, issuing certificates of four profiles (user, CA, TLS
 * server, seal maker), checking a client certificate against the user CA,
 * and small encoding helpers.
 */
#include "config.h"

#include "svc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

EVP_PKEY *svc_key_gen(const char *type)
{
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(type, "SM2") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* "CN=..., O=..., C=..." in RFC 2253 order, UTF-8 kept as is. */
char *svc_name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	long len;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &p);
		out = strndup(p, (size_t)len);
	}
	BIO_free(b);
	return out;
}

time_t svc_asn1_time(const ASN1_TIME *t)
{
	time_t out;

	return ukc_asn1_time(t, &out) == 0 ? out : 0;
}

int svc_write_pem(const char *path, X509 *x, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return -1;
	ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e == NULL)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

static int add_profile(X509 *x, X509 *issuer, int kind)
{
	int ok = add_ext(x, x, NID_subject_key_identifier, "hash");

	if (issuer != x)
		ok = ok && add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	switch (kind) {
	case SVC_CERT_CA:
		return ok && add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE") &&
		       add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	case SVC_CERT_TLS:
		return ok && add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") &&
		       add_ext(x, issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") &&
		       add_ext(x, issuer, NID_ext_key_usage, "serverAuth") &&
		       add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
	case SVC_CERT_CMP: /* RFC 9483 section 3.1: a CA's CMP signer */
		return ok && add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") &&
		       add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") &&
		       add_ext(x, issuer, NID_ext_key_usage, "cmcCA");
	case SVC_CERT_SEAL:
		return ok && add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") &&
		       add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation");
	default:
		return ok && add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") &&
		       add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
		       add_ext(x, issuer, NID_ext_key_usage, "clientAuth,emailProtection");
	}
}

/* Issues a certificate for pub with subject; ca == NULL makes it
 * self-signed with cakey (which must then be pub's private key). */
X509 *svc_ca_issue(X509 *ca, EVP_PKEY *cakey, const X509_NAME *subject, EVP_PKEY *pub,
		   time_t nb, time_t na, int kind)
{
	X509 *x = X509_new();
	unsigned char rnd[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	int ok = 0;

	if (x == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	rnd[0] &= 0x7f; /* positive */
	rnd[0] |= 0x10; /* and always 16 bytes */
	bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
	serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (serial == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) || !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : subject) ||
	    !X509_set_pubkey(x, pub) || !ASN1_TIME_set(X509_getm_notBefore(x), nb) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), na))
		goto out;
	if (!add_profile(x, ca ? ca : x, kind) || !ukc_x509_sign(x, cakey))
		goto out;
	ok = 1;
out:
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* Chain to the user CA, validity (with the grace period when allowed). */
int svc_cert_check(struct svc *s, X509 *x, time_t now, int allow_expired, int *expired,
		   const char **why)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	time_t nb = svc_asn1_time(X509_get0_notBefore(x));
	time_t na = svc_asn1_time(X509_get0_notAfter(x));
	int ret = -1;

	*expired = 0;
	*why = "certificate does not chain to the service's CA";
	if (st == NULL || ctx == NULL || !X509_STORE_add_cert(st, s->ca_cert))
		goto out;
	if (EVP_PKEY_is_a(s->ca_key, "SM2")) {
		/* OpenSSL 3.0 verifies an SM2-signed certificate with the ID
		 * set on the certificate itself. */
		if (ukc_x509_set_sm2_id(x) != 0)
			goto out;
	}
	if (!X509_STORE_CTX_init(ctx, st, x, NULL))
		goto out;
	/* Time is checked below: an expired certificate is accepted for some
	 * endpoints within the grace period. */
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_NO_CHECK_TIME);
	if (X509_verify_cert(ctx) != 1)
		goto out;
	if (nb == 0 || na == 0 || now < nb) {
		*why = "certificate is not yet valid";
		goto out;
	}
	if (now > na) {
		*why = "certificate has expired";
		if (!allow_expired || (allow_expired == 1 && now - na > SVC_GRACE_EXPIRED))
			goto out;
		*expired = 1;
	}
	ret = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ret;
}
