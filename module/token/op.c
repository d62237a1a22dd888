/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every cryptographic operation shares: checking a mechanism against a
 * key at *_init, copying its parameters, the hash context, and freeing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "token/crypto.h"
#include "token/model.h"
#include "token/object.h"
#include "token/pass.h"
#include "token/session.h"
#include "util/log.h"
#include "util/ossl.h"

static const struct {
	CK_MECHANISM_TYPE hash;
	const char *name;
	CK_RSA_PKCS_MGF_TYPE mgf;
} hashes[] = {
	{ CKM_SHA_1, "SHA1", CKG_MGF1_SHA1 },
	{ CKM_SHA224, "SHA224", CKG_MGF1_SHA224 },
	{ CKM_SHA256, "SHA256", CKG_MGF1_SHA256 },
	{ CKM_SHA384, "SHA384", CKG_MGF1_SHA384 },
	{ CKM_SHA512, "SHA512", CKG_MGF1_SHA512 },
	/* SM3 has no MGF1 id: no PKCS#11 standard defines one. */
	{ CKM_SM3, "SM3", 0 },
};

const char *ukey_hash_name(CK_MECHANISM_TYPE hash)
{
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (hashes[i].hash == hash)
			return hashes[i].name;
	return NULL;
}

CK_MECHANISM_TYPE ukey_mgf1_hash(CK_RSA_PKCS_MGF_TYPE mgf)
{
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (hashes[i].mgf != 0 && hashes[i].mgf == mgf)
			return hashes[i].hash;
	return 0;
}

/* Hashes RSA PSS/OAEP parameters may name: SHA-1 and SHA-2 only, what
 * PKCS#11 and the backends define (RSA with SM3 has no PKCS#11 form). */
static bool rsa_hash_ok(CK_MECHANISM_TYPE hash)
{
	return hash != CKM_SM3 && ukey_hash_name(hash) != NULL;
}

void ukey_op_free(enum ukey_op_kind kind, struct ukey_op *op)
{
	(void)kind;
	if (!op)
		return;
	if (op->pass)
		ukey_pass_op_free(op);
	ukey_key_clear(&op->key);
	EVP_MD_CTX_free(op->mdctx);
	EVP_MD_free(op->md);
	if (op->label) {
		OPENSSL_cleanse(op->label, op->oaep.ulSourceDataLen);
		free(op->label);
	}
	if (op->out) {
		OPENSSL_cleanse(op->out, op->outlen);
		free(op->out);
	}
	free(op);
}

static CK_RV op_parse_pss(struct ukey_op *op, const CK_MECHANISM *mech)
{
	const CK_RSA_PKCS_PSS_PARAMS *p = mech->pParameter;

	if (!p || mech->ulParameterLen != sizeof(*p))
		return CKR_MECHANISM_PARAM_INVALID;
	if (!rsa_hash_ok(p->hashAlg) || !ukey_mgf1_hash(p->mgf))
		return CKR_MECHANISM_PARAM_INVALID;
	/* The hash-and-sign entries fix the hash; a different one would sign
	 * something other than what the mechanism promises. */
	if (op->mech->hash && p->hashAlg != op->mech->hash)
		return CKR_MECHANISM_PARAM_INVALID;
	/* RFC 8017 9.1.1: the encoded message (modulus bits - 1) holds the
	 * hash, the salt and two more bytes. A salt that does not fit is the
	 * caller's parameter, refused here rather than by the device later. */
	const EVP_MD *md = EVP_get_digestbyname(ukey_hash_name(p->hashAlg));
	CK_ULONG bits = op->key.bits ? op->key.bits : 8 * ukey_op_key_bytes(op);
	CK_ULONG em = bits ? (bits - 1 + 7) / 8 : 0;
	if (!md || (em && p->sLen + (CK_ULONG)EVP_MD_get_size(md) + 2 > em))
		return CKR_MECHANISM_PARAM_INVALID;
	op->pss = *p;
	op->has_pss = true;
	return CKR_OK;
}

static CK_RV op_parse_oaep(struct ukey_op *op, const CK_MECHANISM *mech)
{
	const CK_RSA_PKCS_OAEP_PARAMS *p = mech->pParameter;

	if (!p || mech->ulParameterLen != sizeof(*p))
		return CKR_MECHANISM_PARAM_INVALID;
	if (!rsa_hash_ok(p->hashAlg) || !ukey_mgf1_hash(p->mgf))
		return CKR_MECHANISM_PARAM_INVALID;
	if (p->source != 0 && p->source != CKZ_DATA_SPECIFIED)
		return CKR_MECHANISM_PARAM_INVALID;
	if (p->ulSourceDataLen > 0 && !p->pSourceData)
		return CKR_MECHANISM_PARAM_INVALID;
	op->oaep = *p;
	op->oaep.pSourceData = NULL;
	if (p->ulSourceDataLen > 0) {
		op->label = malloc(p->ulSourceDataLen);
		if (!op->label)
			return CKR_HOST_MEMORY;
		memcpy(op->label, p->pSourceData, p->ulSourceDataLen);
		op->oaep.pSourceData = op->label;
	}
	op->has_oaep = true;
	return CKR_OK;
}

