/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the mechanism table (module/token/mech.c): the table is
 * self-consistent (every software hash exists in OpenSSL and matches the
 * PKCS#11 hash it names), the list offered on a slot follows the slot's
 * backend mechanisms with two-call sizing, and C_GetMechanismInfo reports
 * our flags with the backend's key sizes — the latter against a real
 * SoftHSM token reached through the real p11 driver, which has no SM2, so
 * of the SM2/SM3 family only the software CKM_SM3 shows there. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token/crypto.h"
#include "token/model.h"
#include "token/slot.h"

static bool in_list(const CK_MECHANISM_TYPE *list, CK_ULONG n, CK_MECHANISM_TYPE t)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (list[i] == t)
			return true;
	return false;
}

static void every_hash_entry_has_an_openssl_digest(void **state)
{
	size_t n;
	const struct ukey_mech *t = ukey_mech_table(&n);
	(void)state;
	assert_true(n >= 30);
	for (size_t i = 0; i < n; i++) {
		bool hashes = t[i].soft == UKEY_SOFT_DIGESTINFO || t[i].soft == UKEY_SOFT_HASH ||
			      t[i].soft == UKEY_SOFT_DIGEST || t[i].soft == UKEY_SOFT_SM2_Z;
		assert_int_equal(hashes, t[i].digest != NULL);
		if (!t[i].digest)
			continue;
		EVP_MD *md = EVP_MD_fetch(NULL, t[i].digest, NULL);
		assert_non_null(md);
		/* The name in the table and the PKCS#11 hash must agree. */
		EVP_MD *named = EVP_MD_fetch(NULL, ukey_hash_name(t[i].hash), NULL);
		assert_non_null(named);
		assert_int_equal(EVP_MD_get_type(md), EVP_MD_get_type(named));
		EVP_MD_free(named);
		EVP_MD_free(md);
	}
}

static void types_are_unique_and_lookup_finds_each(void **state)
{
	size_t n;
	const struct ukey_mech *t = ukey_mech_table(&n);
	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(ukey_mech_lookup(t[i].type), &t[i]);
		for (size_t j = i + 1; j < n; j++)
			assert_true(t[i].type != t[j].type);
	}
	assert_null(ukey_mech_lookup(CKM_MD5));
	assert_null(ukey_mech_lookup(CKM_AES_CBC));
	assert_null(ukey_mech_lookup(CKM_VENDOR_DEFINED | 0x1234));
}

static void flags_fit_the_kind_of_entry(void **state)
{
	size_t n;
	const struct ukey_mech *t = ukey_mech_table(&n);
	(void)state;
	for (size_t i = 0; i < n; i++) {
		CK_FLAGS ops = t[i].flags & (CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT | CKF_DIGEST |
					     CKF_GENERATE_KEY_PAIR);
		/* The envelope import only unwraps; its key type is the unwrapping key's. */
		if (t[i].type == CKM_UKEY_ENVELOPED_KEY_PAIR) {
			assert_int_equal(t[i].flags, CKF_UNWRAP);
			continue;
		}
		assert_true(ops != 0);
		if (t[i].soft == UKEY_SOFT_DIGEST) {
			assert_int_equal(ops, CKF_DIGEST);
			assert_int_equal(t[i].key_type, UKEY_KEY_TYPE_NONE);
		} else {
			assert_true(t[i].key_type == CKK_RSA || t[i].key_type == CKK_EC || t[i].key_type == CKK_SM2);
			assert_int_equal(ops & CKF_DIGEST, 0);
		}
		if (t[i].soft == UKEY_SOFT_KEYGEN)
			assert_int_equal(ops, CKF_GENERATE_KEY_PAIR);
		if (t[i].key_type == CKK_EC) {
			assert_true(t[i].flags & CKF_EC_F_P);
			assert_true(t[i].flags & CKF_EC_NAMEDCURVE);
			assert_true(t[i].flags & CKF_EC_UNCOMPRESS);
		}
		/* Hash-and-sign entries must land on a raw backend mechanism. */
		if (t[i].soft == UKEY_SOFT_DIGESTINFO)
			assert_int_equal(t[i].backend, CKM_RSA_PKCS);
		if (t[i].soft == UKEY_SOFT_HASH)
			assert_true(t[i].backend == CKM_RSA_PKCS_PSS || t[i].backend == CKM_ECDSA);
		/* SM2 is one curve, not ECDSA: no EC capability flags, and
		 * SM3-SM2 lands on raw SM2 with SM3. */
		if (t[i].key_type == CKK_SM2)
			assert_int_equal(t[i].flags & (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS), 0);
		if (t[i].soft == UKEY_SOFT_SM2_Z) {
			assert_int_equal(t[i].backend, CKM_SM2);
			assert_string_equal(t[i].digest, "SM3");
		}
	}
	assert_int_equal(ukey_mech_lookup(CKM_ECDSA_SHA256)->flags & (CKF_SIGN | CKF_VERIFY),
			 CKF_SIGN | CKF_VERIFY);
	assert_int_equal(ukey_mech_lookup(CKM_RSA_PKCS_OAEP)->flags & (CKF_SIGN | CKF_ENCRYPT | CKF_DECRYPT),
			 CKF_ENCRYPT | CKF_DECRYPT);
}

