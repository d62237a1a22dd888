/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One case per mechanism of the backend's list: every operation its
 * CKF_* flags name, with a fitting key (the token's pairs, or a session
 * key generated for secret-key mechanisms), length queries, a bad argument
 * in the middle of a multi-part operation, and generation for key-making
 * mechanisms. Outputs that are random (PSS, ECDSA, RSA encryption, any
 * output of a freshly generated key) are compared by length; the rest by
 * value. */
#include "config.h"

#include <string.h>

#include "conform.h"
#include "ukey-pkcs11.h"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
#define ATTR(type, v) { type, (void *)(v), sizeof(*(v)) }

enum family { F_RSA, F_EC, F_SM2, F_AES, F_DES, F_DES3, F_HMAC, F_NONE };

struct mctx {
	struct cf_ctx *c;
	CK_SESSION_HANDLE s;
	CK_MECHANISM m;
	CK_BYTE param[128];
	CK_BYTE iv[16];
	enum family fam;
	bool deterministic;   /* same key, same input: same output */
	CK_OBJECT_HANDLE priv, pub, secret;
	CK_ULONG inlen;       /* input the mechanism takes */
};

static bool in(CK_MECHANISM_TYPE m, const CK_MECHANISM_TYPE *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == m)
			return true;
	return false;
}

static enum family family_of(CK_MECHANISM_TYPE m)
{
	static const CK_MECHANISM_TYPE rsa[] = {
		CKM_RSA_PKCS, CKM_RSA_X_509, CKM_RSA_PKCS_OAEP, CKM_RSA_PKCS_PSS, CKM_MD5_RSA_PKCS,
		CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS,
		CKM_SHA512_RSA_PKCS, CKM_SHA1_RSA_PKCS_PSS, CKM_SHA224_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS,
		CKM_SHA384_RSA_PKCS_PSS, CKM_SHA512_RSA_PKCS_PSS,
	};
	static const CK_MECHANISM_TYPE ec[] = { CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256,
						CKM_ECDSA_SHA384, CKM_ECDSA_SHA512, CKM_ECDH1_DERIVE };
	static const CK_MECHANISM_TYPE sm2[] = { CKM_SM2, CKM_SM3_SM2, CKM_SM2_ENCRYPT };
	static const CK_MECHANISM_TYPE aes[] = { CKM_AES_ECB, CKM_AES_CBC, CKM_AES_CBC_PAD, CKM_AES_CTR, CKM_AES_GCM,
						 CKM_AES_CMAC, CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_PAD,
						 CKM_AES_ECB_ENCRYPT_DATA, CKM_AES_CBC_ENCRYPT_DATA };
	static const CK_MECHANISM_TYPE des[] = { CKM_DES_ECB, CKM_DES_CBC, CKM_DES_CBC_PAD, CKM_DES_ECB_ENCRYPT_DATA,
						 CKM_DES_CBC_ENCRYPT_DATA };
	static const CK_MECHANISM_TYPE des3[] = { CKM_DES3_ECB, CKM_DES3_CBC, CKM_DES3_CBC_PAD, CKM_DES3_CMAC,
						  CKM_DES3_ECB_ENCRYPT_DATA, CKM_DES3_CBC_ENCRYPT_DATA };
	static const CK_MECHANISM_TYPE hmac[] = { CKM_MD5_HMAC, CKM_SHA_1_HMAC, CKM_SHA224_HMAC, CKM_SHA256_HMAC,
						  CKM_SHA384_HMAC, CKM_SHA512_HMAC };
#define IN(set) in(m, set, sizeof(set) / sizeof(set[0]))
	return IN(rsa) ? F_RSA : IN(ec) ? F_EC : IN(sm2) ? F_SM2 : IN(aes) ? F_AES : IN(des) ? F_DES
	       : IN(des3) ? F_DES3 : IN(hmac) ? F_HMAC : F_NONE;
#undef IN
}

static CK_MECHANISM_TYPE pss_hash(CK_MECHANISM_TYPE m, CK_RSA_PKCS_MGF_TYPE *mgf, CK_ULONG *hlen)
{
	switch (m) {
	case CKM_SHA1_RSA_PKCS_PSS: *mgf = CKG_MGF1_SHA1, *hlen = 20; return CKM_SHA_1;
	case CKM_SHA224_RSA_PKCS_PSS: *mgf = CKG_MGF1_SHA224, *hlen = 28; return CKM_SHA224;
	case CKM_SHA384_RSA_PKCS_PSS: *mgf = CKG_MGF1_SHA384, *hlen = 48; return CKM_SHA384;
	case CKM_SHA512_RSA_PKCS_PSS: *mgf = CKG_MGF1_SHA512, *hlen = 64; return CKM_SHA512;
	default: *mgf = CKG_MGF1_SHA256, *hlen = 32; return CKM_SHA256;
	}
}

