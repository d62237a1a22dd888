/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* What the module makes a U-KEY read (issue 13), counted by the SKF
 * emulator's cost model (emulator/README.md): two SKF U-KEYs inserted,
 * the first holding three seals of realistic size (bench/bench-seals: 4.8,
 * 46 and 197 KB). Each test is one C_Initialize .. C_Finalize; the module
 * unloads the emulator at C_Finalize, which appends its counts to the file
 * UKEY_SKF_EMU_COST names. The counts are deterministic: no time is
 * asserted.
 *
 *  - C_Initialize and C_GetSlotList ask the devices nothing but their list;
 *  - the start-up listing (what NSS does: slots, tokens, certificates with
 *    their attributes, the public keys of their CKA_IDs) reads no file byte;
 *  - logging in and one signature read no file byte;
 *  - a seal's CKA_VALUE is read once, when asked for, and not again after
 *    a login (the reload after login read every seal a second time);
 *  - finding the seals by CKA_APPLICATION reads each file's first
 *    UKEY_SKF_SEAL_HEAD bytes, no more. */

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/skf/blob.h"
#include "testlib.h"
#include "ukey-pkcs11.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok, tok2;
static char cost_path[700];
static unsigned long seal_bytes;

struct cost {
	unsigned long calls;        /* every SKF call */
	unsigned long connects;     /* SKF_ConnectDev */
	unsigned long reads;        /* SKF_ReadFile calls */
	unsigned long read_bytes;   /* file bytes read */
	unsigned long pin_info;     /* SKF_GetPINInfo calls */
};

/* Sums every block of the report and removes it. */
static void cost_take(struct cost *c)
{
	char line[256], name[64];
	unsigned long long n, in, out, apdus;
	FILE *f = fopen(cost_path, "r");
	memset(c, 0, sizeof(*c));
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu %llu %llu %llu", name, &n, &in, &out, &apdus) == 5) {
			if (strcmp(name, "total") == 0)
				c->calls += n;
			else if (strcmp(name, "SKF_ConnectDev") == 0)
				c->connects += n;
			else if (strcmp(name, "SKF_GetPINInfo") == 0)
				c->pin_info += n;
			else if (strcmp(name, "SKF_ReadFile") == 0) {
				c->reads += n;
				c->read_bytes += out;
			}
		}
	fclose(f);
	unlink(cost_path);
}

static int group_setup(void **state)
{
	const char *bld = getenv("UKEY_TOP_BUILDDIR");
	struct stat st;
	(void)state;
	setenv("UKEY_TEST_BACKEND", "skf", 1);
	if (!bld || ukt_vkey_create("rsa", &tok) != 0 || ukt_vkey_add(&tok, "rsa", &tok2) != 0)
		return -1;
	if (ukt_system("mkdir '%s/seals' && '%s/bench/bench-seals' make '%s/seals' >&2 && "
		       "'%s/tools/ukey-vkey' add-seals '%s' '%s/seals' >&2",
		       tok.dir, bld, tok.dir, ukt_srcdir(), tok.dir, tok.dir) != 0)
		return -1;
	for (int i = 1; i <= 3; i++) {
		char path[700];
		snprintf(path, sizeof(path), "%s/seals/seal-%d.der", tok.dir, i);
		if (stat(path, &st) != 0)
			return -1;
		seal_bytes += (unsigned long)st.st_size;
	}
	snprintf(cost_path, sizeof(cost_path), "%s/cost", tok.dir);
	setenv("UKEY_SKF_EMU_COST", cost_path, 1);
	p11 = ukt_module_load(&dl);
	return p11 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	unsetenv("UKEY_SKF_EMU_COST");
	ukt_vkey_destroy(&tok2);
	ukt_vkey_destroy(&tok);
	if (dl)
		dlclose(dl);
	return 0;
}

static int fresh(void **state)
{
	(void)state;
	unlink(cost_path);
	return 0;
}

/* A failed test must not leave the module initialised for the next. */
static int fin(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	return 0;
}

static CK_ULONG find_all(CK_SESSION_HANDLE s, const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *h,
			 CK_ULONG max)
{
	CK_ULONG got = 0;
	assert_int_equal(p11->C_FindObjectsInit(s, (CK_ATTRIBUTE *)t, n), CKR_OK);
	assert_int_equal(p11->C_FindObjects(s, h, max, &got), CKR_OK);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
	return got;
}

