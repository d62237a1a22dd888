/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SM2/SM3 mechanisms through the token layer (token.h entry points):
 * CKM_SM3_SM2 signatures verify with OpenSSL (EVP_DigestVerify with the ID)
 * and with the openssl command line, default and custom IDs, one-shot and
 * multi-part; raw CKM_SM2; CKM_SM2_ENCRYPT to OpenSSL's DER SM2Cipher and
 * back through the device; CKM_SM3; key-type checks; mechanism info.
 *
 * The device is a fake driver (link-time seam: this file defines
 * ukey_driver_find) holding what an SKF token shows: SM2 key pairs as
 * CKK_SM2 (CKA_EC_PARAMS = sm2p256v1, CKA_EC_POINT = DER OCTET STRING), an
 * SM2 private key typed CKK_EC whose public key is only in its certificate,
 * and a P-256 key. It signs a raw 32-byte e and decrypts with OpenSSL, as
 * SKF_ECCSignData and SKF_ECCDecrypt do on a real token. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "sm2-check.h"
#include "sm2-fake.h"
#include "token/crypto.h"
#include "token/token.h"

#define DEF_ID SM2_TEST_DEFAULT_ID
#define DEF_LEN (sizeof(DEF_ID) - 1)

/* ---- fixture ---- */

static char dir[64];
static CK_SESSION_HANDLE sess;
static CK_OBJECT_HANDLE h[NOBJ + 1];

static int setup(void **state)
{
	char path[128];
	CK_SLOT_ID slot;
	CK_ULONG n = 1;
	FILE *f;
	(void)state;
	sm2_a = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	sm2_b = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	sm2_c = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	p256 = EVP_EC_gen("P-256");
	if (!sm2_a || !sm2_b || !sm2_c || !p256)
		return -1;
	sm2_fake_key(R_SM2_PRIV, CKO_PRIVATE_KEY, CKK_SM2, sm2_a, NID_sm2, true, 1);
	sm2_fake_key(R_SM2_PUB, CKO_PUBLIC_KEY, CKK_SM2, sm2_a, NID_sm2, true, 1);
	sm2_fake_key(R_ECSM2_PRIV, CKO_PRIVATE_KEY, CKK_EC, sm2_b, NID_sm2, false, 2);
	sm2_fake_cert(R_ECSM2_CERT, sm2_b, 2);
	sm2_fake_key(R_P256_PRIV, CKO_PRIVATE_KEY, CKK_EC, p256, NID_X9_62_prime256v1, true, 3);
	sm2_fake_key(R_BARE_PRIV, CKO_PRIVATE_KEY, CKK_SM2, sm2_c, NID_sm2, false, 4);

	strcpy(dir, "/tmp/ukey-sm2-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/ukey.conf", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	/* The fake driver loads nothing, but the module checks that the
	 * library is a trusted file first: any real one will do. */
	fprintf(f, "[backend fake]\ndriver = fake\nlibrary = %s\n", UKEY_SOFTHSM_LIB);
	fclose(f);
	setenv("UKEY_PKCS11_CONF", path, 1);
	unsetenv("XDG_RUNTIME_DIR");
	if (ukey_module_initialize(NULL) != CKR_OK || ukey_slot_list(true, &slot, &n) != CKR_OK || n != 1 ||
	    ukey_session_open(slot, CKF_SERIAL_SESSION, &sess) != CKR_OK)
		return -1;
	/* Handles by CKA_ID and class. */
	for (int r = 1; r <= NOBJ; r++) {
		CK_OBJECT_CLASS cls;
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, sm2_fake_objs[r].attrs[4].pValue, 1 } };
		CK_ULONG got = 0;
		memcpy(&cls, sm2_fake_objs[r].attrs[0].pValue, sizeof(cls));
		if (ukey_find_init(sess, t, 2) != CKR_OK || ukey_find(sess, &h[r], 1, &got) != CKR_OK || got != 1 ||
		    ukey_find_final(sess) != CKR_OK)
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char path[128];
	(void)state;
	ukey_module_finalize();
	snprintf(path, sizeof(path), "%s/ukey.conf", dir);
	unlink(path);
	rmdir(dir);
	sm2_fake_free();
	EVP_PKEY_free(sm2_a);
	EVP_PKEY_free(sm2_b);
	EVP_PKEY_free(sm2_c);
	EVP_PKEY_free(p256);
	return 0;
}

