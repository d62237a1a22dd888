/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* CKM_UKEY_ENVELOPED_KEY_PAIR through the module (renewal's encryption key
 * pair): an envelope built by common/envelope.h to a signing key just
 * generated on the token imports as a token key pair (p11/SoftHSM:
 * rsa-oaep-aes-v1 to an RSA key, and a second group: ecdh-aes-v1 to a P-256
 * key; skf/emulator: sm2-envelope-v1 to an SM2 key); the private key
 * proves it is the envelope's (RSA, SM2: it decrypts what OpenSSL encrypted
 * to the envelope's public key; EC: see unwrap-ecdh.h), stays
 * sensitive and unextractable, has its public key under the same CKA_ID,
 * and is still there after C_Finalize/C_Initialize. Every refusal gives its
 * CKR_* and leaves the token as it was, tampered envelopes included. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto-check.h"
#include "envelope.h"
#include "testlib.h"
#include "unwrap-ecdh.h"
#include "unwrap-tamper.h"
#include "ukey-pkcs11.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
/* The group's tokens: tok_main (RSA; skf: SM2) and, on p11, tok_ec (P-256)
 * in the same SoftHSM; cur is the one the running test uses. */
static struct ukt_token tok_main, tok_ec, *cur = &tok_main;
static CK_SLOT_ID slot;
static CK_SESSION_HANDLE base, s;

static const unsigned char oid_sm2[] = { 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d };
static const unsigned char oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char f4[] = { 0x01, 0x00, 0x01 };
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY;
static CK_ULONG rsa_type = CKK_RSA, sm2_type = CKK_SM2, ec_type = CKK_EC;
static unsigned char enc_id[] = { 0xe5, 0x01 };
static char enc_label[] = "renewed encryption key";

/* The key type of the group: the signing key's and the envelope's. */
static enum { K_RSA, K_SM2, K_EC } kind;

/* The format and key type of the group. */
static CK_ULONG format(void)
{
	return kind == K_SM2 ? UKEY_ENVELOPE_SM2_V1 : kind == K_EC ? UKEY_ENVELOPE_ECDH_AES_V1 : UKEY_ENVELOPE_RSA_OAEP_AES_V1;
}
static CK_ULONG *key_type(void) { return kind == K_SM2 ? &sm2_type : kind == K_EC ? &ec_type : &rsa_type; }

/* The renewal's private-key template (EC: CKA_DERIVE in place of
 * CKA_DECRYPT, at the same index). */
#define TMPL_N 10
#define TMPL_USAGE 6
static void template(CK_ATTRIBUTE t[TMPL_N])
{
	CK_ATTRIBUTE v[TMPL_N] = {
		{ CKA_CLASS, &priv_class, sizeof(priv_class) }, { CKA_KEY_TYPE, key_type(), sizeof(CK_ULONG) },
		{ CKA_TOKEN, &yes, sizeof(yes) },               { CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },           { CKA_EXTRACTABLE, &no, sizeof(no) },
		{ kind == K_EC ? CKA_DERIVE : CKA_DECRYPT, &yes, sizeof(yes) }, { CKA_SIGN, &no, sizeof(no) },
		{ CKA_ID, enc_id, sizeof(enc_id) },             { CKA_LABEL, enc_label, strlen(enc_label) },
	};
	memcpy(t, v, sizeof(v));
}

static CK_RV unwrap(CK_SESSION_HANDLE sess, CK_ULONG fmt, CK_OBJECT_HANDLE key, unsigned char *env, size_t len,
		    CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	CK_MECHANISM m = { CKM_UKEY_ENVELOPED_KEY_PAIR, &fmt, sizeof(fmt) };
	return p11->C_UnwrapKey(sess, &m, key, env, (CK_ULONG)len, t, n, out);
}

static CK_ULONG count_objects(CK_SESSION_HANDLE sess)
{
	CK_OBJECT_HANDLE h[256];
	CK_ULONG n = 0;
	assert_int_equal(p11->C_FindObjectsInit(sess, NULL, 0), CKR_OK);
	assert_int_equal(p11->C_FindObjects(sess, h, 256, &n), CKR_OK);
	assert_int_equal(p11->C_FindObjectsFinal(sess), CKR_OK);
	return n;
}

/* A new signing key pair on the token (skf: in a new container named
 * `name`); RSA signing keys get CKA_UNWRAP and EC ones CKA_DERIVE as the
 * renewal's keygen sets them (can_open FALSE: set to FALSE). */
