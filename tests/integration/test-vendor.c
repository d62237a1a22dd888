/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* The vendor interface "Vendor ukey-pkcs11" (module/include/ukey-pkcs11.h)
 * on both backends: found through C_GetInterfaceList / C_GetInterface;
 * UKEY_GetPinTries gives the exact user and SO counters where the backend
 * knows them (skf: 10 of 10, one less after a wrong PIN, the flags with
 * them) and CK_UNAVAILABLE_INFORMATION with the flags where it does not
 * (SoftHSM); UKEY_GetModuleStatus / UKEY_GetBackendStatus tell a working
 * configuration from a missing file, a broken file and a backend library
 * that does not load, with the reason, also when the module's log is off;
 * every function checks its arguments. */

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"
#include "ukey-pkcs11.h"

typedef CK_RV (*get_interface_fn)(CK_UTF8CHAR *, CK_VERSION *, UKEY_CK_INTERFACE **, CK_FLAGS);
typedef CK_RV (*get_interface_list_fn)(UKEY_CK_INTERFACE *, CK_ULONG *);

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok;
static const UKEY_VENDOR_FUNCTION_LIST *v;

static const UKEY_VENDOR_FUNCTION_LIST *vendor(void)
{
	get_interface_fn gi;
	UKEY_CK_INTERFACE *iface = NULL;

	*(void **)&gi = dlsym(dl, "C_GetInterface");
	if (gi == NULL || gi((CK_UTF8CHAR *)UKEY_VENDOR_INTERFACE, NULL, &iface, 0) != CKR_OK || iface == NULL)
		return NULL;
	return iface->pFunctionList;
}

static int group_setup(void **state)
{
	(void)state;
	if (ukt_vkey_create("rsa", &tok) != 0)
		return -1;
	v = vendor();
	return v != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ukt_vkey_destroy(&tok);
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	unsetenv("UKEY_LOG");
	return ukt_vkey_use(&tok);
}

static int test_teardown(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	return 0;
}

