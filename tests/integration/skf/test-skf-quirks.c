/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* The SKF driver's vendor quirks end to end (docs/skf.md, "Quirks"): a
 * backend's `quirks =` line changes what the driver asks of the library,
 * seen in the SKF emulator's call meter (tests/skf-emu/README.md, "Cost
 * model") and in what PKCS#11 shows; a bad line refuses the backend with a
 * reason naming the word. The emulator has every function, so each
 * no-FUNCTION quirk here is forced: the driver must then leave that
 * function alone and do what it does for a library without it. Each test
 * is one C_Initialize .. C_Finalize over a configuration of its own. */

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "ukey-pkcs11.h"

typedef CK_RV (*get_interface_fn)(CK_UTF8CHAR *, CK_VERSION *, UKEY_CK_INTERFACE **, CK_FLAGS);

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok;
static char base_conf[2048], conf_path[700], cost_path[700];

static int group_setup(void **state)
{
	FILE *f;
	size_t n;
	(void)state;
	setenv("UKEY_TEST_BACKEND", "skf", 1);
	if (ukt_vkey_create("sm2", &tok) != 0)
		return -1;
	f = fopen(tok.conf, "r");
	if (!f)
		return -1;
	n = fread(base_conf, 1, sizeof(base_conf) - 1, f);
	fclose(f);
	base_conf[n] = '\0';
	snprintf(conf_path, sizeof(conf_path), "%s/quirks.conf", tok.dir);
	snprintf(cost_path, sizeof(cost_path), "%s/cost", tok.dir);
	p11 = ukt_module_load(&dl);
	return p11 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	unsetenv("UKEY_SKF_EMU_COST");
	ukt_vkey_destroy(&tok);
	if (dl)
		dlclose(dl);
	return 0;
}

/* A failed test must not leave the module initialised for the next. */
static int fin(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	unsetenv("UKEY_SKF_EMU_COST");
	unlink(cost_path);
	return 0;
}

/* A configuration of head and extra, metered from C_Initialize on. */
static void use_conf_of(const char *head, const char *extra)
{
	FILE *f = fopen(conf_path, "w");
	assert_non_null(f);
	assert_true(fprintf(f, "%s%s", head, extra) > 0);
	assert_int_equal(fclose(f), 0);
	setenv("UKEY_PKCS11_CONF", conf_path, 1);
	unlink(cost_path);
	setenv("UKEY_SKF_EMU_COST", cost_path, 1);
}

/* The virtual U-KEY's configuration, its [backend skf] section ending in
 * extra (a `quirks =` line, or nothing). */
static void use_conf(const char *extra)
{
	use_conf_of(base_conf, extra);
}

/* Calls of one SKF function in the emulator's report (every block). */
static unsigned long calls_of(const char *fn)
{
	char line[256], name[64];
	unsigned long long n, in, out, apdus, sum = 0;
	FILE *f = fopen(cost_path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu %llu %llu %llu", name, &n, &in, &out, &apdus) == 5 &&
		    strcmp(name, fn) == 0)
			sum += n;
	fclose(f);
	return (unsigned long)sum;
}

static CK_SLOT_ID open_session(CK_SESSION_HANDLE *s, bool login)
{
	CK_SLOT_ID slot;
	RV(ukt_open(p11, &tok, false, login, &slot, s), CKR_OK);
	return slot;
}

/* Without a line, the driver uses what the library has. */
static void test_without_quirks_the_library_is_used_whole(void **state)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	(void)state;
	use_conf("");
	slot = open_session(&s, true);
	assert_true(ukt_has_mechanism(p11, slot, CKM_SM2_ENCRYPT));
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.enc_id, tok.enc_id_len, &key), CKR_OK);
	RV(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_true(ti.flags & CKF_RNG);
	RV(p11->C_Logout(s), CKR_OK);
	RV(p11->C_Finalize(NULL), CKR_OK);
	assert_int_equal(calls_of("SKF_ClearSecureState"), 1);
	assert_true(calls_of("SKF_GetContainerType") > 0);
	assert_true(calls_of("SKF_EnumFiles") > 0);
}

