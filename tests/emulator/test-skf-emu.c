/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Drives libukey-skf-emu.so through its SKF API, loaded with dlopen() and
 * resolved by name like the skf driver does. Devices come from
 * tools/ukey-vkey --backend skf: A (SM2) and B (RSA, --share-with A). */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "skfblob.h"
#include "test-skf-emu.h"


static void test_enum_lists_both_devices_as_double_nul_multistring(void **state)
{
	char buf[256];
	SKF_ULONG size = 0, small;
	(void)state;
	assert_int_equal(F.SKF_EnumDev(SKF_TRUE, NULL, &size), SAR_OK);
	assert_int_equal(size, strlen(name_a) + strlen(name_b) + 3);
	small = size - 1;
	assert_int_equal(F.SKF_EnumDev(SKF_TRUE, buf, &small), SAR_BUFFER_TOO_SMALL);
	assert_int_equal(small, size);
	assert_int_equal(F.SKF_EnumDev(SKF_TRUE, buf, &size), SAR_OK);
	assert_string_equal(buf, name_a);
	assert_string_equal(buf + strlen(name_a) + 1, name_b);
	assert_int_equal(buf[size - 1], 0);
	assert_int_equal(buf[size - 2], 0);
	assert_int_equal(F.SKF_EnumDev(SKF_TRUE, buf, NULL), SAR_INVALIDPARAMERR);
}

static void test_devinfo_has_medium_number_at_offset_162(void **state)
{
	SKF_DEVINFO info;
	SKF_ULONG st = 9;
	SKF_HANDLE d = connect_dev(name_a), none = d;
	(void)state;
	assert_int_equal(F.SKF_GetDevInfo(d, &info), SAR_OK);
	assert_memory_equal((char *)&info + 162, serial_a, strlen(serial_a) + 1);
	assert_string_equal(info.Label, "Virtual U-KEY");
	assert_true(info.AlgAsymCap & SGD_SM2);
	assert_int_equal(F.SKF_GetDevInfo(d, NULL), SAR_INVALIDPARAMERR);
	assert_int_equal(F.SKF_GetDevState(name_a, &st), SAR_OK);
	assert_int_equal(st, 1);
	assert_int_equal(F.SKF_GetDevState("no such device", &st), SAR_OK);
	assert_int_equal(st, 0);
	assert_int_equal(F.SKF_ConnectDev("no such device", &none), SAR_DEVICE_REMOVED);
	assert_null(none);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
}

static void test_pin_retries_lock_unblock_and_change(void **state)
{
	SKF_HANDLE d = connect_dev(name_a), app = open_app(d, 0), app2;
	SKF_ULONG max = 0, remain = 0, retry = 0;
	SKF_BOOL_OUT dflt = 0;
	(void)state;
	assert_int_equal(F.SKF_GetPINInfo(app, SKF_USER_TYPE, &max, &remain, &dflt), SAR_OK);
	assert_int_equal(max, 10);
	assert_int_equal(remain, 10);
	/* ukey-vkey personalises a key as in use: PIN already changed. */
	assert_false(dflt);
	for (SKF_ULONG i = 9; i >= 1; i--) {
		assert_int_equal(F.SKF_VerifyPIN(app, SKF_USER_TYPE, "000000", &retry), SAR_PIN_INCORRECT);
		assert_int_equal(retry, i);
	}
	assert_int_equal(F.SKF_VerifyPIN(app, SKF_USER_TYPE, "000000", &retry), SAR_PIN_LOCKED);
	assert_int_equal(retry, 0);
	/* Locked: the right PIN does not help, and a new handle sees the lock. */
	assert_int_equal(F.SKF_VerifyPIN(app, SKF_USER_TYPE, "123456", &retry), SAR_PIN_LOCKED);
	assert_int_equal(F.SKF_OpenApplication(d, "UKEY", &app2), SAR_OK);
	assert_int_equal(F.SKF_GetPINInfo(app2, SKF_USER_TYPE, &max, &remain, &dflt), SAR_OK);
	assert_int_equal(remain, 0);
	assert_int_equal(F.SKF_UnblockPIN(app2, "87654321", "654321", &retry), SAR_PIN_INCORRECT);
	assert_int_equal(retry, 9);
	assert_int_equal(F.SKF_UnblockPIN(app2, "12345678", "654321", &retry), SAR_OK);
	assert_int_equal(F.SKF_GetPINInfo(app2, SKF_ADMIN_TYPE, &max, &remain, &dflt), SAR_OK);
	assert_int_equal(remain, 10); /* the admin counter reset on success */
	assert_int_equal(F.SKF_VerifyPIN(app, SKF_USER_TYPE, "654321", &retry), SAR_OK);
	assert_int_equal(F.SKF_GetPINInfo(app, SKF_USER_TYPE, &max, &remain, &dflt), SAR_OK);
	assert_int_equal(remain, 10);
	assert_false(dflt);
	assert_int_equal(F.SKF_ChangePIN(app, SKF_USER_TYPE, "654321", "12", &retry), SAR_PIN_LEN_RANGE);
	assert_int_equal(F.SKF_ChangePIN(app, SKF_USER_TYPE, "111111", "123456", &retry), SAR_PIN_INCORRECT);
	assert_int_equal(retry, 9);
	assert_int_equal(F.SKF_ChangePIN(app, SKF_USER_TYPE, "654321", "123456", &retry), SAR_OK);
	assert_int_equal(F.SKF_VerifyPIN(app2, SKF_USER_TYPE, "123456", &retry), SAR_OK);
	assert_int_equal(F.SKF_VerifyPIN(app2, 7, "123456", &retry), SAR_USER_TYPE_INVALID);
	assert_int_equal(F.SKF_VerifyPIN(app2, SKF_USER_TYPE, NULL, &retry), SAR_INVALIDPARAMERR);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
}


