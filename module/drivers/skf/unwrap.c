/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CKM_UKEY_ENVELOPED_KEY_PAIR on an SKF backend: the sm2-envelope-v1
 * envelope is exactly GM/T 0016's SKF_ENVELOPEDKEYBLOB, which
 * SKF_ImportECCKeyPair opens inside the device with the container's
 * signing key and stores as the container's encryption key pair. The
 * skf-rsa-envelope-v1 envelope (RSA containers) is a DER frame around the
 * arguments of SKF_ImportRSAKeyPair, which does the same. The new
 * objects are that pair, with the container's CKA_ID rule (docs/skf.md):
 * the template's CKA_ID and CKA_LABEL cannot be stored.
 *
 * A container's existing encryption pair is never overwritten (renewal
 * keeps old encryption keys); the same pair imported again (a renewal
 * step run twice) succeeds without a device call. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#define UKEY_SKF_INTERNAL
#include "drivers/envelope-check.h"
#include "drivers/skf/skf.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

/* The SAR codes that judge the envelope rather than the device or session. */
static CK_RV import_rv(struct skf_dev *d, const char *fn, SKF_ULONG raw)
{
	CK_RV rv = ukey_skf_note_inlock(d, fn, raw);
	switch (raw) {
	case SAR_INDATAERR:
	case SAR_HASHNOTEQUALERR:
	case SAR_DECRYPTPADERR:
	case SAR_RSADECERR:
	case SAR_FAIL:
		return CKR_WRAPPED_KEY_INVALID;
	case SAR_INDATALENERR:
		return CKR_WRAPPED_KEY_LEN_RANGE;
	case SAR_KEYNOTFOUNTERR:
	case SAR_KEYUSAGEERR:
		return CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
	default:
		return rv;
	}
}

/* The unwrapping key: a container's signing private key, RSA or SM2. */
static CK_RV signing_container(struct skf_dev *d, ukey_ref key, bool rsa, const struct skf_container **c)
{
	enum skf_kind kind;
	int usage;
	ukey_skf_ref_split(key, &kind, &usage);
	*c = kind == SKF_K_PRIV ? ukey_skf_container(d, SKF_REF_ID(key)) : NULL;
	if (!*c || !(*c)->pair[usage].has_key)
		return CKR_UNWRAPPING_KEY_HANDLE_INVALID;
	if (d->login != CKU_USER)
		return CKR_USER_NOT_LOGGED_IN;
	if (usage != SKF_SIGN || (*c)->rsa != rsa)
		return CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
	return CKR_OK;
}

/* One import: the checked envelope, and what names its key pair. */
struct import {
	const struct ukc_envelope *env;
	const SKF_ENVELOPEDKEYBLOB *blob; /* sm2-envelope-v1: a private copy */
	BIGNUM *n, *e;                    /* skf-rsa-envelope-v1: the publicKey */
};

/* The container's encryption pair is the envelope's. */
static bool same_pair(const struct skf_pair *p, const struct import *im)
{
	BIGNUM *n, *e;
	bool same;

	if (!p->has_key)
		return false;
	if (im->blob)
		return memcmp(p->point, im->env->point, UKC_SKF_POINT_LEN) == 0;
	n = BN_bin2bn(p->modulus, (int)p->modlen, NULL);
	e = BN_bin2bn(p->exponent, (int)p->explen, NULL);
	same = n && e && BN_cmp(n, im->n) == 0 && BN_cmp(e, im->e) == 0;
	BN_free(n);
	BN_free(e);
	return same;
}

static CK_RV device_import(struct ukey_skf *s, struct skf_dev *d, SKF_HANDLE h, const struct import *im)
{
	const struct ukc_envelope *env = im->env;

	if (im->blob)
		return import_rv(d, "SKF_ImportECCKeyPair", SKF_RAW(s, SKF_ImportECCKeyPair, h, im->blob));
	return import_rv(d, "SKF_ImportRSAKeyPair",
			 SKF_RAW(s, SKF_ImportRSAKeyPair, h, SGD_SM4_ECB, env->key, (SKF_ULONG)env->key_len, env->data,
				 (SKF_ULONG)env->data_len));
}

