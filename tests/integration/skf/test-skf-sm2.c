/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* SM2 and SM3 through the module on an SKF U-KEY (the emulator): CKM_SM3
 * equals OpenSSL's SM3; CKM_SM3_SM2 signatures (one-shot and multi-part)
 * verify with OpenSSL's EVP (signer ID 1234567812345678) and with the openssl
 * command line; CKM_SM2 signs an e = SM3(Z || M) that this test computes
 * itself; C_Verify accepts both and refuses a damaged one; SM2 encryption by
 * the module and by `openssl pkeyutl` decrypts on the token; a key pair
 * generated into a new container signs. */

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../crypto-check.h"
#include "testlib.h"
#include "ukey-pkcs11.h"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok;
static CK_SLOT_ID slot;
static CK_SESSION_HANDLE s;
static CK_OBJECT_HANDLE sign_priv, sign_pub, enc_priv, enc_pub;
static EVP_PKEY *sign_pk, *enc_pk;

static const struct ukc_sigmech raw_sm2 = { CKM_SM2, "CKM_SM2", UKC_SM2, NULL, 0, 0, 0 };

static int group_setup(void **state)
{
	(void)state;
	setenv("UKEY_TEST_BACKEND", "skf", 1);
	if (ukt_vkey_create("sm2", &tok) != 0 || !(p11 = ukt_module_load(&dl)) ||
	    ukt_open(p11, &tok, true, true, &slot, &s) != CKR_OK)
		return -1;
	sign_pk = ukc_cert_pubkey(p11, s, &tok, true);
	enc_pk = ukc_cert_pubkey(p11, s, &tok, false);
	if (!sign_pk || !enc_pk || !EVP_PKEY_is_a(sign_pk, "SM2"))
		return -1;
	return ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.sign_id, tok.sign_id_len, &sign_priv) == CKR_OK &&
			       ukt_find_one(p11, s, CKO_PUBLIC_KEY, tok.sign_id, tok.sign_id_len, &sign_pub) == CKR_OK &&
			       ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.enc_id, tok.enc_id_len, &enc_priv) == CKR_OK &&
			       ukt_find_one(p11, s, CKO_PUBLIC_KEY, tok.enc_id, tok.enc_id_len, &enc_pub) == CKR_OK
		       ? 0
		       : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	EVP_PKEY_free(sign_pk);
	EVP_PKEY_free(enc_pk);
	ukt_vkey_destroy(&tok);
	if (dl)
		dlclose(dl);
	return 0;
}

static CK_RV sign(CK_MECHANISM_TYPE mt, CK_OBJECT_HANDLE key, const unsigned char *d, size_t n, bool multi,
		  unsigned char *sig, CK_ULONG *sl)
{
	CK_MECHANISM m = { mt, NULL, 0 };
	CK_RV rv = p11->C_SignInit(s, &m, key);

	if (rv != CKR_OK || !multi)
		return rv != CKR_OK ? rv : p11->C_Sign(s, (CK_BYTE_PTR)d, n, sig, sl);
	for (size_t off = 0, k; off < n; off += k) {
		k = n - off < 97 ? n - off : 97;
		if ((rv = p11->C_SignUpdate(s, (CK_BYTE_PTR)d + off, k)) != CKR_OK)
			return rv;
	}
	return p11->C_SignFinal(s, sig, sl);
}

static CK_RV verify(CK_MECHANISM_TYPE mt, const unsigned char *d, size_t n, const unsigned char *sig, size_t sl)
{
	CK_MECHANISM m = { mt, NULL, 0 };
	CK_RV rv = p11->C_VerifyInit(s, &m, sign_pub);

	return rv != CKR_OK ? rv : p11->C_Verify(s, (CK_BYTE_PTR)d, n, (CK_BYTE_PTR)sig, sl);
}

