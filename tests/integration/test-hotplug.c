/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Keys plugged and pulled while the module runs: C_WaitForSlotEvent,
 * blocking and with CKF_DONT_BLOCK; C_Finalize waking a blocked waiter; a
 * key that comes back takes its old slot id, a different key a new one
 * (docs/architecture.md, "Slots"); the backend's own event wait is used
 * where it has one, and polling where it has not.
 *
 * p11: the keys are SoftHSM tokens behind tests/lib/p11-readers.c, a
 * library with reader slots and a blocking C_WaitForSlotEvent (SoftHSM has
 * neither); a key moves from reader to reader as on a desk. The polled case
 * is SoftHSM itself, where a token appears when it is initialised. skf: the
 * emulator's devices are directories, renamed away to pull a key out; its
 * SKF_WaitForDevEvent is counted by its call meter. */

#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "ukey-pkcs11.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token ka, kb; /* ka is in at C_Initialize; kb comes later */
static char plug_path[700], waits_path[700], cost_path[700], conf_readers[700], conf_polled[700];
static int reader_of[2] = { -1, -1 }; /* p11: the reader each key is in */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(path, 0600);
}

/* ---- keys in and out ---- */

static char *away(const struct ukt_token *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s.out", t->device);
	return buf;
}

/* p11: the plug file from reader_of (atomically: the library reads it at
 * any moment). */
static void write_plug(void)
{
	char text[200] = "", tmp[720];
	const struct ukt_token *k[2] = { &ka, &kb };
	for (int i = 0; i < 2; i++)
		if (reader_of[i] >= 0)
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "%d %.16s\n", reader_of[i],
				 k[i]->serial);
	snprintf(tmp, sizeof(tmp), "%s.new", plug_path);
	assert_int_equal(write_file(tmp, text), 0);
	assert_int_equal(rename(tmp, plug_path), 0);
}

/* Puts key i (0 ka, 1 kb) in reader `reader` (p11) or its place (skf). */
static void plug(int i, int reader)
{
	const struct ukt_token *t = i ? &kb : &ka;
	char out[720];
	if (ukt_is_skf()) {
		assert_int_equal(rename(away(t, out, sizeof(out)), t->device), 0);
		return;
	}
	reader_of[i] = reader;
	write_plug();
}

static void pull(int i)
{
	const struct ukt_token *t = i ? &kb : &ka;
	char out[720];
	if (ukt_is_skf()) {
		assert_int_equal(rename(t->device, away(t, out, sizeof(out))), 0);
		return;
	}
	reader_of[i] = -1;
	write_plug();
}

/* Both keys as at the start: ka in (reader 0), kb out. */
static void reset_keys(void)
{
	char out[720];
	if (ukt_is_skf()) {
		(void)rename(away(&ka, out, sizeof(out)), ka.device);
		if (access(kb.device, F_OK) == 0)
			(void)rename(kb.device, away(&kb, out, sizeof(out)));
	} else {
		reader_of[0] = 0;
		reader_of[1] = -1;
		write_plug();
	}
}

/* ---- a waiter in another thread ---- */

struct waiter {
	pthread_t th;
	CK_FLAGS flags;
	CK_SLOT_ID slot;
	CK_RV rv;
	atomic_int done;
	double ended;
	bool running;
};
static struct waiter w0;

static void *wait_main(void *arg)
{
	struct waiter *w = arg;
	w->rv = p11->C_WaitForSlotEvent(w->flags, &w->slot, NULL);
	w->ended = now_s();
	atomic_store(&w->done, 1);
	return NULL;
}

static void wait_start(struct waiter *w)
{
	memset(w, 0, sizeof(*w));
	w->slot = (CK_SLOT_ID)-1;
	assert_int_equal(pthread_create(&w->th, NULL, wait_main, w), 0);
	w->running = true;
	usleep(300000); /* let it block */
}

/* The waiter's answer within secs; fails the test when there is none. */
static CK_RV wait_end(struct waiter *w, double secs, CK_SLOT_ID *slot)
{
	double until = now_s() + secs;
	while (!atomic_load(&w->done) && now_s() < until)
		usleep(20000);
	if (!atomic_load(&w->done))
		print_error("# C_WaitForSlotEvent did not return within %.0f s\n", secs);
	assert_true(atomic_load(&w->done));
	pthread_join(w->th, NULL);
	w->running = false;
	if (slot)
		*slot = w->slot;
	return w->rv;
}

/* One slot event, from a blocking wait started before change() runs. */
static CK_SLOT_ID event_after(void (*change)(int, int), int i, int reader)
{
	CK_SLOT_ID slot;
	wait_start(&w0);
	change(i, reader);
	assert_int_equal(wait_end(&w0, 20, &slot), CKR_OK);
	return slot;
}

static void pull2(int i, int reader)
{
	(void)reader;
	pull(i);
}

/* ---- helpers on the module ---- */

static bool present(CK_SLOT_ID slot)
{
	CK_SLOT_INFO si;
	assert_int_equal(p11->C_GetSlotInfo(slot, &si), CKR_OK);
	return (si.flags & CKF_TOKEN_PRESENT) != 0;
}

