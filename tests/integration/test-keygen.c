/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Key-pair generation through the module (what renewal needs): RSA 2048 and
 * 3072, EC P-256 and P-384 (p11), RSA 2048 and SM2 (skf: a new container
 * named by the label; CKA_ID is the driver's) as token objects; the new keys
 * are found, their
 * public attributes make an OpenSSL key that verifies the new private key's
 * signature, secrets stay sensitive, and the session and login rules hold. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "crypto-check.h"
#include "testlib.h"
#include "ukey-pkcs11.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok;
static CK_SLOT_ID slot;
static CK_SESSION_HANDLE base, s;
static const char *ctx_name = "";

#undef RV /* testlib.h's, with the case's name */
#define RV(call, want) UKT_RV_IN(ctx_name, call, want)

/* DER OIDs for CKA_EC_PARAMS. */
static const unsigned char oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const unsigned char oid_sm2[] = { 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d };
static const unsigned char f4[] = { 0x01, 0x00, 0x01 };

struct kspec {
	const char *name;
	bool rsa;
	CK_ULONG bits;
	const unsigned char *oid;
	size_t oidlen;
	unsigned char id;
	CK_MECHANISM_TYPE mech;
};

static const struct kspec k_rsa2048 = { "rsa2048", true, 2048, NULL, 0, 0x41, CKM_RSA_PKCS_KEY_PAIR_GEN };
static const struct kspec k_rsa3072 = { "rsa3072", true, 3072, NULL, 0, 0x42, CKM_RSA_PKCS_KEY_PAIR_GEN };
static const struct kspec k_p256 = { "p256", false, 256, oid_p256, sizeof(oid_p256), 0x43, CKM_EC_KEY_PAIR_GEN };
static const struct kspec k_p384 = { "p384", false, 384, oid_p384, sizeof(oid_p384), 0x44, CKM_EC_KEY_PAIR_GEN };
static const struct kspec k_sm2 = { "sm2", false, 256, oid_sm2, sizeof(oid_sm2), 0x45, CKM_SM2_KEY_PAIR_GEN };

/* The first object of class cls labelled name (p11: the template's label;
 * skf: the driver's "<container> sign key", container = the label). */
static CK_RV find_label(CK_SESSION_HANDLE sess, CK_OBJECT_CLASS cls, const struct kspec *k, CK_OBJECT_HANDLE *h)
{
	char label[64];
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_LABEL, label, 0 } };
	CK_ULONG n = 0;
	CK_RV rv;

	snprintf(label, sizeof(label), ukt_is_skf() ? "%s sign key" : "%s", k->name);
	t[1].ulValueLen = strlen(label);
	*h = CK_INVALID_HANDLE;
	rv = p11->C_FindObjectsInit(sess, t, 2);
	if (rv != CKR_OK)
		return rv;
	rv = p11->C_FindObjects(sess, h, 1, &n);
	if (p11->C_FindObjectsFinal(sess) != CKR_OK && rv == CKR_OK)
		rv = CKR_GENERAL_ERROR;
	return rv == CKR_OK && n == 0 ? CKR_OBJECT_HANDLE_INVALID : rv;
}

static int group_setup(void **state)
{
	(void)state;
	if (ukt_vkey_create("rsa", &tok) != 0 || !(p11 = ukt_module_load(&dl)))
		return -1;
	return ukt_open(p11, &tok, true, true, &slot, &base) == CKR_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	ukt_vkey_destroy(&tok);
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	return p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) == CKR_OK ? 0 : -1;
}

/* Removes whatever a failed test left behind under its CKA_ID. */
static int test_teardown(void **state)
{
	const struct kspec *k = *state;
	CK_OBJECT_CLASS cls[] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY };
	CK_OBJECT_HANDLE h;

	/* private first: on skf that deletes the whole container */
	for (size_t i = 0; k && i < 2; i++)
		while (find_label(s, cls[i], k, &h) == CKR_OK)
			if (p11->C_DestroyObject(s, h) != CKR_OK)
				break;
	p11->C_CloseSession(s);
	return 0;
}

