/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Objects: session and token objects in read-only and read-write sessions,
 * with and without login; reading, changing and destroying them; key-pair
 * generation as session and token objects. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "ukey-pkcs11.h"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS cls_data = CKO_DATA, cls_cert = CKO_CERTIFICATE, cls_priv = CKO_PRIVATE_KEY,
		       cls_pub = CKO_PUBLIC_KEY;

#define ATTR(type, v) { type, (void *)(v), sizeof(*(v)) }
#define STR(type, s) { type, (void *)(s), sizeof(s) - 1 }

/* A data object labelled `label` (token/private as given), recorded. */
static CK_OBJECT_HANDLE make_data(struct cf_ctx *c, CK_SESSION_HANDLE s, const char *label, bool token, bool priv)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, token ? &yes : &no), ATTR(CKA_PRIVATE, priv ? &yes : &no),
		{ CKA_LABEL, (void *)label, strlen(label) }, STR(CKA_APPLICATION, "conformance"),
		STR(CKA_VALUE, "some data"),
	};
	if (CF(c, C_CreateObject, s, t, 6, &h) == CKR_OK)
		cf_out_object(c, s, h);
	return h;
}

static void read_back(struct cf_ctx *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	unsigned char v[256];
	CK_ATTRIBUTE a = { type, v, sizeof(v) };
	if (CF(c, C_GetAttributeValue, s, h, &a, 1) == CKR_OK)
		cf_out_bytes(c, v, a.ulValueLen);
	else
		cf_out_len(c, a.ulValueLen);
}

static void search_label(struct cf_ctx *c, CK_SESSION_HANDLE s, const char *label)
{
	CK_ATTRIBUTE t = { CKA_LABEL, (void *)label, strlen(label) };
	cf_search(c, s, &t, 1);
}

static void find_classes(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_ATTRIBUTE cert = ATTR(CKA_CLASS, &cls_cert), priv = ATTR(CKA_CLASS, &cls_priv);
	CK_ATTRIBUTE pub[] = { ATTR(CKA_CLASS, &cls_pub), ATTR(CKA_TOKEN, &yes) };
	cf_search(c, s, &cert, 1);
	cf_search(c, s, &priv, 1);
	cf_search(c, s, pub, 2);
	cf_login(c, s, c->tok_a);
	cf_search(c, s, &priv, 1);
	CF(c, C_Logout, s);
	cf_search(c, s, &priv, 1);
}

/* A session object in a read-only session is legal without login. */
static void data_session_ro(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_OBJECT_HANDLE h = make_data(c, s, "cf-data-ro", false, false);
	read_back(c, s, h, CKA_VALUE);
	read_back(c, s, h, CKA_MODIFIABLE);
	search_label(c, s, "cf-data-ro");
	CF(c, C_DestroyObject, s, h);
	search_label(c, s, "cf-data-ro");
	CF(c, C_DestroyObject, s, h);
}

static void data_token_ro(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	make_data(c, s, "cf-token-ro", true, false);
	cf_login(c, s, c->tok_a);
	make_data(c, s, "cf-token-ro", true, true);
	search_label(c, s, "cf-token-ro");
	cf_cleanup_label(c, c->slot_a, c->tok_a, "cf-token-ro");
}

static void data_token_rw_public(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, true);
	CK_OBJECT_HANDLE h = make_data(c, s, "cf-token-rw", true, false);
	search_label(c, s, "cf-token-rw");
	CF(c, C_DestroyObject, s, h);
	search_label(c, s, "cf-token-rw");
	cf_cleanup_label(c, c->slot_a, c->tok_a, "cf-token-rw");
}

static void data_private(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, true);
	make_data(c, s, "cf-private", false, true);
	make_data(c, s, "cf-private", true, true);
	cf_login(c, s, c->tok_a);
	CK_OBJECT_HANDLE hs = make_data(c, s, "cf-private", false, true);
	CK_OBJECT_HANDLE ht = make_data(c, s, "cf-private", true, true);
	search_label(c, s, "cf-private");
	CF(c, C_Logout, s);
	search_label(c, s, "cf-private");
	read_back(c, s, hs, CKA_LABEL);
	CF(c, C_DestroyObject, s, hs);
	CF(c, C_DestroyObject, s, ht);
	cf_login(c, s, c->tok_a);
	search_label(c, s, "cf-private");
	cf_cleanup_label(c, c->slot_a, c->tok_a, "cf-private");
}

