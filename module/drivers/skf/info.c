/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What an SKF device says about itself: DEVINFO and PIN counters as token
 * info, its mechanisms (by AlgAsymCap and the functions the library has),
 * and random bytes. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

#define SKF_CAP_SM2 0x00020000u
#define SKF_RANDOM_CHUNK 256

/* A fixed DEVINFO text field (NUL-terminated or full) → a trimmed C string
 * of at most dstlen - 1 bytes. keep_tail keeps the end of a long value. */
static void skf_text(char *dst, size_t dstlen, const char *src, size_t srclen, bool keep_tail)
{
	size_t n = strnlen(src, srclen), start = 0;
	while (start < n && (src[start] == ' ' || src[start] == '\0'))
		start++;
	while (n > start && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	n -= start;
	if (n > dstlen - 1) {
		if (keep_tail)
			start += n - (dstlen - 1);
		n = dstlen - 1;
	}
	memcpy(dst, src + start, n);
	dst[n] = '\0';
}

#define SKF_TEXT(dst, src, tail) skf_text((dst), sizeof(dst), (src), sizeof(src), (tail))

/* One PIN's counters → CKF_* flags (user or SO family). */
static CK_FLAGS pin_flags(struct ukey_skf *s, struct skf_dev *d, SKF_ULONG type, long *left, long *max)
{
	SKF_ULONG maxc = 0, remain = 0;
	SKF_BOOL_OUT deflt = 0;   /* wide and zeroed: BOOL is int or long */
	bool user = type == SKF_USER_TYPE;
	CK_FLAGS f = 0;
	*left = *max = -1;
	if (SKF_RAW(s, SKF_GetPINInfo, d->happ, type, &maxc, &remain, &deflt) != SAR_OK)
		return 0;
	*left = (long)remain;
	*max = (long)maxc;
	if (remain == 0)
		f |= user ? CKF_USER_PIN_LOCKED : CKF_SO_PIN_LOCKED;
	else if (remain == 1)
		f |= user ? CKF_USER_PIN_FINAL_TRY : CKF_SO_PIN_FINAL_TRY;
	else if (remain < maxc)
		f |= user ? CKF_USER_PIN_COUNT_LOW : CKF_SO_PIN_COUNT_LOW;
	if (deflt)
		f |= user ? CKF_USER_PIN_TO_BE_CHANGED : CKF_SO_PIN_TO_BE_CHANGED;
	return f;
}

CK_RV ukey_skf_dev_info(void *drv, ukey_dev_id dev, struct ukey_dev_info *info)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	SKF_DEVINFO di;
	CK_RV rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	/* DEVINFO as read at connect (it does not change while connected);
	 * the PIN counters below are asked every time. */
	di = d->devinfo;
	memset(info, 0, sizeof(*info));
	SKF_TEXT(info->label, di.Label, false);
	SKF_TEXT(info->manufacturer, di.Manufacturer, false);
	SKF_TEXT(info->model, di.Issuer, false);
	if (!info->model[0])
		strcpy(info->model, "SKF U-KEY");
	/* The medium number; only 16 characters fit CK_TOKEN_INFO, and the
	 * renewal guide asks for its last digits, so a longer one keeps its
	 * tail (docs/skf.md). */
	SKF_TEXT(info->serial, di.SerialNumber, true);
	if (!info->label[0])
		snprintf(info->label, sizeof(info->label), "%.32s", d->app);
	snprintf(info->slot_description, sizeof(info->slot_description), "SKF %.40s", d->name);
	memcpy(info->slot_manufacturer, info->manufacturer, sizeof(info->slot_manufacturer));
	info->hardware_version = (CK_VERSION){ di.HWVersion.major, di.HWVersion.minor };
	info->firmware_version = (CK_VERSION){ di.FirmwareVersion.major, di.FirmwareVersion.minor };
	info->slot_flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
	info->token_flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
	if (SKF_HAS(s, SKF_GenRandom))
		info->token_flags |= CKF_RNG;
	info->token_flags |= pin_flags(s, d, SKF_USER_TYPE, &info->user_retries_left, &info->user_retries_max);
	info->token_flags |= pin_flags(s, d, SKF_ADMIN_TYPE, &info->so_retries_left, &info->so_retries_max);
	/* GM/T 0016 gives no PIN length limits; vendor headers say 6-16. */
	info->min_pin_len = 6;
	info->max_pin_len = 16;
	ukey_skf_dev_unlock(d);
	return rv;
}

