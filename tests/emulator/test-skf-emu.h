/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the SKF emulator tests (test-skf-emu-util.c). */
#ifndef UKEY_TEST_SKF_EMU_H
#define UKEY_TEST_SKF_EMU_H

#include "emu.h"

struct skf_fns {
#define FN(ret, name, args) ret(*name) args;
	UKEY_SKF_FUNCTIONS(FN)
#undef FN
};
extern struct skf_fns F;
extern char dev_a[128], dev_b[128], serial_a[32], name_a[80], name_b[80];

void info_get(const char *vdir, const char *key, char *out, size_t len);
int setup(void **state);
int teardown(void **state);
SKF_HANDLE connect_dev(const char *name);
SKF_HANDLE open_app(SKF_HANDLE dev, int login);
SKF_HANDLE open_cont(SKF_HANDLE app, const char *name);
EVP_PKEY *cert_key(SKF_HANDLE c, int sign);
int sig_to_der(const SKF_ECCSIGNATUREBLOB *sig, uint8_t **der);
int sm2_verify_e(EVP_PKEY *k, const uint8_t e[32], const SKF_ECCSIGNATUREBLOB *sig);
EVP_PKEY *blob_to_sm2(const SKF_ECCPUBLICKEYBLOB *b);
/* OpenSSL SM2 encryption as an ECCCIPHERBLOB (OPENSSL_free it). */
SKF_ECCCIPHERBLOB *sm2_encrypt(EVP_PKEY *k, const uint8_t *msg, size_t len);
EVP_PKEY *blob_to_rsa(const SKF_RSAPUBLICKEYBLOB *b);

#endif
