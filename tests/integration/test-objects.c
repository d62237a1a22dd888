/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Reading objects through the module: what is visible before and after
 * login, C_FindObjects*, and C_GetAttributeValue's per-attribute rules
 * (PKCS#11 2.40 5.7). Every value is compared with the virtual U-KEY's own
 * files. Writes are in test-objects-write.c. */

#include <dlfcn.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "objects-common.h"

#define NO_SUCH_ATTR 0x0000FFF0UL /* unassigned in the standard range */

static struct ukt_token ectok; /* ec, shared */

static int group_setup(void **state)
{
	(void)state;
	if (xdg_make() != 0 || ukt_vkey_create("ec", &ectok) != 0)
		return -1;
	return ukt_vkey_create("rsa", &tok) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ukt_vkey_destroy(&tok);
	ukt_vkey_destroy(&ectok);
	xdg_remove();
	return 0;
}

static void tally(CK_SESSION_HANDLE s, CK_ULONG *certs, CK_ULONG *pubs, CK_ULONG *privs)
{
	CK_OBJECT_HANDLE h[64];
	CK_ULONG n = find(s, NULL, 0, h, 64), i;

	*certs = *pubs = *privs = 0;
	for (i = 0; i < n; i++) {
		CK_OBJECT_CLASS c = (CK_OBJECT_CLASS)-1;
		CK_ATTRIBUTE a = { CKA_CLASS, &c, sizeof(c) };

		assert_int_equal(p11->C_GetAttributeValue(s, h[i], &a, 1), CKR_OK);
		*certs += c == CKO_CERTIFICATE;
		*pubs += c == CKO_PUBLIC_KEY;
		*privs += c == CKO_PRIVATE_KEY;
	}
}

static void test_before_login_certs_and_public_keys_but_no_private_keys(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, false);
	CK_ULONG c, pub, priv;

	(void)state;
	tally(s, &c, &pub, &priv);
	assert_int_equal(c, 2);
	assert_int_equal(pub, 2);
	assert_int_equal(priv, 0);
	assert_int_equal(count_class_id(s, CKO_PRIVATE_KEY, NULL, 0), 0);
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, SIGN_ID), 1);
}

static void test_after_login_private_keys_are_found_too(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, true);
	CK_ULONG c, pub, priv;

	(void)state;
	tally(s, &c, &pub, &priv);
	assert_int_equal(c, 2);
	assert_int_equal(pub, 2);
	assert_int_equal(priv, 2);
	assert_int_equal(count_class_id(s, CKO_PRIVATE_KEY, SIGN_ID), 1);
	assert_int_equal(count_class_id(s, CKO_PRIVATE_KEY, ENC_ID), 1);
}

static void test_private_handles_are_invalid_after_logout(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, true);
	CK_OBJECT_HANDLE priv = one(s, CKO_PRIVATE_KEY, SIGN_ID), cert = one(s, CKO_CERTIFICATE, SIGN_ID);
	CK_OBJECT_CLASS c;
	CK_ATTRIBUTE a = { CKA_CLASS, &c, sizeof(c) };

	(void)state;
	assert_int_equal(p11->C_GetAttributeValue(s, priv, &a, 1), CKR_OK);
	assert_int_equal(c, CKO_PRIVATE_KEY);
	assert_int_equal(p11->C_Logout(s), CKR_OK);
	assert_int_equal(p11->C_GetAttributeValue(s, priv, &a, 1), CKR_OBJECT_HANDLE_INVALID);
	/* public objects keep their handles */
	assert_int_equal(p11->C_GetAttributeValue(s, cert, &a, 1), CKR_OK);
	assert_int_equal(c, CKO_CERTIFICATE);
}

static void test_find_by_class_and_id(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, false);
	static const unsigned char id03[] = { 0x03 };

	(void)state;
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, SIGN_ID), 1);
	assert_attr_str(s, one(s, CKO_CERTIFICATE, SIGN_ID), CKA_LABEL, tok.sign_cert_label);
	assert_attr_str(s, one(s, CKO_CERTIFICATE, ENC_ID), CKA_LABEL, tok.enc_cert_label);
	assert_int_equal(count_class_id(s, CKO_PUBLIC_KEY, ENC_ID), 1);
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, id03, 1), 0);
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, NULL, 0), 2);
}