/* Mechanism parameters and the input length each mechanism takes. */
static void set_params(struct mctx *x)
{
	CK_MECHANISM_TYPE t = x->m.mechanism;
	memset(x->iv, 0x42, sizeof(x->iv));
	x->inlen = 32;
	x->deterministic = false;
	if (t == CKM_RSA_PKCS_PSS || (t >= CKM_SHA256_RSA_PKCS_PSS && t <= CKM_SHA512_RSA_PKCS_PSS) ||
	    t == CKM_SHA1_RSA_PKCS_PSS || t == CKM_SHA224_RSA_PKCS_PSS) {
		CK_RSA_PKCS_PSS_PARAMS p;
		CK_ULONG hlen;
		p.hashAlg = pss_hash(t, &p.mgf, &hlen);
		p.sLen = hlen;
		memcpy(x->param, &p, sizeof(p));
		x->m.ulParameterLen = sizeof(p);
		x->inlen = t == CKM_RSA_PKCS_PSS ? hlen : 32;
	} else if (t == CKM_RSA_PKCS_OAEP) {
		CK_RSA_PKCS_OAEP_PARAMS p = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
		memcpy(x->param, &p, sizeof(p));
		x->m.ulParameterLen = sizeof(p);
	} else if (t == CKM_AES_CBC || t == CKM_AES_CBC_PAD) {
		memcpy(x->param, x->iv, 16);
		x->m.ulParameterLen = 16;
	} else if (t == CKM_DES_CBC || t == CKM_DES_CBC_PAD || t == CKM_DES3_CBC || t == CKM_DES3_CBC_PAD) {
		memcpy(x->param, x->iv, 8);
		x->m.ulParameterLen = 8;
	} else if (t == CKM_AES_CTR) {
		CK_AES_CTR_PARAMS p = { .ulCounterBits = 128 };
		memcpy(p.cb, x->iv, 16);
		memcpy(x->param, &p, sizeof(p));
		x->m.ulParameterLen = sizeof(p);
	} else if (t == CKM_AES_GCM) {
		CK_GCM_PARAMS p = { x->iv, 12, 96, NULL, 0, 128 };
		memcpy(x->param, &p, sizeof(p));
		x->m.ulParameterLen = sizeof(p);
	}
	x->m.pParameter = x->m.ulParameterLen ? x->param : NULL;
	if (t == CKM_RSA_PKCS || t == CKM_RSA_X_509 || (t >= CKM_MD5_RSA_PKCS && t <= CKM_SHA1_RSA_PKCS) ||
	    (t >= CKM_SHA256_RSA_PKCS && t <= CKM_SHA512_RSA_PKCS) || t == CKM_SHA224_RSA_PKCS)
		x->deterministic = true;
	if (t == CKM_ECDSA || t == CKM_SM2)
		x->inlen = 32;
}

/* A session secret key for the family, in the case's session. */
static CK_OBJECT_HANDLE secret_key(struct mctx *x)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG len = 32;
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE t[] = { ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no), ATTR(CKA_ENCRYPT, &yes),
			     ATTR(CKA_DECRYPT, &yes), ATTR(CKA_SIGN, &yes), ATTR(CKA_VERIFY, &yes),
			     ATTR(CKA_WRAP, &yes), ATTR(CKA_UNWRAP, &yes), ATTR(CKA_EXTRACTABLE, &yes),
			     ATTR(CKA_DERIVE, &yes), ATTR(CKA_VALUE_LEN, &len) };
	CK_ULONG n = 11;
	if (x->fam == F_DES)
		gen.mechanism = CKM_DES_KEY_GEN, n = 10;
	else if (x->fam == F_DES3)
		gen.mechanism = CKM_DES3_KEY_GEN, n = 10;
	else if (x->fam == F_HMAC)
		gen.mechanism = CKM_GENERIC_SECRET_KEY_GEN;
	if (CF(x->c, C_GenerateKey, x->s, &gen, t, n, &h) != CKR_OK)
		return CK_INVALID_HANDLE;
	return h;
}