static void keygen(const char *name, bool can_open, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_ULONG bits = 2048, npub = 4, npriv = 5;
	CK_BBOOL flag = can_open ? CK_TRUE : CK_FALSE;
	CK_MECHANISM m = { kind == K_SM2 ? CKM_SM2_KEY_PAIR_GEN
			   : kind == K_EC ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) }, { CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)name, strlen(name) },
		{ CKA_EC_PARAMS, (void *)(kind == K_SM2 ? oid_sm2 : oid_p256), sizeof(oid_p256) },
		{ CKA_PUBLIC_EXPONENT, (void *)f4, sizeof(f4) },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },        { CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },         { CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)name, strlen(name) }, { kind == K_EC ? CKA_DERIVE : CKA_UNWRAP, &flag, sizeof(flag) },
	};
	if (kind == K_RSA) {
		pubt[3] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
		npub = 5;
	}
	if (kind != K_SM2)
		npriv = 6;
	RV(p11->C_GenerateKeyPair(s, &m, pubt, npub, privt, npriv, pub, priv), CKR_OK);
}

/* The new encryption key pair, as the CA service makes it. */
static EVP_PKEY *new_pair(void)
{
	EVP_PKEY *k = kind == K_SM2  ? EVP_PKEY_Q_keygen(NULL, NULL, "SM2")
		      : kind == K_EC ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
				     : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(k);
	return k;
}

static unsigned char *build(EVP_PKEY *to, EVP_PKEY *pair, size_t *len)
{
	unsigned char *env = NULL;
	const char *fmt = NULL;
	char err[256] = "";
	int rc = ukc_envelope_build(to, pair, &env, len, &fmt, err, sizeof(err));
	if (rc != 0)
		print_error("# envelope: %s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(fmt, kind == K_SM2 ? "sm2-envelope-v1" : kind == K_EC ? "ecdh-aes-v1" : "rsa-oaep-aes-v1");
	return env;
}

/* OpenSSL encrypts to the pair's public key; the token decrypts. */
static void check_decrypts(CK_SESSION_HANDLE sess, CK_OBJECT_HANDLE priv, EVP_PKEY *pair)
{
	unsigned char msg[32], ct[512], pt[512];
	size_t ctlen = sizeof(ct);
	CK_ULONG ptlen = sizeof(pt);
	CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM m = { ukt_is_skf() ? CKM_SM2_ENCRYPT : CKM_RSA_PKCS_OAEP, ukt_is_skf() ? NULL : &oaep,
			   ukt_is_skf() ? 0 : sizeof(oaep) };
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pair, NULL);

	ukc_random(msg, sizeof(msg));
	assert_true(ctx && EVP_PKEY_encrypt_init(ctx) > 0);
	if (!ukt_is_skf())
		assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
			    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0 &&
			    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0);
	assert_true(EVP_PKEY_encrypt(ctx, ct, &ctlen, msg, sizeof(msg)) > 0);
	EVP_PKEY_CTX_free(ctx);
	RV(p11->C_DecryptInit(sess, &m, priv), CKR_OK);
	RV(p11->C_Decrypt(sess, ct, (CK_ULONG)ctlen, pt, &ptlen), CKR_OK);
	assert_int_equal(ptlen, sizeof(msg));
	assert_memory_equal(pt, msg, sizeof(msg));
}

/* The module offers no C_DeriveKey: the EC proof cannot go through it
 * (unwrap-ecdh.h). */
static void check_module_cannot_derive(CK_SESSION_HANDLE sess, CK_OBJECT_HANDLE priv)
{
	CK_ECDH1_DERIVE_PARAMS prm = { CKD_NULL, 0, NULL, 0, NULL };
	CK_MECHANISM m = { CKM_ECDH1_DERIVE, &prm, sizeof(prm) };
	CK_OBJECT_HANDLE h;
	RV(p11->C_DeriveKey(sess, &m, priv, NULL, 0, &h), CKR_FUNCTION_NOT_SUPPORTED);
}

/* The imported private key is the envelope's: RSA, SM2 by a decryption
 * through the module; EC by an ECDH in the backend, between a module
 * C_Finalize and a fresh module start (s and the returned handles are new
 * afterwards). */