/* A session object is seen by the application's other sessions and dies
 * with the session that made it. */
static void session_object_lifetime(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s1 = cf_open(c, c->slot_a, false), s2 = cf_open(c, c->slot_a, false);
	CK_OBJECT_HANDLE h = make_data(c, s1, "cf-life", false, false);
	search_label(c, s2, "cf-life");
	read_back(c, s2, h, CKA_VALUE);
	CF(c, C_CloseSession, s1);
	search_label(c, s2, "cf-life");
	read_back(c, s2, h, CKA_VALUE);
}

static void set_attributes(struct cf_ctx *c, bool token)
{
	const char *label = token ? "cf-set-token" : "cf-set-session";
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, true);
	cf_login(c, s, c->tok_a);
	CK_OBJECT_HANDLE h = make_data(c, s, label, token, false);
	CK_ATTRIBUTE lab = STR(CKA_LABEL, "cf-set-renamed"), cls = ATTR(CKA_CLASS, &cls_cert);
	CK_ATTRIBUTE tok = ATTR(CKA_TOKEN, token ? &no : &yes), priv = ATTR(CKA_PRIVATE, &yes);
	CK_ATTRIBUTE val = STR(CKA_VALUE, "other data"), app = STR(CKA_APPLICATION, "other app");
	CK_ATTRIBUTE mix[] = { STR(CKA_LABEL, "cf-set-mixed"), ATTR(CKA_CLASS, &cls_cert) };
	CF(c, C_SetAttributeValue, s, h, &lab, 1);
	read_back(c, s, h, CKA_LABEL);
	CF(c, C_SetAttributeValue, s, h, &cls, 1);
	read_back(c, s, h, CKA_CLASS);
	CF(c, C_SetAttributeValue, s, h, &tok, 1);
	read_back(c, s, h, CKA_TOKEN);
	CF(c, C_SetAttributeValue, s, h, &priv, 1);
	read_back(c, s, h, CKA_PRIVATE);
	CF(c, C_SetAttributeValue, s, h, &val, 1);
	read_back(c, s, h, CKA_VALUE);
	CF(c, C_SetAttributeValue, s, h, &app, 1);
	read_back(c, s, h, CKA_APPLICATION);
	/* A refused template changes nothing, not even its valid part. */
	CF(c, C_SetAttributeValue, s, h, mix, 2);
	read_back(c, s, h, CKA_LABEL);
	CF(c, C_DestroyObject, s, h);
	cf_cleanup_label(c, c->slot_a, c->tok_a, label);
	cf_cleanup_label(c, c->slot_a, c->tok_a, "cf-set-renamed");
	cf_cleanup_label(c, c->slot_a, c->tok_a, "cf-set-mixed");
}

static void set_session(struct cf_ctx *c) { set_attributes(c, false); }
static void set_token(struct cf_ctx *c) { set_attributes(c, true); }

/* CKA_MODIFIABLE = FALSE holds for session objects as for token objects. */
static void not_modifiable(struct cf_ctx *c, bool token)
{
	const char *label = token ? "cf-nomod-token" : "cf-nomod-session";
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, true);
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_data), ATTR(CKA_TOKEN, token ? &yes : &no),
			     ATTR(CKA_PRIVATE, &no), ATTR(CKA_MODIFIABLE, &no),
			     { CKA_LABEL, (void *)label, strlen(label) } };
	CK_ATTRIBUTE lab = STR(CKA_LABEL, "cf-nomod-renamed"), mod = ATTR(CKA_MODIFIABLE, &yes);
	cf_login(c, s, c->tok_a);
	if (CF(c, C_CreateObject, s, t, 5, &h) == CKR_OK)
		cf_out_object(c, s, h);
	read_back(c, s, h, CKA_MODIFIABLE);
	CF(c, C_SetAttributeValue, s, h, &lab, 1);
	CF(c, C_SetAttributeValue, s, h, &mod, 1);
	read_back(c, s, h, CKA_LABEL);
	CF(c, C_DestroyObject, s, h);
	cf_cleanup_label(c, c->slot_a, c->tok_a, label);
	cf_cleanup_label(c, c->slot_a, c->tok_a, "cf-nomod-renamed");
}

static void nomod_session(struct cf_ctx *c) { not_modifiable(c, false); }
static void nomod_token(struct cf_ctx *c) { not_modifiable(c, true); }

