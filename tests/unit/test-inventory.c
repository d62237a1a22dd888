/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The inventory cache rule (token/inventory.c), proved by counting the
 * driver calls the token model makes (and which objects and attributes it
 * asks for). The driver is the real p11 driver
 * over a real SoftHSM virtual U-KEY; this test only wraps its vtable with
 * counters, through a link-time seam: it defines ukey_driver_find itself,
 * so the library's registry is not linked in. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/p11/p11.h"
#include "testlib.h"
#include "token/handles.h"
#include "token/model.h"
#include "token/token.h"

static unsigned get_attrs_calls, objects_calls, dev_info_calls;
static struct ukey_driver_ops counting;
static const char *bump_while_listing; /* a serial: another process writes during the next listing */
/* The refs get_attrs was asked about, and those asked for CKA_VALUE. */
#define MAX_ASKED 256
static ukey_ref asked[MAX_ASKED], asked_value[MAX_ASKED];
static unsigned nasked, nasked_value;

static unsigned times_asked(const ukey_ref *log, unsigned n, ukey_ref ref)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		k += log[i] == ref;
	return k;
}

/* What another process's write does: replace the generation file (in a
 * directory made 0700, as the module makes it and requires). */
static void foreign_bump(const char *serial)
{
	assert_int_equal(ukt_system("f=\"$XDG_RUNTIME_DIR/ukey/%s.gen\"; (umask 077 && mkdir -p \"${f%%/*}\") && "
				    "echo other > \"$f.tmp\" && mv \"$f.tmp\" \"$f\"", serial), 0);
}

static CK_RV count_get_attrs(void *drv, ukey_dev_id dev, ukey_ref ref, CK_ATTRIBUTE *t, CK_ULONG n)
{
	get_attrs_calls++;
	if (nasked < MAX_ASKED)
		asked[nasked++] = ref;
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == CKA_VALUE && nasked_value < MAX_ASKED)
			asked_value[nasked_value++] = ref;
	return ukey_driver_p11.get_attrs(drv, dev, ref, t, n);
}

static CK_RV count_dev_info(void *drv, ukey_dev_id dev, struct ukey_dev_info *info)
{
	dev_info_calls++;
	return ukey_driver_p11.dev_info(drv, dev, info);
}

static CK_RV count_objects(void *drv, ukey_dev_id dev, ukey_ref *refs, CK_ULONG *count)
{
	objects_calls++;
	if (bump_while_listing != NULL && refs != NULL) {
		foreign_bump(bump_while_listing);
		bump_while_listing = NULL;
	}
	return ukey_driver_p11.objects(drv, dev, refs, count);
}

const struct ukey_driver_ops *ukey_driver_find(const char *name)
{
	if (strcmp(name, "p11") != 0)
		return NULL;
	counting = ukey_driver_p11;
	counting.get_attrs = count_get_attrs;
	counting.objects = count_objects;
	counting.dev_info = count_dev_info;
	return &counting;
}

struct fixture {
	struct ukt_token tok;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	CK_ULONG n = 1;
	char runtime[] = "/tmp/ukey-inv-XXXXXX";
	if (!f || ukt_vkey_create("rsa", &f->tok) != 0 || !mkdtemp(runtime))
		return -1;
	setenv("XDG_RUNTIME_DIR", runtime, 1);
	if (ukey_module_initialize(NULL) != CKR_OK || ukey_slot_list(true, &f->slot, &n) != CKR_OK || n != 1)
		return -1;
	if (ukey_session_open(f->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, &f->session) != CKR_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ukey_module_finalize();
	ukt_vkey_destroy(&f->tok);
	free(f);
	return 0;
}

static CK_OBJECT_HANDLE find_cert(struct fixture *f, const char *id)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, strlen(id) } };
	CK_OBJECT_HANDLE h = 0;
	CK_ULONG n = 0;
	assert_int_equal(ukey_find_init(f->session, t, 2), CKR_OK);
	assert_int_equal(ukey_find(f->session, &h, 1, &n), CKR_OK);
	assert_int_equal(ukey_find_final(f->session), CKR_OK);
	assert_int_equal(n, 1);
	return h;
}

static void test_public_attributes_are_served_from_memory(void **state)
{
	struct fixture *f = *state;
	CK_OBJECT_HANDLE cert = find_cert(f, "\x01");
	unsigned before = get_attrs_calls;
	char label[64];
	for (int i = 0; i < 200; i++) {
		CK_ATTRIBUTE t[] = { { CKA_LABEL, label, sizeof(label) }, { CKA_VALUE, NULL, 0 } };
		assert_int_equal(ukey_object_get_attrs(f->session, cert, t, 2), CKR_OK);
		assert_true(t[1].ulValueLen > 100);
	}
	assert_int_equal(get_attrs_calls, before);
}

