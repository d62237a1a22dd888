/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* transfer.c: how a CMP message travels. Through libukey-renew's own
 * libcurl client (service/http.c), not OpenSSL's HTTP client: one HTTP
 * stack for both protocols means one TLS policy (the configured CA file
 * only, TLS 1.2 or later, the host name checked), the same bounds (60 s a
 * request, the answer's size capped) and the same words for what went
 * wrong (unreachable, untrusted TLS certificate, timeout), which OpenSSL's
 * transfer would need an SSL_CTX callback and its own messages for. The
 * answer is only decoded here; OpenSSL checks its protection, nonces and
 * transaction ID after this returns. */

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cmp/cmp.h"
#include "dertlv.h"
#include "ukey-base.h"

/* The nonce in PKIHeader's field [tag] (senderNonce [5], recipNonce [6],
 * explicitly tagged OCTET STRINGs) as hex; "" when absent. OpenSSL 3.0 has
 * no getter for the sender nonce. */
static void header_nonce(const OSSL_CMP_MSG *m, unsigned int tag, char *hex, size_t len)
{
	unsigned char *der = NULL;
	int n = i2d_OSSL_CMP_PKIHEADER(OSSL_CMP_MSG_get0_header(m), &der);
	struct ukc_der top = { der, n > 0 ? (size_t)n : 0 }, in, oct;
	struct ukc_der_tlv t, v;
	const char *why;

	hex[0] = '\0';
	if (n > 0 && ukc_der_next(&top, &t, &why) == 1) {
		ukc_der_enter(&t, &in);
		while (ukc_der_next(&in, &t, &why) == 1) {
			if (t.tag != (V_ASN1_CONTEXT_SPECIFIC | V_ASN1_CONSTRUCTED | tag))
				continue;
			ukc_der_enter(&t, &oct);
			if (ukc_der_next(&oct, &v, &why) == 1 && v.tag == V_ASN1_OCTET_STRING && v.len * 2 < len) {
				for (size_t i = 0; i < v.len; i++)
					snprintf(hex + 2 * i, 3, "%02x", v.val[i]);
			}
			break;
		}
	}
	OPENSSL_free(der);
}

OSSL_CMP_MSG *ukey_cmp_decode(const unsigned char *der, size_t len, long status, char *nonce, size_t nlen,
			       struct ukey_err *e)
{
	const unsigned char *q = der;
	OSSL_CMP_MSG *m = len > 0 && len < UKEY_CMP_MAX_MSG ? d2i_OSSL_CMP_MSG(NULL, &q, (long)len) : NULL;

	/* A CMP error message may come with an HTTP error status (RFC 6712
	 * lets a server choose): what it says is worth more than the status.
	 * One message and nothing after it. */
	if (m == NULL || q != der + len) {
		OSSL_CMP_MSG_free(m);
		if (status != 200)
			ukey_err_set(e, UKEY_E_SERVICE, _("the CA service answered HTTP %ld to the CMP message"), status);
		else
			ukey_err_set(e, UKEY_E_SERVICE, _("the CA service's answer is not a CMP message"));
		return NULL;
	}
	header_nonce(m, 5, nonce, nlen);
	return m;
}

OSSL_CMP_MSG *ukey_cmp_transfer_cb(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
	struct ukey_cmp_transfer *t = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/pkixcmp");
	struct ukey_http_resp r;
	unsigned char *der = NULL;
	OSSL_CMP_MSG *res = NULL;
	int n = i2d_OSSL_CMP_MSG(req, &der);

	memset(&r, 0, sizeof(r));
	if (h == NULL || n <= 0) {
		ukey_err_set(&t->err, UKEY_E_ERROR, _("out of memory"));
		goto out;
	}
	header_nonce(req, 5, t->sender_nonce, sizeof(t->sender_nonce));
	if (ukey_http_request(t->http, "POST", t->path, h, (const char *)der, (size_t)n, UKEY_CMP_MAX_MSG, &r, &t->err) !=
	    UKEY_E_OK)
		goto out;
	res = ukey_cmp_decode((const unsigned char *)r.body, r.len, r.status, t->recip_nonce, sizeof(t->recip_nonce),
			      &t->err);
	if (res != NULL)
		t->last_type = OSSL_CMP_MSG_get_bodytype(res);
out:
	ukey_http_resp_free(&r);
	curl_slist_free_all(h);
	OPENSSL_free(der);
	return res;
}