static void check_possession(CK_OBJECT_HANDLE *priv, EVP_PKEY *pair)
{
	unsigned char id[64];
	CK_ATTRIBUTE ida = { CKA_ID, id, sizeof(id) };

	if (kind != K_EC) {
		check_decrypts(s, *priv, pair);
		return;
	}
	check_module_cannot_derive(s, *priv);
	RV(p11->C_GetAttributeValue(s, *priv, &ida, 1), CKR_OK);
	RV(p11->C_Finalize(NULL), CKR_OK);
	ukt_unwrap_ecdh_check(cur, id, ida.ulValueLen, pair);
	RV(ukt_open(p11, cur, true, true, &slot, &base), CKR_OK);
	RV(p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s), CKR_OK);
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, id, ida.ulValueLen, priv), CKR_OK);
}

static CK_BBOOL get_bool(CK_SESSION_HANDLE sess, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = 2;
	CK_ATTRIBUTE a = { type, &v, sizeof(v) };
	RV(p11->C_GetAttributeValue(sess, h, &a, 1), CKR_OK);
	return v;
}

static int group_setup(void **state)
{
	(void)state;
	if (ukt_vkey_create("rsa", &tok_main) != 0)
		return -1;
	/* p11 only: a SoftHSM P-256 token beside it, for ecdh-aes-v1. */
	if (!ukt_is_skf() && ukt_vkey_add(&tok_main, "ec", &tok_ec) != 0)
		return -1;
	if (!(p11 = ukt_module_load(&dl)))
		return -1;
	return ukt_open(p11, cur, true, true, &slot, &base) == CKR_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	ukt_vkey_destroy(&tok_main);
	if (tok_ec.dir[0])
		ukt_vkey_destroy(&tok_ec);
	return 0;
}

/* A logged-in rw session on the test's token; each test's imports get
 * their own CKA_ID, so a search by id finds that test's key. */
static int open_on(struct ukt_token *t)
{
	cur = t;
	enc_id[1]++;
	return ukt_open(p11, cur, true, true, &slot, &s) == CKR_OK ? 0 : -1;
}

static int test_setup(void **state)
{
	(void)state;
	kind = ukt_is_skf() ? K_SM2 : K_RSA;
	return open_on(&tok_main);
}

static int test_setup_ec(void **state)
{
	(void)state;
	kind = K_EC;
	return open_on(&tok_ec);
}

static int test_teardown(void **state)
{
	(void)state;
	p11->C_CloseSession(s);
	return 0;
}

static void test_mechanism_offered_with_unwrap_flag(void **state)
{
	CK_MECHANISM_INFO info;
	(void)state;
	assert_true(ukt_has_mechanism(p11, slot, CKM_UKEY_ENVELOPED_KEY_PAIR));
	RV(p11->C_GetMechanismInfo(slot, CKM_UKEY_ENVELOPED_KEY_PAIR, &info), CKR_OK);
	assert_true(info.flags & CKF_UNWRAP);
}

static void test_envelope_imports_a_decrypting_token_key_pair(void **state)
{
	CK_OBJECT_HANDLE spub, spriv, priv = CK_INVALID_HANDLE, pub;
	CK_ATTRIBUTE t[TMPL_N];
	unsigned char id[64];
	CK_ATTRIBUTE ida = { CKA_ID, id, sizeof(id) };
	CK_ULONG before;
	EVP_PKEY *to, *pair = new_pair(), *got;
	unsigned char *env;
	size_t len;
	(void)state;

	keygen("unwrap-ok", true, &spub, &spriv);
	to = ukc_pubkey_from_object(p11, s, spub);
	assert_non_null(to);
	env = build(to, pair, &len);
	template(t);
	before = count_objects(s);
	RV(unwrap(s, format(), spriv, env, len, t, TMPL_N, &priv), CKR_OK);
	assert_int_equal(count_objects(s), before + 2);
	check_possession(&priv, pair);
	/* An encryption key: it does not sign (the template said so). */
	assert_int_equal(get_bool(s, priv, CKA_SIGN), CK_FALSE);
	assert_int_equal(get_bool(s, priv, CKA_SENSITIVE), CK_TRUE);
	assert_int_equal(get_bool(s, priv, CKA_EXTRACTABLE), CK_FALSE);
	assert_int_equal(get_bool(s, priv, CKA_TOKEN), CK_TRUE);
	/* The caller reads the CKA_ID back (skf: the container's rule). */
	RV(p11->C_GetAttributeValue(s, priv, &ida, 1), CKR_OK);
	if (!ukt_is_skf()) {
		assert_int_equal(ida.ulValueLen, sizeof(enc_id));
		assert_memory_equal(id, enc_id, sizeof(enc_id));
	}
	RV(ukt_find_one(p11, s, CKO_PUBLIC_KEY, id, ida.ulValueLen, &pub), CKR_OK);
	got = ukc_pubkey_from_object(p11, s, pub);
	assert_non_null(got);
	assert_int_equal(EVP_PKEY_eq(got, pair), 1);
	EVP_PKEY_free(got);

	if (ukt_is_skf()) {
		/* The same pair again is a no-op; another one never replaces it. */
		CK_OBJECT_HANDLE again = CK_INVALID_HANDLE;
		EVP_PKEY *other = new_pair();
		size_t len2;
		unsigned char *env2 = build(to, other, &len2);
		before = count_objects(s);
		RV(unwrap(s, format(), spriv, env, len, t, TMPL_N, &again), CKR_OK);
		assert_int_equal(again, priv);
		RV(unwrap(s, format(), spriv, env2, len2, t, TMPL_N, &again), CKR_ACTION_PROHIBITED);
		assert_int_equal(count_objects(s), before);
		OPENSSL_free(env2);
		EVP_PKEY_free(other);
	}

	/* On the token: a new module life still has it, and it still works. */
	RV(p11->C_Finalize(NULL), CKR_OK);
	RV(ukt_open(p11, cur, true, true, &slot, &base), CKR_OK);
	RV(p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s), CKR_OK);
	RV(ukt_find_one(p11, s, CKO_PRIVATE_KEY, id, ida.ulValueLen, &priv), CKR_OK);
	if (kind != K_EC)
		check_decrypts(s, priv, pair);
	RV(ukt_find_one(p11, s, CKO_PUBLIC_KEY, id, ida.ulValueLen, &pub), CKR_OK);
	OPENSSL_free(env);
	EVP_PKEY_free(to);
	EVP_PKEY_free(pair);
}

