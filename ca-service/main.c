/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * main.c: ca-service, the reference CA online service for tests.
 *   ca-service init  --state DIR [--ca-cert PEM --ca-key PEM]
 *   ca-service serve --state DIR [--port N] [--nonce-ttl SECONDS]
 *   ca-service issue --state DIR --key PEM --subject /K=V.. --out PEM [...]
 * serve inits DIR first when it holds no CA, prints URL=, CA_FILE=,
 * OPERATOR_TOKEN= and OPERATOR_TOKEN_FILE= lines and runs until SIGTERM or
 * SIGINT.
 */
#include "config.h"

#include "svc.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *slurp(const char *dir, const char *name)
{
	char path[4096], *buf = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = calloc(1, (size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int usage(void)
{
	fprintf(stderr, "usage: ca-service init --state DIR [--ca-cert PEM --ca-key PEM]\n"
			"       ca-service serve --state DIR [--port N] [--nonce-ttl SECONDS]\n"
			"       ca-service issue --state DIR --key PEM --subject /K=V --out PEM\n"
			"                  [--not-before UNIX] [--not-after UNIX] [--rogue]\n");
	return 2;
}

static int serve(struct svc *s, unsigned port)
{
	char *key = slurp(s->state, "server.key"), *cert = slurp(s->state, "server.pem");
	char dbpath[4096];
	sigset_t set;
	unsigned bound = 0;
	void *d = NULL;
	int sig, ret = 1;

	snprintf(dbpath, sizeof(dbpath), "%s/ca.db", s->state);
	if (key == NULL || cert == NULL || svc_ca_load(s) != 0 || svc_cmp_signer_load(s) != 0 ||
	    svc_db_open(s, dbpath) != 0)
		goto out;
	/* Block the stop signals in every thread (MHD's inherit the mask) and
	 * take them synchronously below. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = svc_http_start(s, port, key, cert, &bound);
	if (d == NULL || bound == 0) {
		fprintf(stderr, "ca-service: cannot start the HTTPS server on port %u\n", port);
		goto out;
	}
	/* USER_CA_FILE last: ca-run.sh waits for it. */
	printf("URL=https://127.0.0.1:%u\nCA_FILE=%s/tls-ca.pem\nOPERATOR_TOKEN=%s\n"
	       "OPERATOR_TOKEN_FILE=%s/operator.token\nCMP_URL=https://127.0.0.1:%u%s\n"
	       "CMP_SIGNER_FILE=%s/cmp-signer.pem\nUSER_CA_FILE=%s/ca.pem\n",
	       bound, s->state, s->token, s->state, bound, SVC_CMP_PATH, s->state, s->state);
	fflush(stdout);
	if (sigwait(&set, &sig) != 0)
		goto out;
	ret = 0;
out:
	if (d != NULL)
		svc_http_stop(d);
	if (key)
		OPENSSL_cleanse(key, strlen(key));
	free(key);
	free(cert);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", 1, NULL, 's' },   { "ca-cert", 1, NULL, 'c' },
		{ "ca-key", 1, NULL, 'k' },  { "port", 1, NULL, 'p' },
		{ "nonce-ttl", 1, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	struct svc s = { .nonce_ttl = 120 };
	const char *ca_cert = NULL, *ca_key = NULL, *cmd;
	char probe[4096];
	unsigned port = 0;
	int c, ret;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	if (strcmp(cmd, "issue") == 0)
		return svc_cli_issue(argc - 1, argv + 1);
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': s.state = optarg; break;
		case 'c': ca_cert = optarg; break;
		case 'k': ca_key = optarg; break;
		case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': s.nonce_ttl = strtol(optarg, NULL, 10); break;
		default: return usage();
		}
	}
	if (s.state == NULL || (!ca_cert != !ca_key) || port > 65535)
		return usage();
	snprintf(s.misbehave, sizeof(s.misbehave), "none");
	if (strcmp(cmd, "init") == 0)
		return svc_ca_init(s.state, ca_cert, ca_key) == 0 ? 0 : 1;
	if (strcmp(cmd, "serve") != 0)
		return usage();
	snprintf(probe, sizeof(probe), "%s/operator.token", s.state);
	if (access(probe, R_OK) != 0 && svc_ca_init(s.state, ca_cert, ca_key) != 0)
		return 1;
	pthread_mutex_init(&s.lock, NULL);
	ret = serve(&s, port);
	if (s.db)
		sqlite3_close(s.db);
	X509_free(s.ca_cert);
	EVP_PKEY_free(s.ca_key);
	X509_free(s.maker_cert);
	EVP_PKEY_free(s.maker_key);
	X509_free(s.rogue_cert);
	EVP_PKEY_free(s.rogue_key);
	svc_cmp_free(&s);
	OPENSSL_cleanse(s.token, sizeof(s.token));
	return ret;
}