static void assert_serial(CK_SLOT_ID slot, const struct ukt_token *t)
{
	CK_TOKEN_INFO ti;
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_memory_equal(ti.serialNumber, t->serial, strlen(t->serial));
}

/* The emulator's meter: SKF_WaitForDevEvent calls since the last look. */
static unsigned long dev_event_waits(void)
{
	char line[256], name[64];
	unsigned long long n, in, out, apdus, sum = 0;
	FILE *f = fopen(cost_path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu %llu %llu %llu", name, &n, &in, &out, &apdus) == 5 &&
		    strcmp(name, "SKF_WaitForDevEvent") == 0)
			sum += n;
	if (f)
		fclose(f);
	unlink(cost_path);
	return (unsigned long)sum;
}

static unsigned long forwarded_waits(void)
{
	char line[32];
	unsigned long n = 0;
	FILE *f = fopen(waits_path, "r");
	while (f && fgets(line, sizeof(line), f))
		n += strcmp(line, "wait\n") == 0;
	if (f)
		fclose(f);
	unlink(waits_path);
	return n;
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	const char *bld = getenv("UKEY_TOP_BUILDDIR");
	char text[1400], out[720];
	(void)state;
	if (!bld)
		bld = UKEY_TOP_BUILDDIR;
	if (ukt_vkey_create(ukt_is_skf() ? "sm2" : "rsa", &ka) != 0 || ukt_vkey_add(&ka, "rsa", &kb) != 0 ||
	    ukt_vkey_use(&ka) != 0)
		return -1;
	if (ukt_is_skf()) {
		snprintf(cost_path, sizeof(cost_path), "%s/cost", ka.dir);
		setenv("UKEY_SKF_EMU_COST", cost_path, 1);
		snprintf(conf_polled, sizeof(conf_polled), "%s/polled.conf", ka.dir);
		snprintf(text, sizeof(text), "[backend skf]\ndriver = skf\nlibrary = %s/emulator/.libs/libukey-skf-emu.so\n"
			 "quirks = no-wait-for-dev-event\n", bld);
		if (write_file(conf_polled, text) != 0 || rename(kb.device, away(&kb, out, sizeof(out))) != 0)
			return -1;
		snprintf(conf_readers, sizeof(conf_readers), "%s", ka.conf);
	} else {
		snprintf(plug_path, sizeof(plug_path), "%s/plug", ka.dir);
		snprintf(waits_path, sizeof(waits_path), "%s/waits", ka.dir);
		snprintf(conf_readers, sizeof(conf_readers), "%s/readers.conf", ka.dir);
		snprintf(text, sizeof(text), "[backend readers]\ndriver = p11\nlibrary = %s/tests/lib/.libs/libukey-readers.so\n",
			 bld);
		if (write_file(conf_readers, text) != 0)
			return -1;
		snprintf(conf_polled, sizeof(conf_polled), "%s", ka.conf);
		setenv("UKEY_READERS_LIB", ukt_softhsm_path(), 1);
		setenv("UKEY_READERS_PLUG", plug_path, 1);
		setenv("UKEY_READERS_LOG", waits_path, 1);
	}
	p11 = ukt_module_load(&dl);
	return p11 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	reset_keys();
	unsetenv("UKEY_SKF_EMU_COST");
	ukt_vkey_destroy(&kb);
	ukt_vkey_destroy(&ka);
	if (dl)
		dlclose(dl);
	return 0;
}