static void test_sm2_sign_of_e_verifies_with_openssl(void **state)
{
	SKF_HANDLE d = connect_dev(name_a), app = open_app(d, 0), c = open_cont(app, "ukey"), c2;
	SKF_ECCSIGNATUREBLOB sig;
	SKF_ECCPUBLICKEYBLOB blob, blob2;
	SKF_ULONG len = sizeof(blob), type = 0, retry;
	uint8_t e[32];
	EVP_PKEY *k = cert_key(c, 1), *k2;
	(void)state;
	assert_int_equal(RAND_bytes(e, 32), 1);
	assert_int_equal(F.SKF_ECCSignData(c, e, 32, &sig), SAR_USER_NOT_LOGGED_IN);
	assert_int_equal(F.SKF_VerifyPIN(app, SKF_USER_TYPE, "123456", &retry), SAR_OK);
	assert_int_equal(F.SKF_ECCSignData(c, e, 31, &sig), SAR_INDATALENERR);
	assert_int_equal(F.SKF_ECCSignData(c, NULL, 32, &sig), SAR_INVALIDPARAMERR);
	assert_int_equal(F.SKF_ECCSignData(c, e, 32, &sig), SAR_OK);
	assert_true(sm2_verify_e(k, e, &sig));
	e[0] ^= 1;
	assert_false(sm2_verify_e(k, e, &sig));
	/* The exported signing key is the certified one. */
	assert_int_equal(F.SKF_ExportPublicKey(c, SKF_TRUE, (SKF_BYTE *)&blob, &len), SAR_OK);
	assert_int_equal(len, sizeof(blob));
	k2 = blob_to_sm2(&blob);
	assert_int_equal(EVP_PKEY_eq(k, k2), 1);
	EVP_PKEY_free(k2);
	assert_int_equal(F.SKF_GetContainerType(c, &type), SAR_OK);
	assert_int_equal(type, SKF_CONTAINER_ECC);
	/* Generated keys, with both SGD_SM2_1 conventions. */
	assert_int_equal(F.SKF_CreateContainer(app, "gen", &c2), SAR_OK);
	assert_int_equal(F.SKF_GenECCKeyPair(c2, 0x12345, &blob2), SAR_NOTSUPPORTYETERR);
	for (SKF_ULONG alg = 0x00020100; alg <= 0x00020200; alg += 0x100) {
		assert_int_equal(F.SKF_GenECCKeyPair(c2, alg, &blob2), SAR_OK);
		assert_int_equal(F.SKF_ECCSignData(c2, e, 32, &sig), SAR_OK);
		k2 = blob_to_sm2(&blob2);
		assert_true(sm2_verify_e(k2, e, &sig));
		EVP_PKEY_free(k2);
	}
	assert_int_equal(F.SKF_CreateContainer(app, "gen", &c2), SAR_FILE_ALREADY_EXIST);
	assert_int_equal(F.SKF_DeleteContainer(app, "gen"), SAR_OK);
	EVP_PKEY_free(k);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
}