/* Latching attributes of a private key: CKA_SENSITIVE never goes back to
 * FALSE, CKA_EXTRACTABLE never to TRUE. */
static void latching(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, true);
	CK_ATTRIBUTE sens = ATTR(CKA_SENSITIVE, &no), extr = ATTR(CKA_EXTRACTABLE, &yes);
	CK_ATTRIBUTE sens_on = ATTR(CKA_SENSITIVE, &yes), extr_off = ATTR(CKA_EXTRACTABLE, &no);
	cf_login(c, s, c->tok_a);
	CK_OBJECT_HANDLE k = cf_key(c, s, c->tok_a, CKO_PRIVATE_KEY, false);
	read_back(c, s, k, CKA_SENSITIVE);
	read_back(c, s, k, CKA_EXTRACTABLE);
	CF(c, C_SetAttributeValue, s, k, &sens, 1);
	CF(c, C_SetAttributeValue, s, k, &extr, 1);
	CF(c, C_SetAttributeValue, s, k, &sens_on, 1);
	CF(c, C_SetAttributeValue, s, k, &extr_off, 1);
	read_back(c, s, k, CKA_SENSITIVE);
	read_back(c, s, k, CKA_EXTRACTABLE);
}

static void read_token_objects(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	cf_login(c, s, c->tok_a);
	CK_OBJECT_HANDLE priv = cf_key(c, s, c->tok_a, CKO_PRIVATE_KEY, true);
	CK_OBJECT_HANDLE pub = cf_key(c, s, c->tok_a, CKO_PUBLIC_KEY, true);
	unsigned char lab[64], id[64], small[2];
	CK_ATTRIBUTE mixed[] = { { CKA_LABEL, lab, sizeof(lab) }, { CKA_PRIVATE_EXPONENT, NULL, 0 },
				 { CKA_ID, id, sizeof(id) } };
	CK_ATTRIBUTE tiny = { CKA_LABEL, small, sizeof(small) };
	CK_ATTRIBUTE bogus = { 0x7ffffff0UL, NULL, 0 };
	CK_ULONG size = 0;
	cf_out_object(c, s, priv);
	read_back(c, s, priv, CKA_VALUE);
	read_back(c, s, priv, CKA_MODULUS);
	read_back(c, s, pub, CKA_MODULUS);
	read_back(c, s, pub, CKA_PRIVATE_EXPONENT);
	CF(c, C_GetAttributeValue, s, priv, mixed, 3);
	cf_out_len(c, mixed[0].ulValueLen);
	cf_out_len(c, mixed[1].ulValueLen);
	cf_out_len(c, mixed[2].ulValueLen);
	CF(c, C_GetAttributeValue, s, priv, &tiny, 1);
	cf_out_len(c, tiny.ulValueLen);
	CF(c, C_GetAttributeValue, s, priv, &bogus, 1);
	cf_out_len(c, bogus.ulValueLen);
	CF(c, C_GetObjectSize, s, pub, &size);
}

static void destroy_token_ro(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	cf_login(c, s, c->tok_a);
	CK_OBJECT_HANDLE pub = cf_key(c, s, c->tok_a, CKO_PUBLIC_KEY, true);
	CF(c, C_DestroyObject, s, pub);
	cf_out_object(c, s, pub);
}

/* Key pairs: session pairs in a read-only session (public ones without
 * login), token pairs in read-write sessions only. */
static void keypair(struct cf_ctx *c, const char *label, bool rw, bool login, bool token, bool priv)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_b, rw);
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_ATTRIBUTE pt[] = { ATTR(CKA_TOKEN, token ? &yes : &no), { CKA_LABEL, (void *)label, strlen(label) },
			      ATTR(CKA_VERIFY, &yes), { CKA_EC_PARAMS, (void *)p256, sizeof(p256) } };
	CK_ATTRIBUTE kt[] = { ATTR(CKA_TOKEN, token ? &yes : &no), ATTR(CKA_PRIVATE, priv ? &yes : &no),
			      { CKA_LABEL, (void *)label, strlen(label) }, ATTR(CKA_SIGN, &yes) };
	CK_OBJECT_HANDLE hp = CK_INVALID_HANDLE, hk = CK_INVALID_HANDLE;
	CK_MECHANISM sm = { CKM_ECDSA, NULL, 0 };
	unsigned char hash[32] = { 1, 2, 3 }, sig[128];
	CK_ULONG sl = sizeof(sig);
	if (c->skf) {
		/* SKF: SM2 pairs (token B holds RSA keys there). */
		m.mechanism = CKM_SM2_KEY_PAIR_GEN;
		sm.mechanism = CKM_SM2;
		s = cf_open(c, c->slot_a, rw);
	}
	if (login)
		cf_login(c, s, c->skf ? c->tok_a : c->tok_b);
	if (CF(c, C_GenerateKeyPair, s, &m, pt, c->skf ? 3 : 4, kt, 4, &hp, &hk) != CKR_OK)
		goto out;
	cf_out_object(c, s, hp);
	cf_out_object(c, s, hk);
	search_label(c, s, label);
	if (CF(c, C_SignInit, s, &sm, hk) == CKR_OK && CF(c, C_Sign, s, hash, 32, sig, &sl) == CKR_OK)
		cf_out_len(c, sl);
	if (CF(c, C_VerifyInit, s, &sm, hp) == CKR_OK)
		CF(c, C_Verify, s, hash, 32, sig, sl);
	CF(c, C_DestroyObject, s, hk);
	CF(c, C_DestroyObject, s, hp);