/* ---- mechanisms ---- */

struct skf_mech {
	CK_MECHANISM_TYPE type;
	bool rsa;
	CK_ULONG min, max;
	CK_FLAGS flags;
};

static const struct skf_mech skf_mechs[] = {
	{ CKM_SM2, false, 256, 256, CKF_SIGN | CKF_HW },
	{ CKM_SM2_ENCRYPT, false, 256, 256, CKF_DECRYPT | CKF_HW },
	{ CKM_SM2_KEY_PAIR_GEN, false, 256, 256, CKF_GENERATE_KEY_PAIR | CKF_HW },
	{ CKM_RSA_PKCS, true, 1024, 2048, CKF_SIGN | CKF_HW },
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, true, 1024, 2048, CKF_GENERATE_KEY_PAIR | CKF_HW },
};
#define SKF_NMECHS (sizeof(skf_mechs) / sizeof(skf_mechs[0]))

/* Whether the device's capabilities and the library's functions allow m. */
static bool mech_usable(struct ukey_skf *s, SKF_ULONG cap, const struct skf_mech *m)
{
	/* A DEVINFO that sets neither bit did not fill AlgAsymCap in: trust
	 * the functions alone. */
	bool any = !(cap & (SKF_CAP_SM2 | SGD_RSA));
	if (!any && !(cap & (m->rsa ? SGD_RSA : SKF_CAP_SM2)))
		return false;
	switch (m->type) {
	case CKM_SM2:
		return SKF_HAS(s, SKF_ECCSignData);
	case CKM_SM2_ENCRYPT:
		return SKF_HAS(s, SKF_ECCDecrypt);
	case CKM_SM2_KEY_PAIR_GEN:
		return SKF_HAS(s, SKF_GenECCKeyPair) && SKF_HAS(s, SKF_CreateContainer);
	case CKM_RSA_PKCS:
		return SKF_HAS(s, SKF_RSASignData);
	default:
		return SKF_HAS(s, SKF_GenRSAKeyPair) && SKF_HAS(s, SKF_CreateContainer);
	}
}

static CK_RV device_cap(struct ukey_skf *s, ukey_dev_id dev, SKF_ULONG *cap)
{
	struct skf_dev *d;
	CK_RV rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	*cap = d->asym_cap;
	ukey_skf_dev_unlock(d);
	return CKR_OK;
}

CK_RV ukey_skf_mechanisms(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE *list, CK_ULONG *count)
{
	struct ukey_skf *s = drv;
	SKF_ULONG cap;
	CK_ULONG n = 0;
	CK_RV rv = device_cap(s, dev, &cap);
	if (rv != CKR_OK)
		return rv;
	for (size_t i = 0; i < SKF_NMECHS; i++) {
		if (!mech_usable(s, cap, &skf_mechs[i]))
			continue;
		if (list && n < *count)
			list[n] = skf_mechs[i].type;
		else if (list)
			rv = CKR_BUFFER_TOO_SMALL;
		n++;
	}
	*count = n;
	return rv;
}

CK_RV ukey_skf_mechanism_info(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	struct ukey_skf *s = drv;
	SKF_ULONG cap;
	CK_RV rv = device_cap(s, dev, &cap);
	if (rv != CKR_OK)
		return rv;
	for (size_t i = 0; i < SKF_NMECHS; i++) {
		const struct skf_mech *m = &skf_mechs[i];
		if (m->type != type || !mech_usable(s, cap, m))
			continue;
		info->ulMinKeySize = m->min;
		info->ulMaxKeySize = m->max;
		info->flags = m->flags;
		return CKR_OK;
	}
	return CKR_MECHANISM_INVALID;
}

/* ---- random ---- */

CK_RV ukey_skf_random(void *drv, ukey_dev_id dev, CK_BYTE *out, CK_ULONG len)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	CK_RV rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	/* Devices cap one request at a few hundred bytes. */
	for (CK_ULONG done = 0; rv == CKR_OK && done < len; done += SKF_RANDOM_CHUNK) {
		CK_ULONG n = len - done < SKF_RANDOM_CHUNK ? len - done : SKF_RANDOM_CHUNK;
		rv = ukey_skf_note_inlock(d, "SKF_GenRandom",
					  SKF_RAW(s, SKF_GenRandom, d->hdev, out + done, (SKF_ULONG)n));
	}
	ukey_skf_dev_unlock(d);
	return rv;
}
