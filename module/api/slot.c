/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Slot and token management: slot lists, slot and token information,
 * mechanisms, and slot events. Handles and sizing live in token/slot.c. */
#include "config.h"

#include "api/shim.h"

CK_RV ukey_C_GetSlotList(CK_BBOOL token_present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(count != NULL);
	rv = ukey_slot_list(token_present != CK_FALSE, list, count);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(info != NULL);
	rv = ukey_slot_info(slot, info);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(info != NULL);
	rv = ukey_slot_token_info(slot, info);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(count != NULL);
	rv = ukey_slot_mechanisms(slot, list, count);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(info != NULL);
	rv = ukey_slot_mechanism_info(slot, type, info);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(slot != NULL);
	UKEY_CHECK_ARG(reserved == NULL);
	rv = ukey_slot_wait_event(flags, slot);
out:
	UKEY_LEAVE(rv);
	return rv;
}
