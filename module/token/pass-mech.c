/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend mechanisms that pass through (pass.h): each entry says for
 * which functions. A mechanism is offered when the slot's driver passes
 * through and its backend lists the mechanism; C_GetMechanismInfo gives
 * the backend's flags limited to these functions, so the list says what
 * works through the module. Vendor-defined numbers (a vendor's SM4) are
 * not here: PKCS#11 has none for SM4 and vendors disagree
 * (docs/mechanisms.md). */
#include "config.h"

#include <string.h>

#include "token/backend.h"
#include "token/crypto.h"
#include "token/model.h"
#include "token/pass.h"
#include "token/slot.h"

#define ED (CKF_ENCRYPT | CKF_DECRYPT)
#define SV (CKF_SIGN | CKF_VERIFY)
#define WU (CKF_WRAP | CKF_UNWRAP)
#define REC (CKF_SIGN_RECOVER | CKF_VERIFY_RECOVER)
#define GEN CKF_GENERATE

static const struct {
	CK_MECHANISM_TYPE type;
	CK_FLAGS flags;
} pass_table[] = {
	/* RSA: what mech.c's entries (software padding, hashing) leave out */
	{ CKM_RSA_PKCS, REC | WU },
	{ CKM_RSA_X_509, SV | ED | REC | WU },
	{ CKM_RSA_PKCS_OAEP, WU },
	/* AES */
	{ CKM_AES_KEY_GEN, GEN },
	{ CKM_AES_ECB, ED | WU },
	{ CKM_AES_CBC, ED | WU },
	{ CKM_AES_CBC_PAD, ED | WU },
	{ CKM_AES_CTR, ED | WU },
	{ CKM_AES_CTS, ED | WU },
	{ CKM_AES_OFB, ED | WU },
	{ CKM_AES_CFB8, ED | WU },
	{ CKM_AES_CFB64, ED | WU },
	{ CKM_AES_CFB128, ED | WU },
	{ CKM_AES_GCM, ED | WU },
	{ CKM_AES_CCM, ED | WU },
	{ CKM_AES_MAC, SV },
	{ CKM_AES_MAC_GENERAL, SV },
	{ CKM_AES_CMAC, SV },
	{ CKM_AES_CMAC_GENERAL, SV },
	{ CKM_AES_KEY_WRAP, ED | WU },
	{ CKM_AES_KEY_WRAP_PAD, ED | WU },
	/* DES and triple DES */
	{ CKM_DES_KEY_GEN, GEN },
	{ CKM_DES2_KEY_GEN, GEN },
	{ CKM_DES3_KEY_GEN, GEN },
	{ CKM_DES_ECB, ED | WU },
	{ CKM_DES_CBC, ED | WU },
	{ CKM_DES_CBC_PAD, ED | WU },
	{ CKM_DES3_ECB, ED | WU },
	{ CKM_DES3_CBC, ED | WU },
	{ CKM_DES3_CBC_PAD, ED | WU },
	{ CKM_DES3_MAC, SV },
	{ CKM_DES3_MAC_GENERAL, SV },
	{ CKM_DES3_CMAC, SV },
	{ CKM_DES3_CMAC_GENERAL, SV },
	/* HMAC on generic secrets */
	{ CKM_GENERIC_SECRET_KEY_GEN, GEN },
	{ CKM_MD5_HMAC, SV },
	{ CKM_SHA_1_HMAC, SV },
	{ CKM_SHA_1_HMAC_GENERAL, SV },
	{ CKM_SHA224_HMAC, SV },
	{ CKM_SHA224_HMAC_GENERAL, SV },
	{ CKM_SHA256_HMAC, SV },
	{ CKM_SHA256_HMAC_GENERAL, SV },
	{ CKM_SHA384_HMAC, SV },
	{ CKM_SHA384_HMAC_GENERAL, SV },
	{ CKM_SHA512_HMAC, SV },
	{ CKM_SHA512_HMAC_GENERAL, SV },
};

#define PASS_COUNT (sizeof(pass_table) / sizeof(pass_table[0]))

CK_FLAGS ukey_pass_mech_flags(CK_MECHANISM_TYPE type)
{
	for (size_t i = 0; i < PASS_COUNT; i++)
		if (pass_table[i].type == type)
			return pass_table[i].flags;
	return 0;
}

static bool driver_passes(const struct ukey_slot *slot)
{
	return ukey_be_can(slot, UKEY_BE_PASS);
}

bool ukey_pass_offered(const struct ukey_slot *slot, CK_MECHANISM_TYPE type, CK_FLAGS fn)
{
	return driver_passes(slot) && (ukey_pass_mech_flags(type) & fn) && ukey_slot_backend_has(slot, type);
}

CK_ULONG ukey_pass_mech_list_inlock(const struct ukey_slot *slot, CK_MECHANISM_TYPE *list, CK_ULONG cap,
				    CK_ULONG n, CK_RV *rv)
{
	if (!driver_passes(slot))
		return n;
	for (size_t i = 0; i < PASS_COUNT; i++) {
		CK_MECHANISM_TYPE t = pass_table[i].type;
		/* mech.c lists its own entries already. */
		if (ukey_mech_lookup(t) || !ukey_slot_backend_has(slot, t))
			continue;
		if (list && n < cap)
			list[n] = t;
		else if (list)
			*rv = CKR_BUFFER_TOO_SMALL;
		n++;
	}
	return n;
}

CK_RV ukey_pass_mech_info_unlocked(struct ukey_slot *slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	CK_FLAGS ours = ukey_pass_mech_flags(type);
	CK_RV rv;

	if (!ours || !ukey_pass_offered(slot, type, ours))
		return CKR_MECHANISM_INVALID;
	rv = ukey_be_mechanism_info(slot, type, info);
	if (rv != CKR_OK)
		return rv;
	/* What the backend does, of what passes through, plus CKF_HW. */
	info->flags &= ours | CKF_HW;
	return CKR_OK;
}

CK_FLAGS ukey_pass_extra_flags(const struct ukey_slot *slot, CK_MECHANISM_TYPE type, CK_FLAGS backend_flags)
{
	return driver_passes(slot) ? backend_flags & ukey_pass_mech_flags(type) : 0;
}
