/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Login state and PINs. The PIN buffer is the caller's: it is passed to the
 * driver once and never copied, logged or retried here. A failed login is
 * never repeated automatically: on a real U-KEY each try burns a retry.
 * With [module] pin_prompt = pinentry, a NULL PIN is asked for through the
 * PIN dialog (token/pinentry.h); that PIN goes to the driver once and is
 * wiped, never kept for the next login. PIN changes with NULL PINs take
 * the same path (pin-dialog.c). */
#include "config.h"

#include <openssl/crypto.h>

#include "token/backend.h"
#include "token/handles.h"
#include "token/inventory.h"
#include "token/login.h"
#include "token/model.h"
#include "token/ondemand.h"
#include "token/pinentry.h"
#include "token/session.h"
#include "token/token.h"
#include "util/log.h"

/* Forgets private objects: their handles die on logout (docs/architecture.md, "Handles"). */
static void drop_private_objects_inlock(struct ukey_slot *slot)
{
	CK_ULONG kept = 0;
	for (CK_ULONG i = 0; i < slot->nobjects; i++) {
		struct ukey_object *obj = slot->objects[i];
		if (obj->is_private) {
			ukey_handle_drop_inlock(obj->handle);
			ukey_object_free(obj);
		} else {
			slot->objects[kept++] = obj;
		}
	}
	slot->nobjects = kept;
	slot->inventory_private = false;
	slot->login = UKEY_NO_USER;
	slot->login_epoch++;
	/* Private keys are reached again through their stand-ins. */
	if (ukey_standins_refresh_inlock(slot) != CKR_OK)
		ukey_warn("slot %lu: cannot make stand-in keys", (unsigned long)slot->id);
}

/* The device logout and the state change; login_lock held. */
static void logout_locked(struct ukey_slot *slot)
{
	/* What the device answers changes nothing: the state is logged out. */
	(void)ukey_be_logout(slot);
	ukey_lock();
	drop_private_objects_inlock(slot);
	ukey_unlock();
}

CK_RV ukey_token_logout_unlocked(struct ukey_slot *slot, bool if_idle)
{
	CK_RV rv = CKR_OK;
	pthread_mutex_lock(&slot->login_lock);
	ukey_lock();
	if (slot->login == UKEY_NO_USER)
		rv = CKR_USER_NOT_LOGGED_IN;
	else if (if_idle && (slot->sessions > 0 || !slot->present))
		rv = CKR_SESSION_EXISTS;
	ukey_unlock();
	if (rv == CKR_OK)
		logout_locked(slot);
	pthread_mutex_unlock(&slot->login_lock);
	return rv;
}

static bool has_ro_session_inlock(const struct ukey_slot *slot)
{
	return slot->sessions > slot->rw_sessions;
}

/* The protected authentication path: fresh PIN counters from the device
 * (they change with every try, also from other processes), no dialog for a
 * locked PIN, one driver login with what the user typed. */
static CK_RV login_with_dialog(struct ukey_slot *slot, CK_USER_TYPE user)
{
	struct ukey_dev_info fresh;
	struct ukey_pin_dialog dlg;
	char pin[UKEY_PINENTRY_MAX_PIN + 1];
	size_t len = 0;
	CK_RV rv;
	rv = ukey_be_dev_info(slot, &fresh);
	if (rv != CKR_OK)
		goto out;
	ukey_lock();
	slot->info = fresh;
	ukey_unlock();
	rv = ukey_pin_dialog_build(&fresh, user, ukey_pin_dialog_locale_zh(), &dlg);
	if (rv != CKR_OK) {
		ukey_warn("slot %lu: the %s PIN is locked; not asking for it", (unsigned long)slot->id,
			  user == CKU_SO ? "SO" : "user");
		goto out;
	}
	rv = ukey_pinentry_get_pin(ukey_M.conf.pinentry, ukey_M.conf.pinentry_timeout, &dlg, pin, sizeof(pin),
				   &len);
	if (rv != CKR_OK)
		goto out;
	rv = ukey_be_login(slot, user, (const CK_UTF8CHAR *)pin, (CK_ULONG)len);
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	return rv;
}

