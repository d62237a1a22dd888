/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SM2 pieces that the generic sign/verify/encrypt/decrypt code cannot do
 * by itself (docs/mechanisms.md, "SM2 and SM3"):
 *  - the GM/T 0009 signer value Z, fed into SM3 before the message so that
 *    CKM_SM3_SM2 signs e = SM3(Z || M) with the backend's raw CKM_SM2;
 *  - verification of r||s over e, in software;
 *  - the plaintext length of a DER SM2Cipher (common/sm2cipher.h), known
 *    before decrypting;
 *  - which keys are SM2 keys: CKK_SM2, or CKK_EC on the sm2p256v1 curve
 *    (some vendors label SM2 keys that way).
 *
 * Verification over e uses EVP_PKEY_verify on an EVP_PKEY of type "SM2":
 * OpenSSL 3.0's SM2 signature provider verifies the digest it is given as
 * is (no Z; checked against 3.0.22), so the same e the device signed is
 * checked without reimplementing the curve arithmetic. */
#include "config.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

#include "sm2cipher.h"
#include "token/attr.h"
#include "token/crypto.h"
#include "token/model.h"
#include "token/object.h"
#include "token/pkey.h"
#include "token/session.h"
#include "util/log.h"
#include "util/ossl.h"

#define FIELD UKEY_SM2_FIELD_BYTES
#define POINT_LEN (1 + 2 * FIELD)

bool ukey_sm2_is_curve(const unsigned char *params, size_t len)
{
	const unsigned char *p = params;
	ASN1_OBJECT *oid;
	bool sm2 = false;

	if (!params || len == 0 || len > 64)
		return false;
	oid = d2i_ASN1_OBJECT(NULL, &p, (long)len);
	sm2 = oid && p == params + len && OBJ_obj2nid(oid) == NID_sm2;
	ASN1_OBJECT_free(oid);
	return sm2;
}

bool ukey_sm2_pkey_is_sm2(EVP_PKEY *pkey)
{
	return pkey && EVP_PKEY_is_a(pkey, "SM2");
}

/* Writes a, b, xG, yG of sm2p256v1, 32 bytes each, from OpenSSL's own
 * curve definition rather than constants copied into this file. */
static CK_RV curve_constants(unsigned char out[4 * FIELD])
{
	EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_sm2);
	BN_CTX *bnctx = BN_CTX_new();
	BIGNUM *p = BN_new(), *a = BN_new(), *b = BN_new(), *x = BN_new(), *y = BN_new();
	const EC_POINT *g;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (!group || !bnctx || !p || !a || !b || !x || !y || !EC_GROUP_get_curve(group, p, a, b, bnctx))
		goto out;
	g = EC_GROUP_get0_generator(group);
	if (!g || !EC_POINT_get_affine_coordinates(group, g, x, y, bnctx))
		goto out;
	if (BN_bn2binpad(a, out, FIELD) != FIELD || BN_bn2binpad(b, out + FIELD, FIELD) != FIELD ||
	    BN_bn2binpad(x, out + 2 * FIELD, FIELD) != FIELD || BN_bn2binpad(y, out + 3 * FIELD, FIELD) != FIELD)
		goto out;
	rv = CKR_OK;
out:
	BN_free(p);
	BN_free(a);
	BN_free(b);
	BN_free(x);
	BN_free(y);
	BN_CTX_free(bnctx);
	EC_GROUP_free(group);
	return rv;
}

CK_RV ukey_sm2_z(EVP_PKEY *pub, const unsigned char *id, size_t idlen, unsigned char z[UKEY_SM2_FIELD_BYTES])
{
	unsigned char consts[4 * FIELD], point[POINT_LEN], entl[2];
	size_t plen = 0;
	unsigned int zlen = 0;
	EVP_MD *sm3 = NULL;
	EVP_MD_CTX *ctx = NULL;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (!ukey_sm2_pkey_is_sm2(pub) || idlen == 0 || idlen > UKEY_SM2_ID_MAX || !id)
		return CKR_ARGUMENTS_BAD;
	if (!EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &plen) ||
	    plen != POINT_LEN || point[0] != 0x04)
		return CKR_FUNCTION_FAILED;
	rv = curve_constants(consts);
	if (rv != CKR_OK)
		return rv;
	rv = CKR_FUNCTION_FAILED;
	/* ENTL: the ID length in bits, two bytes big-endian. */
	entl[0] = (unsigned char)((idlen * 8) >> 8);
	entl[1] = (unsigned char)(idlen * 8);
	sm3 = EVP_MD_fetch(ukey_ossl_ctx(), "SM3", NULL);
	ctx = EVP_MD_CTX_new();
	if (!sm3 || !ctx || !EVP_DigestInit_ex(ctx, sm3, NULL) || !EVP_DigestUpdate(ctx, entl, 2) ||
	    !EVP_DigestUpdate(ctx, id, idlen) || !EVP_DigestUpdate(ctx, consts, sizeof(consts)) ||
	    !EVP_DigestUpdate(ctx, point + 1, POINT_LEN - 1) || !EVP_DigestFinal_ex(ctx, z, &zlen) ||
	    zlen != FIELD)
		goto out;
	rv = CKR_OK;
