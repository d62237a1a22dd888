/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* signature.c: the provider's signatures, each one C_Sign on the token
 * with the mechanism that hashes too (CKM_SHA256_RSA_PKCS,
 * CKM_SHA256_RSA_PKCS_PSS, CKM_ECDSA_SHA256, the module's CKM_SM3_SM2
 * with the signer's ID): the token computes exactly what the
 * AlgorithmIdentifier declares. The data are collected until the final
 * call: what OpenSSL signs here (a request, a CMP header and body) is
 * small, and one C_Sign is one PIN-protected operation, not several. */

#include <stdlib.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "ecsig.h"
#include "ossl/ossl.h"

/* More than any request or CMP message a renewal signs. */
#define SIG_MAX_DATA (1024 * 1024)

struct sigctx {
	enum ukey_ossl_kind kind;
	struct ukey_ossl_key *key; /* the EVP_PKEY's data: OpenSSL keeps the key while the context lives */
	int md_nid, mgf_nid;
	int pss, saltlen; /* saltlen: bytes, or RSA_PSS_SALTLEN_DIGEST / _MAX / _AUTO */
	unsigned char *id;
	size_t id_len;
	unsigned char *buf;
	size_t len, cap;
};

static void *newctx(enum ukey_ossl_kind kind)
{
	struct sigctx *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->kind = kind;
		c->saltlen = RSA_PSS_SALTLEN_DIGEST;
	}
	return c;
}

static void *rsa_newctx(void *provctx, const char *propq)
{
	(void)provctx;
	(void)propq;
	return newctx(UKEY_OSSL_RSA);
}

static void *ec_newctx(void *provctx, const char *propq)
{
	(void)provctx;
	(void)propq;
	return newctx(UKEY_OSSL_EC);
}

static void *sm2_newctx(void *provctx, const char *propq)
{
	(void)provctx;
	(void)propq;
	return newctx(UKEY_OSSL_SM2);
}

static void freectx(void *vc)
{
	struct sigctx *c = vc;

	if (c == NULL)
		return;
	OPENSSL_clear_free(c->buf, c->cap);
	free(c->id);
	free(c);
}

static void *dupctx(void *vc)
{
	struct sigctx *c = vc, *d = malloc(sizeof(*d));

	if (d == NULL)
		return NULL;
	*d = *c;
	d->buf = NULL;
	d->id = NULL;
	if ((c->cap && (d->buf = OPENSSL_malloc(c->cap)) == NULL) ||
	    (c->id_len && (d->id = malloc(c->id_len)) == NULL)) {
		freectx(d);
		return NULL;
	}
	if (c->cap)
		memcpy(d->buf, c->buf, c->len);
	if (c->id_len)
		memcpy(d->id, c->id, c->id_len);
	return d;
}

/* The digests the token's combined mechanisms hash, by every name
 * OpenSSL may pass (its own "SHA2-256" as well as "SHA256" and the OID). */
