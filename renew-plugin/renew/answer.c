/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* answer.c: the renewal answer, strictly. Every member the renewal uses is
 * checked for its type first (a json-c accessor on the wrong type aborts
 * the program or reads nonsense), then for its meaning (check.c), all
 * before the answer is journaled: a bad answer never reaches the journal,
 * the token or a rerun. Unknown members are ignored (forward
 * compatibility). Member paths in the messages are the JSON's: "seals[0].der". */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "b64.h"
#include "certder.h"
#include "ukey-base.h"
#include "renew.h"

/* A seal's name becomes a label on the token. */
#define SEAL_NAME_MAX 128

static const char *type_name(json_type t, int nullable)
{
	switch (t) {
	case json_type_string: return nullable ? _("a string or null") : _("a string");
	case json_type_int: return _("an integer");
	case json_type_array: return nullable ? _("an array or null") : _("an array");
	default: return nullable ? _("an object or null") : _("an object");
	}
}

/* Member key of o (an object), of type t; nullable: absent or null gives
 * *v = NULL. */
static int get(json_object *o, const char *key, const char *path, json_type t, int nullable, json_object **v,
	       struct ukey_err *e)
{
	int present = json_object_object_get_ex(o, key, v);

	if (*v == NULL || !present) {
		*v = NULL;
		if (nullable)
			return UKEY_E_OK;
		if (!present)
			return ukey_err_set(e, UKEY_E_SERVICE, _("\"%s\" of the renewal answer is missing"), path);
	}
	if (*v == NULL || !json_object_is_type(*v, t))
		return ukey_err_set(e, UKEY_E_SERVICE, _("\"%s\" of the renewal answer must be %s"), path,
				    type_name(t, nullable));
	return UKEY_E_OK;
}

static int wrong(struct ukey_err *e, const char *path, const char *why)
{
	return ukey_err_set(e, UKEY_E_SERVICE, _("\"%s\" of the renewal answer is wrong: %s"), path, why);
}

/* A non-empty string without NUL ("\u0000" would cut the C string). */
static int str(json_object *o, const char *key, const char *path, const char **out, struct ukey_err *e)
{
	json_object *v;
	int ret = get(o, key, path, json_type_string, 0, &v, e);

	*out = NULL;
	if (ret != UKEY_E_OK)
		return ret;
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return wrong(e, path, _("it contains a NUL character"));
	if ((*out)[0] == '\0')
		return wrong(e, path, _("it is empty"));
	return UKEY_E_OK;
}

static int b64(json_object *o, const char *key, const char *path, unsigned char **out, size_t *len,
	       struct ukey_err *e)
{
	const char *s;
	int ret = str(o, key, path, &s, e);

	*out = NULL;
	if (ret == UKEY_E_OK && (*out = ukc_b64_decode(s, strlen(s), len, NULL)) == NULL)
		ret = wrong(e, path, _("it is not base64"));
	return ret;
}

/* The certificates of `chain`, each a PEM certificate. */
static int chain_certs(json_object *a, STACK_OF(X509) *sk, struct ukey_err *e)
{
	size_t n = json_object_array_length(a);
	char path[32];

	if (n == 0)
		return wrong(e, "chain", _("it is empty"));
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i);
		X509 *x;
		snprintf(path, sizeof(path), "chain[%zu]", i);
		if (v == NULL || !json_object_is_type(v, json_type_string))
			return ukey_err_set(e, UKEY_E_SERVICE, _("\"%s\" of the renewal answer must be %s"), path,
					    type_name(json_type_string, 0));
		if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v) ||
		    (x = ukc_x509_from_pem(json_object_get_string(v))) == NULL)
			return wrong(e, path, _("it is not a PEM certificate"));
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		}
	}
	return UKEY_E_OK;
}

/* A seal's name: the token's label, so printable UTF-8 of bounded length. */
static int seal_name(json_object *o, const char *path, struct ukey_err *e)
{
	const char *s;
	int ret = str(o, "name", path, &s, e);
	size_t n = s ? strlen(s) : 0;

	if (ret != UKEY_E_OK)
		return ret;
	if (n > SEAL_NAME_MAX)
		return wrong(e, path, _("it is too long"));
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return wrong(e, path, _("it contains control characters"));
	if (!ukey_utf8_ok((const unsigned char *)s, n))
		return wrong(e, path, _("it is not valid UTF-8"));
	return UKEY_E_OK;
}

/* Each seal: {name, type, der} (asked for, or none); with the certificate
 * cert, der decodes, verifies and lists it. */
static int seals_ok(json_object *a, const struct ukey_renew_expect *w, const unsigned char *cert, size_t cert_len,
		    struct ukey_err *e)
{
	size_t n = a ? json_object_array_length(a) : 0;
	char path[48];
	int ret = UKEY_E_OK;