static CK_RV generate(CK_SESSION_HANDLE sess, const struct kspec *k, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = k->bits;
	CK_MECHANISM m = { k->mech, NULL, 0 };
	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ID, (void *)&k->id, 1 },
		{ CKA_LABEL, (void *)k->name, strlen(k->name) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)f4, sizeof(f4) },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_ID, (void *)&k->id, 1 },
		{ CKA_LABEL, (void *)k->name, strlen(k->name) },
	};

	if (k->mech == CKM_SM2_KEY_PAIR_GEN) /* the curve is implied */
		return p11->C_GenerateKeyPair(sess, &m, pubt, 4, privt, 7, pub, priv);
	if (!k->rsa) {
		pubt[4] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)k->oid, k->oidlen };
		return p11->C_GenerateKeyPair(sess, &m, pubt, 5, privt, 7, pub, priv);
	}
	return p11->C_GenerateKeyPair(sess, &m, pubt, 6, privt, 7, pub, priv);
}

static void check_public(const struct kspec *k, CK_OBJECT_HANDLE pub)
{
	unsigned char *v = NULL;
	CK_ULONG len = 0, bits = 0;
	CK_ATTRIBUTE a = { CKA_MODULUS_BITS, &bits, sizeof(bits) };
	char label[64];

	snprintf(label, sizeof(label), ukt_is_skf() ? "%s sign key" : "%s", k->name);
	RV(ukc_get_attr(p11, s, pub, CKA_LABEL, &v, &len), CKR_OK);
	assert_int_equal(len, strlen(label));
	assert_memory_equal(v, label, len);
	free(v);
	if (k->rsa) {
		RV(p11->C_GetAttributeValue(s, pub, &a, 1), CKR_OK);
		assert_int_equal(bits, k->bits);
		RV(ukc_get_attr(p11, s, pub, CKA_MODULUS, &v, &len), CKR_OK);
		assert_int_equal(len, k->bits / 8);
		assert_true(v[0] & 0x80);
		free(v);
		RV(ukc_get_attr(p11, s, pub, CKA_PUBLIC_EXPONENT, &v, &len), CKR_OK);
		while (len > sizeof(f4) && v[0] == 0) /* leading zeros are allowed */
			memmove(v, v + 1, --len);
		assert_int_equal(len, sizeof(f4));
		assert_memory_equal(v, f4, len);
		free(v);
		return;
	}
	RV(ukc_get_attr(p11, s, pub, CKA_EC_PARAMS, &v, &len), CKR_OK);
	assert_int_equal(len, k->oidlen);
	assert_memory_equal(v, k->oid, len);
	free(v);
	/* DER OCTET STRING holding an uncompressed point: 04 len 04 X Y. */
	RV(ukc_get_attr(p11, s, pub, CKA_EC_POINT, &v, &len), CKR_OK);
	assert_int_equal(len, 2 + 1 + 2 * (k->bits / 8));
	assert_int_equal(v[0], 0x04);
	assert_int_equal(v[2], 0x04);
	free(v);
}