static int md_nid(const char *name)
{
	static const struct {
		const char *name;
		int nid;
	} t[] = {
		{ "SHA256", NID_sha256 }, { "SHA2-256", NID_sha256 }, { "SHA-256", NID_sha256 },
		{ "2.16.840.1.101.3.4.2.1", NID_sha256 }, { "SHA384", NID_sha384 }, { "SHA2-384", NID_sha384 },
		{ "SHA-384", NID_sha384 }, { "2.16.840.1.101.3.4.2.2", NID_sha384 }, { "SHA512", NID_sha512 },
		{ "SHA2-512", NID_sha512 }, { "SHA-512", NID_sha512 }, { "2.16.840.1.101.3.4.2.3", NID_sha512 },
		{ "SM3", NID_sm3 }, { "1.2.156.10197.1.401", NID_sm3 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (OPENSSL_strcasecmp(name, t[i].name) == 0)
			return t[i].nid;
	return NID_undef;
}

static int set_md(struct sigctx *c, const char *name)
{
	int nid = md_nid(name);
	/* Only what the token's combined mechanisms hash. */
	if (c->kind == UKEY_OSSL_SM2 ? nid != NID_sm3 : nid != NID_sha256 && nid != NID_sha384 && nid != NID_sha512)
		return 0;
	c->md_nid = nid;
	if (c->mgf_nid == 0 || !c->pss)
		c->mgf_nid = nid;
	return 1;
}

static int set_ctx_params(void *vc, const OSSL_PARAM params[]);

static int sign_init(void *vc, const char *mdname, void *kd, const OSSL_PARAM params[])
{
	struct sigctx *c = vc;
	struct ukey_ossl_key *k = kd;

	if (k != NULL) {
		if (k->kind != c->kind)
			return 0;
		c->key = k;
	}
	if (c->key == NULL)
		return 0;
	c->len = 0;
	if (!set_md(c, mdname && *mdname ? mdname : c->kind == UKEY_OSSL_SM2 ? "SM3" : "SHA256"))
		return 0;
	return set_ctx_params(c, params);
}

static int sign_update(void *vc, const unsigned char *data, size_t n)
{
	struct sigctx *c = vc;

	if (n > SIG_MAX_DATA - c->len)
		return 0;
	if (c->len + n > c->cap) {
		size_t cap = c->len + n < 4096 ? 4096 : 2 * (c->len + n);
		unsigned char *b = OPENSSL_clear_realloc(c->buf, c->cap, cap);
		if (b == NULL)
			return 0;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	return 1;
}

static CK_MECHANISM_TYPE hash_mech(int nid)
{
	return nid == NID_sha384 ? CKM_SHA384 : nid == NID_sha512 ? CKM_SHA512 : CKM_SHA256;
}

/* The salt a PSS signature uses: the digest's length unless a length was
 * set; "max" and "auto" are the most the modulus holds (RFC 8017 9.1.1). */
static long pss_salt(const struct sigctx *c)
{
	int hlen = c->md_nid == NID_sha384 ? 48 : c->md_nid == NID_sha512 ? 64 : 32;
	int bits = EVP_PKEY_get_bits(c->key->pub), emlen = (bits - 1 + 7) / 8;

	if (c->saltlen >= 0)
		return c->saltlen;
	if (c->saltlen == RSA_PSS_SALTLEN_DIGEST)
		return hlen;
	return emlen - hlen - 2;
}

static int sign_final(void *vc, unsigned char *sig, size_t *siglen, size_t sigsize)
{
	struct sigctx *c = vc;
	struct ukey_ossl_key *k = c->key;
	CK_RSA_PKCS_PSS_PARAMS pss;
	CK_MECHANISM m = { 0, NULL, 0 };
	unsigned char raw[1024], *der = NULL;
	CK_ULONG rawlen = sizeof(raw);
	int dlen;
	CK_RV rv;

	if (k == NULL)
		return 0;
	if (sig == NULL) {
		*siglen = (size_t)EVP_PKEY_get_size(k->pub);
		return 1;
	}
	switch (c->kind) {
	case UKEY_OSSL_RSA:
		if (c->pss) {
			pss.hashAlg = hash_mech(c->md_nid);
			pss.mgf = c->mgf_nid == NID_sha384 ? CKG_MGF1_SHA384
				  : c->mgf_nid == NID_sha512 ? CKG_MGF1_SHA512 : CKG_MGF1_SHA256;
			pss.sLen = (CK_ULONG)pss_salt(c);
			m.mechanism = c->md_nid == NID_sha384 ? CKM_SHA384_RSA_PKCS_PSS
				      : c->md_nid == NID_sha512 ? CKM_SHA512_RSA_PKCS_PSS : CKM_SHA256_RSA_PKCS_PSS;
			m.pParameter = &pss;
			m.ulParameterLen = sizeof(pss);
		} else {
			m.mechanism = c->md_nid == NID_sha384 ? CKM_SHA384_RSA_PKCS
				      : c->md_nid == NID_sha512 ? CKM_SHA512_RSA_PKCS : CKM_SHA256_RSA_PKCS;
		}
		break;
	case UKEY_OSSL_EC:
		m.mechanism = c->md_nid == NID_sha384 ? CKM_ECDSA_SHA384
			      : c->md_nid == NID_sha512 ? CKM_ECDSA_SHA512 : CKM_ECDSA_SHA256;
		break;
	case UKEY_OSSL_SM2:
		/* The module's SM3 with Z over the signer's ID (its default,
		 * GM/T 0009's, when none was set), then SM2. */
		m.mechanism = CKM_SM3_SM2;
		m.pParameter = c->id;
		m.ulParameterLen = c->id_len;
		break;
	}
	rv = k->p->f->C_SignInit(k->s, &m, k->priv);
	if (rv == CKR_OK)
		rv = k->p->f->C_Sign(k->s, c->buf, c->len, raw, &rawlen);
	if (rv != CKR_OK) {
		ERR_raise_data(ERR_LIB_PROV, ERR_R_OPERATION_FAIL, "%s", ukey_p11_rv_name(rv));
		return 0;
	}
	if (c->kind == UKEY_OSSL_RSA) {
		if (rawlen > sigsize)
			return 0;
		memcpy(sig, raw, rawlen);
		*siglen = rawlen;
		return 1;
	}
	dlen = ukc_ecsig_raw_to_der(raw, rawlen, &der);
	if (dlen <= 0 || (size_t)dlen > sigsize) {
		OPENSSL_free(der);
		return 0;
	}
	memcpy(sig, der, (size_t)dlen);
	*siglen = (size_t)dlen;
	OPENSSL_free(der);
	return 1;
}

static int get_ctx_params(void *vc, OSSL_PARAM params[])
{
	struct sigctx *c = vc;
	OSSL_PARAM *p;
	unsigned char *der = NULL;
	int len, ok = 1;

	if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID)) != NULL) {
		len = ukey_ossl_algid(c->kind, c->md_nid, c->pss, c->mgf_nid, c->pss ? (int)pss_salt(c) : 0, &der);
		ok = len > 0 && OSSL_PARAM_set_octet_string(p, der, (size_t)len);
		OPENSSL_free(der);
	}
	if (ok && (p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST)) != NULL)
		ok = OSSL_PARAM_set_utf8_string(p, OBJ_nid2sn(c->md_nid));
	if (ok && c->kind == UKEY_OSSL_RSA && (p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL)
		ok = p->data_type == OSSL_PARAM_INTEGER
			     ? OSSL_PARAM_set_int(p, c->pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING)
			     : OSSL_PARAM_set_utf8_string(p, c->pss ? OSSL_PKEY_RSA_PAD_MODE_PSS
								    : OSSL_PKEY_RSA_PAD_MODE_PKCSV15);
	if (ok && c->pss && (p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) != NULL)
		ok = OSSL_PARAM_set_int(p, (int)pss_salt(c));
	return ok;
}