/* no-ecc-decrypt: SM2 decryption is not offered, though the library has it. */
static void test_no_ecc_decrypt_takes_sm2_decryption_away(void **state)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_MECHANISM m = { CKM_SM2_ENCRYPT, NULL, 0 };
	CK_MECHANISM_INFO info;
	CK_BBOOL can = CK_TRUE;
	CK_ATTRIBUTE a = { CKA_DECRYPT, &can, sizeof(can) };
	CK_SLOT_ID slot;
	(void)state;
	use_conf("quirks = no-ecc-decrypt\n");
	slot = open_session(&s, true);
	assert_false(ukt_has_mechanism(p11, slot, CKM_SM2_ENCRYPT));
	RV(p11->C_GetMechanismInfo(slot, CKM_SM2_ENCRYPT, &info), CKR_MECHANISM_INVALID);
	/* Signing stays. */
	assert_true(ukt_has_mechanism(p11, slot, CKM_SM2));
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.enc_id, tok.enc_id_len, &key), CKR_OK);
	RV(p11->C_GetAttributeValue(s, key, &a, 1), CKR_OK);
	assert_false(can);
	RV(p11->C_DecryptInit(s, &m, key), CKR_MECHANISM_INVALID);
	RV(p11->C_Finalize(NULL), CKR_OK);
	assert_int_equal(calls_of("SKF_ECCDecrypt"), 0);
}

/* no-clear-secure-state: logging out closes the application instead. */
static void test_no_clear_secure_state_logs_out_by_closing_the_application(void **state)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	(void)state;
	use_conf("quirks = no-clear-secure-state\n");
	open_session(&s, true);
	RV(p11->C_Logout(s), CKR_OK);
	/* ... and reopens it for the next call, logged out. */
	RV(ukt_find_one(p11, s, CKO_CERTIFICATE, tok.sign_id, tok.sign_id_len, &key), CKR_OK);
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.sign_id, tok.sign_id_len, &key), CKR_OBJECT_HANDLE_INVALID);
	RV(p11->C_Finalize(NULL), CKR_OK);
	assert_int_equal(calls_of("SKF_ClearSecureState"), 0);
	/* At logout, and at C_Finalize for the reopened one. */
	assert_int_equal(calls_of("SKF_CloseApplication"), 2);
}

/* no-container-type and no-enum-files: the driver does without them. */
static void test_missing_listing_functions_are_not_called(void **state)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_ULONG got = 0;
	CK_OBJECT_HANDLE h[8];
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_ATTRIBUTE t = { CKA_CLASS, &data, sizeof(data) };
	(void)state;
	use_conf("quirks = no-container-type\n  no-enum-files\n");
	open_session(&s, true);
	/* The public-key blob's size tells the key type. */
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.sign_id, tok.sign_id_len, &key), CKR_OK);
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.enc_id, tok.enc_id_len, &key), CKR_OK);
	RV(p11->C_FindObjectsInit(s, &t, 1), CKR_OK);
	RV(p11->C_FindObjects(s, h, 8, &got), CKR_OK);
	RV(p11->C_FindObjectsFinal(s), CKR_OK);
	assert_int_equal(got, 0);
	RV(p11->C_Finalize(NULL), CKR_OK);
	assert_int_equal(calls_of("SKF_GetContainerType"), 0);
	assert_int_equal(calls_of("SKF_EnumFiles"), 0);
}

