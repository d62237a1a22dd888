/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cli.c: ca-service-cli, the operator's side (phone account, CA counter)
 * over /operator/v1 with the bearer token read from a file.
 *
 *   ca-service-cli --url URL --token-file F --cafile CA COMMAND ARGS
 *     enroll MEDIUM CERT.pem [TRUST_NUMBER]   confirm-binding CODE LAST4
 *     check-identity MEDIUM                  mark-seals-abnormal MEDIUM
 *     create-order MEDIUM --covers cert|cert+seals --price FEN [--encryption]
 *     pay ORDER wechat|transfer              confirm-transfer ORDER
 *     issue-invoice ID                       revoke SERIAL
 *     add-seals MEDIUM [OUTDIR]
 *     misbehave MODE [TIMES] [--on PATH-PREFIX]   (docs/protocol.md, operator)
 *     misbehave bad-answer KIND [TIMES] [--on PATH-PREFIX]
 *     misbehave cmp-waiting N     (CMP: waiting, N - 1 pollRep, then the kup)
 *   --on for the CMP endpoint: /.well-known/cmp[/kur|/certConf|/pollReq|...]
 * Prints the answer's JSON; add-seals also writes OUTDIR/<id>.der.
 * Exit 0 on 2xx, 1 otherwise.
 */
#include "config.h"

#include "https.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "b64.h"

static int usage(void)
{
	fprintf(stderr, "usage: ca-service-cli --url URL --token-file F --cafile CA COMMAND ...\n"
			"see the head of ca-service/cli.c for the commands\n");
	return 2;
}

static int write_seals(const char *dir, const char *body)
{
	json_object *j = json_tokener_parse(body), *a, *e, *id, *der;
	size_t i;
	int ret = 0;

	if (j == NULL || !json_object_object_get_ex(j, "seals", &a) || !json_object_is_type(a, json_type_array))
		ret = -1;
	for (i = 0; ret == 0 && i < json_object_array_length(a); i++) {
		char path[4096];
		unsigned char *bin;
		const char *s;
		size_t n = 0;
		FILE *f;
		e = json_object_array_get_idx(a, i);
		if (!json_object_object_get_ex(e, "id", &id) || !json_object_is_type(id, json_type_string) ||
		    !json_object_object_get_ex(e, "der", &der) || !json_object_is_type(der, json_type_string)) {
			ret = -1;
			break;
		}
		s = json_object_get_string(der);
		bin = ukc_b64_decode(s, strlen(s), &n, NULL);
		snprintf(path, sizeof(path), "%s/%s.der", dir, json_object_get_string(id));
		f = bin != NULL && n > 0 ? fopen(path, "wb") : NULL;
		if (f == NULL || fwrite(bin, 1, n, f) != n)
			ret = -1;
		if (f && fclose(f) != 0)
			ret = -1;
		free(bin);
	}
	json_object_put(j);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", 1, NULL, 'u' },	{ "token-file", 1, NULL, 't' },
		{ "cafile", 1, NULL, 'c' },	{ "covers", 1, NULL, 'v' },
		{ "price", 1, NULL, 'p' },	{ "encryption", 0, NULL, 'e' },
		{ "on", 1, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *tfile = NULL, *ca = NULL, *covers = NULL, *price = NULL, *on = NULL, *cmd;
	char *token = NULL, *auth = NULL, path[512], *certpem = NULL;
	const char *hdr[3] = { NULL, "Content-Type: application/json; charset=utf-8", NULL };
	json_object *b = json_object_new_object();
	struct https_resp r;
	int c, enc = 0, ret = 1, nargs;
	char **a;

	alarm(60);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 't': tfile = optarg; break;
		case 'c': ca = optarg; break;
		case 'v': covers = optarg; break;
		case 'p': price = optarg; break;
		case 'e': enc = 1; break;
		case 'o': on = optarg; break;
		default: return usage();
		}
	}
	if (!url || !tfile || !ca || optind >= argc)
		return usage();
	cmd = argv[optind];
	a = argv + optind + 1;
	nargs = argc - optind - 1;
	token = https_read_file(tfile, NULL);
	if (token == NULL) {
		fprintf(stderr, "ca-service-cli: cannot read %s\n", tfile);
		return 1;
	}
	token[strcspn(token, "\r\n")] = '\0';
#define NEED(n)                      \
	do {                         \
		if (nargs < (n))     \
			goto bad;    \
	} while (0)
