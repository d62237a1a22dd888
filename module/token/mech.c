/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The consumer-visible mechanism table. Each entry names the backend
 * mechanism it needs; what we add in software (hashing, DigestInfo) lets a
 * backend that only signs digests offer the whole hash-and-sign family, so
 * every hash-and-sign entry goes raw through the backend, even where the
 * backend has the combined mechanism itself (SoftHSM 2.6 lacks ECDSA-SHA*).
 *
 * SM2/SM3 numbers are vendor-defined (module/include/ukey-pkcs11.h,
 * docs/mechanisms.md): SM3-SM2 hashes Z || M with SM3 in software and signs
 * the 32-byte e with the backend's raw CKM_SM2, as ECDSA-SHA* do. */
#include "config.h"

#include <string.h>

#include "token/backend.h"
#include "token/crypto.h"
#include "token/model.h"
#include "token/pass.h"
#include "token/slot.h"
#include "token/unwrap.h"

#define SV (CKF_SIGN | CKF_VERIFY)
#define ED (CKF_ENCRYPT | CKF_DECRYPT)
#define EC_FLAGS (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)
#define NOKEY UKEY_KEY_TYPE_NONE

static const struct ukey_mech mech_table[] = {
	/* RSA PKCS#1 v1.5: raw input is the DigestInfo */
	{ CKM_RSA_PKCS, CKM_RSA_PKCS, NULL, CKK_RSA, SV | ED, UKEY_SOFT_NONE, 0 },
	{ CKM_SHA1_RSA_PKCS, CKM_RSA_PKCS, "SHA1", CKK_RSA, SV, UKEY_SOFT_DIGESTINFO, CKM_SHA_1 },
	{ CKM_SHA224_RSA_PKCS, CKM_RSA_PKCS, "SHA224", CKK_RSA, SV, UKEY_SOFT_DIGESTINFO, CKM_SHA224 },
	{ CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS, "SHA256", CKK_RSA, SV, UKEY_SOFT_DIGESTINFO, CKM_SHA256 },
	{ CKM_SHA384_RSA_PKCS, CKM_RSA_PKCS, "SHA384", CKK_RSA, SV, UKEY_SOFT_DIGESTINFO, CKM_SHA384 },
	{ CKM_SHA512_RSA_PKCS, CKM_RSA_PKCS, "SHA512", CKK_RSA, SV, UKEY_SOFT_DIGESTINFO, CKM_SHA512 },
	/* RSA PSS: raw input is the hash named by the parameters */
	{ CKM_RSA_PKCS_PSS, CKM_RSA_PKCS_PSS, NULL, CKK_RSA, SV, UKEY_SOFT_NONE, 0 },
	{ CKM_SHA1_RSA_PKCS_PSS, CKM_RSA_PKCS_PSS, "SHA1", CKK_RSA, SV, UKEY_SOFT_HASH, CKM_SHA_1 },
	{ CKM_SHA224_RSA_PKCS_PSS, CKM_RSA_PKCS_PSS, "SHA224", CKK_RSA, SV, UKEY_SOFT_HASH, CKM_SHA224 },
	{ CKM_SHA256_RSA_PKCS_PSS, CKM_RSA_PKCS_PSS, "SHA256", CKK_RSA, SV, UKEY_SOFT_HASH, CKM_SHA256 },
	{ CKM_SHA384_RSA_PKCS_PSS, CKM_RSA_PKCS_PSS, "SHA384", CKK_RSA, SV, UKEY_SOFT_HASH, CKM_SHA384 },
	{ CKM_SHA512_RSA_PKCS_PSS, CKM_RSA_PKCS_PSS, "SHA512", CKK_RSA, SV, UKEY_SOFT_HASH, CKM_SHA512 },
	/* RSA OAEP: encryption in software, decryption on the device */
	{ CKM_RSA_PKCS_OAEP, CKM_RSA_PKCS_OAEP, NULL, CKK_RSA, ED, UKEY_SOFT_NONE, 0 },
	/* ECDSA: raw input is a hash, output r||s */
	{ CKM_ECDSA, CKM_ECDSA, NULL, CKK_EC, SV | EC_FLAGS, UKEY_SOFT_NONE, 0 },
	{ CKM_ECDSA_SHA1, CKM_ECDSA, "SHA1", CKK_EC, SV | EC_FLAGS, UKEY_SOFT_HASH, CKM_SHA_1 },
	{ CKM_ECDSA_SHA224, CKM_ECDSA, "SHA224", CKK_EC, SV | EC_FLAGS, UKEY_SOFT_HASH, CKM_SHA224 },
	{ CKM_ECDSA_SHA256, CKM_ECDSA, "SHA256", CKK_EC, SV | EC_FLAGS, UKEY_SOFT_HASH, CKM_SHA256 },
	{ CKM_ECDSA_SHA384, CKM_ECDSA, "SHA384", CKK_EC, SV | EC_FLAGS, UKEY_SOFT_HASH, CKM_SHA384 },
	{ CKM_ECDSA_SHA512, CKM_ECDSA, "SHA512", CKK_EC, SV | EC_FLAGS, UKEY_SOFT_HASH, CKM_SHA512 },
	/* SM2 (GM/T 0009): raw e in, r||s out; SM3 over Z || M; DER SM2Cipher */
	{ CKM_SM2, CKM_SM2, NULL, CKK_SM2, SV, UKEY_SOFT_NONE, 0 },
	{ CKM_SM3_SM2, CKM_SM2, "SM3", CKK_SM2, SV, UKEY_SOFT_SM2_Z, CKM_SM3 },
	{ CKM_SM2_ENCRYPT, CKM_SM2_ENCRYPT, NULL, CKK_SM2, ED, UKEY_SOFT_NONE, 0 },
	/* digests: software only, offered on every slot */
	{ CKM_SHA_1, 0, "SHA1", NOKEY, CKF_DIGEST, UKEY_SOFT_DIGEST, CKM_SHA_1 },
	{ CKM_SHA224, 0, "SHA224", NOKEY, CKF_DIGEST, UKEY_SOFT_DIGEST, CKM_SHA224 },
	{ CKM_SHA256, 0, "SHA256", NOKEY, CKF_DIGEST, UKEY_SOFT_DIGEST, CKM_SHA256 },
	{ CKM_SHA384, 0, "SHA384", NOKEY, CKF_DIGEST, UKEY_SOFT_DIGEST, CKM_SHA384 },
	{ CKM_SHA512, 0, "SHA512", NOKEY, CKF_DIGEST, UKEY_SOFT_DIGEST, CKM_SHA512 },
	{ CKM_SM3, 0, "SM3", NOKEY, CKF_DIGEST, UKEY_SOFT_DIGEST, CKM_SM3 },
	/* key-pair generation: listed here, done by the core through the driver */
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, CKK_RSA, CKF_GENERATE_KEY_PAIR,
	  UKEY_SOFT_KEYGEN, 0 },
	{ CKM_EC_KEY_PAIR_GEN, CKM_EC_KEY_PAIR_GEN, NULL, CKK_EC, CKF_GENERATE_KEY_PAIR | EC_FLAGS,
	  UKEY_SOFT_KEYGEN, 0 },
	{ CKM_SM2_KEY_PAIR_GEN, CKM_SM2_KEY_PAIR_GEN, NULL, CKK_SM2, CKF_GENERATE_KEY_PAIR, UKEY_SOFT_KEYGEN, 0 },
	/* enveloped key pairs (token/unwrap.c): offered by unwrap_offered() */
	{ CKM_UKEY_ENVELOPED_KEY_PAIR, 0, NULL, NOKEY, CKF_UNWRAP, UKEY_SOFT_NONE, 0 },
};

