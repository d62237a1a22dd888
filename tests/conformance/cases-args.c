/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every function with bad arguments: NULL pointers, unknown and stale
 * handles, bad lengths, calls out of order; C_Initialize/C_Finalize
 * states. */
#include "config.h"

#include <string.h>

#include "conform.h"
#include "ukey-pkcs11.h"

#define BAD_HANDLE 0x7fff1234UL
#define BAD_SLOT 0x7fff4321UL
#define BAD_MECH 0x7ffffff3UL

static void general(struct cf_ctx *c)
{
	CK_INFO info;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_MECHANISM_INFO mi;
	CK_ULONG n = 0;
	CK_SLOT_ID slot = 0;
	CF(c, C_GetInfo, NULL);
	if (CF(c, C_GetInfo, &info) == CKR_OK)
		cf_out(c, "cryptoki=%u.%u", info.cryptokiVersion.major, info.cryptokiVersion.minor);
	CF(c, C_GetFunctionList, NULL);
	CF(c, C_GetSlotList, CK_TRUE, NULL, NULL);
	CF(c, C_GetSlotInfo, c->slot_a, NULL);
	CF(c, C_GetSlotInfo, BAD_SLOT, &si);
	if (CF(c, C_GetSlotInfo, c->slot_a, &si) == CKR_OK)
		cf_out(c, "present=%d", !!(si.flags & CKF_TOKEN_PRESENT));
	CF(c, C_GetTokenInfo, BAD_SLOT, &ti);
	CF(c, C_GetTokenInfo, c->slot_a, NULL);
	if (CF(c, C_GetTokenInfo, c->slot_a, &ti) == CKR_OK)
		cf_out(c, "serial=%.16s label=%.32s", ti.serialNumber, ti.label);
	CF(c, C_GetMechanismList, BAD_SLOT, NULL, &n);
	CF(c, C_GetMechanismList, c->slot_a, NULL, NULL);
	CF(c, C_GetMechanismInfo, c->slot_a, BAD_MECH, &mi);
	CF(c, C_GetMechanismInfo, c->slot_a, CKM_SHA256, NULL);
	CF(c, C_GetMechanismInfo, BAD_SLOT, CKM_SHA256, &mi);
	CF(c, C_WaitForSlotEvent, CKF_DONT_BLOCK, NULL, NULL);
	CF(c, C_WaitForSlotEvent, CKF_DONT_BLOCK, &slot, (void *)&n);
	CF(c, C_InitToken, BAD_SLOT, NULL, 0, NULL);
}

static void sessions(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_SESSION_INFO si;
	CF(c, C_OpenSession, c->slot_a, 0, NULL, NULL, &s);
	CF(c, C_OpenSession, c->slot_a, CKF_SERIAL_SESSION, NULL, NULL, NULL);
	CF(c, C_OpenSession, BAD_SLOT, CKF_SERIAL_SESSION, NULL, NULL, &s);
	CF(c, C_CloseSession, BAD_HANDLE);
	CF(c, C_CloseSession, CK_INVALID_HANDLE);
	CF(c, C_CloseAllSessions, BAD_SLOT);
	s = cf_open(c, c->slot_a, false);
	CF(c, C_GetSessionInfo, s, NULL);
	CF(c, C_GetSessionInfo, BAD_HANDLE, &si);
	if (CF(c, C_GetSessionInfo, s, &si) == CKR_OK)
		cf_out(c, "state=%lu flags=0x%lx", (unsigned long)si.state, (unsigned long)si.flags);
	CF(c, C_CloseSession, s);
	CF(c, C_CloseSession, s);
	CF(c, C_GetSessionInfo, s, &si);
	CF(c, C_Logout, s);
}

static void login_args(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	const struct ukt_token *t = c->tok_a;
	CK_UTF8CHAR_PTR pin = (CK_UTF8CHAR_PTR)t->user_pin;
	CF(c, C_Login, s, 99, pin, strlen(t->user_pin));
	CF(c, C_Login, s, CKU_USER, NULL, 5);
	CF(c, C_Login, BAD_HANDLE, CKU_USER, pin, strlen(t->user_pin));
	CF(c, C_Logout, s);
	CF(c, C_Login, s, CKU_CONTEXT_SPECIFIC, pin, strlen(t->user_pin));
	CF(c, C_InitPIN, s, pin, strlen(t->user_pin));
	CF(c, C_SetPIN, s, NULL, 3, pin, strlen(t->user_pin));
	CF(c, C_SetPIN, s, pin, strlen(t->user_pin), pin, strlen(t->user_pin));
	cf_login(c, s, t);
	CF(c, C_Login, s, CKU_CONTEXT_SPECIFIC, pin, strlen(t->user_pin));
	CF(c, C_Login, s, CKU_SO, (CK_UTF8CHAR_PTR)t->so_pin, strlen(t->so_pin));
	CF(c, C_Logout, s);
	CF(c, C_Logout, s);
}

