/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The skf driver's private-key operations: CKM_SM2 (SKF_ECCSignData over
 * the 32-byte e token/ computed), CKM_RSA_PKCS (SKF_RSASignData over the
 * DigestInfo) with the signing key, and CKM_SM2_ENCRYPT decryption
 * (SKF_ECCDecrypt) with the encryption key. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "sm2cipher.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

/* The container of a private-key ref of the given usage (d->lock held). */
static CK_RV private_key(struct skf_dev *d, ukey_ref key, int want_usage, const struct skf_container **c)
{
	enum skf_kind kind;
	int usage;
	ukey_skf_ref_split(key, &kind, &usage);
	*c = kind == SKF_K_PRIV ? ukey_skf_container(d, SKF_REF_ID(key)) : NULL;
	if (!*c || !(*c)->pair[usage].has_key)
		return CKR_KEY_HANDLE_INVALID;
	if (d->login != CKU_USER)
		return CKR_USER_NOT_LOGGED_IN;
	return usage == want_usage ? CKR_OK : CKR_KEY_FUNCTION_NOT_PERMITTED;
}

static CK_RV sign_sm2(struct ukey_skf *s, struct skf_dev *d, SKF_HANDLE h, const CK_BYTE *in, CK_ULONG inlen,
		      CK_BYTE *out, CK_ULONG *outlen)
{
	SKF_ECCSIGNATUREBLOB sig;
	const char *why = NULL;
	CK_RV rv;
	if (inlen != 32)
		return CKR_DATA_LEN_RANGE;
	if (*outlen < 64) {
		*outlen = 64;
		return CKR_BUFFER_TOO_SMALL;
	}
	memset(&sig, 0, sizeof(sig));
	rv = ukey_skf_note_inlock(d, "SKF_ECCSignData", SKF_RAW(s, SKF_ECCSignData, h, in, 32, &sig));
	if (rv == CKR_OK && ukc_skf_ecc_sig_unpack(&sig, out, &why) != 0) {
		ukey_warn("SKF device %s: SKF_ECCSignData: %s", d->name, why);
		rv = CKR_DEVICE_ERROR;
	}
	if (rv == CKR_OK)
		*outlen = 64;
	return rv;
}

static CK_RV sign_rsa(struct ukey_skf *s, struct skf_dev *d, SKF_HANDLE h, size_t k, const CK_BYTE *in,
		      CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen)
{
	SKF_ULONG len = (SKF_ULONG)k;
	CK_RV rv;
	if (inlen == 0 || inlen + 11 > k)
		return CKR_DATA_LEN_RANGE;
	if (*outlen < k) {
		*outlen = k;
		return CKR_BUFFER_TOO_SMALL;
	}
	rv = ukey_skf_note_inlock(d, "SKF_RSASignData", SKF_RAW(s, SKF_RSASignData, h, in, (SKF_ULONG)inlen, out, &len));
	if (rv != CKR_OK)
		return rv;
	if (len == 0 || len > k) {
		ukey_warn("SKF_RSASignData gave %u bytes for a %zu-byte key", (unsigned)len, k);
		return CKR_DEVICE_ERROR;
	}
	/* Some libraries drop the signature's leading zero bytes. */
	if (len < k) {
		memmove(out + (k - len), out, len);
		memset(out, 0, k - len);
	}
	*outlen = k;
	return CKR_OK;
}

CK_RV ukey_skf_sign(void *drv, ukey_dev_id dev, ukey_ref key, const CK_MECHANISM *mech, const CK_BYTE *in,
		    CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen)
{
	struct ukey_skf *s = drv;
	const struct skf_container *c;
	struct skf_dev *d;
	SKF_HANDLE h = NULL;
	CK_RV rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	rv = private_key(d, key, SKF_SIGN, &c);
	if (rv != CKR_OK)
		goto out;
	if ((mech->mechanism == CKM_SM2 && c->rsa) || (mech->mechanism == CKM_RSA_PKCS && !c->rsa)) {
		rv = CKR_KEY_TYPE_INCONSISTENT;
		goto out;
	}
	if (mech->mechanism != CKM_SM2 && mech->mechanism != CKM_RSA_PKCS) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	rv = ukey_skf_container_open(s, d, c->name, &h);
	if (rv != CKR_OK)
		goto out;
	if (mech->mechanism == CKM_SM2)
		rv = sign_sm2(s, d, h, in, inlen, out, outlen);
	else
		rv = sign_rsa(s, d, h, c->pair[SKF_SIGN].modlen, in, inlen, out, outlen);
	ukey_skf_container_close(s, h);
out:
	ukey_skf_dev_unlock(d);
	return rv;
}

CK_RV ukey_skf_decrypt(void *drv, ukey_dev_id dev, ukey_ref key, const CK_MECHANISM *mech, const CK_BYTE *in,
		       CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen)
{
	struct ukey_skf *s = drv;
	const struct skf_container *c;
	struct skf_dev *d;
	SKF_ECCCIPHERBLOB *blob = NULL;
	size_t bloblen = 0;
	const char *why = NULL;
	SKF_HANDLE h = NULL;
	SKF_ULONG len;
	CK_RV rv;
	if (mech->mechanism != CKM_SM2_ENCRYPT)
		return CKR_MECHANISM_INVALID;
	rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	rv = private_key(d, key, SKF_ENC, &c);
	if (rv == CKR_OK && c->rsa)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	if (rv == CKR_OK && !SKF_HAS(s, SKF_ECCDecrypt))
		rv = CKR_MECHANISM_INVALID;
	if (rv != CKR_OK)
		goto out;
	if (ukc_sm2cipher_to_skf(in, inlen, &blob, &bloblen, &why) != 0) {
		ukey_warn("SM2 ciphertext is not a DER SM2Cipher (%lu bytes): %s", (unsigned long)inlen, why);
		rv = CKR_ENCRYPTED_DATA_INVALID;
		goto out;
	}
	if (*outlen < blob->CipherLen) {
		*outlen = blob->CipherLen;
		rv = CKR_BUFFER_TOO_SMALL;
		goto out;
	}
	rv = ukey_skf_container_open(s, d, c->name, &h);
	if (rv != CKR_OK)
		goto out;
	len = (SKF_ULONG)(*outlen > UINT32_MAX ? UINT32_MAX : *outlen);
	rv = ukey_skf_note_inlock(d, "SKF_ECCDecrypt", SKF_RAW(s, SKF_ECCDecrypt, h, blob, out, &len));
	ukey_skf_container_close(s, h);
	if (rv == CKR_OK && len > *outlen)
		rv = CKR_DEVICE_ERROR;
	if (rv == CKR_OK)
		*outlen = len;
out:
	if (blob)
		OPENSSL_clear_free(blob, bloblen);
	ukey_skf_dev_unlock(d);
	return rv;
}