static void sm2_entries_match_the_published_numbers(void **state)
{
	const struct ukey_mech *m;
	(void)state;
	/* The vendor-defined values of ukey-pkcs11.h (TASS/Sansec family). */
	assert_int_equal(CKK_SM2, 0x80000004UL);
	m = ukey_mech_lookup(0x80008000UL);
	assert_non_null(m);
	assert_int_equal(m->type, CKM_SM2);
	assert_int_equal(m->backend, CKM_SM2);
	assert_int_equal(m->flags, CKF_SIGN | CKF_VERIFY);
	assert_int_equal(m->soft, UKEY_SOFT_NONE);
	m = ukey_mech_lookup(0x80008100UL);
	assert_non_null(m);
	assert_int_equal(m->backend, CKM_SM2);
	assert_int_equal(m->flags, CKF_SIGN | CKF_VERIFY);
	assert_int_equal(m->key_type, CKK_SM2);
	m = ukey_mech_lookup(0x80008200UL);
	assert_non_null(m);
	assert_int_equal(m->backend, CKM_SM2_ENCRYPT);
	assert_int_equal(m->flags, CKF_ENCRYPT | CKF_DECRYPT);
	m = ukey_mech_lookup(0x80008001UL);
	assert_non_null(m);
	assert_int_equal(m->backend, CKM_SM2_KEY_PAIR_GEN);
	assert_int_equal(m->flags, CKF_GENERATE_KEY_PAIR);
	m = ukey_mech_lookup(0x80000005UL);
	assert_non_null(m);
	assert_int_equal(m->flags, CKF_DIGEST);
	assert_string_equal(m->digest, "SM3");
	/* SM3 is not an RSA hash: no MGF1 id maps to it. */
	assert_string_equal(ukey_hash_name(CKM_SM3), "SM3");
	assert_int_equal(ukey_mgf1_hash(0), 0);
}

static void sm2_backend_offers_the_sm2_family(void **state)
{
	CK_MECHANISM_TYPE backend[] = { CKM_SM2, CKM_SM2_KEY_PAIR_GEN, CKM_RSA_PKCS };
	CK_MECHANISM_TYPE list[64];
	CK_ULONG n = 64;
	struct ukey_slot slot;
	(void)state;
	memset(&slot, 0, sizeof(slot));
	slot.backend_mechs = backend;
	slot.nbackend_mechs = 3;
	assert_int_equal(ukey_mech_list_inlock(&slot, list, &n), CKR_OK);
	assert_int_equal(n, 2 + 1 + 6 + 6);   /* SM2 and SM3-SM2, SM2 keygen, RSA-PKCS family, digests */
	assert_true(in_list(list, n, CKM_SM2));
	assert_true(in_list(list, n, CKM_SM3_SM2));
	assert_true(in_list(list, n, CKM_SM2_KEY_PAIR_GEN));
	assert_true(in_list(list, n, CKM_SM3));
	/* No SM2 decryption on the backend: no SM2 encryption either. */
	assert_false(in_list(list, n, CKM_SM2_ENCRYPT));
	assert_false(in_list(list, n, CKM_ECDSA));
	backend[2] = CKM_SM2_ENCRYPT;
	n = 64;
	assert_int_equal(ukey_mech_list_inlock(&slot, list, &n), CKR_OK);
	assert_true(in_list(list, n, CKM_SM2_ENCRYPT));
	assert_false(in_list(list, n, CKM_RSA_PKCS));
}