static void test_interface_is_listed_and_versioned(void **state)
{
	get_interface_list_fn gl;
	get_interface_fn gi;
	UKEY_CK_INTERFACE list[4], *iface = NULL;
	CK_VERSION one = { 1, 0 }, two = { 2, 0 };
	CK_ULONG n = 0, i;
	int seen = 0;

	(void)state;
	*(void **)&gl = dlsym(dl, "C_GetInterfaceList");
	*(void **)&gi = dlsym(dl, "C_GetInterface");
	assert_non_null(gl);
	assert_non_null(gi);
	assert_int_equal(gl(NULL, &n), CKR_OK);
	assert_int_equal(n, 2);
	n = 1;
	assert_int_equal(gl(list, &n), CKR_BUFFER_TOO_SMALL);
	n = 4;
	assert_int_equal(gl(list, &n), CKR_OK);
	for (i = 0; i < n; i++)
		seen += strcmp((const char *)list[i].pInterfaceName, UKEY_VENDOR_INTERFACE) == 0 &&
			list[i].pFunctionList == v;
	assert_int_equal(seen, 1);
	assert_int_equal(gi((CK_UTF8CHAR *)UKEY_VENDOR_INTERFACE, &one, &iface, 0), CKR_OK);
	assert_ptr_equal(iface->pFunctionList, v);
	assert_int_equal(v->version.major, UKEY_VENDOR_VERSION_MAJOR);
	assert_int_equal(v->version.minor, UKEY_VENDOR_VERSION_MINOR);
	assert_int_equal(gi((CK_UTF8CHAR *)UKEY_VENDOR_INTERFACE, &two, &iface, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(gi((CK_UTF8CHAR *)"Vendor nobody", NULL, &iface, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(gi((CK_UTF8CHAR *)UKEY_VENDOR_INTERFACE, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
	/* No name: the standard table, as before. */
	assert_int_equal(gi(NULL, NULL, &iface, 0), CKR_OK);
	assert_string_equal((const char *)iface->pInterfaceName, "PKCS 11");
}

static void test_functions_need_initialize(void **state)
{
	UKEY_MODULE_STATUS ms;
	UKEY_BACKEND_STATUS bs;
	UKEY_PIN_TRIES t;

	(void)state;
	assert_int_equal(v->UKEY_GetModuleStatus(&ms), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(v->UKEY_GetBackendStatus(0, &bs), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(v->UKEY_GetPinTries(1, CKU_USER, &t), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_arguments_are_checked(void **state)
{
	CK_SLOT_ID slot;
	UKEY_BACKEND_STATUS bs;
	UKEY_PIN_TRIES t;

	(void)state;
	assert_int_equal(ukt_slot_of(p11, &tok, &slot), CKR_OK);
	assert_int_equal(v->UKEY_GetModuleStatus(NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(v->UKEY_GetBackendStatus(0, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(v->UKEY_GetBackendStatus(1, &bs), CKR_ARGUMENTS_BAD);
	assert_int_equal(v->UKEY_GetPinTries(slot, CKU_USER, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(v->UKEY_GetPinTries(slot, CKU_CONTEXT_SPECIFIC, &t), CKR_USER_TYPE_INVALID);
	assert_int_equal(v->UKEY_GetPinTries(slot + 4242, CKU_USER, &t), CKR_SLOT_ID_INVALID);
}

static void test_status_of_a_working_configuration(void **state)
{
	UKEY_MODULE_STATUS ms;
	UKEY_BACKEND_STATUS bs;

	(void)state;
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(v->UKEY_GetModuleStatus(&ms), CKR_OK);
	assert_string_equal((const char *)ms.configPath, tok.conf);
	assert_string_equal((const char *)ms.configError, "");
	assert_int_equal(ms.ulBackends, 1);
	assert_int_equal(ms.ulBackendsLoaded, 1);
	assert_int_equal(v->UKEY_GetBackendStatus(0, &bs), CKR_OK);
	assert_string_equal((const char *)bs.driver, ukt_backend());
	assert_int_equal(bs.loadResult, CKR_OK);
	assert_string_equal((const char *)bs.reason, "");
	assert_int_equal(bs.ulDevices, 1);
	assert_non_null(strstr((const char *)bs.library, ukt_is_skf() ? "skf" : "softhsm"));
}

static void tries(CK_USER_TYPE who, UKEY_PIN_TRIES *t)
{
	CK_SLOT_ID slot;

	assert_int_equal(ukt_slot_of(p11, &tok, &slot), CKR_OK);
	memset(t, 0x5a, sizeof(*t));
	assert_int_equal(v->UKEY_GetPinTries(slot, who, t), CKR_OK);
}

static void test_pin_tries_exact_where_known(void **state)
{
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	UKEY_PIN_TRIES t;

	(void)state;
	assert_int_equal(ukt_open(p11, &tok, false, false, &slot, &s), CKR_OK);
	tries(CKU_USER, &t);
	assert_int_equal(t.flags, 0);
	if (ukt_is_skf()) {
		assert_int_equal(t.ulTriesLeft, 10);
		assert_int_equal(t.ulMaxTries, 10);
	} else {
		assert_int_equal(t.ulTriesLeft, CK_UNAVAILABLE_INFORMATION);
		assert_int_equal(t.ulMaxTries, CK_UNAVAILABLE_INFORMATION);
	}
	tries(CKU_SO, &t);
	assert_int_equal(t.flags, 0);
	assert_int_equal(t.ulTriesLeft, ukt_is_skf() ? 10 : CK_UNAVAILABLE_INFORMATION);

	/* One wrong PIN: exactly one try less, and the flag that says so. */
	assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR *)"000000", 6), CKR_PIN_INCORRECT);
	tries(CKU_USER, &t);
	assert_int_equal(t.flags, CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(t.ulTriesLeft, ukt_is_skf() ? 9 : CK_UNAVAILABLE_INFORMATION);
	tries(CKU_SO, &t);
	assert_int_equal(t.flags, 0);
	assert_int_equal(t.ulTriesLeft, ukt_is_skf() ? 10 : CK_UNAVAILABLE_INFORMATION);

	/* The right PIN resets the counter. */
	assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR *)tok.user_pin, strlen(tok.user_pin)), CKR_OK);
	tries(CKU_USER, &t);
	assert_int_equal(t.flags, 0);
	assert_int_equal(t.ulTriesLeft, ukt_is_skf() ? 10 : CK_UNAVAILABLE_INFORMATION);
}

static void conf_text(const char *name, const char *text)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tok.dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	setenv("UKEY_PKCS11_CONF", path, 1);
}

/* What a consumer learns about a configuration that yields no slot; the
 * module's log is off, as `ukey` runs it, and the reason is still there. */
static void status_after_init(UKEY_MODULE_STATUS *ms)
{
	CK_ULONG n = 99;

	setenv("UKEY_LOG", "off", 1);
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(p11->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(v->UKEY_GetModuleStatus(ms), CKR_OK);
}

static void test_status_of_a_missing_file(void **state)
{
	char path[700];
	UKEY_MODULE_STATUS ms;

	(void)state;
	snprintf(path, sizeof(path), "%s/nowhere/ukey-pkcs11.conf", tok.dir);
	setenv("UKEY_PKCS11_CONF", path, 1);
	status_after_init(&ms);
	assert_string_equal((const char *)ms.configPath, path);
	assert_non_null(strstr((const char *)ms.configError, path));
	assert_non_null(strstr((const char *)ms.configError, "No such file"));
	assert_int_equal(ms.ulBackends, 0);
}

static void test_status_of_a_broken_file(void **state)
{
	UKEY_MODULE_STATUS ms;

	(void)state;
	conf_text("broken.conf", "[backend x]\ndriver = p11\n");
	status_after_init(&ms);
	assert_non_null(strstr((const char *)ms.configError, "[backend x] has no 'library'"));
	assert_int_equal(ms.ulBackends, 0);
}

static void test_status_of_a_library_that_does_not_load(void **state)
{
	UKEY_MODULE_STATUS ms;
	UKEY_BACKEND_STATUS bs;

	(void)state;
	conf_text("nolib.conf", "[backend vendor]\ndriver = skf\nlibrary = /nonexistent/libvendor_skf.so\n");
	status_after_init(&ms);
	assert_string_equal((const char *)ms.configError, "");
	assert_int_equal(ms.ulBackends, 1);
	assert_int_equal(ms.ulBackendsLoaded, 0);
	assert_int_equal(v->UKEY_GetBackendStatus(0, &bs), CKR_OK);
	assert_string_equal((const char *)bs.name, "vendor");
	assert_string_equal((const char *)bs.driver, "skf");
	assert_string_equal((const char *)bs.library, "/nonexistent/libvendor_skf.so");
	assert_int_not_equal(bs.loadResult, CKR_OK);
	assert_non_null(strstr((const char *)bs.reason, "/nonexistent/libvendor_skf.so"));
	/* The reason alone: the status names the file and the section. */
	assert_null(strstr((const char *)bs.reason, "[backend vendor]"));
	assert_int_equal(bs.ulDevices, 0);
}

static void test_status_of_an_unknown_driver(void **state)
{
	UKEY_MODULE_STATUS ms;
	UKEY_BACKEND_STATUS bs;

	(void)state;
	conf_text("driver.conf", "[backend x]\ndriver = pkcs15\nlibrary = /usr/lib/x.so\n");
	status_after_init(&ms);
	assert_int_equal(ms.ulBackendsLoaded, 0);
	assert_int_equal(v->UKEY_GetBackendStatus(0, &bs), CKR_OK);
	assert_non_null(strstr((const char *)bs.reason, "unknown driver 'pkcs15'"));
	assert_null(strstr((const char *)bs.reason, "[backend x]"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_interface_is_listed_and_versioned),
		T(test_functions_need_initialize),
		T(test_arguments_are_checked),
		T(test_status_of_a_working_configuration),
		T(test_pin_tries_exact_where_known),
		T(test_status_of_a_missing_file),
		T(test_status_of_a_broken_file),
		T(test_status_of_a_library_that_does_not_load),
		T(test_status_of_an_unknown_driver),
	};
	int rc;

	p11 = ukt_module_load(&dl);
	if (p11 == NULL)
		return 1;
	rc = cmocka_run_group_tests_name("vendor", tests, group_setup, group_teardown);
	dlclose(dl);
	return rc;
}