/* Every refusal: its CKR_*, and nothing new on the token. */
static void test_refusals_give_their_error_and_add_nothing(void **state)
{
	CK_OBJECT_HANDLE spub, spriv, h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[TMPL_N];
	CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
	CK_ULONG before;
	CK_MECHANISM m;
	CK_SESSION_HANDLE ro;
	EVP_PKEY *to, *pair = new_pair(), *stranger = new_pair();
	unsigned char *env, *env_stranger;
	size_t len, len_stranger;
	(void)state;

	keygen("unwrap-refused", true, &spub, &spriv);
	to = ukc_pubkey_from_object(p11, s, spub);
	assert_non_null(to);
	env = build(to, pair, &len);
	env_stranger = build(stranger, pair, &len_stranger); /* sealed to another key */
	template(t);
	before = count_objects(s);

	/* mechanism and its parameter */
	m = (CK_MECHANISM){ CKM_UKEY_ENVELOPED_KEY_PAIR, NULL, 0 };
	RV(p11->C_UnwrapKey(s, &m, spriv, env, (CK_ULONG)len, t, TMPL_N, &h), CKR_MECHANISM_PARAM_INVALID);
	m.pParameter = &before;
	m.ulParameterLen = 4;
	RV(p11->C_UnwrapKey(s, &m, spriv, env, (CK_ULONG)len, t, TMPL_N, &h), CKR_MECHANISM_PARAM_INVALID);
	RV(unwrap(s, 99, spriv, env, len, t, TMPL_N, &h), CKR_MECHANISM_PARAM_INVALID);
	RV(unwrap(s, UKEY_ENVELOPE_SKF_RSA_V1 + 1, spriv, env, len, t, TMPL_N, &h), CKR_MECHANISM_PARAM_INVALID);
	/* a mechanism the token offers for nothing (CKM_RSA_PKCS unwraps in
	 * the backend now: tests/integration/test-secret.c) */
	m = (CK_MECHANISM){ CKM_DSA_SHA1, NULL, 0 };
	RV(p11->C_UnwrapKey(s, &m, spriv, env, (CK_ULONG)len, t, TMPL_N, &h), CKR_MECHANISM_INVALID);
	/* the unwrapping key */
	for (CK_ULONG f = UKEY_ENVELOPE_SM2_V1; f <= UKEY_ENVELOPE_ECDH_AES_V1; f++)
		if (f != format())
			RV(unwrap(s, f, spriv, env, len, t, TMPL_N, &h), CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);
	/* skf-rsa-envelope-v1: an RSA key's format on SKF only, so on this
	 * group's backend (p11 RSA) a format the token does not import */
	RV(unwrap(s, UKEY_ENVELOPE_SKF_RSA_V1, spriv, env, len, t, TMPL_N, &h),
	   kind == K_RSA ? CKR_MECHANISM_PARAM_INVALID : CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);
	/* an empty envelope of the token's format: the question "does this
	 * token import it" (docs/mechanisms.md), answered without a change */
	RV(unwrap(s, format(), spriv, env, 0, t, TMPL_N, &h), CKR_WRAPPED_KEY_LEN_RANGE);
	RV(unwrap(s, format(), spub, env, len, t, TMPL_N, &h), CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);
	RV(unwrap(s, format(), (CK_OBJECT_HANDLE)0x7ffffff0, env, len, t, TMPL_N, &h),
	   CKR_UNWRAPPING_KEY_HANDLE_INVALID);
	/* the template */
	t[0].pValue = &pub_class;
	RV(unwrap(s, format(), spriv, env, len, t, TMPL_N, &h), CKR_TEMPLATE_INCONSISTENT);
	template(t);
	t[2].pValue = &no; /* CKA_TOKEN */
	RV(unwrap(s, format(), spriv, env, len, t, TMPL_N, &h), CKR_TEMPLATE_INCONSISTENT);
	template(t);
	t[5].pValue = &yes; /* CKA_EXTRACTABLE */
	RV(unwrap(s, format(), spriv, env, len, t, TMPL_N, &h), CKR_TEMPLATE_INCONSISTENT);
	template(t);
	RV(unwrap(s, format(), spriv, env, len, t, 1, &h), CKR_TEMPLATE_INCONSISTENT); /* no CKA_TOKEN */
	if (kind == K_EC) {
		t[TMPL_USAGE].pValue = &no; /* CKA_DERIVE FALSE: the pair cannot be proved */
		RV(unwrap(s, format(), spriv, env, len, t, TMPL_N, &h), CKR_TEMPLATE_INCONSISTENT);
		template(t);
	}
	/* the envelope */
	RV(unwrap(s, format(), spriv, env, len - 1, t, TMPL_N, &h), ukt_is_skf() ? CKR_WRAPPED_KEY_LEN_RANGE
										    : CKR_WRAPPED_KEY_INVALID);
	RV(unwrap(s, format(), spriv, env, 16, t, TMPL_N, &h), CKR_WRAPPED_KEY_LEN_RANGE);
	RV(unwrap(s, format(), spriv, env_stranger, len_stranger, t, TMPL_N, &h), CKR_WRAPPED_KEY_INVALID);
	/* the session */
	RV(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
	RV(unwrap(ro, format(), spriv, env, len, t, TMPL_N, &h), CKR_SESSION_READ_ONLY);
	RV(p11->C_CloseSession(ro), CKR_OK);
	RV(p11->C_Logout(s), CKR_OK);
	RV(unwrap(s, format(), spriv, env, len, t, TMPL_N, &h), CKR_USER_NOT_LOGGED_IN);
	RV(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR *)cur->user_pin, strlen(cur->user_pin)), CKR_OK);
	assert_int_equal(count_objects(s), before);

	if (kind != K_SM2) {
		/* A signing key without CKA_UNWRAP (RSA) or CKA_DERIVE (EC): the
		 * backend says no. */
		CK_OBJECT_HANDLE npub, npriv;
		EVP_PKEY *nto;
		unsigned char *nenv;
		size_t nlen;
		keygen("unwrap-not-permitted", false, &npub, &npriv);
		nto = ukc_pubkey_from_object(p11, s, npub);
		assert_non_null(nto);
		nenv = build(nto, pair, &nlen);
		before = count_objects(s);
		RV(unwrap(s, format(), npriv, nenv, nlen, t, TMPL_N, &h), CKR_KEY_FUNCTION_NOT_PERMITTED);
		assert_int_equal(count_objects(s), before);
		OPENSSL_free(nenv);
		EVP_PKEY_free(nto);
	}
	OPENSSL_free(env);
	OPENSSL_free(env_stranger);
	EVP_PKEY_free(to);
	EVP_PKEY_free(pair);
	EVP_PKEY_free(stranger);
}

