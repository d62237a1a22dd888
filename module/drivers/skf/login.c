/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The skf driver's login and PINs: SKF_VerifyPIN, SKF_ClearSecureState,
 * SKF_ChangePIN and SKF_UnblockPIN. Each PIN goes to the library exactly
 * once (a retry would burn the key's counter), as a NUL-terminated copy
 * that is wiped right after.
 *
 * The one exception to "never keep a PIN": C_InitPIN runs as the SO, but
 * SKF_UnblockPIN wants the admin PIN again. So the SO PIN given at the SO's
 * login is kept in memory (OpenSSL's secure heap when the host set one up,
 * wiped on free either way) while the SO stays logged in, and wiped at
 * logout, removal and unload (docs/skf.md). */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "util/log.h"

char *ukey_skf_pin_dup(const CK_UTF8CHAR *pin, CK_ULONG len, CK_RV *rv)
{
	char *copy;
	if (len > 256 || (len && !pin)) {
		*rv = CKR_PIN_LEN_RANGE;
		return NULL;
	}
	if (len && memchr(pin, '\0', len)) {
		*rv = CKR_PIN_INVALID;   /* SKF takes C strings */
		return NULL;
	}
	copy = OPENSSL_secure_zalloc(len + 1);
	if (!copy) {
		*rv = CKR_HOST_MEMORY;
		return NULL;
	}
	if (len)
		memcpy(copy, pin, len);
	*rv = CKR_OK;
	return copy;
}

void ukey_skf_pin_free(char *pin)
{
	if (pin)
		OPENSSL_secure_clear_free(pin, strlen(pin) + 1);
}

void ukey_skf_forget_secrets_inlock(struct skf_dev *d)
{
	ukey_skf_pin_free(d->so_pin);
	d->so_pin = NULL;
	/* Private files are readable only with the user PIN: do not keep
	 * their contents past the login that read them. */
	for (size_t i = 0; i < d->nfiles; i++)
		if (d->files[i].priv)
			ukey_skf_file_forget(&d->files[i]);
}

static CK_RV pin_type(CK_USER_TYPE user, SKF_ULONG *type)
{
	if (user == CKU_USER)
		*type = SKF_USER_TYPE;
	else if (user == CKU_SO)
		*type = SKF_ADMIN_TYPE;
	else
		return CKR_USER_TYPE_INVALID;
	return CKR_OK;
}

CK_RV ukey_skf_login(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	SKF_ULONG type, retries = 0;
	char *copy = NULL;
	CK_RV rv = pin_type(user, &type);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	copy = ukey_skf_pin_dup(pin, len, &rv);
	if (!copy)
		goto out;
	/* One attempt only. */
	rv = ukey_skf_note_inlock(d, "SKF_VerifyPIN", SKF_RAW(s, SKF_VerifyPIN, d->happ, type, copy, &retries));
	if (rv == CKR_OK) {
		ukey_skf_forget_secrets_inlock(d);
		d->login = user;
		if (user == CKU_SO) {
			d->so_pin = copy;   /* kept for SKF_UnblockPIN, see the top */
			copy = NULL;
		}
	} else if (rv == CKR_PIN_INCORRECT) {
		ukey_info("SKF device %s: wrong PIN, %u tries left", d->name, (unsigned)retries);
	}
out:
	ukey_skf_pin_free(copy);
	ukey_debug("SKF device %s user %lu: rv 0x%lx", d->name, (unsigned long)user, (unsigned long)rv);
	ukey_skf_dev_unlock(d);
	return rv;
}

CK_RV ukey_skf_logout(void *drv, ukey_dev_id dev)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	CK_RV rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	if (SKF_HAS(s, SKF_ClearSecureState)) {
		rv = ukey_skf_note_inlock(d, "SKF_ClearSecureState", SKF_RAW(s, SKF_ClearSecureState, d->happ));
	} else {
		/* Closing the application drops its security state too; it is
		 * reopened on the next call. */
		(void)SKF_RAW(s, SKF_CloseApplication, d->happ);
		d->happ = NULL;
	}
	d->login = UKEY_SKF_NOBODY;
	ukey_skf_forget_secrets_inlock(d);
	ukey_skf_dev_unlock(d);
	return rv;
}

CK_RV ukey_skf_init_pin(void *drv, ukey_dev_id dev, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	SKF_ULONG retries = 0;
	char *copy = NULL;
	CK_RV rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	if (d->login != CKU_SO || !d->so_pin) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	copy = ukey_skf_pin_dup(pin, len, &rv);
	if (!copy)
		goto out;
	rv = ukey_skf_note_inlock(d, "SKF_UnblockPIN",
				  SKF_RAW(s, SKF_UnblockPIN, d->happ, d->so_pin, copy, &retries));
out:
	ukey_skf_pin_free(copy);
	ukey_skf_dev_unlock(d);
	return rv;
}

CK_RV ukey_skf_set_pin(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *old_pin,
		       CK_ULONG old_len, const CK_UTF8CHAR *new_pin, CK_ULONG new_len)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	SKF_ULONG type, retries = 0;
	char *old_copy = NULL, *new_copy = NULL;
	CK_RV rv = pin_type(user, &type);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	old_copy = ukey_skf_pin_dup(old_pin, old_len, &rv);
	if (old_copy)
		new_copy = ukey_skf_pin_dup(new_pin, new_len, &rv);
	if (!new_copy)
		goto out;
	rv = ukey_skf_note_inlock(d, "SKF_ChangePIN",
				  SKF_RAW(s, SKF_ChangePIN, d->happ, type, old_copy, new_copy, &retries));
	/* The SO changed its own PIN while logged in: keep the new one. */
	if (rv == CKR_OK && user == CKU_SO && d->so_pin) {
		ukey_skf_pin_free(d->so_pin);
		d->so_pin = new_copy;
		new_copy = NULL;
	}
out:
	ukey_skf_pin_free(old_copy);
	ukey_skf_pin_free(new_copy);
	ukey_skf_dev_unlock(d);
	return rv;
}