static void test_sm3_digest_equals_openssl(void **state)
{
	CK_MECHANISM m = { CKM_SM3, NULL, 0 };
	unsigned char msg[3000], want[32], got[32];
	unsigned int wl = 0;
	CK_ULONG gl = sizeof(got);

	(void)state;
	ukc_random(msg, sizeof(msg));
	assert_int_equal(EVP_Digest(msg, sizeof(msg), want, &wl, EVP_sm3(), NULL), 1);
	assert_int_equal(p11->C_DigestInit(s, &m), CKR_OK);
	assert_int_equal(p11->C_Digest(s, msg, sizeof(msg), got, &gl), CKR_OK);
	assert_int_equal(gl, 32);
	assert_memory_equal(got, want, 32);
	memset(got, 0, sizeof(got));
	assert_int_equal(p11->C_DigestInit(s, &m), CKR_OK);
	assert_int_equal(p11->C_DigestUpdate(s, msg, 1000), CKR_OK);
	assert_int_equal(p11->C_DigestUpdate(s, msg + 1000, 2000), CKR_OK);
	assert_int_equal(p11->C_DigestFinal(s, got, &gl), CKR_OK);
	assert_memory_equal(got, want, 32);
}

/* openssl dgst -sm3 -verify pub.pem -sigopt distid:... -signature sig.der */
static int cli_verify(const unsigned char *msg, size_t n, const unsigned char *sig, size_t sl)
{
	char path[700];
	unsigned char der[128];
	size_t dl_ = ukc_ecdsa_raw_to_der(sig, sl, der, sizeof(der));
	FILE *f;

	assert_true(dl_ > 0);
	snprintf(path, sizeof(path), "%s/msg.bin", tok.dir);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(msg, 1, n, f), n);
	fclose(f);
	snprintf(path, sizeof(path), "%s/sig.der", tok.dir);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(der, 1, dl_, f), dl_);
	fclose(f);
	return ukt_system("cd '%s' && openssl x509 -in keys/sign.pem -pubkey -noout > pub.pem && "
			  "openssl dgst -sm3 -verify pub.pem -sigopt distid:" UKEY_SM2_DEFAULT_ID
			  " -signature sig.der msg.bin >&2",
			  tok.dir);
}

static void test_sm3_sm2_signature_verifies_with_openssl_evp_and_command_line(void **state)
{
	unsigned char msg[777], sig[2][64];
	CK_ULONG sl[2] = { sizeof(sig[0]), sizeof(sig[1]) };

	(void)state;
	ukc_random(msg, sizeof(msg));
	for (int k = 0; k < 2; k++) {
		assert_int_equal(sign(CKM_SM3_SM2, sign_priv, msg, sizeof(msg), k == 1, sig[k], &sl[k]), CKR_OK);
		assert_int_equal(sl[k], 64);
		assert_int_equal(ukc_verify(sign_pk, &ukc_sm2_mechs[0], NULL, msg, sizeof(msg), sig[k], sl[k]), 1);
		assert_int_equal(cli_verify(msg, sizeof(msg), sig[k], sl[k]), 0);
		assert_int_equal(verify(CKM_SM3_SM2, msg, sizeof(msg), sig[k], sl[k]), CKR_OK);
	}
	/* the checks can fail: other data, a damaged signature */
	msg[5] ^= 1;
	assert_int_equal(ukc_verify(sign_pk, &ukc_sm2_mechs[0], NULL, msg, sizeof(msg), sig[0], sl[0]), 0);
	assert_int_not_equal(cli_verify(msg, sizeof(msg), sig[0], sl[0]), 0);
	assert_int_equal(verify(CKM_SM3_SM2, msg, sizeof(msg), sig[0], sl[0]), CKR_SIGNATURE_INVALID);
}