out:
	cf_cleanup_label(c, c->skf ? c->slot_a : c->slot_b, c->skf ? c->tok_a : c->tok_b, label);
}

static void kp_session_ro_public(struct cf_ctx *c) { keypair(c, "cf-kp1", false, false, false, false); }
static void kp_session_ro_private(struct cf_ctx *c) { keypair(c, "cf-kp2", false, false, false, true); }
static void kp_session_ro_login(struct cf_ctx *c) { keypair(c, "cf-kp3", false, true, false, true); }
static void kp_token_ro(struct cf_ctx *c) { keypair(c, "cf-kp4", false, true, true, true); }
static void kp_token_rw(struct cf_ctx *c) { keypair(c, "cf-kp5", true, true, true, true); }
static void kp_token_rw_nologin(struct cf_ctx *c) { keypair(c, "cf-kp6", true, false, true, false); }

/* A session certificate and public key made from the token's own. */
static void session_copies(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_OBJECT_HANDLE cert = cf_key(c, s, c->tok_a, CKO_CERTIFICATE, true);
	unsigned char *val = malloc(8192), subj[512];
	CK_ATTRIBUTE get[] = { { CKA_VALUE, val, 8192 }, { CKA_SUBJECT, subj, sizeof(subj) } };
	CK_CERTIFICATE_TYPE x509 = CKC_X_509;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	if (!val || c->f->C_GetAttributeValue(s, cert, get, 2) != CKR_OK) {
		cf_violation(c, "the token's signing certificate cannot be read");
		free(val);
		return;
	}
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls_cert), ATTR(CKA_CERTIFICATE_TYPE, &x509),
			     ATTR(CKA_TOKEN, &no), STR(CKA_LABEL, "cf-cert-copy"), get[0], get[1] };
	if (CF(c, C_CreateObject, s, t, 6, &h) == CKR_OK)
		cf_out_object(c, s, h);
	read_back(c, s, h, CKA_SUBJECT);
	read_back(c, s, h, CKA_ISSUER);
	search_label(c, s, "cf-cert-copy");
	free(val);
}

const struct cf_case cf_cases_objects[] = {
	{ "objects/find-by-class", find_classes },
	{ "objects/data-session-ro", data_session_ro },
	{ "objects/data-token-ro", data_token_ro },
	{ "objects/data-token-rw-public", data_token_rw_public },
	{ "objects/data-private", data_private },
	{ "objects/session-object-lifetime", session_object_lifetime },
	{ "objects/set-session", set_session },
	{ "objects/set-token", set_token },
	{ "objects/not-modifiable-session", nomod_session },
	{ "objects/not-modifiable-token", nomod_token },
	{ "objects/latching-attributes", latching },
	{ "objects/read-token-objects", read_token_objects },
	{ "objects/destroy-token-ro", destroy_token_ro },
	{ "objects/session-certificate", session_copies },
	{ "objects/keypair-session-ro-public", kp_session_ro_public },
	{ "objects/keypair-session-ro-private", kp_session_ro_private },
	{ "objects/keypair-session-ro-login", kp_session_ro_login },
	{ "objects/keypair-token-ro", kp_token_ro },
	{ "objects/keypair-token-rw", kp_token_rw },
	{ "objects/keypair-token-rw-nologin", kp_token_rw_nologin },
	{ NULL, NULL },
};
