/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* See unwrap-ecdh.h. */

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "unwrap-ecdh.h"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

void ukt_unwrap_ecdh_check(const struct ukt_token *tok, const unsigned char *id, unsigned long idlen, EVP_PKEY *pair)
{
	void *h = dlopen(ukt_softhsm_path(), RTLD_NOW | RTLD_LOCAL);
	CK_C_GetFunctionList gfl = h ? (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList") : NULL;
	CK_FUNCTION_LIST *f = NULL;
	EVP_PKEY *probe = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY_CTX *ctx = probe ? EVP_PKEY_CTX_new_from_pkey(NULL, probe, NULL) : NULL;
	unsigned char pt[65], ours[32], theirs[64];
	size_t plen = 0, olen = sizeof(ours);
	CK_ECDH1_DERIVE_PARAMS prm = { CKD_NULL, 0, NULL, sizeof(pt), pt };
	CK_MECHANISM m = { CKM_ECDH1_DERIVE, &prm, sizeof(prm) };
	CK_OBJECT_CLASS sk = CKO_SECRET_KEY, pk = CKO_PRIVATE_KEY;
	CK_KEY_TYPE gen = CKK_GENERIC_SECRET;
	CK_ULONG vlen = 32, nslots = 16, found = 0;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &sk, sizeof(sk) },       { CKA_KEY_TYPE, &gen, sizeof(gen) },
			     { CKA_TOKEN, &no, sizeof(no) },       { CKA_SENSITIVE, &no, sizeof(no) },
			     { CKA_EXTRACTABLE, &yes, sizeof(yes) }, { CKA_VALUE_LEN, &vlen, sizeof(vlen) } };
	CK_ATTRIBUTE ft[] = { { CKA_CLASS, &pk, sizeof(pk) }, { CKA_ID, (void *)id, (CK_ULONG)idlen } };
	CK_ATTRIBUTE va = { CKA_VALUE, theirs, sizeof(theirs) };
	CK_SLOT_ID slots[16];
	CK_SESSION_HANDLE bs = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE, secret = CK_INVALID_HANDLE;
	CK_TOKEN_INFO ti;
	CK_RV init;

	assert_non_null(gfl);
	assert_int_equal(gfl(&f), CKR_OK);
	init = f->C_Initialize(NULL);
	assert_true(init == CKR_OK || init == CKR_CRYPTOKI_ALREADY_INITIALIZED);
	RV(f->C_GetSlotList(CK_TRUE, slots, &nslots), CKR_OK);
	for (CK_ULONG i = 0; i < nslots && bs == CK_INVALID_HANDLE; i++)
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && strncmp((char *)ti.serialNumber, tok->serial, strlen(tok->serial)) == 0)
			RV(f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &bs), CKR_OK);
	assert_int_not_equal(bs, CK_INVALID_HANDLE);
	RV(f->C_Login(bs, CKU_USER, (CK_UTF8CHAR *)tok->user_pin, strlen(tok->user_pin)), CKR_OK);
	RV(f->C_FindObjectsInit(bs, ft, 2), CKR_OK);
	RV(f->C_FindObjects(bs, &key, 1, &found), CKR_OK);
	RV(f->C_FindObjectsFinal(bs), CKR_OK);
	assert_int_equal(found, 1);
	assert_true(ctx && EVP_PKEY_get_octet_string_param(probe, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &plen) &&
		    plen == sizeof(pt) && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, pair) > 0 &&
		    EVP_PKEY_derive(ctx, ours, &olen) > 0 && olen == sizeof(ours));
	RV(f->C_DeriveKey(bs, &m, key, t, sizeof(t) / sizeof(t[0]), &secret), CKR_OK);
	RV(f->C_GetAttributeValue(bs, secret, &va, 1), CKR_OK);
	assert_int_equal(va.ulValueLen, sizeof(ours));
	assert_memory_equal(theirs, ours, sizeof(ours));
	RV(f->C_DestroyObject(bs, secret), CKR_OK);
	RV(f->C_CloseSession(bs), CKR_OK);
	if (init == CKR_OK)
		f->C_Finalize(NULL);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(probe);
	dlclose(h);
}

