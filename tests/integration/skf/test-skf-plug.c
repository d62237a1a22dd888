/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Unplugging and replugging SKF U-KEYs under the module (the emulator's
 * device is a directory: renaming it away is pulling the key out): sessions
 * and slot lists follow, C_WaitForSlotEvent reports the slot, a replugged key
 * is a new insertion (new sessions, login again) and works; a signature
 * loop in another thread survives the unplug; two keys are two slots that
 * sign with their own keys; a forked child uses the module over SKF. */

#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../crypto-check.h"
#include "testlib.h"
#include "ukey-pkcs11.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok, tok2; /* tok2 shares tok's device list */
static char away[700];

static int group_setup(void **state)
{
	(void)state;
	setenv("UKEY_TEST_BACKEND", "skf", 1);
	if (ukt_vkey_create("sm2", &tok) != 0 || ukt_vkey_add(&tok, "rsa", &tok2) != 0)
		return -1;
	snprintf(away, sizeof(away), "%s.unplugged", tok.device);
	p11 = ukt_module_load(&dl);
	return p11 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	rename(away, tok.device);
	ukt_vkey_destroy(&tok2);
	ukt_vkey_destroy(&tok);
	if (dl)
		dlclose(dl);
	return 0;
}

static int fin(void **state)
{
	(void)state;
	rename(away, tok.device); /* a failed test must not leave it out */
	p11->C_Finalize(NULL);
	return 0;
}

static void unplug(void)
{
	assert_int_equal(rename(tok.device, away), 0);
}

static void replug(void)
{
	assert_int_equal(rename(away, tok.device), 0);
}

static bool removed_family(CK_RV rv)
{
	return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SESSION_HANDLE_INVALID ||
	       rv == CKR_SESSION_CLOSED;
}

static CK_ULONG present_slots(void)
{
	CK_ULONG n = 0;

	assert_int_equal(p11->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	return n;
}

/* Signs with the token's signing key and checks the signature with its
 * certificate (OpenSSL); returns the CKR of the signing. */
static CK_RV sign_checked(const struct ukt_token *t, CK_SESSION_HANDLE s)
{
	static const struct ukc_sigmech rsa = { CKM_SHA256_RSA_PKCS, "", UKC_RSA_PKCS, "SHA256", 0, 0, 0 };
	bool is_rsa = strcmp(t->key_type, "rsa") == 0;
	const struct ukc_sigmech *sm = is_rsa ? &rsa : &ukc_sm2_mechs[0];
	CK_MECHANISM m = { sm->mech, NULL, 0 };
	CK_OBJECT_HANDLE key;
	unsigned char msg[100], sig[512];
	CK_ULONG sl = sizeof(sig);
	EVP_PKEY *pk;
	CK_RV rv = ukt_find_one(p11, s, CKO_PRIVATE_KEY, t->sign_id, t->sign_id_len, &key);

	if (rv == CKR_OK)
		rv = p11->C_SignInit(s, &m, key);
	ukc_random(msg, sizeof(msg));
	if (rv == CKR_OK)
		rv = p11->C_Sign(s, msg, sizeof(msg), sig, &sl);
	if (rv != CKR_OK)
		return rv;
	pk = ukc_cert_pubkey(p11, s, t, true);
	assert_non_null(pk);
	assert_int_equal(ukc_verify(pk, sm, NULL, msg, sizeof(msg), sig, sl), 1);
	EVP_PKEY_free(pk);
	return CKR_OK;
}

static void test_unplug_closes_sessions_and_replug_is_a_new_token(void **state)
{
	CK_SESSION_HANDLE s, s2;
	CK_SLOT_ID slot, ev = (CK_SLOT_ID)-1;
	CK_SESSION_INFO si;
	CK_TOKEN_INFO ti;
	CK_OBJECT_HANDLE key;
	CK_MECHANISM m = { CKM_SM3_SM2, NULL, 0 };
	CK_RV rv;

	(void)state;
	assert_int_equal(ukt_open(p11, &tok, false, true, &slot, &s), CKR_OK);
	assert_int_equal(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.sign_id, tok.sign_id_len, &key), CKR_OK);
	assert_int_equal(present_slots(), 2);
	unplug();
	/* C_SignInit may not touch the device (Z is hashed in software); the
	 * signature must fail, at the latest */
	rv = p11->C_SignInit(s, &m, key);
	if (rv == CKR_OK) {
		unsigned char sig[64];
		CK_ULONG sl = sizeof(sig);

		rv = p11->C_Sign(s, (CK_BYTE_PTR) "x", 1, sig, &sl);
	}
	if (!removed_family(rv))
		print_message("# signing after the unplug: 0x%lx\n", (unsigned long)rv);
	assert_true(removed_family(rv));
	rv = p11->C_GetSessionInfo(s, &si);
	assert_true(removed_family(rv));
	assert_int_equal(present_slots(), 1); /* the other key is still there */
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_OK);
	assert_int_equal(ev, slot);
	replug();
	/* consumers rescan with C_GetSlotList (the module polls there) */
	assert_int_equal(present_slots(), 2);
	/* the key may come back in another slot: find it by its medium number */
	assert_int_equal(ukt_slot_of(p11, &tok, &slot), CKR_OK);
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_memory_equal(ti.serialNumber, tok.serial, 16);
	/* the old session died with the old insertion */
	assert_int_equal(p11->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s2), CKR_OK);
	assert_int_equal(p11->C_GetSessionInfo(s2, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION); /* logged out */
	assert_int_equal(p11->C_Login(s2, CKU_USER, (CK_UTF8CHAR_PTR)tok.user_pin, strlen(tok.user_pin)), CKR_OK);
	assert_int_equal(sign_checked(&tok, s2), CKR_OK);
}

