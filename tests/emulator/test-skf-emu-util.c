/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Shared part of test-skf-emu: loads the library, makes the devices with
 * tools/ukey-vkey and converts SKF blobs for OpenSSL checks. */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "sm2cipher.h"
#include "test-skf-emu.h"

struct skf_fns F;
static void *lib;
static char tmp[64];
char dev_a[128], dev_b[128], serial_a[32], name_a[80], name_b[80];

void info_get(const char *vdir, const char *key, char *out, size_t len)
{
	char path[400];
	uint8_t *text;
	size_t tl;

	snprintf(path, sizeof(path), "%s/vkey.info", vdir);
	assert_int_equal(emu_read_file(path, &text, &tl), 0);
	assert_int_equal(emu_kv_get((char *)text, key, out, len), 0);
	free(text);
}

int setup(void **state)
{
	const char *src = getenv("UKEY_TOP_SRCDIR"), *bld = getenv("UKEY_TOP_BUILDDIR");
	char lpath[1024], cmd[4096], va[100], vb[100], devs[700];

	(void)state;
	if (!src || !bld || !mkdtemp(strcpy(tmp, "/tmp/skf-emu-test.XXXXXX")))
		return -1;
	snprintf(lpath, sizeof(lpath), "%s/emulator/.libs/libukey-skf-emu.so", bld);
	snprintf(va, sizeof(va), "%s/a", tmp);
	snprintf(vb, sizeof(vb), "%s/b", tmp);
	snprintf(cmd, sizeof(cmd),
		 "UKEY_SKF_EMU_LIB='%s' '%s/tools/ukey-vkey' create '%s' --backend skf >/dev/null && "
		 "UKEY_SKF_EMU_LIB='%s' '%s/tools/ukey-vkey' create '%s' --backend skf --key-type rsa "
		 "--share-with '%s' >/dev/null",
		 lpath, src, va, lpath, src, vb, va);
	if (system(cmd) != 0)
		return -1;
	snprintf(dev_a, sizeof(dev_a), "%s/device", va);
	snprintf(dev_b, sizeof(dev_b), "%s/device", vb);
	info_get(va, "skf_devices", devs, sizeof(devs));
	info_get(va, "serial", serial_a, sizeof(serial_a));
	info_get(va, "device_name", name_a, sizeof(name_a));
	info_get(vb, "device_name", name_b, sizeof(name_b));
	setenv("UKEY_SKF_EMU_DEVICES", devs, 1);
	if (!(lib = dlopen(lpath, RTLD_NOW | RTLD_LOCAL)))
		return -1;
#define FN(ret, name, args) if (!(*(void **)&F.name = dlsym(lib, #name))) return -1;
	UKEY_SKF_FUNCTIONS(FN)
#undef FN
	return 0;
}

int teardown(void **state)
{
	char cmd[400];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

SKF_HANDLE connect_dev(const char *name)
{
	SKF_HANDLE h = NULL;
	assert_int_equal(F.SKF_ConnectDev(name, &h), SAR_OK);
	return h;
}

SKF_HANDLE open_app(SKF_HANDLE dev, int login)
{
	SKF_HANDLE app = NULL;
	SKF_ULONG retry = 99;
	assert_int_equal(F.SKF_OpenApplication(dev, "UKEY", &app), SAR_OK);
	if (login)
		assert_int_equal(F.SKF_VerifyPIN(app, SKF_USER_TYPE, "123456", &retry), SAR_OK);
	return app;
}

SKF_HANDLE open_cont(SKF_HANDLE app, const char *name)
{
	SKF_HANDLE c = NULL;
	assert_int_equal(F.SKF_OpenContainer(app, name, &c), SAR_OK);
	return c;
}

EVP_PKEY *cert_key(SKF_HANDLE c, int sign)
{
	uint8_t der[4096];
	const uint8_t *p = der;
	SKF_ULONG len = sizeof(der);
	X509 *x;
	EVP_PKEY *k;

	assert_int_equal(F.SKF_ExportCertificate(c, sign, der, &len), SAR_OK);
	x = d2i_X509(NULL, &p, len);
	assert_non_null(x);
	k = X509_get_pubkey(x);
	X509_free(x);
	assert_non_null(k);
	return k;
}

/* DER SEQUENCE{r, s} from a signature blob, for OpenSSL. */
int sig_to_der(const SKF_ECCSIGNATUREBLOB *sig, uint8_t **der)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig->r, 64, NULL), *ss = BN_bin2bn(sig->s, 64, NULL);
	int n;
	assert_true(s && r && ss && ECDSA_SIG_set0(s, r, ss));
	*der = NULL;
	n = i2d_ECDSA_SIG(s, der);
	ECDSA_SIG_free(s);
	return n;
}

int sm2_verify_e(EVP_PKEY *k, const uint8_t e[32], const SKF_ECCSIGNATUREBLOB *sig)
{
	uint8_t *der = NULL;
	int n = sig_to_der(sig, &der), ok;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	ok = ctx && EVP_PKEY_verify_init(ctx) > 0 && EVP_PKEY_verify(ctx, der, (size_t)n, e, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(der);
	return ok;
}

EVP_PKEY *blob_to_sm2(const SKF_ECCPUBLICKEYBLOB *b)
{
	uint8_t pt[65] = { 4 };
	OSSL_PARAM p[3];
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	memcpy(pt + 1, b->XCoordinate + 32, 32);
	memcpy(pt + 33, b->YCoordinate + 32, 32);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"SM2", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
	p[2] = OSSL_PARAM_construct_end();
	assert_true(ctx && EVP_PKEY_fromdata_init(ctx) > 0 && EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p) > 0);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

SKF_ECCCIPHERBLOB *sm2_encrypt(EVP_PKEY *k, const uint8_t *msg, size_t len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	uint8_t der[1024];
	size_t dl = sizeof(der), bl = 0;
	SKF_ECCCIPHERBLOB *b = NULL;
	assert_true(ctx && EVP_PKEY_encrypt_init(ctx) > 0 && EVP_PKEY_encrypt(ctx, der, &dl, msg, len) > 0);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(ukc_sm2cipher_to_skf(der, dl, &b, &bl, NULL), 0);
	assert_int_equal(b->CipherLen, len);
	return b;
}

EVP_PKEY *blob_to_rsa(const SKF_RSAPUBLICKEYBLOB *b)
{
	OSSL_PARAM p[3];
	uint8_t n[256], e[4];
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	/* OSSL_PARAM integers are native-endian: reverse the big-endian blob. */
	for (int i = 0; i < 256; i++)
		n[i] = b->Modulus[255 - i];
	for (int i = 0; i < 4; i++)
		e[i] = b->PublicExponent[3 - i];
	p[0] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_N, n, sizeof(n));
	p[1] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_E, e, sizeof(e));
	p[2] = OSSL_PARAM_construct_end();
	assert_true(ctx && EVP_PKEY_fromdata_init(ctx) > 0 && EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p) > 0);
	EVP_PKEY_CTX_free(ctx);
	return k;
}
