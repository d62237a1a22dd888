/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Random call sequences (the property: whatever the order, the module
 * answers as the backend does, and never crashes). Every choice comes from
 * the seed alone, never from a target's answers, so both targets make the
 * same calls; handles are kept by position (the n-th session opened, the
 * n-th object made or found), stale ones included. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conform.h"
#include "ukey-pkcs11.h"

#define NSESS 4
#define NOBJ 8
#define NLABELS 3

struct rnd {
	struct cf_ctx *c;
	uint64_t x;
	CK_SESSION_HANDLE s[NSESS];
	CK_OBJECT_HANDLE o[NOBJ];
	CK_BYTE sig[512];
	CK_ULONG siglen;
};

static const char *const labels[NLABELS] = { "cf-rnd-a", "cf-rnd-b", "cf-rnd-c" };

static uint64_t next(struct rnd *r)
{
	/* xorshift64*: small, fast and the same everywhere. */
	r->x ^= r->x >> 12;
	r->x ^= r->x << 25;
	r->x ^= r->x >> 27;
	return r->x * 0x2545f4914f6cdd1dULL;
}

static unsigned pick(struct rnd *r, unsigned n)
{
	return (unsigned)(next(r) % n);
}

static CK_SESSION_HANDLE sess(struct rnd *r)
{
	return r->s[pick(r, NSESS)];
}

static void keep_obj(struct rnd *r, CK_OBJECT_HANDLE h)
{
	r->o[pick(r, NOBJ)] = h;
}

static void act_create(struct rnd *r)
{
	static CK_OBJECT_CLASS data = CKO_DATA, cert = CKO_CERTIFICATE;
	CK_BBOOL tok = pick(r, 4) == 0, priv = pick(r, 3) == 0, tok2 = !tok;
	const char *label = labels[pick(r, NLABELS)];
	CK_ATTRIBUTE t[6] = {
		{ CKA_CLASS, &data, sizeof(data) }, { CKA_TOKEN, &tok, 1 }, { CKA_PRIVATE, &priv, 1 },
		{ CKA_LABEL, (void *)label, strlen(label) }, { CKA_VALUE, "value", 5 },
	};
	CK_ULONG n = 5;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_SESSION_HANDLE s = sess(r);
	switch (pick(r, 6)) {
	case 0: t[n++] = (CK_ATTRIBUTE){ CKA_TOKEN, &tok2, 1 }; break;         /* conflicting duplicate */
	case 1: t[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &cert, sizeof(cert) }; break;
	case 2: t[3].pValue = r->c->skf ? NULL : t[3].pValue; break;           /* NULL value, length 8 */
	case 3: t[n++] = t[3]; break;                                         /* same value twice */
	default: break;
	}
	if (CF(r->c, C_CreateObject, s, t, n, &h) == CKR_OK) {
		cf_out_object(r->c, s, h);
		keep_obj(r, h);
	}
}

static void act_find(struct rnd *r)
{
	static CK_OBJECT_CLASS data = CKO_DATA, priv = CKO_PRIVATE_KEY;
	CK_SESSION_HANDLE s = sess(r);
	const char *label = labels[pick(r, NLABELS)];
	CK_ATTRIBUTE t[2] = { { CKA_LABEL, (void *)label, strlen(label) }, { CKA_CLASS, &data, sizeof(data) } };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG got = 0, max = pick(r, 4);
	switch (pick(r, 5)) {
	case 0: CF(r->c, C_FindObjectsInit, s, t, 1 + pick(r, 2)); break;
	case 1: t[0] = t[1], t[0].pValue = &priv; CF(r->c, C_FindObjectsInit, s, t, 1); break;
	case 2:
		if (CF(r->c, C_FindObjects, s, h, max, &got) == CKR_OK) {
			cf_out_find(r->c, s, h, got);
			if (got)
				keep_obj(r, h[pick(r, (unsigned)got)]);
		}
		break;
	case 3: CF(r->c, C_FindObjectsFinal, s); break;
	default:
		/* A NULL value with a length: SoftHSM crashes on it (the
		 * templates/ cases show it once), which would end every
		 * comparison after it; only the twinless skf run sends it here. */
		if (r->c->skf)
			t[0].pValue = NULL;
		CF(r->c, C_FindObjectsInit, s, t, 1);
		break;
	}
}

