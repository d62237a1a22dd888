/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * renew-enc.c: the encryption part of a renewal (the CA's key-management
 * role). The key-management centre generates the encryption pair, so the
 * CA can recover documents encrypted to it; it keeps the pair (table
 * escrow, kept apart from `certificates`, which authenticate and carry
 * seals) and sends it to the token only as an envelope to the new signing
 * key, which the token opens inside itself (docs/mechanisms.md).
 */
#include "config.h"

#include "renew-enc.h"

#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "envelope.h"
/* The type of the new encryption pair, when `to` has an envelope format:
 * SM2, RSA, or EC on P-256 (ecdh-aes-v1); NULL otherwise. */
static const char *pair_type(EVP_PKEY *to)
{
	char group[32];

	if (EVP_PKEY_is_a(to, "SM2"))
		return "SM2";
	if (EVP_PKEY_is_a(to, "RSA"))
		return "RSA";
	if (EVP_PKEY_is_a(to, "EC") &&
	    EVP_PKEY_get_utf8_string_param(to, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) &&
	    strcmp(group, "prime256v1") == 0)
		return "EC";
	return NULL;
}

/* The first of the request's `envelope_formats` that the builder makes for
 * `to`: an RSA key on an SKF token asks for skf-rsa-envelope-v1. NULL when
 * none fits (svc_enc_prepare refuses). */
static const char *pick_format(EVP_PKEY *to, json_object *formats)
{
	static const char *const known[] = { UKC_ENVELOPE_NAME_SM2_V1, UKC_ENVELOPE_NAME_RSA_OAEP_AES_V1,
					     UKC_ENVELOPE_NAME_ECDH_AES_V1, UKC_ENVELOPE_NAME_SKF_RSA_V1 };
	const char *type = pair_type(to);
	size_t n = json_object_array_length(formats);

	for (size_t i = 0; i < n; i++) {
		const char *f = json_object_get_string(json_object_array_get_idx(formats, i));
		for (size_t k = 0; f != NULL && k < sizeof(known) / sizeof(known[0]); k++) {
			if (strcmp(f, known[k]) != 0)
				continue;
			if ((strcmp(type, "SM2") == 0 && k == 0) || (strcmp(type, "RSA") == 0 && (k == 1 || k == 3)) ||
			    (strcmp(type, "EC") == 0 && k == 2))
				return known[k];
		}
	}
	return NULL;
}

int svc_enc_prepare(EVP_PKEY *to, json_object *formats, struct svc_enc *e, struct resp *o)
{
	char err[256] = "";
	const char *type = pair_type(to);
	int rc;

	memset(e, 0, sizeof(*e));
	/* Nothing is issued for a key type without an envelope format: a
	 * renewal is whole or not at all. */
	if (type == NULL) {
		svc_resp_error(o, 409, "encryption_unsupported",
			       "the order covers an encryption certificate, but no envelope format exists"
			       " for this key type (%s %d bits): renew with an RSA, EC P-256 or SM2 key, or order"
			       " without the encryption certificate",
			       EVP_PKEY_get0_type_name(to), EVP_PKEY_get_bits(to));
		return -1;
	}
	/* The token named the formats it imports: one of them, or nothing. */
	if (formats != NULL && (!json_object_is_type(formats, json_type_array) ||
				(e->format = pick_format(to, formats)) == NULL)) {
		svc_resp_error(o, 409, "encryption_unsupported",
			       "the order covers an encryption certificate, but none of the U-KEY's envelope formats"
			       " (%s) fits its %s key: order without the encryption certificate",
			       json_object_to_json_string_ext(formats, JSON_C_TO_STRING_PLAIN), type);
		return -1;
	}
	e->pair = svc_key_gen(type);
	if (e->pair == NULL) {
		svc_resp_error(o, 500, "internal", "cannot generate the encryption key pair");
		return -1;
	}
	rc = e->format != NULL
		     ? ukc_envelope_build_format(to, e->pair, e->format, &e->env, &e->env_len, err, sizeof(err))
		     : ukc_envelope_build(to, e->pair, &e->env, &e->env_len, &e->format, err, sizeof(err));
	if (rc == 0)
		return 0;
	svc_resp_error(o, 500, "internal", "cannot envelope the encryption key: %s", err);
	return -1;
}

/* The user profile with the encryption key usages in place of the signing
 * ones (GM/T 0015 allows keyAgreement too for SM2; EC keys agree only). */
static int enc_profile(struct svc *s, X509 *x, EVP_PKEY *pair)
{
	const char *ku = EVP_PKEY_is_a(pair, "SM2")   ? "critical,keyEncipherment,dataEncipherment,keyAgreement"
			 : EVP_PKEY_is_a(pair, "RSA") ? "critical,keyEncipherment,dataEncipherment"
						      : "critical,keyAgreement";
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int i, ok;

	while ((i = X509_get_ext_by_NID(x, NID_key_usage, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	while ((i = X509_get_ext_by_NID(x, NID_ext_key_usage, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	X509V3_set_ctx(&ctx, s->ca_cert, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
	ok = ext != NULL && X509_add_ext(x, ext, -1) && ukc_x509_sign(x, s->ca_key);
	X509_EXTENSION_free(ext);
	return ok;
}

json_object *svc_enc_issue(struct svc *s, const char *rid, const char *medium, X509 *sign,
			   struct svc_enc *e, struct resp *o)
{
	X509 *x = svc_ca_issue(s->ca_cert, s->ca_key, X509_get_subject_name(sign), e->pair,
			       svc_asn1_time(X509_get0_notBefore(sign)),
			       svc_asn1_time(X509_get0_notAfter(sign)), SVC_CERT_USER);
	char *pem = NULL, *b64 = NULL, *serial = NULL, *key = NULL;
	BIO *b = BIO_new(BIO_s_secmem());
	json_object *out = NULL;
	long klen;

	if (x == NULL || !enc_profile(s, x, e->pair) || b == NULL ||
	    !PEM_write_bio_PrivateKey(b, e->pair, NULL, NULL, 0, NULL, NULL))
		goto out;
	klen = BIO_get_mem_data(b, &key);
	key = klen > 0 ? strndup(key, (size_t)klen) : NULL;
	pem = ukc_x509_to_pem(x);
	serial = ukc_x509_serial_hex(x);
	b64 = ukc_b64_encode(e->env, e->env_len);
	if (key == NULL || pem == NULL || serial == NULL || b64 == NULL ||
	    svc_db_run(s, "INSERT INTO escrow(request_id, medium, cert_serial, certificate, key_pem,"
			  " envelope_format, created) VALUES(?, ?, ?, ?, ?, ?, ?)",
		       "ssssssi", rid, medium, serial, pem, key, e->format, (int64_t)time(NULL)))
		goto out;
	out = json_object_new_object();
	json_object_object_add(out, "certificate", json_object_new_string(pem));
	json_object_object_add(out, "envelope", json_object_new_string(b64));
	json_object_object_add(out, "envelope_format", json_object_new_string(e->format));
out:
	if (out == NULL)
		svc_resp_error(o, 500, "internal", "cannot issue the encryption certificate");
	if (key != NULL)
		OPENSSL_cleanse(key, strlen(key));
	free(key);
	free(pem);
	free(b64);
	free(serial);
	BIO_free_all(b);
	X509_free(x);
	return out;
}

void svc_enc_free(struct svc_enc *e)
{
	EVP_PKEY_free(e->pair);
	OPENSSL_free(e->env);
	memset(e, 0, sizeof(*e));
}
