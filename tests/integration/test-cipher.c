/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Encryption, decryption, digests and randomness through the module on an
 * RSA virtual U-KEY (p11) or an SM2 one (skf: SKF decrypts only with SM2
 * keys): the encryption pair round-trips with the module and with OpenSSL on
 * the certificate's key; digests equal OpenSSL's; the sizing and error rules
 * consumers rely on. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto-check.h"
#include "testlib.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok;
static CK_SLOT_ID slot;
static CK_SESSION_HANDLE base, s;
static CK_OBJECT_HANDLE priv, pub;
static EVP_PKEY *pk;
static const char *ctx_name = "";

#undef RV /* testlib.h's, with the case's name */
#define RV(call, want) UKT_RV_IN(ctx_name, call, want)

/* The padding schemes under test, with the OAEP hash (NULL: PKCS#1 v1.5). */
struct pad {
	const char *name;
	CK_MECHANISM_TYPE mech;
	CK_MECHANISM_TYPE hash;
	CK_RSA_PKCS_MGF_TYPE mgf;
	const char *md;
	CK_RSA_PKCS_OAEP_PARAMS oaep;
};

static struct pad rsa_pads[] = {
	{ "CKM_RSA_PKCS", CKM_RSA_PKCS, 0, 0, NULL, { 0 } },
	{ "CKM_RSA_PKCS_OAEP/SHA-1", CKM_RSA_PKCS_OAEP, CKM_SHA_1, CKG_MGF1_SHA1, "SHA1", { 0 } },
	{ "CKM_RSA_PKCS_OAEP/SHA-256", CKM_RSA_PKCS_OAEP, CKM_SHA256, CKG_MGF1_SHA256, "SHA256", { 0 } },
};
static struct pad sm2_pads[] = {
	{ "CKM_SM2_ENCRYPT", CKM_SM2_ENCRYPT, 0, 0, NULL, { 0 } },
};
static struct pad *pads = rsa_pads;
static size_t npads = sizeof(rsa_pads) / sizeof(rsa_pads[0]);
static bool sm2; /* skf: the SM2 encryption pair; ciphertexts are DER, not k bytes */
#define NPADS npads

static CK_MECHANISM pad_mech(struct pad *p)
{
	CK_MECHANISM m = { p->mech, NULL, 0 };

	ctx_name = p->name;
	if (p->md) {
		p->oaep = (CK_RSA_PKCS_OAEP_PARAMS){ p->hash, p->mgf, CKZ_DATA_SPECIFIED, NULL, 0 };
		m.pParameter = &p->oaep;
		m.ulParameterLen = sizeof(p->oaep);
	}
	return m;
}

static int group_setup(void **state)
{
	EVP_PKEY *obj = NULL;
	int ok;

	(void)state;
	sm2 = ukt_is_skf();
	if (sm2) {
		pads = sm2_pads;
		npads = sizeof(sm2_pads) / sizeof(sm2_pads[0]);
	}
	if (ukt_vkey_create(sm2 ? "sm2" : "rsa", &tok) != 0 || !(p11 = ukt_module_load(&dl)) ||
	    ukt_open(p11, &tok, false, true, &slot, &base) != CKR_OK)
		return -1;
	pk = ukc_cert_pubkey(p11, base, &tok, false);
	if (!pk || ukt_find_one(p11, base, CKO_PUBLIC_KEY, tok.enc_id, tok.enc_id_len, &pub) != CKR_OK)
		return -1;
	/* The public key object must be the certificate's key, or the round
	 * trips below would prove nothing about the certificate. */
	obj = ukc_pubkey_from_object(p11, base, pub);
	ok = obj && EVP_PKEY_eq(obj, pk) == 1;
	EVP_PKEY_free(obj);
	return ok ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	EVP_PKEY_free(pk);
	ukt_vkey_destroy(&tok);
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	if (p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
		return -1;
	return ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.enc_id, tok.enc_id_len, &priv) == CKR_OK ? 0 : -1;
}

static int test_teardown(void **state)
{
	(void)state;
	p11->C_CloseSession(s);
	return 0;
}

static CK_RV decrypt(CK_MECHANISM *m, const unsigned char *ct, size_t ctlen, unsigned char *out, CK_ULONG *outlen)
{
	CK_RV rv = p11->C_DecryptInit(s, m, priv);

	return rv != CKR_OK ? rv : p11->C_Decrypt(s, (CK_BYTE_PTR)ct, ctlen, out, outlen);
}