/* Whether `user` may log in now; the PIN length limit into *max. */
static CK_RV login_allowed_inlock(CK_SESSION_HANDLE h, struct ukey_slot *slot, CK_USER_TYPE user, CK_ULONG *max)
{
	struct ukey_session *s;
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv != CKR_OK)
		return rv;
	*max = slot->info.max_pin_len;
	if (slot->login == user)
		return CKR_USER_ALREADY_LOGGED_IN;
	if (slot->login != UKEY_NO_USER)
		return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	if (user == CKU_SO && has_ro_session_inlock(slot))
		return CKR_SESSION_READ_ONLY_EXISTS;
	return CKR_OK;
}

/* The login itself, login_lock held: the state says logged in only once
 * the device said so, and a failed read of the private objects logs the
 * device out again and fails the login. */
static CK_RV login_locked(CK_SESSION_HANDLE h, struct ukey_slot *slot, CK_USER_TYPE user, const CK_UTF8CHAR *pin,
			  CK_ULONG len)
{
	CK_ULONG max = 0;
	ukey_lock();
	CK_RV rv = login_allowed_inlock(h, slot, user, &max);
	ukey_unlock();
	if (rv != CKR_OK)
		return rv;
	ukey_debug("slot %lu: login as %s", (unsigned long)slot->id, user == CKU_SO ? "SO" : "user");
	if (!pin && len == 0 && ukey_pin_prompt_on())
		rv = login_with_dialog(slot, user);
	else if (!pin)
		/* No protected path here: a missing PIN never reaches the device,
		 * where SKF_VerifyPIN("") would burn a try. */
		rv = CKR_ARGUMENTS_BAD;
	else if (len == 0 || (max && len > max))
		rv = CKR_PIN_LEN_RANGE;
	else
		rv = ukey_be_login(slot, user, pin, len);
	if (rv != CKR_OK) {
		ukey_info("slot %lu: login refused: 0x%08lx", (unsigned long)slot->id, (unsigned long)rv);
		return rv;
	}
	/* Login brings the private objects in; the public ones are not read
	 * again. Not read yet: the first search reads it all. */
	ukey_lock();
	slot->login = user;
	slot->login_epoch++;
	bool loaded = slot->inventory_loaded;
	ukey_unlock();
	rv = loaded ? ukey_inventory_reload_unlocked(slot, false) : CKR_OK;
	if (rv != CKR_OK) {
		ukey_warn("slot %lu: reading objects after login failed: 0x%08lx; logged out again",
			  (unsigned long)slot->id, (unsigned long)rv);
		logout_locked(slot);
	}
	return rv;
}

CK_RV ukey_login(CK_SESSION_HANDLE h, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	struct ukey_session *s;
	struct ukey_slot *slot = NULL;
	CK_RV rv;

	ukey_lock();
	rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK) {
		slot = s->slot;
		/* No key here asks for CKA_ALWAYS_AUTHENTICATE, so no operation
		 * waits for this login (CKR_USER_NOT_LOGGED_IN is not a code
		 * C_Login may return). */
		if (user == CKU_CONTEXT_SPECIFIC)
			rv = CKR_OPERATION_NOT_INITIALIZED;
	}
	ukey_unlock();
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&slot->login_lock);
	rv = login_locked(h, slot, user, pin, len);
	pthread_mutex_unlock(&slot->login_lock);
	return rv;
}

CK_RV ukey_logout(CK_SESSION_HANDLE h)
{
	struct ukey_session *s;
	struct ukey_slot *slot = NULL;
	ukey_lock();
	CK_RV rv = ukey_session_find_inlock(h, &s);
	if (rv == CKR_OK)
		slot = s->slot;
	ukey_unlock();
	if (rv == CKR_OK)
		rv = ukey_token_logout_unlocked(slot, false);
	return rv;
}

/* The session's slot when it is read-write; *rv otherwise. */
static struct ukey_slot *rw_slot(CK_SESSION_HANDLE h, CK_USER_TYPE *login, CK_RV *rv)
{
	struct ukey_session *s;
	struct ukey_slot *slot = NULL;
	ukey_lock();
	*rv = ukey_session_find_inlock(h, &s);
	if (*rv == CKR_OK && !(s->flags & CKF_RW_SESSION))
		*rv = CKR_SESSION_READ_ONLY;
	if (*rv == CKR_OK) {
		slot = s->slot;
		*login = slot->login;
	}
	ukey_unlock();
	return slot;
}