static void test_unknown_attribute_is_asked_once_then_cached(void **state)
{
	struct fixture *f = *state;
	CK_OBJECT_HANDLE cert = find_cert(f, "\x01");
	/* A vendor attribute no cache list holds: NSS asks such things. */
	CK_ATTRIBUTE t = { CKA_VENDOR_DEFINED | 0x4e53, NULL, 0 };
	unsigned before = get_attrs_calls;
	assert_int_equal(ukey_object_get_attrs(f->session, cert, &t, 1), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(t.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	unsigned after_first = get_attrs_calls;
	assert_true(after_first > before);
	assert_int_equal(ukey_object_get_attrs(f->session, cert, &t, 1), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(get_attrs_calls, after_first);
}

static void test_write_through_updates_cache_without_reread(void **state)
{
	struct fixture *f = *state;
	CK_OBJECT_HANDLE cert = find_cert(f, "\x02");
	char label[] = "renamed certificate";
	char got[64];
	CK_ATTRIBUTE set = { CKA_LABEL, label, strlen(label) };
	assert_int_equal(ukey_object_set_attrs(f->session, cert, &set, 1), CKR_OK);
	unsigned before = get_attrs_calls, lists = objects_calls;
	CK_ATTRIBUTE get = { CKA_LABEL, got, sizeof(got) };
	assert_int_equal(ukey_object_get_attrs(f->session, cert, &get, 1), CKR_OK);
	assert_int_equal(get.ulValueLen, strlen(label));
	assert_memory_equal(got, label, strlen(label));
	/* Our own write bumped the generation but must not trigger a reload. */
	find_cert(f, "\x02");
	assert_int_equal(get_attrs_calls, before);
	assert_int_equal(objects_calls, lists);
}

/* The driver reference of an object handle. */
static void handle_ref(CK_OBJECT_HANDLE h, ukey_ref *ref)
{
	struct ukey_object *o;
	ukey_lock();
	o = ukey_handle_get_inlock(h, UKEY_HANDLE_OBJECT);
	*ref = o ? o->ref : (ukey_ref)-1;
	ukey_unlock();
	assert_non_null(o);
}

/* Login lists the objects again and reads only the new ones: the private
 * keys. A public object that did not change is not read again. */
static void test_login_brings_private_objects_without_rereading_public_ones(void **state)
{
	struct fixture *f = *state;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE keys[4], cert = find_cert(f, "\x01");
	CK_ULONG n = 0;
	ukey_ref cert_ref;
	unsigned lists = objects_calls, first;
	assert_int_equal(ukey_find_init(f->session, &t, 1), CKR_OK);
	assert_int_equal(ukey_find(f->session, keys, 4, &n), CKR_OK);
	assert_int_equal(ukey_find_final(f->session), CKR_OK);
	assert_int_equal(n, 0);
	handle_ref(cert, &cert_ref);
	first = nasked;
	assert_int_equal(ukey_login(f->session, CKU_USER, (CK_UTF8CHAR *)f->tok.user_pin, strlen(f->tok.user_pin)),
			 CKR_OK);
	assert_true(objects_calls > lists);
	assert_int_equal(times_asked(asked + first, nasked - first, cert_ref), 0);
	/* Three calls for each of the two private keys: class, sizes, values. */
	assert_int_equal(nasked - first, 6);
	assert_int_equal(ukey_find_init(f->session, &t, 1), CKR_OK);
	assert_int_equal(ukey_find(f->session, keys, 4, &n), CKR_OK);
	assert_int_equal(ukey_find_final(f->session), CKR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(ukey_logout(f->session), CKR_OK);
	/* Their handles die with the logout. */
	CK_ATTRIBUTE l = { CKA_LABEL, NULL, 0 };
	assert_int_equal(ukey_object_get_attrs(f->session, keys[0], &l, 1), CKR_OBJECT_HANDLE_INVALID);
}

/* A data object's CKA_VALUE (a seal: up to 200 KB) is read when a caller
 * asks for it, once; loading the inventory does not read it. */
static void test_data_value_is_read_when_asked_then_cached(void **state)
{
	struct fixture *f = *state;
	static unsigned char value[3000];
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &data, sizeof(data) }, { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &no, 1 },
			     { CKA_LABEL, "lazy", 4 }, { CKA_VALUE, value, sizeof(value) } };
	CK_OBJECT_HANDLE h;
	ukey_ref ref;
	unsigned char got[sizeof(value)];
	CK_ATTRIBUTE v = { CKA_VALUE, got, sizeof(got) };
	memset(value, 'v', sizeof(value));
	assert_int_equal(ukey_object_create(f->session, t, 5, &h), CKR_OK);
	handle_ref(h, &ref);
	assert_int_equal(times_asked(asked_value, nasked_value, ref), 0);
	/* Another process's write: everything is read again, but not it. */
	foreign_bump(f->tok.serial);
	find_cert(f, "\x01");
	assert_int_equal(times_asked(asked_value, nasked_value, ref), 0);
	assert_int_equal(ukey_object_get_attrs(f->session, h, &v, 1), CKR_OK);
	assert_int_equal(v.ulValueLen, sizeof(value));
	assert_memory_equal(got, value, sizeof(value));
	assert_int_equal(times_asked(asked_value, nasked_value, ref), 2);   /* its size, then the value */
	assert_int_equal(ukey_object_get_attrs(f->session, h, &v, 1), CKR_OK);
	assert_int_equal(times_asked(asked_value, nasked_value, ref), 2);
	assert_int_equal(ukey_object_destroy(f->session, h), CKR_OK);
}

static void test_generation_bump_makes_another_instance_reload(void **state)
{
	struct fixture *f = *state;
	unsigned lists = objects_calls;
	find_cert(f, "\x01");
	assert_int_equal(objects_calls, lists);
	foreign_bump(f->tok.serial);
	find_cert(f, "\x01");
	assert_true(objects_calls > lists);
}

/* A change another process makes while we list the objects may be missing
 * from what we loaded: it must not be taken as seen. */
static void test_change_during_a_reload_is_not_taken_as_seen(void **state)
{
	struct fixture *f = *state;
	unsigned lists;
	foreign_bump(f->tok.serial);
	bump_while_listing = f->tok.serial;
	find_cert(f, "\x01"); /* reloads; another bump lands during the listing */
	assert_null(bump_while_listing);
	lists = objects_calls;
	find_cert(f, "\x01");
	assert_true(objects_calls > lists);
	lists = objects_calls;
	find_cert(f, "\x01"); /* now current: no more reloads */
	assert_int_equal(objects_calls, lists);
}

/* Our own write must not hide another process's earlier change. */
static void test_own_write_does_not_hide_a_foreign_change(void **state)
{
	struct fixture *f = *state;
	CK_OBJECT_HANDLE cert = find_cert(f, "\x02");
	char label[] = "renamed again";
	CK_ATTRIBUTE set = { CKA_LABEL, label, strlen(label) };
	unsigned lists;
	foreign_bump(f->tok.serial);
	assert_int_equal(ukey_object_set_attrs(f->session, cert, &set, 1), CKR_OK);
	lists = objects_calls;
	find_cert(f, "\x02");
	assert_true(objects_calls > lists);
}

/* Nothing slow in C_Initialize: the devices are listed, not asked what
 * they are; the inventory is read at a session's first search, not when it
 * opens. */
static void test_initialize_and_open_session_read_nothing(void **state)
{
	struct fixture *f = *state;
	CK_ULONG n = 1;
	ukey_module_finalize();
	get_attrs_calls = objects_calls = dev_info_calls = 0;
	assert_int_equal(ukey_module_initialize(NULL), CKR_OK);
	assert_int_equal(ukey_slot_list(true, &f->slot, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(dev_info_calls + objects_calls + get_attrs_calls, 0);
	assert_int_equal(ukey_session_open(f->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, &f->session), CKR_OK);
	assert_int_equal(dev_info_calls, 1);
	assert_int_equal(objects_calls + get_attrs_calls, 0);
	find_cert(f, "\x01");
	assert_true(objects_calls > 0 && get_attrs_calls > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_attributes_are_served_from_memory),
		cmocka_unit_test(test_unknown_attribute_is_asked_once_then_cached),
		cmocka_unit_test(test_write_through_updates_cache_without_reread),
		cmocka_unit_test(test_login_brings_private_objects_without_rereading_public_ones),
		cmocka_unit_test(test_data_value_is_read_when_asked_then_cached),
		cmocka_unit_test(test_generation_bump_makes_another_instance_reload),
		cmocka_unit_test(test_change_during_a_reload_is_not_taken_as_seen),
		cmocka_unit_test(test_own_write_does_not_hide_a_foreign_change),
		cmocka_unit_test(test_initialize_and_open_session_read_nothing),
	};
	return cmocka_run_group_tests_name("inventory cache", tests, setup, teardown);
}
