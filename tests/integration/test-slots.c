/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Slot and token discovery through the module: C_GetSlotList sizing and
 * contents, slot and token info (the medium number as serialNumber), PIN
 * counter flags, the mechanism list and info, C_WaitForSlotEvent. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>

#include <cmocka.h>

#include "testlib.h"
#include "ukey-pkcs11.h"

static CK_FUNCTION_LIST *p11;
static struct ukt_token tok;    /* shared by the read-only tests */
static struct ukt_token own;    /* a token of its own for a test that changes state */
static struct ukt_token second; /* second token in own's SoftHSM */

static void use_token(const struct ukt_token *t)
{
	assert_int_equal(ukt_vkey_use(t), 0);
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

static int shared_setup(void **state)
{
	(void)state;
	use_token(&tok);
	return p11->C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

static int finalize_teardown(void **state)
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
	return p11->C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

static int own_teardown(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	ukt_vkey_destroy(&second);
	ukt_vkey_destroy(&own);
	return 0;
}

static void assert_padded_text(const CK_UTF8CHAR *f, size_t n)
{
	size_t i, end = n;

	for (i = 0; i < n; i++)
		assert_true(f[i] != '\0');
	while (end > 0 && f[end - 1] == ' ')
		end--;
	assert_true(end > 0);
}

/* field == s followed by blanks only */
static void assert_padded_eq(const CK_UTF8CHAR *f, size_t n, const char *s)
{
	size_t len = strlen(s), i;

	assert_true(len <= n);
	assert_memory_equal(f, s, len);
	for (i = len; i < n; i++)
		assert_int_equal(f[i], ' ');
}

/* The slot list (allocated; *count set). */
static CK_SLOT_ID *get_slots(CK_BBOOL present, CK_ULONG *count)
{
	CK_SLOT_ID *slots;
	CK_ULONG n = 0, n2;

	assert_int_equal(p11->C_GetSlotList(present, NULL, &n), CKR_OK);
	slots = calloc(n + 1, sizeof(*slots));
	assert_non_null(slots);
	n2 = n;
	assert_int_equal(p11->C_GetSlotList(present, slots, &n2), CKR_OK);
	assert_int_equal(n2, n);
	*count = n;
	return slots;
}

static CK_SLOT_ID slot_of(const struct ukt_token *t)
{
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;

	assert_int_equal(ukt_open(p11, t, false, false, &slot, &s), CKR_OK);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
	return slot;
}

static bool in_list(const CK_SLOT_ID *l, CK_ULONG n, CK_SLOT_ID id)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (l[i] == id)
			return true;
	return false;
}

static void test_slot_list_two_call_sizing(void **state)
{
	CK_SLOT_ID slots[8];
	CK_ULONG n = 0, small;

	(void)state;
	assert_int_equal(p11->C_GetSlotList(CK_TRUE, NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	assert_true(n >= 1 && n <= 8);
	small = n - 1;
	assert_int_equal(p11->C_GetSlotList(CK_TRUE, slots, &small), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(small, n);
	small = 8;
	assert_int_equal(p11->C_GetSlotList(CK_TRUE, slots, &small), CKR_OK);
	assert_int_equal(small, n);
}

static void test_one_vkey_gives_exactly_one_slot(void **state)
{
	CK_SLOT_ID *all, *present;
	CK_ULONG nall, npresent;
	CK_TOKEN_INFO ti;

	(void)state;
	present = get_slots(CK_TRUE, &npresent);
	all = get_slots(CK_FALSE, &nall);
	/* SoftHSM's spare uninitialised slot is not a U-KEY: hidden */
	assert_int_equal(npresent, 1);
	assert_int_equal(nall, 1);
	assert_int_equal(present[0], all[0]);
	assert_int_equal(p11->C_GetTokenInfo(present[0], &ti), CKR_OK);
	assert_padded_eq(ti.serialNumber, sizeof(ti.serialNumber), tok.serial);
	free(all);
	free(present);
}

static void test_token_present_list_is_subset_with_flags(void **state)
{
	CK_SLOT_ID *all, *present;
	CK_ULONG nall, npresent, i;
	CK_SLOT_INFO si;
	CK_SLOT_ID mine = slot_of(&tok);

	(void)state;
	present = get_slots(CK_TRUE, &npresent);
	all = get_slots(CK_FALSE, &nall);
	assert_true(npresent <= nall);
	assert_true(in_list(present, npresent, mine));
	for (i = 0; i < npresent; i++)
		assert_true(in_list(all, nall, present[i]));
	for (i = 0; i < nall; i++) {
		assert_int_equal(p11->C_GetSlotInfo(all[i], &si), CKR_OK);
		assert_int_equal((si.flags & CKF_TOKEN_PRESENT) != 0,
				 in_list(present, npresent, all[i]));
	}
	free(all);
	free(present);
}

static void test_second_vkey_gives_second_slot(void **state)
{
	CK_SLOT_ID *present, a, b;
	CK_ULONG n;
	CK_TOKEN_INFO ti;

	(void)state;
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	assert_int_equal(ukt_vkey_add(&own, "rsa", &second), 0);
	assert_string_not_equal(own.serial, second.serial);
	use_token(&own); /* both tokens live in own's SoftHSM */
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	present = get_slots(CK_TRUE, &n);
	assert_int_equal(n, 2);
	free(present);
	present = get_slots(CK_FALSE, &n);
	assert_int_equal(n, 2); /* still no spare empty slot */
	free(present);
	a = slot_of(&own);
	b = slot_of(&second);
	assert_true(a != b);
	assert_int_equal(p11->C_GetTokenInfo(b, &ti), CKR_OK);
	assert_padded_eq(ti.label, sizeof(ti.label), second.label);
	assert_int_equal(p11->C_GetTokenInfo(a, &ti), CKR_OK);
	assert_padded_eq(ti.label, sizeof(ti.label), own.label);
}

static void test_slot_info_has_token_present_and_padded_text(void **state)
{
	CK_SLOT_INFO si;
	CK_SLOT_ID slot = slot_of(&tok);

	(void)state;
	assert_int_equal(p11->C_GetSlotInfo(slot, NULL), CKR_ARGUMENTS_BAD);
	memset(&si, 0, sizeof(si));
	assert_int_equal(p11->C_GetSlotInfo(slot, &si), CKR_OK);
	assert_true(si.flags & CKF_TOKEN_PRESENT);
	assert_padded_text(si.slotDescription, sizeof(si.slotDescription));
	assert_padded_text(si.manufacturerID, sizeof(si.manufacturerID));
}

static void test_invalid_slot_is_slot_id_invalid(void **state)
{
	CK_SLOT_ID *all, bad = 0;
	CK_ULONG n, i, mn = 0;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_MECHANISM_INFO mi;
	CK_SESSION_HANDLE s;

	(void)state;
	all = get_slots(CK_FALSE, &n);
	for (i = 0; i < n; i++)
		if (all[i] >= bad)
			bad = all[i] + 1000;
	free(all);
	assert_int_equal(p11->C_GetSlotInfo(bad, &si), CKR_SLOT_ID_INVALID);
	assert_int_equal(p11->C_GetTokenInfo(bad, &ti), CKR_SLOT_ID_INVALID);
	assert_int_equal(p11->C_GetMechanismList(bad, NULL, &mn), CKR_SLOT_ID_INVALID);
	assert_int_equal(p11->C_GetMechanismInfo(bad, CKM_RSA_PKCS, &mi), CKR_SLOT_ID_INVALID);
	assert_int_equal(p11->C_OpenSession(bad, CKF_SERIAL_SESSION, NULL, NULL, &s),
			 CKR_SLOT_ID_INVALID);
}

static void test_token_info_serial_label_and_flags(void **state)
{
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot = slot_of(&tok);
	const CK_FLAGS need = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
	const CK_FLAGS bad = CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY | CKF_SO_PIN_LOCKED |
			     CKF_USER_PIN_TO_BE_CHANGED | CKF_WRITE_PROTECTED;

	(void)state;
	assert_int_equal(p11->C_GetTokenInfo(slot, NULL), CKR_ARGUMENTS_BAD);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_int_equal(strlen(tok.serial), 16);
	assert_padded_eq(ti.serialNumber, sizeof(ti.serialNumber), tok.serial);
	assert_padded_eq(ti.label, sizeof(ti.label), tok.label);
	assert_int_equal(ti.flags & need, need);
	assert_int_equal(ti.flags & bad, 0);
	assert_padded_text(ti.manufacturerID, sizeof(ti.manufacturerID));
	assert_padded_text(ti.model, sizeof(ti.model));
	assert_true(ti.ulMinPinLen >= 1 && ti.ulMinPinLen <= strlen(tok.user_pin));
	assert_true(ti.ulMaxPinLen >= strlen(tok.so_pin));
}

static CK_FLAGS token_flags(CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;

	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	return ti.flags;
}

/* SoftHSM 2.6 sets CKF_USER_PIN_COUNT_LOW after a failed user login and
 * clears it after a good one (checked directly with pkcs11-tool -L); the
 * module must pass that through. */
static void test_wrong_pin_shows_user_pin_count_low(void **state)
{
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;

	(void)state;
	assert_int_equal(ukt_open(p11, &own, false, false, &slot, &s), CKR_OK);
	assert_int_equal(token_flags(slot) & CKF_USER_PIN_COUNT_LOW, 0);
	assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "0000", 4), CKR_PIN_INCORRECT);
	assert_true(token_flags(slot) & CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(token_flags(slot) & CKF_USER_PIN_LOCKED, 0);
	assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)own.user_pin, strlen(own.user_pin)),
			 CKR_OK);
	assert_int_equal(token_flags(slot) & CKF_USER_PIN_COUNT_LOW, 0);
}