static void test_ecc_decrypt_of_openssl_sm2_ciphertext(void **state)
{
	SKF_HANDLE d = connect_dev(name_a), app = open_app(d, 1), c = open_cont(app, "ukey");
	const uint8_t msg[] = "session key for the U-KEY";
	uint8_t out[64];
	SKF_ULONG len = 0;
	EVP_PKEY *k = cert_key(c, 0);
	SKF_ECCCIPHERBLOB *b = sm2_encrypt(k, msg, sizeof(msg));
	(void)state;
	assert_int_equal(F.SKF_ECCDecrypt(c, b, NULL, &len), SAR_OK);
	assert_int_equal(len, sizeof(msg));
	len = 3;
	assert_int_equal(F.SKF_ECCDecrypt(c, b, out, &len), SAR_BUFFER_TOO_SMALL);
	len = sizeof(out);
	assert_int_equal(F.SKF_ECCDecrypt(c, b, out, &len), SAR_OK);
	assert_int_equal(len, sizeof(msg));
	assert_memory_equal(out, msg, sizeof(msg));
	b->HASH[5] ^= 0x40;
	len = sizeof(out);
	assert_int_not_equal(F.SKF_ECCDecrypt(c, b, out, &len), SAR_OK);
	OPENSSL_free(b);
	EVP_PKEY_free(k);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
}

static void test_enveloped_key_import_becomes_encryption_pair(void **state)
{
	SKF_HANDLE d = connect_dev(name_a), app = open_app(d, 1), c;
	SKF_ECCPUBLICKEYBLOB sign_pub, got;
	SKF_ULONG len = sizeof(got);
	EVP_PKEY *sk, *enc = emu_key_gen("SM2", 0);
	BIGNUM *priv = NULL;
	uint8_t d64[64] = { 0 }, key[16], plain[64], encpriv[64], point[UKC_SKF_POINT_LEN];
	size_t plen = 0;
	int n = 0;
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	EVP_CIPHER *sm4 = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL);
	SKF_ECCCIPHERBLOB *wrapped;
	SKF_ENVELOPEDKEYBLOB *env = calloc(1, UKC_SKF_ENVELOPE_LEN);
	(void)state;
	assert_int_equal(F.SKF_CreateContainer(app, "imported", &c), SAR_OK);
	assert_int_equal(F.SKF_GenECCKeyPair(c, SGD_SM2_1, &sign_pub), SAR_OK);
	sk = blob_to_sm2(&sign_pub);
	assert_true(EVP_PKEY_get_bn_param(enc, OSSL_PKEY_PARAM_PRIV_KEY, &priv));
	assert_true(BN_bn2binpad(priv, d64 + 32, 32) == 32);
	assert_int_equal(RAND_bytes(key, 16), 1);
	assert_true(cc && sm4 && EVP_EncryptInit_ex2(cc, sm4, key, NULL, NULL) && EVP_CIPHER_CTX_set_padding(cc, 0) &&
		    EVP_EncryptUpdate(cc, encpriv, &n, d64, 64) && n == 64);
	wrapped = sm2_encrypt(sk, key, 16);
	assert_true(EVP_PKEY_get_octet_string_param(enc, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &plen));
	assert_int_equal(ukc_skf_envelope_pack(encpriv, point, wrapped, SKF_ECCCIPHERBLOB_HEADER + 16, (uint8_t *)env),
			 0);
	env->PubKey.XCoordinate[40] ^= 1; /* a PubKey that does not match */
	assert_int_equal(F.SKF_ImportECCKeyPair(c, env), SAR_INDATAERR);
	env->PubKey.XCoordinate[40] ^= 1;
	assert_int_equal(F.SKF_ImportECCKeyPair(c, env), SAR_OK);
	assert_int_equal(F.SKF_ExportPublicKey(c, SKF_FALSE, (SKF_BYTE *)&got, &len), SAR_OK);
	assert_memory_equal(&got, &env->PubKey, sizeof(got));
	OPENSSL_free(wrapped);
	wrapped = sm2_encrypt(enc, (const uint8_t *)"imported", 8);
	len = sizeof(plain);
	assert_int_equal(F.SKF_ECCDecrypt(c, wrapped, plain, &len), SAR_OK);
	assert_memory_equal(plain, "imported", 8);
	assert_int_equal(F.SKF_DeleteContainer(app, "imported"), SAR_OK);
	OPENSSL_free(wrapped);
	free(env);
	BN_free(priv);
	EVP_CIPHER_free(sm4);
	EVP_CIPHER_CTX_free(cc);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(enc);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
}