static void slot_with(struct ukey_slot *slot, CK_MECHANISM_TYPE *mechs, CK_ULONG n)
{
	memset(slot, 0, sizeof(*slot));
	slot->backend_mechs = mechs;
	slot->nbackend_mechs = n;
}

static void rsa_only_backend_offers_rsa_family_and_digests(void **state)
{
	CK_MECHANISM_TYPE backend[] = { CKM_RSA_PKCS, CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_AES_CBC };
	CK_MECHANISM_TYPE list[64];
	CK_ULONG n = 64;
	struct ukey_slot slot;
	(void)state;
	slot_with(&slot, backend, 3);
	assert_int_equal(ukey_mech_list_inlock(&slot, list, &n), CKR_OK);
	assert_int_equal(n, 1 + 5 + 6 + 1);  /* raw, SHA*-RSA-PKCS, digests (SHA, SM3), keygen */
	assert_true(in_list(list, n, CKM_RSA_PKCS));
	assert_true(in_list(list, n, CKM_SHA384_RSA_PKCS));
	assert_true(in_list(list, n, CKM_SHA_1));
	assert_true(in_list(list, n, CKM_RSA_PKCS_KEY_PAIR_GEN));
	assert_false(in_list(list, n, CKM_RSA_PKCS_PSS));
	assert_false(in_list(list, n, CKM_SHA256_RSA_PKCS_PSS));
	assert_false(in_list(list, n, CKM_RSA_PKCS_OAEP));
	assert_false(in_list(list, n, CKM_ECDSA_SHA256));
	assert_false(in_list(list, n, CKM_AES_CBC));   /* only what the table knows */
}

static void ecdsa_backend_gains_hash_and_sign_entries(void **state)
{
	CK_MECHANISM_TYPE backend[] = { CKM_ECDSA, CKM_EC_KEY_PAIR_GEN };
	CK_MECHANISM_TYPE list[64];
	CK_ULONG n = 64;
	struct ukey_slot slot;
	(void)state;
	slot_with(&slot, backend, 2);
	assert_int_equal(ukey_mech_list_inlock(&slot, list, &n), CKR_OK);
	assert_int_equal(n, 1 + 5 + 6 + 1);
	assert_true(in_list(list, n, CKM_ECDSA_SHA1));
	assert_true(in_list(list, n, CKM_ECDSA_SHA512));
	assert_true(in_list(list, n, CKM_EC_KEY_PAIR_GEN));
	assert_false(in_list(list, n, CKM_RSA_PKCS));
}

static void empty_backend_still_offers_digests(void **state)
{
	CK_MECHANISM_TYPE list[64];
	CK_ULONG n = 64;
	struct ukey_slot slot;
	(void)state;
	slot_with(&slot, NULL, 0);
	assert_int_equal(ukey_mech_list_inlock(&slot, list, &n), CKR_OK);
	assert_int_equal(n, 6);
	assert_true(in_list(list, n, CKM_SHA256));
	assert_true(in_list(list, n, CKM_SM3));
	assert_false(in_list(list, n, CKM_SM3_SM2));
	assert_true(ukey_mech_offered(&slot, ukey_mech_lookup(CKM_SHA512)));
	assert_false(ukey_mech_offered(&slot, ukey_mech_lookup(CKM_ECDSA)));
}