static bool has_mech(const CK_MECHANISM_TYPE *l, CK_ULONG n, CK_MECHANISM_TYPE m)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (l[i] == m)
			return true;
	return false;
}

static void test_mechanism_list_two_call_sizing_and_contents(void **state)
{
	static const CK_MECHANISM_TYPE want_p11[] = {
		CKM_RSA_PKCS,        CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_RSA_PKCS_OAEP,
		CKM_ECDSA,           CKM_ECDSA_SHA256,    CKM_SHA256,       CKM_RSA_PKCS_KEY_PAIR_GEN,
		CKM_EC_KEY_PAIR_GEN, CKM_SHA256_RSA_PKCS_PSS, CKM_SM3,
	};
	/* SKF devices: RSA PKCS#1 v1.5 and SM2 (docs/skf.md "Operations"),
	 * hashing in software. */
	static const CK_MECHANISM_TYPE want_skf[] = {
		CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA256, CKM_RSA_PKCS_KEY_PAIR_GEN,
		CKM_SM2,      CKM_SM3_SM2,         CKM_SM2_ENCRYPT,   CKM_SM3,   CKM_SM2_KEY_PAIR_GEN,
	};
	const CK_MECHANISM_TYPE *want = ukt_is_skf() ? want_skf : want_p11;
	size_t nwant = ukt_is_skf() ? sizeof(want_skf) / sizeof(want_skf[0]) : sizeof(want_p11) / sizeof(want_p11[0]);
	CK_MECHANISM_TYPE *list;
	CK_SLOT_ID slot = slot_of(&tok);
	CK_ULONG n = 0, small, i, j;
	int missing = 0;

	(void)state;
	assert_int_equal(p11->C_GetMechanismList(slot, NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_GetMechanismList(slot, NULL, &n), CKR_OK);
	assert_true(n >= nwant);
	list = calloc(n, sizeof(*list));
	assert_non_null(list);
	small = n - 1;
	assert_int_equal(p11->C_GetMechanismList(slot, list, &small), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(small, n);
	assert_int_equal(p11->C_GetMechanismList(slot, list, &small), CKR_OK);
	assert_int_equal(small, n);
	for (i = 0; i < nwant; i++) {
		if (!has_mech(list, n, want[i])) {
			print_error("mechanism 0x%lx missing from the list\n", (unsigned long)want[i]);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
	/* and nothing the backend cannot do */
	if (ukt_is_skf()) {
		assert_false(has_mech(list, n, CKM_ECDSA));
		assert_false(has_mech(list, n, CKM_RSA_PKCS_PSS));
		assert_false(has_mech(list, n, CKM_RSA_PKCS_OAEP));
	} else {
		assert_false(has_mech(list, n, CKM_SM2));
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			assert_true(list[i] != list[j]);
	free(list);
}

static void test_mechanism_info_flags(void **state)
{
	CK_MECHANISM_INFO mi;
	CK_SLOT_ID slot = slot_of(&tok);

	(void)state;
	if (ukt_is_skf()) {
		/* SM2 instead of ECDSA; SKF cannot decrypt with RSA keys */
		assert_int_equal(p11->C_GetMechanismInfo(slot, CKM_SM3_SM2, NULL), CKR_ARGUMENTS_BAD);
		assert_int_equal(p11->C_GetMechanismInfo(slot, CKM_SM3_SM2, &mi), CKR_OK);
		assert_int_equal(mi.flags & (CKF_SIGN | CKF_VERIFY), CKF_SIGN | CKF_VERIFY);
		assert_true(mi.ulMinKeySize == 256 && mi.ulMaxKeySize == 256);
		assert_int_equal(p11->C_GetMechanismInfo(slot, CKM_RSA_PKCS, &mi), CKR_OK);
		assert_int_equal(mi.flags & (CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT), CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT);
	} else {
		assert_int_equal(p11->C_GetMechanismInfo(slot, CKM_ECDSA_SHA256, NULL), CKR_ARGUMENTS_BAD);
		assert_int_equal(p11->C_GetMechanismInfo(slot, CKM_ECDSA_SHA256, &mi), CKR_OK);
		assert_int_equal(mi.flags & (CKF_SIGN | CKF_VERIFY), CKF_SIGN | CKF_VERIFY);
		assert_true(mi.ulMinKeySize <= 256 && mi.ulMaxKeySize >= 384);
		assert_int_equal(p11->C_GetMechanismInfo(slot, CKM_RSA_PKCS, &mi), CKR_OK);
		assert_int_equal(mi.flags & (CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT),
				 CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT);
	}
	assert_true(mi.ulMinKeySize <= 2048 && mi.ulMaxKeySize >= 2048);
	assert_int_equal(p11->C_GetMechanismInfo(slot, CKM_SHA256, &mi), CKR_OK);
	assert_true(mi.flags & CKF_DIGEST);
	assert_int_equal(mi.flags & (CKF_SIGN | CKF_ENCRYPT), 0);
}

static void test_unknown_mechanism_is_mechanism_invalid(void **state)
{
	CK_MECHANISM_INFO mi;
	CK_SLOT_ID slot = slot_of(&tok);

	(void)state;
	/* unassigned in the standard range */
	assert_int_equal(p11->C_GetMechanismInfo(slot, 0x00007777UL, &mi), CKR_MECHANISM_INVALID);
}

static void test_wait_for_slot_event_dont_block_is_no_event(void **state)
{
	CK_SLOT_ID slot = 0;

	(void)state;
	assert_int_equal(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
	assert_int_equal(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
}

#define SHARED(f) cmocka_unit_test_setup_teardown(f, shared_setup, finalize_teardown)
#define OWN(f) cmocka_unit_test_setup_teardown(f, own_setup, own_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SHARED(test_slot_list_two_call_sizing),
		SHARED(test_one_vkey_gives_exactly_one_slot),
		SHARED(test_token_present_list_is_subset_with_flags),
		OWN(test_second_vkey_gives_second_slot),
		SHARED(test_slot_info_has_token_present_and_padded_text),
		SHARED(test_invalid_slot_is_slot_id_invalid),
		SHARED(test_token_info_serial_label_and_flags),
		OWN(test_wrong_pin_shows_user_pin_count_low),
		SHARED(test_mechanism_list_two_call_sizing_and_contents),
		SHARED(test_mechanism_info_flags),
		SHARED(test_unknown_mechanism_is_mechanism_invalid),
		SHARED(test_wait_for_slot_event_dont_block_is_no_event),
	};
	void *handle;
	int rc;

	p11 = ukt_module_load(&handle);
	if (p11 == NULL)
		return 1;
	rc = cmocka_run_group_tests_name("slots", tests, group_setup, group_teardown);
	dlclose(handle);
	return rc;
}
