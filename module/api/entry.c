/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The exported entry points: the function table generated from
 * api/functions.h, C_GetFunctionList, and PKCS#11 3.0 C_GetInterfaceList /
 * C_GetInterface offering the same 2.40 table and the vendor interface
 * (ukey-pkcs11.h; p11-kit's headers are 2.40, so the 3.0 interface type is
 * the header's UKEY_CK_INTERFACE). */
#include "config.h"

#include <string.h>

#include "api/shim.h"
#include "api/vendor.h"

#define UKEY_EXPORT __attribute__((visibility("default")))

#define UKEY_STUB(name, params)                               \
	static CK_RV ukey_C_##name params                     \
	{                                                     \
		CK_RV rv = ukey_module_check();               \
		return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED; \
	}
#define UKEY_SKIP(name, params)
UKEY_PKCS11_FUNCTIONS(UKEY_SKIP, UKEY_STUB)
#undef UKEY_STUB
#undef UKEY_SKIP

static CK_FUNCTION_LIST function_list = {
	.version = { CRYPTOKI_VERSION_MAJOR, CRYPTOKI_VERSION_MINOR },
#define UKEY_ENTRY(name, params) .C_##name = ukey_C_##name,
	UKEY_PKCS11_FUNCTIONS(UKEY_ENTRY, UKEY_ENTRY)
#undef UKEY_ENTRY
};

CK_RV ukey_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (!list)
		return CKR_ARGUMENTS_BAD;
	*list = &function_list;
	return CKR_OK;
}

UKEY_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	return ukey_C_GetFunctionList(list);
}

/* PKCS#11 3.0 interface discovery: the standard table first (the default),
 * then the vendor interface. */
static UKEY_CK_INTERFACE interfaces[] = {
	{ (CK_UTF8CHAR *)"PKCS 11", &function_list, 0 },
	{ (CK_UTF8CHAR *)UKEY_VENDOR_INTERFACE, &ukey_vendor_function_list, 0 },
};

UKEY_EXPORT CK_RV C_GetInterfaceList(UKEY_CK_INTERFACE *list, CK_ULONG_PTR count);
UKEY_EXPORT CK_RV C_GetInterfaceList(UKEY_CK_INTERFACE *list, CK_ULONG_PTR count)
{
	const CK_ULONG n = sizeof(interfaces) / sizeof(interfaces[0]);
	if (!count)
		return CKR_ARGUMENTS_BAD;
	if (!list) {
		*count = n;
		return CKR_OK;
	}
	if (*count < n) {
		*count = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(list, interfaces, sizeof(interfaces));
	*count = n;
	return CKR_OK;
}

UKEY_EXPORT CK_RV C_GetInterface(CK_CHAR *name, CK_VERSION *version, UKEY_CK_INTERFACE **iface,
				 CK_FLAGS flags);
UKEY_EXPORT CK_RV C_GetInterface(CK_CHAR *name, CK_VERSION *version, UKEY_CK_INTERFACE **iface,
				 CK_FLAGS flags)
{
	const UKEY_CK_INTERFACE *found = &interfaces[0];
	const CK_VERSION *have = &function_list.version;
	if (!iface)
		return CKR_ARGUMENTS_BAD;
	if (name && strcmp((const char *)name, UKEY_VENDOR_INTERFACE) == 0) {
		found = &interfaces[1];
		have = &ukey_vendor_function_list.version;
	} else if (name && strcmp((const char *)name, "PKCS 11") != 0) {
		return CKR_ARGUMENTS_BAD;
	}
	/* Only the 2.40 table is offered: a caller asking for 3.x gets nothing.
	 * The vendor table only grows within a major version (members are
	 * added at its end), so asking for 1.0 gets the 1.1 table. */
	if (version && (version->major != have->major ||
			(have == &function_list.version ? version->minor != have->minor : version->minor > have->minor)))
		return CKR_ARGUMENTS_BAD;
	if (flags & ~found->flags)
		return CKR_ARGUMENTS_BAD;
	*iface = (UKEY_CK_INTERFACE *)found;
	return CKR_OK;
}
