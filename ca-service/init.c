/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * init.c: the service's state directory. `init` makes (or imports) the
 * user-certificate CA and makes the TLS CA + server certificate, the seal
 * maker, an unrelated "rogue" CA (for wrong-chain faults) and the operator
 * token; load reads them back; `issue` lets a test mint a user certificate
 * with chosen dates (the CA's counter, e.g. an already expired one).
 */
#include "config.h"

#include "svc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

static char *path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return k;
}

static X509_NAME *name_cn(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	if (n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"CN", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
					(const unsigned char *)"ukey-pkcs11 test CA service", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

int svc_make_pair(const char *dir, const char *name, const char *cn, const char *type, X509 *ca,
		     EVP_PKEY *cakey, int kind, X509 **xo, EVP_PKEY **ko)
{
	time_t now = time(NULL);
	EVP_PKEY *k = svc_key_gen(type);
	X509_NAME *n = name_cn(cn);
	X509 *x = NULL;
	char file[64], *p = NULL;
	int ret = -1;

	if (k == NULL || n == NULL)
		goto out;
	x = svc_ca_issue(ca, ca ? cakey : k, n, k, now - 3600, now + 20L * 365 * 86400, kind);
	if (x == NULL)
		goto out;
	snprintf(file, sizeof(file), "%s.pem", name);
	p = path_in(dir, file);
	if (p == NULL || svc_write_pem(p, x, NULL) != 0)
		goto out;
	free(p);
	snprintf(file, sizeof(file), "%s.key", name);
	p = path_in(dir, file);
	if (p == NULL || svc_write_pem(p, NULL, k) != 0 || chmod(p, 0600) != 0)
		goto out;
	ret = 0;
out:
	free(p);
	X509_NAME_free(n);
	if (ret == 0 && xo) {
		*xo = x;
		*ko = k;
	} else {
		X509_free(x);
		EVP_PKEY_free(k);
	}
	return ret;
}

static int copy_file(const char *from, const char *dir, const char *name)
{
	char *to = path_in(dir, name), buf[4096];
	FILE *in = fopen(from, "r"), *out = to ? fopen(to, "w") : NULL;
	size_t n;
	int ret = -1;

	if (in == NULL || out == NULL)
		goto done;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			goto done;
	ret = ferror(in) ? -1 : 0;
done:
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		ret = -1;
	free(to);
	return ret;
}

int svc_ca_init(const char *state, const char *ca_cert, const char *ca_key)
{
	X509 *ca = NULL, *tca = NULL;
	EVP_PKEY *cak = NULL, *tcak = NULL;
	unsigned char rnd[32];
	char *tok = NULL, *p = NULL;
	FILE *f;
	int ret = -1;

	if (mkdir(state, 0700) != 0 && errno != EEXIST) {
		perror(state);
		return -1;
	}
	if (ca_cert != NULL) {
		if (copy_file(ca_cert, state, "ca.pem") != 0 || copy_file(ca_key, state, "ca.key") != 0)
			goto out;
		p = path_in(state, "ca.key");
		if (p == NULL || chmod(p, 0600) != 0)
			goto out;
		free(p);
		p = path_in(state, "ca.pem");
		ca = read_cert(p);
		free(p);
		p = path_in(state, "ca.key");
		cak = read_key(p);
		if (ca == NULL || cak == NULL || X509_check_private_key(ca, cak) != 1) {
			fprintf(stderr, "ca-service: cannot use %s / %s as the CA\n", ca_cert, ca_key);
			goto out;
		}
	} else if (svc_make_pair(state, "ca", "ukey test user CA", "EC", NULL, NULL, SVC_CERT_CA, &ca,
			     &cak) != 0) {
		goto out;
	}
	if (svc_make_pair(state, "tls-ca", "ukey test TLS CA", "EC", NULL, NULL, SVC_CERT_CA, &tca,
		      &tcak) != 0 ||
	    svc_make_pair(state, "server", "localhost", "EC", tca, tcak, SVC_CERT_TLS, NULL, NULL) != 0 ||
	    svc_make_pair(state, "maker", "ukey test seal maker", "SM2", ca, cak, SVC_CERT_SEAL, NULL,
		      NULL) != 0 ||
	    svc_make_pair(state, "rogue", "ukey test user CA", "EC", NULL, NULL, SVC_CERT_CA, NULL,
		      NULL) != 0 ||
	    svc_make_pair(state, "cmp-signer", "ukey test CMP signer", "EC", ca, cak, SVC_CERT_CMP,
			  NULL, NULL) != 0)
		goto out;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || (tok = ukc_hex_dup(rnd, sizeof(rnd))) == NULL)
		goto out;
	free(p);
	p = path_in(state, "operator.token");
	f = p ? fopen(p, "w") : NULL;
	if (f == NULL || fprintf(f, "%s\n", tok) < 0 || fclose(f) != 0 || chmod(p, 0600) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		fprintf(stderr, "ca-service: init of %s failed\n", state);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (tok)
		OPENSSL_cleanse(tok, strlen(tok));
	free(tok);
	free(p);
	X509_free(ca);
	X509_free(tca);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(tcak);
	return ret;
}

static int load_pair(const char *state, const char *name, X509 **x, EVP_PKEY **k)
{
	char file[64], *p;

	snprintf(file, sizeof(file), "%s.pem", name);
	p = path_in(state, file);
	*x = p ? read_cert(p) : NULL;
	free(p);
	snprintf(file, sizeof(file), "%s.key", name);
	p = path_in(state, file);
	*k = p ? read_key(p) : NULL;
	free(p);
	if (*x == NULL || *k == NULL) {
		fprintf(stderr, "ca-service: %s/%s.{pem,key} missing: run init\n", state, name);
		return -1;
	}
	return 0;
}

int svc_ca_load(struct svc *s)
{
	char *p = path_in(s->state, "operator.token");
	FILE *f = p ? fopen(p, "r") : NULL;
	int ok;

	free(p);
	ok = f != NULL && fgets(s->token, sizeof(s->token), f) != NULL;
	if (f)
		fclose(f);
	s->token[strcspn(s->token, "\r\n")] = '\0';
	if (!ok || strlen(s->token) < 32) {
		fprintf(stderr, "ca-service: no operator token in %s: run init\n", s->state);
		return -1;
	}
	if (load_pair(s->state, "ca", &s->ca_cert, &s->ca_key) != 0 ||
	    load_pair(s->state, "maker", &s->maker_cert, &s->maker_key) != 0 ||
	    load_pair(s->state, "rogue", &s->rogue_cert, &s->rogue_key) != 0)
		return -1;
	return 0;
}

/* ca-service issue --state DIR --key PUB-OR-PRIV.pem --subject /C=CN/CN=x
 *   [--not-before UNIX] [--not-after UNIX] [--rogue] --out CERT.pem */
int svc_cli_issue(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", 1, NULL, 's' },	{ "key", 1, NULL, 'k' },
		{ "subject", 1, NULL, 'n' },	{ "not-before", 1, NULL, 'b' },
		{ "not-after", 1, NULL, 'a' },	{ "out", 1, NULL, 'o' },
		{ "rogue", 0, NULL, 'r' },	{ NULL, 0, NULL, 0 },
	};
	struct svc s = { 0 };
	const char *key = NULL, *subj = NULL, *out = NULL;
	time_t now = time(NULL), nb = now - 300, na = now + 365L * 86400;
	X509_NAME *n = NULL;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	FILE *f;
	int c, rogue = 0, ret = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': s.state = optarg; break;
		case 'k': key = optarg; break;
		case 'n': subj = optarg; break;
		case 'b': nb = (time_t)strtoll(optarg, NULL, 10); break;
		case 'a': na = (time_t)strtoll(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		case 'r': rogue = 1; break;
		default: return 2;
		}
	}
	if (!s.state || !key || !subj || !out) {
		fprintf(stderr, "ca-service issue: --state, --key, --subject and --out are needed\n");
		return 2;
	}
	if (svc_ca_load(&s) != 0)
		goto done;
	f = fopen(key, "r");
	if (f != NULL) {
		k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
		if (k == NULL) {
			rewind(f);
			k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		}
		fclose(f);
	}
	n = X509_NAME_new();
	if (k == NULL || n == NULL) {
		fprintf(stderr, "ca-service issue: cannot read %s\n", key);
		goto done;
	}
	/* The subject is "/K=V/K=V" as openssl req -subj takes it. */
	{
		char *dup = strdup(subj), *save = NULL, *tok;
		for (tok = strtok_r(dup, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
			char *eq = strchr(tok, '=');
			if (eq == NULL)
				continue;
			*eq = '\0';
			if (!X509_NAME_add_entry_by_txt(n, tok, MBSTRING_UTF8,
							(unsigned char *)eq + 1, -1, -1, 0)) {
				fprintf(stderr, "ca-service issue: bad subject part %s\n", tok);
				free(dup);
				goto done;
			}
		}
		free(dup);
	}
	x = svc_ca_issue(rogue ? s.rogue_cert : s.ca_cert, rogue ? s.rogue_key : s.ca_key, n, k, nb,
			 na, SVC_CERT_USER);
	if (x == NULL || svc_write_pem(out, x, NULL) != 0)
		goto done;
	ret = 0;
done:
	X509_free(x);
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	X509_free(s.ca_cert);
	EVP_PKEY_free(s.ca_key);
	X509_free(s.maker_cert);
	EVP_PKEY_free(s.maker_key);
	X509_free(s.rogue_cert);
	EVP_PKEY_free(s.rogue_key);
	return ret;
}
