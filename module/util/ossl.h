/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The module's own OpenSSL library context. The host program may have set
 * up OpenSSL its own way (an ENGINE made default for RSA, as libp11's
 * engine does; a config file; other providers): every fetch the module
 * makes goes to this private context, which holds only the default
 * provider, so the host's setup never changes what the module computes. */
#ifndef UKEY_OSSL_H
#define UKEY_OSSL_H

#include <openssl/types.h>

/* The context, made on first use. */
OSSL_LIB_CTX *ukey_ossl_ctx(void);
/* Frees it (C_Finalize, after every key made in it is gone), so that an
 * application that unloads the module after C_Finalize leaks nothing. */
void ukey_ossl_release(void);

#endif