static void keys(struct mctx *x, bool sign)
{
	struct cf_ctx *c = x->c;
	const struct ukt_token *t = NULL;
	CK_SLOT_ID slot = c->slot_a;
	if (x->fam == F_RSA)
		t = c->skf ? c->tok_b : c->tok_a, slot = c->skf ? c->slot_b : c->slot_a;
	else if (x->fam == F_EC)
		t = c->skf ? c->tok_a : c->tok_b, slot = c->skf ? c->slot_a : c->slot_b;
	else if (x->fam == F_SM2)
		t = c->skf ? c->tok_a : NULL;
	x->s = cf_open(c, t ? slot : c->slot_a, false);
	cf_login(c, x->s, t ? t : c->tok_a);
	if (t) {
		x->priv = cf_key(c, x->s, t, CKO_PRIVATE_KEY, sign);
		x->pub = cf_key(c, x->s, t, CKO_PUBLIC_KEY, sign);
	} else if (x->fam != F_NONE) {
		x->priv = x->pub = x->secret = secret_key(x);
		x->deterministic = false;
	} else {
		/* DSA, DH, EdDSA: no such key here; the token's RSA key shows
		 * how a key of the wrong type is refused. */
		x->priv = cf_key(c, x->s, c->tok_a, CKO_PRIVATE_KEY, true);
		x->pub = cf_key(c, x->s, c->tok_a, CKO_PUBLIC_KEY, true);
	}
}

static void out(struct mctx *x, const CK_BYTE *p, CK_ULONG len)
{
	if (x->deterministic)
		cf_out_bytes(x->c, p, len);
	else
		cf_out_len(x->c, len);
}

static void do_sign(struct mctx *x, bool verify)
{
	struct cf_ctx *c = x->c;
	CK_BYTE data[64], sig[1024], sig2[1024];
	CK_ULONG len = 0, len2 = sizeof(sig2);
	memset(data, 0x5a, sizeof(data));
	keys(x, true);
	/* No key of the mechanism's type: the init's answer is the case
	 * (SoftHSM 2.6 accepts DSA with an RSA key and crashes in C_Sign). */
	if (CF(c, C_SignInit, x->s, &x->m, x->priv) != CKR_OK || x->fam == F_NONE)
		return;
	if (CF(c, C_Sign, x->s, data, x->inlen, NULL, &len) == CKR_OK)
		cf_out_len(c, len);
	len = len > sizeof(sig) ? sizeof(sig) : len;
	if (CF(c, C_Sign, x->s, data, x->inlen, sig, &len) == CKR_OK)
		out(x, sig, len);
	/* Multi-part with a bad argument in the middle. */
	if (CF(c, C_SignInit, x->s, &x->m, x->priv) == CKR_OK && CF(c, C_SignUpdate, x->s, data, 16) == CKR_OK) {
		CF(c, C_SignUpdate, x->s, NULL, 16);
		CF(c, C_SignUpdate, x->s, data + 16, 16);
		if (CF(c, C_SignFinal, x->s, sig2, &len2) == CKR_OK)
			out(x, sig2, len2);
	}
	if (!verify || len == 0)
		return;
	if (CF(c, C_VerifyInit, x->s, &x->m, x->pub) != CKR_OK)
		return;
	CF(c, C_Verify, x->s, data, x->inlen, sig, len);
	sig[len / 2] ^= 1;
	if (CF(c, C_VerifyInit, x->s, &x->m, x->pub) == CKR_OK)
		CF(c, C_Verify, x->s, data, x->inlen, sig, len);
	if (CF(c, C_VerifyInit, x->s, &x->m, x->pub) == CKR_OK)
		CF(c, C_Verify, x->s, data, x->inlen, sig, len - 1);
	if (CF(c, C_VerifyInit, x->s, &x->m, x->pub) == CKR_OK && CF(c, C_VerifyUpdate, x->s, data, 32) == CKR_OK)
		CF(c, C_VerifyFinal, x->s, sig2, len2);
}

