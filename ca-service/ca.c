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
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "seal/ses-asn1.h"

EVP_PKEY *svc_key_gen(const char *type)
{
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(type, "SM2") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

char *svc_hex(const unsigned char *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
}

char *svc_serial_hex(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL, *out = NULL, *p;

	if (h != NULL) {
		for (p = h; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
		out = strdup(h);
	}
	OPENSSL_free(h);
	BN_free(bn);
	return out;
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

char *svc_pem_cert(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	long len;

	if (b != NULL && PEM_write_bio_X509(b, x)) {
		len = BIO_get_mem_data(b, &p);
		out = strndup(p, (size_t)len);
	}
	BIO_free(b);
	return out;
}

time_t svc_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
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
	case SVC_CERT_SEAL:
		return ok && add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") &&
		       add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation");
	default:
		return ok && add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") &&
		       add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
		       add_ext(x, issuer, NID_ext_key_usage, "clientAuth,emailProtection");
	}
}

/* Signs with SHA-256, or SM3 with the GM/T 0009 ID for an SM2 CA key. */
static int sign_cert(X509 *x, EVP_PKEY *key)
{
	EVP_MD_CTX *md;
	OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
	int ok;

	if (!EVP_PKEY_is_a(key, "SM2"))
		return X509_sign(x, key, EVP_sha256()) > 0;
	md = EVP_MD_CTX_new();
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_DIST_ID, (void *)UKEY_SES_SM2_ID,
						 strlen(UKEY_SES_SM2_ID));
	ok = md != NULL && EVP_DigestSignInit_ex(md, NULL, "SM3", NULL, NULL, key, p) == 1 &&
	     X509_sign_ctx(x, md) > 0;
	EVP_MD_CTX_free(md);
	return ok;
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
	if (!add_profile(x, ca ? ca : x, kind) || !sign_cert(x, cakey))
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
	ASN1_OCTET_STRING *id = NULL;
	int ret = -1;

	*expired = 0;
	*why = "certificate does not chain to the service's CA";
	if (st == NULL || ctx == NULL || !X509_STORE_add_cert(st, s->ca_cert))
		goto out;
	if (EVP_PKEY_is_a(s->ca_key, "SM2")) {
		/* OpenSSL 3.0 verifies an SM2-signed certificate with the ID
		 * set on the certificate itself. */
		id = ASN1_OCTET_STRING_new();
		if (id == NULL || !ASN1_OCTET_STRING_set(id, (const unsigned char *)UKEY_SES_SM2_ID,
							 (int)strlen(UKEY_SES_SM2_ID)))
			goto out;
		X509_set0_distinguishing_id(x, id);
		id = NULL;
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
	ASN1_OCTET_STRING_free(id);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ret;
}

char *svc_b64(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* Strict RFC 4648 base64 with padding; NULL on anything else. */
unsigned char *svc_unb64(const char *s, size_t *n)
{
	size_t len = strlen(s), pad = 0;
	unsigned char *out;
	int r;

	if (len == 0 || len % 4 != 0 || len > 16 * 1024 * 1024)
		return NULL;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return NULL;
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (r < 0 || (size_t)r < pad) {
		free(out);
		return NULL;
	}
	*n = (size_t)r - pad;
	return out;
}
