/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* http.c: one HTTPS request with libcurl, and what went wrong in words. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#include "http.h"
#include "base/log.h"
#include "ukey-base.h"

struct sink {
	struct ukey_http_resp *r;
	size_t max;
	int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;
	char *nb;

	if (s->r->len + n > s->max) {
		s->too_big = 1;
		return 0; /* aborts the transfer */
	}
	nb = realloc(s->r->body, s->r->len + n + 1);
	if (nb == NULL)
		return 0;
	memcpy(nb + s->r->len, ptr, n);
	s->r->len += n;
	nb[s->r->len] = '\0';
	s->r->body = nb;
	return n;
}

int ukey_http_init(struct ukey_http *h, const struct ukey_conf *c, struct ukey_err *e)
{
	size_t n;

	memset(h, 0, sizeof(*h));
	if (c->service_url[0] == '\0')
		return ukey_err_set(e, UKEY_E_USAGE,
				    _("no service URL configured: set [service] url in ~/.config/ukey/ukey.conf "
				      "or UKEY_SERVICE_URL"));
	/* Plain HTTP for a CMP service only: its messages are signed both
	 * ways and the answer's signature is checked against cmp_trusted
	 * (RFC 9483 section 6.1); the native protocol relies on TLS. */
	h->plain = UKEY_CONF_CMP(c) && strncmp(c->service_url, "http://", 7) == 0;
	if (!h->plain && strncmp(c->service_url, "https://", 8) != 0)
		return ukey_err_set(e, UKEY_E_USAGE, UKEY_CONF_CMP(c)
							 ? _("the service URL must start with https:// or http://")
							 : _("the service URL must start with https://"));
	if (!h->plain && c->service_ca[0] == '\0')
		return ukey_err_set(e, UKEY_E_USAGE,
				    _("no service CA file configured: set [service] ca in ~/.config/ukey/ukey.conf "
				      "or UKEY_SERVICE_CA"));
	snprintf(h->base, sizeof(h->base), "%s", c->service_url);
	n = strlen(h->base);
	while (n > 0 && h->base[n - 1] == '/')
		h->base[--n] = '\0';
	snprintf(h->ca, sizeof(h->ca), "%s", c->service_ca);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (h->c = curl_easy_init()) == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot start the HTTPS client"));
	return UKEY_E_OK;
}

void ukey_http_cleanup(struct ukey_http *h)
{
	if (h->c != NULL)
		curl_easy_cleanup(h->c);
	h->c = NULL;
}

void ukey_http_resp_free(struct ukey_http_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* The TLS refusals users meet, each named: the verify result says which. */
static int tls_refused_why(struct ukey_http *h, const char *curlmsg, struct ukey_err *e)
{
	long v = 0;

	curl_easy_getinfo(h->c, CURLINFO_SSL_VERIFYRESULT, &v);
	/* curl checks the host name itself after a good chain; its message is
	 * the only trace ("no alternative certificate subject name matches"). */
	if (v == X509_V_ERR_HOSTNAME_MISMATCH || strstr(curlmsg, "subject name") != NULL ||
	    strstr(curlmsg, "host name") != NULL)
		return ukey_err_set(e, UKEY_E_SERVICE,
				    _("refused the service %s: its TLS certificate is for another host name"), h->base);
	switch (v) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return ukey_err_set(e, UKEY_E_SERVICE,
				    _("refused the service %s: its TLS certificate has expired"), h->base);
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return ukey_err_set(e, UKEY_E_SERVICE,
				    _("refused the service %s: its TLS certificate is not valid yet"), h->base);
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return ukey_err_set(e, UKEY_E_SERVICE,
				    _("refused the service %s: its TLS certificate is self-signed, not issued "
				      "by the configured CA %s"), h->base, h->ca);
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return ukey_err_set(e, UKEY_E_SERVICE,
				    _("refused the service %s: its TLS certificate is not issued by the "
				      "configured CA %s"), h->base, h->ca);
	default:
		break;
	}
	return ukey_err_set(e, UKEY_E_SERVICE, _("refused the service %s: TLS verification failed (%s)"),
			    h->base, curlmsg);
}