static CK_RV import_inlock(struct ukey_skf *s, struct skf_dev *d, ukey_ref key, const struct import *im,
			   ukey_ref *pub_out, ukey_ref *priv_out)
{
	bool rsa = im->blob == NULL;
	const struct skf_container *c;
	char name[SKF_NAME_MAX + 1];
	uint32_t id;
	SKF_HANDLE h = NULL;
	CK_RV rv = ukey_skf_scan_inlock(s, d);

	if (rv == CKR_OK)
		rv = signing_container(d, key, rsa, &c);
	if (rv != CKR_OK)
		return rv;
	id = c->id;
	if (c->pair[SKF_ENC].has_key) {
		if (!same_pair(&c->pair[SKF_ENC], im)) {
			ukey_warn("SKF device %s: container %s has an encryption key pair already; not replaced",
				  d->name, c->name);
			return CKR_ACTION_PROHIBITED;
		}
		goto done;
	}
	if (rsa ? !SKF_HAS(s, SKF_ImportRSAKeyPair) : !SKF_HAS(s, SKF_ImportECCKeyPair))
		return CKR_FUNCTION_NOT_SUPPORTED;
	memcpy(name, c->name, sizeof(name));
	rv = ukey_skf_container_open(s, d, name, &h);
	if (rv != CKR_OK)
		return rv;
	rv = device_import(s, d, h, im);
	ukey_skf_container_close(s, h);
	ukey_skf_container_touched(d, name);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_skf_scan_inlock(s, d);
	c = rv == CKR_OK ? ukey_skf_container(d, id) : NULL;
	/* SKF_ImportECCKeyPair checks the private key against PubKey itself;
	 * SKF_ImportRSAKeyPair compares the key with nothing: a publicKey that
	 * is not the wrapped key's shows here, after the import, and SKF cannot
	 * delete one pair of a container (docs/skf.md): refused, the container
	 * keeps what the device stored. */
	if (rv == CKR_OK && (!c || !same_pair(&c->pair[SKF_ENC], im))) {
		if (rsa)
			ukey_warn("SKF device %s: container %s: the imported RSA pair is not the envelope's publicKey",
				  d->name, name);
		rv = rsa ? CKR_WRAPPED_KEY_INVALID : CKR_FUNCTION_FAILED;
	}
	if (rv != CKR_OK)
		return rv;
	ukey_info("SKF device %s: %sencryption key pair imported into container %s", d->name, rsa ? "RSA " : "",
		  name);
done:
	*pub_out = SKF_REF(SKF_K_PUB, SKF_ENC, id);
	*priv_out = SKF_REF(SKF_K_PRIV, SKF_ENC, id);
	return CKR_OK;
}

CK_RV ukey_skf_unwrap_key_pair(void *drv, ukey_dev_id dev, ukey_ref unwrapping_key, CK_ULONG format,
			       const CK_BYTE *env, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			       ukey_ref *pub_out, ukey_ref *priv_out)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	struct ukc_envelope e;
	struct import im = { &e, NULL, NULL, NULL };
	SKF_ENVELOPEDKEYBLOB *blob = NULL;
	CK_RV rv;

	(void)tmpl; /* class and flags checked by token/; SKF stores no ID or label */
	(void)n;
	if (format != UKEY_ENVELOPE_SM2_V1 && format != UKEY_ENVELOPE_SKF_RSA_V1)
		return CKR_MECHANISM_PARAM_INVALID;
	rv = ukey_driver_envelope_parse(format, env, len, &e);
	if (rv != CKR_OK)
		goto out;
	if (format == UKEY_ENVELOPE_SM2_V1) {
		/* A private copy: the SKF call gets a blob nobody else can change. */
		im.blob = blob = malloc(len);
		if (blob)
			memcpy(blob, env, len);
	}
	if (format == UKEY_ENVELOPE_SM2_V1 ? !blob
					   : !EVP_PKEY_get_bn_param(e.pub, OSSL_PKEY_PARAM_RSA_N, &im.n) ||
						     !EVP_PKEY_get_bn_param(e.pub, OSSL_PKEY_PARAM_RSA_E, &im.e))
		rv = CKR_HOST_MEMORY;
	else
		rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		goto out;
	rv = import_inlock(s, d, unwrapping_key, &im, pub_out, priv_out);
	ukey_skf_dev_unlock(d);
out:
	free(blob);
	BN_free(im.n);
	BN_free(im.e);
	ukc_envelope_clear(&e);
	return rv;
}