static void test_find_objects_iterates_when_max_is_smaller(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, true);
	CK_OBJECT_HANDLE all[64], got[64], batch[3];
	CK_ULONG n = find(s, NULL, 0, all, 64), total = 0, k, i, j;

	(void)state;
	assert_true(n >= 6);
	assert_int_equal(p11->C_FindObjectsInit(s, NULL, 0), CKR_OK);
	do {
		assert_int_equal(p11->C_FindObjects(s, batch, 3, &k), CKR_OK);
		assert_true(k <= 3 && total + k <= n);
		memcpy(got + total, batch, k * sizeof(batch[0]));
		total += k;
	} while (k > 0);
	assert_int_equal(p11->C_FindObjects(s, batch, 1, &k), CKR_OK);
	assert_int_equal(k, 0);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
	assert_int_equal(total, n);
	for (i = 0; i < n; i++) { /* same set, each once */
		CK_ULONG seen = 0;

		for (j = 0; j < n; j++)
			seen += got[j] == all[i];
		assert_int_equal(seen, 1);
	}
}

static void test_find_objects_init_twice_is_operation_active(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, false);
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[4];
	CK_ULONG k = 0;

	(void)state;
	assert_int_equal(p11->C_FindObjectsInit(s, &t, 1), CKR_OK);
	assert_int_equal(p11->C_FindObjectsInit(s, NULL, 0), CKR_OPERATION_ACTIVE);
	/* the first search goes on unchanged */
	assert_int_equal(p11->C_FindObjects(s, h, 4, &k), CKR_OK);
	assert_int_equal(k, 2);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED);
}

