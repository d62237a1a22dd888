/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fake SKF-like device for test-sm2-token.c (see sm2-fake.h). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "sm2-check.h"
#include "sm2-fake.h"

struct fobj sm2_fake_objs[NOBJ + 1];
EVP_PKEY *sm2_a, *sm2_b, *sm2_c, *p256;
unsigned sm2_fake_decrypt_calls;
unsigned char sm2_fake_last_e[32];
#define objs sm2_fake_objs

static void fadd(struct fobj *o, CK_ATTRIBUTE_TYPE t, const void *v, CK_ULONG len)
{
	void *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, v, len);
	o->attrs[o->n++] = (CK_ATTRIBUTE){ t, copy, len };
}

static void fadd_ulong(struct fobj *o, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	fadd(o, t, &v, sizeof(v));
}

static void fadd_bool(struct fobj *o, CK_ATTRIBUTE_TYPE t, CK_BBOOL v)
{
	fadd(o, t, &v, sizeof(v));
}

/* A key object as the SKF driver presents it. */
void sm2_fake_key(int ref, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, EVP_PKEY *key, int nid, bool point,
		 unsigned char id)
{
	struct fobj *o = &objs[ref];
	unsigned char params[16], *p = params, pt[65], der[80], *d = der;
	size_t ptlen = 0;
	int plen = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &p);
	bool priv = cls == CKO_PRIVATE_KEY;

	o->key = key;
	fadd_ulong(o, CKA_CLASS, cls);
	fadd_ulong(o, CKA_KEY_TYPE, kt);
	fadd_bool(o, CKA_TOKEN, CK_TRUE);
	fadd_bool(o, CKA_PRIVATE, CK_FALSE);
	fadd(o, CKA_ID, &id, 1);
	fadd_bool(o, priv ? CKA_SIGN : CKA_VERIFY, CK_TRUE);
	fadd_bool(o, priv ? CKA_DECRYPT : CKA_ENCRYPT, CK_TRUE);
	fadd(o, CKA_EC_PARAMS, params, (CK_ULONG)plen);
	if (point) {
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		assert_int_equal(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt, 65, &ptlen), 1);
		assert_true(os && ASN1_OCTET_STRING_set(os, pt, (int)ptlen));
		int dlen = i2d_ASN1_OCTET_STRING(os, &d);
		fadd(o, CKA_EC_POINT, der, (CK_ULONG)dlen);
		ASN1_OCTET_STRING_free(os);
	}
}

/* A self-signed SM2 certificate for key, signed with the default ID. */
void sm2_fake_cert(int ref, EVP_PKEY *key, unsigned char id)
{
	struct fobj *o = &objs[ref];
	X509 *x = X509_new();
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int len;

	assert_true(x && mctx && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 9));
	assert_true(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					       (const unsigned char *)"sm2 signer", -1, -1, 0));
	assert_true(X509_set_issuer_name(x, X509_get_subject_name(x)) && X509_set_pubkey(x, key));
	assert_true(X509_gmtime_adj(X509_getm_notBefore(x), 0) && X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(EVP_DigestSignInit_ex(mctx, NULL, "SM3", NULL, NULL, key, NULL), 1);
	assert_true(X509_sign_ctx(x, mctx) > 0);
	len = i2d_X509(x, &der);
	assert_true(len > 0);
	fadd_ulong(o, CKA_CLASS, CKO_CERTIFICATE);
	fadd_ulong(o, CKA_CERTIFICATE_TYPE, CKC_X_509);
	fadd_bool(o, CKA_TOKEN, CK_TRUE);
	fadd_bool(o, CKA_PRIVATE, CK_FALSE);
	fadd(o, CKA_ID, &id, 1);
	fadd(o, CKA_VALUE, der, (CK_ULONG)len);
	OPENSSL_free(der);
	EVP_MD_CTX_free(mctx);
	X509_free(x);
}

static CK_RV f_load(const struct ukey_backend_conf *conf, void **drv)
{
	(void)conf;
	*drv = objs;
	return CKR_OK;
}

static void f_unload(void *drv, bool in_child) { (void)drv; (void)in_child; }
static bool f_thread_safe(void *drv) { (void)drv; return true; }

static CK_RV f_devices(void *drv, ukey_dev_id *ids, CK_ULONG *count)
{
	(void)drv;
	if (*count >= 1)
		ids[0] = 7;
	*count = 1;
	return CKR_OK;
}

static CK_RV f_dev_info(void *drv, ukey_dev_id dev, struct ukey_dev_info *info)
{
	(void)drv;
	(void)dev;
	memset(info, 0, sizeof(*info));
	strcpy(info->label, "sm2 fake");
	strcpy(info->manufacturer, "test");
	strcpy(info->model, "SKF-like");
	strcpy(info->serial, "SM2FAKE0001");
	info->token_flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED;
	info->slot_flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
	info->max_pin_len = 16;
	info->user_retries_left = info->user_retries_max = info->so_retries_left = info->so_retries_max = -1;
	return CKR_OK;
}

static const CK_MECHANISM_TYPE fmechs[] = { CKM_SM2, CKM_SM2_ENCRYPT, CKM_SM2_KEY_PAIR_GEN, CKM_ECDSA };

static CK_RV f_mechanisms(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE *list, CK_ULONG *count)
{
	CK_ULONG n = sizeof(fmechs) / sizeof(fmechs[0]);
	(void)drv;
	(void)dev;
	if (list && *count < n)
		return *count = n, CKR_BUFFER_TOO_SMALL;
	if (list)
		memcpy(list, fmechs, sizeof(fmechs));
	*count = n;
	return CKR_OK;
}

