/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Template shapes on every path that takes a template: NULL values with and
 * without a length, wrong lengths, unknown types, duplicates with the same
 * and with different values, empty templates. */
#include "config.h"

#include <string.h>

#include "conform.h"
#include "ukey-pkcs11.h"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS cls_data = CKO_DATA, cls_cert = CKO_CERTIFICATE;

#define ATTR(type, v) { type, (void *)(v), sizeof(*(v)) }
#define STR(type, s) { type, (void *)(s), sizeof(s) - 1 }
#define N(t) (sizeof(t) / sizeof((t)[0]))

/* Creates from t in a session of the given kind, records what was made,
 * and destroys it. */
static void try_create(struct cf_ctx *c, bool rw, bool login, CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, rw);
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	unsigned char v[64];
	CK_ATTRIBUTE lab = { CKA_LABEL, v, sizeof(v) };
	if (login)
		cf_login(c, s, c->tok_a);
	if (CF(c, C_CreateObject, s, t, n, &h) != CKR_OK)
		return;
	cf_out_object(c, s, h);
	if (CF(c, C_GetAttributeValue, s, h, &lab, 1) == CKR_OK)
		cf_out_bytes(c, v, lab.ulValueLen);
	CF(c, C_DestroyObject, s, h);
}

static void create_null_value(struct cf_ctx *c)
{
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no),
			     { CKA_LABEL, NULL, 5 } };
	try_create(c, false, false, t, N(t));
	t[1].pValue = &yes;
	try_create(c, true, true, t, N(t));
	CK_ATTRIBUTE cls[] = { { CKA_CLASS, NULL, sizeof(CK_OBJECT_CLASS) }, ATTR(CKA_TOKEN, &no) };
	try_create(c, false, false, cls, N(cls));
	CK_ATTRIBUTE tok[] = { ATTR(CKA_CLASS, &cls_data), { CKA_TOKEN, NULL, 1 } };
	try_create(c, false, false, tok, N(tok));
	CK_ATTRIBUTE val[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), { CKA_VALUE, NULL, 4096 } };
	try_create(c, false, false, val, N(val));
}

static void create_null_value_zero_len(struct cf_ctx *c)
{
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no),
			     { CKA_LABEL, NULL, 0 } };
	try_create(c, false, false, t, N(t));
}

/* No CKA_PRIVATE: the default is the token's to choose. */
static void create_private_default(struct cf_ctx *c)
{
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), STR(CKA_LABEL, "cf-default") };
	try_create(c, false, false, t, N(t));
	try_create(c, false, true, t, N(t));
}

static void create_shapes(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no) };
	CF(c, C_CreateObject, s, NULL, 2, &h);
	CF(c, C_CreateObject, s, NULL, 0, &h);
	CF(c, C_CreateObject, s, t, 2, NULL);
	CF(c, C_CreateObject, s, t + 1, 1, &h);
	CK_ATTRIBUTE short_cls[] = { { CKA_CLASS, &cls_data, 2 }, ATTR(CKA_TOKEN, &no) };
	try_create(c, false, false, short_cls, N(short_cls));
	CK_ATTRIBUTE long_bool[] = { ATTR(CKA_CLASS, &cls_data), { CKA_TOKEN, &cls_data, sizeof(cls_data) } };
	try_create(c, false, false, long_bool, N(long_bool));
	CK_ATTRIBUTE unknown[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), { 0x7ffffff0UL, &no, 1 } };
	try_create(c, false, false, unknown, N(unknown));
	CK_OBJECT_CLASS bogus = 0x7ffffff1UL;
	CK_ATTRIBUTE bad_cls[] = { ATTR(CKA_CLASS, &bogus), ATTR(CKA_TOKEN, &no) };
	try_create(c, false, false, bad_cls, N(bad_cls));
	CK_ATTRIBUTE cert_incomplete[] = { ATTR(CKA_CLASS, &cls_cert), ATTR(CKA_TOKEN, &no) };
	try_create(c, false, false, cert_incomplete, N(cert_incomplete));
}

/* Duplicates: the same value twice is one attribute; different values
 * decide nothing by their order. */
