/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fake device for the SM2 token-layer tests: a driver (ukey_driver_find
 * "fake", a link-time seam) whose objects look like what the SKF driver
 * shows: SM2 keys as CKK_SM2 with CKA_EC_PARAMS = sm2p256v1 and CKA_EC_POINT
 * a DER OCTET STRING. It signs a raw 32-byte e (CKM_SM2, r||s out) and
 * decrypts a DER SM2Cipher (CKM_SM2_ENCRYPT) with OpenSSL, as
 * SKF_ECCSignData / SKF_ECCDecrypt do on a token; CKM_ECDSA for P-256. */
#ifndef UKEY_TEST_SM2_FAKE_H
#define UKEY_TEST_SM2_FAKE_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "drivers/driver.h"
#include "token/crypto.h"

/* Object references on the fake device. */
enum { R_SM2_PRIV = 1, R_SM2_PUB, R_ECSM2_PRIV, R_ECSM2_CERT, R_P256_PRIV, R_BARE_PRIV, NOBJ = R_BARE_PRIV };

struct fobj {
	CK_ATTRIBUTE attrs[12];
	CK_ULONG n;
	EVP_PKEY *key;
};

extern struct fobj sm2_fake_objs[NOBJ + 1];
/* The keys the fixture makes (the driver signs with them). */
extern EVP_PKEY *sm2_a, *sm2_b, *sm2_c, *p256;
/* Device decryptions so far, and the last e the device signed. */
extern unsigned sm2_fake_decrypt_calls;
extern unsigned char sm2_fake_last_e[32];

/* A key object (CKA_ID one byte) with or without CKA_EC_POINT. */
void sm2_fake_key(int ref, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, EVP_PKEY *key, int nid, bool point,
		  unsigned char id);
/* A self-signed SM2 certificate object for key. */
void sm2_fake_cert(int ref, EVP_PKEY *key, unsigned char id);
void sm2_fake_free(void);

#endif
