/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Sessions and login state through the module (PKCS#11 2.40 section 5.6
 * and the session state table): RO/RW sessions, user and SO login on all
 * sessions of a token, the refusals the spec names, C_CloseSession /
 * C_CloseAllSessions, C_InitPIN and C_SetPIN (logged in or not, user or
 * SO, and what each refuses before the device). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>

#include <cmocka.h>

#include "testlib.h"

static CK_FUNCTION_LIST *p11;
static struct ukt_token tok; /* shared: tests that leave no persistent change */
static struct ukt_token own; /* one per test that changes PINs or counters */
static const struct ukt_token *cur;
static CK_SLOT_ID slot;

static void use_token(const struct ukt_token *t)
{
	assert_int_equal(ukt_vkey_use(t), 0);
	cur = t;
}

static int group_setup(void **state)
{
	(void)state;
	return ukt_vkey_create("rsa", &tok) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ukt_vkey_destroy(&tok);
	return 0;
}

/* Initialises and finds the token's slot; no session stays open. */
static int start(const struct ukt_token *t)
{
	CK_SESSION_HANDLE s;

	use_token(t);
	if (ukt_open(p11, t, false, false, &slot, &s) != CKR_OK)
		return -1;
	return p11->C_CloseSession(s) == CKR_OK ? 0 : -1;
}

static int shared_setup(void **state)
{
	(void)state;
	return start(&tok);
}

static int shared_teardown(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	return 0;
}

static int own_setup(void **state)
{
	(void)state;
	if (ukt_vkey_create("rsa", &own) != 0)
		return -1;
	return start(&own);
}

static int own_teardown(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	ukt_vkey_destroy(&own);
	return 0;
}

static CK_SESSION_HANDLE open_session(bool rw)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;

	assert_int_equal(p11->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0),
					    NULL, NULL, &s),
			 CKR_OK);
	assert_true(s != CK_INVALID_HANDLE);
	return s;
}

static CK_STATE state_of(CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;

	assert_int_equal(p11->C_GetSessionInfo(s, &si), CKR_OK);
	return si.state;
}

static CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin)
{
	return p11->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
}

static void test_open_session_without_serial_flag_is_parallel_not_supported(void **state)
{
	CK_SESSION_HANDLE s;

	(void)state;
	assert_int_equal(p11->C_OpenSession(slot, 0, NULL, NULL, &s),
			 CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	assert_int_equal(p11->C_OpenSession(slot, CKF_RW_SESSION, NULL, NULL, &s),
			 CKR_SESSION_PARALLEL_NOT_SUPPORTED);
}

static void test_ro_and_rw_sessions_start_public(void **state)
{
	CK_SESSION_INFO si;
	CK_SESSION_HANDLE ro = open_session(false), rw = open_session(true);

	(void)state;
	assert_true(ro != rw);
	assert_int_equal(p11->C_GetSessionInfo(ro, &si), CKR_OK);
	assert_int_equal(si.slotID, slot);
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
	assert_int_equal(si.flags, CKF_SERIAL_SESSION);
	assert_int_equal(p11->C_GetSessionInfo(rw, &si), CKR_OK);
	assert_int_equal(si.slotID, slot);
	assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
	assert_int_equal(si.flags, CKF_SERIAL_SESSION | CKF_RW_SESSION);
}

static void test_user_login_applies_to_all_sessions_of_the_token(void **state)
{
	CK_SESSION_HANDLE ro = open_session(false), rw = open_session(true), later;

	(void)state;
	assert_int_equal(login(ro, CKU_USER, cur->user_pin), CKR_OK);
	assert_int_equal(state_of(ro), CKS_RO_USER_FUNCTIONS);
	assert_int_equal(state_of(rw), CKS_RW_USER_FUNCTIONS);
	later = open_session(true);
	assert_int_equal(state_of(later), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(state_of(ro), CKS_RO_PUBLIC_SESSION);
	assert_int_equal(state_of(rw), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(state_of(later), CKS_RW_PUBLIC_SESSION);
}

static void test_so_login_gives_rw_so_functions(void **state)
{
	CK_SESSION_HANDLE rw = open_session(true), later;

	(void)state;
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_OK);
	assert_int_equal(state_of(rw), CKS_RW_SO_FUNCTIONS);
	later = open_session(true);
	assert_int_equal(state_of(later), CKS_RW_SO_FUNCTIONS);
	assert_int_equal(p11->C_Logout(later), CKR_OK);
	assert_int_equal(state_of(rw), CKS_RW_PUBLIC_SESSION);
}

static void test_so_login_with_ro_session_open_is_read_only_exists(void **state)
{
	CK_SESSION_HANDLE rw = open_session(true), ro = open_session(false);

	(void)state;
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_SESSION_READ_ONLY_EXISTS);
	assert_int_equal(state_of(rw), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(p11->C_CloseSession(ro), CKR_OK);
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_OK);
}

static void test_ro_session_while_so_logged_in_is_read_write_so_exists(void **state)
{
	CK_SESSION_HANDLE rw = open_session(true), ro = CK_INVALID_HANDLE;

	(void)state;
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_OK);
	assert_int_equal(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ro),
			 CKR_SESSION_READ_WRITE_SO_EXISTS);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	ro = open_session(false);
	assert_int_equal(state_of(ro), CKS_RO_PUBLIC_SESSION);
}