static void act_attr(struct rnd *r)
{
	static const CK_ATTRIBUTE_TYPE types[] = { CKA_LABEL, CKA_VALUE, CKA_PRIVATE, CKA_CLASS, CKA_TOKEN,
						   CKA_MODIFIABLE, CKA_ID };
	CK_SESSION_HANDLE s = sess(r);
	CK_OBJECT_HANDLE h = r->o[pick(r, NOBJ)];
	CK_BYTE v[64];
	CK_BBOOL b = pick(r, 2) == 0;
	const char *label = labels[pick(r, NLABELS)];
	CK_ATTRIBUTE a = { types[pick(r, sizeof(types) / sizeof(types[0]))], v, pick(r, 3) ? sizeof(v) : 2 };
	if (pick(r, 2)) {
		if (pick(r, 4) == 0)
			a.pValue = NULL;
		CK_RV rv = CF(r->c, C_GetAttributeValue, s, h, &a, 1);
		if (rv == CKR_OK && a.pValue && a.ulValueLen <= sizeof(v))
			cf_out_bytes(r->c, v, a.ulValueLen);
		else if (rv == CKR_OK || rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
			 rv == CKR_BUFFER_TOO_SMALL)
			cf_out_len(r->c, a.ulValueLen);
		return;
	}
	if (a.type == CKA_LABEL || a.type == CKA_VALUE || a.type == CKA_ID)
		a.pValue = (void *)label, a.ulValueLen = strlen(label);
	else if (a.type == CKA_CLASS)
		a.ulValueLen = sizeof(CK_OBJECT_CLASS), memset(v, 0, sizeof(v));
	else
		a.pValue = &b, a.ulValueLen = 1;
	CF(r->c, C_SetAttributeValue, s, h, &a, 1);
}

static void act_sign(struct rnd *r)
{
	struct cf_ctx *c = r->c;
	CK_SESSION_HANDLE s = sess(r);
	CK_MECHANISM m = { c->skf ? CKM_SM3_SM2 : CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE data[24] = { 1, 2, 3 };
	CK_ULONG len;
	switch (pick(r, 6)) {
	case 0: keep_obj(r, cf_key(c, s, c->tok_a, CKO_PRIVATE_KEY, true)); break;
	case 1: CF(c, C_SignInit, s, &m, r->o[pick(r, NOBJ)]); break;
	case 2:
		len = pick(r, 3) == 0 ? 10 : sizeof(r->sig);
		if (CF(c, C_Sign, s, data, sizeof(data), pick(r, 3) ? r->sig : NULL, &len) == CKR_OK)
			cf_out_len(c, len), r->siglen = len;
		break;
	case 3: CF(c, C_SignUpdate, s, pick(r, 4) ? data : NULL, sizeof(data)); break;
	case 4:
		len = pick(r, 3) == 0 ? 10 : sizeof(r->sig);
		if (CF(c, C_SignFinal, s, pick(r, 3) ? r->sig : NULL, &len) == CKR_OK)
			cf_out_len(c, len), r->siglen = len;
		break;
	default:
		if (CF(c, C_VerifyInit, s, &m, r->o[pick(r, NOBJ)]) == CKR_OK)
			CF(c, C_Verify, s, data, sizeof(data), r->sig, r->siglen);
		break;
	}
}

static void act_digest(struct rnd *r)
{
	CK_SESSION_HANDLE s = sess(r);
	CK_MECHANISM m = { pick(r, 2) ? CKM_SHA256 : CKM_SHA_1, NULL, 0 };
	CK_BYTE data[16] = { 4 }, md[64];
	CK_ULONG len = pick(r, 3) == 0 ? 8 : sizeof(md);
	switch (pick(r, 4)) {
	case 0: CF(r->c, C_DigestInit, s, &m); break;
	case 1: CF(r->c, C_DigestUpdate, s, pick(r, 4) ? data : NULL, sizeof(data)); break;
	case 2:
		if (CF(r->c, C_Digest, s, data, sizeof(data), pick(r, 3) ? md : NULL, &len) == CKR_OK)
			cf_out_len(r->c, len);
		break;
	default:
		if (CF(r->c, C_DigestFinal, s, pick(r, 3) ? md : NULL, &len) == CKR_OK)
			cf_out_len(r->c, len);
		break;
	}
}

static void act_session(struct rnd *r)
{
	struct cf_ctx *c = r->c;
	unsigned k = pick(r, NSESS);
	CK_SESSION_INFO si;
	CK_OBJECT_HANDLE h = r->o[pick(r, NOBJ)];
	switch (pick(r, 7)) {
	case 0:
	case 1: r->s[k] = cf_open(c, c->slot_a, pick(r, 2)); break;
	case 2: CF(c, C_CloseSession, r->s[k]); break;
	case 3: cf_login(c, r->s[k], c->tok_a); break;
	case 4: CF(c, C_Logout, r->s[k]); break;
	case 5:
		if (CF(c, C_GetSessionInfo, r->s[k], &si) == CKR_OK)
			cf_out(c, "state=%lu", (unsigned long)si.state);
		break;
	default: CF(c, C_DestroyObject, r->s[k], h); break;
	}
}

void cf_random_case(struct cf_ctx *c, uint64_t seed, unsigned steps)
{
	struct rnd r = { .c = c, .x = seed * 2654435761ULL + 0x9e3779b97f4a7c15ULL };
	for (unsigned i = 0; i < steps; i++) {
		switch (pick(&r, 6)) {
		case 0: act_session(&r); break;
		case 1: act_create(&r); break;
		case 2: act_find(&r); break;
		case 3: act_attr(&r); break;
		case 4: act_sign(&r); break;
		default: act_digest(&r); break;
		}
	}
	cf_reset(c);
	for (unsigned i = 0; i < NLABELS; i++)
		cf_cleanup_label(c, c->slot_a, c->tok_a, labels[i]);
}