static size_t ossl_encrypt(const struct pad *p, const unsigned char *pt, size_t ptlen, unsigned char *ct, size_t ctsize)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	size_t len = ctsize;
	int ok = c && EVP_PKEY_encrypt_init(c) == 1;

	/* SM2 needs no options: DER SM2Cipher (C1, C3, C2), the module's format */
	if (ok && !sm2 && p->md)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_get_digestbyname(p->md)) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_get_digestbyname(p->md)) == 1;
	else if (ok && !sm2)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1;
	ok = ok && EVP_PKEY_encrypt(c, ct, &len, pt, ptlen) == 1;
	EVP_PKEY_CTX_free(c);
	return ok ? len : 0;
}

static void test_module_encrypt_then_decrypt_gives_same_plaintext(void **state)
{
	unsigned char pt[100], ct[512], ct2[512], out[512];
	size_t k = (size_t)EVP_PKEY_get_size(pk);

	(void)state;
	for (size_t i = 0; i < NPADS; i++) {
		CK_MECHANISM m = pad_mech(&pads[i]);
		CK_ULONG ctlen = sizeof(ct), ct2len = sizeof(ct2), outlen = sizeof(out);

		ukc_random(pt, sizeof(pt));
		RV(p11->C_EncryptInit(s, &m, pub), CKR_OK);
		RV(p11->C_Encrypt(s, pt, sizeof(pt), ct, &ctlen), CKR_OK);
		if (sm2) /* C1 (two 32-byte INTEGERs), C3 (32), C2 (as long as pt) */
			assert_true(ctlen > 96 + sizeof(pt) && ctlen <= 96 + sizeof(pt) + 16);
		else
			assert_int_equal(ctlen, k);
		/* All are randomised: equal ciphertexts would mean no padding. */
		RV(p11->C_EncryptInit(s, &m, pub), CKR_OK);
		RV(p11->C_Encrypt(s, pt, sizeof(pt), ct2, &ct2len), CKR_OK);
		assert_memory_not_equal(ct, ct2, sm2 ? 96 : k);
		RV(decrypt(&m, ct, ctlen, out, &outlen), CKR_OK);
		assert_int_equal(outlen, sizeof(pt));
		assert_memory_equal(out, pt, sizeof(pt));
	}
}

static void test_openssl_encrypted_data_decrypts_in_module(void **state)
{
	unsigned char pt[64], ct[512], out[512];

	(void)state;
	for (size_t i = 0; i < NPADS; i++) {
		CK_MECHANISM m = pad_mech(&pads[i]);
		CK_ULONG outlen = sizeof(out);
		size_t ctlen;

		ukc_random(pt, sizeof(pt));
		ctlen = ossl_encrypt(&pads[i], pt, sizeof(pt), ct, sizeof(ct));
		assert_true(ctlen > 0);
		RV(decrypt(&m, ct, ctlen, out, &outlen), CKR_OK);
		assert_int_equal(outlen, sizeof(pt));
		assert_memory_equal(out, pt, sizeof(pt));
	}
}

/* The module may only know the plaintext length after decrypting, so the
 * size query may give an upper bound (the modulus length); what matters is
 * that it is big enough and that the operation survives both calls. */
static void test_decrypt_size_query_and_small_buffer_keep_operation(void **state)
{
	unsigned char pt[48], ct[512], out[512];
	CK_MECHANISM m = pad_mech(&pads[0]);
	CK_ULONG outlen = 0;
	size_t ctlen;

	(void)state;
	ukc_random(pt, sizeof(pt));
	ctlen = ossl_encrypt(&pads[0], pt, sizeof(pt), ct, sizeof(ct));
	assert_true(ctlen > 0);
	RV(p11->C_DecryptInit(s, &m, priv), CKR_OK);
	RV(p11->C_Decrypt(s, ct, ctlen, NULL, &outlen), CKR_OK);
	assert_true(outlen >= sizeof(pt) && outlen <= ctlen);
	outlen = 1;
	RV(p11->C_Decrypt(s, ct, ctlen, out, &outlen), CKR_BUFFER_TOO_SMALL);
	assert_true(outlen >= sizeof(pt) && outlen <= ctlen);
	outlen = sizeof(out);
	RV(p11->C_Decrypt(s, ct, ctlen, out, &outlen), CKR_OK);
	assert_int_equal(outlen, sizeof(pt));
	assert_memory_equal(out, pt, sizeof(pt));
	outlen = sizeof(out);
	RV(p11->C_Decrypt(s, ct, ctlen, out, &outlen), CKR_OPERATION_NOT_INITIALIZED);
}