/* Marked so callers never retry a refused certificate. */
static int tls_refused(struct ukey_http *h, const char *curlmsg, struct ukey_err *e)
{
	int ret = tls_refused_why(h, curlmsg, e);

	snprintf(e->service_code, sizeof(e->service_code), "tls_refused");
	return ret;
}

static int transport_error(struct ukey_http *h, CURLcode cc, const char *detail, const struct sink *s,
			   struct ukey_err *e)
{
	const char *msg = detail[0] ? detail : curl_easy_strerror(cc);

	/* What another try may cure: the service away, slow or cut off. */
	h->transient = cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_CONNECT ||
		       cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR ||
		       cc == CURLE_SEND_ERROR || cc == CURLE_PARTIAL_FILE || cc == CURLE_SSL_CONNECT_ERROR;
	if (s->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return ukey_err_set(e, UKEY_E_SERVICE, _("the service's answer is larger than %zu bytes"), s->max);
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		return tls_refused(h, msg, e);
	case CURLE_SSL_CACERT_BADFILE:
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot use the service CA file %s"), h->ca);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return ukey_err_set(e, UKEY_E_SERVICE, _("the service %s is unreachable (%s)"), h->base, msg);
	case CURLE_OPERATION_TIMEDOUT:
		return ukey_err_set(e, UKEY_E_SERVICE, _("the service %s did not answer in time"), h->base);
	case CURLE_SSL_CONNECT_ERROR:
		return ukey_err_set(e, UKEY_E_SERVICE, _("TLS with the service %s failed (%s)"), h->base, msg);
	default:
		return ukey_err_set(e, UKEY_E_SERVICE, _("talking to the service %s failed (%s)"), h->base, msg);
	}
}

int ukey_http_request(struct ukey_http *h, const char *method, const char *path,
		      struct curl_slist *headers, const char *body, size_t body_len, size_t max,
		      struct ukey_http_resp *r, struct ukey_err *e)
{
	char url[2048], errbuf[CURL_ERROR_SIZE] = "";
	struct sink s = { r, max, 0 };
	const char *ct = NULL;
	const char *tmo = getenv("UKEY_HTTP_TIMEOUT");
	long total = tmo != NULL && atol(tmo) > 0 && atol(tmo) < 60 ? atol(tmo) : 60;
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	h->transient = 0;
	snprintf(url, sizeof(url), "%s%s", h->base, path);
	curl_easy_reset(h->c);
	curl_easy_setopt(h->c, CURLOPT_URL, url);
	curl_easy_setopt(h->c, CURLOPT_PROTOCOLS_STR, h->plain ? "http" : "https");
	curl_easy_setopt(h->c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (!h->plain)
		curl_easy_setopt(h->c, CURLOPT_CAINFO, h->ca);
	curl_easy_setopt(h->c, CURLOPT_CAPATH, NULL); /* only the configured CA */
	curl_easy_setopt(h->c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h->c, CURLOPT_CONNECTTIMEOUT, total < 10 ? total : 10L);
	curl_easy_setopt(h->c, CURLOPT_TIMEOUT, total);
	curl_easy_setopt(h->c, CURLOPT_LOW_SPEED_LIMIT, 100L); /* bytes/s ... */
	curl_easy_setopt(h->c, CURLOPT_LOW_SPEED_TIME, 20L);   /* ... for 20 s */
	curl_easy_setopt(h->c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(h->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h->c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h->c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h->c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(h->c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0 || body != NULL) {
		curl_easy_setopt(h->c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	if (headers != NULL)
		curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, headers);
	ukey_log(UKEY_LOG_DEBUG, "%s %s", method, url);
	cc = curl_easy_perform(h->c);
	if (cc != CURLE_OK) {
		ukey_log(UKEY_LOG_INFO, "%s %s: curl %d: %s", method, path, (int)cc, errbuf);
		ukey_http_resp_free(r);
		return transport_error(h, cc, errbuf, &s, e);
	}
	curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &r->status);
	h->transient = r->status >= 500;
	if (curl_easy_getinfo(h->c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
	if (r->body == NULL && (r->body = calloc(1, 1)) == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	ukey_log(UKEY_LOG_DEBUG, "%s %s: HTTP %ld, %zu bytes", method, path, r->status, r->len);
	return UKEY_E_OK;
}