static void create_duplicates(struct cf_ctx *c)
{
	CK_ATTRIBUTE same[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no),
				STR(CKA_LABEL, "cf-dup"), STR(CKA_LABEL, "cf-dup") };
	try_create(c, false, false, same, N(same));
	CK_ATTRIBUTE label[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no),
				 STR(CKA_LABEL, "cf-dup-1"), STR(CKA_LABEL, "cf-dup-2") };
	try_create(c, false, false, label, N(label));
}

static void create_dup_private(struct cf_ctx *c)
{
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no),
			     ATTR(CKA_PRIVATE, &yes), STR(CKA_LABEL, "cf-dup-priv") };
	try_create(c, false, false, t, N(t));
	t[2].pValue = &yes;
	t[3].pValue = &no;
	try_create(c, false, false, t, N(t));
}

static void create_dup_token(struct cf_ctx *c)
{
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, &no), ATTR(CKA_TOKEN, &yes),
			     STR(CKA_LABEL, "cf-dup-token") };
	try_create(c, false, true, t, N(t));
	cf_cleanup_label(c, c->slot_a, c->tok_a, "cf-dup-token");
}

static void create_dup_class(struct cf_ctx *c)
{
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_CLASS, &cls_cert), ATTR(CKA_TOKEN, &no),
			     ATTR(CKA_PRIVATE, &no), STR(CKA_LABEL, "cf-dup-class") };
	try_create(c, false, false, t, N(t));
	t[0].pValue = &cls_cert;
	t[1].pValue = &cls_data;
	try_create(c, false, false, t, N(t));
}

static void find_shapes(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_ATTRIBUTE null_label = { CKA_LABEL, NULL, 5 };
	CK_ATTRIBUTE empty_label = { CKA_LABEL, NULL, 0 };
	CK_ATTRIBUTE dup_diff[] = { ATTR(CKA_CLASS, &cls_cert), ATTR(CKA_CLASS, &cls_data) };
	CK_ATTRIBUTE dup_same[] = { ATTR(CKA_CLASS, &cls_cert), ATTR(CKA_CLASS, &cls_cert) };
	CK_ATTRIBUTE unknown[] = { ATTR(CKA_CLASS, &cls_cert), { 0x7ffffff0UL, &yes, 1 } };
	CK_ATTRIBUTE short_cls = { CKA_CLASS, &cls_cert, 2 };
	CK_ATTRIBUTE null_cls = { CKA_CLASS, NULL, sizeof(CK_OBJECT_CLASS) };
	cf_search(c, s, &null_label, 1);
	cf_search(c, s, &null_cls, 1);
	cf_search(c, s, &empty_label, 1);
	cf_search(c, s, dup_diff, 2);
	cf_search(c, s, dup_same, 2);
	cf_search(c, s, unknown, 2);
	cf_search(c, s, &short_cls, 1);
	CF(c, C_FindObjectsInit, s, NULL, 1);
	CF(c, C_FindObjectsFinal, s);
}

static void set_shapes(struct cf_ctx *c, bool token)
{
	const char *label = token ? "cf-tset-token" : "cf-tset-session";
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, true);
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, token ? &yes : &no),
			     ATTR(CKA_PRIVATE, &no), { CKA_LABEL, (void *)label, strlen(label) } };
	CK_ATTRIBUTE null_label = { CKA_LABEL, NULL, 5 }, empty = { CKA_LABEL, NULL, 0 };
	CK_ATTRIBUTE dup[] = { STR(CKA_LABEL, "cf-tset-1"), STR(CKA_LABEL, "cf-tset-2") };
	CK_ATTRIBUTE short_bool = { CKA_PRIVATE, &no, 0 };
	unsigned char v[64];
	CK_ATTRIBUTE get = { CKA_LABEL, v, sizeof(v) };
	if (CF(c, C_CreateObject, s, t, N(t), &h) != CKR_OK)
		return;
	CF(c, C_SetAttributeValue, s, h, &null_label, 1);
	CF(c, C_SetAttributeValue, s, h, NULL, 1);
	CF(c, C_SetAttributeValue, s, h, NULL, 0);
	CF(c, C_SetAttributeValue, s, h, dup, 2);
	if (CF(c, C_GetAttributeValue, s, h, &get, 1) == CKR_OK)
		cf_out_bytes(c, v, get.ulValueLen);
	CF(c, C_SetAttributeValue, s, h, &short_bool, 1);
	CF(c, C_SetAttributeValue, s, h, &empty, 1);
	get.ulValueLen = sizeof(v);
	if (CF(c, C_GetAttributeValue, s, h, &get, 1) == CKR_OK)
		cf_out_bytes(c, v, get.ulValueLen);
	CF(c, C_DestroyObject, s, h);
	cf_cleanup_label(c, c->slot_a, c->tok_a, label);
	cf_cleanup_label(c, c->slot_a, c->tok_a, "cf-tset-2");
	cf_cleanup_label(c, c->slot_a, c->tok_a, "cf-tset-1");
}

