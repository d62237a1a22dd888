#include "config.h"

/* check.c: step 4, the issued certificate checked before anything is
 * written: it carries the new key, keeps the old subject, chains to the CA
 * that issued the old certificate (a `chain` member is a trust anchor only
 * if it verifies the old certificate), starts about now and ends later than
 * the old one; with seals, each decodes, verifies and lists it. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "i18n.h"
#include "renew/renew.h"
#include "seal/seal.h"

X509 *ukey_renew_pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

static int sm2_id(X509 *x)
{
	ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();

	if (id == NULL || !ASN1_OCTET_STRING_set(id, (const unsigned char *)UKEY_SEAL_SM2_ID,
						 (int)strlen(UKEY_SEAL_SM2_ID))) {
		ASN1_OCTET_STRING_free(id);
		return -1;
	}
	X509_set0_distinguishing_id(x, id);
	return 0;
}

/* The anchors: chain members named as the old certificate's issuer whose
 * key verifies the old certificate. */
static int chain_ok(X509 *old, X509 *cert, json_object *chain, int sm2, struct ukey_err *e)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	size_t n = chain && json_object_is_type(chain, json_type_array) ? json_object_array_length(chain) : 0;
	int anchors = 0, ret = UKEY_E_ERROR;

	if (st == NULL || ctx == NULL || (sm2 && (sm2_id(old) != 0 || sm2_id(cert) != 0)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		X509 *ca = ukey_renew_pem_cert(json_object_get_string(json_object_array_get_idx(chain, i)));
		if (ca != NULL && X509_NAME_cmp(X509_get_subject_name(ca), X509_get_issuer_name(old)) == 0 &&
		    X509_verify(old, X509_get0_pubkey(ca)) == 1 && X509_STORE_add_cert(st, ca))
			anchors++;
		X509_free(ca);
	}
	if (anchors == 0) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's chain does not contain the CA that issued the old "
							"certificate: the new certificate is not installed"));
		goto out;
	}
	if (!X509_STORE_CTX_init(ctx, st, cert, NULL))
		goto out;
	if (X509_verify_cert(ctx) != 1) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the new certificate does not chain to the CA of the old one (%s): "
							"it is not installed"),
				   X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	ret = UKEY_E_OK;
out:
	if (ret == UKEY_E_ERROR && e->msg[0] == '\0')
		ret = ukey_err_set(e, UKEY_E_ERROR, _("cannot check the new certificate's chain"));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ret;
}

static int seals_ok(json_object *seals, const unsigned char *der, size_t der_len, struct ukey_err *e)
{
	size_t n = json_object_array_length(seals);

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(seals, i), *v;
		const char *b64 = json_object_object_get_ex(o, "der", &v) ? json_object_get_string(v) : "";
		size_t blen = strlen(b64 ? b64 : ""), listed = 0;
		unsigned char *raw = malloc(blen / 4 * 3 + 3);
		int len = raw ? EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)blen) : -1;
		struct ukey_seal *seal = NULL;
		struct ukey_seal_result r;

		while (len > 0 && blen > 0 && b64[--blen] == '=')
			len--;
		if (len <= 0 || ukey_seal_decode(raw, (size_t)len, &seal, NULL) != 0) {
			free(raw);
			return ukey_err_set(e, UKEY_E_SERVICE, _("new seal %zu from the service cannot be decoded"), i + 1);
		}
		ukey_seal_verify(seal, time(NULL), &r);
		for (size_t c = 0; c < seal->n_certs; c++)
			listed |= seal->certs[c].len == der_len && memcmp(seal->certs[c].p, der, der_len) == 0;
		ukey_seal_free(seal);
		free(raw);
		if (!r.valid)
			return ukey_err_set(e, UKEY_E_SERVICE, _("new seal %zu from the service does not verify: %s"), i + 1,
					    r.n_reasons ? r.reasons[0] : "?");
		if (!listed)
			return ukey_err_set(e, UKEY_E_SERVICE, _("new seal %zu from the service does not list the new "
								 "certificate"), i + 1);
	}
	return UKEY_E_OK;
}

int ukey_renew_check(const unsigned char *old_der, size_t old_len, const struct ukey_renew_key *k,
		     const char *cert_pem, json_object *chain, json_object *seals, unsigned char **der,
		     size_t *der_len, struct ukey_err *e)
{
	const unsigned char *q = old_der;
	X509 *old = d2i_X509(NULL, &q, (long)old_len), *x = ukey_renew_pem_cert(cert_pem);
	time_t now = time(NULL), lo = now - 86400, hi = now + 86400;
	int ret, len;

	*der = NULL;
	if (old == NULL || x == NULL) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's certificate cannot be read"));
		goto out;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(x), k->pkey) != 1) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's certificate is not for the new key: it is not "
							"installed"));
		goto out;
	}
	if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(old)) != 0) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's certificate names another subject: it is not "
							"installed"));
		goto out;
	}
	if (X509_cmp_time(X509_get0_notBefore(x), &lo) <= 0 || X509_cmp_time(X509_get0_notBefore(x), &hi) >= 0 ||
	    ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(old)) <= 0) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the service's certificate has an unexpected validity: it is not "
							"installed"));
		goto out;
	}
	ret = chain_ok(old, x, chain, k->kind == UKEY_KEY_SM2, e);
	if (ret != UKEY_E_OK)
		goto out;
	len = i2d_X509(x, der);
	if (len <= 0) {
		ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		goto out;
	}
	*der_len = (size_t)len;
	if (seals != NULL && json_object_is_type(seals, json_type_array))
		ret = seals_ok(seals, *der, *der_len, e);
out:
	if (ret != UKEY_E_OK && *der != NULL) {
		OPENSSL_free(*der);
		*der = NULL;
	}
	X509_free(old);
	X509_free(x);
	return ret;
}
