/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor interface's token side. The configuration's outcome is kept
 * here rather than in ukey_M: a backend that failed to load has no struct
 * ukey_backend, yet a consumer must learn why it is missing. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "token/model.h"
#include "token/slot.h"
#include "token/token.h"
#include "token/vendor.h"

struct backend_note {
	char name[64], driver[16], library[256], reason[256];
	CK_RV rv;
};

static pthread_mutex_t note_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char path[256], error[512];
	struct backend_note backends[UKEY_MAX_BACKENDS];
	size_t nbackends;
} note;

/* NUL-terminated, cut at a UTF-8 character boundary when too long. */
static void copy(CK_UTF8CHAR *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;
	if (n == size - 1 && src[n] != '\0')
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void ukey_vendor_note_config(const char *path, const char *error)
{
	pthread_mutex_lock(&note_lock);
	memset(&note, 0, sizeof(note));
	copy((CK_UTF8CHAR *)note.path, sizeof(note.path), path);
	copy((CK_UTF8CHAR *)note.error, sizeof(note.error), error);
	pthread_mutex_unlock(&note_lock);
}

void ukey_vendor_note_backend(const struct ukey_backend_conf *bc, CK_RV rv, const char *reason)
{
	pthread_mutex_lock(&note_lock);
	if (note.nbackends < UKEY_MAX_BACKENDS) {
		struct backend_note *b = &note.backends[note.nbackends++];
		copy((CK_UTF8CHAR *)b->name, sizeof(b->name), bc->name);
		copy((CK_UTF8CHAR *)b->driver, sizeof(b->driver), bc->driver);
		copy((CK_UTF8CHAR *)b->library, sizeof(b->library), bc->library);
		copy((CK_UTF8CHAR *)b->reason, sizeof(b->reason), rv == CKR_OK ? NULL : reason);
		b->rv = rv;
	}
	pthread_mutex_unlock(&note_lock);
}

CK_RV ukey_vendor_module_status(UKEY_MODULE_STATUS *status)
{
	CK_ULONG loaded = 0;

	ukey_slots_refresh_unlocked();
	memset(status, 0, sizeof(*status));
	pthread_mutex_lock(&note_lock);
	copy(status->configPath, sizeof(status->configPath), note.path);
	copy(status->configError, sizeof(status->configError), note.error);
	status->ulBackends = note.nbackends;
	for (size_t i = 0; i < note.nbackends; i++)
		loaded += note.backends[i].rv == CKR_OK;
	status->ulBackendsLoaded = loaded;
	pthread_mutex_unlock(&note_lock);
	return CKR_OK;
}

/* Present slots of the loaded backend named name. */
static CK_ULONG devices_of(const char *name)
{
	CK_ULONG n = 0;

	ukey_lock();
	for (size_t i = 0; i < ukey_M.nslots; i++) {
		const struct ukey_slot *slot = ukey_M.slots[i];
		n += slot->present && slot->backend->name && strcmp(slot->backend->name, name) == 0;
	}
	ukey_unlock();
	return n;
}

CK_RV ukey_vendor_backend_status(CK_ULONG index, UKEY_BACKEND_STATUS *status)
{
	struct backend_note b;

	pthread_mutex_lock(&note_lock);
	if (index >= note.nbackends) {
		pthread_mutex_unlock(&note_lock);
		return CKR_ARGUMENTS_BAD;
	}
	b = note.backends[index];
	pthread_mutex_unlock(&note_lock);
	memset(status, 0, sizeof(*status));
	copy(status->name, sizeof(status->name), b.name);
	copy(status->driver, sizeof(status->driver), b.driver);
	copy(status->library, sizeof(status->library), b.library);
	copy(status->reason, sizeof(status->reason), b.reason);
	status->loadResult = b.rv;
	status->ulDevices = b.rv == CKR_OK ? devices_of(b.name) : 0;
	return CKR_OK;
}

/* tries from a device reading, for user (CKU_USER or CKU_SO). */
static void tries_of(const struct ukey_dev_info *fresh, bool so, UKEY_PIN_TRIES *tries)
{
	long left = so ? fresh->so_retries_left : fresh->user_retries_left;
	long max = so ? fresh->so_retries_max : fresh->user_retries_max;
	memset(tries, 0, sizeof(*tries));
	tries->ulTriesLeft = left >= 0 ? (CK_ULONG)left : CK_UNAVAILABLE_INFORMATION;
	tries->ulMaxTries = max > 0 ? (CK_ULONG)max : CK_UNAVAILABLE_INFORMATION;
	tries->flags = fresh->token_flags & (so ? (CKF_SO_PIN_COUNT_LOW | CKF_SO_PIN_FINAL_TRY | CKF_SO_PIN_LOCKED)
						: (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
						   CKF_USER_PIN_LOCKED));
}

CK_RV ukey_vendor_pin_tries(CK_SLOT_ID id, CK_USER_TYPE user, UKEY_PIN_TRIES *tries)
{
	struct ukey_dev_info fresh;
	CK_RV rv;

	if (user != CKU_USER && user != CKU_SO)
		return CKR_USER_TYPE_INVALID;
	if (ukey_slot_fresh_info_unlocked(id, &fresh, &rv) == NULL)
		return rv;
	tries_of(&fresh, user == CKU_SO, tries);
	return CKR_OK;
}

CK_RV ukey_vendor_token_info_tries(CK_SLOT_ID id, CK_TOKEN_INFO *info, UKEY_PIN_TRIES *user)
{
	struct ukey_dev_info fresh;
	CK_RV rv = ukey_slot_token_info_tries(id, info, &fresh);

	if (rv == CKR_OK)
		tries_of(&fresh, false, user);
	return rv;
}
