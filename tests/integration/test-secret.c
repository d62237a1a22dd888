/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Secret keys and the backend's own mechanisms through the module
 * (module/token/pass-*.c). On p11 (SoftHSM) they pass through: C_GenerateKey
 * of session and token keys, AES in every mode SoftHSM lists, triple DES
 * and HMAC, each checked against OpenSSL with the same key (known answers,
 * one-shot and multi-part), C_DigestKey, C_WrapKey/C_UnwrapKey, and a key
 * value the cache never keeps. On skf (GM/T 0016 has no secret-key objects,
 * docs/skf.md) none of those mechanisms is listed, each is refused with
 * CKR_MECHANISM_INVALID and no secret key can be made; the argument checks
 * come first on both. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "pass-common.h"

static const unsigned char key32[32] = { 0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae,
					 0xf0, 0x85, 0x7d, 0x77, 0x81, 0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61,
					 0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4 };
static const unsigned char iv16[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static unsigned char msg[100];

static int group_setup(void **state)
{
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 7 + 3);
	return pass_group_setup(state);
}

/* A session secret key with a known value, usable for everything. */
static CK_OBJECT_HANDLE make_key(CK_KEY_TYPE kt, const unsigned char *val, CK_ULONG len, bool sensitive)
{
	static CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_BBOOL sens = sensitive ? CK_TRUE : CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_VALUE, (void *)val, len }, { CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_ENCRYPT, &yes, 1 }, { CKA_DECRYPT, &yes, 1 }, { CKA_SIGN, &yes, 1 }, { CKA_VERIFY, &yes, 1 },
		{ CKA_WRAP, &yes, 1 }, { CKA_UNWRAP, &yes, 1 }, { CKA_EXTRACTABLE, &yes, 1 },
		{ CKA_SENSITIVE, &sens, 1 },
	};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	RV(p11->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h), CKR_OK);
	return h;
}

/* skf: GM/T 0016 keeps no secret-key objects (docs/skf.md). The mechanism
 * is refused, with a real key, and no secret key can be made. True then. */
static bool skf_refuses(CK_MECHANISM_TYPE mech, bool sign)
{
	static CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	static CK_KEY_TYPE kt = CKK_AES;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &kt, sizeof(kt) },
			     { CKA_VALUE, (void *)key32, 32 } };
	CK_MECHANISM m = { mech, NULL, 0 };
	CK_OBJECT_HANDLE pub, h;

	if (!ukt_is_skf())
		return false;
	RV(ukt_find_one(p11, s, CKO_PUBLIC_KEY, tok.enc_id, tok.enc_id_len, &pub), CKR_OK);
	RV(sign ? p11->C_SignInit(s, &m, pub) : p11->C_EncryptInit(s, &m, pub), CKR_MECHANISM_INVALID);
	RV(p11->C_CreateObject(s, t, 3, &h), CKR_TEMPLATE_INCONSISTENT);
	return true;
}

