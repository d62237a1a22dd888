/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for an object's cached attributes (module/token/attr.c) on a
 * hand-built struct ukey_object: values are copied in, replaced in place,
 * markers record "sensitive" and "invalid", and the typed readers fall back
 * to the caller's default whenever the cached value is not of their type. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "token/attr.h"
#include "token/inventory.h"
#include "token/model.h"

static int setup(void **state)
{
	struct ukey_object *obj = calloc(1, sizeof(*obj));
	if (!obj)
		return -1;
	*state = obj;
	return 0;
}

/* Frees by hand rather than with ukey_object_free, so this test depends on
 * attr.c alone. */
static int teardown(void **state)
{
	struct ukey_object *obj = *state;
	for (CK_ULONG i = 0; i < obj->nattrs; i++)
		free(obj->attrs[i].value);
	free(obj->attrs);
	free(obj);
	return 0;
}

static void set_ok(struct ukey_object *obj, CK_ATTRIBUTE_TYPE t, const void *v, CK_ULONG len, bool sens)
{
	assert_int_equal(ukey_object_attr_set(obj, t, v, len, sens), CKR_OK);
}

static void absent_attribute_is_null_and_readers_give_default(void **state)
{
	struct ukey_object *obj = *state;
	assert_null(ukey_object_attr(obj, CKA_LABEL));
	assert_true(ukey_object_bool(obj, CKA_TOKEN, true));
	assert_false(ukey_object_bool(obj, CKA_TOKEN, false));
	assert_int_equal(ukey_object_ulong(obj, CKA_CLASS, 12345), 12345);
}

static void added_value_is_a_copy(void **state)
{
	struct ukey_object *obj = *state;
	char label[] = "signing key";
	set_ok(obj, CKA_LABEL, label, sizeof(label) - 1, false);
	memset(label, 'X', sizeof(label) - 1);

	const struct ukey_attr *a = ukey_object_attr(obj, CKA_LABEL);
	assert_non_null(a);
	assert_int_equal(obj->nattrs, 1);
	assert_int_equal(a->type, CKA_LABEL);
	assert_int_equal(a->len, 11);
	assert_false(a->sensitive);
	assert_ptr_not_equal(a->value, label);
	assert_memory_equal(a->value, "signing key", 11);
}

static void several_types_are_kept_apart(void **state)
{
	struct ukey_object *obj = *state;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char id[] = { 0x01, 0x02, 0x03 };
	set_ok(obj, CKA_CLASS, &cls, sizeof(cls), false);
	set_ok(obj, CKA_KEY_TYPE, &kt, sizeof(kt), false);
	set_ok(obj, CKA_SIGN, &yes, sizeof(yes), false);
	set_ok(obj, CKA_DECRYPT, &no, sizeof(no), false);
	set_ok(obj, CKA_ID, id, sizeof(id), false);
	assert_int_equal(obj->nattrs, 5);

	assert_int_equal(ukey_object_ulong(obj, CKA_CLASS, 999), CKO_PRIVATE_KEY);
	assert_int_equal(ukey_object_ulong(obj, CKA_KEY_TYPE, 999), CKK_EC);
	assert_true(ukey_object_bool(obj, CKA_SIGN, false));
	assert_false(ukey_object_bool(obj, CKA_DECRYPT, true));
	const struct ukey_attr *a = ukey_object_attr(obj, CKA_ID);
	assert_non_null(a);
	assert_int_equal(a->len, 3);
	assert_memory_equal(a->value, id, 3);
	assert_null(ukey_object_attr(obj, CKA_LABEL));
}

static void setting_again_replaces_in_place(void **state)
{
	struct ukey_object *obj = *state;
	CK_ULONG bits = 2048;
	set_ok(obj, CKA_LABEL, "old", 3, false);
	set_ok(obj, CKA_MODULUS_BITS, &bits, sizeof(bits), false);
	set_ok(obj, CKA_LABEL, "a much longer new label", 23, false);
	bits = 3072;
	set_ok(obj, CKA_MODULUS_BITS, &bits, sizeof(bits), false);

	assert_int_equal(obj->nattrs, 2);
	const struct ukey_attr *a = ukey_object_attr(obj, CKA_LABEL);
	assert_int_equal(a->len, 23);
	assert_memory_equal(a->value, "a much longer new label", 23);
	assert_int_equal(ukey_object_ulong(obj, CKA_MODULUS_BITS, 0), 3072);

	set_ok(obj, CKA_LABEL, "x", 1, false);
	a = ukey_object_attr(obj, CKA_LABEL);
	assert_int_equal(a->len, 1);
	assert_memory_equal(a->value, "x", 1);
	assert_int_equal(obj->nattrs, 2);
}

static void empty_value_is_present_with_length_zero(void **state)
{
	struct ukey_object *obj = *state;
	set_ok(obj, CKA_LABEL, "", 0, false);
	const struct ukey_attr *a = ukey_object_attr(obj, CKA_LABEL);
	assert_non_null(a);
	assert_int_equal(a->len, 0);
	assert_false(a->sensitive);
}