/* e = SM3(Z || M), Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA). */
static void sm2_e(EVP_PKEY *pk, const unsigned char *msg, size_t n, unsigned char e[32])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
	BIGNUM *a = BN_new(), *b = BN_new(), *x = BN_new(), *y = BN_new();
	unsigned char pt[65], buf[32], z[32];
	size_t ptlen = 0;
	unsigned int zl;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	static const unsigned char entl[2] = { 0x00, 0x80 }; /* 16 bytes = 128 bits */

	assert_true(g && a && b && x && y && md);
	assert_int_equal(EC_GROUP_get_curve(g, NULL, a, b, NULL), 1);
	assert_int_equal(EC_POINT_get_affine_coordinates(g, EC_GROUP_get0_generator(g), x, y, NULL), 1);
	assert_int_equal(EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptlen), 1);
	assert_int_equal(ptlen, 65);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sm3(), NULL), 1);
	EVP_DigestUpdate(md, entl, 2);
	EVP_DigestUpdate(md, UKEY_SM2_DEFAULT_ID, 16);
	BIGNUM *v[4] = { a, b, x, y };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(BN_bn2binpad(v[i], buf, 32), 32);
		EVP_DigestUpdate(md, buf, 32);
	}
	EVP_DigestUpdate(md, pt + 1, 64);
	assert_int_equal(EVP_DigestFinal_ex(md, z, &zl), 1);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sm3(), NULL), 1);
	EVP_DigestUpdate(md, z, 32);
	EVP_DigestUpdate(md, msg, n);
	assert_int_equal(EVP_DigestFinal_ex(md, e, &zl), 1);
	EVP_MD_CTX_free(md);
	BN_free(a);
	BN_free(b);
	BN_free(x);
	BN_free(y);
	EC_GROUP_free(g);
}

static void test_raw_sm2_over_an_e_computed_here_is_a_valid_sm3_sm2_signature(void **state)
{
	unsigned char msg[200], e[32], sig[64];
	CK_ULONG sl = sizeof(sig);

	(void)state;
	ukc_random(msg, sizeof(msg));
	sm2_e(sign_pk, msg, sizeof(msg), e);
	assert_int_equal(sign(CKM_SM2, sign_priv, e, sizeof(e), false, sig, &sl), CKR_OK);
	assert_int_equal(sl, 64);
	/* OpenSSL computes Z itself from the certificate's key: our e was right */
	assert_int_equal(ukc_verify(sign_pk, &ukc_sm2_mechs[0], NULL, msg, sizeof(msg), sig, sl), 1);
	assert_int_equal(ukc_verify(sign_pk, &raw_sm2, NULL, e, sizeof(e), sig, sl), 1);
	assert_int_equal(verify(CKM_SM2, e, sizeof(e), sig, sl), CKR_OK);
	assert_int_equal(verify(CKM_SM3_SM2, msg, sizeof(msg), sig, sl), CKR_OK);
	sig[10] ^= 0x20;
	assert_int_equal(verify(CKM_SM2, e, sizeof(e), sig, sl), CKR_SIGNATURE_INVALID);
	sl = sizeof(sig);
	assert_int_equal(sign(CKM_SM2, sign_priv, e, 31, false, sig, &sl), CKR_DATA_LEN_RANGE);
}

static void decrypt_expect(const unsigned char *ct, size_t ctlen, const unsigned char *pt, size_t ptlen)
{
	CK_MECHANISM m = { CKM_SM2_ENCRYPT, NULL, 0 };
	unsigned char out[512];
	CK_ULONG ol = sizeof(out);

	assert_int_equal(p11->C_DecryptInit(s, &m, enc_priv), CKR_OK);
	assert_int_equal(p11->C_Decrypt(s, (CK_BYTE_PTR)ct, ctlen, out, &ol), CKR_OK);
	assert_int_equal(ol, ptlen);
	assert_memory_equal(out, pt, ptlen);
}

