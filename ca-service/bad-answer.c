/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bad-answer.c: misbehave bad-answer KIND -- the renewal answer corrupted on
 * its way out, as a faulty CA front end or anything between could send it.
 * What the service issued and stored stays as it was: a re-fetch of the same
 * request id (GET /api/v1/renewals/<id>) is answered honestly once the
 * countdown has run out. Only answers that are renewal answers (2xx JSON
 * objects with a "certificate", under the `on` prefix, by default
 * /api/v1/renewals) are hit and counted; error-seals hits any answer under
 * `on` instead, a success answered as a 409 refusal.
 */
#include "config.h"

#include "svc.h"

#include <string.h>
#include <time.h>

#include <openssl/pem.h>

const char *const svc_bad_answer_kinds[] = {
	"seals-object",   /* "seals": {"a": 1} where an array belongs */
	"seals-entry",    /* "seals": [1] */
	"seal-der",       /* a seal whose "der" is not a seal */
	"chain-string",   /* "chain": "..." where an array belongs */
	"cert-number",    /* "certificate": 42 */
	"cert-missing",   /* no "certificate" */
	"cert-truncated", /* the PEM cut in the middle of its base64 */
	"wrong-key",      /* a certificate for another key (same subject, CA, validity) */
	"wrong-subject",  /* a certificate for the key with another subject */
	"request-id",     /* the answer of another request id */
	"enc-array",      /* "encryption": [] */
	"enc-wrong-key",  /* the encryption certificate is not the enveloped key's */
	"not-json",       /* the body cut in half */
	"error-seals",    /* a refusal whose "seals" holds a null, a number, an object, an escape */
	NULL,
};

/* x re-issued by the CA with another key or subject; its PEM, malloc'd. */
static char *reissued(struct svc *s, const char *pem, int other_key)
{
	X509 *x = ukc_x509_from_pem(pem), *y = NULL;
	X509_NAME *subj = x ? X509_NAME_dup(X509_get_subject_name(x)) : NULL;
	EVP_PKEY *key = NULL;
	char *out = NULL;

	if (subj == NULL)
		goto out;
	if (other_key)
		key = svc_key_gen(EVP_PKEY_is_a(X509_get0_pubkey(x), "RSA") ? "RSA" : "EC");
	else if (X509_NAME_add_entry_by_txt(subj, "OU", MBSTRING_UTF8, (const unsigned char *)"someone else", -1,
					    -1, 0))
		key = EVP_PKEY_dup(X509_get0_pubkey(x));
	if (key != NULL)
		y = svc_ca_issue(s->ca_cert, s->ca_key, subj, key, svc_asn1_time(X509_get0_notBefore(x)),
				 svc_asn1_time(X509_get0_notAfter(x)), SVC_CERT_USER);
	out = y ? ukc_x509_to_pem(y) : NULL;
out:
	X509_NAME_free(subj);
	EVP_PKEY_free(key);
	X509_free(x);
	X509_free(y);
	return out;
}