static CK_ULONG ulong_attr(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG v = (CK_ULONG)-1;
	CK_ATTRIBUTE a = { type, &v, sizeof(v) };
	RV(p11->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
	return v;
}

static CK_BBOOL bool_attr(CK_SESSION_HANDLE sess, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = 2;
	CK_ATTRIBUTE a = { type, &v, sizeof(v) };
	RV(p11->C_GetAttributeValue(sess, h, &a, 1), CKR_OK);
	return v;
}

static void test_mechanisms_listed_per_backend(void **state)
{
	static const CK_MECHANISM_TYPE own[] = { CKM_AES_KEY_GEN, CKM_AES_CBC_PAD, CKM_AES_GCM, CKM_DES3_CBC_PAD,
						 CKM_GENERIC_SECRET_KEY_GEN, CKM_SHA256_HMAC, CKM_RSA_X_509 };
	CK_MECHANISM_INFO info;
	(void)state;
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		assert_int_equal(ukt_has_mechanism(p11, slot, own[i]), !ukt_is_skf());
		RV(p11->C_GetMechanismInfo(slot, own[i], &info), ukt_is_skf() ? CKR_MECHANISM_INVALID : CKR_OK);
	}
	/* Derivation does not pass through: never listed. */
	assert_false(ukt_has_mechanism(p11, slot, CKM_AES_CBC_ENCRYPT_DATA));
	assert_false(ukt_has_mechanism(p11, slot, CKM_ECDH1_DERIVE));
	if (ukt_is_skf())
		return;
	RV(p11->C_GetMechanismInfo(slot, CKM_AES_CBC_PAD, &info), CKR_OK);
	assert_int_equal(info.flags & ~CKF_HW, CKF_ENCRYPT | CKF_DECRYPT);
	assert_true(info.ulMinKeySize <= 16 && info.ulMaxKeySize >= 32);
	RV(p11->C_GetMechanismInfo(slot, CKM_SHA256_HMAC, &info), CKR_OK);
	assert_int_equal(info.flags & ~CKF_HW, CKF_SIGN | CKF_VERIFY);
	RV(p11->C_GetMechanismInfo(slot, CKM_AES_KEY_GEN, &info), CKR_OK);
	assert_int_equal(info.flags & ~CKF_HW, CKF_GENERATE);
}

static void test_generate_key_checks_arguments_then_makes_session_and_token_keys(void **state)
{
	static CK_ULONG len32 = 32;
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE t[] = { { CKA_VALUE_LEN, &len32, sizeof(len32) }, { CKA_PRIVATE, &no, 1 },
			     { CKA_ENCRYPT, &yes, 1 }, { CKA_TOKEN, &yes, 1 } };
	CK_ATTRIBUTE twice[] = { t[0], { CKA_TOKEN, &no, 1 }, { CKA_TOKEN, &yes, 1 } };
	CK_ATTRIBUTE hole[] = { t[0], { CKA_LABEL, NULL, 4 } };
	CK_OBJECT_HANDLE k = CK_INVALID_HANDLE, tk = CK_INVALID_HANDLE;
	CK_SESSION_HANDLE rw, other;
	(void)state;

	/* Arguments first, whatever the backend can do. */
	RV(p11->C_GenerateKey(s, NULL, t, 3, &k), CKR_ARGUMENTS_BAD);
	RV(p11->C_GenerateKey(s, &gen, NULL, 1, &k), CKR_ARGUMENTS_BAD);
	RV(p11->C_GenerateKey(s, &gen, t, 3, NULL), CKR_ARGUMENTS_BAD);
	RV(p11->C_GenerateKey(CK_INVALID_HANDLE, &gen, t, 3, &k), CKR_SESSION_HANDLE_INVALID);
	if (ukt_is_skf()) {
		RV(p11->C_GenerateKey(s, &gen, t, 3, &k), CKR_MECHANISM_INVALID);
		return;
	}
	RV(p11->C_GenerateKey(s, &gen, twice, 3, &k), CKR_TEMPLATE_INCONSISTENT);
	RV(p11->C_GenerateKey(s, &gen, hole, 2, &k), CKR_ATTRIBUTE_VALUE_INVALID);
	/* A read-only session makes session keys (PKCS#11's default), not token ones. */
	RV(p11->C_GenerateKey(s, &gen, t, 4, &k), CKR_SESSION_READ_ONLY);
	RV(p11->C_GenerateKey(s, &gen, t, 3, &k), CKR_OK);
	assert_int_equal(ulong_attr(k, CKA_CLASS), CKO_SECRET_KEY);
	assert_int_equal(ulong_attr(k, CKA_KEY_TYPE), CKK_AES);
	assert_int_equal(ulong_attr(k, CKA_VALUE_LEN), 32);
	assert_int_equal(bool_attr(s, k, CKA_TOKEN), CK_FALSE);
	assert_int_equal(bool_attr(s, k, CKA_LOCAL), CK_TRUE);
	/* Visible to the application's other sessions, gone with its own. */
	RV(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &other), CKR_OK);
	assert_int_equal(bool_attr(other, k, CKA_ENCRYPT), CK_TRUE);
	RV(p11->C_CloseSession(s), CKR_OK);
	CK_ATTRIBUTE a = { CKA_CLASS, NULL, 0 };
	RV(p11->C_GetAttributeValue(other, k, &a, 1), CKR_OBJECT_HANDLE_INVALID);
	s = other;
	/* A token key from a read-write session, found from another session. */
	RV(p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw), CKR_OK);
	RV(p11->C_GenerateKey(rw, &gen, t, 4, &tk), CKR_OK);
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	/* Found by its length too: CKA_VALUE_LEN is cached, CKA_VALUE never. */
	CK_ATTRIBUTE f[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_VALUE_LEN, &len32, sizeof(len32) } };
	CK_OBJECT_HANDLE found[8];
	CK_ULONG n = 0;
	RV(p11->C_FindObjectsInit(s, f, 2), CKR_OK);
	RV(p11->C_FindObjects(s, found, 8, &n), CKR_OK);
	RV(p11->C_FindObjectsFinal(s), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(found[0], tk);
	assert_int_equal(bool_attr(s, tk, CKA_TOKEN), CK_TRUE);
	RV(p11->C_DestroyObject(rw, tk), CKR_OK);
	RV(p11->C_CloseSession(rw), CKR_OK);
}

