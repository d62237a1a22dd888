/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* What a program killed in the middle of an SKF write leaves, and that the
 * next try converges (docs/skf.md, "Interrupted writes"). A container
 * created but still empty (killed between SKF_CreateContainer and the key
 * generation) is generated into by the same C_GenerateKeyPair, not refused
 * for ever; a file created but not yet written is a data object that can
 * be destroyed; the emulator's own leftovers of a killed creation or
 * deletion (hidden names) are never listed and are swept by the next
 * operation of that kind. */

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "testlib.h"
#include "ukey-pkcs11.h"

#include "skf-fixture.h"

static CK_ULONG count_label(CK_SESSION_HANDLE s, const char *label)
{
	CK_ATTRIBUTE t = { CKA_LABEL, (void *)label, strlen(label) };
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = 0;

	assert_int_equal(p11->C_FindObjectsInit(s, &t, 1), CKR_OK);
	assert_int_equal(p11->C_FindObjects(s, h, 4, &n), CKR_OK);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
	return n;
}

static void test_keygen_goes_into_an_empty_container_left_by_a_kill(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_MECHANISM m = { CKM_SM2_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE;
	static const char name[] = "left-empty";
	CK_ATTRIBUTE pub[] = { { CKA_TOKEN, &yes, sizeof(yes) } };
	CK_ATTRIBUTE priv[] = { { CKA_TOKEN, &yes, sizeof(yes) }, { CKA_LABEL, (void *)name, sizeof(name) - 1 } };
	CK_OBJECT_HANDLE hpub, hpriv;

	(void)state;
	/* what SKF_CreateContainer left before the program died */
	assert_int_equal(ukt_system("mkdir '%s/containers/%s'", skf_app, name), 0);
	assert_int_equal(ukt_open(p11, &tok, true, true, &slot, &s), CKR_OK);
	assert_int_equal(count_label(s, "left-empty sign key"), 0);
	assert_int_equal(p11->C_GenerateKeyPair(s, &m, pub, 1, priv, 2, &hpub, &hpriv), CKR_OK);
	assert_int_equal(count_label(s, "left-empty sign key"), 2);
	/* a container that holds anything is never generated into */
	assert_int_equal(p11->C_GenerateKeyPair(s, &m, pub, 1, priv, 2, &hpub, &hpriv), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

static void test_a_file_without_its_content_is_a_data_object_that_can_go(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &data, sizeof(data) }, { CKA_LABEL, "half-seal", 9 } };
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;

	(void)state;
	/* what SKF_CreateFile left before the first SKF_WriteFile */
	assert_int_equal(ukt_system("mkdir '%s/files/half-seal' && head -c 700 /dev/zero >'%s/files/half-seal/data' && "
				    "printf 'size=700\\nread=0xff\\nwrite=0x10\\n' >'%s/files/half-seal/attr'",
				    skf_app, skf_app, skf_app), 0);
	assert_int_equal(ukt_open(p11, &tok, true, true, &slot, &s), CKR_OK);
	assert_int_equal(p11->C_FindObjectsInit(s, t, 2), CKR_OK);
	assert_int_equal(p11->C_FindObjects(s, &h, 1, &n), CKR_OK);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(p11->C_DestroyObject(s, h), CKR_OK);
	assert_int_equal(count_label(s, "half-seal"), 0);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

static void test_hidden_leftovers_of_killed_operations_are_never_listed_and_swept(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &data, sizeof(data) }, { CKA_TOKEN, &yes, sizeof(yes) },
			     { CKA_LABEL, "fresh", 5 }, { CKA_VALUE, "x", 1 } };
	CK_OBJECT_HANDLE h;
	struct stat st;
	char path[900];

	(void)state;
	/* a creation and a deletion cut short by a process that died (a pid
	 * no process can have) */
	assert_int_equal(ukt_system("mkdir -p '%s/files/.new-999999999-1' '%s/files/.gone-999999999-2' && "
				    "mkdir -p '%s/containers/.gone-999999999-3/x'", skf_app, skf_app, skf_app), 0);
	assert_int_equal(ukt_open(p11, &tok, true, true, &slot, &s), CKR_OK);
	assert_int_equal(count_label(s, ".new-999999999-1"), 0);
	assert_int_equal(p11->C_CreateObject(s, t, 4, &h), CKR_OK);
	snprintf(path, sizeof(path), "%s/files/.new-999999999-1", skf_app);
	assert_int_not_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/files/.gone-999999999-2", skf_app);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(p11->C_DestroyObject(s, h), CKR_OK);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_goes_into_an_empty_container_left_by_a_kill),
		cmocka_unit_test(test_a_file_without_its_content_is_a_data_object_that_can_go),
		cmocka_unit_test(test_hidden_leftovers_of_killed_operations_are_never_listed_and_swept),
	};

	return cmocka_run_group_tests_name("skf-converge", tests, group_setup, group_teardown);
}