struct signer {
	CK_SESSION_HANDLE s;
	atomic_int done, ok;
	CK_RV last;
};

static void *sign_loop(void *arg)
{
	struct signer *g = arg;

	for (int i = 0; i < 100000 && !atomic_load(&g->done); i++) {
		CK_RV rv = sign_checked(&tok, g->s);

		if (rv != CKR_OK) {
			g->last = rv;
			break;
		}
		atomic_fetch_add(&g->ok, 1);
	}
	return NULL;
}

static void test_unplug_during_a_signature_loop_fails_cleanly_and_replug_works(void **state)
{
	struct signer g = { 0 };
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	pthread_t th;

	(void)state;
	assert_int_equal(ukt_open(p11, &tok, false, true, &slot, &g.s), CKR_OK);
	assert_int_equal(pthread_create(&th, NULL, sign_loop, &g), 0);
	while (atomic_load(&g.ok) < 5 && g.last == CKR_OK)
		usleep(1000);
	unplug();
	usleep(100000);
	atomic_store(&g.done, 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	if (g.last != CKR_OK)
		print_message("# signer stopped after %d signatures with 0x%lx\n", atomic_load(&g.ok),
			      (unsigned long)g.last);
	assert_true(atomic_load(&g.ok) >= 5);
	assert_true(removed_family(g.last));
	replug();
	assert_int_equal(ukt_open(p11, &tok, false, true, &slot, &s), CKR_OK);
	assert_int_equal(sign_checked(&tok, s), CKR_OK);
}

static void test_two_keys_are_two_slots_each_signing_with_its_own_key(void **state)
{
	CK_SESSION_HANDLE s1, s2;
	CK_SLOT_ID a, b;
	CK_TOKEN_INFO t1, t2;

	(void)state;
	assert_int_equal(ukt_open(p11, &tok, false, true, &a, &s1), CKR_OK);
	assert_int_equal(ukt_open(p11, &tok2, false, true, &b, &s2), CKR_OK);
	assert_true(a != b);
	assert_int_equal(p11->C_GetTokenInfo(a, &t1), CKR_OK);
	assert_int_equal(p11->C_GetTokenInfo(b, &t2), CKR_OK);
	assert_memory_not_equal(t1.serialNumber, t2.serialNumber, 16);
	assert_memory_equal(t1.serialNumber, tok.serial, 16);
	assert_memory_equal(t2.serialNumber, tok2.serial, 16);
	assert_int_equal(sign_checked(&tok, s1), CKR_OK);
	assert_int_equal(sign_checked(&tok2, s2), CKR_OK);
}

static int child(void)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_INFO info;

	if (p11->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED)
		return 2;
	if (ukt_open(p11, &tok2, false, true, &slot, &s) != CKR_OK)
		return 3;
	if (sign_checked(&tok2, s) != CKR_OK)
		return 4;
	return p11->C_Finalize(NULL) == CKR_OK ? 0 : 5;
}

static void test_forked_child_reinitialises_and_signs_over_skf(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	pid_t pid;
	int st = 0;

	(void)state;
	assert_int_equal(ukt_open(p11, &tok2, false, true, &slot, &s), CKR_OK);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* the parent's session and login survived the child */
	assert_int_equal(sign_checked(&tok2, s), CKR_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_unplug_closes_sessions_and_replug_is_a_new_token, fin),
		cmocka_unit_test_teardown(test_unplug_during_a_signature_loop_fails_cleanly_and_replug_works, fin),
		cmocka_unit_test_teardown(test_two_keys_are_two_slots_each_signing_with_its_own_key, fin),
		cmocka_unit_test_teardown(test_forked_child_reinitialises_and_signs_over_skf, fin),
	};

	return cmocka_run_group_tests_name("skf-plug", tests, group_setup, group_teardown);
}
