/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Dual certificates on an SKF U-KEY (SM2 and RSA): one container holds a
 * signing pair and an encryption pair, each with its certificate. Through the
 * module: two certificates, two public and (after login) two private keys;
 * the pairs' CKA_IDs differ; the signing certificate's keyUsage is
 * digitalSignature and the encryption certificate's keyEncipherment /
 * keyAgreement; each public key object is its certificate's key; the medium
 * number is the token serial. */

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../crypto-check.h"
#include "testlib.h"
#include "ukey-pkcs11.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token sm2tok, rsatok;

static int group_setup(void **state)
{
	(void)state;
	setenv("UKEY_TEST_BACKEND", "skf", 1);
	if (ukt_vkey_create("sm2", &sm2tok) != 0 || ukt_vkey_add(&sm2tok, "rsa", &rsatok) != 0)
		return -1;
	p11 = ukt_module_load(&dl);
	return p11 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	ukt_vkey_destroy(&rsatok);
	ukt_vkey_destroy(&sm2tok);
	if (dl)
		dlclose(dl);
	return 0;
}

static CK_ULONG count(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0;

	assert_int_equal(p11->C_FindObjectsInit(s, &t, 1), CKR_OK);
	assert_int_equal(p11->C_FindObjects(s, h, 16, &n), CKR_OK);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
	return n;
}

static X509 *cert_of(CK_SESSION_HANDLE s, const unsigned char *id, size_t idlen)
{
	CK_OBJECT_HANDLE h;
	unsigned char *der = NULL;
	const unsigned char *p;
	CK_ULONG len = 0;
	X509 *x;

	assert_int_equal(ukt_find_one(p11, s, CKO_CERTIFICATE, id, idlen, &h), CKR_OK);
	assert_int_equal(ukc_get_attr(p11, s, h, CKA_VALUE, &der, &len), CKR_OK);
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	free(der);
	assert_non_null(x);
	return x;
}

static void dual(const struct ukt_token *t)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
	X509 *sc, *ec;
	uint32_t sku, eku;
	const unsigned char *ids[2] = { t->sign_id, t->enc_id };
	size_t lens[2] = { t->sign_id_len, t->enc_id_len };

	assert_int_equal(ukt_open(p11, t, false, false, &slot, &s), CKR_OK);
	assert_int_equal(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_int_equal(strlen(t->serial), 16);
	assert_memory_equal(ti.serialNumber, t->serial, 16);
	assert_int_equal(count(s, CKO_CERTIFICATE), 2);
	assert_int_equal(count(s, CKO_PUBLIC_KEY), 2);
	assert_int_equal(count(s, CKO_PRIVATE_KEY), 0);
	assert_false(t->sign_id_len == t->enc_id_len && memcmp(t->sign_id, t->enc_id, t->sign_id_len) == 0);

	sc = cert_of(s, t->sign_id, t->sign_id_len);
	ec = cert_of(s, t->enc_id, t->enc_id_len);
	sku = X509_get_key_usage(sc);
	eku = X509_get_key_usage(ec);
	assert_true(sku & KU_DIGITAL_SIGNATURE);
	assert_false(sku & (KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT));
	assert_true(eku & (KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT));
	assert_false(eku & KU_DIGITAL_SIGNATURE);
	/* each public key object holds its own certificate's key, not the other */
	for (int i = 0; i < 2; i++) {
		CK_OBJECT_HANDLE pub;
		EVP_PKEY *pk;

		assert_int_equal(ukt_find_one(p11, s, CKO_PUBLIC_KEY, ids[i], lens[i], &pub), CKR_OK);
		pk = ukc_pubkey_from_object(p11, s, pub);
		assert_non_null(pk);
		assert_int_equal(EVP_PKEY_eq(pk, X509_get0_pubkey(i ? ec : sc)), 1);
		assert_int_not_equal(EVP_PKEY_eq(pk, X509_get0_pubkey(i ? sc : ec)), 1);
		EVP_PKEY_free(pk);
	}
	assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)t->user_pin, strlen(t->user_pin)), CKR_OK);
	assert_int_equal(count(s, CKO_PRIVATE_KEY), 2);
	for (int i = 0; i < 2; i++) {
		CK_OBJECT_HANDLE priv;
		CK_BBOOL sign = CK_FALSE;
		CK_ATTRIBUTE a = { CKA_SIGN, &sign, sizeof(sign) };

		assert_int_equal(ukt_find_one(p11, s, CKO_PRIVATE_KEY, ids[i], lens[i], &priv), CKR_OK);
		assert_int_equal(p11->C_GetAttributeValue(s, priv, &a, 1), CKR_OK);
		assert_int_equal(sign, i == 0 ? CK_TRUE : CK_FALSE); /* only the signing pair signs */
	}
	X509_free(sc);
	X509_free(ec);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

static void test_sm2_token_has_dual_certificates_with_matching_pairs(void **state)
{
	(void)state;
	dual(&sm2tok);
}

static void test_rsa_token_has_dual_certificates_with_matching_pairs(void **state)
{
	(void)state;
	dual(&rsatok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sm2_token_has_dual_certificates_with_matching_pairs),
		cmocka_unit_test(test_rsa_token_has_dual_certificates_with_matching_pairs),
	};

	return cmocka_run_group_tests_name("skf-dual", tests, group_setup, group_teardown);
}