/* ---- tests ---- */

static CK_RV sign_with(CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE m, const void *param, CK_ULONG plen,
		       const void *msg, CK_ULONG len, unsigned char *sig, CK_ULONG *siglen)
{
	CK_MECHANISM mech = { m, (void *)param, plen };
	CK_RV rv = ukey_sign_init(sess, &mech, key);
	if (rv != CKR_OK)
		return rv;
	return ukey_sign(sess, msg, len, sig, siglen);
}

static CK_RV verify_with(CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE m, const void *param, CK_ULONG plen,
			 const void *msg, CK_ULONG len, const unsigned char *sig, CK_ULONG siglen)
{
	CK_MECHANISM mech = { m, (void *)param, plen };
	CK_RV rv = ukey_verify_init(sess, &mech, key);
	if (rv != CKR_OK)
		return rv;
	return ukey_verify(sess, msg, len, sig, siglen);
}

static void sm2_family_listed_with_fixed_key_sizes(void **state)
{
	CK_MECHANISM_TYPE list[64];
	CK_ULONG n = 64;
	CK_MECHANISM_INFO info;
	CK_SESSION_INFO si;
	static const CK_MECHANISM_TYPE want[] = { CKM_SM2, CKM_SM3_SM2, CKM_SM2_ENCRYPT, CKM_SM3,
						  CKM_SM2_KEY_PAIR_GEN, CKM_ECDSA_SHA256 };
	(void)state;
	assert_int_equal(ukey_session_info(sess, &si), CKR_OK);
	assert_int_equal(ukey_slot_mechanisms(si.slotID, list, &n), CKR_OK);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;
		for (CK_ULONG j = 0; j < n; j++)
			found |= list[j] == want[i];
		assert_true(found);
	}
	assert_int_equal(ukey_slot_mechanism_info(si.slotID, CKM_SM3_SM2, &info), CKR_OK);
	assert_int_equal(info.flags, CKF_SIGN | CKF_VERIFY | CKF_HW);
	assert_int_equal(info.ulMinKeySize, 256);
	assert_int_equal(info.ulMaxKeySize, 256);
	assert_int_equal(ukey_slot_mechanism_info(si.slotID, CKM_SM2, &info), CKR_OK);
	assert_int_equal(info.flags & ~CKF_HW, CKF_SIGN | CKF_VERIFY);
	assert_int_equal(ukey_slot_mechanism_info(si.slotID, CKM_SM2_ENCRYPT, &info), CKR_OK);
	assert_int_equal(info.flags & ~CKF_HW, CKF_ENCRYPT | CKF_DECRYPT);
	assert_int_equal(info.ulMaxKeySize, 256);
	assert_int_equal(ukey_slot_mechanism_info(si.slotID, CKM_SM2_KEY_PAIR_GEN, &info), CKR_OK);
	assert_int_equal(info.flags & ~CKF_HW, CKF_GENERATE_KEY_PAIR);
	assert_int_equal(ukey_slot_mechanism_info(si.slotID, CKM_SM3, &info), CKR_OK);
	assert_int_equal(info.flags, CKF_DIGEST);
}