#define ADD(k, v) json_object_object_add(b, k, v)
	if (strcmp(cmd, "enroll") == 0) {
		NEED(2);
		certpem = https_read_file(a[1], NULL);
		if (certpem == NULL)
			goto bad;
		snprintf(path, sizeof(path), "/operator/v1/media");
		ADD("medium", json_object_new_string(a[0]));
		ADD("certificate", json_object_new_string(certpem));
		if (nargs > 2)
			ADD("trust_number", json_object_new_string(a[2]));
	} else if (strcmp(cmd, "confirm-binding") == 0) {
		NEED(2);
		snprintf(path, sizeof(path), "/operator/v1/bindings/confirm");
		ADD("code", json_object_new_string(a[0]));
		ADD("medium_last4", json_object_new_string(a[1]));
	} else if (strcmp(cmd, "check-identity") == 0) {
		NEED(1);
		snprintf(path, sizeof(path), "/operator/v1/media/%s/identity", a[0]);
	} else if (strcmp(cmd, "mark-seals-abnormal") == 0) {
		NEED(1);
		snprintf(path, sizeof(path), "/operator/v1/media/%s/seals/abnormal", a[0]);
	} else if (strcmp(cmd, "add-seals") == 0) {
		NEED(1);
		snprintf(path, sizeof(path), "/operator/v1/media/%s/seals", a[0]);
	} else if (strcmp(cmd, "create-order") == 0) {
		NEED(1);
		if (!covers || !price)
			goto bad;
		snprintf(path, sizeof(path), "/operator/v1/orders");
		ADD("medium", json_object_new_string(a[0]));
		ADD("covers", json_object_new_string(covers));
		ADD("price", json_object_new_int64(strtoll(price, NULL, 10)));
		ADD("encryption", json_object_new_boolean(enc));
	} else if (strcmp(cmd, "pay") == 0) {
		NEED(2);
		snprintf(path, sizeof(path), "/operator/v1/orders/%s/pay", a[0]);
		ADD("method", json_object_new_string(a[1]));
	} else if (strcmp(cmd, "confirm-transfer") == 0) {
		NEED(1);
		snprintf(path, sizeof(path), "/operator/v1/orders/%s/confirm-transfer", a[0]);
	} else if (strcmp(cmd, "issue-invoice") == 0) {
		NEED(1);
		snprintf(path, sizeof(path), "/operator/v1/invoices/%s/issue", a[0]);
	} else if (strcmp(cmd, "revoke") == 0) {
		NEED(1);
		snprintf(path, sizeof(path), "/operator/v1/certificates/%s/revoke", a[0]);
	} else if (strcmp(cmd, "misbehave") == 0) {
		NEED(1);
		snprintf(path, sizeof(path), "/operator/v1/misbehave");
		ADD("mode", json_object_new_string(a[0]));
		if (strcmp(a[0], "bad-answer") == 0) {
			NEED(2);
			ADD("kind", json_object_new_string(a[1]));
			a++;
			nargs--;
		}
		if (nargs > 1)
			ADD("times", json_object_new_int64(strtoll(a[1], NULL, 10)));
		if (on != NULL)
			ADD("on", json_object_new_string(on));
	} else {
		goto bad;
	}
	if (asprintf(&auth, "Authorization: Bearer %s", token) < 0)
		goto out;
	hdr[0] = auth;
	{
		const char *body = json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN);
		if (https_request(url, ca, "POST", path, hdr, body, strlen(body), &r) != 0)
			goto out;
	}
	printf("%s\n", r.body);
	ret = r.status >= 200 && r.status < 300 ? 0 : 1;
	if (ret != 0)
		fprintf(stderr, "ca-service-cli: %s: HTTP %d\n", cmd, r.status);
	if (ret == 0 && strcmp(cmd, "add-seals") == 0 && nargs > 1 && write_seals(a[1], r.body)) {
		fprintf(stderr, "ca-service-cli: cannot write the seals to %s\n", a[1]);
		ret = 1;
	}
	https_resp_free(&r);
	goto out;
bad:
	ret = usage();
out:
	if (auth)
		OPENSSL_cleanse(auth, strlen(auth));
	OPENSSL_cleanse(token, strlen(token));
	free(auth);
	free(token);
	free(certpem);
	json_object_put(b);
	return ret;
}