/* OpenSSL's answer for a cipher, with the same key and IV. */
static int ossl_cipher(const char *name, const unsigned char *key, bool pad, bool enc, const unsigned char *in,
		       int inlen, unsigned char *out)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;
	assert_non_null(c);
	assert_true(ctx && EVP_CipherInit_ex2(ctx, c, key, iv16, enc, NULL));
	EVP_CIPHER_CTX_set_padding(ctx, pad);
	assert_true(EVP_CipherUpdate(ctx, out, &n, in, inlen) && EVP_CipherFinal_ex(ctx, out + n, &m));
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return n + m;
}

/* Encrypts msg one-shot and in two Updates and a Final; both must give
 * want; then decrypts it back. */
static void encrypt_both_ways(CK_MECHANISM *m, CK_OBJECT_HANDLE k, const unsigned char *want, CK_ULONG wantlen,
			      CK_ULONG inlen)
{
	unsigned char out[256], back[256];
	CK_ULONG n = 0, a = sizeof(out), b, total;

	RV(p11->C_EncryptInit(s, m, k), CKR_OK);
	RV(p11->C_Encrypt(s, msg, inlen, NULL, &n), CKR_OK); /* a size query keeps it */
	assert_true(n >= wantlen);
	n = sizeof(out);
	RV(p11->C_Encrypt(s, msg, inlen, out, &n), CKR_OK);
	assert_int_equal(n, wantlen);
	assert_memory_equal(out, want, wantlen);
	RV(p11->C_EncryptInit(s, m, k), CKR_OK);
	RV(p11->C_EncryptUpdate(s, msg, 37, out, &a), CKR_OK);
	b = sizeof(out) - a;
	RV(p11->C_EncryptUpdate(s, msg + 37, inlen - 37, out + a, &b), CKR_OK);
	total = a + b;
	b = sizeof(out) - total;
	RV(p11->C_EncryptFinal(s, out + total, &b), CKR_OK);
	total += b;
	assert_int_equal(total, wantlen);
	assert_memory_equal(out, want, wantlen);
	RV(p11->C_DecryptInit(s, m, k), CKR_OK);
	n = sizeof(back);
	RV(p11->C_Decrypt(s, out, total, back, &n), CKR_OK);
	assert_int_equal(n, inlen);
	assert_memory_equal(back, msg, inlen);
}

