/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Session management and login. Notify callbacks are accepted and never
 * called: no operation of ours runs long enough to need CKN_SURRENDER.
 * PINs pass straight through to token/login.c, which wipes its copies. */
#include "config.h"

#include "api/shim.h"

CK_RV ukey_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
			 CK_SESSION_HANDLE_PTR session)
{
	CK_RV rv;
	(void)app;
	(void)notify;
	UKEY_ENTER();
	UKEY_CHECK_ARG(session != NULL);
	/* PKCS#11 2.40 §5.6: a session without CKF_SERIAL_SESSION is legacy
	 * parallel mode, which has its own return code, not ARGUMENTS_BAD. */
	if (!(flags & CKF_SERIAL_SESSION)) {
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
		goto out;
	}
	rv = ukey_session_open(slot, flags, session);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_CloseSession(CK_SESSION_HANDLE session)
{
	CK_RV rv;
	UKEY_ENTER();
	rv = ukey_session_close(session);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_CloseAllSessions(CK_SLOT_ID slot)
{
	CK_RV rv;
	UKEY_ENTER();
	rv = ukey_session_close_all(slot);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_GetSessionInfo(CK_SESSION_HANDLE session, CK_SESSION_INFO_PTR info)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(info != NULL);
	rv = ukey_session_info(session, info);
out:
	UKEY_LEAVE(rv);
	return rv;
}

/* pin == NULL with pin_len == 0 is the protected authentication path
 * (PIN pad); token/ decides whether the token has one. */
CK_RV ukey_C_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(pin != NULL || pin_len == 0);
	if (user != CKU_SO && user != CKU_USER && user != CKU_CONTEXT_SPECIFIC) {
		rv = CKR_USER_TYPE_INVALID;
		goto out;
	}
	rv = ukey_login(session, user, pin, pin_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_Logout(CK_SESSION_HANDLE session)
{
	CK_RV rv;
	UKEY_ENTER();
	rv = ukey_logout(session);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_InitPIN(CK_SESSION_HANDLE session, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(pin != NULL || pin_len == 0);
	rv = ukey_init_pin(session, pin, pin_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_SetPIN(CK_SESSION_HANDLE session, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
		    CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(old_pin != NULL || old_len == 0);
	UKEY_CHECK_ARG(new_pin != NULL || new_len == 0);
	rv = ukey_set_pin(session, old_pin, old_len, new_pin, new_len);
out:
	UKEY_LEAVE(rv);
	return rv;
}