/* PKCS#11 2.40 C_Decrypt: a padding failure is CKR_ENCRYPTED_DATA_INVALID
 * (CKR_FUNCTION_FAILED is tolerated; SoftHSM 2.6 says CKR_GENERAL_ERROR,
 * which consumers treat as fatal); a ciphertext not k bytes long is
 * CKR_ENCRYPTED_DATA_LEN_RANGE. */
static void test_bad_ciphertext_returns_encrypted_data_invalid(void **state)
{
	unsigned char pt[32], ct[512], out[512];
	size_t k = (size_t)EVP_PKEY_get_size(pk);

	(void)state;
	/* OAEP (not v1.5: no implicit rejection to hide the error); SM2: the C3
	 * hash check fails */
	for (size_t i = sm2 ? 0 : 1; i < NPADS; i++) {
		CK_MECHANISM m = pad_mech(&pads[i]);
		CK_ULONG outlen = sizeof(out);
		size_t ctlen;
		CK_RV rv;

		ukc_random(pt, sizeof(pt));
		ctlen = ossl_encrypt(&pads[i], pt, sizeof(pt), ct, sizeof(ct));
		if (!sm2)
			assert_int_equal(ctlen, k);
		ct[sm2 ? ctlen - 2 : k / 2] ^= 0x01; /* SM2: inside C2 */
		rv = decrypt(&m, ct, ctlen, out, &outlen);
		if (rv != CKR_FUNCTION_FAILED)
			RV(rv, CKR_ENCRYPTED_DATA_INVALID);
		outlen = sizeof(out);
		/* SM2: a truncated DER SM2Cipher is broken DER */
		RV(decrypt(&m, ct, ctlen - 1, out, &outlen),
		   sm2 ? CKR_ENCRYPTED_DATA_INVALID : CKR_ENCRYPTED_DATA_LEN_RANGE);
	}
}

static void test_oaep_plaintext_too_long_returns_data_len_range(void **state)
{
	unsigned char pt[512], ct[512];
	size_t k = (size_t)EVP_PKEY_get_size(pk), max = k - 2 * 32 - 2;
	CK_MECHANISM m;
	CK_ULONG ctlen = sizeof(ct);

	(void)state;
	ukt_skip_if(sm2, "SKF has no RSA decryption, so the module's RSA-OAEP is tested on p11");
	m = pad_mech(&pads[2]);
	ukc_random(pt, sizeof(pt));
	RV(p11->C_EncryptInit(s, &m, pub), CKR_OK);
	RV(p11->C_Encrypt(s, pt, max, ct, &ctlen), CKR_OK);
	ctlen = sizeof(ct);
	RV(p11->C_EncryptInit(s, &m, pub), CKR_OK);
	RV(p11->C_Encrypt(s, pt, max + 1, ct, &ctlen), CKR_DATA_LEN_RANGE);
}

static const struct { CK_MECHANISM_TYPE mech; const char *md; } digests[] = {
	{ CKM_SHA_1, "SHA1" }, { CKM_SHA224, "SHA224" }, { CKM_SHA256, "SHA256" },
	{ CKM_SHA384, "SHA384" }, { CKM_SHA512, "SHA512" }, { CKM_SM3, "SM3" },
};

static void test_digest_one_shot_and_multipart_equal_openssl(void **state)
{
	unsigned char msg[1500], want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
	unsigned int wlen;

	(void)state;
	ukc_random(msg, sizeof(msg));
	for (size_t i = 0; i < sizeof(digests) / sizeof(digests[0]); i++) {
		CK_MECHANISM m = { digests[i].mech, NULL, 0 };
		CK_ULONG glen = sizeof(got);

		ctx_name = digests[i].md;
		assert_int_equal(EVP_Digest(msg, sizeof(msg), want, &wlen, EVP_get_digestbyname(digests[i].md), NULL), 1);
		RV(p11->C_DigestInit(s, &m), CKR_OK);
		RV(p11->C_Digest(s, msg, sizeof(msg), got, &glen), CKR_OK);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);

		memset(got, 0, sizeof(got));
		glen = sizeof(got);
		RV(p11->C_DigestInit(s, &m), CKR_OK);
		for (size_t off = 0, n; off < sizeof(msg); off += n) {
			n = sizeof(msg) - off < 333 ? sizeof(msg) - off : 333;
			RV(p11->C_DigestUpdate(s, msg + off, n), CKR_OK);
		}
		RV(p11->C_DigestFinal(s, got, &glen), CKR_OK);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
	}
}