static void object_args(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, true);
	CK_OBJECT_HANDLE h[4], cert = cf_key(c, s, c->tok_a, CKO_CERTIFICATE, true), nh;
	CK_ATTRIBUTE a = { CKA_LABEL, NULL, 0 };
	CK_ULONG n = 0;
	CF(c, C_DestroyObject, s, BAD_HANDLE);
	CF(c, C_DestroyObject, BAD_HANDLE, cert);
	CF(c, C_GetObjectSize, s, cert, NULL);
	CF(c, C_GetObjectSize, s, BAD_HANDLE, &n);
	CF(c, C_GetAttributeValue, s, BAD_HANDLE, &a, 1);
	CF(c, C_GetAttributeValue, BAD_HANDLE, cert, &a, 1);
	CF(c, C_SetAttributeValue, s, BAD_HANDLE, &a, 1);
	CF(c, C_FindObjects, s, h, 4, &n);
	CF(c, C_FindObjectsFinal, s);
	CF(c, C_FindObjectsInit, BAD_HANDLE, NULL, 0);
	CF(c, C_FindObjectsInit, s, &a, 1);
	CF(c, C_FindObjectsInit, s, NULL, 0);
	CF(c, C_FindObjects, s, NULL, 4, &n);
	CF(c, C_FindObjects, s, h, 4, NULL);
	if (CF(c, C_FindObjects, s, h, 0, &n) == CKR_OK)
		cf_out(c, "n=%lu", (unsigned long)n);
	CF(c, C_FindObjectsFinal, s);
	CF(c, C_FindObjectsFinal, s);
	CF(c, C_CopyObject, s, cert, NULL, 1, &nh);
	CF(c, C_CopyObject, s, BAD_HANDLE, NULL, 0, &nh);
	CF(c, C_CopyObject, s, cert, NULL, 0, NULL);
}

/* Operations: bad mechanism pointer, unknown key, a certificate as key,
 * running without init, bad buffers after init. */
static void crypto_args(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_MECHANISM sha = { CKM_SHA256, NULL, 0 }, bad = { BAD_MECH, NULL, 0 };
	CK_MECHANISM sig = { c->skf ? CKM_SM3_SM2 : CKM_SHA256_RSA_PKCS, NULL, 0 };
	unsigned char data[32] = { 1 }, out[512];
	CK_ULONG len = sizeof(out);
	CK_OBJECT_HANDLE cert, key, pub;
	cf_login(c, s, c->tok_a);
	cert = cf_key(c, s, c->tok_a, CKO_CERTIFICATE, true);
	key = cf_key(c, s, c->tok_a, CKO_PRIVATE_KEY, true);
	pub = cf_key(c, s, c->tok_a, CKO_PUBLIC_KEY, true);
	CF(c, C_SignInit, s, NULL, key);
	CF(c, C_SignInit, s, &sig, BAD_HANDLE);
	CF(c, C_SignInit, s, &sig, cert);
	CF(c, C_SignInit, s, &bad, key);
	CF(c, C_SignInit, s, &sig, pub);
	CF(c, C_Sign, s, data, 32, out, &len);
	CF(c, C_SignUpdate, s, data, 32);
	CF(c, C_SignFinal, s, out, &len);
	CF(c, C_VerifyInit, s, NULL, pub);
	CF(c, C_VerifyInit, s, &sig, BAD_HANDLE);
	CF(c, C_Verify, s, data, 32, out, 256);
	CF(c, C_VerifyUpdate, s, data, 32);
	CF(c, C_VerifyFinal, s, out, 256);
	CF(c, C_EncryptInit, s, NULL, pub);
	CF(c, C_Encrypt, s, data, 32, out, &len);
	CF(c, C_EncryptUpdate, s, data, 32, out, &len);
	CF(c, C_EncryptFinal, s, out, &len);
	CF(c, C_DecryptInit, s, NULL, key);
	CF(c, C_Decrypt, s, data, 32, out, &len);
	CF(c, C_DecryptUpdate, s, data, 32, out, &len);
	CF(c, C_DecryptFinal, s, out, &len);
	CF(c, C_DigestInit, s, NULL);
	CF(c, C_Digest, s, data, 32, out, &len);
	CF(c, C_DigestUpdate, s, data, 32);
	CF(c, C_DigestKey, s, key);
	CF(c, C_DigestFinal, s, out, &len);
	CF(c, C_SignRecoverInit, s, NULL, key);
	CF(c, C_SignRecover, s, data, 32, out, &len);
	CF(c, C_VerifyRecoverInit, s, NULL, pub);
	CF(c, C_VerifyRecover, s, out, 256, data, &len);
	CF(c, C_DigestEncryptUpdate, s, data, 32, out, &len);
	CF(c, C_DecryptDigestUpdate, s, data, 32, out, &len);
	CF(c, C_SignEncryptUpdate, s, data, 32, out, &len);
	CF(c, C_DecryptVerifyUpdate, s, data, 32, out, &len);
	/* Inside a running operation: bad buffers, a second init. */
	if (CF(c, C_SignInit, s, &sig, key) == CKR_OK) {
		CF(c, C_SignInit, s, &sig, key);
		CF(c, C_Sign, s, NULL, 32, out, &len);
		CF(c, C_Sign, s, data, 32, out, NULL);
		len = sizeof(out);
		if (CF(c, C_Sign, s, data, 32, out, &len) == CKR_OK)
			cf_out_len(c, len);
	}
	if (CF(c, C_DigestInit, s, &sha) == CKR_OK) {
		CF(c, C_DigestInit, s, &sha);
		CF(c, C_DigestUpdate, s, NULL, 5);
		CF(c, C_DigestFinal, s, out, NULL);
		len = sizeof(out);
		if (CF(c, C_DigestFinal, s, out, &len) == CKR_OK)
			cf_out_bytes(c, out, len);
	}
	CF(c, C_DigestInit, s, &bad);
	CF(c, C_SeedRandom, s, NULL, 4);
	CF(c, C_SeedRandom, s, data, 4);
	CF(c, C_GenerateRandom, s, NULL, 4);
	CF(c, C_GenerateRandom, s, out, 0);
	if (CF(c, C_GenerateRandom, s, out, 17) == CKR_OK)
		cf_out_len(c, 17);
	CF(c, C_GenerateRandom, BAD_HANDLE, out, 4);
	CF(c, C_GetFunctionStatus, s);
	CF(c, C_CancelFunction, s);
	CF(c, C_GetOperationState, s, NULL, &len);
	CF(c, C_SetOperationState, s, out, 4, 0, 0);
}

