/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-cmp-response.c: libFuzzer target for the path a CMP answer takes
 * in `ukey renew --protocol cmp` before OpenSSL's client acts on it: the
 * bytes decoded as exactly one message and its sender nonce read for the
 * journal (renew-plugin/cmp/transfer.c, ukey_cmp_decode), the message's
 * protection validated against the trust store as the client's context
 * does (OSSL_CMP_validate_msg, the CA of $UKEY_FUZZ_CMP_CTX/ca.pem that
 * signed the seeds' server), and a CA's PKIStatusInfo put in words
 * (cmp/status.c) with status, failInfo and statusString from the input.
 * Invariants: a refusal has its code and a message; a decoded message
 * encodes back and decodes again; the nonce is even-length hex of at most
 * 64 bytes; the words always start with the status and fit the buffer.
 * (The certificate an accepted answer carries goes through check.c,
 * fuzzed by fuzz-renew-answer.) */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "cmp/cmp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static OSSL_CMP_CTX *ctx;

static int quiet(const char *func, const char *file, int line, OSSL_CMP_severity level, const char *msg)
{
	(void)func;
	(void)file;
	(void)line;
	(void)level;
	(void)msg;
	return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("UKEY_FUZZ_CMP_CTX");
	char path[4096];
	X509_STORE *st = X509_STORE_new();
	FILE *f;
	X509 *ca;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/ca.pem", dir ? dir : ".");
	f = fopen(path, "r");
	ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	ctx = OSSL_CMP_CTX_new(NULL, NULL);
	if (ctx == NULL || st == NULL || (ca != NULL && !X509_STORE_add_cert(st, ca)) ||
	    !OSSL_CMP_CTX_set0_trustedStore(ctx, st) || !OSSL_CMP_CTX_set_log_cb(ctx, quiet))
		abort();
	X509_free(ca);
	return 0;
}

static void words(const uint8_t *data, size_t size)
{
	OSSL_CMP_PKIFREETEXT *text = sk_ASN1_UTF8STRING_new_null();
	ASN1_UTF8STRING *s = ASN1_UTF8STRING_new();
	char buf[sizeof(((struct ukey_err *)0)->msg)];
	int status = size > 0 ? (int)data[0] % 9 - 1 : -1, fail;
	unsigned int bits = 0;

	for (size_t i = 1; i < 5 && i < size; i++)
		bits = (bits << 8) | data[i];
	/* -1: no failInfo; else any bits, the undefined ones included. */
	fail = size > 5 && data[5] & 1 ? -1 : (int)(bits & 0x7fffffffu);
	if (text == NULL || s == NULL || !ASN1_STRING_set(s, size > 6 ? data + 6 : NULL, size > 6 ? (int)(size - 6) : 0) ||
	    !sk_ASN1_UTF8STRING_push(text, s))
		abort();
	ukey_cmp_status_words(status, fail, text, buf, sizeof(buf));
	if (strnlen(buf, sizeof(buf)) == sizeof(buf) || strncmp(buf, "the CA ", 7) != 0)
		abort();
	sk_ASN1_UTF8STRING_pop_free(text, ASN1_UTF8STRING_free);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char nonce[2 * 64 + 1];
	struct ukey_err e;
	OSSL_CMP_MSG *m, *again;
	unsigned char *der = NULL;
	const unsigned char *q;
	int n;

	memset(&e, 0, sizeof(e));
	m = ukey_cmp_decode(data, size, size & 1 ? 200 : 500, nonce, sizeof(nonce), &e);
	if (m == NULL) {
		if (e.code != UKEY_E_SERVICE || e.msg[0] == '\0')
			abort();
	} else {
		size_t nl = strlen(nonce);
		if (nl % 2 != 0 || nl > 128 || strspn(nonce, "0123456789abcdef") != nl)
			abort();
		n = i2d_OSSL_CMP_MSG(m, &der);
		q = der;
		again = n > 0 ? d2i_OSSL_CMP_MSG(NULL, &q, n) : NULL;
		if (again == NULL)
			abort();
		OSSL_CMP_MSG_free(again);
		OPENSSL_free(der);
		(void)OSSL_CMP_validate_msg(ctx, m);
		OSSL_CMP_MSG_free(m);
	}
	words(data, size);
	ERR_clear_error();
	return 0;
}