static void check_private(const struct kspec *k, CK_OBJECT_HANDLE priv)
{
	CK_BBOOL sens = CK_FALSE, ext = CK_TRUE, asens = CK_FALSE, nx = CK_FALSE;
	CK_ATTRIBUTE flags[] = {
		{ CKA_SENSITIVE, &sens, sizeof(sens) },
		{ CKA_EXTRACTABLE, &ext, sizeof(ext) },
		{ CKA_ALWAYS_SENSITIVE, &asens, sizeof(asens) },
		{ CKA_NEVER_EXTRACTABLE, &nx, sizeof(nx) },
	};
	unsigned char buf[1024];
	CK_ATTRIBUTE secret = { k->rsa ? CKA_PRIVATE_EXPONENT : CKA_VALUE, buf, sizeof(buf) };
	CK_ATTRIBUTE prime = { CKA_PRIME_1, buf, sizeof(buf) };

	RV(p11->C_GetAttributeValue(s, priv, flags, 4), CKR_OK);
	assert_true(sens && !ext && asens && nx);
	RV(p11->C_GetAttributeValue(s, priv, &secret, 1), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(secret.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	if (k->rsa) {
		RV(p11->C_GetAttributeValue(s, priv, &prime, 1), CKR_ATTRIBUTE_SENSITIVE);
		assert_int_equal(prime.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	}
}

static void sign_with_new_key(const struct kspec *k, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub)
{
	static const struct ukc_sigmech rsa = { CKM_SHA256_RSA_PKCS, "", UKC_RSA_PKCS, "SHA256", 0, 0, 0 };
	static const struct ukc_sigmech ecdsa = { CKM_ECDSA, "", UKC_ECDSA, NULL, 0, 0, 0 };
	static const struct ukc_sigmech sm2 = { CKM_SM2, "", UKC_SM2, NULL, 0, 0, 0 };
	bool is_sm2 = k->mech == CKM_SM2_KEY_PAIR_GEN;
	const struct ukc_sigmech *ec = is_sm2 ? &sm2 : &ecdsa;
	CK_MECHANISM m = { k->rsa ? CKM_SHA256_RSA_PKCS : ec->mech, NULL, 0 };
	unsigned char msg[200], h[32], sig[1024];
	unsigned int hl;
	CK_ULONG sl = sizeof(sig);
	const unsigned char *data = msg;
	size_t dlen = sizeof(msg);
	EVP_PKEY *pk = ukc_pubkey_from_object(p11, s, pub);

	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_get_bits(pk), (int)k->bits);
	ukc_random(msg, sizeof(msg));
	if (!k->rsa) {
		/* an e for raw SM2 (any 32 bytes), a hash for ECDSA */
		assert_int_equal(EVP_Digest(msg, sizeof(msg), h, &hl, is_sm2 ? EVP_sm3() : EVP_sha256(), NULL), 1);
		data = h;
		dlen = hl;
	}
	RV(p11->C_SignInit(s, &m, priv), CKR_OK);
	RV(p11->C_Sign(s, (CK_BYTE_PTR)data, dlen, sig, &sl), CKR_OK);
	assert_int_equal(ukc_verify(pk, k->rsa ? &rsa : ec, NULL, data, dlen, sig, sl), 1);
	sig[sl / 3] ^= 0x04;
	assert_int_equal(ukc_verify(pk, k->rsa ? &rsa : ec, NULL, data, dlen, sig, sl), 0);
	EVP_PKEY_free(pk);
}

static void test_generate(void **state)
{
	const struct kspec *k = *state;
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE, h;
	CK_MECHANISM_INFO mi;
	unsigned char id[32];
	CK_ATTRIBUTE ida = { CKA_ID, id, sizeof(id) };

	ctx_name = k->name;
	ukt_skip_if(!ukt_has_mechanism(p11, slot, k->mech), "the device cannot generate this key type");
	RV(p11->C_GetMechanismInfo(slot, k->mech, &mi), CKR_OK);
	ukt_skip_if(k->bits > mi.ulMaxKeySize, "the device generates no keys this large");
	RV(generate(s, k, &pub, &priv), CKR_OK);
	assert_true(pub != CK_INVALID_HANDLE && priv != CK_INVALID_HANDLE && pub != priv);
	/* p11 keeps the template's CKA_ID; skf derives it (docs/skf.md) */
	RV(p11->C_GetAttributeValue(s, pub, &ida, 1), CKR_OK);
	if (!ukt_is_skf()) {
		assert_int_equal(ida.ulValueLen, 1);
		assert_int_equal(id[0], k->id);
	}
	/* Same session, same object: the handle must not change. */
	RV(ukt_find_one(p11, s, CKO_PUBLIC_KEY, id, ida.ulValueLen, &h), CKR_OK);
	assert_int_equal(h, pub);
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, id, ida.ulValueLen, &h), CKR_OK);
	assert_int_equal(h, priv);
	check_public(k, pub);
	check_private(k, priv);
	sign_with_new_key(k, priv, pub);

	RV(p11->C_DestroyObject(s, priv), CKR_OK);
	/* skf: destroying the signing private key deletes its container, so
	 * the public key went with it */
	if (!ukt_is_skf())
		RV(p11->C_DestroyObject(s, pub), CKR_OK);
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, id, ida.ulValueLen, &h), CKR_OBJECT_HANDLE_INVALID);
	RV(ukt_find_one(p11, s, CKO_PUBLIC_KEY, id, ida.ulValueLen, &h), CKR_OBJECT_HANDLE_INVALID);
	RV(p11->C_DestroyObject(s, pub), CKR_OBJECT_HANDLE_INVALID);
}

