/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* General-purpose functions: C_Initialize, C_Finalize, C_GetInfo.
 * C_Initialize and C_Finalize skip UKEY_ENTER: the first must work before
 * initialisation, and token/module.c owns the init-args checks (reserved
 * pointer, callbacks without CKF_OS_LOCKING_OK) and the already/not
 * initialised states, fork included. */
#include "config.h"

#include "api/shim.h"

CK_RV ukey_C_Initialize(CK_VOID_PTR init_args)
{
	CK_RV rv;
	UKEY_MARK();
	rv = ukey_module_initialize((const CK_C_INITIALIZE_ARGS *)init_args);
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_Finalize(CK_VOID_PTR reserved)
{
	CK_RV rv;
	UKEY_MARK();
	UKEY_CHECK_ARG(reserved == NULL);
	rv = ukey_module_finalize();
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_GetInfo(CK_INFO_PTR info)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(info != NULL);
	rv = ukey_module_info(info);
out:
	UKEY_LEAVE(rv);
	return rv;
}