/* A value read as consumers do: its length, then the value. */
static CK_ULONG read_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_RV rv = p11->C_GetAttributeValue(s, h, &a, 1);
	if (rv != CKR_OK)
		return 0;
	a.pValue = malloc(a.ulValueLen + 1);
	assert_non_null(a.pValue);
	assert_int_equal(p11->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
	free(a.pValue);
	return a.ulValueLen;
}

/* What NSS does with each present token at start-up (certutil -L, a
 * browser): slot and token info, then every certificate with the
 * attributes it keeps, and the public key of each certificate's CKA_ID.
 * Returns the number of certificates. */
static CK_ULONG listing(void)
{
	static const CK_ATTRIBUTE_TYPE kept[] = { CKA_VALUE, CKA_LABEL, CKA_ID, CKA_SUBJECT, CKA_ISSUER,
						  CKA_SERIAL_NUMBER, CKA_CERTIFICATE_TYPE };
	CK_SLOT_ID slots[8];
	CK_ULONG nslots = 8, total = 0;
	CK_OBJECT_CLASS cert = CKO_CERTIFICATE, pub = CKO_PUBLIC_KEY;
	CK_BBOOL yes = CK_TRUE;
	assert_int_equal(p11->C_GetSlotList(CK_TRUE, slots, &nslots), CKR_OK);
	for (CK_ULONG i = 0; i < nslots; i++) {
		CK_SLOT_INFO si;
		CK_TOKEN_INFO ti;
		CK_SESSION_HANDLE s;
		CK_OBJECT_HANDLE h[16], k[4];
		CK_ATTRIBUTE ct[] = { { CKA_CLASS, &cert, sizeof(cert) }, { CKA_TOKEN, &yes, sizeof(yes) } };
		assert_int_equal(p11->C_GetSlotInfo(slots[i], &si), CKR_OK);
		assert_int_equal(p11->C_GetTokenInfo(slots[i], &ti), CKR_OK);
		assert_int_equal(p11->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
		CK_ULONG n = find_all(s, ct, 2, h, 16);
		for (CK_ULONG c = 0; c < n; c++) {
			unsigned char id[64];
			CK_ATTRIBUTE ida = { CKA_ID, id, sizeof(id) };
			for (size_t t = 0; t < sizeof(kept) / sizeof(kept[0]); t++)
				assert_true(read_attr(s, h[c], kept[t]) > 0 || kept[t] == CKA_LABEL);
			assert_int_equal(p11->C_GetAttributeValue(s, h[c], &ida, 1), CKR_OK);
			CK_ATTRIBUTE kt[] = { { CKA_CLASS, &pub, sizeof(pub) }, { CKA_ID, id, ida.ulValueLen } };
			assert_int_equal(find_all(s, kt, 2, k, 4), 1);
		}
		total += n;
		assert_int_equal(p11->C_CloseSession(s), CKR_OK);
	}
	return total;
}

static void test_initialize_asks_the_devices_nothing_but_their_list(void **state)
{
	CK_ULONG n = 0;
	struct cost c;
	(void)state;
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(p11->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	cost_take(&c);
	/* One SKF_EnumDev each, nothing else: no device is connected to. */
	assert_int_equal(c.connects, 0);
	assert_true(c.calls <= 2);
}

static void test_startup_listing_reads_no_file_byte(void **state)
{
	struct cost c;
	(void)state;
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(listing(), 4);   /* two certificates on each key */
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	cost_take(&c);
	assert_int_equal(c.read_bytes, 0);
	assert_int_equal(c.reads, 0);
}

static void test_login_and_one_signature_read_no_file_byte(void **state)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE msg[] = "a site's client authentication", sig[512];
	CK_ULONG siglen = sizeof(sig);
	struct cost c;
	(void)state;
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(listing(), 4);
	assert_int_equal(ukt_open(p11, &tok, false, true, NULL, &s), CKR_OK);
	assert_int_equal(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.sign_id, tok.sign_id_len, &key), CKR_OK);
	assert_int_equal(p11->C_SignInit(s, &m, key), CKR_OK);
	assert_int_equal(p11->C_Sign(s, msg, sizeof(msg) - 1, sig, &siglen), CKR_OK);
	assert_int_equal(siglen, 256);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	cost_take(&c);
	assert_int_equal(c.read_bytes, 0);
	assert_int_equal(c.reads, 0);
}