static void do_cipher(struct mctx *x)
{
	struct cf_ctx *c = x->c;
	CK_BYTE data[64], ct[1024], pt[1024];
	CK_ULONG ctlen = 0, ptlen = 0, part = sizeof(ct);
	memset(data, 0x3c, sizeof(data));
	keys(x, false);
	if (CF(c, C_EncryptInit, x->s, &x->m, x->pub) != CKR_OK || x->fam == F_NONE)
		return;
	if (CF(c, C_Encrypt, x->s, data, x->inlen, NULL, &ctlen) == CKR_OK)
		cf_out_len(c, ctlen);
	ctlen = ctlen > sizeof(ct) ? sizeof(ct) : ctlen;
	if (CF(c, C_Encrypt, x->s, data, x->inlen, ct, &ctlen) != CKR_OK)
		return;
	cf_out_len(c, ctlen);
	if (CF(c, C_DecryptInit, x->s, &x->m, x->priv) == CKR_OK) {
		if (CF(c, C_Decrypt, x->s, ct, ctlen, NULL, &ptlen) == CKR_OK)
			cf_out_len(c, ptlen);
		ptlen = sizeof(pt);
		if (CF(c, C_Decrypt, x->s, ct, ctlen, pt, &ptlen) == CKR_OK)
			cf_out_bytes(c, pt, ptlen);
	}
	/* Multi-part, a bad argument in the middle, a short final buffer. */
	if (CF(c, C_EncryptInit, x->s, &x->m, x->pub) == CKR_OK &&
	    CF(c, C_EncryptUpdate, x->s, data, 16, ct, &part) == CKR_OK) {
		cf_out_len(c, part);
		part = sizeof(ct);
		CF(c, C_EncryptUpdate, x->s, NULL, 16, ct, &part);
		part = sizeof(ct);
		if (CF(c, C_EncryptUpdate, x->s, data + 16, 16, ct, &part) == CKR_OK)
			cf_out_len(c, part);
		part = 0;
		CF(c, C_EncryptFinal, x->s, ct, &part);
		cf_out_len(c, part);
		part = sizeof(ct);
		if (CF(c, C_EncryptFinal, x->s, ct, &part) == CKR_OK)
			cf_out_len(c, part);
	}
	if (CF(c, C_DecryptInit, x->s, &x->m, x->priv) == CKR_OK) {
		part = sizeof(pt);
		CF(c, C_DecryptUpdate, x->s, ct, 0, pt, &part);
		part = sizeof(pt);
		CF(c, C_DecryptFinal, x->s, pt, &part);
	}
}

static void do_digest(struct mctx *x)
{
	struct cf_ctx *c = x->c;
	CK_BYTE data[64], md[128];
	CK_ULONG len = 0;
	memset(data, 0x11, sizeof(data));
	x->deterministic = true;
	x->s = cf_open(c, c->slot_a, false);
	if (CF(c, C_DigestInit, x->s, &x->m) != CKR_OK)
		return;
	if (CF(c, C_Digest, x->s, data, sizeof(data), NULL, &len) == CKR_OK)
		cf_out_len(c, len);
	len = sizeof(md);
	if (CF(c, C_Digest, x->s, data, sizeof(data), md, &len) == CKR_OK)
		out(x, md, len);
	if (CF(c, C_DigestInit, x->s, &x->m) == CKR_OK && CF(c, C_DigestUpdate, x->s, data, 32) == CKR_OK) {
		CF(c, C_DigestUpdate, x->s, NULL, 32);
		CF(c, C_DigestUpdate, x->s, data + 32, 32);
		len = 1;
		CF(c, C_DigestFinal, x->s, md, &len);
		cf_out_len(c, len);
		len = sizeof(md);
		if (CF(c, C_DigestFinal, x->s, md, &len) == CKR_OK)
			out(x, md, len);
	}
	if (CF(c, C_DigestInit, x->s, &x->m) == CKR_OK) {
		CK_OBJECT_HANDLE k = cf_key(c, x->s, c->tok_a, CKO_PUBLIC_KEY, true);
		CF(c, C_DigestKey, x->s, k);
		CF(c, C_DigestFinal, x->s, NULL, &len);
	}
}

