/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Login and logout interleaved with sessions, searches and operations. */
#include "config.h"

#include <string.h>

#include "conform.h"
#include "ukey-pkcs11.h"

static CK_OBJECT_CLASS cls_priv = CKO_PRIVATE_KEY;

static void state(struct cf_ctx *c, CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;
	if (CF(c, C_GetSessionInfo, s, &si) == CKR_OK)
		cf_out(c, "state=%lu", (unsigned long)si.state);
}

static void basic(struct cf_ctx *c)
{
	CK_SESSION_HANDLE ro = cf_open(c, c->slot_a, false), rw = cf_open(c, c->slot_a, true);
	state(c, ro);
	state(c, rw);
	cf_login(c, ro, c->tok_a);
	state(c, ro);
	state(c, rw);
	CK_SESSION_HANDLE late = cf_open(c, c->slot_a, false);
	state(c, late);
	cf_login(c, rw, c->tok_a);
	CF(c, C_Logout, late);
	state(c, ro);
	state(c, rw);
	CF(c, C_Logout, ro);
}

static void wrong_pin(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CF(c, C_Login, s, CKU_USER, (CK_UTF8CHAR_PTR) "99999999", 8);
	state(c, s);
	cf_login(c, s, c->tok_a);
	state(c, s);
}

static void so_sessions(struct cf_ctx *c)
{
	CK_SESSION_HANDLE ro = cf_open(c, c->slot_a, false), rw = cf_open(c, c->slot_a, true);
	const char *so = c->tok_a->so_pin;
	CK_SESSION_HANDLE s2 = CK_INVALID_HANDLE;
	CF(c, C_Login, rw, CKU_SO, (CK_UTF8CHAR_PTR)so, strlen(so));
	CF(c, C_CloseSession, ro);
	CF(c, C_Login, rw, CKU_SO, (CK_UTF8CHAR_PTR)so, strlen(so));
	state(c, rw);
	CF(c, C_OpenSession, c->slot_a, CKF_SERIAL_SESSION, NULL, NULL, &s2);
	cf_login(c, rw, c->tok_a);
	CF(c, C_Logout, rw);
	state(c, rw);
}

static void close_logs_out(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	cf_login(c, s, c->tok_a);
	CF(c, C_CloseSession, s);
	s = cf_open(c, c->slot_a, false);
	state(c, s);
	cf_login(c, s, c->tok_a);
	CF(c, C_CloseAllSessions, c->slot_a);
	s = cf_open(c, c->slot_a, false);
	state(c, s);
}

/* A search started while logged in must not hand out private handles
 * after C_Logout (they are invalid then, and their count leaks). */
static void find_across_logout(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false), other = cf_open(c, c->slot_a, false);
	CK_ATTRIBUTE t = { CKA_CLASS, &cls_priv, sizeof(cls_priv) };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;
	cf_login(c, s, c->tok_a);
	CF(c, C_FindObjectsInit, s, &t, 1);
	CF(c, C_FindObjectsInit, other, NULL, 0);
	if (CF(c, C_FindObjects, s, h, 1, &n) == CKR_OK)
		cf_out(c, "n=%lu", (unsigned long)n);
	CF(c, C_Logout, s);
	if (CF(c, C_FindObjects, s, h, 8, &n) == CKR_OK)
		cf_out_find(c, s, h, n);
	CF(c, C_FindObjectsFinal, s);
	CF(c, C_FindObjectsFinal, other);
}

/* Handles of private objects die at logout, also across a new login. */
static void handle_after_relogin(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	cf_login(c, s, c->tok_a);
	CK_OBJECT_HANDLE k = cf_key(c, s, c->tok_a, CKO_PRIVATE_KEY, true);
	cf_out_object(c, s, k);
	CF(c, C_Logout, s);
	cf_out_object(c, s, k);
	cf_login(c, s, c->tok_a);
	cf_out_object(c, s, k);
}

static void operation_across_logout(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_MECHANISM m = { c->skf ? CKM_SM3_SM2 : CKM_SHA256_RSA_PKCS, NULL, 0 };
	unsigned char data[16] = { 7 }, sig[512];
	CK_ULONG len = sizeof(sig);
	cf_login(c, s, c->tok_a);
	CK_OBJECT_HANDLE k = cf_key(c, s, c->tok_a, CKO_PRIVATE_KEY, true);
	CF(c, C_SignInit, s, &m, k);
	CF(c, C_Logout, s);
	if (CF(c, C_Sign, s, data, sizeof(data), sig, &len) == CKR_OK)
		cf_out_len(c, len);
	CF(c, C_SignInit, s, &m, k);
}

/* Several sessions, logins and logouts in one order on both targets. */
static void interleaved(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s[4];
	CK_ATTRIBUTE t = { CKA_CLASS, &cls_priv, sizeof(cls_priv) };
	for (int i = 0; i < 4; i++)
		s[i] = cf_open(c, c->slot_a, i & 1);
	for (int round = 0; round < 3; round++) {
		cf_login(c, s[round], c->tok_a);
		cf_search(c, s[3 - round], &t, 1);
		CF(c, C_CloseSession, s[round]);
		s[round] = cf_open(c, c->slot_a, round & 1);
		state(c, s[round]);
		CF(c, C_Logout, s[3]);
		cf_search(c, s[round], &t, 1);
	}
}

const struct cf_case cf_cases_login[] = {
	{ "login/basic", basic },
	{ "login/wrong-pin", wrong_pin },
	{ "login/so-and-read-only-sessions", so_sessions },
	{ "login/closing-the-last-session-logs-out", close_logs_out },
	{ "login/find-across-logout", find_across_logout },
	{ "login/private-handle-after-relogin", handle_after_relogin },
	{ "login/operation-across-logout", operation_across_logout },
	{ "login/interleaved", interleaved },
	{ NULL, NULL },
};
