/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* keymgmt.c: the provider's key management for RSA, EC and SM2 keys on a
 * token. The key data is a handle, never key material: what OpenSSL asks
 * of a key's public side (size, curve, the SubjectPublicKeyInfo an
 * encoder writes, a comparison) comes from the public half, a
 * default-provider key, by export. The private half cannot be exported:
 * refusing a private selection also makes OpenSSL look for the
 * signature in this provider instead of signing with an exported
 * public-only copy elsewhere. */

#include <stdlib.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "ossl/ossl.h"

static void *km_new(void *provctx)
{
	(void)provctx;
	return calloc(1, sizeof(struct ukey_ossl_key));
}

static void km_free(void *kd)
{
	struct ukey_ossl_key *k = kd;

	if (k == NULL)
		return;
	EVP_PKEY_free(k->pub);
	free(k);
}

static int km_has(const void *kd, int selection)
{
	const struct ukey_ossl_key *k = kd;

	/* The private half is on the token: present as long as the handle is. */
	return k != NULL && (selection == 0 || k->pub != NULL);
}

static int km_match(const void *a, const void *b, int selection)
{
	const struct ukey_ossl_key *x = a, *y = b;

	(void)selection;
	return x->pub != NULL && y->pub != NULL && EVP_PKEY_eq(x->pub, y->pub) == 1;
}

static int km_import(void *kd, int selection, const OSSL_PARAM params[])
{
	struct ukey_ossl_key *k = kd;
	const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, UKEY_OSSL_PARAM_KEY);
	const struct ukey_ossl_key *src;

	(void)selection;
	if (k == NULL || p == NULL || p->data_type != OSSL_PARAM_OCTET_STRING ||
	    p->data_size != sizeof(struct ukey_ossl_key))
		return 0;
	src = p->data;
	if (src->pub == NULL || !EVP_PKEY_up_ref(src->pub))
		return 0;
	EVP_PKEY_free(k->pub);
	*k = *src;
	return 1;
}

static const OSSL_PARAM import_types[] = {
	OSSL_PARAM_octet_string(UKEY_OSSL_PARAM_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *km_import_types(int selection)
{
	(void)selection;
	return import_types;
}

static int km_export(void *kd, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
	struct ukey_ossl_key *k = kd;
	OSSL_PARAM *params = NULL;
	int ret;

	if (k == NULL || k->pub == NULL || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY))
		return 0;
	if (EVP_PKEY_todata(k->pub, (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) ? EVP_PKEY_PUBLIC_KEY
						: EVP_PKEY_KEY_PARAMETERS, &params) != 1)
		return 0;
	ret = cb(params, cbarg);
	OSSL_PARAM_free(params);
	return ret;
}

static const OSSL_PARAM rsa_types[] = {
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END,
};
static const OSSL_PARAM ec_types[] = {
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *rsa_export_types(int selection)
{
	(void)selection;
	return rsa_types;
}

static const OSSL_PARAM *ec_export_types(int selection)
{
	(void)selection;
	return ec_types;
}

/* What the public half answers, and the sizes OpenSSL needs for a
 * signature buffer; the digest a signature uses by default. */
static int km_get_params(void *kd, OSSL_PARAM params[])
{
	struct ukey_ossl_key *k = kd;
	OSSL_PARAM *p;

	if (k == NULL || k->pub == NULL)
		return 0;
	/* Whatever the public half knows (curve, point, modulus); what it
	 * does not know stays unset, as OpenSSL expects of get_params. */
	EVP_PKEY_get_params(k->pub, params);
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) != NULL &&
	    !OSSL_PARAM_set_int(p, EVP_PKEY_get_bits(k->pub)))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS)) != NULL &&
	    !OSSL_PARAM_set_int(p, EVP_PKEY_get_security_bits(k->pub)))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) != NULL &&
	    !OSSL_PARAM_set_int(p, EVP_PKEY_get_size(k->pub)))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_DEFAULT_DIGEST)) != NULL &&
	    !OSSL_PARAM_set_utf8_string(p, k->kind == UKEY_OSSL_SM2 ? "SM3" : "SHA256"))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MANDATORY_DIGEST)) != NULL && k->kind == UKEY_OSSL_SM2 &&
	    !OSSL_PARAM_set_utf8_string(p, "SM3"))
		return 0;
	return 1;
}

static const OSSL_PARAM rsa_gettable[] = {
	OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END,
};
static const OSSL_PARAM ec_gettable[] = {
	OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_MANDATORY_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *rsa_gettable_params(void *provctx)
{
	(void)provctx;
	return rsa_gettable;
}

static const OSSL_PARAM *ec_gettable_params(void *provctx)
{
	(void)provctx;
	return ec_gettable;
}

static const char *rsa_op(int op)
{
	return op == OSSL_OP_SIGNATURE ? "RSA" : NULL;
}

static const char *ec_op(int op)
{
	return op == OSSL_OP_SIGNATURE ? "ECDSA" : NULL;
}

static const char *sm2_op(int op)
{
	return op == OSSL_OP_SIGNATURE ? "SM2" : NULL;
}

#define KEYMGMT(name, types, gettable, op)                                                            \
	const OSSL_DISPATCH name[] = {                                                                \
		{ OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))km_new },                                   \
		{ OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))km_free },                                 \
		{ OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))km_has },                                   \
		{ OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))km_match },                               \
		{ OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))km_import },                             \
		{ OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))km_import_types },                 \
		{ OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))km_export },                             \
		{ OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))types },                           \
		{ OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))km_get_params },                     \
		{ OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))gettable },                     \
		{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))op },                      \
		{ 0, NULL },                                                                          \
	}

KEYMGMT(ukey_ossl_rsa_keymgmt, rsa_export_types, rsa_gettable_params, rsa_op);
KEYMGMT(ukey_ossl_ec_keymgmt, ec_export_types, ec_gettable_params, ec_op);
KEYMGMT(ukey_ossl_sm2_keymgmt, ec_export_types, ec_gettable_params, sm2_op);