static void test_find_objects_without_init_is_operation_not_initialized(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, false);
	CK_OBJECT_HANDLE h[4];
	CK_ULONG k = 0;

	(void)state;
	assert_int_equal(p11->C_FindObjects(s, h, 4, &k), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(p11->C_FindObjectsInit(s, NULL, 1), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_FindObjectsInit(s, NULL, 0), CKR_OK);
	assert_int_equal(p11->C_FindObjects(s, NULL, 4, &k), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_FindObjects(s, h, 4, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
}

static void test_get_attribute_size_query_gives_lengths(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, false);
	CK_OBJECT_HANDLE cert = one(s, CKO_CERTIFICATE, SIGN_ID);
	CK_ATTRIBUTE a[] = {
		{ CKA_LABEL, NULL, 0 }, { CKA_ID, NULL, 0 }, { CKA_VALUE, NULL, 0 }, { CKA_SUBJECT, NULL, 0 }
	};
	size_t derlen;
	unsigned char *der = read_file(tok.dir, "keys/sign.der", &derlen);

	(void)state;
	assert_int_equal(p11->C_GetAttributeValue(s, cert, a, 4), CKR_OK);
	assert_int_equal(a[0].ulValueLen, strlen(tok.sign_cert_label));
	assert_int_equal(a[1].ulValueLen, tok.sign_id_len);
	assert_int_equal(a[2].ulValueLen, derlen);
	assert_true(a[3].ulValueLen > 10 && a[3].ulValueLen < derlen);
	free(der);
}

static void test_get_attribute_exact_values_match_the_certificate(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, false);
	CK_OBJECT_HANDLE cert = one(s, CKO_CERTIFICATE, SIGN_ID), pub = one(s, CKO_PUBLIC_KEY, SIGN_ID);
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG vlen, slen, mlen;
	size_t derlen;
	unsigned char *der = read_file(tok.dir, "keys/sign.der", &derlen), *value, *subj, *mod,
		      *name = NULL;
	const unsigned char *p;
	X509 *x;
	BIGNUM *n = NULL, *m;
	int namelen;

	(void)state;
	assert_attr_str(s, cert, CKA_LABEL, tok.sign_cert_label);
	assert_attr_eq(s, cert, CKA_ID, SIGN_ID);
	assert_attr_eq(s, cert, CKA_CERTIFICATE_TYPE, &ct, sizeof(ct));
	assert_attr_eq(s, cert, CKA_TOKEN, &yes, 1);
	assert_attr_eq(s, cert, CKA_PRIVATE, &no, 1);
	value = get_attr(s, cert, CKA_VALUE, &vlen);
	assert_int_equal(vlen, derlen);
	assert_memory_equal(value, der, derlen);
	p = value;
	x = d2i_X509(NULL, &p, (long)vlen);
	assert_non_null(x);
	subj = get_attr(s, cert, CKA_SUBJECT, &slen);
	namelen = i2d_X509_NAME(X509_get_subject_name(x), &name);
	assert_int_equal(namelen, slen);
	assert_memory_equal(name, subj, slen);
	/* the public key object holds the certificate's key */
	mod = get_attr(s, pub, CKA_MODULUS, &mlen);
	m = BN_bin2bn(mod, (int)mlen, NULL);
	assert_int_equal(EVP_PKEY_get_bn_param(X509_get0_pubkey(x), OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(BN_cmp(m, n), 0);
	BN_free(m);
	BN_free(n);
	OPENSSL_free(name);
	X509_free(x);
	free(mod);
	free(subj);
	free(value);
	free(der);
}

static void test_get_attribute_buffer_too_small_marks_only_that_one(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, false);
	CK_OBJECT_HANDLE cert = one(s, CKO_CERTIFICATE, SIGN_ID);
	char label[3];
	unsigned char id[16];
	CK_OBJECT_CLASS cls = (CK_OBJECT_CLASS)-1;
	CK_ATTRIBUTE a[] = {
		{ CKA_LABEL, label, sizeof(label) }, { CKA_ID, id, sizeof(id) }, { CKA_CLASS, &cls, sizeof(cls) }
	};

	(void)state;
	assert_int_equal(p11->C_GetAttributeValue(s, cert, a, 3), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(a[1].ulValueLen, tok.sign_id_len);
	assert_memory_equal(id, tok.sign_id, tok.sign_id_len);
	assert_int_equal(a[2].ulValueLen, sizeof(cls));
	assert_int_equal(cls, CKO_CERTIFICATE);
}

static void test_get_attribute_unknown_type_is_type_invalid(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, false);
	CK_OBJECT_HANDLE cert = one(s, CKO_CERTIFICATE, SIGN_ID);
	char label[64], junk[64], mod[512];
	CK_ATTRIBUTE a[] = {
		{ NO_SUCH_ATTR, junk, sizeof(junk) },
		{ CKA_LABEL, label, sizeof(label) },
		{ CKA_MODULUS, mod, sizeof(mod) }, /* a key's attribute, not a certificate's */
	};

	(void)state;
	assert_int_equal(p11->C_GetAttributeValue(s, cert, a, 3), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(a[1].ulValueLen, strlen(tok.sign_cert_label));
	assert_memory_equal(label, tok.sign_cert_label, a[1].ulValueLen);
	assert_int_equal(a[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

static void test_rsa_private_exponent_is_sensitive(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, true);
	CK_OBJECT_HANDLE priv = one(s, CKO_PRIVATE_KEY, SIGN_ID);
	unsigned char d[512], p1[512], id[32];
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE a[] = {
		{ CKA_PRIVATE_EXPONENT, d, sizeof(d) }, { CKA_ID, id, sizeof(id) }, { CKA_PRIME_1, p1, sizeof(p1) }
	};

	(void)state;
	assert_int_equal(p11->C_GetAttributeValue(s, priv, a, 3), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(a[1].ulValueLen, tok.sign_id_len);
	assert_memory_equal(id, tok.sign_id, tok.sign_id_len);
	assert_int_equal(a[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	a[0].pValue = NULL; /* a size query is refused the same way */
	assert_int_equal(p11->C_GetAttributeValue(s, priv, a, 1), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_attr_eq(s, priv, CKA_SENSITIVE, &yes, 1);
}

static void test_ec_private_value_is_sensitive(void **state)
{
	/* skf: ectok holds SM2 keys (sm2p256v1), p11: P-256 */
	static const unsigned char p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	static const unsigned char sm2[] = { 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d };
	const unsigned char *curve = ukt_is_skf() ? sm2 : p256;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE priv;
	unsigned char v[128];
	CK_ATTRIBUTE a = { CKA_VALUE, v, sizeof(v) };

	(void)state;
	use_token(&ectok);
	s = open_on(&ectok, false, true);
	priv = one(s, CKO_PRIVATE_KEY, ENC_ID_OF(ectok));
	assert_int_equal(p11->C_GetAttributeValue(s, priv, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_attr_eq(s, priv, CKA_EC_PARAMS, curve, sizeof(p256));
	assert_attr_eq(s, one(s, CKO_PUBLIC_KEY, ENC_ID_OF(ectok)), CKA_EC_PARAMS, curve, sizeof(p256));
}

/* 2.40 5.7: "if more than one of these error codes is applicable, Cryptoki
 * may return any of them" -- but every attribute must be processed. */
static void test_get_attribute_mixed_errors_process_every_attribute(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, true);
	CK_OBJECT_HANDLE priv = one(s, CKO_PRIVATE_KEY, SIGN_ID);
	char label[64];
	unsigned char d[512], junk[8], mod[16], id[32];
	CK_ATTRIBUTE a[] = {
		{ CKA_LABEL, label, sizeof(label) }, { CKA_PRIVATE_EXPONENT, d, sizeof(d) },
		{ NO_SUCH_ATTR, junk, sizeof(junk) }, { CKA_MODULUS, mod, sizeof(mod) },
		{ CKA_ID, id, sizeof(id) },
	};
	CK_RV rv;

	(void)state;
	rv = p11->C_GetAttributeValue(s, priv, a, 5);
	assert_true(rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
		    rv == CKR_BUFFER_TOO_SMALL);
	assert_int_equal(a[0].ulValueLen, strlen(tok.sign_key_label));
	assert_memory_equal(label, tok.sign_key_label, a[0].ulValueLen);
	assert_int_equal(a[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(a[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(a[3].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(a[4].ulValueLen, tok.sign_id_len);
	assert_memory_equal(id, tok.sign_id, tok.sign_id_len);
}

static void test_get_object_size(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, false);
	CK_OBJECT_HANDLE cert = one(s, CKO_CERTIFICATE, SIGN_ID);
	CK_ULONG size = 0;
	size_t derlen;
	unsigned char *der = read_file(tok.dir, "keys/sign.der", &derlen);

	(void)state;
	assert_int_equal(p11->C_GetObjectSize(s, cert, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_GetObjectSize(s, cert, &size), CKR_OK);
	/* the spec lets a library not know; if it answers, the DER must fit */
	assert_true(size == CK_UNAVAILABLE_INFORMATION || size >= derlen);
	assert_int_equal(p11->C_GetObjectSize(s, CK_INVALID_HANDLE, &size), CKR_OBJECT_HANDLE_INVALID);
	free(der);
}


#define SHARED(f) cmocka_unit_test_setup_teardown(f, shared_setup, fin_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SHARED(test_before_login_certs_and_public_keys_but_no_private_keys),
		SHARED(test_after_login_private_keys_are_found_too),
		SHARED(test_private_handles_are_invalid_after_logout),
		SHARED(test_find_by_class_and_id),
		SHARED(test_find_objects_iterates_when_max_is_smaller),
		SHARED(test_find_objects_init_twice_is_operation_active),
		SHARED(test_find_objects_without_init_is_operation_not_initialized),
		SHARED(test_get_attribute_size_query_gives_lengths),
		SHARED(test_get_attribute_exact_values_match_the_certificate),
		SHARED(test_get_attribute_buffer_too_small_marks_only_that_one),
		SHARED(test_get_attribute_unknown_type_is_type_invalid),
		SHARED(test_rsa_private_exponent_is_sensitive),
		SHARED(test_ec_private_value_is_sensitive),
		SHARED(test_get_attribute_mixed_errors_process_every_attribute),
		SHARED(test_get_object_size),
	};
	void *handle;
	int rc;

	p11 = ukt_module_load(&handle);
	if (p11 == NULL)
		return 1;
	rc = cmocka_run_group_tests_name("objects", tests, group_setup, group_teardown);
	dlclose(handle);
	return rc;
}
