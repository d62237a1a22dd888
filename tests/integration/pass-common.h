/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fixture test-secret.c and test-passthrough.c share: one virtual
 * U-KEY on ukt_backend() (RSA on p11, SM2 on skf) kept logged in by a base
 * session, and a fresh read-only session `s` for every test. */
#ifndef UKEY_TEST_PASS_COMMON_H
#define UKEY_TEST_PASS_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok;
static CK_SLOT_ID slot;
static CK_SESSION_HANDLE base, s;

static int pass_group_setup(void **state)
{
	(void)state;
	if (ukt_vkey_create(ukt_is_skf() ? "sm2" : "rsa", &tok) != 0 || !(p11 = ukt_module_load(&dl)))
		return -1;
	return ukt_open(p11, &tok, false, true, &slot, &base) == CKR_OK ? 0 : -1;
}

static int pass_group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	ukt_vkey_destroy(&tok);
	return 0;
}

static int pass_test_setup(void **state)
{
	(void)state;
	return p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK ? 0 : -1;
}

static int pass_test_teardown(void **state)
{
	(void)state;
	p11->C_CloseSession(s);
	return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pass_test_setup, pass_test_teardown)

#endif
