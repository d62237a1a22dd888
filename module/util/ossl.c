/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <pthread.h>

#include <openssl/crypto.h>
#include <openssl/provider.h>

#include "util/log.h"
#include "util/ossl.h"

static OSSL_LIB_CTX *ctx;
static OSSL_PROVIDER *provider;  /* our reference to "default": unloaded before the context */
static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;

OSSL_LIB_CTX *ukey_ossl_ctx(void)
{
	OSSL_LIB_CTX *c;
	pthread_mutex_lock(&ctx_lock);
	if (!ctx) {
		ctx = OSSL_LIB_CTX_new();
		if (ctx && !(provider = OSSL_PROVIDER_load(ctx, "default"))) {
			OSSL_LIB_CTX_free(ctx);
			ctx = NULL;
		}
		if (!ctx)
			ukey_error("cannot make a private OpenSSL context; using the host's");
	}
	c = ctx;
	pthread_mutex_unlock(&ctx_lock);
	return c;
}

void ukey_ossl_release(void)
{
	pthread_mutex_lock(&ctx_lock);
	if (provider)
		OSSL_PROVIDER_unload(provider);
	provider = NULL;
	OSSL_LIB_CTX_free(ctx);
	ctx = NULL;
	pthread_mutex_unlock(&ctx_lock);
}