/* The seals' values, in the order found; returns how many. */
static CK_ULONG read_seals(CK_SESSION_HANDLE s, unsigned long *bytes)
{
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &data, sizeof(data) },
			     { CKA_APPLICATION, (void *)UKEY_SEAL_APPLICATION, strlen(UKEY_SEAL_APPLICATION) } };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = find_all(s, t, 2, h, 8);
	*bytes = 0;
	for (CK_ULONG i = 0; i < n; i++)
		*bytes += read_attr(s, h[i], CKA_VALUE);
	return n;
}

static void test_seal_values_are_read_once_and_not_again_after_login(void **state)
{
	CK_SESSION_HANDLE s;
	unsigned long before, after;
	struct cost c;
	(void)state;
	assert_int_equal(ukt_open(p11, &tok, false, false, NULL, &s), CKR_OK);
	assert_int_equal(read_seals(s, &before), 3);
	assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)tok.user_pin, strlen(tok.user_pin)), CKR_OK);
	assert_int_equal(read_seals(s, &after), 3);
	assert_int_equal(before, seal_bytes);
	assert_int_equal(after, seal_bytes);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	cost_take(&c);
	/* Each seal once, the head read to find them included. */
	assert_int_equal(c.read_bytes, seal_bytes);
}

static void test_seals_are_found_by_their_first_bytes(void **state)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &data, sizeof(data) },
			     { CKA_APPLICATION, (void *)UKEY_SEAL_APPLICATION, strlen(UKEY_SEAL_APPLICATION) } };
	CK_OBJECT_HANDLE h[8];
	struct cost c;
	(void)state;
	assert_int_equal(ukt_open(p11, &tok, false, false, NULL, &s), CKR_OK);
	assert_int_equal(find_all(s, t, 2, h, 8), 3);
	for (int i = 0; i < 3; i++)
		assert_true(read_attr(s, h[i], CKA_LABEL) > 0);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	cost_take(&c);
	assert_int_equal(c.reads, 3);
	assert_int_equal(c.read_bytes, 3 * UKEY_SKF_SEAL_HEAD);
}

typedef CK_RV (*get_interface_fn)(CK_UTF8CHAR *, CK_VERSION *, UKEY_CK_INTERFACE **, CK_FLAGS);

/* ukey shows a token's label, serial and PIN tries: the vendor interface
 * gives them from one reading of the PIN counters (one SKF_GetPINInfo per
 * PIN), where C_GetTokenInfo and UKEY_GetPinTries read them twice. */
static void test_token_info_with_tries_reads_the_counters_once(void **state)
{
	get_interface_fn gi;
	UKEY_CK_INTERFACE *iface = NULL;
	const UKEY_VENDOR_FUNCTION_LIST *v;
	CK_SLOT_ID slots[2];
	CK_ULONG n = 2;
	CK_TOKEN_INFO ti;
	UKEY_PIN_TRIES t;
	struct cost before, after;
	(void)state;
	*(void **)&gi = dlsym(dl, "C_GetInterface");
	assert_non_null(gi);
	assert_int_equal(gi((CK_UTF8CHAR *)UKEY_VENDOR_INTERFACE, NULL, &iface, 0), CKR_OK);
	v = iface->pFunctionList;
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(p11->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal(p11->C_GetTokenInfo(slots[0], &ti), CKR_OK); /* the first probe: connects */
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	cost_take(&before);
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(p11->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal(p11->C_GetTokenInfo(slots[0], &ti), CKR_OK);
	assert_int_equal(v->UKEY_GetTokenInfoTries(slots[0], &ti, &t), CKR_OK);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	cost_take(&after);
	assert_int_equal(t.ulTriesLeft, 10);
	/* user and SO, once: exactly what the second call added */
	assert_int_equal(after.pin_info - before.pin_info, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_initialize_asks_the_devices_nothing_but_their_list, fresh, fin),
		cmocka_unit_test_setup_teardown(test_startup_listing_reads_no_file_byte, fresh, fin),
		cmocka_unit_test_setup_teardown(test_login_and_one_signature_read_no_file_byte, fresh, fin),
		cmocka_unit_test_setup_teardown(test_seal_values_are_read_once_and_not_again_after_login, fresh, fin),
		cmocka_unit_test_setup_teardown(test_seals_are_found_by_their_first_bytes, fresh, fin),
		cmocka_unit_test_setup_teardown(test_token_info_with_tries_reads_the_counters_once, fresh, fin),
	};
	return cmocka_run_group_tests_name("SKF device cost", tests, group_setup, group_teardown);
}