static void set_shapes_session(struct cf_ctx *c) { set_shapes(c, false); }
static void set_shapes_token(struct cf_ctx *c) { set_shapes(c, true); }

static void get_shapes(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_OBJECT_HANDLE cert = cf_key(c, s, c->tok_a, CKO_CERTIFICATE, true);
	CK_ATTRIBUTE sizes[] = { { CKA_LABEL, NULL, 0 }, { CKA_VALUE, NULL, 0 }, { CKA_ID, NULL, 0 },
				 { CKA_MODULUS, NULL, 0 } };
	CK_ATTRIBUTE empty = { CKA_LABEL, NULL, 0 };
	CF(c, C_GetAttributeValue, s, cert, NULL, 1);
	CF(c, C_GetAttributeValue, s, cert, NULL, 0);
	CF(c, C_GetAttributeValue, s, cert, sizes, N(sizes));
	for (size_t i = 0; i < N(sizes); i++)
		cf_out_len(c, sizes[i].ulValueLen);
	CF(c, C_GetAttributeValue, s, cert, &empty, 0);
}

static void keypair_shapes(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->skf ? c->slot_a : c->slot_b, true);
	CK_MECHANISM m = { c->skf ? CKM_SM2_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_ATTRIBUTE pub[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) }, ATTR(CKA_TOKEN, &no),
			       { CKA_LABEL, NULL, 3 } };
	CK_ATTRIBUTE priv[] = { ATTR(CKA_TOKEN, &no), ATTR(CKA_TOKEN, &yes), STR(CKA_LABEL, "cf-kpshape") };
	CK_OBJECT_HANDLE hp = CK_INVALID_HANDLE, hk = CK_INVALID_HANDLE;
	cf_login(c, s, c->skf ? c->tok_a : c->tok_b);
	CF(c, C_GenerateKeyPair, s, &m, pub, 3, priv, 1, &hp, &hk);
	CF(c, C_GenerateKeyPair, s, &m, NULL, 2, priv, 1, &hp, &hk);
	CF(c, C_GenerateKeyPair, s, &m, pub, 2, NULL, 1, &hp, &hk);
	CF(c, C_GenerateKeyPair, s, &m, pub, 2, priv, 1, NULL, &hk);
	CF(c, C_GenerateKeyPair, s, &m, pub, 2, priv, 1, &hp, NULL);
	CF(c, C_GenerateKeyPair, s, NULL, pub, 2, priv, 1, &hp, &hk);
	if (CF(c, C_GenerateKeyPair, s, &m, pub, 2, priv, 3, &hp, &hk) == CKR_OK) {
		cf_out_object(c, s, hp);
		cf_out_object(c, s, hk);
	}
	cf_cleanup_label(c, c->skf ? c->slot_a : c->slot_b, c->skf ? c->tok_a : c->tok_b, "cf-kpshape");
}

const struct cf_case cf_cases_templates[] = {
	{ "templates/create-null-value", create_null_value },
	{ "templates/create-null-value-zero-length", create_null_value_zero_len },
	{ "templates/create-private-default", create_private_default },
	{ "templates/create-shapes", create_shapes },
	{ "templates/create-duplicates", create_duplicates },
	{ "templates/create-duplicate-private", create_dup_private },
	{ "templates/create-duplicate-token", create_dup_token },
	{ "templates/create-duplicate-class", create_dup_class },
	{ "templates/find-shapes", find_shapes },
	{ "templates/set-shapes-session", set_shapes_session },
	{ "templates/set-shapes-token", set_shapes_token },
	{ "templates/get-shapes", get_shapes },
	{ "templates/keypair-shapes", keypair_shapes },
	{ NULL, NULL },
};
