/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor interface "Vendor ukey-pkcs11" (ukey-pkcs11.h): entry points
 * with the same shim as the standard ones, and their function list, which
 * entry.c offers through C_GetInterface. */
#include "config.h"

#include "api/shim.h"
#include "api/vendor.h"
#include "token/vendor.h"

static CK_RV ukey_V_GetModuleStatus(UKEY_MODULE_STATUS *status)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(status != NULL);
	rv = ukey_vendor_module_status(status);
out:
	UKEY_LEAVE(rv);
	return rv;
}

static CK_RV ukey_V_GetBackendStatus(CK_ULONG index, UKEY_BACKEND_STATUS *status)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(status != NULL);
	rv = ukey_vendor_backend_status(index, status);
out:
	UKEY_LEAVE(rv);
	return rv;
}

static CK_RV ukey_V_GetPinTries(CK_SLOT_ID slot, CK_USER_TYPE user, UKEY_PIN_TRIES *tries)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(tries != NULL);
	rv = ukey_vendor_pin_tries(slot, user, tries);
out:
	UKEY_LEAVE(rv);
	return rv;
}

UKEY_VENDOR_FUNCTION_LIST ukey_vendor_function_list = {
	.version = { UKEY_VENDOR_VERSION_MAJOR, UKEY_VENDOR_VERSION_MINOR },
	.UKEY_GetModuleStatus = ukey_V_GetModuleStatus,
	.UKEY_GetBackendStatus = ukey_V_GetBackendStatus,
	.UKEY_GetPinTries = ukey_V_GetPinTries,
};