static void test_rsa_sign_pkcs1_over_digestinfo(void **state)
{
	SKF_HANDLE d = connect_dev(name_b), app = open_app(d, 1), c = open_cont(app, "ukey"), c2;
	/* DigestInfo prefix of SHA-256 (RFC 8017 §9.2) + the hash. */
	static const uint8_t prefix[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
					  0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	uint8_t di[51], sig[256], big[256] = { 0 };
	SKF_ULONG len = 0, type = 0;
	SKF_RSAPUBLICKEYBLOB rb;
	EVP_PKEY *k = cert_key(c, 1);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	(void)state;
	memcpy(di, prefix, sizeof(prefix));
	assert_int_equal(RAND_bytes(di + 19, 32), 1);
	assert_int_equal(F.SKF_RSASignData(c, di, sizeof(di), NULL, &len), SAR_OK);
	assert_int_equal(len, 256);
	assert_int_equal(F.SKF_RSASignData(c, di, sizeof(di), sig, &len), SAR_OK);
	assert_true(ctx && EVP_PKEY_verify_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0);
	assert_int_equal(EVP_PKEY_verify(ctx, sig, len, di + 19, 32), 1);
	assert_int_equal(F.SKF_RSASignData(c, big, 256 - 10, sig, &len), SAR_INDATALENERR);
	assert_int_equal(F.SKF_GetContainerType(c, &type), SAR_OK);
	assert_int_equal(type, SKF_CONTAINER_RSA);
	assert_int_equal(F.SKF_CreateContainer(app, "rsa1024", &c2), SAR_OK);
	assert_int_equal(F.SKF_GetContainerType(c2, &type), SAR_OK);
	assert_int_equal(type, SKF_CONTAINER_EMPTY);
	assert_int_equal(F.SKF_GenRSAKeyPair(c2, 1000, &rb), SAR_RSAMODULUSLENERR);
	assert_int_equal(F.SKF_GenRSAKeyPair(c2, 1024, &rb), SAR_OK);
	assert_int_equal(rb.BitLen, 1024);
	assert_int_equal(rb.AlgID, SGD_RSA);
	assert_memory_equal(rb.PublicExponent, "\x00\x01\x00\x01", 4);
	assert_int_equal(F.SKF_DeleteContainer(app, "rsa1024"), SAR_OK);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
}


static void test_rsa_key_import_becomes_encryption_pair(void **state)
{
	SKF_HANDLE d = connect_dev(name_b), app = open_app(d, 1), c;
	SKF_RSAPUBLICKEYBLOB sb, eb, got;
	SKF_ULONG len = sizeof(got);
	EVP_PKEY *enc = emu_key_gen("RSA", 1024), *spub;
	EVP_PKEY_CTX *ctx;
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	EVP_CIPHER *sm4 = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL);
	uint8_t key[16], wrapped[256], plain[1024] = { 0 }, data[1024], *p = plain;
	size_t wl = sizeof(wrapped);
	int dl, n = 0;
	(void)state;
	assert_int_equal(F.SKF_CreateContainer(app, "rsaimp", &c), SAR_OK);
	assert_int_equal(F.SKF_GenRSAKeyPair(c, 2048, &sb), SAR_OK);
	spub = blob_to_rsa(&sb);
	assert_int_equal(RAND_bytes(key, 16), 1);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, spub, NULL);
	assert_true(ctx && EVP_PKEY_encrypt_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
		    EVP_PKEY_encrypt(ctx, wrapped, &wl, key, 16) > 0);
	dl = i2d_PrivateKey(enc, &p); /* PKCS#1 RSAPrivateKey */
	assert_true(dl > 0 && dl < 1000);
	dl = (dl + 15) / 16 * 16;
	assert_true(cc && sm4 && EVP_EncryptInit_ex2(cc, sm4, key, NULL, NULL) && EVP_CIPHER_CTX_set_padding(cc, 0) &&
		    EVP_EncryptUpdate(cc, data, &n, plain, dl) && n == dl);
	assert_int_equal(F.SKF_ImportRSAKeyPair(c, SGD_SM1_ECB, wrapped, (SKF_ULONG)wl, data, (SKF_ULONG)dl),
			 SAR_NOTSUPPORTYETERR);
	assert_int_equal(F.SKF_ImportRSAKeyPair(c, SGD_SM4_ECB, wrapped, (SKF_ULONG)wl, data, (SKF_ULONG)dl), SAR_OK);
	assert_int_equal(F.SKF_ExportPublicKey(c, SKF_FALSE, (SKF_BYTE *)&got, &len), SAR_OK);
	assert_int_equal(emu_rsa_pub_to_blob(enc, &eb), 0);
	assert_memory_equal(&got, &eb, sizeof(eb));
	assert_int_equal(F.SKF_DeleteContainer(app, "rsaimp"), SAR_OK);
	OPENSSL_cleanse(plain, sizeof(plain));
	EVP_CIPHER_free(sm4);
	EVP_CIPHER_CTX_free(cc);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(spub);
	EVP_PKEY_free(enc);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
}

