/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* probe.c: is the service there and does it speak the protocol? The one
 * request that needs no login, for `ukey doctor` (and any front-end that
 * checks a configuration before asking for a PIN). */

#include <stdio.h>
#include <string.h>

#include "api-parse.h"
#include "http.h"

enum ukey_probe_result ukey_api_probe(const struct ukey_conf *conf, struct ukey_probe *p, struct ukey_err *e)
{
	struct ukey_http h;
	struct ukey_http_resp r;
	struct curl_header *date = NULL;
	char nonce[256];
	enum ukey_probe_result res;

	memset(p, 0, sizeof(*p));
	memset(&r, 0, sizeof(r));
	if (ukey_http_init(&h, conf, e) != UKEY_E_OK) {
		ukey_http_cleanup(&h);
		return UKEY_PROBE_BAD_URL;
	}
	snprintf(p->base, sizeof(p->base), "%s", h.base);
	if (ukey_http_request(&h, "POST", "/api/v1/nonce", NULL, NULL, 0, 4096, &r, e) != UKEY_E_OK) {
		res = UKEY_PROBE_UNREACHABLE;
	} else {
		p->status = r.status;
		res = r.status == 200 && ukey_api_parse_nonce(r.body, r.len, nonce, sizeof(nonce), e) == UKEY_E_OK
			      ? UKEY_PROBE_OK
			      : UKEY_PROBE_NOT_PROTOCOL;
	}
	/* The service's clock, for the doctor's clock check. */
	if (res == UKEY_PROBE_OK && curl_easy_header(h.c, "Date", 0, CURLH_HEADER, -1, &date) == CURLHE_OK &&
	    date != NULL)
		p->date = curl_getdate(date->value, NULL) > 0 ? curl_getdate(date->value, NULL) : 0;
	ukey_http_resp_free(&r);
	ukey_http_cleanup(&h);
	return res;
}