static void test_digest_size_query_and_small_buffer_keep_operation(void **state)
{
	CK_MECHANISM m = { CKM_SHA384, NULL, 0 };
	unsigned char msg[10] = "0123456789", got[64], want[64];
	unsigned int wlen;
	CK_ULONG glen = 0;

	(void)state;
	ctx_name = "SHA384";
	assert_int_equal(EVP_Digest(msg, sizeof(msg), want, &wlen, EVP_sha384(), NULL), 1);
	RV(p11->C_DigestInit(s, &m), CKR_OK);
	RV(p11->C_Digest(s, msg, sizeof(msg), NULL, &glen), CKR_OK);
	assert_int_equal(glen, 48);
	glen = 47;
	RV(p11->C_Digest(s, msg, sizeof(msg), got, &glen), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(glen, 48);
	RV(p11->C_Digest(s, msg, sizeof(msg), got, &glen), CKR_OK);
	assert_memory_equal(got, want, wlen);

	RV(p11->C_DigestInit(s, &m), CKR_OK);
	RV(p11->C_DigestUpdate(s, msg, sizeof(msg)), CKR_OK);
	glen = 0;
	RV(p11->C_DigestFinal(s, NULL, &glen), CKR_OK);
	assert_int_equal(glen, 48);
	RV(p11->C_DigestFinal(s, got, &glen), CKR_OK);
	assert_memory_equal(got, want, wlen);
	RV(p11->C_DigestInit(s, &m), CKR_OK);
	RV(p11->C_DigestInit(s, &m), CKR_OPERATION_ACTIVE);
}

static void test_generate_random_fills_differs_and_checks_args(void **state)
{
	unsigned char a[64], b[64], zero[64] = { 0 };

	(void)state;
	ctx_name = "random";
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	RV(p11->C_GenerateRandom(s, a, sizeof(a)), CKR_OK);
	RV(p11->C_GenerateRandom(s, b, sizeof(b)), CKR_OK);
	/* 2^-512 chance of a false failure. */
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	/* Only the requested bytes are written. */
	memset(b, 0xa5, sizeof(b));
	RV(p11->C_GenerateRandom(s, b, 16), CKR_OK);
	for (size_t i = 16; i < sizeof(b); i++)
		assert_int_equal(b[i], 0xa5);
	RV(p11->C_GenerateRandom(s, a, 0), CKR_OK);
	RV(p11->C_GenerateRandom(s, NULL, 16), CKR_ARGUMENTS_BAD);
}

/* C_SeedRandom may be refused (CKR_RANDOM_SEED_NOT_SUPPORTED) but must not
 * fail otherwise, and randomness keeps working after it. */
static void test_seed_random_accepted_or_not_supported(void **state)
{
	unsigned char seed[32], a[32];
	CK_RV rv;

	(void)state;
	ctx_name = "seed";
	ukc_random(seed, sizeof(seed));
	rv = p11->C_SeedRandom(s, seed, sizeof(seed));
	if (rv != CKR_RANDOM_SEED_NOT_SUPPORTED)
		RV(rv, CKR_OK);
	RV(p11->C_SeedRandom(s, NULL, 16), CKR_ARGUMENTS_BAD);
	RV(p11->C_GenerateRandom(s, a, sizeof(a)), CKR_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_module_encrypt_then_decrypt_gives_same_plaintext),
		T(test_openssl_encrypted_data_decrypts_in_module),
		T(test_decrypt_size_query_and_small_buffer_keep_operation),
		T(test_bad_ciphertext_returns_encrypted_data_invalid),
		T(test_oaep_plaintext_too_long_returns_data_len_range),
		T(test_digest_one_shot_and_multipart_equal_openssl),
		T(test_digest_size_query_and_small_buffer_keep_operation),
		T(test_generate_random_fills_differs_and_checks_args),
		T(test_seed_random_accepted_or_not_supported),
	};

	return cmocka_run_group_tests_name("cipher", tests, group_setup, group_teardown);
}
