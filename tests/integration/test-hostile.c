/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* A hostile or careless caller (issue 12): NULL template values, duplicate
 * and read-only attributes, a search across C_Logout, session key pairs in
 * a read-only session, RSA-PSS parameters that cannot fit the key. Each
 * test failed on the module before the fix (the first three crashed it). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"
#include "ukey-pkcs11.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok;
static char xdg[64];
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS cls_data = CKO_DATA, cls_cert = CKO_CERTIFICATE;

#define ATTR(type, v) { type, (void *)(v), sizeof(*(v)) }
#define STR(type, s) { type, (void *)(s), sizeof(s) - 1 }

static int group_setup(void **state)
{
	(void)state;
	snprintf(xdg, sizeof(xdg), "/tmp/ukt-xdg-XXXXXX");
	if (!mkdtemp(xdg) || setenv("XDG_RUNTIME_DIR", xdg, 1) != 0)
		return -1;
	if (ukt_vkey_create(ukt_is_skf() ? "sm2" : "rsa", &tok) != 0)
		return -1;
	p11 = ukt_module_load(&dl);
	return p11 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ukt_vkey_destroy(&tok);
	ukt_system("rm -rf '%s'", xdg);
	return 0;
}

static int fin(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	return 0;
}

static CK_SESSION_HANDLE open_s(bool rw, bool login, CK_SLOT_ID *slot)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_SLOT_ID sl;
	assert_int_equal(ukt_open(p11, &tok, rw, login, slot ? slot : &sl, &s), CKR_OK);
	return s;
}

static CK_OBJECT_HANDLE session_data(CK_SESSION_HANDLE s, CK_ATTRIBUTE *extra, CK_ULONG nextra)
{
	CK_ATTRIBUTE t[8] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no),
			      STR(CKA_LABEL, "hostile") };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	if (nextra)
		memcpy(t + 4, extra, nextra * sizeof(*extra));
	assert_int_equal(p11->C_CreateObject(s, t, 4 + nextra, &h), CKR_OK);
	return h;
}

/* Defect 1: a NULL value with a length crashed C_FindObjectsInit (memcmp),
 * C_CreateObject and C_SetAttributeValue of session objects. */
