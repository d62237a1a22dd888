/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for public keys rebuilt from cached attributes
 * (module/token/pkey.c): objects are built by hand with
 * ukey_object_attr_set from keys and certificates made with OpenSSL, and
 * the rebuilt EVP_PKEY must equal the original's public part. Malformed
 * attributes, as a careless backend might store them, give NULL. Keys on
 * the SM2 curve (CKK_SM2, CKK_EC with the SM2 OID, SM2 certificates) must
 * come back as OpenSSL "SM2" keys, which verify SM2 rather than ECDSA. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "token/attr.h"
#include "token/model.h"
#include "token/pkey.h"
#include "ukey-pkcs11.h"

struct fixture {
	EVP_PKEY *rsa, *p256, *p384, *sm2;
};

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	fx->rsa = EVP_RSA_gen(2048);
	fx->p256 = EVP_EC_gen("P-256");
	fx->p384 = EVP_EC_gen("P-384");
	fx->sm2 = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	if (!fx->rsa || !fx->p256 || !fx->p384 || !fx->sm2)
		return -1;
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;
	EVP_PKEY_free(fx->rsa);
	EVP_PKEY_free(fx->p256);
	EVP_PKEY_free(fx->p384);
	EVP_PKEY_free(fx->sm2);
	free(fx);
	return 0;
}

static struct ukey_object *obj_new(CK_OBJECT_CLASS cls)
{
	struct ukey_object *obj = calloc(1, sizeof(*obj));
	assert_non_null(obj);
	obj->cls = cls;
	assert_int_equal(ukey_object_attr_set(obj, CKA_CLASS, &cls, sizeof(cls), false), CKR_OK);
	return obj;
}

static void obj_free(struct ukey_object *obj)
{
	for (CK_ULONG i = 0; i < obj->nattrs; i++)
		free(obj->attrs[i].value);
	free(obj->attrs);
	free(obj);
}

static void set(struct ukey_object *obj, CK_ATTRIBUTE_TYPE t, const void *v, CK_ULONG len)
{
	assert_int_equal(ukey_object_attr_set(obj, t, v, len, false), CKR_OK);
}

static void set_ulong(struct ukey_object *obj, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	set(obj, t, &v, sizeof(v));
}

static size_t bn_param(EVP_PKEY *pkey, const char *name, unsigned char *out, size_t max)
{
	BIGNUM *bn = NULL;
	int len;
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, name, &bn), 1);
	len = BN_num_bytes(bn);
	assert_true(len > 0 && (size_t)len <= max);
	assert_int_equal(BN_bn2bin(bn, out), len);
	BN_free(bn);
	return (size_t)len;
}

static struct ukey_object *rsa_object(EVP_PKEY *key, CK_OBJECT_CLASS cls)
{
	struct ukey_object *obj = obj_new(cls);
	unsigned char n[512], e[8];
	size_t nlen = bn_param(key, OSSL_PKEY_PARAM_RSA_N, n, sizeof(n));
	size_t elen = bn_param(key, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e));
	set_ulong(obj, CKA_KEY_TYPE, CKK_RSA);
	set(obj, CKA_MODULUS, n, nlen);
	set(obj, CKA_PUBLIC_EXPONENT, e, elen);
	return obj;
}

/* DER OID of the key's curve, as CKA_EC_PARAMS holds it. */
static int ec_params_der(EVP_PKEY *key, unsigned char *out)
{
	char name[64];
	unsigned char *p = out;
	assert_int_equal(EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name,
							 sizeof(name), NULL), 1);
	ASN1_OBJECT *oid = OBJ_nid2obj(OBJ_sn2nid(name));
	assert_non_null(oid);
	return i2d_ASN1_OBJECT(oid, &p);
}

static size_t ec_point(EVP_PKEY *key, unsigned char *out, size_t max)
{
	size_t len = 0;
	assert_int_equal(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, out, max, &len), 1);
	assert_int_equal(out[0], 0x04);
	return len;
}