static void do_generate(struct mctx *x, bool pair)
{
	struct cf_ctx *c = x->c;
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	static const CK_BYTE ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
	CK_ULONG bits = 1024, vlen = 32;
	CK_BYTE e[] = { 1, 0, 1 };
	CK_ATTRIBUTE pub[] = { ATTR(CKA_TOKEN, &no), ATTR(CKA_VERIFY, &yes), { CKA_LABEL, "cf-mech", 7 },
			       ATTR(CKA_MODULUS_BITS, &bits), { CKA_PUBLIC_EXPONENT, e, 3 } };
	CK_ATTRIBUTE priv[] = { ATTR(CKA_TOKEN, &no), ATTR(CKA_PRIVATE, &no), ATTR(CKA_SIGN, &yes),
				{ CKA_LABEL, "cf-mech", 7 } };
	CK_ATTRIBUTE sec[] = { ATTR(CKA_TOKEN, &no), { CKA_LABEL, "cf-mech", 7 }, ATTR(CKA_VALUE_LEN, &vlen),
			       ATTR(CKA_PRIVATE, &no) };
	CK_OBJECT_HANDLE hp = CK_INVALID_HANDLE, hk = CK_INVALID_HANDLE;
	CK_ULONG npub = 3;
	x->s = cf_open(c, c->slot_a, false);
	cf_login(c, x->s, c->tok_a);
	if (x->m.mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN) {
		npub = 5;
	} else if (x->m.mechanism == CKM_EC_KEY_PAIR_GEN || x->m.mechanism == CKM_EC_EDWARDS_KEY_PAIR_GEN) {
		bool ed = x->m.mechanism == CKM_EC_EDWARDS_KEY_PAIR_GEN;
		pub[3] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)(ed ? ed25519 : p256), ed ? sizeof(ed25519) : sizeof(p256) };
		npub = 4;
	}
	if (!pair) {
		bool len = x->m.mechanism == CKM_AES_KEY_GEN || x->m.mechanism == CKM_GENERIC_SECRET_KEY_GEN;
		if (!len)
			sec[2] = sec[3];
		if (CF(c, C_GenerateKey, x->s, &x->m, sec, len ? 4 : 3, &hk) == CKR_OK)
			cf_out_object(c, x->s, hk);
		return;
	}
	if (CF(c, C_GenerateKeyPair, x->s, &x->m, pub, npub, priv, 4, &hp, &hk) == CKR_OK) {
		cf_out_object(c, x->s, hp);
		cf_out_object(c, x->s, hk);
	}
}

/* Init only: wrapping and derivation need parameters of their own; the
 * answer to a plain init with the case's key is compared. */
static void do_init_only(struct mctx *x, CK_FLAGS flag)
{
	struct cf_ctx *c = x->c;
	CK_BYTE buf[512];
	CK_ULONG len = sizeof(buf);
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG vlen = 16;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, &cls), ATTR(CKA_KEY_TYPE, &kt), ATTR(CKA_TOKEN, &no),
			     ATTR(CKA_VALUE_LEN, &vlen) };
	keys(x, false);
	if (flag == CKF_WRAP && CF(c, C_WrapKey, x->s, &x->m, x->pub, x->secret ? x->secret : x->priv, buf, &len) == CKR_OK)
		cf_out_len(c, len);
	if (flag == CKF_UNWRAP && CF(c, C_UnwrapKey, x->s, &x->m, x->priv, buf, 40, t, 4, &h) == CKR_OK)
		cf_out_object(c, x->s, h);
	if (flag == CKF_DERIVE && CF(c, C_DeriveKey, x->s, &x->m, x->priv, t, 4, &h) == CKR_OK)
		cf_out_object(c, x->s, h);
}

void cf_mech_case(struct cf_ctx *c, CK_MECHANISM_TYPE m, const CK_MECHANISM_INFO *info)
{
	static const CK_FLAGS order[] = { CKF_SIGN, CKF_ENCRYPT, CKF_DIGEST, CKF_GENERATE, CKF_GENERATE_KEY_PAIR,
					  CKF_WRAP, CKF_UNWRAP, CKF_DERIVE };
	cf_out(c, "flags=0x%lx", (unsigned long)info->flags);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct mctx x = { .c = c, .m = { m, NULL, 0 }, .fam = family_of(m) };
		if (!(info->flags & order[i]) && !(order[i] == CKF_SIGN && (info->flags & CKF_VERIFY)) &&
		    !(order[i] == CKF_ENCRYPT && (info->flags & CKF_DECRYPT)))
			continue;
		set_params(&x);
		switch (order[i]) {
		case CKF_SIGN: do_sign(&x, info->flags & CKF_VERIFY); break;
		case CKF_ENCRYPT: do_cipher(&x); break;
		case CKF_DIGEST: do_digest(&x); break;
		case CKF_GENERATE: do_generate(&x, false); break;
		case CKF_GENERATE_KEY_PAIR: do_generate(&x, true); break;
		default: do_init_only(&x, order[i]); break;
		}
		cf_reset(c);
	}
}