/* ka in, kb out, the module initialised over the backend with events. */
static int init_readers(void **state)
{
	(void)state;
	reset_keys();
	setenv("UKEY_PKCS11_CONF", conf_readers, 1);
	unlink(cost_path);
	unlink(waits_path);
	return p11->C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

static int init_polled(void **state)
{
	(void)state;
	reset_keys();
	setenv("UKEY_PKCS11_CONF", conf_polled, 1);
	unlink(cost_path);
	return p11->C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

/* C_Finalize also wakes a waiter a failed test left behind. */
static int fin(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	if (w0.running)
		pthread_join(w0.th, NULL);
	w0.running = false;
	return 0;
}

static CK_SLOT_ID slot_of(const struct ukt_token *t)
{
	CK_SLOT_ID slot;
	assert_int_equal(ukt_slot_of(p11, t, &slot), CKR_OK);
	return slot;
}

/* ---- the tests ---- */

static void test_dont_block_reports_each_change_once(void **state)
{
	CK_SLOT_ID a = slot_of(&ka), ev = (CK_SLOT_ID)-1;
	CK_RV rv = CKR_NO_EVENT;
	(void)state;
	/* a key inserted before C_Initialize is no event */
	assert_int_equal(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
	pull(0);
	for (int i = 0; i < 50 && rv == CKR_NO_EVENT; i++) {
		rv = p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL);
		if (rv == CKR_NO_EVENT)
			usleep(100000);
	}
	assert_int_equal(rv, CKR_OK);
	assert_int_equal(ev, a);
	assert_false(present(a));
	assert_int_equal(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
}

static void test_blocking_wait_sees_a_key_leave_and_come_back_in_its_slot(void **state)
{
	CK_SLOT_ID a = slot_of(&ka);
	(void)state;
	assert_int_equal(event_after(pull2, 0, 0), a);
	assert_false(present(a));
	assert_int_equal(p11->C_GetTokenInfo(a, &(CK_TOKEN_INFO){ 0 }), CKR_TOKEN_NOT_PRESENT);
	/* p11: into another reader, so the backend's slot differs */
	assert_int_equal(event_after(plug, 0, 2), a);
	assert_true(present(a));
	assert_serial(a, &ka);
	assert_int_equal(slot_of(&ka), a);
}

static void test_a_different_key_gets_a_different_slot(void **state)
{
	CK_SLOT_ID a = slot_of(&ka), b;
	CK_SESSION_HANDLE s;
	(void)state;
	assert_int_equal(event_after(pull2, 0, 0), a);
	/* p11: the other key into the very reader ka left */
	b = event_after(plug, 1, 0);
	assert_true(b != a);
	assert_true(present(b));
	assert_false(present(a));
	assert_serial(b, &kb);
	/* ka back, in another reader: its old slot again, kb's untouched */
	assert_int_equal(event_after(plug, 0, 1), a);
	assert_serial(a, &ka);
	assert_serial(b, &kb);
	assert_int_equal(ukt_open(p11, &kb, false, true, NULL, &s), CKR_OK);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

static void test_finalize_wakes_a_blocked_waiter_at_once(void **state)
{
	double t0;
	(void)state;
	wait_start(&w0);
	t0 = now_s();
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	assert_true(now_s() - t0 < 3.0);
	assert_int_equal(wait_end(&w0, 3, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_true(w0.ended - t0 < 3.0);
	/* and the module starts again */
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
}

/* The event came from the backend's own wait, not from polling. */
static void test_the_backends_own_wait_is_used(void **state)
{
	(void)state;
	assert_int_equal(event_after(pull2, 0, 0), slot_of(&ka));
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	if (ukt_is_skf())
		assert_true(dev_event_waits() > 0);
	else
		assert_true(forwarded_waits() > 0);
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
}

/* skf: no-wait-for-dev-event; p11: SoftHSM, whose C_WaitForSlotEvent does
 * not block. A blocking wait polls and still sees the key arrive. */
static void test_a_backend_without_events_is_polled(void **state)
{
	CK_SLOT_ID ev;
	(void)state;
	if (ukt_is_skf()) {
		CK_SLOT_ID a = slot_of(&ka);
		assert_int_equal(event_after(pull2, 0, 0), a);
		ev = event_after(plug, 0, 0);
		assert_int_equal(ev, a);
		assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
		assert_int_equal(dev_event_waits(), 0);
		assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
		return;
	}
	/* SoftHSM in this process is the module's backend: a token it
	 * initialises now is a key inserted */
	void *h = dlopen(ukt_softhsm_path(), RTLD_NOW | RTLD_LOCAL);
	CK_C_GetFunctionList get = h ? (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList") : NULL;
	CK_FUNCTION_LIST *hsm = NULL;
	CK_SLOT_ID slots[16], blank = (CK_SLOT_ID)-1;
	CK_ULONG n = 16;
	CK_UTF8CHAR label[32];
	CK_TOKEN_INFO ti;
	assert_non_null(get);
	assert_int_equal(get(&hsm), CKR_OK);
	assert_int_equal(hsm->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (CK_ULONG i = 0; i < n; i++)
		if (hsm->C_GetTokenInfo(slots[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED))
			blank = slots[i];
	assert_true(blank != (CK_SLOT_ID)-1);
	memset(label, ' ', sizeof(label));
	memcpy(label, "Hotplugged", 10);
	wait_start(&w0);
	assert_int_equal(hsm->C_InitToken(blank, (CK_UTF8CHAR_PTR)ka.so_pin, strlen(ka.so_pin), label), CKR_OK);
	assert_int_equal(wait_end(&w0, 20, &ev), CKR_OK);
	assert_true(ev != slot_of(&ka));
	assert_int_equal(p11->C_GetTokenInfo(ev, &ti), CKR_OK);
	assert_memory_equal(ti.label, label, sizeof(label));
	dlclose(h);
}

#define READERS(f) cmocka_unit_test_setup_teardown(f, init_readers, fin)

int main(void)
{
	const struct CMUnitTest tests[] = {
		READERS(test_dont_block_reports_each_change_once),
		READERS(test_blocking_wait_sees_a_key_leave_and_come_back_in_its_slot),
		READERS(test_a_different_key_gets_a_different_slot),
		READERS(test_finalize_wakes_a_blocked_waiter_at_once),
		READERS(test_the_backends_own_wait_is_used),
		cmocka_unit_test_setup_teardown(test_a_backend_without_events_is_polled, init_polled, fin),
	};
	return cmocka_run_group_tests_name("hotplug", tests, group_setup, group_teardown);
}