/* Writes a file in the fixture's directory. */
static void put(const char *name, const void *data, size_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void sm3_sm2_signature_verifies_with_openssl(void **state)
{
	const char *msg = "pay 100 yuan to the bearer";
	unsigned char sig[64], e[32], der[80];
	CK_ULONG siglen = 0;
	(void)state;
	/* Size query, then the signature: r||s, 64 bytes. */
	assert_int_equal(sign_with(h[R_SM2_PRIV], CKM_SM3_SM2, NULL, 0, msg, strlen(msg), NULL, &siglen), CKR_OK);
	assert_int_equal(siglen, 64);
	assert_int_equal(ukey_sign(sess, (const CK_BYTE *)msg, strlen(msg), sig, &siglen), CKR_OK);
	assert_int_equal(siglen, 64);
	/* The device was handed e = SM3(Z || M) of the default ID. */
	sm2_our_e(sm2_a, DEF_ID, DEF_LEN, msg, strlen(msg), e);
	assert_memory_equal(sm2_fake_last_e, e, 32);
	assert_int_equal(sm2_openssl_verify(sm2_a, DEF_ID, DEF_LEN, msg, strlen(msg), sig), 1);
	assert_int_not_equal(sm2_openssl_verify(sm2_a, "", 0, msg, strlen(msg), sig), 1);
	/* Our own verification, with the public and the private key object. */
	assert_int_equal(verify_with(h[R_SM2_PUB], CKM_SM3_SM2, NULL, 0, msg, strlen(msg), sig, 64), CKR_OK);
	assert_int_equal(verify_with(h[R_SM2_PRIV], CKM_SM3_SM2, NULL, 0, msg, strlen(msg), sig, 64), CKR_OK);
	assert_int_equal(verify_with(h[R_SM2_PUB], CKM_SM3_SM2, NULL, 0, msg, strlen(msg) - 1, sig, 64),
			 CKR_SIGNATURE_INVALID);
	assert_int_equal(verify_with(h[R_SM2_PUB], CKM_SM3_SM2, NULL, 0, msg, strlen(msg), sig, 63),
			 CKR_SIGNATURE_LEN_RANGE);

	/* The openssl command line, as docs/mechanisms.md tells users. */
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long pemlen;
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, sm2_a), 1);
	pemlen = BIO_get_mem_data(bio, &pem);
	put("pub.pem", pem, (size_t)pemlen);
	BIO_free(bio);
	put("msg.txt", msg, strlen(msg));
	put("sig.der", der, sm2_rs_to_der(sig, der));
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl dgst -sm3 -verify pub.pem -sigopt distid:%s -signature sig.der msg.txt "
		 ">/dev/null && openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -digest sm3 -pkeyopt "
		 "distid:%s -in msg.txt -sigfile sig.der >/dev/null && ! openssl dgst -sm3 -verify pub.pem "
		 "-sigopt distid:1234567812345679 -signature sig.der msg.txt >/dev/null 2>&1",
		 dir, DEF_ID, DEF_ID);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "cd '%s' && rm -f pub.pem msg.txt sig.der", dir);
	assert_int_equal(system(cmd), 0);
}

static void multi_part_and_custom_id_agree_with_openssl(void **state)
{
	static const char id[] = "alice@example.cn";
	unsigned char msg[1000], sig[64];
	CK_MECHANISM mech = { CKM_SM3_SM2, (void *)id, sizeof(id) - 1 };
	CK_ULONG siglen = sizeof(sig);
	(void)state;
	assert_int_equal(RAND_bytes(msg, sizeof(msg)), 1);
	assert_int_equal(ukey_sign_init(sess, &mech, h[R_SM2_PRIV]), CKR_OK);
	assert_int_equal(ukey_sign_update(sess, msg, 1), CKR_OK);
	assert_int_equal(ukey_sign_update(sess, msg + 1, 0), CKR_OK);
	assert_int_equal(ukey_sign_update(sess, msg + 1, sizeof(msg) - 1), CKR_OK);
	assert_int_equal(ukey_sign_final(sess, sig, &siglen), CKR_OK);
	assert_int_equal(sm2_openssl_verify(sm2_a, id, sizeof(id) - 1, msg, sizeof(msg), sig), 1);
	assert_int_not_equal(sm2_openssl_verify(sm2_a, DEF_ID, DEF_LEN, msg, sizeof(msg), sig), 1);
	/* Multi-part verification with the same ID; the default ID fails. */
	assert_int_equal(ukey_verify_init(sess, &mech, h[R_SM2_PUB]), CKR_OK);
	assert_int_equal(ukey_verify_update(sess, msg, 500), CKR_OK);
	assert_int_equal(ukey_verify_update(sess, msg + 500, 500), CKR_OK);
	assert_int_equal(ukey_verify_final(sess, sig, 64), CKR_OK);
	assert_int_equal(verify_with(h[R_SM2_PUB], CKM_SM3_SM2, NULL, 0, msg, sizeof(msg), sig, 64),
			 CKR_SIGNATURE_INVALID);
	/* OpenSSL's own signature verifies through the module. */
	unsigned char der[80], rs[64];
	sm2_der_to_rs(der, sm2_openssl_sign(sm2_a, id, sizeof(id) - 1, msg, sizeof(msg), der, sizeof(der)), rs);
	assert_int_equal(verify_with(h[R_SM2_PUB], CKM_SM3_SM2, id, sizeof(id) - 1, msg, sizeof(msg), rs, 64),
			 CKR_OK);
}

