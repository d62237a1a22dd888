/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* provider.c: the "ukey" provider, added as a built-in to a private
 * library context (never to the process's default one: another part of
 * the program, or a library it loads, never meets these keys by
 * accident), and the token key as an EVP_PKEY. */

#include <pthread.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include "ukey-base.h"
#include "ossl/ossl.h"

static const OSSL_ALGORITHM keymgmts[] = {
	{ "RSA:rsaEncryption:1.2.840.113549.1.1.1", UKEY_OSSL_PROPS, ukey_ossl_rsa_keymgmt, "RSA key on a U-KEY" },
	{ "EC:id-ecPublicKey:1.2.840.10045.2.1", UKEY_OSSL_PROPS, ukey_ossl_ec_keymgmt, "EC key on a U-KEY" },
	{ "SM2:1.2.156.10197.1.301", UKEY_OSSL_PROPS, ukey_ossl_sm2_keymgmt, "SM2 key on a U-KEY" },
	{ NULL, NULL, NULL, NULL },
};

static const OSSL_ALGORITHM signatures[] = {
	{ "RSA:rsaEncryption:1.2.840.113549.1.1.1", UKEY_OSSL_PROPS, ukey_ossl_rsa_signature, "C_Sign, RSA" },
	{ "ECDSA", UKEY_OSSL_PROPS, ukey_ossl_ec_signature, "C_Sign, ECDSA" },
	{ "SM2:1.2.156.10197.1.301", UKEY_OSSL_PROPS, ukey_ossl_sm2_signature, "C_Sign, SM2 with SM3" },
	{ NULL, NULL, NULL, NULL },
};

static const OSSL_ALGORITHM *query(void *provctx, int op, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	return op == OSSL_OP_KEYMGMT ? keymgmts : op == OSSL_OP_SIGNATURE ? signatures : NULL;
}

static const OSSL_DISPATCH prov_dispatch[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))query },
	{ 0, NULL },
};

static int prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in, const OSSL_DISPATCH **out,
		     void **provctx)
{
	(void)in;
	*provctx = (void *)handle;
	*out = prov_dispatch;
	return 1;
}

static OSSL_LIB_CTX *libctx;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_libctx(void)
{
	OSSL_LIB_CTX *c = OSSL_LIB_CTX_new();

	/* The default provider answers every fetch that does not ask for
	 * "provider=ukey": a certificate's key read in this context is
	 * never given to the token's key management. */
	if (c == NULL || !OSSL_PROVIDER_add_builtin(c, "ukey", prov_init) || OSSL_PROVIDER_load(c, "default") == NULL ||
	    OSSL_PROVIDER_load(c, "ukey") == NULL || !EVP_set_default_properties(c, "?provider=default")) {
		OSSL_LIB_CTX_free(c);
		return;
	}
	libctx = c;
}

OSSL_LIB_CTX *ukey_ossl_libctx(void)
{
	pthread_once(&once, make_libctx);
	return libctx;
}

static int kind_of(EVP_PKEY *pub, enum ukey_ossl_kind *kind)
{
	char group[64];
	size_t n = 0;

	if (EVP_PKEY_is_a(pub, "RSA")) {
		*kind = UKEY_OSSL_RSA;
		return 1;
	}
	if (EVP_PKEY_is_a(pub, "SM2")) {
		*kind = UKEY_OSSL_SM2;
		return 1;
	}
	if (!EVP_PKEY_is_a(pub, "EC"))
		return 0;
	/* An SM2 point may come as an EC key on the SM2 curve. */
	*kind = EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &n) &&
			strcmp(group, "SM2") == 0
		? UKEY_OSSL_SM2
		: UKEY_OSSL_EC;
	return 1;
}

EVP_PKEY *ukey_ossl_token_key(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, EVP_PKEY *pub,
			      struct ukey_err *e)
{
	static const char *const names[] = { "RSA", "EC", "SM2" };
	struct ukey_ossl_key ref = { .p = p, .s = s, .priv = priv, .pub = pub };
	OSSL_LIB_CTX *lc = ukey_ossl_libctx();
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;
	OSSL_PARAM params[2];

	if (lc == NULL) {
		ukey_err_set(e, UKEY_E_ERROR, _("cannot set up OpenSSL for the U-KEY's keys"));
		return NULL;
	}
	if (pub == NULL || !kind_of(pub, &ref.kind)) {
		ukey_err_set(e, UKEY_E_TOKEN, _("the key on the U-KEY is of a type OpenSSL cannot use here"));
		return NULL;
	}
	params[0] = OSSL_PARAM_construct_octet_string(UKEY_OSSL_PARAM_KEY, &ref, sizeof(ref));
	params[1] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(lc, names[ref.kind], UKEY_OSSL_PROPS);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params) != 1) {
		EVP_PKEY_free(k);
		k = NULL;
		ukey_err_set(e, UKEY_E_ERROR, _("cannot set up OpenSSL for the U-KEY's keys"));
	}
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return k;
}