static void list_uses_two_call_sizing(void **state)
{
	CK_MECHANISM_TYPE backend[] = { CKM_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_RSA_PKCS_OAEP, CKM_ECDSA };
	CK_MECHANISM_TYPE list[64];
	CK_ULONG n = 0, full;
	struct ukey_slot slot;
	(void)state;
	slot_with(&slot, backend, 4);
	assert_int_equal(ukey_mech_list_inlock(&slot, NULL, &n), CKR_OK);
	full = n;
	assert_int_equal(full, 6 + 6 + 1 + 6 + 6);
	n = 3;
	assert_int_equal(ukey_mech_list_inlock(&slot, list, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, full);
	n = full;
	assert_int_equal(ukey_mech_list_inlock(&slot, list, &n), CKR_OK);
	assert_int_equal(n, full);
}

/* ---- mechanism info against SoftHSM through the p11 driver ---- */

struct real {
	char dir[256];
	struct ukey_backend backend;
	struct ukey_slot slot;
};

static int real_setup(void **state)
{
	struct real *r = calloc(1, sizeof(*r));
	struct ukey_backend_conf conf = { .name = (char *)"softhsm", .driver = (char *)"p11",
					  .library = (char *)UKEY_SOFTHSM_LIB };
	char cmd[1024], path[300];
	ukey_dev_id devs[4];
	CK_ULONG ndev = 4, nmech = 0;
	FILE *f;

	if (!r)
		return -1;
	snprintf(r->dir, sizeof(r->dir), "/tmp/ukey-test-mech-XXXXXX");
	if (!mkdtemp(r->dir))
		return -1;
	snprintf(path, sizeof(path), "%s/softhsm2.conf", r->dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", r->dir);
	fclose(f);
	setenv("SOFTHSM2_CONF", path, 1);
	snprintf(cmd, sizeof(cmd),
		 "softhsm2-util --init-token --free --label mech --pin 123456 --so-pin 12345678 >/dev/null");
	if (system(cmd) != 0)
		return -1;
	r->backend.ops = ukey_driver_find("p11");
	if (!r->backend.ops || r->backend.ops->load(&conf, &r->backend.drv) != CKR_OK)
		return -1;
	r->backend.thread_safe = r->backend.ops->thread_safe(r->backend.drv);
	if (r->backend.ops->devices(r->backend.drv, devs, &ndev) != CKR_OK || ndev < 1)
		return -1;
	r->slot.backend = &r->backend;
	r->slot.dev = devs[0];
	r->slot.present = true;
	pthread_mutex_init(&r->slot.dev_lock, NULL);
	if (r->backend.ops->mechanisms(r->backend.drv, devs[0], NULL, &nmech) != CKR_OK)
		return -1;
	r->slot.backend_mechs = calloc(nmech, sizeof(CK_MECHANISM_TYPE));
	if (!r->slot.backend_mechs ||
	    r->backend.ops->mechanisms(r->backend.drv, devs[0], r->slot.backend_mechs, &nmech) != CKR_OK)
		return -1;
	r->slot.nbackend_mechs = nmech;
	*state = r;
	return 0;
}

static int real_teardown(void **state)
{
	struct real *r = *state;
	char cmd[512];
	if (!r)
		return 0;
	r->backend.ops->unload(r->backend.drv, false);
	pthread_mutex_destroy(&r->slot.dev_lock);
	free(r->slot.backend_mechs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", r->dir);
	free(r);
	return 0;
}

static void info_has_our_flags_and_backend_sizes(void **state)
{
	struct real *r = *state;
	CK_MECHANISM_INFO info, binfo;

	/* SoftHSM 2.6 has no ECDSA-SHA256; we offer it on top of its ECDSA. */
	assert_false(ukey_slot_backend_has(&r->slot, CKM_ECDSA_SHA256));
	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_ECDSA_SHA256, &info), CKR_OK);
	assert_int_equal(r->backend.ops->mechanism_info(r->backend.drv, r->slot.dev, CKM_ECDSA, &binfo),
			 CKR_OK);
	assert_int_equal(info.flags, CKF_SIGN | CKF_VERIFY | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
					     CKF_EC_UNCOMPRESS | (binfo.flags & CKF_HW));
	assert_int_equal(info.ulMinKeySize, binfo.ulMinKeySize);
	assert_int_equal(info.ulMaxKeySize, binfo.ulMaxKeySize);
	assert_true(info.ulMaxKeySize >= 384);

	/* The backend's RSA-PKCS also wraps, which passes through to it
	 * (token/pass-mech.c): reported with what the table does. */
	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_RSA_PKCS, &info), CKR_OK);
	assert_int_equal(info.flags & ~CKF_HW,
			 CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP);
	assert_true(info.ulMinKeySize <= 1024 && info.ulMaxKeySize >= 4096);

	/* AES-CBC is the backend's own: its flags (SoftHSM: no unwrap) and sizes. */
	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_AES_CBC, &info), CKR_OK);
	assert_int_equal(r->backend.ops->mechanism_info(r->backend.drv, r->slot.dev, CKM_AES_CBC, &binfo), CKR_OK);
	assert_int_equal(info.flags, binfo.flags);
	assert_int_equal(info.flags & ~CKF_HW, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP);
	assert_int_equal(info.ulMaxKeySize, binfo.ulMaxKeySize);
	/* ...but not what does not pass through (derive). */
	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_AES_CBC_ENCRYPT_DATA, &info), CKR_MECHANISM_INVALID);

	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_SHA256, &info), CKR_OK);
	assert_int_equal(info.flags, CKF_DIGEST);
	assert_int_equal(info.ulMaxKeySize, 0);

	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_EC_KEY_PAIR_GEN, &info), CKR_OK);
	assert_true(info.flags & CKF_GENERATE_KEY_PAIR);

	/* SoftHSM has no SM2: only the software SM3 digest is offered. */
	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_SM3, &info), CKR_OK);
	assert_int_equal(info.flags, CKF_DIGEST);
	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_SM2, &info), CKR_MECHANISM_INVALID);
	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_SM3_SM2, &info), CKR_MECHANISM_INVALID);
	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_SM2_ENCRYPT, &info), CKR_MECHANISM_INVALID);
	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_SM2_KEY_PAIR_GEN, &info), CKR_MECHANISM_INVALID);
}