#define MECH_COUNT (sizeof(mech_table) / sizeof(mech_table[0]))

const struct ukey_mech *ukey_mech_table(size_t *count)
{
	*count = MECH_COUNT;
	return mech_table;
}

const struct ukey_mech *ukey_mech_lookup(CK_MECHANISM_TYPE type)
{
	for (size_t i = 0; i < MECH_COUNT; i++)
		if (mech_table[i].type == type)
			return &mech_table[i];
	return NULL;
}

/* CKM_UKEY_ENVELOPED_KEY_PAIR: the driver imports envelopes, and the backend
 * has what opening one of the formats takes: RSA-OAEP or ECDH, with AES key
 * wrap with padding (p11: rsa-oaep-aes-v1, ecdh-aes-v1); SM2 decryption
 * (skf: sm2-envelope-v1); RSA on an SKF device (skf-rsa-envelope-v1). The
 * same rules per format are token/unwrap.c's ukey_unwrap_format_offered(). */
static bool unwrap_offered(const struct ukey_slot *slot)
{
	if (!ukey_be_can(slot, UKEY_BE_UNWRAP_PAIR))
		return false;
	for (CK_ULONG f = UKEY_ENVELOPE_SM2_V1; f <= UKEY_ENVELOPE_SKF_RSA_V1; f++)
		if (ukey_unwrap_format_offered(slot, f))
			return true;
	return false;
}

