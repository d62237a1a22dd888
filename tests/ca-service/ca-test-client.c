/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ca-test-client.c: a tiny client of the CA service protocol for tests of
 * the SERVICE: signs each request with a software key from a PEM file (the
 * token-backed client is the renewal plugin's job).
 *
 *   ca-test-client --url URL --cafile CA [--key KEY --cert CERT]
 *       [--no-auth] [--bad-signature] [--nonce N] [--alg A]
 *       [--body-file F] [--out FILE] METHOD PATH [BODY]
 *
 * Prints the HTTP status on the first line, then the body (or writes the
 * body to --out). Exit 0 when an answer arrived, 3 when none did.
 */
#include "config.h"

#include "https.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "authstr.h"
#include "b64.h"
#include "certder.h"

struct opts {
	const char *url, *cafile, *key, *cert, *nonce, *alg, *out;
	int no_auth, bad_sig;
};

static char *fetch_nonce(const struct opts *op)
{
	struct https_resp r;
	json_object *j, *v;
	char *n = NULL;

	if (https_request(op->url, op->cafile, "POST", "/api/v1/nonce", NULL, "", 0, &r) != 0)
		return NULL;
	j = r.status == 200 ? json_tokener_parse(r.body) : NULL;
	if (j && json_object_object_get_ex(j, "nonce", &v) && json_object_is_type(v, json_type_string))
		n = strdup(json_object_get_string(v));
	json_object_put(j);
	https_resp_free(&r);
	return n;
}

/* Signs the protocol's string with the key as its type requires. */
static char *sign(EVP_PKEY *key, const char *alg, const char *tbs)
{
	OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t len = 0;
	char *out = NULL;

	if (strcmp(alg, "sm2-sm3") == 0)
		p[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_DIST_ID,
							 (void *)UKC_SM2_ID, strlen(UKC_SM2_ID));
	if (md == NULL || EVP_DigestSignInit_ex(md, NULL, strcmp(alg, "sm2-sm3") == 0 ? "SM3" : "SHA256",
						NULL, NULL, key, p) != 1 ||
	    EVP_DigestSign(md, NULL, &len, (const unsigned char *)tbs, strlen(tbs)) != 1 ||
	    (sig = malloc(len)) == NULL ||
	    EVP_DigestSign(md, sig, &len, (const unsigned char *)tbs, strlen(tbs)) != 1)
		goto out;
	out = ukc_b64_encode(sig, len);
out:
	free(sig);
	EVP_MD_CTX_free(md);
	return out;
}

static int auth_headers(const struct opts *op, const char *method, const char *path,
			const char *body, size_t blen, char **h)
{
	FILE *f;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	unsigned char *der = NULL;
	char *tbs = NULL, *nonce = NULL, *sig = NULL, *c64 = NULL;
	const char *alg = op->alg;
	int len, ret = -1;

	f = fopen(op->key, "r");
	key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	f = fopen(op->cert, "r");
	cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (key == NULL || cert == NULL) {
		fprintf(stderr, "ca-test-client: cannot read %s / %s\n", op->key, op->cert);
		goto out;
	}
	if (alg == NULL)
		alg = EVP_PKEY_is_a(key, "SM2") ? "sm2-sm3"
		      : EVP_PKEY_is_a(key, "EC") ? "ecdsa-sha256" : "rsa-sha256";
	nonce = op->nonce ? strdup(op->nonce) : fetch_nonce(op);
	len = i2d_X509(cert, &der);
	if (nonce == NULL || len <= 0 || (c64 = ukc_b64_encode(der, (size_t)len)) == NULL)
		goto out;
	tbs = ukc_auth_string(method, path, nonce, body, blen);
	if (tbs == NULL)
		goto out;
	sig = sign(key, alg, tbs);
	if (sig == NULL)
		goto out;
	if (op->bad_sig)
		sig[5] = sig[5] == 'A' ? 'B' : 'A';
	if (asprintf(&h[0], "X-Ukey-Certificate: %s", c64) < 0 ||
	    asprintf(&h[1], "X-Ukey-Nonce: %s", nonce) < 0 ||
	    asprintf(&h[2], "X-Ukey-Signature-Algorithm: %s", alg) < 0 ||
	    asprintf(&h[3], "X-Ukey-Signature: %s", sig) < 0)
		goto out;
	ret = 0;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	OPENSSL_free(der);
	free(tbs);
	free(nonce);
	free(sig);
	free(c64);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", 1, NULL, 'u' },	   { "cafile", 1, NULL, 'c' },
		{ "key", 1, NULL, 'k' },	   { "cert", 1, NULL, 'x' },
		{ "nonce", 1, NULL, 'n' },	   { "alg", 1, NULL, 'a' },
		{ "out", 1, NULL, 'o' },	   { "body-file", 1, NULL, 'f' },
		{ "no-auth", 0, NULL, 'N' },	   { "bad-signature", 0, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts op = { 0 };
	const char *bfile = NULL, *method, *path;
	char *h[5] = { 0 }, *body = NULL;
	size_t blen = 0;
	struct https_resp r;
	int c, i, ret = 1;

	alarm(60); /* bounded, whatever the server does */
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'u': op.url = optarg; break;
		case 'c': op.cafile = optarg; break;
		case 'k': op.key = optarg; break;
		case 'x': op.cert = optarg; break;
		case 'n': op.nonce = optarg; break;
		case 'a': op.alg = optarg; break;
		case 'o': op.out = optarg; break;
		case 'f': bfile = optarg; break;
		case 'N': op.no_auth = 1; break;
		case 'B': op.bad_sig = 1; break;
		default: return 2;
		}
	}
	if (!op.url || !op.cafile || argc - optind < 2 || (!op.no_auth && (!op.key || !op.cert))) {
		fprintf(stderr, "usage: ca-test-client --url URL --cafile CA [--key K --cert C |"
				" --no-auth] METHOD PATH [BODY]\n");
		return 2;
	}
	method = argv[optind];
	path = argv[optind + 1];
	if (bfile) {
		body = https_read_file(bfile, &blen);
	} else if (argc - optind > 2) {
		body = strdup(argv[optind + 2]);
		blen = body ? strlen(body) : 0;
	} else {
		body = strdup("");
	}
	if (body == NULL)
		return 1;
	if (!op.no_auth && auth_headers(&op, method, path, body, blen, h) != 0)
		goto out;
	if (https_request(op.url, op.cafile, method, path, (const char *const *)h, body, blen, &r)) {
		ret = 3;
		goto out;
	}
	printf("%d\n", r.status);
	if (op.out) {
		FILE *f = fopen(op.out, "wb");
		if (f == NULL || fwrite(r.body, 1, r.len, f) != r.len || fclose(f) != 0)
			goto free_resp;
	} else {
		fwrite(r.body, 1, r.len, stdout);
		printf("\n");
	}
	ret = 0;
free_resp:
	https_resp_free(&r);
out:
	for (i = 0; i < 5; i++)
		free(h[i]);
	free(body);
	return ret;
}
