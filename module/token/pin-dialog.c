/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PIN changes on the protected authentication path ([module] pin_prompt =
 * pinentry): PKCS#11 lets a consumer of a token with
 * CKF_PROTECTED_AUTHENTICATION_PATH pass NULL PINs to C_SetPIN and
 * C_InitPIN, and the token asks for them itself. Here that is the PIN
 * dialog: the current PIN once (a wrong one costs a try, so the dialog says
 * how many are left and a locked PIN is not asked for), then the new one
 * twice. The new PIN's length and its confirmation are settled inside the
 * dialog, asked again with the reason shown, since none of that touches the
 * device; the number of rounds is bounded so a consumer's call returns. */
#include "config.h"

#include <openssl/crypto.h>

#include "token/backend.h"
#include "token/login.h"
#include "token/model.h"
#include "token/pinentry.h"
#include "util/log.h"

/* Rounds of "new PIN, again" before the change is given up. */
#define RETYPE_ROUNDS 3

static CK_RV ask(const struct ukey_dev_info *info, CK_USER_TYPE user, enum ukey_pin_step step,
		 enum ukey_pin_retype why, bool zh, char *pin, size_t *len)
{
	struct ukey_pin_dialog dlg;
	CK_RV rv = ukey_pin_dialog_build_change(info, user, step, why, zh, &dlg);
	if (rv == CKR_OK)
		rv = ukey_pinentry_get_pin(ukey_M.conf.pinentry, ukey_M.conf.pinentry_timeout, &dlg, pin,
					   UKEY_PINENTRY_MAX_PIN + 1, len);
	return rv;
}

static bool new_len_ok(const struct ukey_dev_info *info, size_t len)
{
	return len > 0 && (!info->max_pin_len || len <= info->max_pin_len) &&
	       (!info->min_pin_len || len >= info->min_pin_len);
}

CK_RV ukey_pin_dialog_collect(struct ukey_slot *slot, CK_USER_TYPE user, char *old, size_t *old_len, char *new_pin,
			      size_t *new_len)
{
	struct ukey_dev_info fresh;
	char again[UKEY_PINENTRY_MAX_PIN + 1];
	size_t again_len = 0;
	enum ukey_pin_retype why = UKEY_PIN_RETYPE_NONE;
	bool zh = ukey_pin_dialog_locale_zh();
	CK_RV rv;

	*new_len = 0;
	if (old_len)
		*old_len = 0;
	/* Fresh counters: they change with every try, also in other processes. */
	rv = ukey_be_dev_info(slot, &fresh);
	if (rv != CKR_OK)
		goto out;
	ukey_lock();
	slot->info = fresh;
	ukey_unlock();
	if (old) {
		rv = ask(&fresh, user, UKEY_PIN_STEP_OLD, UKEY_PIN_RETYPE_NONE, zh, old, old_len);
		if (rv == CKR_PIN_LOCKED)
			ukey_warn("slot %lu: the %s PIN is locked; not asking for it", (unsigned long)slot->id,
				  user == CKU_SO ? "SO" : "user");
		if (rv == CKR_OK && fresh.max_pin_len && *old_len > fresh.max_pin_len)
			rv = CKR_PIN_LEN_RANGE;
		if (rv != CKR_OK)
			goto out;
	}
	for (int round = 0; round < RETYPE_ROUNDS; round++) {
		rv = ask(&fresh, user, UKEY_PIN_STEP_NEW, why, zh, new_pin, new_len);
		if (rv != CKR_OK)
			goto out;
		if (!new_len_ok(&fresh, *new_len)) {
			why = UKEY_PIN_RETYPE_LENGTH;
			rv = CKR_PIN_LEN_RANGE;
			continue;
		}
		rv = ask(&fresh, user, UKEY_PIN_STEP_REPEAT, UKEY_PIN_RETYPE_NONE, zh, again, &again_len);
		if (rv != CKR_OK)
			goto out;
		if (again_len == *new_len && CRYPTO_memcmp(again, new_pin, again_len) == 0)
			goto out;
		why = UKEY_PIN_RETYPE_MISMATCH;
		/* No PKCS#11 code says "the confirmation differs": the user
		 * did not finish the dialog. */
		rv = CKR_FUNCTION_CANCELED;
	}
	ukey_info("slot %lu: PIN dialog: no acceptable new PIN after %d rounds; nothing changed",
		  (unsigned long)slot->id, RETYPE_ROUNDS);
out:
	OPENSSL_cleanse(again, sizeof(again));
	if (rv != CKR_OK) {
		if (old)
			OPENSSL_cleanse(old, UKEY_PINENTRY_MAX_PIN + 1);
		OPENSSL_cleanse(new_pin, UKEY_PINENTRY_MAX_PIN + 1);
		if (old_len)
			*old_len = 0;
		*new_len = 0;
	}
	return rv;
}