static CK_RV op_parse_params(struct ukey_op *op, const CK_MECHANISM *mech)
{
	if (op->mech->backend == CKM_RSA_PKCS_PSS)
		return op_parse_pss(op, mech);
	if (op->mech->type == CKM_RSA_PKCS_OAEP)
		return op_parse_oaep(op, mech);
	if (op->mech->soft == UKEY_SOFT_SM2_Z) {
		/* The signer ID: none (length 0) means the GM/T 0009 default. */
		if (mech->ulParameterLen == 0)
			return CKR_OK;
		if (!mech->pParameter || mech->ulParameterLen > UKEY_SM2_ID_MAX)
			return CKR_MECHANISM_PARAM_INVALID;
		return CKR_OK;
	}
	/* Everything else takes no parameters. */
	if (mech->pParameter || mech->ulParameterLen)
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

/* Class, usage and public-part checks for one kind of operation. A private
 * key handle may verify or encrypt through its public part. */
static CK_RV op_check_key(const struct ukey_op *op)
{
	const struct ukey_key *k = &op->key;
	bool priv = k->cls == CKO_PRIVATE_KEY;

	if (k->key_type != op->mech->key_type)
		return CKR_KEY_TYPE_INCONSISTENT;
	switch (op->kind) {
	case UKEY_OP_SIGN:
		if (!priv)
			return CKR_KEY_TYPE_INCONSISTENT;
		return k->can_sign ? CKR_OK : CKR_KEY_FUNCTION_NOT_PERMITTED;
	case UKEY_OP_DECRYPT:
		if (!priv)
			return CKR_KEY_TYPE_INCONSISTENT;
		return k->can_decrypt ? CKR_OK : CKR_KEY_FUNCTION_NOT_PERMITTED;
	case UKEY_OP_VERIFY:
		if (!k->pub)
			return priv ? CKR_KEY_TYPE_INCONSISTENT : CKR_FUNCTION_FAILED;
		if (priv)
			return k->can_sign ? CKR_OK : CKR_KEY_FUNCTION_NOT_PERMITTED;
		return k->can_verify ? CKR_OK : CKR_KEY_FUNCTION_NOT_PERMITTED;
	case UKEY_OP_ENCRYPT:
		if (!k->pub)
			return priv ? CKR_KEY_TYPE_INCONSISTENT : CKR_FUNCTION_FAILED;
		if (priv)
			return k->can_decrypt ? CKR_OK : CKR_KEY_FUNCTION_NOT_PERMITTED;
		return k->can_encrypt ? CKR_OK : CKR_KEY_FUNCTION_NOT_PERMITTED;
	default:
		return CKR_GENERAL_ERROR;
	}
}

/* SM3-SM2: hashes Z first, so Update and one-shot both end up with
 * e = SM3(Z || M). Z needs the signer's public key, also when signing. */
static CK_RV op_feed_z(struct ukey_op *op, const CK_MECHANISM *mech)
{
	const unsigned char *id = (const unsigned char *)UKEY_SM2_DEFAULT_ID;
	size_t idlen = sizeof(UKEY_SM2_DEFAULT_ID) - 1;
	unsigned char z[UKEY_SM2_FIELD_BYTES];
	CK_RV rv;

	if (!op->key.pub) {
		ukey_warn("SM3-SM2 needs the signer's public key (CKA_EC_POINT), which the key lacks");
		return CKR_KEY_TYPE_INCONSISTENT;
	}
	if (mech->ulParameterLen > 0) {
		id = mech->pParameter;
		idlen = mech->ulParameterLen;
	}
	rv = ukey_sm2_z(op->key.pub, id, idlen, z);
	/* The ID was checked already: only a non-SM2 public key is left. */
	if (rv == CKR_ARGUMENTS_BAD)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	if (rv == CKR_OK && !EVP_DigestUpdate(op->mdctx, z, sizeof(z)))
		rv = CKR_FUNCTION_FAILED;
	return rv;
}

static CK_FLAGS kind_flag(enum ukey_op_kind kind)
{
	switch (kind) {
	case UKEY_OP_SIGN: return CKF_SIGN;
	case UKEY_OP_VERIFY: return CKF_VERIFY;
	case UKEY_OP_ENCRYPT: return CKF_ENCRYPT;
	case UKEY_OP_DECRYPT: return CKF_DECRYPT;
	case UKEY_OP_DIGEST: return CKF_DIGEST;
	default: return 0;
	}
}

CK_RV ukey_op_prepare(CK_SESSION_HANDLE h, enum ukey_op_kind kind, const CK_MECHANISM *mech,
		      CK_OBJECT_HANDLE key, struct ukey_op **out)
{
	struct ukey_op *op = calloc(1, sizeof(*op));
	CK_RV rv = CKR_OK;

	*out = NULL;
	if (!op)
		return CKR_HOST_MEMORY;
	op->kind = kind;
	if (kind != UKEY_OP_DIGEST) {
		rv = ukey_key_get(h, key, &op->key);
		if (rv != CKR_OK)
			goto out;
		/* SM2 keys may come as CKK_EC on the SM2 curve. */
		ukey_sm2_key_complete(h, key, &op->key);
	}
	op->mech = ukey_mech_lookup(mech->mechanism);
	if (!op->mech || !(op->mech->flags & kind_flag(kind))) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	if (kind != UKEY_OP_DIGEST) {
		/* Verify and encrypt could run without the backend, but what we
		 * accept must match what C_GetMechanismList says. */
		if (!op->key.slot || !ukey_mech_offered(op->key.slot, op->mech)) {
			rv = CKR_MECHANISM_INVALID;
			goto out;
		}
		rv = op_check_key(op);
		if (rv != CKR_OK)
			goto out;
	}
	rv = op_parse_params(op, mech);
	if (rv != CKR_OK)
		goto out;
	if (op->mech->digest) {
		op->md = EVP_MD_fetch(ukey_ossl_ctx(), op->mech->digest, NULL);
		op->mdctx = EVP_MD_CTX_new();
		if (!op->md || !op->mdctx || !EVP_DigestInit_ex(op->mdctx, op->md, NULL)) {
			rv = CKR_FUNCTION_FAILED;
			goto out;
		}
	}
	if (op->mech->soft == UKEY_SOFT_SM2_Z) {
		rv = op_feed_z(op, mech);
		if (rv != CKR_OK)
			goto out;
	}
	if (kind != UKEY_OP_DIGEST && ukey_op_key_bytes(op) == 0) {
		ukey_warn("key of unknown size");
		rv = CKR_KEY_TYPE_INCONSISTENT;
		goto out;
	}
out:
	if (rv != CKR_OK) {
		ukey_debug("mechanism 0x%lx for op %d: rv 0x%lx", (unsigned long)mech->mechanism, (int)kind,
			   (unsigned long)rv);
		ukey_op_free(kind, op);
		return rv;
	}
	*out = op;
	return CKR_OK;
}

CK_RV ukey_op_start(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op *op)
{
	CK_RV rv = ukey_session_op_install(h, kind, op);
	if (rv != CKR_OK)
		ukey_op_free(kind, op);
	return rv;
}

CK_ULONG ukey_op_key_bytes(const struct ukey_op *op)
{
	CK_ULONG bits = op->key.bits;
	/* One curve, 256 bits; ukey_key_get sizes only RSA and EC keys. */
	if (op->key.key_type == CKK_SM2)
		return UKEY_SM2_FIELD_BYTES;
	if (bits == 0 && op->key.pub)
		bits = (CK_ULONG)EVP_PKEY_get_bits(op->key.pub);
	return (bits + 7) / 8;
}

CK_RV ukey_op_hash(struct ukey_op *op, const CK_BYTE *data, CK_ULONG len, bool oneshot,
		   unsigned char *hash, unsigned int *hlen)
{
	if (oneshot && len > 0 && !EVP_DigestUpdate(op->mdctx, data, len))
		return CKR_FUNCTION_FAILED;
	if (!EVP_DigestFinal_ex(op->mdctx, hash, hlen))
		return CKR_FUNCTION_FAILED;
	return CKR_OK;
}

CK_RV ukey_op_digest_info(const struct ukey_op *op, const unsigned char *hash, unsigned int hlen,
			  unsigned char *out, CK_ULONG *outlen)
{
	X509_SIG *sig = X509_SIG_new();
	X509_ALGOR *alg = NULL;
	ASN1_OCTET_STRING *digest = NULL;
	unsigned char *der = NULL;
	int len = -1, nid = EVP_MD_get_type(op->md);
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (!sig || nid == NID_undef)
		goto out;
	X509_SIG_getm(sig, &alg, &digest);
	/* PKCS#1 writes the NULL parameter explicitly for the SHA family. */
	if (!X509_ALGOR_set0(alg, OBJ_nid2obj(nid), V_ASN1_NULL, NULL))
		goto out;
	if (!ASN1_OCTET_STRING_set(digest, hash, (int)hlen))
		goto out;
	len = i2d_X509_SIG(sig, &der);
	if (len <= 0)
		goto out;
	if ((CK_ULONG)len > *outlen) {
		rv = CKR_DATA_LEN_RANGE;
		goto out;
	}
	memcpy(out, der, (size_t)len);
	*outlen = (CK_ULONG)len;
	rv = CKR_OK;
out:
	OPENSSL_free(der);
	X509_SIG_free(sig);
	return rv;
}

CK_RV ukey_op_begin(CK_SESSION_HANDLE h, enum ukey_op_kind kind, const CK_MECHANISM *mech,
		    CK_OBJECT_HANDLE key)
{
	struct ukey_op *op;
	/* A backend mechanism the table does not do for this kind (pass.h). */
	if (ukey_pass_takes(h, kind, mech))
		return ukey_pass_begin(h, kind, false, mech, key);
	CK_RV rv = ukey_op_prepare(h, kind, mech, key, &op);
	return rv != CKR_OK ? rv : ukey_op_start(h, kind, op);
}
