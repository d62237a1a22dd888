/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ca-test-cmpreq.c: makes the CMP requests `openssl cmp` cannot: a key
 * update request under a transaction ID of the test's choosing (to send
 * another key under a used ID), written to a file that `openssl cmp -reqin`
 * then sends. It uses OpenSSL's CMP client with a transfer callback that
 * keeps the request instead of sending it. Also prints the transaction ID
 * of a DER PKIMessage.
 *
 *   ca-test-cmpreq kur CERT KEY NEWKEY TID_HEX OUT.der
 *   ca-test-cmpreq tid MSG.der
 *
 * Exit 0 when done, 1 otherwise.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/pem.h>

#include "hex.h"

static const char *out_path;

static OSSL_CMP_MSG *keep(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
	(void)ctx;
	if (OSSL_CMP_MSG_write(out_path, req) <= 0)
		fprintf(stderr, "ca-test-cmpreq: cannot write %s\n", out_path);
	return NULL; /* nothing is sent: the exchange ends here */
}

static int tid(const char *path)
{
	OSSL_CMP_MSG *m = OSSL_CMP_MSG_read(path, NULL, NULL);
	ASN1_OCTET_STRING *t = m ? OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(m)) : NULL;
	char *hex = t ? ukc_hex_dup(ASN1_STRING_get0_data(t), (size_t)ASN1_STRING_length(t)) : NULL;

	if (hex != NULL)
		printf("%s\n", hex);
	free(hex);
	OSSL_CMP_MSG_free(m);
	return hex ? 0 : 1;
}

static void *load(const char *path, int cert)
{
	FILE *f = fopen(path, "r");
	void *v = NULL;

	if (f != NULL) {
		v = cert ? (void *)PEM_read_X509(f, NULL, NULL, NULL)
			 : (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (v == NULL)
		fprintf(stderr, "ca-test-cmpreq: cannot read %s\n", path);
	return v;
}

int main(int argc, char **argv)
{
	OSSL_CMP_CTX *ctx = NULL;
	ASN1_OCTET_STRING *id = NULL;
	unsigned char bin[64];
	long n = 0;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL, *newkey = NULL;
	int ret = 1;

	if (argc == 3 && strcmp(argv[1], "tid") == 0)
		return tid(argv[2]);
	if (argc != 7 || strcmp(argv[1], "kur") != 0) {
		fprintf(stderr, "usage: ca-test-cmpreq kur CERT KEY NEWKEY TID_HEX OUT.der\n"
				"       ca-test-cmpreq tid MSG.der\n");
		return 2;
	}
	out_path = argv[6];
	cert = load(argv[2], 1);
	key = load(argv[3], 0);
	newkey = load(argv[4], 0);
	id = ASN1_OCTET_STRING_new();
	if (cert == NULL || key == NULL || newkey == NULL || id == NULL ||
	    (n = ukc_hex_decode(argv[5], strlen(argv[5]), bin, sizeof(bin), NULL)) <= 0 ||
	    !ASN1_OCTET_STRING_set(id, bin, (int)n))
		goto out;
	ctx = OSSL_CMP_CTX_new(NULL, NULL);
	if (ctx == NULL || !OSSL_CMP_CTX_set1_cert(ctx, cert) || !OSSL_CMP_CTX_set1_pkey(ctx, key) ||
	    !OSSL_CMP_CTX_set0_newPkey(ctx, 1, newkey) ||
	    !OSSL_CMP_CTX_set1_transactionID(ctx, id) ||
	    !OSSL_CMP_CTX_set_transfer_cb(ctx, keep))
		goto out;
	newkey = NULL;
	(void)OSSL_CMP_exec_KUR_ses(ctx); /* fails: the callback answered nothing */
	ret = 0;
out:
	OSSL_CMP_CTX_free(ctx);
	ASN1_OCTET_STRING_free(id);
	X509_free(cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(newkey);
	return ret;
}
