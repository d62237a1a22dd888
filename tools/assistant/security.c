/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* security.c: what every request must pass before a handler sees it
 * (docs/assistant.md, "Security model"). The server holds a logged-in
 * U-KEY, so every other local program and every web page the user opens
 * is assumed hostile: a page elsewhere can make the browser send requests
 * here (CSRF), can rebind its own name to 127.0.0.1 (DNS rebinding), and a
 * local program can connect directly. Hence: the Host named as we serve
 * it, a per-launch secret with each request, and for a state change the
 * right Origin, our CSRF token and a JSON body (which a form cannot send,
 * and which cross-origin fetch can send only after a preflight we refuse). */

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "assistant.h"

static int b64url(char *out, size_t len)
{
	unsigned char raw[32], enc[64];
	int n;

	if (len < 44 || RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	n = EVP_EncodeBlock(enc, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	while (n > 0 && enc[n - 1] == '=')
		n--;
	for (int i = 0; i < n; i++)
		out[i] = enc[i] == '+' ? '-' : enc[i] == '/' ? '_' : (char)enc[i];
	out[n] = '\0';
	OPENSSL_cleanse(enc, sizeof(enc));
	return 0;
}

int asst_secrets_make(struct asst *a)
{
	return b64url(a->secret, sizeof(a->secret)) == 0 && b64url(a->csrf, sizeof(a->csrf)) == 0 ? 0 : -1;
}

static int same(const char *given, const char *want)
{
	size_t n = strlen(want);

	return given != NULL && strlen(given) == n && CRYPTO_memcmp(given, want, n) == 0;
}

/* The names this server is reached by; anything else came through a name
 * a stranger controls (DNS rebinding) or was typed by hand. */
static int host_ok(const struct asst *a, const char *host)
{
	char want[64];
	static const char *const names[] = { "127.0.0.1", "[::1]", "localhost" };

	if (host == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(want, sizeof(want), "%s:%u", names[i], a->port);
		if (strcmp(host, want) == 0)
			return 1;
	}
	return 0;
}

static int json_type_ok(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	ct += n;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}

int asst_guard(struct asst_req *q, struct asst_resp *r)
{
	struct asst *a = q->a;
	const char *host = asst_header(q, MHD_HTTP_HEADER_HOST);
	const char *given = asst_query(q, "s");
	const char *cookie = MHD_lookup_connection_value(q->conn, MHD_COOKIE_KIND, "ukey_s");
	int post = strcmp(q->method, "POST") == 0;
	char origin[80];

	if (!host_ok(a, host)) {
		asst_error(r, 403, "host", "%s", _("this server answers only to 127.0.0.1, [::1] or localhost at its "
						   "own port"));
		return -1;
	}
	if (!same(cookie, a->secret) && !same(given, a->secret)) {
		asst_error(r, 403, "secret", "%s", _("this page must be opened from the address 'ukey assistant' "
						     "printed (it carries the session's secret)"));
		return -1;
	}
	if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0 && !post) {
		asst_error(r, 405, "method", "%s", _("this method is not allowed here"));
		return -1;
	}
	if (post) {
		snprintf(origin, sizeof(origin), "http://%s", host);
		if (!same(asst_header(q, "Origin"), origin)) {
			asst_error(r, 403, "origin", "%s", _("a change may be asked only by the assistant's own page "
							     "(wrong or missing Origin)"));
			return -1;
		}
		if (!same(asst_header(q, "X-CSRF-Token"), a->csrf)) {
			asst_error(r, 403, "csrf", "%s", _("a change must carry the page's token (X-CSRF-Token)"));
			return -1;
		}
		if (!json_type_ok(asst_header(q, MHD_HTTP_HEADER_CONTENT_TYPE))) {
			asst_error(r, 415, "content_type", "%s", _("the request body must be application/json"));
			return -1;
		}
	}
	/* The launch URL: the secret moves into a cookie the page's scripts
	 * cannot read and that no other site's request carries, and out of
	 * the address bar. */
	if (!post && given != NULL && strcmp(q->path, "/") == 0) {
		snprintf(r->cookie, sizeof(r->cookie), "ukey_s=%s; HttpOnly; SameSite=Strict; Path=/", a->secret);
		r->location = "/";
		asst_json(r, 303, json_object_new_object());
		pthread_mutex_lock(&a->lock);
		if (a->launch_file[0]) {
			unlink(a->launch_file);
			a->launch_file[0] = '\0';
		}
		pthread_mutex_unlock(&a->lock);
		return 1;
	}
	return 0;
}

void asst_headers_add(void *mhd_response)
{
	static const char *const h[][2] = {
		{ "Content-Security-Policy",
		  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
		  "form-action 'none'; frame-ancestors 'none'; base-uri 'none'" },
		{ "X-Frame-Options", "DENY" },
		{ "X-Content-Type-Options", "nosniff" },
		{ "Referrer-Policy", "no-referrer" },
		{ "Cache-Control", "no-store" },
		{ "Cross-Origin-Resource-Policy", "same-origin" },
		{ "Cross-Origin-Opener-Policy", "same-origin" },
	};

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		MHD_add_response_header(mhd_response, h[i][0], h[i][1]);
}