static void test_aes_and_des3_modes_equal_openssl(void **state)
{
	static const unsigned char des24[24] = "0123456789abcdefFEDCBA98";
	CK_AES_CTR_PARAMS ctr = { 128, { 0 } };
	CK_MECHANISM ecb = { CKM_AES_ECB, NULL, 0 }, cbc = { CKM_AES_CBC, (void *)iv16, 16 };
	CK_MECHANISM cbcpad = { CKM_AES_CBC_PAD, (void *)iv16, 16 }, ctrm = { CKM_AES_CTR, &ctr, sizeof(ctr) };
	CK_MECHANISM des = { CKM_DES3_CBC_PAD, (void *)iv16, 8 };
	unsigned char want[256];
	int n;
	(void)state;
	if (skf_refuses(CKM_AES_CBC_PAD, false))
		return;
	memcpy(ctr.cb, iv16, 16);
	CK_OBJECT_HANDLE k = make_key(CKK_AES, key32, 32, true);
	n = ossl_cipher("AES-256-ECB", key32, false, true, msg, 96, want);
	encrypt_both_ways(&ecb, k, want, (CK_ULONG)n, 96);
	n = ossl_cipher("AES-256-CBC", key32, false, true, msg, 96, want);
	encrypt_both_ways(&cbc, k, want, (CK_ULONG)n, 96);
	n = ossl_cipher("AES-256-CBC", key32, true, true, msg, 100, want);
	assert_int_equal(n, 112);
	encrypt_both_ways(&cbcpad, k, want, (CK_ULONG)n, 100);
	n = ossl_cipher("AES-256-CTR", key32, false, true, msg, 100, want);
	encrypt_both_ways(&ctrm, k, want, (CK_ULONG)n, 100);
	CK_OBJECT_HANDLE d = make_key(CKK_DES3, des24, 24, true);
	n = ossl_cipher("DES-EDE3-CBC", des24, true, true, msg, 100, want);
	encrypt_both_ways(&des, d, want, (CK_ULONG)n, 100);
	/* Without padding, a partial block is the caller's error. */
	CK_ULONG len = sizeof(want);
	RV(p11->C_EncryptInit(s, &cbc, k), CKR_OK);
	RV(p11->C_Encrypt(s, msg, 100, want, &len), CKR_DATA_LEN_RANGE);
	RV(p11->C_EncryptUpdate(s, msg, 16, want, &len), CKR_OPERATION_NOT_INITIALIZED);
}

static void test_aes_gcm_equals_openssl_and_rejects_a_bad_tag(void **state)
{
	static unsigned char aad[] = "header";
	unsigned char want[128], out[128], back[128];
	CK_GCM_PARAMS gp = { (CK_BYTE *)iv16, 12, 96, aad, 6, 128 };
	CK_MECHANISM m = { CKM_AES_GCM, &gp, sizeof(gp) };
	CK_ULONG n = sizeof(out);
	int len = 0, fin = 0;
	(void)state;
	if (skf_refuses(CKM_AES_GCM, false))
		return;
	CK_OBJECT_HANDLE k = make_key(CKK_AES, key32, 32, true);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	assert_true(ctx && EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), key32, iv16, NULL));
	assert_true(EVP_EncryptUpdate(ctx, NULL, &len, aad, 6) && EVP_EncryptUpdate(ctx, want, &len, msg, 100) &&
		    EVP_EncryptFinal_ex(ctx, want + len, &fin));
	assert_true(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, want + 100));
	EVP_CIPHER_CTX_free(ctx);
	RV(p11->C_EncryptInit(s, &m, k), CKR_OK);
	RV(p11->C_Encrypt(s, msg, 100, out, &n), CKR_OK);
	assert_int_equal(n, 116);
	assert_memory_equal(out, want, 116);
	RV(p11->C_DecryptInit(s, &m, k), CKR_OK);
	n = sizeof(back);
	RV(p11->C_Decrypt(s, out, 116, back, &n), CKR_OK);
	assert_int_equal(n, 100);
	assert_memory_equal(back, msg, 100);
	out[110] ^= 1;
	RV(p11->C_DecryptInit(s, &m, k), CKR_OK);
	n = sizeof(back);
	assert_int_not_equal(p11->C_Decrypt(s, out, 116, back, &n), CKR_OK);
	/* ...and that ended the operation. */
	RV(p11->C_Decrypt(s, out, 116, back, &n), CKR_OPERATION_NOT_INITIALIZED);
}