static void id_parameter_is_checked(void **state)
{
	unsigned char *big = calloc(1, 8192), sig[64];
	CK_MECHANISM mech = { CKM_SM3_SM2, big, 8192 };
	CK_ULONG siglen = sizeof(sig);
	(void)state;
	assert_non_null(big);
	assert_int_equal(ukey_sign_init(sess, &mech, h[R_SM2_PRIV]), CKR_MECHANISM_PARAM_INVALID);
	mech.pParameter = NULL;
	mech.ulParameterLen = 5;
	assert_int_equal(ukey_sign_init(sess, &mech, h[R_SM2_PRIV]), CKR_MECHANISM_PARAM_INVALID);
	/* 8191 bytes is the longest ID whose bit length fits ENTL; OpenSSL
	 * 3.0 stops at 8190, so it checks that one. */
	memset(big, 'x', 8191);
	assert_int_equal(sign_with(h[R_SM2_PRIV], CKM_SM3_SM2, big, 8191, "m", 1, sig, &siglen), CKR_OK);
	assert_int_equal(verify_with(h[R_SM2_PUB], CKM_SM3_SM2, big, 8191, "m", 1, sig, 64), CKR_OK);
	assert_int_equal(verify_with(h[R_SM2_PUB], CKM_SM3_SM2, big, 8190, "m", 1, sig, 64), CKR_SIGNATURE_INVALID);
	siglen = sizeof(sig);
	assert_int_equal(sign_with(h[R_SM2_PRIV], CKM_SM3_SM2, big, 8190, "m", 1, sig, &siglen), CKR_OK);
	assert_int_equal(sm2_openssl_verify(sm2_a, big, 8190, "m", 1, sig), 1);
	/* Raw SM2 takes no parameter. */
	mech = (CK_MECHANISM){ CKM_SM2, big, 4 };
	assert_int_equal(ukey_sign_init(sess, &mech, h[R_SM2_PRIV]), CKR_MECHANISM_PARAM_INVALID);
	free(big);
}

static void raw_sm2_signs_a_32_byte_e(void **state)
{
	unsigned char e[32], sig[64], der[80];
	CK_ULONG siglen = sizeof(sig);
	CK_MECHANISM mech = { CKM_SM2, NULL, 0 };
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sm2_a, NULL);
	(void)state;
	assert_int_equal(RAND_bytes(e, 32), 1);
	assert_int_equal(sign_with(h[R_SM2_PRIV], CKM_SM2, NULL, 0, e, 32, sig, &siglen), CKR_OK);
	assert_memory_equal(sm2_fake_last_e, e, 32);
	/* OpenSSL verifies r||s over e itself, no Z. */
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	assert_int_equal(EVP_PKEY_verify(ctx, der, sm2_rs_to_der(sig, der), e, 32), 1);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(verify_with(h[R_SM2_PUB], CKM_SM2, NULL, 0, e, 32, sig, 64), CKR_OK);
	e[0] ^= 1;
	assert_int_equal(verify_with(h[R_SM2_PUB], CKM_SM2, NULL, 0, e, 32, sig, 64), CKR_SIGNATURE_INVALID);
	siglen = sizeof(sig);
	assert_int_equal(sign_with(h[R_SM2_PRIV], CKM_SM2, NULL, 0, e, 31, sig, &siglen), CKR_DATA_LEN_RANGE);
	/* Raw: no multi-part. */
	assert_int_equal(ukey_sign_init(sess, &mech, h[R_SM2_PRIV]), CKR_OK);
	assert_int_equal(ukey_sign_update(sess, e, 32), CKR_FUNCTION_NOT_SUPPORTED);
	/* A private key with neither CKA_EC_POINT nor a public twin signs
	 * raw, but SM3-SM2 needs its public key for Z. */
	siglen = sizeof(sig);
	assert_int_equal(sign_with(h[R_BARE_PRIV], CKM_SM2, NULL, 0, e, 32, sig, &siglen), CKR_OK);
	assert_int_equal(sign_with(h[R_BARE_PRIV], CKM_SM3_SM2, NULL, 0, "m", 1, sig, &siglen),
			 CKR_KEY_TYPE_INCONSISTENT);
}