static void sensitive_marker_has_no_value(void **state)
{
	struct ukey_object *obj = *state;
	set_ok(obj, CKA_PRIVATE_EXPONENT, NULL, CK_UNAVAILABLE_INFORMATION, true);
	const struct ukey_attr *a = ukey_object_attr(obj, CKA_PRIVATE_EXPONENT);
	assert_non_null(a);
	assert_int_equal(a->len, CK_UNAVAILABLE_INFORMATION);
	assert_true(a->sensitive);
	assert_null(a->value);
}

static void invalid_marker_is_not_sensitive(void **state)
{
	struct ukey_object *obj = *state;
	set_ok(obj, CKA_MODULUS, NULL, CK_UNAVAILABLE_INFORMATION, false);
	const struct ukey_attr *a = ukey_object_attr(obj, CKA_MODULUS);
	assert_non_null(a);
	assert_int_equal(a->len, CK_UNAVAILABLE_INFORMATION);
	assert_false(a->sensitive);
	assert_null(a->value);
}

/* The sensitive flag describes a refusal: once a real value is cached (or
 * a value is replaced by a marker), the entry must say so. */
static void marker_and_value_replace_each_other(void **state)
{
	struct ukey_object *obj = *state;
	CK_BBOOL yes = CK_TRUE;
	set_ok(obj, CKA_VALUE, NULL, CK_UNAVAILABLE_INFORMATION, true);
	set_ok(obj, CKA_VALUE, "\x30\x03\x02\x01\x05", 5, false);
	const struct ukey_attr *a = ukey_object_attr(obj, CKA_VALUE);
	assert_int_equal(a->len, 5);
	assert_false(a->sensitive);
	assert_memory_equal(a->value, "\x30\x03\x02\x01\x05", 5);

	set_ok(obj, CKA_EXTRACTABLE, &yes, sizeof(yes), false);
	set_ok(obj, CKA_EXTRACTABLE, NULL, CK_UNAVAILABLE_INFORMATION, true);
	a = ukey_object_attr(obj, CKA_EXTRACTABLE);
	assert_int_equal(a->len, CK_UNAVAILABLE_INFORMATION);
	assert_true(a->sensitive);
	assert_null(a->value);
	assert_int_equal(obj->nattrs, 2);
}

static void readers_give_default_for_markers(void **state)
{
	struct ukey_object *obj = *state;
	set_ok(obj, CKA_SENSITIVE, NULL, CK_UNAVAILABLE_INFORMATION, true);
	set_ok(obj, CKA_MODULUS_BITS, NULL, CK_UNAVAILABLE_INFORMATION, false);
	assert_true(ukey_object_bool(obj, CKA_SENSITIVE, true));
	assert_false(ukey_object_bool(obj, CKA_SENSITIVE, false));
	assert_int_equal(ukey_object_ulong(obj, CKA_MODULUS_BITS, 77), 77);
}

static void wrong_size_values_give_default(void **state)
{
	struct ukey_object *obj = *state;
	CK_ULONG four_bytes_short = 1;
	CK_BBOOL one_byte = CK_TRUE;
	CK_ULONG as_ulong = CK_TRUE;
	/* A CK_BBOOL stored where a CK_ULONG is expected and vice versa. */
	set_ok(obj, CKA_CLASS, &one_byte, sizeof(one_byte), false);
	set_ok(obj, CKA_TOKEN, &as_ulong, sizeof(as_ulong), false);
	set_ok(obj, CKA_KEY_TYPE, &four_bytes_short, 4, false);
	set_ok(obj, CKA_PRIVATE, "", 0, false);
	assert_int_equal(ukey_object_ulong(obj, CKA_CLASS, 42), 42);
	assert_false(ukey_object_bool(obj, CKA_TOKEN, false));
	assert_true(ukey_object_bool(obj, CKA_TOKEN, true));
	assert_int_equal(ukey_object_ulong(obj, CKA_KEY_TYPE, 43), 43);
	assert_true(ukey_object_bool(obj, CKA_PRIVATE, true));
	assert_false(ukey_object_bool(obj, CKA_PRIVATE, false));
}

static void bool_reads_any_nonzero_byte_as_true(void **state)
{
	struct ukey_object *obj = *state;
	CK_BBOOL odd = 0x02;
	set_ok(obj, CKA_VERIFY, &odd, sizeof(odd), false);
	assert_true(ukey_object_bool(obj, CKA_VERIFY, false));
}

static void many_attributes_grow_the_array(void **state)
{
	struct ukey_object *obj = *state;
	for (CK_ULONG t = 0; t < 200; t++)
		set_ok(obj, CKA_VENDOR_DEFINED + t, &t, sizeof(t), false);
	assert_int_equal(obj->nattrs, 200);
	for (CK_ULONG t = 0; t < 200; t++)
		assert_int_equal(ukey_object_ulong(obj, CKA_VENDOR_DEFINED + t, 9999), t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(absent_attribute_is_null_and_readers_give_default),
		T(added_value_is_a_copy),
		T(several_types_are_kept_apart),
		T(setting_again_replaces_in_place),
		T(empty_value_is_present_with_length_zero),
		T(sensitive_marker_has_no_value),
		T(invalid_marker_is_not_sensitive),
		T(marker_and_value_replace_each_other),
		T(readers_give_default_for_markers),
		T(wrong_size_values_give_default),
		T(bool_reads_any_nonzero_byte_as_true),
		T(many_attributes_grow_the_array),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