static void hmac_openssl(const char *md, const unsigned char *key, size_t klen, unsigned char *out, size_t *outlen)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0),
			   OSSL_PARAM_construct_end() };
	assert_true(c && EVP_MAC_init(c, key, klen, p) && EVP_MAC_update(c, msg, sizeof(msg)) &&
		    EVP_MAC_final(c, out, outlen, 64));
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(mac);
}

static void test_hmac_sign_and_verify_equal_openssl(void **state)
{
	static const struct { CK_MECHANISM_TYPE mech; const char *md; } hm[] = {
		{ CKM_SHA_1_HMAC, "SHA1" }, { CKM_SHA256_HMAC, "SHA256" }, { CKM_SHA512_HMAC, "SHA512" } };
	unsigned char key[64], want[64], sig[64];
	(void)state;
	if (skf_refuses(CKM_SHA256_HMAC, true))
		return;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(0xa0 + i);
	CK_OBJECT_HANDLE k = make_key(CKK_GENERIC_SECRET, key, sizeof(key), true);
	for (size_t i = 0; i < sizeof(hm) / sizeof(hm[0]); i++) {
		CK_MECHANISM m = { hm[i].mech, NULL, 0 };
		size_t wlen = 0;
		CK_ULONG n = sizeof(sig);
		hmac_openssl(hm[i].md, key, sizeof(key), want, &wlen);
		RV(p11->C_SignInit(s, &m, k), CKR_OK);
		RV(p11->C_Sign(s, msg, sizeof(msg), sig, &n), CKR_OK);
		assert_int_equal(n, wlen);
		assert_memory_equal(sig, want, wlen);
		RV(p11->C_SignInit(s, &m, k), CKR_OK);
		RV(p11->C_SignUpdate(s, msg, 50), CKR_OK);
		RV(p11->C_SignUpdate(s, msg + 50, sizeof(msg) - 50), CKR_OK);
		n = sizeof(sig);
		RV(p11->C_SignFinal(s, sig, &n), CKR_OK);
		assert_memory_equal(sig, want, wlen);
		RV(p11->C_VerifyInit(s, &m, k), CKR_OK);
		RV(p11->C_Verify(s, msg, sizeof(msg), want, (CK_ULONG)wlen), CKR_OK);
		want[3] ^= 0x10;
		RV(p11->C_VerifyInit(s, &m, k), CKR_OK);
		RV(p11->C_VerifyUpdate(s, msg, sizeof(msg)), CKR_OK);
		RV(p11->C_VerifyFinal(s, want, (CK_ULONG)wlen), CKR_SIGNATURE_INVALID);
	}
}

static void test_digest_key_feeds_a_readable_key_and_refuses_others(void **state)
{
	CK_MECHANISM sha = { CKM_SHA256, NULL, 0 };
	unsigned char got[32], want[32], both[3 + 32];
	CK_ULONG n = sizeof(got);
	CK_OBJECT_HANDLE pub;
	(void)state;
	RV(p11->C_DigestKey(s, CK_INVALID_HANDLE), CKR_OPERATION_NOT_INITIALIZED);
	RV(p11->C_DigestInit(s, &sha), CKR_OK);
	RV(p11->C_DigestUpdate(s, (CK_BYTE_PTR) "abc", 3), CKR_OK);
	RV(p11->C_DigestKey(s, 0x7fffff), CKR_KEY_HANDLE_INVALID);
	RV(ukt_find_one(p11, s, CKO_PUBLIC_KEY, tok.sign_id, tok.sign_id_len, &pub), CKR_OK);
	RV(p11->C_DigestKey(s, pub), CKR_KEY_INDIGESTIBLE);
	if (!ukt_is_skf()) {
		/* A sensitive value never leaves the backend, not even hashed. */
		RV(p11->C_DigestKey(s, make_key(CKK_AES, key32, 32, true)), CKR_KEY_INDIGESTIBLE);
		RV(p11->C_DigestKey(s, make_key(CKK_AES, key32, 32, false)), CKR_OK);
	}
	RV(p11->C_DigestFinal(s, got, &n), CKR_OK);
	memcpy(both, "abc", 3);
	memcpy(both + 3, key32, 32);
	assert_true(EVP_Digest(both, ukt_is_skf() ? 3 : sizeof(both), want, NULL, EVP_sha256(), NULL));
	assert_memory_equal(got, want, 32);
}

