/* CKM_UKEY_ENVELOPED_KEY_PAIR on an SKF backend: the sm2-envelope-v1
 * envelope is exactly GM/T 0016's SKF_ENVELOPEDKEYBLOB, which
 * SKF_ImportECCKeyPair opens inside the device with the container's
 * signing key and stores as the container's encryption key pair. The new
 * objects are that pair, with the container's CKA_ID rule (docs/skf.md):
 * the template's CKA_ID and CKA_LABEL cannot be stored.
 *
 * A container's existing encryption pair is never overwritten (renewal
 * keeps old encryption keys); the same pair imported again (a renewal
 * step run twice) succeeds without a device call. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

#define SM2_ENV_CIPHER_LEN 16
#define SM2_ENV_LEN (offsetof(SKF_ENVELOPEDKEYBLOB, ECCCipherBlob) + SKF_ECCCIPHERBLOB_HEADER + SM2_ENV_CIPHER_LEN)

/* The header fields GM/T 0016 fixes for an SM2 pair under SM4, and the
 * encryption public key as a point (which must lie on the curve). */
static CK_RV env_check(const SKF_ENVELOPEDKEYBLOB *env, CK_ULONG len, uint8_t point[UKEY_SKF_POINT_LEN])
{
	if (len != SM2_ENV_LEN || env->ECCCipherBlob.CipherLen != SM2_ENV_CIPHER_LEN)
		return CKR_WRAPPED_KEY_LEN_RANGE;
	if (env->Version != 1 || env->ulSymmAlgID != SGD_SM4_ECB || env->ulBits != 256)
		return CKR_WRAPPED_KEY_INVALID;
	if (ukey_skf_blob_ecc_pub_decode((const uint8_t *)&env->PubKey, sizeof(env->PubKey), point) != 0)
		return CKR_WRAPPED_KEY_INVALID;
	return CKR_OK;
}

/* The SAR codes that judge the envelope rather than the device or session. */
static CK_RV import_rv(struct skf_dev *d, SKF_ULONG raw)
{
	CK_RV rv = ukey_skf_note_inlock(d, "SKF_ImportECCKeyPair", raw);
	switch (raw) {
	case SAR_INDATAERR:
	case SAR_HASHNOTEQUALERR:
	case SAR_DECRYPTPADERR:
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

/* The unwrapping key: a container's SM2 signing private key. */
static CK_RV signing_container(struct skf_dev *d, ukey_ref key, const struct skf_container **c)
{
	enum skf_kind kind;
	int usage;
	ukey_skf_ref_split(key, &kind, &usage);
	*c = kind == SKF_K_PRIV ? ukey_skf_container(d, SKF_REF_ID(key)) : NULL;
	if (!*c || !(*c)->pair[usage].has_key)
		return CKR_UNWRAPPING_KEY_HANDLE_INVALID;
	if (d->login != CKU_USER)
		return CKR_USER_NOT_LOGGED_IN;
	if (usage != SKF_SIGN || (*c)->rsa)
		return CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
	return CKR_OK;
}

static CK_RV import_inlock(struct ukey_skf *s, struct skf_dev *d, ukey_ref key, const SKF_ENVELOPEDKEYBLOB *env,
			   const uint8_t point[UKEY_SKF_POINT_LEN], ukey_ref *pub_out, ukey_ref *priv_out)
{
	const struct skf_container *c;
	char name[SKF_NAME_MAX + 1];
	uint32_t id;
	SKF_HANDLE h = NULL;
	CK_RV rv = ukey_skf_scan_inlock(s, d);

	if (rv == CKR_OK)
		rv = signing_container(d, key, &c);
	if (rv != CKR_OK)
		return rv;
	id = c->id;
	if (c->pair[SKF_ENC].has_key) {
		if (memcmp(c->pair[SKF_ENC].point, point, UKEY_SKF_POINT_LEN) != 0) {
			ukey_warn("SKF device %s: container %s has an encryption key pair already; not replaced",
				  d->name, c->name);
			return CKR_ACTION_PROHIBITED;
		}
		goto done;
	}
	if (!SKF_HAS(s, SKF_ImportECCKeyPair))
		return CKR_FUNCTION_NOT_SUPPORTED;
	memcpy(name, c->name, sizeof(name));
	rv = ukey_skf_container_open(s, d, name, &h);
	if (rv != CKR_OK)
		return rv;
	rv = import_rv(d, SKF_RAW(s, SKF_ImportECCKeyPair, h, env));
	ukey_skf_container_close(s, h);
	if (rv != CKR_OK)
		return rv;
	ukey_info("SKF device %s: encryption key pair imported into container %s", d->name, name);
	rv = ukey_skf_scan_inlock(s, d);
	c = rv == CKR_OK ? ukey_skf_container(d, id) : NULL;
	if (rv == CKR_OK && (!c || !c->pair[SKF_ENC].has_key ||
			     memcmp(c->pair[SKF_ENC].point, point, UKEY_SKF_POINT_LEN) != 0))
		rv = CKR_FUNCTION_FAILED;
	if (rv != CKR_OK)
		return rv;
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
	SKF_ENVELOPEDKEYBLOB *blob = NULL;
	uint8_t point[UKEY_SKF_POINT_LEN];
	CK_RV rv;

	(void)tmpl; /* class and flags checked by token/; SKF stores no ID or label */
	(void)n;
	if (format != UKEY_ENVELOPE_SM2_V1)
		return CKR_MECHANISM_PARAM_INVALID;
	if (len != SM2_ENV_LEN)
		return CKR_WRAPPED_KEY_LEN_RANGE;
	/* A private copy: the SKF call gets a blob nobody else can change. */
	blob = malloc(SM2_ENV_LEN);
	if (!blob)
		return CKR_HOST_MEMORY;
	memcpy(blob, env, SM2_ENV_LEN);
	rv = env_check(blob, len, point);
	if (rv != CKR_OK)
		goto out;
	rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		goto out;
	rv = import_inlock(s, d, unwrapping_key, blob, point, pub_out, priv_out);
	ukey_skf_dev_unlock(d);
out:
	free(blob);
	return rv;
}