static void test_tampered_envelopes_are_refused_and_add_nothing(void **state)
{
	CK_OBJECT_HANDLE spub, spriv, h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[TMPL_N];
	CK_ULONG before;
	size_t off[16], n, len;
	EVP_PKEY *to, *pair = new_pair();
	unsigned char *env;
	(void)state;

	keygen("unwrap-tampered", true, &spub, &spriv);
	to = ukc_pubkey_from_object(p11, s, spub);
	assert_non_null(to);
	env = build(to, pair, &len);
	template(t);
	before = count_objects(s);
	n = ukt_tamper_offsets(env, len, off);
	for (size_t i = 0; i < n; i++) {
		CK_RV rv;
		assert_true(off[i] < len);
		env[off[i]] ^= 0x04;
		rv = unwrap(s, format(), spriv, env, len, t, TMPL_N, &h);
		env[off[i]] ^= 0x04;
		if (rv != CKR_WRAPPED_KEY_INVALID && rv != CKR_WRAPPED_KEY_LEN_RANGE)
			print_error("# byte %zu flipped: rv 0x%lx\n", off[i], (unsigned long)rv);
		assert_true(rv == CKR_WRAPPED_KEY_INVALID || rv == CKR_WRAPPED_KEY_LEN_RANGE);
		assert_int_equal(count_objects(s), before);
	}
	/* and the untouched envelope still imports afterwards (EC: from a
	 * template without CKA_DERIVE, which the module then adds: the proof
	 * derives with the key) */
	if (kind == K_EC)
		memmove(&t[TMPL_USAGE], &t[TMPL_USAGE + 1], (TMPL_N - TMPL_USAGE - 1) * sizeof(t[0]));
	RV(unwrap(s, format(), spriv, env, len, t, kind == K_EC ? TMPL_N - 1 : TMPL_N, &h), CKR_OK);
	check_possession(&h, pair);
	OPENSSL_free(env);
	EVP_PKEY_free(to);
	EVP_PKEY_free(pair);
}