/* The cache never keeps a secret value: once the key may no longer be
 * extracted, the module cannot hand out a value it read before. */
static void test_secret_value_is_never_served_from_the_cache(void **state)
{
	static CK_BBOOL no = CK_FALSE;
	unsigned char val[32];
	CK_ATTRIBUTE a = { CKA_VALUE, val, sizeof(val) }, off = { CKA_EXTRACTABLE, &no, 1 };
	(void)state;
	if (skf_refuses(CKM_AES_ECB, false))
		return;
	CK_OBJECT_HANDLE k = make_key(CKK_AES, key32, 32, false);
	RV(p11->C_GetAttributeValue(s, k, &a, 1), CKR_OK);
	assert_memory_equal(val, key32, 32);
	RV(p11->C_SetAttributeValue(s, k, &off, 1), CKR_OK);
	a.ulValueLen = sizeof(val);
	assert_int_not_equal(p11->C_GetAttributeValue(s, k, &a, 1), CKR_OK);
	assert_int_equal(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

static void test_wrap_and_unwrap_with_aes_and_rsa(void **state)
{
	static CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	static CK_KEY_TYPE aes = CKK_AES;
	static CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &aes, sizeof(aes) },
			     { CKA_ENCRYPT, &yes, 1 } };
	CK_MECHANISM kw = { CKM_AES_KEY_WRAP, NULL, 0 }, rsa = { CKM_RSA_PKCS, NULL, 0 };
	CK_MECHANISM ecb = { CKM_AES_ECB, NULL, 0 };
	unsigned char kek[32], wrapped[512], want[40], c1[16], c2[16];
	CK_ULONG n = sizeof(wrapped), m;
	CK_OBJECT_HANDLE pub, priv, u = CK_INVALID_HANDLE;
	int outl = 0;
	(void)state;
	RV(p11->C_WrapKey(s, NULL, 1, 2, wrapped, &n), CKR_ARGUMENTS_BAD);
	RV(p11->C_WrapKey(s, &kw, 1, 2, wrapped, NULL), CKR_ARGUMENTS_BAD);
	if (ukt_is_skf()) {
		RV(p11->C_WrapKey(s, &rsa, 1, 2, wrapped, &n), CKR_MECHANISM_INVALID);
		RV(p11->C_UnwrapKey(s, &rsa, 1, wrapped, 16, t, 3, &u), CKR_MECHANISM_INVALID);
		return;
	}
	for (size_t i = 0; i < sizeof(kek); i++)
		kek[i] = (unsigned char)(0x11 * i);
	CK_OBJECT_HANDLE w = make_key(CKK_AES, kek, 32, true), k = make_key(CKK_AES, key32, 32, true);
	RV(p11->C_WrapKey(s, &kw, 0x7fffff, k, wrapped, &n), CKR_WRAPPING_KEY_HANDLE_INVALID);
	RV(p11->C_WrapKey(s, &kw, w, 0x7fffff, wrapped, &n), CKR_KEY_HANDLE_INVALID);
	RV(p11->C_WrapKey(s, &kw, w, k, NULL, &n), CKR_OK);
	assert_int_equal(n, 40);
	RV(p11->C_WrapKey(s, &kw, w, k, wrapped, &n), CKR_OK);
	/* RFC 3394 with OpenSSL's id-aes256-wrap. */
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	assert_true(ctx && EVP_EncryptInit_ex2(ctx, EVP_aes_256_wrap(), kek, NULL, NULL) &&
		    EVP_EncryptUpdate(ctx, want, &outl, key32, 32));
	EVP_CIPHER_CTX_free(ctx);
	assert_int_equal(outl, 40);
	assert_memory_equal(wrapped, want, 40);
	RV(p11->C_UnwrapKey(s, &kw, w, wrapped, n, t, 3, &u), CKR_OK);
	assert_int_equal(bool_attr(s, u, CKA_TOKEN), CK_FALSE);
	for (int i = 0; i < 2; i++) {
		m = 16;
		RV(p11->C_EncryptInit(s, &ecb, i ? u : k), CKR_OK);
		RV(p11->C_Encrypt(s, msg, 16, i ? c2 : c1, &m), CKR_OK);
	}
	assert_memory_equal(c1, c2, 16);
	/* RSA PKCS#1 v1.5 with the token's encryption pair. */
	RV(ukt_find_one(p11, s, CKO_PUBLIC_KEY, tok.enc_id, tok.enc_id_len, &pub), CKR_OK);
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.enc_id, tok.enc_id_len, &priv), CKR_OK);
	n = sizeof(wrapped);
	RV(p11->C_WrapKey(s, &rsa, pub, k, wrapped, &n), CKR_OK);
	assert_int_equal(n, 256);
	RV(p11->C_UnwrapKey(s, &rsa, priv, wrapped, n, t, 3, &u), CKR_OK);
	m = 16;
	RV(p11->C_EncryptInit(s, &ecb, u), CKR_OK);
	RV(p11->C_Encrypt(s, msg, 16, c2, &m), CKR_OK);
	assert_memory_equal(c1, c2, 16);
	/* Bytes that are no wrapped key: the wrapped key is what is wrong. */
	wrapped[5] ^= 0xff;
	RV(p11->C_UnwrapKey(s, &kw, w, wrapped, 40, t, 3, &u), CKR_WRAPPED_KEY_INVALID);
}

