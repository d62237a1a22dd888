/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The entry shim every api/ function follows, in this order:
 *   1. UKEY_ENTER: initialised in this process (fork check included);
 *   2. argument checks: CKR_ARGUMENTS_BAD, quietly;
 *   3. one call into token/ (which looks handles up under the table lock);
 *   4. one exit: UKEY_LEAVE logs the result at debug level.
 * api/ never includes drivers/ and holds no lock itself. */
#ifndef UKEY_API_SHIM_H
#define UKEY_API_SHIM_H

#include <openssl/err.h>
#include <p11-kit/pkcs11.h>

#include "api/functions.h"
#include "token/token.h"
#include "util/log.h"

#define UKEY_DECLARE_IMPL(name, params) CK_RV ukey_C_##name params;
#define UKEY_DECLARE_NONE(name, params)
UKEY_PKCS11_FUNCTIONS(UKEY_DECLARE_IMPL, UKEY_DECLARE_NONE)
#undef UKEY_DECLARE_IMPL
#undef UKEY_DECLARE_NONE

/* OpenSSL errors raised inside the module are the module's: they become a
 * CK_RV and must not stay on the host program's error queue (an OpenSSL
 * host would take them for its own). UKEY_MARK opens that scope and
 * UKEY_LEAVE closes it; every entry point runs UKEY_MARK first. */
#define UKEY_MARK() ERR_set_mark()

#define UKEY_ENTER()                                  \
	do {                                          \
		UKEY_MARK();                          \
		rv = ukey_module_check();             \
		if (rv != CKR_OK)                     \
			goto out;                     \
	} while (0)

#define UKEY_CHECK_ARG(cond)                          \
	do {                                          \
		if (!(cond)) {                        \
			rv = CKR_ARGUMENTS_BAD;       \
			goto out;                     \
		}                                     \
	} while (0)

/* api/template.c: the check every caller's template goes through.
 * UKEY_TMPL_SEARCH: a C_FindObjectsInit template (duplicates and sizes are
 * the search's business); UKEY_TMPL_NONNULL: a NULL template is bad even
 * when empty. NULL with a count, a NULL value with a length or an
 * "unavailable" length: CKR_ARGUMENTS_BAD / CKR_ATTRIBUTE_VALUE_INVALID;
 * in a write template also a wrong-sized CK_BBOOL or CK_ULONG value
 * (CKR_ATTRIBUTE_VALUE_INVALID) and an attribute given twice with
 * different values (CKR_TEMPLATE_INCONSISTENT). */
#define UKEY_TMPL_WRITE 0u
#define UKEY_TMPL_SEARCH 1u
#define UKEY_TMPL_NONNULL 2u
CK_RV ukey_api_template_check(const CK_ATTRIBUTE *t, CK_ULONG n, unsigned use);

#define UKEY_CHECK_TEMPLATE(t, n, use)                        \
	do {                                                  \
		rv = ukey_api_template_check((t), (n), (use)); \
		if (rv != CKR_OK)                             \
			goto out;                             \
	} while (0)

#define UKEY_LEAVE(rv)                                                      \
	do {                                                                \
		ERR_pop_to_mark();                                          \
		if ((rv) != CKR_OK)                                         \
			ukey_debug("-> 0x%08lx", (unsigned long)(rv));      \
	} while (0)

#endif