static int set_saltlen(struct sigctx *c, const OSSL_PARAM *p)
{
	if (p->data_type == OSSL_PARAM_UTF8_STRING) {
		const char *s = p->data;
		if (strcmp(s, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST) == 0)
			c->saltlen = RSA_PSS_SALTLEN_DIGEST;
		else if (strcmp(s, OSSL_PKEY_RSA_PSS_SALT_LEN_MAX) == 0 || strcmp(s, OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO) == 0)
			c->saltlen = RSA_PSS_SALTLEN_MAX;
		else
			c->saltlen = atoi(s);
		return 1;
	}
	return OSSL_PARAM_get_int(p, &c->saltlen);
}

static int set_ctx_params(void *vc, const OSSL_PARAM params[])
{
	struct sigctx *c = vc;
	const OSSL_PARAM *p;
	int pad;

	if (params == NULL)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST)) != NULL &&
	    (p->data_type != OSSL_PARAM_UTF8_STRING || !set_md(c, p->data)))
		return 0;
	if (c->kind == UKEY_OSSL_RSA && (p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL) {
		if (p->data_type == OSSL_PARAM_UTF8_STRING)
			pad = strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PSS) == 0 ? RSA_PKCS1_PSS_PADDING
			      : strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0 ? RSA_PKCS1_PADDING : -1;
		else if (!OSSL_PARAM_get_int(p, &pad))
			return 0;
		if (pad != RSA_PKCS1_PSS_PADDING && pad != RSA_PKCS1_PADDING)
			return 0;
		c->pss = pad == RSA_PKCS1_PSS_PADDING;
	}
	if (c->kind == UKEY_OSSL_RSA && (p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) != NULL &&
	    !set_saltlen(c, p))
		return 0;
	if (c->kind == UKEY_OSSL_RSA && (p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) != NULL) {
		int nid = p->data_type == OSSL_PARAM_UTF8_STRING ? md_nid(p->data) : NID_undef;
		if (nid != NID_sha256 && nid != NID_sha384 && nid != NID_sha512)
			return 0;
		c->mgf_nid = nid;
	}
	if (c->kind == UKEY_OSSL_SM2 && (p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_DIST_ID)) != NULL) {
		unsigned char *id = NULL;
		size_t n = 0;
		if (p->data_type != OSSL_PARAM_OCTET_STRING || p->data_size > 8191 ||
		    (p->data_size && (id = malloc(p->data_size)) == NULL))
			return 0;
		if (p->data_size)
			memcpy(id, p->data, p->data_size);
		n = p->data_size;
		free(c->id);
		c->id = id;
		c->id_len = n;
	}
	return 1;
}

static const OSSL_PARAM gettable[] = {
	OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
	OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL),
	OSSL_PARAM_END,
};
static const OSSL_PARAM settable[] = {
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_DIST_ID, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *gettable_ctx_params(void *vc, void *provctx)
{
	(void)vc;
	(void)provctx;
	return gettable;
}

static const OSSL_PARAM *settable_ctx_params(void *vc, void *provctx)
{
	(void)vc;
	(void)provctx;
	return settable;
}

#define SIGNATURE(name, new)                                                                          \
	const OSSL_DISPATCH name[] = {                                                                \
		{ OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))new },                                 \
		{ OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))freectx },                            \
		{ OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))dupctx },                              \
		{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, (void (*)(void))sign_init },                 \
		{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, (void (*)(void))sign_update },             \
		{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, (void (*)(void))sign_final },               \
		{ OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, (void (*)(void))get_ctx_params },              \
		{ OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, (void (*)(void))gettable_ctx_params },    \
		{ OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, (void (*)(void))set_ctx_params },              \
		{ OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, (void (*)(void))settable_ctx_params },    \
		{ 0, NULL },                                                                          \
	}

SIGNATURE(ukey_ossl_rsa_signature, rsa_newctx);
SIGNATURE(ukey_ossl_ec_signature, ec_newctx);
SIGNATURE(ukey_ossl_sm2_signature, sm2_newctx);