/* p11 formats: a whole, valid envelope whose publicKey is another key's
 * (the SPKI of a second envelope spliced in): the driver's pair check
 * refuses it and removes the private key it had unwrapped. */
static void test_envelope_with_another_public_key_is_refused_and_adds_nothing(void **state)
{
	CK_OBJECT_HANDLE spub, spriv, h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[TMPL_N];
	CK_ULONG before;
	EVP_PKEY *to, *pair, *other;
	unsigned char *env, *env2, *spki;
	size_t len, len2, slen;
	int n;
	(void)state;

	ukt_skip_if(kind == K_SM2, "an SM2 envelope (SKF blob) carries its public key for SKF_ImportECCKeyPair to check, "
				   "not the module");
	pair = new_pair();
	other = new_pair();
	keygen("unwrap-other-pub", true, &spub, &spriv);
	to = ukc_pubkey_from_object(p11, s, spub);
	assert_non_null(to);
	env = build(to, pair, &len);
	env2 = build(to, other, &len2);
	spki = NULL;
	n = i2d_PUBKEY(other, &spki);
	assert_true(n > 0);
	slen = (size_t)n;
	/* The SPKI is the last element; same key type and size, same length. */
	assert_true(slen < len && slen < len2);
	assert_memory_equal(env2 + len2 - slen, spki, slen);
	memcpy(env + len - slen, spki, slen);
	template(t);
	before = count_objects(s);
	RV(unwrap(s, format(), spriv, env, len, t, TMPL_N, &h), CKR_WRAPPED_KEY_INVALID);
	assert_int_equal(count_objects(s), before);
	OPENSSL_free(spki);
	OPENSSL_free(env);
	OPENSSL_free(env2);
	EVP_PKEY_free(to);
	EVP_PKEY_free(pair);
	EVP_PKEY_free(other);
}

/* The same test on the P-256 token, named apart in the TAP output. */
#define EC_TEST(f) { "ecdh_p256_" #f, f, test_setup_ec, test_teardown, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mechanism_offered_with_unwrap_flag, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_envelope_imports_a_decrypting_token_key_pair, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_refusals_give_their_error_and_add_nothing, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_tampered_envelopes_are_refused_and_add_nothing, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_envelope_with_another_public_key_is_refused_and_adds_nothing,
						test_setup, test_teardown),
		/* ecdh-aes-v1 to SoftHSM P-256 signing keys (p11 only: SKF has
		 * no P-256 keys) */
		EC_TEST(test_mechanism_offered_with_unwrap_flag),
		EC_TEST(test_envelope_imports_a_decrypting_token_key_pair),
		EC_TEST(test_refusals_give_their_error_and_add_nothing),
		EC_TEST(test_tampered_envelopes_are_refused_and_add_nothing),
		EC_TEST(test_envelope_with_another_public_key_is_refused_and_adds_nothing),
	};
	size_t n = sizeof(tests) / sizeof(tests[0]);

	return _cmocka_run_group_tests("unwrap", tests, ukt_is_skf() ? n / 2 : n, group_setup, group_teardown);
}