static void test_null_value_with_length_is_refused_on_every_template_path(void **state)
{
	CK_SESSION_HANDLE s = open_s(false, false, NULL);
	CK_ATTRIBUTE null_label = { CKA_LABEL, NULL, 5 };
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no), null_label };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, obj = session_data(s, NULL, 0);
	(void)state;
	assert_int_equal(p11->C_FindObjectsInit(s, &null_label, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(p11->C_CreateObject(s, t, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(p11->C_SetAttributeValue(s, obj, &null_label, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	/* NULL with length 0 is an empty value, and a template NULL with a
	 * count is a bad argument. */
	CK_ATTRIBUTE empty = { CKA_LABEL, NULL, 0 };
	assert_int_equal(p11->C_SetAttributeValue(s, obj, &empty, 1), CKR_OK);
	assert_int_equal(p11->C_FindObjectsInit(s, NULL, 2), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

/* Defect 4: the first CKA_PRIVATE decided (public: no login needed), the
 * last was stored (private). Conflicting duplicates are refused now. */
static void test_conflicting_duplicate_attributes_are_template_inconsistent(void **state)
{
	CK_SESSION_HANDLE s = open_s(false, false, NULL);
	CK_ATTRIBUTE priv[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no),
				ATTR(CKA_PRIVATE, &yes), STR(CKA_LABEL, "dup") };
	CK_ATTRIBUTE cls[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_CLASS, &cls_cert), ATTR(CKA_TOKEN, &no),
			       ATTR(CKA_PRIVATE, &no) };
	CK_ATTRIBUTE same[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no),
				ATTR(CKA_PRIVATE, &no) };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	(void)state;
	assert_int_equal(p11->C_CreateObject(s, priv, 5, &h), CKR_TEMPLATE_INCONSISTENT);
	assert_int_equal(p11->C_CreateObject(s, cls, 4, &h), CKR_TEMPLATE_INCONSISTENT);
	assert_int_equal(p11->C_CreateObject(s, same, 4, &h), CKR_OK);
	CK_ATTRIBUTE labels[] = { STR(CKA_LABEL, "one"), STR(CKA_LABEL, "two") };
	assert_int_equal(p11->C_SetAttributeValue(s, h, labels, 2), CKR_TEMPLATE_INCONSISTENT);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

/* Defect 4: CKA_CLASS could be changed on a session data object, and
 * CKA_MODIFIABLE = FALSE did not hold for session objects. */
static void test_session_object_read_only_attributes_and_modifiable_false_hold(void **state)
{
	CK_SESSION_HANDLE s = open_s(false, false, NULL);
	CK_ATTRIBUTE frozen = ATTR(CKA_MODIFIABLE, &no);
	CK_OBJECT_HANDLE h = session_data(s, NULL, 0), f = session_data(s, &frozen, 1);
	CK_ATTRIBUTE cls = ATTR(CKA_CLASS, &cls_cert), tok_attr = ATTR(CKA_TOKEN, &yes);
	CK_ATTRIBUTE label = STR(CKA_LABEL, "renamed");
	CK_OBJECT_CLASS got = 0;
	CK_ATTRIBUTE read = ATTR(CKA_CLASS, &got);
	(void)state;
	assert_int_equal(p11->C_SetAttributeValue(s, h, &cls, 1), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(p11->C_SetAttributeValue(s, h, &tok_attr, 1), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(p11->C_GetAttributeValue(s, h, &read, 1), CKR_OK);
	assert_int_equal(got, CKO_DATA);
	assert_int_equal(p11->C_SetAttributeValue(s, h, &label, 1), CKR_OK);
	assert_int_equal(p11->C_SetAttributeValue(s, f, &label, 1), CKR_ACTION_PROHIBITED);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

/* Defect 4: latching attributes of a private key never go back. */
static void test_sensitive_and_extractable_latch(void **state)
{
	CK_SESSION_HANDLE s = open_s(true, true, NULL);
	CK_OBJECT_HANDLE k;
	CK_ATTRIBUTE sens = ATTR(CKA_SENSITIVE, &no), extr = ATTR(CKA_EXTRACTABLE, &yes);
	(void)state;
	assert_int_equal(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.sign_id, tok.sign_id_len, &k), CKR_OK);
	/* SKF keys say CKA_MODIFIABLE = FALSE: nothing about them changes. */
	CK_RV want = ukt_is_skf() ? CKR_ACTION_PROHIBITED : CKR_ATTRIBUTE_READ_ONLY;
	assert_int_equal(p11->C_SetAttributeValue(s, k, &sens, 1), want);
	assert_int_equal(p11->C_SetAttributeValue(s, k, &extr, 1), want);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

/* Defect 3: a search begun before C_Logout went on handing out the private
 * objects' dead handles. */
static void test_find_begun_before_logout_gives_no_private_handles(void **state)
{
	CK_SESSION_HANDLE s = open_s(false, true, NULL);
	CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = ATTR(CKA_CLASS, &priv);
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;
	(void)state;
	assert_int_equal(p11->C_FindObjectsInit(s, &t, 1), CKR_OK);
	assert_int_equal(p11->C_FindObjects(s, h, 1, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(p11->C_Logout(s), CKR_OK);
	assert_int_equal(p11->C_FindObjects(s, h, 8, &n), CKR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

/* Defect 5: a read-only session may make and use session keys, without
 * login when they are public; the pair dies with the session. */
static void test_read_only_session_makes_and_uses_a_public_session_key_pair(void **state)
{
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = open_s(false, false, &slot), other;
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 }, sig = { CKM_ECDSA, NULL, 0 };
	CK_ATTRIBUTE pub[] = { ATTR(CKA_TOKEN, &no), { CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
			       STR(CKA_LABEL, "session pair") };
	CK_ATTRIBUTE priv[] = { ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no), ATTR(CKA_SIGN, &yes),
				STR(CKA_LABEL, "session pair") };
	CK_OBJECT_HANDLE hp, hk, found;
	CK_BYTE hash[32] = { 1 }, out[128];
	CK_ULONG len = sizeof(out);
	(void)state;
	if (ukt_is_skf()) {
		/* GM/T 0016 keys live in containers: no session keys there. */
		gen.mechanism = CKM_SM2_KEY_PAIR_GEN;
		assert_int_equal(p11->C_GenerateKeyPair(s, &gen, pub, 1, priv, 4, &hp, &hk), CKR_TEMPLATE_INCONSISTENT);
		return;
	}
	assert_int_equal(p11->C_GenerateKeyPair(s, &gen, pub, 3, priv, 4, &hp, &hk), CKR_OK);
	assert_int_equal(p11->C_SignInit(s, &sig, hk), CKR_OK);
	assert_int_equal(p11->C_Sign(s, hash, sizeof(hash), out, &len), CKR_OK);
	assert_int_equal(p11->C_VerifyInit(s, &sig, hp), CKR_OK);
	assert_int_equal(p11->C_Verify(s, hash, sizeof(hash), out, len), CKR_OK);
	/* A private session pair needs the login, not a read-write session. */
	priv[1].pValue = &yes;
	assert_int_equal(p11->C_GenerateKeyPair(s, &gen, pub, 3, priv, 4, &hp, &hk), CKR_USER_NOT_LOGGED_IN);
	/* Gone with its session, on the module and on the device. */
	assert_int_equal(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &other), CKR_OK);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
	CK_ATTRIBUTE lab = STR(CKA_LABEL, "session pair");
	CK_ULONG n = 1;
	assert_int_equal(p11->C_FindObjectsInit(other, &lab, 1), CKR_OK);
	assert_int_equal(p11->C_FindObjects(other, &found, 1, &n), CKR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(p11->C_FindObjectsFinal(other), CKR_OK);
	assert_int_equal(p11->C_CloseSession(other), CKR_OK);
}

/* Defect 7: a PSS salt the key cannot hold was accepted at C_SignInit and
 * failed later with CKR_GENERAL_ERROR. */
static void test_pss_salt_too_long_for_the_key_is_refused_at_sign_init(void **state)
{
	CK_SESSION_HANDLE s = open_s(false, true, NULL);
	CK_RSA_PKCS_PSS_PARAMS p = { CKM_SHA256, CKG_MGF1_SHA256, 256 - 32 - 1 };
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p) };
	CK_OBJECT_HANDLE k;
	(void)state;
	ukt_skip_if(ukt_is_skf(), "SKF has no RSA-PSS");
	assert_int_equal(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.sign_id, tok.sign_id_len, &k), CKR_OK);
	assert_int_equal(p11->C_SignInit(s, &m, k), CKR_MECHANISM_PARAM_INVALID);
	p.sLen = 256 - 32 - 2;   /* the largest that fits a 2048-bit key */
	assert_int_equal(p11->C_SignInit(s, &m, k), CKR_OK);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_null_value_with_length_is_refused_on_every_template_path, fin),
		cmocka_unit_test_teardown(test_conflicting_duplicate_attributes_are_template_inconsistent, fin),
		cmocka_unit_test_teardown(test_session_object_read_only_attributes_and_modifiable_false_hold, fin),
		cmocka_unit_test_teardown(test_sensitive_and_extractable_latch, fin),
		cmocka_unit_test_teardown(test_find_begun_before_logout_gives_no_private_handles, fin),
		cmocka_unit_test_teardown(test_read_only_session_makes_and_uses_a_public_session_key_pair, fin),
		cmocka_unit_test_teardown(test_pss_salt_too_long_for_the_key_is_refused_at_sign_init, fin),
	};
	return cmocka_run_group_tests_name("hostile", tests, group_setup, group_teardown);
}
