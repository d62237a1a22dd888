/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* pin-given.c: the one C_Login of a front-end that has the PIN itself (the
 * assistant's password field) or lets the module's dialog ask for it. The
 * caller's bytes are wiped right after the call, whatever happened, so no
 * copy outlives the try; nothing here retries. */

#include <string.h>

#include <openssl/crypto.h>

#include "ukey-base.h"
#include "p11.h"

static int outcome(struct ukey_pin_outcome *out, const char *reason, int ret)
{
	if (out != NULL)
		out->reason = reason;
	return ret;
}

int ukey_pin_login_given(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_token_info *t, char *pin,
			 size_t len, int accept_final_try, struct ukey_pin_outcome *out, struct ukey_err *e)
{
	char tries[160];
	int ret;
	CK_RV rv;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	ret = ukey_token_refresh(p, t, e);
	if (ret != UKEY_E_OK)
		goto wipe;
	if (strcmp(ukey_token_pin_state(t), "locked") == 0) {
		ret = outcome(out, "locked", ukey_err_set(e, UKEY_E_TOKEN,
			_("The PIN of U-KEY %s is locked: unblock it with 'ukey pin unblock' if you have the "
			  "administrator PIN, else ask your CA."), ukey_tx(t->serial)));
		goto wipe;
	}
	if (pin == NULL && !(t->flags & CKF_PROTECTED_AUTHENTICATION_PATH)) {
		ret = outcome(out, "no_pin", ukey_err_set(e, UKEY_E_USAGE,
			_("U-KEY %s has no PIN dialog of its own: type the PIN."), ukey_tx(t->serial)));
		goto wipe;
	}
	/* The dialog shows the tries itself; typed PINs need the consent. */
	if (pin != NULL && !accept_final_try && strcmp(ukey_token_pin_state(t), "final_try") == 0) {
		ret = outcome(out, "final_try", ukey_err_set(e, UKEY_E_TOKEN,
			_("Only one PIN try is left on U-KEY %s: a wrong PIN now locks it. Confirm that you want "
			  "to try."), ukey_tx(t->serial)));
		goto wipe;
	}
	if (out != NULL)
		out->dialog = pin == NULL;
	rv = p->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, pin != NULL ? (CK_ULONG)len : 0);
	if (pin != NULL)
		OPENSSL_cleanse(pin, len);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		ret = outcome(out, "logged_in", UKEY_E_OK);
	} else if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE) {
		ukey_token_refresh(p, t, e);
		ret = outcome(out, "wrong_pin", ukey_err_set(e, UKEY_E_TOKEN,
			_("Wrong PIN for U-KEY %s: %s. It was not retried."), ukey_tx(t->serial),
			ukey_token_pin_text(t, tries, sizeof(tries))));
	} else if (rv == CKR_PIN_LOCKED) {
		ret = outcome(out, "locked", ukey_err_set(e, UKEY_E_TOKEN,
			_("The PIN of U-KEY %s is locked: unblock it with 'ukey pin unblock' if you have the "
			  "administrator PIN, else ask your CA."), ukey_tx(t->serial)));
	} else if (pin == NULL && rv == CKR_FUNCTION_CANCELED) {
		ret = outcome(out, "cancelled", ukey_err_set(e, UKEY_E_ERROR,
			_("The PIN dialog was cancelled; nothing was tried.")));
	} else {
		ret = outcome(out, "error", ukey_err_set(e, UKEY_E_TOKEN, _("login to U-KEY %s failed: %s"),
							 ukey_tx(t->serial), ukey_p11_rv_name(rv)));
	}
	return ret;
wipe:
	if (pin != NULL)
		OPENSSL_cleanse(pin, len);
	return ret;
}