	if (n > 0 && !w->with_seals)
		return ukey_err_set(e, UKEY_E_SERVICE, _("\"seals\" of the renewal answer lists seals that were not "
							 "asked for"));
	for (size_t i = 0; ret == UKEY_E_OK && i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i), *v;
		unsigned char *raw = NULL;
		size_t len = 0;
		snprintf(path, sizeof(path), "seals[%zu]", i);
		if (o == NULL || !json_object_is_type(o, json_type_object))
			return ukey_err_set(e, UKEY_E_SERVICE, _("\"%s\" of the renewal answer must be %s"), path,
					    type_name(json_type_object, 0));
		snprintf(path, sizeof(path), "seals[%zu].name", i);
		ret = seal_name(o, path, e);
		snprintf(path, sizeof(path), "seals[%zu].type", i);
		if (ret == UKEY_E_OK)
			ret = get(o, "type", path, json_type_int, 0, &v, e);
		if (ret == UKEY_E_OK && (json_object_get_int64(v) < 0 || json_object_get_int64(v) > INT32_MAX))
			ret = wrong(e, path, _("it is out of range"));
		snprintf(path, sizeof(path), "seals[%zu].der", i);
		if (ret == UKEY_E_OK)
			ret = b64(o, "der", path, &raw, &len, e);
		if (ret == UKEY_E_OK && cert != NULL)
			ret = ukey_renew_check_seal(i, raw, len, cert, cert_len, w->now, e);
		free(raw);
	}
	return ret;
}

/* `encryption`: {certificate, envelope, envelope_format}. */
static int enc_ok(json_object *o, const struct ukey_renew_expect *w, STACK_OF(X509) *chain,
		  struct ukey_renew_answer *a, struct ukey_err *e)
{
	const char *pem = NULL, *fmt = NULL;
	unsigned char *env = NULL;
	size_t env_len = 0;
	int ret;

	if (o == NULL)
		return w->encryption == 1 ? ukey_err_set(e, UKEY_E_SERVICE, _("\"encryption\" of the renewal answer is "
									      "missing: the order includes the "
									      "encryption certificate"))
					  : UKEY_E_OK;
	if ((ret = str(o, "certificate", "encryption.certificate", &pem, e)) != UKEY_E_OK ||
	    (ret = str(o, "envelope_format", "encryption.envelope_format", &fmt, e)) != UKEY_E_OK)
		return ret;
	if (ukey_renew_enc_format(fmt) == 0)
		return wrong(e, "encryption.envelope_format", _("an unknown envelope format"));
	ret = b64(o, "envelope", "encryption.envelope", &env, &env_len, e);
	if (ret == UKEY_E_OK && chain != NULL) {
		ret = ukey_renew_check_enc(w, pem, ukey_renew_enc_format(fmt), env, env_len, chain, &a->enc, e);
		a->has_enc = ret == UKEY_E_OK;
	}
	free(env);
	return ret;
}

int ukey_renew_answer_check(json_object *j, const struct ukey_renew_expect *w, struct ukey_renew_answer *a,
			    struct ukey_err *e)
{
	json_object *chain = NULL, *seals = NULL, *enc = NULL;
	STACK_OF(X509) *sk = sk_X509_new_null();
	const char *rid = NULL, *pem = NULL;
	int ret;

	memset(a, 0, sizeof(*a));
	if (sk == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	if (j == NULL || !json_object_is_type(j, json_type_object)) {
		ret = ukey_err_set(e, UKEY_E_SERVICE, _("the renewal answer is not a JSON object"));
		goto out;
	}
	/* The types of everything first: a meaning check must never read a
	 * member of the wrong type. */
	if ((ret = str(j, "request_id", "request_id", &rid, e)) != UKEY_E_OK ||
	    (ret = str(j, "certificate", "certificate", &pem, e)) != UKEY_E_OK ||
	    (ret = get(j, "chain", "chain", json_type_array, 0, &chain, e)) != UKEY_E_OK ||
	    (ret = get(j, "seals", "seals", json_type_array, !w->with_seals, &seals, e)) != UKEY_E_OK ||
	    (ret = get(j, "encryption", "encryption", json_type_object, 1, &enc, e)) != UKEY_E_OK ||
	    (ret = chain_certs(chain, sk, e)) != UKEY_E_OK || (ret = seals_ok(seals, w, NULL, 0, e)) != UKEY_E_OK ||
	    (ret = enc_ok(enc, w, NULL, a, e)) != UKEY_E_OK)
		goto out;
	if (w->request_id != NULL && strcmp(rid, w->request_id) != 0) {
		ret = wrong(e, "request_id", _("it names another request"));
		goto out;
	}
	/* Then the meaning: the certificate, its seals, the encryption part. */
	if ((ret = ukey_renew_check(w, pem, sk, &a->der, &a->der_len, e)) != UKEY_E_OK ||
	    (ret = seals_ok(seals, w, a->der, a->der_len, e)) != UKEY_E_OK)
		goto out;
	ret = enc_ok(enc, w, sk, a, e);
out:
	if (ret != UKEY_E_OK)
		ukey_renew_answer_free(a);
	sk_X509_pop_free(sk, X509_free);
	return ret;
}

int ukey_renew_answer_parse(const char *text, size_t len, const struct ukey_renew_expect *w, json_object **j,
			    struct ukey_renew_answer *a, struct ukey_err *e)
{
	int ret = ukey_json_parse(text, len, j, e);

	memset(a, 0, sizeof(*a));
	if (ret == UKEY_E_OK)
		ret = ukey_renew_answer_check(*j, w, a, e);
	if (ret != UKEY_E_OK) {
		json_object_put(*j);
		*j = NULL;
	}
	return ret;
}

void ukey_renew_answer_free(struct ukey_renew_answer *a)
{
	OPENSSL_free(a->der);
	ukey_renew_enc_free(&a->enc);
	memset(a, 0, sizeof(*a));
}
