/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The typed handle table (token/handles.c): monotonic numbers, typed
 * lookups, and no reuse after a handle is dropped. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "token/handles.h"

static void test_handles_are_monotonic_and_start_above_small_ids(void **state)
{
	int a, b;
	CK_ULONG h1 = ukey_handle_new_inlock(UKEY_HANDLE_SESSION, &a);
	CK_ULONG h2 = ukey_handle_new_inlock(UKEY_HANDLE_OBJECT, &b);
	assert_true(h1 >= 0x100);
	assert_true(h2 > h1);
	assert_ptr_equal(ukey_handle_get_inlock(h1, UKEY_HANDLE_SESSION), &a);
	assert_ptr_equal(ukey_handle_get_inlock(h2, UKEY_HANDLE_OBJECT), &b);
	ukey_handle_reset_inlock();
}

static void test_lookup_checks_the_kind(void **state)
{
	int a;
	CK_ULONG h = ukey_handle_new_inlock(UKEY_HANDLE_SESSION, &a);
	assert_null(ukey_handle_get_inlock(h, UKEY_HANDLE_OBJECT));
	assert_null(ukey_handle_get_inlock(0, UKEY_HANDLE_SESSION));
	assert_null(ukey_handle_get_inlock(h + 1000, UKEY_HANDLE_SESSION));
	ukey_handle_reset_inlock();
}

static void test_dropped_handle_is_never_reused(void **state)
{
	int objs[300];
	CK_ULONG hs[300];
	for (int i = 0; i < 300; i++)
		hs[i] = ukey_handle_new_inlock(UKEY_HANDLE_OBJECT, &objs[i]);
	for (int i = 0; i < 300; i += 2)
		ukey_handle_drop_inlock(hs[i]);
	for (int i = 0; i < 300; i++) {
		void *p = ukey_handle_get_inlock(hs[i], UKEY_HANDLE_OBJECT);
		if (i % 2)
			assert_ptr_equal(p, &objs[i]);
		else
			assert_null(p);
	}
	CK_ULONG fresh = ukey_handle_new_inlock(UKEY_HANDLE_OBJECT, &objs[0]);
	for (int i = 0; i < 300; i++)
		assert_true(fresh != hs[i]);
	/* Even across a reset (C_Finalize then C_Initialize). */
	ukey_handle_reset_inlock();
	CK_ULONG after = ukey_handle_new_inlock(UKEY_HANDLE_OBJECT, &objs[0]);
	assert_true(after > fresh);
	assert_null(ukey_handle_get_inlock(hs[1], UKEY_HANDLE_OBJECT));
	ukey_handle_reset_inlock();
}

static void test_rebind_keeps_the_number(void **state)
{
	int a, b;
	CK_ULONG h = ukey_handle_new_inlock(UKEY_HANDLE_OBJECT, &a);
	ukey_handle_rebind_inlock(h, &b);
	assert_ptr_equal(ukey_handle_get_inlock(h, UKEY_HANDLE_OBJECT), &b);
	ukey_handle_reset_inlock();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handles_are_monotonic_and_start_above_small_ids),
		cmocka_unit_test(test_lookup_checks_the_kind),
		cmocka_unit_test(test_dropped_handle_is_never_reused),
		cmocka_unit_test(test_rebind_keeps_the_number),
	};
	return cmocka_run_group_tests_name("handles", tests, NULL, NULL);
}