static void test_login_twice_is_user_already_logged_in(void **state)
{
	CK_SESSION_HANDLE a = open_session(false), b = open_session(false);

	(void)state;
	assert_int_equal(login(a, CKU_USER, cur->user_pin), CKR_OK);
	assert_int_equal(login(a, CKU_USER, cur->user_pin), CKR_USER_ALREADY_LOGGED_IN);
	/* login state belongs to the token, not to the session */
	assert_int_equal(login(b, CKU_USER, cur->user_pin), CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(state_of(b), CKS_RO_USER_FUNCTIONS);
}

static void test_other_user_type_while_logged_in_is_another_already_logged_in(void **state)
{
	CK_SESSION_HANDLE rw = open_session(true);

	(void)state;
	assert_int_equal(login(rw, CKU_USER, cur->user_pin), CKR_OK);
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	assert_int_equal(state_of(rw), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_OK);
	assert_int_equal(login(rw, CKU_USER, cur->user_pin), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	assert_int_equal(state_of(rw), CKS_RW_SO_FUNCTIONS);
}

static void test_login_invalid_user_type_is_user_type_invalid(void **state)
{
	CK_SESSION_HANDLE s = open_session(false);

	(void)state;
	assert_int_equal(login(s, 7, cur->user_pin), CKR_USER_TYPE_INVALID);
	assert_int_equal(state_of(s), CKS_RO_PUBLIC_SESSION);
}

static void test_wrong_pin_is_pin_incorrect_then_right_pin_works(void **state)
{
	CK_SESSION_HANDLE s = open_session(false);

	(void)state;
	assert_int_equal(login(s, CKU_USER, "wrong-pin"), CKR_PIN_INCORRECT);
	assert_int_equal(state_of(s), CKS_RO_PUBLIC_SESSION);
	assert_int_equal(login(s, CKU_USER, cur->user_pin), CKR_OK);
	assert_int_equal(state_of(s), CKS_RO_USER_FUNCTIONS);
}

static void test_logout_when_not_logged_in_is_user_not_logged_in(void **state)
{
	CK_SESSION_HANDLE s = open_session(false);

	(void)state;
	assert_int_equal(p11->C_Logout(s), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(login(s, CKU_USER, cur->user_pin), CKR_OK);
	assert_int_equal(p11->C_Logout(s), CKR_OK);
	assert_int_equal(p11->C_Logout(s), CKR_USER_NOT_LOGGED_IN);
}

static void test_closing_the_last_session_logs_out(void **state)
{
	CK_SESSION_HANDLE a = open_session(false), b = open_session(true), c;

	(void)state;
	assert_int_equal(login(a, CKU_USER, cur->user_pin), CKR_OK);
	assert_int_equal(p11->C_CloseSession(a), CKR_OK);
	/* not the last one: still logged in */
	assert_int_equal(state_of(b), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(p11->C_CloseSession(b), CKR_OK);
	c = open_session(false);
	assert_int_equal(state_of(c), CKS_RO_PUBLIC_SESSION);
	assert_int_equal(p11->C_Logout(c), CKR_USER_NOT_LOGGED_IN);
}

static void test_close_all_sessions_invalidates_handles_and_logs_out(void **state)
{
	CK_SESSION_HANDLE s[3], n;
	CK_SESSION_INFO si;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		s[i] = open_session(i != 0);
	assert_int_equal(login(s[0], CKU_USER, cur->user_pin), CKR_OK);
	assert_int_equal(p11->C_CloseAllSessions(slot), CKR_OK);
	for (i = 0; i < 3; i++)
		assert_int_equal(p11->C_GetSessionInfo(s[i], &si), CKR_SESSION_HANDLE_INVALID);
	n = open_session(false);
	for (i = 0; i < 3; i++)
		assert_true(n != s[i]); /* handles are not reused at once */
	assert_int_equal(state_of(n), CKS_RO_PUBLIC_SESSION);
	assert_int_equal(p11->C_CloseAllSessions(slot + 1000), CKR_SLOT_ID_INVALID);
}

static void test_invalid_or_closed_session_handle_is_handle_invalid(void **state)
{
	CK_SESSION_HANDLE s = open_session(false);
	CK_SESSION_INFO si;

	(void)state;
	assert_int_equal(p11->C_GetSessionInfo(CK_INVALID_HANDLE, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(p11->C_GetSessionInfo(s + 0x10000, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
	assert_int_equal(p11->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(p11->C_CloseSession(s), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(login(s, CKU_USER, cur->user_pin), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(p11->C_Logout(s), CKR_SESSION_HANDLE_INVALID);
}

static void test_init_pin_as_so_sets_a_new_user_pin(void **state)
{
	static const char newpin[] = "24680246";
	CK_SESSION_HANDLE rw = open_session(true);

	(void)state;
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_OK);
	assert_int_equal(p11->C_InitPIN(rw, (CK_UTF8CHAR_PTR)newpin, strlen(newpin)), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(login(rw, CKU_USER, cur->user_pin), CKR_PIN_INCORRECT);
	assert_int_equal(login(rw, CKU_USER, newpin), CKR_OK);
	assert_int_equal(state_of(rw), CKS_RW_USER_FUNCTIONS);
}

/* The "new" PIN equals the current one, so a module that wrongly accepts
 * leaves the shared token usable. */
static void test_init_pin_when_not_so_is_user_not_logged_in(void **state)
{
	const char *pin = cur->user_pin;
	CK_SESSION_HANDLE rw = open_session(true);

	(void)state;
	assert_int_equal(p11->C_InitPIN(rw, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(login(rw, CKU_USER, pin), CKR_OK);
	assert_int_equal(p11->C_InitPIN(rw, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_USER_NOT_LOGGED_IN);
}

static CK_RV set_pin(CK_SESSION_HANDLE s, const char *old, const char *new)
{
	return p11->C_SetPIN(s, (CK_UTF8CHAR_PTR)old, strlen(old), (CK_UTF8CHAR_PTR) new, strlen(new));
}

static void test_set_pin_user_changes_own_pin(void **state)
{
	static const char newpin[] = "13571357";
	CK_SESSION_HANDLE rw = open_session(true);

	(void)state;
	assert_int_equal(login(rw, CKU_USER, cur->user_pin), CKR_OK);
	assert_int_equal(set_pin(rw, cur->user_pin, newpin), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(login(rw, CKU_USER, cur->user_pin), CKR_PIN_INCORRECT);
	assert_int_equal(login(rw, CKU_USER, newpin), CKR_OK);
	/* the SO PIN is untouched */
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_OK);
}

static void test_set_pin_wrong_old_pin_is_pin_incorrect(void **state)
{
	CK_SESSION_HANDLE rw = open_session(true);

	(void)state;
	assert_int_equal(login(rw, CKU_USER, cur->user_pin), CKR_OK);
	assert_int_equal(set_pin(rw, "99999999", "11112222"), CKR_PIN_INCORRECT);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(login(rw, CKU_USER, "11112222"), CKR_PIN_INCORRECT);
	assert_int_equal(login(rw, CKU_USER, cur->user_pin), CKR_OK);
}

static void test_set_pin_in_ro_session_is_session_read_only(void **state)
{
	CK_SESSION_HANDLE ro = open_session(false);

	(void)state;
	assert_int_equal(set_pin(ro, cur->user_pin, cur->user_pin), CKR_SESSION_READ_ONLY);
	assert_int_equal(login(ro, CKU_USER, cur->user_pin), CKR_OK);
	assert_int_equal(set_pin(ro, cur->user_pin, cur->user_pin), CKR_SESSION_READ_ONLY);
}

static void test_null_pointers_are_arguments_bad(void **state)
{
	CK_SESSION_HANDLE rw = open_session(true);
	CK_TOKEN_INFO ti;
	const char *pin = cur->user_pin;
	CK_ULONG plen = strlen(pin);

	(void)state;
	assert_int_equal(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, NULL),
			 CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_GetSessionInfo(rw, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	/* a NULL PIN is legal only with a protected authentication path */
	if (!(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH))
		assert_int_equal(p11->C_Login(rw, CKU_USER, NULL, plen), CKR_ARGUMENTS_BAD);
	assert_int_equal(login(rw, CKU_USER, pin), CKR_OK);
	if (!(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH)) {
		assert_int_equal(p11->C_SetPIN(rw, NULL, plen, (CK_UTF8CHAR_PTR)pin, plen),
				 CKR_ARGUMENTS_BAD);
		assert_int_equal(p11->C_SetPIN(rw, (CK_UTF8CHAR_PTR)pin, plen, NULL, plen),
				 CKR_ARGUMENTS_BAD);
	}
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_OK);
	if (!(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH))
		assert_int_equal(p11->C_InitPIN(rw, NULL, plen), CKR_ARGUMENTS_BAD);
	/* nothing above changed the PIN */
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(login(rw, CKU_USER, pin), CKR_OK);
}

/* A missing, empty or too short PIN in a PIN change is refused by the
 * module: on a real token it would cost a try (SKF_ChangePIN("") does). */
static void test_empty_or_missing_pins_never_reach_the_device(void **state)
{
	CK_SESSION_HANDLE rw = open_session(true);
	CK_TOKEN_INFO ti;
	const char *pin = cur->user_pin;
	CK_ULONG plen = strlen(pin);

	(void)state;
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_int_equal(login(rw, CKU_USER, pin), CKR_OK);
	assert_int_equal(p11->C_SetPIN(rw, NULL, 0, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_SetPIN(rw, (CK_UTF8CHAR_PTR)"", 0, (CK_UTF8CHAR_PTR)pin, plen), CKR_PIN_LEN_RANGE);
	assert_int_equal(p11->C_SetPIN(rw, (CK_UTF8CHAR_PTR)pin, plen, (CK_UTF8CHAR_PTR)"", 0), CKR_PIN_LEN_RANGE);
	if (ti.ulMinPinLen > 1)
		assert_int_equal(p11->C_SetPIN(rw, (CK_UTF8CHAR_PTR)pin, plen, (CK_UTF8CHAR_PTR)"1", 1),
				 CKR_PIN_LEN_RANGE);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_OK);
	assert_int_equal(p11->C_InitPIN(rw, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_InitPIN(rw, (CK_UTF8CHAR_PTR)"", 0), CKR_PIN_LEN_RANGE);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	/* no try was used: a counting token (the SKF emulator) would say so */
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_int_equal(ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED), 0);
	assert_int_equal(login(rw, CKU_USER, pin), CKR_OK);
}

/* "C_SetPIN modifies the PIN of the user that is currently logged in, or
 * the CKU_USER PIN if the session is not logged in" (PKCS#11 2.40 5.6). */
static void test_set_pin_when_not_logged_in_changes_the_user_pin(void **state)
{
	static const char newpin[] = "97531975";
	CK_SESSION_HANDLE rw = open_session(true);

	(void)state;
	assert_int_equal(state_of(rw), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(set_pin(rw, cur->user_pin, newpin), CKR_OK);
	assert_int_equal(state_of(rw), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(login(rw, CKU_USER, newpin), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	/* ... and not the SO PIN */
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_OK);
}

static void test_set_pin_as_so_changes_the_so_pin(void **state)
{
	static const char newso[] = "86428642";
	CK_SESSION_HANDLE rw = open_session(true);

	(void)state;
	assert_int_equal(login(rw, CKU_SO, cur->so_pin), CKR_OK);
	assert_int_equal(set_pin(rw, cur->so_pin, newso), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	assert_int_equal(login(rw, CKU_SO, newso), CKR_OK);
	assert_int_equal(p11->C_Logout(rw), CKR_OK);
	/* the user PIN is untouched */
	assert_int_equal(login(rw, CKU_USER, cur->user_pin), CKR_OK);
}

/* The other refusals PKCS#11 names for C_InitPIN and C_SetPIN, each
 * decided before the device: a read-only session, a stale handle, and a
 * PIN longer than the token's ulMaxPinLen; none costs a try. */
static void test_pin_change_refusals_cost_no_try(void **state)
{
	CK_SESSION_HANDLE ro = open_session(false), rw = open_session(true), gone = open_session(true);
	CK_TOKEN_INFO ti;
	const char *pin = cur->user_pin;
	CK_ULONG plen = strlen(pin);
	char longpin[300];

	(void)state;
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_int_equal(p11->C_CloseSession(gone), CKR_OK);
	assert_int_equal(p11->C_InitPIN(ro, (CK_UTF8CHAR_PTR)pin, plen), CKR_SESSION_READ_ONLY);
	assert_int_equal(p11->C_InitPIN(gone, (CK_UTF8CHAR_PTR)pin, plen), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(set_pin(gone, pin, pin), CKR_SESSION_HANDLE_INVALID);
	if (ti.ulMaxPinLen > 0 && ti.ulMaxPinLen < sizeof(longpin)) {
		memset(longpin, '7', ti.ulMaxPinLen + 1);
		longpin[ti.ulMaxPinLen + 1] = '\0';
		assert_int_equal(set_pin(rw, longpin, pin), CKR_PIN_LEN_RANGE);
		assert_int_equal(set_pin(rw, pin, longpin), CKR_PIN_LEN_RANGE);
	}
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_int_equal(ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED), 0);
	assert_int_equal(login(rw, CKU_USER, pin), CKR_OK);
}

#define SHARED(f) cmocka_unit_test_setup_teardown(f, shared_setup, shared_teardown)
#define OWN(f) cmocka_unit_test_setup_teardown(f, own_setup, own_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SHARED(test_open_session_without_serial_flag_is_parallel_not_supported),
		SHARED(test_ro_and_rw_sessions_start_public),
		SHARED(test_user_login_applies_to_all_sessions_of_the_token),
		SHARED(test_so_login_gives_rw_so_functions),
		SHARED(test_so_login_with_ro_session_open_is_read_only_exists),
		SHARED(test_ro_session_while_so_logged_in_is_read_write_so_exists),
		SHARED(test_login_twice_is_user_already_logged_in),
		SHARED(test_other_user_type_while_logged_in_is_another_already_logged_in),
		SHARED(test_login_invalid_user_type_is_user_type_invalid),
		OWN(test_wrong_pin_is_pin_incorrect_then_right_pin_works),
		SHARED(test_logout_when_not_logged_in_is_user_not_logged_in),
		SHARED(test_closing_the_last_session_logs_out),
		SHARED(test_close_all_sessions_invalidates_handles_and_logs_out),
		SHARED(test_invalid_or_closed_session_handle_is_handle_invalid),
		OWN(test_init_pin_as_so_sets_a_new_user_pin),
		SHARED(test_init_pin_when_not_so_is_user_not_logged_in),
		OWN(test_empty_or_missing_pins_never_reach_the_device),
		OWN(test_set_pin_user_changes_own_pin),
		OWN(test_set_pin_wrong_old_pin_is_pin_incorrect),
		SHARED(test_set_pin_in_ro_session_is_session_read_only),
		OWN(test_null_pointers_are_arguments_bad),
		OWN(test_set_pin_when_not_logged_in_changes_the_user_pin),
		OWN(test_set_pin_as_so_changes_the_so_pin),
		SHARED(test_pin_change_refusals_cost_no_try),
	};
	void *handle;
	int rc;

	p11 = ukt_module_load(&handle);
	if (p11 == NULL)
		return 1;
	rc = cmocka_run_group_tests_name("sessions", tests, group_setup, group_teardown);
	dlclose(handle);
	return rc;
}