static void test_generate_in_read_only_session_returns_session_read_only(void **state)
{
	const struct kspec *k = *state;
	CK_SESSION_HANDLE ro;
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE, h;
	CK_RV rv;

	ctx_name = "ro";
	RV(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
	rv = generate(ro, k, &pub, &priv);
	p11->C_CloseSession(ro);
	RV(rv, CKR_SESSION_READ_ONLY);
	RV(find_label(s, CKO_PUBLIC_KEY, k, &h), CKR_OBJECT_HANDLE_INVALID);
}

static void test_generate_without_login_returns_user_not_logged_in(void **state)
{
	const struct kspec *k = *state;
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE, h;
	CK_RV rv;

	ctx_name = "no login";
	RV(p11->C_Logout(s), CKR_OK);
	rv = generate(s, k, &pub, &priv);
	RV(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)tok.user_pin, strlen(tok.user_pin)), CKR_OK);
	RV(rv, CKR_USER_NOT_LOGGED_IN);
	RV(find_label(s, CKO_PUBLIC_KEY, k, &h), CKR_OBJECT_HANDLE_INVALID);
}

#define T(fn, k, tag) { #fn tag, fn, test_setup, test_teardown, (void *)&k }

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_generate, k_rsa2048, "_rsa_2048_found_signs_sensitive_destroyed"),
		T(test_generate, k_rsa3072, "_rsa_3072_found_signs_sensitive_destroyed"),
		T(test_generate, k_p256, "_ec_p256_found_signs_sensitive_destroyed"),
		T(test_generate, k_p384, "_ec_p384_found_signs_sensitive_destroyed"),
		T(test_generate_in_read_only_session_returns_session_read_only, k_p256, ""),
		T(test_generate_without_login_returns_user_not_logged_in, k_p256, ""),
	};
	/* skf: SM2 instead of ECDSA keys for the session and login rules */
	const struct CMUnitTest skf_tests[] = {
		T(test_generate, k_rsa2048, "_rsa_2048_found_signs_sensitive_destroyed"),
		T(test_generate, k_rsa3072, "_rsa_3072_found_signs_sensitive_destroyed"),
		T(test_generate, k_p256, "_ec_p256_found_signs_sensitive_destroyed"),
		T(test_generate, k_p384, "_ec_p384_found_signs_sensitive_destroyed"),
		T(test_generate, k_sm2, "_sm2_found_signs_sensitive_destroyed"),
		T(test_generate_in_read_only_session_returns_session_read_only, k_sm2, ""),
		T(test_generate_without_login_returns_user_not_logged_in, k_sm2, ""),
	};

	if (ukt_is_skf())
		return cmocka_run_group_tests_name("keygen", skf_tests, group_setup, group_teardown);
	return cmocka_run_group_tests_name("keygen", tests, group_setup, group_teardown);
}
