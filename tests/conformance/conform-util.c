/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers the cases share: sessions, login, finding the token's keys. */
#include "config.h"

#include <string.h>

#include "conform.h"

CK_SESSION_HANDLE cf_open(struct cf_ctx *c, CK_SLOT_ID slot, bool rw)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	if (CF(c, C_OpenSession, slot, flags, NULL, NULL, &s) != CKR_OK)
		return CK_INVALID_HANDLE;
	return s;
}

CK_RV cf_login(struct cf_ctx *c, CK_SESSION_HANDLE s, const struct ukt_token *t)
{
	return CF(c, C_Login, s, CKU_USER, (CK_UTF8CHAR_PTR)t->user_pin, strlen(t->user_pin));
}

void cf_reset(struct cf_ctx *c)
{
	c->f->C_CloseAllSessions(c->slot_a);
	c->f->C_CloseAllSessions(c->slot_b);
}

static CK_OBJECT_HANDLE find_first(struct cf_ctx *c, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG got = 0;
	if (c->f->C_FindObjectsInit(s, t, n) != CKR_OK)
		return CK_INVALID_HANDLE;
	if (c->f->C_FindObjects(s, &h, 1, &got) != CKR_OK || got != 1)
		h = CK_INVALID_HANDLE;
	c->f->C_FindObjectsFinal(s);
	return h;
}

CK_OBJECT_HANDLE cf_find(struct cf_ctx *c, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label)
{
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_LABEL, (void *)label, strlen(label) } };
	return find_first(c, s, t, 2);
}

CK_OBJECT_HANDLE cf_key(struct cf_ctx *c, CK_SESSION_HANDLE s, const struct ukt_token *t, CK_OBJECT_CLASS cls,
			bool sign)
{
	CK_ATTRIBUTE a[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)(sign ? t->sign_id : t->enc_id), sign ? t->sign_id_len : t->enc_id_len },
	};
	return find_first(c, s, a, 2);
}

void cf_search(struct cf_ctx *c, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_OBJECT_HANDLE h[64];
	CK_ULONG got = 0;
	if (CF(c, C_FindObjectsInit, s, t, n) != CKR_OK)
		return;
	if (CF(c, C_FindObjects, s, h, 64, &got) == CKR_OK)
		cf_out_find(c, s, h, got);
	CF(c, C_FindObjectsFinal, s);
}

void cf_cleanup_label(struct cf_ctx *c, CK_SLOT_ID slot, const struct ukt_token *t, const char *label)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_ATTRIBUTE a = { CKA_LABEL, (void *)label, strlen(label) };
	CK_OBJECT_HANDLE h[32];
	CK_ULONG got = 0;
	if (c->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK)
		return;
	c->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)t->user_pin, strlen(t->user_pin));
	if (c->f->C_FindObjectsInit(s, &a, 1) == CKR_OK) {
		c->f->C_FindObjects(s, h, 32, &got);
		c->f->C_FindObjectsFinal(s);
	}
	for (CK_ULONG i = 0; i < got; i++)
		c->f->C_DestroyObject(s, h[i]);
	c->f->C_CloseSession(s);
}