static struct ukey_object *ec_object(EVP_PKEY *key, bool der_point)
{
	struct ukey_object *obj = obj_new(CKO_PUBLIC_KEY);
	unsigned char params[32], pt[200], *der = NULL;
	int plen = ec_params_der(key, params);
	size_t ptlen = ec_point(key, pt, sizeof(pt));

	set_ulong(obj, CKA_KEY_TYPE, CKK_EC);
	set(obj, CKA_EC_PARAMS, params, (CK_ULONG)plen);
	if (der_point) {
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		assert_non_null(os);
		assert_int_equal(ASN1_OCTET_STRING_set(os, pt, (int)ptlen), 1);
		int dlen = i2d_ASN1_OCTET_STRING(os, &der);
		assert_true(dlen > 0);
		set(obj, CKA_EC_POINT, der, (CK_ULONG)dlen);
		OPENSSL_free(der);
		ASN1_OCTET_STRING_free(os);
	} else {
		set(obj, CKA_EC_POINT, pt, ptlen);
	}
	return obj;
}

static void assert_same_public(EVP_PKEY *built, EVP_PKEY *orig)
{
	assert_non_null(built);
	assert_int_equal(EVP_PKEY_eq(built, orig), 1);
	EVP_PKEY_free(built);
}

static void rsa_public_key_from_modulus_and_exponent(void **state)
{
	struct fixture *fx = *state;
	struct ukey_object *obj = rsa_object(fx->rsa, CKO_PUBLIC_KEY);
	EVP_PKEY *pk = ukey_pkey_from_object(obj);
	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_get_bits(pk), 2048);
	assert_same_public(pk, fx->rsa);
	obj_free(obj);
}

static void rsa_private_key_object_gives_its_public_part(void **state)
{
	struct fixture *fx = *state;
	struct ukey_object *obj = rsa_object(fx->rsa, CKO_PRIVATE_KEY);
	assert_same_public(ukey_pkey_from_object(obj), fx->rsa);
	obj_free(obj);
}

static void ec_p256_and_p384_from_der_wrapped_point(void **state)
{
	struct fixture *fx = *state;
	struct ukey_object *a = ec_object(fx->p256, true), *b = ec_object(fx->p384, true);
	assert_same_public(ukey_pkey_from_object(a), fx->p256);
	assert_same_public(ukey_pkey_from_object(b), fx->p384);
	/* Different curves never compare equal. */
	EVP_PKEY *pa = ukey_pkey_from_object(a);
	assert_int_not_equal(EVP_PKEY_eq(pa, fx->p384), 1);
	EVP_PKEY_free(pa);
	obj_free(a);
	obj_free(b);
}

static void ec_bare_point_is_accepted(void **state)
{
	struct fixture *fx = *state;
	struct ukey_object *a = ec_object(fx->p256, false), *b = ec_object(fx->p384, false);
	assert_same_public(ukey_pkey_from_object(a), fx->p256);
	assert_same_public(ukey_pkey_from_object(b), fx->p384);
	obj_free(a);
	obj_free(b);
}

static void ec_field_bits_from_params(void **state)
{
	struct fixture *fx = *state;
	unsigned char params[32];
	int len = ec_params_der(fx->p256, params);
	assert_int_equal(ukey_pkey_ec_field_bits(params, (size_t)len), 256);
	len = ec_params_der(fx->p384, params);
	assert_int_equal(ukey_pkey_ec_field_bits(params, (size_t)len), 384);
	assert_int_equal(ukey_pkey_ec_field_bits(params, (size_t)len - 1), 0);
	assert_int_equal(ukey_pkey_ec_field_bits(NULL, 0), 0);
	/* An OID that is not a curve (sha256WithRSAEncryption). */
	unsigned char *p = params;
	len = i2d_ASN1_OBJECT(OBJ_nid2obj(NID_sha256WithRSAEncryption), &p);
	assert_int_equal(ukey_pkey_ec_field_bits(params, (size_t)len), 0);
}