static void ec_typed_sm2_key_is_sm2_not_ecdsa(void **state)
{
	unsigned char sig[64];
	CK_ULONG siglen = sizeof(sig);
	CK_MECHANISM ecdsa = { CKM_ECDSA_SHA256, NULL, 0 }, sm2 = { CKM_SM3_SM2, NULL, 0 };
	(void)state;
	/* CKK_EC on the SM2 curve, public key only in its certificate. */
	assert_int_equal(sign_with(h[R_ECSM2_PRIV], CKM_SM3_SM2, NULL, 0, "doc", 3, sig, &siglen), CKR_OK);
	assert_int_equal(sm2_openssl_verify(sm2_b, DEF_ID, DEF_LEN, "doc", 3, sig), 1);
	assert_int_equal(verify_with(h[R_ECSM2_PRIV], CKM_SM3_SM2, NULL, 0, "doc", 3, sig, 64), CKR_OK);
	/* SM2 is not ECDSA, whichever way the key is typed. */
	assert_int_equal(ukey_sign_init(sess, &ecdsa, h[R_ECSM2_PRIV]), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(ukey_sign_init(sess, &ecdsa, h[R_SM2_PRIV]), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(ukey_verify_init(sess, &ecdsa, h[R_SM2_PUB]), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(ukey_sign_init(sess, &sm2, h[R_P256_PRIV]), CKR_KEY_TYPE_INCONSISTENT);
	sm2.mechanism = CKM_SM2_ENCRYPT;
	assert_int_equal(ukey_encrypt_init(sess, &sm2, h[R_P256_PRIV]), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(ukey_sign_init(sess, &sm2, h[R_SM2_PRIV]), CKR_MECHANISM_INVALID);
	/* The P-256 key still does ECDSA. */
	siglen = sizeof(sig);
	assert_int_equal(sign_with(h[R_P256_PRIV], CKM_ECDSA_SHA256, NULL, 0, "doc", 3, sig, &siglen), CKR_OK);
	assert_int_equal(verify_with(h[R_P256_PRIV], CKM_ECDSA_SHA256, NULL, 0, "doc", 3, sig, siglen), CKR_OK);
}

static CK_RV sm2_crypt(bool enc, CK_OBJECT_HANDLE key, const unsigned char *in, CK_ULONG len, unsigned char *out,
		   CK_ULONG *outlen)
{
	CK_MECHANISM mech = { CKM_SM2_ENCRYPT, NULL, 0 };
	CK_RV rv = enc ? ukey_encrypt_init(sess, &mech, key) : ukey_decrypt_init(sess, &mech, key);
	if (rv != CKR_OK)
		return rv;
	return enc ? ukey_encrypt(sess, in, len, out, outlen) : ukey_decrypt(sess, in, len, out, outlen);
}

static void sm2_encrypt_gives_sm2cipher_and_decrypts_on_device(void **state)
{
	unsigned char msg[100], ct[300], pt[200];
	CK_ULONG ctlen = 0, bound, ptlen = 0;
	CK_MECHANISM mech = { CKM_SM2_ENCRYPT, NULL, 0 };
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sm2_a, NULL);
	size_t olen = sizeof(pt);
	unsigned before;
	(void)state;
	assert_int_equal(RAND_bytes(msg, sizeof(msg)), 1);
	assert_int_equal(ukey_encrypt_init(sess, &mech, h[R_SM2_PUB]), CKR_OK);
	assert_int_equal(ukey_encrypt(sess, msg, sizeof(msg), NULL, &ctlen), CKR_OK);
	bound = ctlen;
	ctlen = 50;
	assert_int_equal(ukey_encrypt(sess, msg, sizeof(msg), ct, &ctlen), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(ctlen, bound);
	ctlen = sizeof(ct);
	assert_int_equal(ukey_encrypt(sess, msg, sizeof(msg), ct, &ctlen), CKR_OK);
	assert_true(ctlen <= bound && ctlen >= 97 + sizeof(msg));
	/* OpenSSL's SM2 decryption reads it: our format is OpenSSL's. */
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
	assert_int_equal(EVP_PKEY_decrypt(ctx, pt, &olen, ct, ctlen), 1);
	assert_int_equal(olen, sizeof(msg));
	assert_memory_equal(pt, msg, sizeof(msg));
	EVP_PKEY_CTX_free(ctx);

	/* The device decrypts; the size query is exact, before any device call. */
	before = sm2_fake_decrypt_calls;
	assert_int_equal(ukey_decrypt_init(sess, &mech, h[R_SM2_PRIV]), CKR_OK);
	assert_int_equal(ukey_decrypt(sess, ct, ctlen, NULL, &ptlen), CKR_OK);
	assert_int_equal(ptlen, sizeof(msg));
	ptlen = 99;
	assert_int_equal(ukey_decrypt(sess, ct, ctlen, pt, &ptlen), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(ptlen, sizeof(msg));
	assert_int_equal(sm2_fake_decrypt_calls, before);
	ptlen = sizeof(pt);
	memset(pt, 0, sizeof(pt));
	assert_int_equal(ukey_decrypt(sess, ct, ctlen, pt, &ptlen), CKR_OK);
	assert_int_equal(ptlen, sizeof(msg));
	assert_memory_equal(pt, msg, sizeof(msg));
	/* OpenSSL's ciphertext decrypts too. */
	ctlen = sm2_openssl_encrypt(sm2_a, msg, 5, ct, sizeof(ct));
	ptlen = sizeof(pt);
	assert_int_equal(sm2_crypt(false, h[R_SM2_PRIV], ct, ctlen, pt, &ptlen), CKR_OK);
	assert_int_equal(ptlen, 5);
	assert_memory_equal(pt, msg, 5);
	/* A changed C2 fails the device's C3 check; broken DER never
	 * reaches the device. */
	ct[ctlen - 1] ^= 1;
	ptlen = sizeof(pt);
	assert_int_equal(sm2_crypt(false, h[R_SM2_PRIV], ct, ctlen, pt, &ptlen), CKR_ENCRYPTED_DATA_INVALID);
	before = sm2_fake_decrypt_calls;
	ptlen = sizeof(pt);
	assert_int_equal(sm2_crypt(false, h[R_SM2_PRIV], ct, ctlen - 1, pt, &ptlen), CKR_ENCRYPTED_DATA_INVALID);
	assert_int_equal(sm2_fake_decrypt_calls, before);
	/* Nothing to encrypt is refused. */
	ctlen = sizeof(ct);
	assert_int_equal(sm2_crypt(true, h[R_SM2_PUB], msg, 0, ct, &ctlen), CKR_DATA_LEN_RANGE);
}

static void sm3_digest_known_answer_one_shot_and_multi_part(void **state)
{
	/* GB/T 32905-2016 example 1: SM3("abc"). */
	static const unsigned char abc[32] = {
		0x66, 0xc7, 0xf0, 0xf4, 0x62, 0xee, 0xed, 0xd9, 0xd1, 0xf2, 0xd4, 0x6b, 0xdc, 0x10, 0xe4, 0xe2,
		0x41, 0x67, 0xc4, 0x87, 0x5c, 0xf2, 0xf7, 0xa2, 0x29, 0x7d, 0xa0, 0x2b, 0x8f, 0x4b, 0xa8, 0xe0,
	};
	CK_MECHANISM mech = { CKM_SM3, NULL, 0 };
	unsigned char out[32];
	CK_ULONG outlen = 0;
	(void)state;
	assert_int_equal(ukey_digest_init(sess, &mech), CKR_OK);
	assert_int_equal(ukey_digest(sess, (const CK_BYTE *)"abc", 3, NULL, &outlen), CKR_OK);
	assert_int_equal(outlen, 32);
	assert_int_equal(ukey_digest(sess, (const CK_BYTE *)"abc", 3, out, &outlen), CKR_OK);
	assert_memory_equal(out, abc, 32);
	assert_int_equal(ukey_digest_init(sess, &mech), CKR_OK);
	assert_int_equal(ukey_digest_update(sess, (const CK_BYTE *)"a", 1), CKR_OK);
	assert_int_equal(ukey_digest_update(sess, (const CK_BYTE *)"bc", 2), CKR_OK);
	outlen = sizeof(out);
	memset(out, 0, sizeof(out));
	assert_int_equal(ukey_digest_final(sess, out, &outlen), CKR_OK);
	assert_memory_equal(out, abc, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sm2_family_listed_with_fixed_key_sizes),
		cmocka_unit_test(sm3_sm2_signature_verifies_with_openssl),
		cmocka_unit_test(multi_part_and_custom_id_agree_with_openssl),
		cmocka_unit_test(id_parameter_is_checked),
		cmocka_unit_test(raw_sm2_signs_a_32_byte_e),
		cmocka_unit_test(ec_typed_sm2_key_is_sm2_not_ecdsa),
		cmocka_unit_test(sm2_encrypt_gives_sm2cipher_and_decrypts_on_device),
		cmocka_unit_test(sm3_digest_known_answer_one_shot_and_multi_part),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
