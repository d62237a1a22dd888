/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * https.c: one HTTPS request per connection with OpenSSL (see https.h).
 */
#include "config.h"

#include "https.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

char *https_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (n + 4096 + 1) * 2);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, 4096, f);
		n += r;
	} while (r > 0);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	fclose(f);
	return buf;
}

void https_resp_free(struct https_resp *r)
{
	free(r->body);
	r->body = NULL;
}

static int parse(char *raw, size_t n, struct https_resp *out)
{
	char *end = strstr(raw, "\r\n\r\n"), *cl;
	size_t hlen;

	if (n < 12 || strncmp(raw, "HTTP/1.", 7) != 0 || end == NULL)
		return -1;
	out->status = atoi(raw + 9);
	hlen = (size_t)(end - raw) + 4;
	out->len = n - hlen;
	*end = '\0';
	/* With Content-Length, a short read means a truncated answer. */
	cl = strcasestr(raw, "\r\nContent-Length:");
	if (cl != NULL && strtoull(cl + 17, NULL, 10) != out->len)
		return -1;
	out->body = malloc(out->len + 1);
	if (out->body == NULL)
		return -1;
	memcpy(out->body, raw + hlen, out->len);
	out->body[out->len] = '\0';
	return 0;
}

int https_request(const char *base_url, const char *cafile, const char *method,
		  const char *path, const char *const *headers, const char *body, size_t body_len,
		  struct https_resp *out)
{
	SSL_CTX *ctx = NULL;
	BIO *bio = NULL;
	SSL *ssl = NULL;
	char host[256], hostport[300], *raw = NULL, head[8192];
	size_t cap = 0, n = 0, k, i;
	int hl, r, ret = -1;

	memset(out, 0, sizeof(*out));
	if (strncmp(base_url, "https://", 8) != 0 ||
	    sscanf(base_url + 8, "%255[^:/]", host) != 1) {
		fprintf(stderr, "https: bad URL %s\n", base_url);
		return -1;
	}
	snprintf(hostport, sizeof(hostport), "%.*s", (int)strcspn(base_url + 8, "/"), base_url + 8);
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	bio = BIO_new_ssl_connect(ctx);
	if (bio == NULL || BIO_get_ssl(bio, &ssl) != 1 || ssl == NULL)
		goto out;
	BIO_set_conn_hostname(bio, hostport);
	if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1) {
		/* Not an IP address: check the DNS name and send SNI. */
		SSL_set_tlsext_host_name(ssl, host);
		if (SSL_set1_host(ssl, host) != 1)
			goto out;
	}
	if (BIO_do_handshake(bio) != 1)
		goto out;
	hl = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
					  "Content-Length: %zu\r\n", method, path, hostport, body_len);
	for (i = 0; headers && headers[i] && hl > 0 && (size_t)hl < sizeof(head); i++)
		hl += snprintf(head + hl, sizeof(head) - (size_t)hl, "%s\r\n", headers[i]);
	if (hl > 0 && (size_t)hl < sizeof(head))
		hl += snprintf(head + hl, sizeof(head) - (size_t)hl, "\r\n");
	if (hl <= 0 || (size_t)hl >= sizeof(head)) {
		fprintf(stderr, "https: headers too long\n");
		goto out;
	}
	if (BIO_write(bio, head, hl) != hl)
		goto out;
	/* The server may answer (413) and close before reading a big body. */
	for (k = 0; k < body_len; k += (size_t)r) {
		r = BIO_write(bio, body + k, (int)(body_len - k > 65536 ? 65536 : body_len - k));
		if (r <= 0)
			break;
	}
	for (;;) {
		if (n + 16384 + 1 > cap) {
			char *nb = realloc(raw, cap = (n + 16384 + 1) * 2);
			if (nb == NULL)
				goto out;
			raw = nb;
		}
		r = BIO_read(bio, raw + n, 16384);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (raw == NULL || n == 0) {
		fprintf(stderr, "https: connection closed without an answer\n");
		ERR_clear_error();
		ret = -1;
		goto done;
	}
	raw[n] = '\0';
	if (parse(raw, n, out) != 0) {
		fprintf(stderr, "https: malformed or truncated answer\n");
		goto done;
	}
	ret = 0;
	goto done;
out:
	fprintf(stderr, "https: %s %s%s failed\n", method, base_url, path);
	ERR_print_errors_fp(stderr);
done:
	free(raw);
	BIO_free_all(bio);
	SSL_CTX_free(ctx);
	return ret;
}