static void sm2_key_objects_give_sm2_keys(void **state)
{
	struct fixture *fx = *state;
	unsigned char params[32];
	int plen = ec_params_der(fx->sm2, params);
	CK_OBJECT_CLASS classes[] = { CKO_PUBLIC_KEY, CKO_PRIVATE_KEY };

	assert_int_equal(ukey_pkey_ec_field_bits(params, (size_t)plen), 256);
	for (size_t i = 0; i < 2; i++) {
		/* CKK_SM2 as the SKF driver stores it, public or private. */
		struct ukey_object *obj = ec_object(fx->sm2, true);
		obj->cls = classes[i];
		set_ulong(obj, CKA_KEY_TYPE, CKK_SM2);
		EVP_PKEY *pk = ukey_pkey_from_object(obj);
		assert_non_null(pk);
		assert_true(EVP_PKEY_is_a(pk, "SM2"));
		assert_same_public(pk, fx->sm2);
		/* CKK_SM2 implies the curve when CKA_EC_PARAMS is missing. */
		assert_int_equal(ukey_object_attr_set(obj, CKA_EC_PARAMS, NULL, CK_UNAVAILABLE_INFORMATION, false),
				 CKR_OK);
		assert_same_public(ukey_pkey_from_object(obj), fx->sm2);
		obj_free(obj);
	}
	/* CKK_EC with the SM2 curve OID (some vendors): an SM2 key too. */
	struct ukey_object *obj = ec_object(fx->sm2, false);
	EVP_PKEY *pk = ukey_pkey_from_object(obj);
	assert_non_null(pk);
	assert_true(EVP_PKEY_is_a(pk, "SM2"));
	assert_same_public(pk, fx->sm2);
	obj_free(obj);
	/* CKK_SM2 with P-256 parameters is not an SM2 key. */
	obj = ec_object(fx->p256, true);
	set_ulong(obj, CKA_KEY_TYPE, CKK_SM2);
	assert_null(ukey_pkey_from_object(obj));
	obj_free(obj);
	/* A P-256 point under the SM2 OID is off the curve. */
	obj = ec_object(fx->p256, true);
	set(obj, CKA_EC_PARAMS, params, (CK_ULONG)plen);
	assert_null(ukey_pkey_from_object(obj));
	obj_free(obj);
}

static void sm2_certificate_gives_an_sm2_key(void **state)
{
	struct fixture *fx = *state;
	X509 *x = X509_new();
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int len;
	assert_true(x && mctx);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
						    (const unsigned char *)"sm2", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, fx->sm2), 1);
	assert_int_equal(EVP_DigestSignInit_ex(mctx, NULL, "SM3", NULL, NULL, fx->sm2, NULL), 1);
	assert_true(X509_sign_ctx(x, mctx) > 0);
	len = i2d_X509(x, &der);
	assert_true(len > 0);

	struct ukey_object *obj = obj_new(CKO_CERTIFICATE);
	set_ulong(obj, CKA_CERTIFICATE_TYPE, CKC_X_509);
	set(obj, CKA_VALUE, der, (CK_ULONG)len);
	EVP_PKEY *pk = ukey_pkey_from_object(obj);
	assert_non_null(pk);
	assert_true(EVP_PKEY_is_a(pk, "SM2"));
	assert_same_public(pk, fx->sm2);
	obj_free(obj);
	OPENSSL_free(der);
	EVP_MD_CTX_free(mctx);
	X509_free(x);
}

static void certificate_gives_its_subject_key(void **state)
{
	struct fixture *fx = *state;
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int len;
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
						    (const unsigned char *)"test", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, fx->p384), 1);
	assert_true(X509_sign(x, fx->p384, EVP_sha384()) > 0);
	len = i2d_X509(x, &der);
	assert_true(len > 0);

	struct ukey_object *obj = obj_new(CKO_CERTIFICATE);
	set_ulong(obj, CKA_CERTIFICATE_TYPE, CKC_X_509);
	set(obj, CKA_VALUE, der, (CK_ULONG)len);
	assert_same_public(ukey_pkey_from_object(obj), fx->p384);

	/* A truncated certificate is rejected. */
	set(obj, CKA_VALUE, der, (CK_ULONG)len / 2);
	assert_null(ukey_pkey_from_object(obj));
	obj_free(obj);
	OPENSSL_free(der);
	X509_free(x);
}