bool ukey_mech_offered(const struct ukey_slot *slot, const struct ukey_mech *m)
{
	if (m->type == CKM_UKEY_ENVELOPED_KEY_PAIR)
		return unwrap_offered(slot);
	if (m->soft == UKEY_SOFT_DIGEST)
		return true;
	return ukey_slot_backend_has(slot, m->backend);
}

CK_RV ukey_mech_list_inlock(const struct ukey_slot *slot, CK_MECHANISM_TYPE *list, CK_ULONG *count)
{
	CK_ULONG n = 0;
	CK_RV rv = CKR_OK;

	for (size_t i = 0; i < MECH_COUNT; i++) {
		if (!ukey_mech_offered(slot, &mech_table[i]))
			continue;
		if (list && n < *count)
			list[n] = mech_table[i].type;
		else if (list)
			rv = CKR_BUFFER_TOO_SMALL;
		n++;
	}
	n = ukey_pass_mech_list_inlock(slot, list, *count, n, &rv);
	*count = n;
	return rv;
}

CK_RV ukey_mech_info_unlocked(struct ukey_slot *slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	const struct ukey_mech *m = ukey_mech_lookup(type);
	CK_MECHANISM_INFO binfo;
	CK_RV rv;

	if (!m)
		return ukey_pass_mech_info_unlocked(slot, type, info);
	if (!ukey_mech_offered(slot, m))
		return CKR_MECHANISM_INVALID;
	memset(info, 0, sizeof(*info));
	info->flags = m->flags;
	if (m->soft == UKEY_SOFT_DIGEST || m->type == CKM_UKEY_ENVELOPED_KEY_PAIR)
		return CKR_OK;
	memset(&binfo, 0, sizeof(binfo));
	rv = ukey_be_mechanism_info(slot, m->backend, &binfo);
	if (rv != CKR_OK)
		return rv;
	info->ulMinKeySize = binfo.ulMinKeySize;
	info->ulMaxKeySize = binfo.ulMaxKeySize;
	/* SM2 has one curve; SKF libraries report sizes inconsistently. */
	if (m->key_type == CKK_SM2)
		info->ulMinKeySize = info->ulMaxKeySize = 8 * UKEY_SM2_FIELD_BYTES;
	/* Only the backend knows whether its keys live in hardware. */
	info->flags |= binfo.flags & CKF_HW;
	/* What the backend does with it beyond the table (CKM_RSA_PKCS: wrap). */
	info->flags |= ukey_pass_extra_flags(slot, type, binfo.flags);
	return CKR_OK;
}