static CK_RV f_mechanism_info(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	(void)drv;
	(void)dev;
	/* Sizes as an SKF library might leave them: unset. */
	*info = (CK_MECHANISM_INFO){ 0, 0, CKF_HW | (type == CKM_ECDSA ? CKF_SIGN : 0) };
	if (type == CKM_ECDSA)
		info->ulMinKeySize = 256, info->ulMaxKeySize = 384;
	return CKR_OK;
}

static CK_RV f_objects(void *drv, ukey_dev_id dev, ukey_ref *refs, CK_ULONG *count)
{
	(void)drv;
	(void)dev;
	if (refs && *count < NOBJ)
		return *count = NOBJ, CKR_BUFFER_TOO_SMALL;
	for (CK_ULONG i = 0; refs && i < NOBJ; i++)
		refs[i] = i + 1;
	*count = NOBJ;
	return CKR_OK;
}

static CK_RV f_get_attrs(void *drv, ukey_dev_id dev, ukey_ref ref, CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_RV rv = CKR_OK;
	(void)drv;
	(void)dev;
	if (ref < 1 || ref > NOBJ)
		return CKR_OBJECT_HANDLE_INVALID;
	for (CK_ULONG i = 0; i < n; i++) {
		const CK_ATTRIBUTE *a = NULL;
		for (CK_ULONG j = 0; j < objs[ref].n; j++)
			if (objs[ref].attrs[j].type == t[i].type)
				a = &objs[ref].attrs[j];
		if (!a) {
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_ATTRIBUTE_TYPE_INVALID;
		} else if (t[i].pValue && t[i].ulValueLen < a->ulValueLen) {
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			if (t[i].pValue)
				memcpy(t[i].pValue, a->pValue, a->ulValueLen);
			t[i].ulValueLen = a->ulValueLen;
		}
	}
	return rv;
}

/* SKF_ECCSignData: a raw e in, r||s out; ECDSA for the P-256 key. */
static CK_RV f_sign(void *drv, ukey_dev_id dev, ukey_ref key, const CK_MECHANISM *mech, const CK_BYTE *in,
		    CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen)
{
	EVP_PKEY *k = key >= 1 && key <= NOBJ ? objs[key].key : NULL;
	unsigned char der[80];
	size_t derlen = sizeof(der);
	EVP_PKEY_CTX *ctx;
	(void)drv;
	(void)dev;
	if (!k || (mech->mechanism == CKM_SM2) != (k != p256) || *outlen < 64)
		return CKR_KEY_TYPE_INCONSISTENT;
	if (mech->mechanism == CKM_SM2 && inlen != 32)
		return CKR_DATA_LEN_RANGE;
	if (mech->mechanism == CKM_SM2)
		memcpy(sm2_fake_last_e, in, 32);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, der, &derlen, in, inlen), 1);
	EVP_PKEY_CTX_free(ctx);
	sm2_der_to_rs(der, derlen, out);
	*outlen = 64;
	return CKR_OK;
}

/* SKF_ECCDecrypt. A failed C3 check comes back as a general error. */
static CK_RV f_decrypt(void *drv, ukey_dev_id dev, ukey_ref key, const CK_MECHANISM *mech, const CK_BYTE *in,
		       CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen)
{
	EVP_PKEY *k = key >= 1 && key <= NOBJ ? objs[key].key : NULL;
	EVP_PKEY_CTX *ctx;
	size_t olen = *outlen;
	int ok;
	(void)drv;
	(void)dev;
	sm2_fake_decrypt_calls++;
	if (!k || k == p256 || mech->mechanism != CKM_SM2_ENCRYPT)
		return CKR_KEY_TYPE_INCONSISTENT;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
	ok = EVP_PKEY_decrypt(ctx, out, &olen, in, inlen);
	EVP_PKEY_CTX_free(ctx);
	*outlen = (CK_ULONG)olen;
	return ok == 1 ? CKR_OK : CKR_GENERAL_ERROR;
}

static CK_RV f_random(void *drv, ukey_dev_id dev, CK_BYTE *out, CK_ULONG len)
{
	(void)drv;
	(void)dev;
	return RAND_bytes(out, (int)len) == 1 ? CKR_OK : CKR_DEVICE_ERROR;
}

static CK_RV f_login(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	(void)drv, (void)dev, (void)user, (void)pin, (void)len;
	return CKR_OK;
}

static CK_RV f_logout(void *drv, ukey_dev_id dev)
{
	(void)drv, (void)dev;
	return CKR_OK;
}

static const struct ukey_driver_ops fake = {
	.name = "fake", .load = f_load, .unload = f_unload, .thread_safe = f_thread_safe,
	.devices = f_devices, .dev_info = f_dev_info, .mechanisms = f_mechanisms,
	.mechanism_info = f_mechanism_info, .login = f_login, .logout = f_logout, .objects = f_objects,
	.get_attrs = f_get_attrs, .sign = f_sign, .decrypt = f_decrypt, .random = f_random,
};

const struct ukey_driver_ops *ukey_driver_find(const char *name)
{
	return strcmp(name, "fake") == 0 ? &fake : NULL;
}

void sm2_fake_free(void)
{
	for (int r = 1; r <= NOBJ; r++) {
		for (CK_ULONG i = 0; i < objs[r].n; i++)
			free(objs[r].attrs[i].pValue);
		objs[r].n = 0;
	}
}