static void malformed_rsa_gives_null(void **state)
{
	struct fixture *fx = *state;
	struct ukey_object *obj = rsa_object(fx->rsa, CKO_PUBLIC_KEY);
	unsigned char zero = 0;

	set(obj, CKA_PUBLIC_EXPONENT, &zero, 1);
	assert_null(ukey_pkey_from_object(obj));
	set(obj, CKA_PUBLIC_EXPONENT, NULL, 0);
	assert_null(ukey_pkey_from_object(obj));
	/* Sensitive marker instead of a value. */
	assert_int_equal(ukey_object_attr_set(obj, CKA_PUBLIC_EXPONENT, NULL, CK_UNAVAILABLE_INFORMATION,
					      true), CKR_OK);
	assert_null(ukey_pkey_from_object(obj));
	obj_free(obj);

	obj = rsa_object(fx->rsa, CKO_PUBLIC_KEY);
	set_ulong(obj, CKA_KEY_TYPE, CKK_DSA);
	assert_null(ukey_pkey_from_object(obj));
	obj_free(obj);

	obj = obj_new(CKO_PUBLIC_KEY);   /* no key type, nothing else */
	assert_null(ukey_pkey_from_object(obj));
	obj_free(obj);
	assert_null(ukey_pkey_from_object(NULL));
}

static void malformed_ec_gives_null(void **state)
{
	struct fixture *fx = *state;
	struct ukey_object *obj = ec_object(fx->p256, false);
	unsigned char pt[200], params[32];
	size_t ptlen = ec_point(fx->p256, pt, sizeof(pt));

	/* Off the curve. */
	pt[ptlen - 1] ^= 0x01;
	set(obj, CKA_EC_POINT, pt, ptlen);
	assert_null(ukey_pkey_from_object(obj));
	pt[ptlen - 1] ^= 0x01;
	/* Compressed form is not what PKCS#11 tokens store. */
	pt[0] = 0x02;
	set(obj, CKA_EC_POINT, pt, 33);
	assert_null(ukey_pkey_from_object(obj));
	pt[0] = 0x04;
	/* Truncated, and the P-256 point under P-384 parameters. */
	set(obj, CKA_EC_POINT, pt, ptlen - 1);
	assert_null(ukey_pkey_from_object(obj));
	set(obj, CKA_EC_POINT, pt, ptlen);
	int plen = ec_params_der(fx->p384, params);
	set(obj, CKA_EC_PARAMS, params, (CK_ULONG)plen);
	assert_null(ukey_pkey_from_object(obj));
	/* Garbage parameters. */
	set(obj, CKA_EC_PARAMS, "\x06\x08\x2a", 3);
	assert_null(ukey_pkey_from_object(obj));
	obj_free(obj);

	/* An EC private key has parameters but no point: no public part. */
	obj = ec_object(fx->p256, true);
	obj->cls = CKO_PRIVATE_KEY;
	assert_int_equal(ukey_object_attr_set(obj, CKA_EC_POINT, NULL, CK_UNAVAILABLE_INFORMATION, false),
			 CKR_OK);
	assert_null(ukey_pkey_from_object(obj));
	obj_free(obj);
}

static void other_classes_give_null(void **state)
{
	struct fixture *fx = *state;
	struct ukey_object *obj = rsa_object(fx->rsa, CKO_DATA);
	obj->cls = CKO_DATA;
	assert_null(ukey_pkey_from_object(obj));
	obj_free(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rsa_public_key_from_modulus_and_exponent),
		cmocka_unit_test(rsa_private_key_object_gives_its_public_part),
		cmocka_unit_test(ec_p256_and_p384_from_der_wrapped_point),
		cmocka_unit_test(ec_bare_point_is_accepted),
		cmocka_unit_test(ec_field_bits_from_params),
		cmocka_unit_test(certificate_gives_its_subject_key),
		cmocka_unit_test(sm2_key_objects_give_sm2_keys),
		cmocka_unit_test(sm2_certificate_gives_an_sm2_key),
		cmocka_unit_test(malformed_rsa_gives_null),
		cmocka_unit_test(malformed_ec_gives_null),
		cmocka_unit_test(other_classes_give_null),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