/* A PIN the device would refuse anyway is refused here, before it costs a
 * try: a missing one (outside the protected path) and an empty or
 * over-long one. A new PIN is also held to the token's minimum. */
static CK_RV pin_arg_check(const struct ukey_slot *slot, const CK_UTF8CHAR *pin, CK_ULONG len, bool is_new)
{
	CK_ULONG min, max;

	ukey_lock();
	min = slot->info.min_pin_len;
	max = slot->info.max_pin_len;
	ukey_unlock();
	if (!pin)
		return CKR_ARGUMENTS_BAD;
	if (len == 0 || (max && len > max) || (is_new && min && len < min))
		return CKR_PIN_LEN_RANGE;
	return CKR_OK;
}

/* C_SetPIN (set) or C_InitPIN with NULL PINs on the protected
 * authentication path: the dialog's PINs go to the driver once, then are
 * wiped. */
static CK_RV change_with_dialog(struct ukey_slot *slot, CK_USER_TYPE user, bool set)
{
	char old[UKEY_PINENTRY_MAX_PIN + 1], new_pin[UKEY_PINENTRY_MAX_PIN + 1];
	size_t old_len = 0, new_len = 0;
	CK_RV rv = ukey_pin_dialog_collect(slot, user, set ? old : NULL, &old_len, new_pin, &new_len);
	if (rv == CKR_OK && set)
		rv = ukey_be_set_pin(slot, user, (const CK_UTF8CHAR *)old, (CK_ULONG)old_len,
				     (const CK_UTF8CHAR *)new_pin, (CK_ULONG)new_len);
	else if (rv == CKR_OK)
		rv = ukey_be_init_pin(slot, (const CK_UTF8CHAR *)new_pin, (CK_ULONG)new_len);
	OPENSSL_cleanse(old, sizeof(old));
	OPENSSL_cleanse(new_pin, sizeof(new_pin));
	return rv;
}

CK_RV ukey_init_pin(CK_SESSION_HANDLE h, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	CK_RV rv;
	CK_USER_TYPE login = UKEY_NO_USER;
	struct ukey_slot *slot = rw_slot(h, &login, &rv);
	if (!slot)
		return rv;
	if (login != CKU_SO)
		return CKR_USER_NOT_LOGGED_IN;
	if (!pin && len == 0 && ukey_pin_prompt_on()) {
		rv = change_with_dialog(slot, CKU_USER, false);
	} else {
		rv = pin_arg_check(slot, pin, len, true);
		if (rv != CKR_OK)
			return rv;
		rv = ukey_be_init_pin(slot, pin, len);
	}
	ukey_info("slot %lu: user PIN initialised: 0x%08lx", (unsigned long)slot->id, (unsigned long)rv);
	return rv;
}

CK_RV ukey_set_pin(CK_SESSION_HANDLE h, const CK_UTF8CHAR *old_pin, CK_ULONG old_len,
		   const CK_UTF8CHAR *new_pin, CK_ULONG new_len)
{
	CK_RV rv;
	CK_USER_TYPE login = UKEY_NO_USER;
	struct ukey_slot *slot = rw_slot(h, &login, &rv);
	CK_USER_TYPE user = login == CKU_SO ? CKU_SO : CKU_USER;
	if (!slot)
		return rv;
	if (!old_pin && old_len == 0 && !new_pin && new_len == 0 && ukey_pin_prompt_on()) {
		rv = change_with_dialog(slot, user, true);
	} else {
		rv = pin_arg_check(slot, old_pin, old_len, false);
		if (rv == CKR_OK)
			rv = pin_arg_check(slot, new_pin, new_len, true);
		if (rv != CKR_OK)
			return rv;
		rv = ukey_be_set_pin(slot, user, old_pin, old_len, new_pin, new_len);
	}
	ukey_info("slot %lu: PIN change: 0x%08lx", (unsigned long)slot->id, (unsigned long)rv);
	return rv;
}
