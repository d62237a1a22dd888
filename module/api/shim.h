/* The entry shim every api/ function follows, in this order:
 *   1. UKEY_ENTER: initialised in this process (fork check included);
 *   2. argument checks: CKR_ARGUMENTS_BAD, quietly;
 *   3. one call into token/ (which looks handles up under the table lock);
 *   4. one exit: UKEY_LEAVE logs the result at debug level.
 * api/ never includes drivers/ and holds no lock itself. */
#ifndef UKEY_API_SHIM_H
#define UKEY_API_SHIM_H

#include <p11-kit/pkcs11.h>

#include "api/functions.h"
#include "token/token.h"
#include "util/log.h"

#define UKEY_DECLARE_IMPL(name, params) CK_RV ukey_C_##name params;
#define UKEY_DECLARE_NONE(name, params)
UKEY_PKCS11_FUNCTIONS(UKEY_DECLARE_IMPL, UKEY_DECLARE_NONE)
#undef UKEY_DECLARE_IMPL
#undef UKEY_DECLARE_NONE

#define UKEY_ENTER()                                  \
	do {                                          \
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

#define UKEY_LEAVE(rv)                                                      \
	do {                                                                \
		if ((rv) != CKR_OK)                                         \
			ukey_debug("-> 0x%08lx", (unsigned long)(rv));      \
	} while (0)

#endif