/* Private session keys die at logout (PKCS#11: with the login state). */
static void test_logout_drops_private_session_keys(void **state)
{
	static CK_ULONG len = 16;
	static CK_BBOOL yes = CK_TRUE;
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 }, ecb = { CKM_AES_ECB, NULL, 0 };
	CK_ATTRIBUTE t[] = { { CKA_VALUE_LEN, &len, sizeof(len) }, { CKA_PRIVATE, &yes, 1 }, { CKA_ENCRYPT, &yes, 1 } };
	CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
	(void)state;
	if (ukt_is_skf()) {
		RV(p11->C_GenerateKey(s, &gen, t, 3, &k), CKR_MECHANISM_INVALID);
		return;
	}
	RV(p11->C_GenerateKey(s, &gen, t, 3, &k), CKR_OK);
	assert_int_equal(bool_attr(s, k, CKA_PRIVATE), CK_TRUE);
	RV(p11->C_Logout(s), CKR_OK);
	RV(p11->C_EncryptInit(s, &ecb, k), CKR_KEY_HANDLE_INVALID);
	RV(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)tok.user_pin, (CK_ULONG)strlen(tok.user_pin)), CKR_OK);
	CK_ATTRIBUTE a = { CKA_CLASS, NULL, 0 };
	RV(p11->C_GetAttributeValue(s, k, &a, 1), CKR_OBJECT_HANDLE_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mechanisms_listed_per_backend),
		T(test_generate_key_checks_arguments_then_makes_session_and_token_keys),
		T(test_aes_and_des3_modes_equal_openssl),
		T(test_aes_gcm_equals_openssl_and_rejects_a_bad_tag),
		T(test_hmac_sign_and_verify_equal_openssl),
		T(test_digest_key_feeds_a_readable_key_and_refuses_others),
		T(test_secret_value_is_never_served_from_the_cache),
		T(test_wrap_and_unwrap_with_aes_and_rsa),
		T(test_logout_drops_private_session_keys),
	};
	return cmocka_run_group_tests_name("secret", tests, group_setup, pass_group_teardown);
}