static void info_refuses_unknown_and_unbacked(void **state)
{
	struct real *r = *state;
	CK_MECHANISM_INFO info;
	struct ukey_slot bare = r->slot;

	struct ukey_backend nopass = r->backend;
	struct ukey_driver_ops ops = *r->backend.ops;
	struct ukey_slot skf_like = r->slot;

	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_MD5_RSA_PKCS, &info), CKR_MECHANISM_INVALID);
	assert_int_equal(ukey_mech_info_unlocked(&r->slot, CKM_DSA, &info), CKR_MECHANISM_INVALID);
	/* Known to us but not to this backend: not offered, so invalid. */
	bare.backend_mechs = NULL;
	bare.nbackend_mechs = 0;
	assert_int_equal(ukey_mech_info_unlocked(&bare, CKM_ECDSA_SHA256, &info), CKR_MECHANISM_INVALID);
	assert_int_equal(ukey_mech_info_unlocked(&bare, CKM_AES_CBC, &info), CKR_MECHANISM_INVALID);
	assert_int_equal(ukey_mech_info_unlocked(&bare, CKM_SHA_1, &info), CKR_OK);
	/* A driver without pass-through (skf) offers none of the backend's
	 * own mechanisms, even when the backend lists them. */
	ops.op_begin = NULL;
	nopass.ops = &ops;
	skf_like.backend = &nopass;
	assert_int_equal(ukey_mech_info_unlocked(&skf_like, CKM_AES_CBC, &info), CKR_MECHANISM_INVALID);
	assert_int_equal(ukey_mech_info_unlocked(&skf_like, CKM_RSA_PKCS, &info), CKR_OK);
	assert_int_equal(info.flags & ~CKF_HW, CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_hash_entry_has_an_openssl_digest),
		cmocka_unit_test(types_are_unique_and_lookup_finds_each),
		cmocka_unit_test(flags_fit_the_kind_of_entry),
		cmocka_unit_test(sm2_entries_match_the_published_numbers),
		cmocka_unit_test(sm2_backend_offers_the_sm2_family),
		cmocka_unit_test(rsa_only_backend_offers_rsa_family_and_digests),
		cmocka_unit_test(ecdsa_backend_gains_hash_and_sign_entries),
		cmocka_unit_test(empty_backend_still_offers_digests),
		cmocka_unit_test(list_uses_two_call_sizing),
		cmocka_unit_test_setup_teardown(info_has_our_flags_and_backend_sizes, real_setup, real_teardown),
		cmocka_unit_test_setup_teardown(info_refuses_unknown_and_unbacked, real_setup, real_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