static void test_sm2_module_encryption_decrypts_on_the_token(void **state)
{
	CK_MECHANISM m = { CKM_SM2_ENCRYPT, NULL, 0 };
	unsigned char pt[150], ct[512];
	CK_ULONG cl = sizeof(ct);

	(void)state;
	ukc_random(pt, sizeof(pt));
	assert_int_equal(p11->C_EncryptInit(s, &m, enc_pub), CKR_OK);
	assert_int_equal(p11->C_Encrypt(s, pt, sizeof(pt), ct, &cl), CKR_OK);
	decrypt_expect(ct, cl, pt, sizeof(pt));
	/* the signing key cannot decrypt (SKF decrypts with the encryption pair) */
	cl = sizeof(ct);
	assert_int_equal(p11->C_DecryptInit(s, &m, sign_priv), CKR_KEY_FUNCTION_NOT_PERMITTED);
}

static void test_openssl_pkeyutl_encryption_decrypts_on_the_token(void **state)
{
	static const char pt[] = "plaintext for the SM2 encryption certificate";
	char path[700];
	unsigned char ct[512];
	size_t cl;
	FILE *f;

	(void)state;
	assert_int_equal(ukt_system("cd '%s' && openssl x509 -in keys/enc.pem -pubkey -noout > encpub.pem && "
				    "printf '%%s' '%s' | openssl pkeyutl -encrypt -pubin -inkey encpub.pem -out ct.der",
				    tok.dir, pt),
			 0);
	snprintf(path, sizeof(path), "%s/ct.der", tok.dir);
	assert_non_null(f = fopen(path, "rb"));
	cl = fread(ct, 1, sizeof(ct), f);
	fclose(f);
	assert_true(cl > 96);
	decrypt_expect(ct, cl, (const unsigned char *)pt, strlen(pt));
}

static void test_generated_sm2_pair_in_a_new_container_signs(void **state)
{
	CK_MECHANISM m = { CKM_SM2_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE;
	static const char label[] = "renewal-sm2";
	CK_ATTRIBUTE pubt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_VERIFY, &yes, 1 } };
	CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_SIGN, &yes, 1 }, { CKA_LABEL, (void *)label, sizeof(label) - 1 } };
	CK_OBJECT_HANDLE pub, priv;
	unsigned char msg[64], sig[64];
	CK_ULONG sl = sizeof(sig);
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE kta = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	EVP_PKEY *pk;
	char dir[800];

	(void)state;
	assert_int_equal(p11->C_GenerateKeyPair(s, &m, pubt, 2, privt, 3, &pub, &priv), CKR_OK);
	snprintf(dir, sizeof(dir), "test -d '%s/apps/UKEY/containers/%s'", tok.device, label);
	assert_int_equal(ukt_system("%s", dir), 0);
	assert_int_equal(p11->C_GetAttributeValue(s, pub, &kta, 1), CKR_OK);
	assert_int_equal(kt, CKK_SM2);
	pk = ukc_pubkey_from_object(p11, s, pub);
	assert_non_null(pk);
	ukc_random(msg, sizeof(msg));
	assert_int_equal(sign(CKM_SM3_SM2, priv, msg, sizeof(msg), false, sig, &sl), CKR_OK);
	assert_int_equal(ukc_verify(pk, &ukc_sm2_mechs[0], NULL, msg, sizeof(msg), sig, sl), 1);
	/* not the old key's signature */
	assert_int_equal(ukc_verify(sign_pk, &ukc_sm2_mechs[0], NULL, msg, sizeof(msg), sig, sl), 0);
	EVP_PKEY_free(pk);
	assert_int_equal(p11->C_DestroyObject(s, priv), CKR_OK);
	assert_int_not_equal(ukt_system("%s", dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sm3_digest_equals_openssl),
		cmocka_unit_test(test_sm3_sm2_signature_verifies_with_openssl_evp_and_command_line),
		cmocka_unit_test(test_raw_sm2_over_an_e_computed_here_is_a_valid_sm3_sm2_signature),
		cmocka_unit_test(test_sm2_module_encryption_decrypts_on_the_token),
		cmocka_unit_test(test_openssl_pkeyutl_encryption_decrypts_on_the_token),
		cmocka_unit_test(test_generated_sm2_pair_in_a_new_container_signs),
	};

	return cmocka_run_group_tests_name("skf-sm2", tests, group_setup, group_teardown);
}