static void key_args(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, true);
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 }, wrap = { CKM_AES_KEY_WRAP, NULL, 0 };
	CK_ULONG len = 32;
	CK_ATTRIBUTE vl = { CKA_VALUE_LEN, &len, sizeof(len) };
	CK_OBJECT_HANDLE h, key;
	unsigned char out[512];
	CK_ULONG olen = sizeof(out);
	cf_login(c, s, c->tok_a);
	key = cf_key(c, s, c->tok_a, CKO_PRIVATE_KEY, false);
	CF(c, C_GenerateKey, s, NULL, &vl, 1, &h);
	CF(c, C_GenerateKey, s, &gen, NULL, 1, &h);
	CF(c, C_GenerateKey, s, &gen, &vl, 1, NULL);
	CF(c, C_WrapKey, s, NULL, key, key, out, &olen);
	CF(c, C_WrapKey, s, &wrap, key, key, out, NULL);
	CF(c, C_UnwrapKey, s, NULL, key, out, 16, &vl, 1, &h);
	CF(c, C_UnwrapKey, s, &wrap, key, NULL, 16, &vl, 1, &h);
	CF(c, C_UnwrapKey, s, &wrap, key, out, 16, &vl, 1, NULL);
	CF(c, C_DeriveKey, s, NULL, key, &vl, 1, &h);
	CF(c, C_DeriveKey, s, &gen, key, NULL, 1, &h);
}

/* C_Initialize and C_Finalize: states and arguments. The runner
 * initialises again after the case. */
static void init_states(struct cf_ctx *c)
{
	CK_C_INITIALIZE_ARGS reserved = { .flags = CKF_OS_LOCKING_OK, .pReserved = (void *)1 };
	CK_C_INITIALIZE_ARGS os = { .flags = CKF_OS_LOCKING_OK };
	CK_INFO info;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_ULONG n = 0;
	CF(c, C_Initialize, &os);
	CF(c, C_Finalize, (void *)1);
	CF(c, C_Finalize, NULL);
	CF(c, C_GetInfo, &info);
	CF(c, C_GetSlotList, CK_TRUE, NULL, &n);
	CF(c, C_OpenSession, c->slot_a, CKF_SERIAL_SESSION, NULL, NULL, &s);
	CF(c, C_Finalize, NULL);
	CF(c, C_Initialize, &reserved);
	CF(c, C_Initialize, &os);
	s = cf_open(c, c->slot_a, false);
	CF(c, C_Finalize, NULL);
	CF(c, C_CloseSession, s);
}

const struct cf_case cf_cases_args[] = {
	{ "args/general", general },
	{ "args/sessions", sessions },
	{ "args/login", login_args },
	{ "args/objects", object_args },
	{ "args/crypto", crypto_args },
	{ "args/keys", key_args },
	{ "args/initialize", init_states },
	{ NULL, NULL },
};