out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(sm3);
	return rv;
}

CK_RV ukey_sm2_verify_e(EVP_PKEY *pub, const unsigned char *e, size_t elen, const unsigned char *sig,
			size_t siglen)
{
	EVP_PKEY_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int derlen;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (siglen != 2 * FIELD)
		return CKR_SIGNATURE_LEN_RANGE;
	if (elen != FIELD)
		return CKR_DATA_LEN_RANGE;
	/* An EVP_PKEY of type "EC" would run ECDSA here. */
	if (!ukey_sm2_pkey_is_sm2(pub))
		return CKR_KEY_TYPE_INCONSISTENT;
	/* SM2 signatures share ECDSA's DER SEQUENCE { r, s }. */
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, FIELD, NULL);
	s = BN_bin2bn(sig + FIELD, FIELD, NULL);
	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL;   /* owned by es now */
	derlen = i2d_ECDSA_SIG(es, &der);
	ctx = EVP_PKEY_CTX_new_from_pkey(ukey_ossl_ctx(), pub, NULL);
	if (derlen <= 0 || !ctx || EVP_PKEY_verify_init(ctx) <= 0)
		goto out;
	/* r or s of zero, or not below the order, fail here too. */
	rv = EVP_PKEY_verify(ctx, der, (size_t)derlen, e, elen) == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
out:
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

CK_RV ukey_sm2_cipher_plain_len(const unsigned char *der, size_t len, CK_ULONG *plen)
{
	const char *why = NULL;
	size_t n = 0;

	if (ukc_sm2cipher_plain_len(der, len, &n, &why) != 0) {
		ukey_debug("SM2 ciphertext refused (%zu bytes): %s", len, why);
		return CKR_ENCRYPTED_DATA_INVALID;
	}
	*plen = (CK_ULONG)n;
	return CKR_OK;
}

/* The public key of an SM2 private-key object that carries no
 * CKA_EC_POINT: the public-key object or certificate with the same CKA_ID
 * on the slot. Called with the table lock held. */
static EVP_PKEY *pub_by_id_inlock(struct ukey_object *priv)
{
	const struct ukey_attr *id = ukey_object_attr(priv, CKA_ID);
	struct ukey_slot *slot = priv->slot;

	if (!id || id->len == CK_UNAVAILABLE_INFORMATION || id->len == 0 || !slot)
		return NULL;
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		struct ukey_object *o = slot->objects[i];
		const struct ukey_attr *oid = ukey_object_attr(o, CKA_ID);
		if ((o->cls != CKO_PUBLIC_KEY && o->cls != CKO_CERTIFICATE) || !oid || oid->len != id->len ||
		    memcmp(oid->value, id->value, id->len) != 0)
			continue;
		if (!o->pub_tried) {
			o->pub = ukey_pkey_from_object(o);
			o->pub_tried = true;
		}
		if (ukey_sm2_pkey_is_sm2(o->pub) && EVP_PKEY_up_ref(o->pub))
			return o->pub;
	}
	return NULL;
}

void ukey_sm2_key_complete(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE handle, struct ukey_key *key)
{
	struct ukey_session *s;
	struct ukey_object *obj;

	if (key->key_type != CKK_EC && key->key_type != CKK_SM2)
		return;
	/* pkey.c builds an "SM2" key for every key on the SM2 curve. */
	if (key->pub) {
		if (ukey_sm2_pkey_is_sm2(key->pub))
			key->key_type = CKK_SM2;
		return;
	}
	ukey_lock();
	if (ukey_session_find_inlock(h, &s) != CKR_OK || ukey_object_find_inlock(s, handle, &obj) != CKR_OK)
		goto out;
	if (key->key_type == CKK_EC) {
		const struct ukey_attr *p = ukey_object_attr(obj, CKA_EC_PARAMS);
		if (!p || p->len == CK_UNAVAILABLE_INFORMATION || !ukey_sm2_is_curve(p->value, p->len))
			goto out;
		key->key_type = CKK_SM2;
	}
	if (obj->cls == CKO_PRIVATE_KEY)
		key->pub = pub_by_id_inlock(obj);
out:
	ukey_unlock();
}