static void test_files_respect_rights_and_sizes(void **state)
{
	SKF_HANDLE d = connect_dev(name_a), app = open_app(d, 0);
	SKF_FILEATTRIBUTE fa;
	SKF_ULONG len = 0, retry;
	uint8_t buf[200];
	char list[256];
	(void)state;
	assert_int_equal(F.SKF_CreateFile(app, "seal1", 100, SKF_SECURE_ANYONE_ACCOUNT, SKF_SECURE_USER_ACCOUNT),
			 SAR_USER_NOT_LOGGED_IN);
	assert_int_equal(F.SKF_VerifyPIN(app, SKF_USER_TYPE, "123456", &retry), SAR_OK);
	assert_int_equal(F.SKF_CreateFile(app, "seal1", 100, SKF_SECURE_ANYONE_ACCOUNT, SKF_SECURE_USER_ACCOUNT),
			 SAR_OK);
	assert_int_equal(F.SKF_CreateFile(app, "seal1", 100, 0xFF, 0x10), SAR_FILE_ALREADY_EXIST);
	assert_int_equal(F.SKF_CreateFile(app, "a-name-longer-than-thirty-two-b", 10, 0xFF, 0x10), SAR_OK);
	assert_int_equal(F.SKF_CreateFile(app, "a-name-longer-than-thirty-two-by", 10, 0xFF, 0x10), SAR_OK);
	assert_int_equal(F.SKF_CreateFile(app, "a-name-longer-than-thirty-two-byt", 10, 0xFF, 0x10), SAR_NAMELENERR);
	assert_int_equal(F.SKF_CreateFile(app, "../escape", 10, 0xFF, 0x10), SAR_INVALIDPARAMERR);
	assert_int_equal(F.SKF_WriteFile(app, "seal1", 10, (const SKF_BYTE *)"hello", 5), SAR_OK);
	assert_int_equal(F.SKF_WriteFile(app, "seal1", 96, (const SKF_BYTE *)"hello", 5), SAR_INDATALENERR);
	assert_int_equal(F.SKF_ClearSecureState(app), SAR_OK);
	assert_int_equal(F.SKF_WriteFile(app, "seal1", 0, (const SKF_BYTE *)"x", 1), SAR_USER_NOT_LOGGED_IN);
	assert_int_equal(F.SKF_ReadFile(app, "seal1", 0, 200, NULL, &len), SAR_OK);
	assert_int_equal(len, 100);
	len = 5;
	assert_int_equal(F.SKF_ReadFile(app, "seal1", 8, 200, buf, &len), SAR_BUFFER_TOO_SMALL);
	assert_int_equal(len, 92);
	len = sizeof(buf);
	assert_int_equal(F.SKF_ReadFile(app, "seal1", 10, 5, buf, &len), SAR_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(F.SKF_GetFileInfo(app, "seal1", &fa), SAR_OK);
	assert_string_equal(fa.FileName, "seal1");
	assert_int_equal(fa.FileSize, 100);
	assert_int_equal(fa.WriteRights, SKF_SECURE_USER_ACCOUNT);
	len = sizeof(list);
	assert_int_equal(F.SKF_EnumFiles(app, list, &len), SAR_OK);
	assert_string_equal(list + strlen(list) + 1 + strlen(list + strlen(list) + 1) + 1, "seal1");
	assert_int_equal(F.SKF_DeleteFile(app, "seal1"), SAR_USER_NOT_LOGGED_IN);
	assert_int_equal(F.SKF_VerifyPIN(app, SKF_USER_TYPE, "123456", &retry), SAR_OK);
	assert_int_equal(F.SKF_DeleteFile(app, "seal1"), SAR_OK);
	assert_int_equal(F.SKF_GetFileInfo(app, "seal1", &fa), SAR_FILE_NOT_EXIST);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
}

/* A device's limits (emu-limits.c): the size fixed at creation, a largest
 * file, a file area that fills up, and at most max_io bytes per call. */
static void test_file_limits_are_a_devices(void **state)
{
	SKF_HANDLE d = connect_dev(name_a), app = open_app(d, 1);
	static uint8_t big[EMU_MAX_IO + 1];
	char conf[256];
	uint8_t *saved;
	size_t slen;
	SKF_DEVINFO before, after;
	SKF_ULONG len;
	FILE *f;
	(void)state;
	assert_int_equal(F.SKF_GetDevInfo(d, &before), SAR_OK);
	assert_int_equal(before.TotalSpace, EMU_TOTAL_SPACE);
	assert_int_equal(F.SKF_CreateFile(app, "huge", EMU_MAX_FILE + 1, 0xFF, 0x10), SAR_INDATALENERR);
	assert_int_equal(F.SKF_CreateFile(app, "picture", 200000, 0xFF, 0x10), SAR_OK);
	assert_int_equal(F.SKF_GetDevInfo(d, &after), SAR_OK);
	assert_int_equal(before.FreeSpace - after.FreeSpace, 200000);
	assert_int_equal(F.SKF_WriteFile(app, "picture", 0, big, EMU_MAX_IO + 1), SAR_INDATALENERR);
	assert_int_equal(F.SKF_WriteFile(app, "picture", 0, big, EMU_MAX_IO), SAR_OK);
	assert_int_equal(F.SKF_WriteFile(app, "picture", 200000 - 10, big, 11), SAR_INDATALENERR);
	len = sizeof(big);
	assert_int_equal(F.SKF_ReadFile(app, "picture", 0, EMU_MAX_IO + 1, big, &len), SAR_INDATALENERR);
	len = sizeof(big);
	assert_int_equal(F.SKF_ReadFile(app, "picture", 0, EMU_MAX_IO, big, &len), SAR_OK);
	assert_int_equal(len, EMU_MAX_IO);
	/* device.conf sets a smaller file area: the next file finds no room. */
	snprintf(conf, sizeof(conf), "%s/device.conf", dev_a);
	assert_int_equal(emu_read_file(conf, &saved, &slen), 0);
	assert_non_null(f = fopen(conf, "a"));
	fputs("total_space=300000\n", f);
	fclose(f);
	assert_int_equal(F.SKF_CreateFile(app, "second", 100001, 0xFF, 0x10), SAR_NO_ROOM);
	assert_int_equal(F.SKF_CreateFile(app, "second", 99000, 0xFF, 0x10), SAR_OK);
	assert_int_equal(F.SKF_DeleteFile(app, "second"), SAR_OK);
	assert_int_equal(F.SKF_DeleteFile(app, "picture"), SAR_OK);
	assert_int_equal(emu_write_file(conf, saved, slen, 0600), 0);
	free(saved);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
}

static void test_bad_and_closed_handles_are_rejected(void **state)
{
	int junk[16] = { 0 };
	uint8_t r[8];
	SKF_DEVINFO info;
	SKF_ULONG t;
	SKF_HANDLE d = connect_dev(name_a), d2 = connect_dev(name_a), app = open_app(d, 0), c = open_cont(app, "ukey");
	(void)state;
	assert_int_equal(F.SKF_GetDevInfo(junk, &info), SAR_INVALIDHANDLEERR);
	assert_int_equal(F.SKF_GetDevInfo(NULL, &info), SAR_INVALIDHANDLEERR);
	assert_int_equal(F.SKF_GetDevInfo(app, &info), SAR_INVALIDHANDLEERR);
	assert_int_equal(F.SKF_GetContainerType(app, &t), SAR_INVALIDHANDLEERR);
	assert_int_equal(F.SKF_CloseHandle(junk), SAR_INVALIDHANDLEERR);
	assert_int_equal(F.SKF_GenRandom(d, r, sizeof(r)), SAR_OK);
	assert_int_equal(F.SKF_GenRandom(d, r, 0), SAR_INVALIDPARAMERR);
	assert_int_equal(F.SKF_LockDev(d, 0), SAR_OK);
	assert_int_equal(F.SKF_LockDev(d2, 0), SAR_TIMEOUTERR);
	assert_int_equal(F.SKF_UnlockDev(d), SAR_OK);
	assert_int_equal(F.SKF_LockDev(d2, 100), SAR_OK);
	assert_int_equal(F.SKF_UnlockDev(d2), SAR_OK);
	assert_int_equal(F.SKF_CloseApplication(app), SAR_OK);
	assert_int_equal(F.SKF_GetContainerType(c, &t), SAR_INVALIDHANDLEERR); /* closed with its app */
	assert_int_equal(F.SKF_ClearSecureState(app), SAR_INVALIDHANDLEERR);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
	assert_int_equal(F.SKF_GetDevInfo(d, &info), SAR_INVALIDHANDLEERR);
	assert_int_equal(F.SKF_DisConnectDev(d2), SAR_OK);
}

/* The cost model (emu-cost.c): a forked child (its counts start at zero)
 * makes known calls with UKEY_SKF_EMU_COST set and exits; its report gives
 * each call's bytes and APDUs (255 payload bytes each, at least one). */
static void test_cost_model_counts_calls_bytes_and_apdus(void **state)
{
	char dir[] = "/tmp/skf-emu-cost.XXXXXX", path[64], line[128], *text;
	static uint8_t data[600];
	uint8_t back[600];
	FILE *f;
	int st = -1;
	size_t n = 0;
	pid_t pid;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cost", dir);
	pid = fork();
	if (pid == 0) {
		SKF_HANDLE d = NULL, app = NULL;
		SKF_ULONG retry, len = sizeof(back);
		setenv("UKEY_SKF_EMU_COST", path, 1);
		memset(data, 'c', sizeof(data));
		if (F.SKF_ConnectDev(name_a, &d) != SAR_OK || F.SKF_OpenApplication(d, "UKEY", &app) != SAR_OK ||
		    F.SKF_VerifyPIN(app, SKF_USER_TYPE, "123456", &retry) != SAR_OK ||
		    F.SKF_CreateFile(app, "costfile", sizeof(data), 0xFF, 0x10) != SAR_OK ||
		    F.SKF_WriteFile(app, "costfile", 0, data, sizeof(data)) != SAR_OK ||
		    F.SKF_ReadFile(app, "costfile", 0, sizeof(back), back, &len) != SAR_OK || len != sizeof(data) ||
		    F.SKF_DeleteFile(app, "costfile") != SAR_OK || F.SKF_DisConnectDev(d) != SAR_OK)
			_exit(1);
		exit(0); /* the report is written at exit */
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_non_null(f = fopen(path, "r"));
	text = calloc(1, 4096);
	while (text && fgets(line, sizeof(line), f) && n + strlen(line) < 4096)
		n += (size_t)sprintf(text + n, "%s", line);
	fclose(f);
	assert_non_null(strstr(text, "# ukey-skf-emu cost: pid "));
	/* name (8 bytes) + 600 data bytes: ceil(608 / 255) = 3 APDUs */
	assert_non_null(strstr(text, "\nSKF_WriteFile 1 608 0 3\n"));
	assert_non_null(strstr(text, "\nSKF_ReadFile 1 8 600 3\n"));
	assert_non_null(strstr(text, "\nSKF_VerifyPIN 1 6 0 1\n"));   /* only the child's own login */
	assert_non_null(strstr(text, "\nSKF_DeleteFile 1 8 0 1\n"));
	assert_non_null(strstr(text, "\ntotal 8 "));
	free(text);
	unlink(path);
	rmdir(dir);
}

struct waiter {
	char name[80];
	SKF_ULONG len, event, rv;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	w->len = sizeof(w->name);
	w->rv = F.SKF_WaitForDevEvent(w->name, &w->len, &w->event);
	return NULL;
}

static void test_unplug_gives_device_removed_and_events(void **state)
{
	SKF_HANDLE d = connect_dev(name_b), app = open_app(d, 1), c = open_cont(app, "ukey");
	char gone[320], list[256];
	uint8_t di[51] = { 0 }, sig[256];
	SKF_ULONG len = sizeof(sig), st = 9;
	struct waiter w = { { 0 }, 0, 0, 0 };
	pthread_t th;
	(void)state;
	snprintf(gone, sizeof(gone), "%s.unplugged", dev_b);
	/* The first call takes the snapshot; the cancel stops it. */
	assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
	assert_int_equal(F.SKF_CancelWaitForDevEvent(), SAR_OK);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.rv, SAR_NOT_EVENTERR);

	assert_int_equal(rename(dev_b, gone), 0);
	assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.rv, SAR_OK);
	assert_int_equal(w.event, SKF_DEV_EVENT_REMOVED);
	assert_string_equal(w.name, name_b);

	assert_int_equal(F.SKF_RSASignData(c, di, sizeof(di), sig, &len), SAR_DEVICE_REMOVED);
	assert_int_equal(F.SKF_GetContainerType(c, &st), SAR_DEVICE_REMOVED);
	assert_int_equal(F.SKF_ClearSecureState(app), SAR_DEVICE_REMOVED);
	assert_int_equal(F.SKF_GenRandom(d, sig, 8), SAR_DEVICE_REMOVED);
	assert_int_equal(F.SKF_GetDevState(name_b, &st), SAR_OK);
	assert_int_equal(st, 0);
	len = sizeof(list);
	assert_int_equal(F.SKF_EnumDev(SKF_TRUE, list, &len), SAR_OK);
	assert_int_equal(len, strlen(name_a) + 2);

	/* Plugged back: an insertion; old handles stay dead, a new connect works. */
	assert_int_equal(rename(gone, dev_b), 0);
	assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.event, SKF_DEV_EVENT_INSERTED);
	assert_string_equal(w.name, name_b);
	assert_int_equal(F.SKF_GenRandom(d, sig, 8), SAR_DEVICE_REMOVED);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
	d = connect_dev(name_b);
	assert_int_equal(F.SKF_GenRandom(d, sig, 8), SAR_OK);
	assert_int_equal(F.SKF_DisConnectDev(d), SAR_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enum_lists_both_devices_as_double_nul_multistring),
		cmocka_unit_test(test_devinfo_has_medium_number_at_offset_162),
		cmocka_unit_test(test_pin_retries_lock_unblock_and_change),
		cmocka_unit_test(test_sm2_sign_of_e_verifies_with_openssl),
		cmocka_unit_test(test_ecc_decrypt_of_openssl_sm2_ciphertext),
		cmocka_unit_test(test_enveloped_key_import_becomes_encryption_pair),
		cmocka_unit_test(test_rsa_sign_pkcs1_over_digestinfo),
		cmocka_unit_test(test_rsa_key_import_becomes_encryption_pair),
		cmocka_unit_test(test_files_respect_rights_and_sizes),
		cmocka_unit_test(test_file_limits_are_a_devices),
		cmocka_unit_test(test_bad_and_closed_handles_are_rejected),
		cmocka_unit_test(test_cost_model_counts_calls_bytes_and_apdus),
		cmocka_unit_test(test_unplug_gives_device_removed_and_events),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