static const char *str(json_object *j, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(j, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : "";
}

/* Corrupts the answer j as kind says; 0 done. */
static int corrupt(struct svc *s, const char *kind, json_object *j)
{
	json_object *v = NULL, *enc = NULL;
	char *pem = NULL;

	if (strcmp(kind, "seals-object") == 0) {
		v = json_object_new_object();
		json_object_object_add(v, "a", json_object_new_int(1));
		json_object_object_add(j, "seals", v);
	} else if (strcmp(kind, "seals-entry") == 0) {
		v = json_object_new_array();
		json_object_array_add(v, json_object_new_int(1));
		json_object_object_add(j, "seals", v);
	} else if (strcmp(kind, "seal-der") == 0) {
		/* The first seal, or one added, whose content is no seal. */
		if (!json_object_object_get_ex(j, "seals", &v) || !json_object_is_type(v, json_type_array) ||
		    json_object_array_length(v) == 0) {
			v = json_object_new_array();
			json_object_array_add(v, json_object_new_object());
			json_object_object_add(j, "seals", v);
			json_object_object_add(json_object_array_get_idx(v, 0), "name", json_object_new_string("业务章"));
			json_object_object_add(json_object_array_get_idx(v, 0), "type", json_object_new_int(1));
		}
		json_object_object_add(json_object_array_get_idx(v, 0), "der",
				       json_object_new_string("MAoGCCqBHM9VAYN1"));
	} else if (strcmp(kind, "chain-string") == 0) {
		json_object_object_add(j, "chain", json_object_new_string(str(j, "certificate")));
	} else if (strcmp(kind, "cert-number") == 0) {
		json_object_object_add(j, "certificate", json_object_new_int(42));
	} else if (strcmp(kind, "cert-missing") == 0) {
		json_object_object_del(j, "certificate");
	} else if (strcmp(kind, "cert-truncated") == 0) {
		/* Header, the first half of the base64, footer: PEM-shaped, no certificate. */
		const char *c = str(j, "certificate"), *body = strchr(c, '\n');
		size_t half = body ? strlen(body) / 2 : 0;
		if (body == NULL || asprintf(&pem, "%.*s%.*s\n-----END CERTIFICATE-----\n", (int)(body - c), c,
					     (int)half, body) < 0)
			return -1;
		json_object_object_add(j, "certificate", json_object_new_string(pem));
	} else if (strcmp(kind, "wrong-key") == 0 || strcmp(kind, "wrong-subject") == 0) {
		pem = reissued(s, str(j, "certificate"), kind[6] == 'k');
		if (pem == NULL)
			return -1;
		json_object_object_add(j, "certificate", json_object_new_string(pem));
	} else if (strcmp(kind, "request-id") == 0) {
		json_object_object_add(j, "request_id", json_object_new_string("another-request"));
	} else if (strcmp(kind, "enc-array") == 0) {
		json_object_object_add(j, "encryption", json_object_new_array());
	} else if (strcmp(kind, "enc-wrong-key") == 0) {
		if (!json_object_object_get_ex(j, "encryption", &enc) || !json_object_is_type(enc, json_type_object))
			return -1;
		json_object_object_add(enc, "certificate", json_object_new_string(str(j, "certificate")));
	} else {
		return -1;
	}
	free(pem);
	return 0;
}

/* An error body's "seals" (the seals a refusal names) with entries of
 * every wrong type before the real ones. */
static void error_seals(json_object *err)
{
	json_object *a = json_object_new_array(), *old;

	json_object_array_add(a, NULL);
	json_object_array_add(a, json_object_new_int(1));
	json_object_array_add(a, json_object_new_object());
	json_object_array_add(a, json_object_new_string("S\033]0;owned\007"));
	if (json_object_object_get_ex(err, "seals", &old) && json_object_is_type(old, json_type_array))
		for (size_t i = 0; i < json_object_array_length(old); i++)
			json_object_array_add(a, json_object_get(json_object_array_get_idx(old, i)));
	json_object_object_add(err, "seals", a);
}

void svc_bad_answer(struct svc *s, struct req *r, struct resp *o, const char *path)
{
	const char *on = s->misbehave_on[0] ? s->misbehave_on : "/api/v1/renewals";
	int errors = strcmp(s->misbehave_kind, "error-seals") == 0;
	json_object *j, *v;
	const char *t;

	(void)r;
	if (strcmp(s->misbehave, "bad-answer") != 0 || o->body == NULL || strncmp(path, on, strlen(on)) != 0 ||
	    (!errors && (o->status < 200 || o->status > 299)))
		return;
	if (errors && o->status < 400) /* accepted, answered as refused */
		svc_resp_error(o, 409, "rule_type_taken", "two kept seals share a type (misbehave bad-answer)");
	j = json_tokener_parse(o->body);
	if (j == NULL || !json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, errors ? "error" : "certificate", &v) ||
	    (errors && !json_object_is_type(v, json_type_object))) {
		json_object_put(j);
		return;
	}
	if (errors)
		error_seals(v);
	if (strcmp(s->misbehave_kind, "not-json") == 0) {
		o->len /= 2;
		o->body[o->len] = '\0';
	} else if (errors || corrupt(s, s->misbehave_kind, j) == 0) {
		t = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		free(o->body);
		o->body = strdup(t);
		o->len = o->body ? strlen(o->body) : 0;
		if (o->body == NULL)
			o->status = 500;
	} else {
		svc_resp_error(o, 500, "internal", "misbehave bad-answer %s: cannot corrupt this answer",
			       s->misbehave_kind);
	}
	json_object_put(j);
	if (s->misbehave_times > 0 && --s->misbehave_times == 0) {
		snprintf(s->misbehave, sizeof(s->misbehave), "none");
		s->misbehave_on[0] = '\0';
	}
}