static void test_no_gen_random_drops_the_rng(void **state)
{
	CK_SESSION_HANDLE s;
	CK_TOKEN_INFO ti;
	CK_BYTE r[16];
	CK_SLOT_ID slot;
	(void)state;
	use_conf("quirks = no-gen-random\n");
	slot = open_session(&s, false);
	RV(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_false(ti.flags & CKF_RNG);
	RV(p11->C_GenerateRandom(s, r, sizeof(r)), CKR_FUNCTION_NOT_SUPPORTED);
	RV(p11->C_Finalize(NULL), CKR_OK);
	assert_int_equal(calls_of("SKF_GenRandom"), 0);
}

/* Forcing the library's own answer changes nothing; a forced SM2 id the
 * library takes still generates keys (the emulator takes both). */
static void test_quirks_that_match_the_library_change_nothing(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_MECHANISM m = { CKM_SM2_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	char label[] = "quirk-sm2";
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pt[] = { { CKA_TOKEN, &yes, sizeof(yes) } };
	CK_ATTRIBUTE vt[] = { { CKA_TOKEN, &yes, sizeof(yes) }, { CKA_LABEL, label, sizeof(label) - 1 } };
	(void)state;
	use_conf("quirks = ulong32, !no-ecc-decrypt, !no-clear-secure-state, sm2-id-0x20200\n");
	RV(ukt_open(p11, &tok, true, true, &slot, &s), CKR_OK);
	assert_true(ukt_has_mechanism(p11, slot, CKM_SM2_ENCRYPT));
	RV(p11->C_GenerateKeyPair(s, &m, pt, 1, vt, 2, &pub, &priv), CKR_OK);
	RV(p11->C_Logout(s), CKR_OK);
	RV(p11->C_Finalize(NULL), CKR_OK);
	assert_int_equal(calls_of("SKF_GenECCKeyPair"), 1);
	assert_int_equal(calls_of("SKF_ClearSecureState"), 1);
}

static const UKEY_VENDOR_FUNCTION_LIST *vendor(void)
{
	get_interface_fn gi;
	UKEY_CK_INTERFACE *iface = NULL;
	*(void **)&gi = dlsym(dl, "C_GetInterface");
	if (gi == NULL || gi((CK_UTF8CHAR *)UKEY_VENDOR_INTERFACE, NULL, &iface, 0) != CKR_OK || iface == NULL)
		return NULL;
	return iface->pFunctionList;
}

/* The backend is refused, the others would load; its status says why. */
static void refused_with_reason(const char *head, const char *line, const char *needle)
{
	const UKEY_VENDOR_FUNCTION_LIST *v = vendor();
	UKEY_MODULE_STATUS ms;
	UKEY_BACKEND_STATUS bs;
	CK_ULONG n = 99;
	assert_non_null(v);
	use_conf_of(head, line);
	setenv("UKEY_LOG", "off", 1);
	RV(p11->C_Initialize(NULL), CKR_OK);
	unsetenv("UKEY_LOG");
	RV(p11->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	assert_int_equal(n, 0);
	RV(v->UKEY_GetModuleStatus(&ms), CKR_OK);
	assert_string_equal((const char *)ms.configError, "");
	assert_int_equal(ms.ulBackendsLoaded, 0);
	RV(v->UKEY_GetBackendStatus(0, &bs), CKR_OK);
	assert_int_not_equal(bs.loadResult, CKR_OK);
	if (!strstr((const char *)bs.reason, needle))
		fail_msg("reason \"%s\" does not mention \"%s\"", (const char *)bs.reason, needle);
}

static void test_an_unknown_quirk_refuses_the_backend_naming_it(void **state)
{
	(void)state;
	refused_with_reason(base_conf, "quirks = no-ecc-decrypt, no-ecc-decryption\n",
			    "unknown quirk 'no-ecc-decryption'");
}

static void test_a_contradiction_refuses_the_backend(void **state)
{
	(void)state;
	refused_with_reason(base_conf, "quirks = sm2-id-0x20100\nquirks = sm2-id-0x20200\n",
			    "'sm2-id-0x20100' and 'sm2-id-0x20200' contradict each other");
}

static void test_a_quirk_the_build_cannot_undo_refuses_the_backend(void **state)
{
	(void)state;
	refused_with_reason(base_conf, "quirks = !ulong32\n", "'!ulong32' cannot hold");
}

/* Quirks are the skf driver's: a p11 backend given some is refused. */
static void test_quirks_on_a_p11_backend_refuse_it(void **state)
{
	char head[900];
	(void)state;
	snprintf(head, sizeof(head), "[backend soft]\ndriver = p11\nlibrary = %s\n", ukt_softhsm_path());
	refused_with_reason(head, "quirks = no-ecc-decrypt\n", "the p11 driver has no quirks");
}

#define T(f) cmocka_unit_test_teardown(f, fin)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_without_quirks_the_library_is_used_whole),
		T(test_no_ecc_decrypt_takes_sm2_decryption_away),
		T(test_no_clear_secure_state_logs_out_by_closing_the_application),
		T(test_missing_listing_functions_are_not_called),
		T(test_no_gen_random_drops_the_rng),
		T(test_quirks_that_match_the_library_change_nothing),
		T(test_an_unknown_quirk_refuses_the_backend_naming_it),
		T(test_a_contradiction_refuses_the_backend),
		T(test_a_quirk_the_build_cannot_undo_refuses_the_backend),
		T(test_quirks_on_a_p11_backend_refuse_it),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
