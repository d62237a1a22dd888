/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Slots and tokens: which devices the backends have, which slot each key
 * takes, and what each token says about itself (asked through backend.c,
 * as every driver call is). Slot events: events.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "token/backend.h"
#include "token/crypto.h"
#include "token/inventory.h"
#include "token/model.h"
#include "token/session.h"
#include "token/slot.h"
#include "token/token.h"
#include "util/log.h"

#define UKEY_MAX_DEVICES 64

struct ukey_slot *ukey_slot_find_inlock(CK_SLOT_ID id)
{
	for (size_t i = 0; i < ukey_M.nslots; i++)
		if (ukey_M.slots[i]->id == id)
			return ukey_M.slots[i];
	return NULL;
}

/* The present slot of the backend's device dev, if any. */
static struct ukey_slot *slot_for_device_inlock(struct ukey_backend *b, ukey_dev_id dev)
{
	for (size_t i = 0; i < ukey_M.nslots; i++)
		if (ukey_M.slots[i]->backend == b && ukey_M.slots[i]->present && ukey_M.slots[i]->dev == dev)
			return ukey_M.slots[i];
	return NULL;
}

void ukey_pad_string(CK_UTF8CHAR *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n > size)
		n = size;
	memset(dst, ' ', size);
	memcpy(dst, src, n);
}

bool ukey_slot_gone_inlock(struct ukey_slot *slot)
{
	if (!slot->present)
		return false;
	slot->present = false;
	slot->event_pending = true;
	ukey_session_close_slot_inlock(slot);
	return true;
}

static struct ukey_slot *add_slot_inlock(struct ukey_backend *b, ukey_dev_id dev)
{
	CK_SLOT_ID id = b->slot_base;
	for (size_t i = 0; i < ukey_M.nslots; i++)
		if (ukey_M.slots[i]->backend == b && ukey_M.slots[i]->id >= id)
			id = ukey_M.slots[i]->id + 1;
	struct ukey_slot **grown = realloc(ukey_M.slots, (ukey_M.nslots + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	ukey_M.slots = grown;
	struct ukey_slot *slot = calloc(1, sizeof(*slot));
	if (!slot)
		return NULL;
	slot->id = id;
	slot->backend = b;
	slot->dev = dev;
	slot->login = UKEY_NO_USER;
	pthread_mutex_init(&slot->dev_lock, NULL);
	pthread_mutex_init(&slot->login_lock, NULL);
	ukey_M.slots[ukey_M.nslots++] = slot;
	return slot;
}

/* A device listed now that no present slot names: a key just inserted. */
struct arrival {
	ukey_dev_id dev;
	char serial[sizeof(((struct ukey_dev_info *)0)->serial)];
};

/* The slot a key just inserted takes: the empty slot of its backend that
 * last held the key with this medium number, so a consumer finds a
 * re-inserted key where it was, whatever device id the driver gives it
 * now; otherwise a new slot (a different key never takes another's). */
static struct ukey_slot *slot_for_arrival_inlock(struct ukey_backend *b, const struct arrival *a)
{
	for (size_t i = 0; a->serial[0] && i < ukey_M.nslots; i++) {
		struct ukey_slot *slot = ukey_M.slots[i];
		if (slot->backend == b && !slot->present && strcmp(slot->info.serial, a->serial) == 0) {
			__atomic_store_n(&slot->dev, a->dev, __ATOMIC_RELEASE);
			/* Nothing of the key's last insertion is trusted now. */
			ukey_inventory_forget_inlock(slot);
			return slot;
		}
	}
	struct ukey_slot *slot = add_slot_inlock(b, a->dev);
	if (slot)
		memcpy(slot->info.serial, a->serial, sizeof(slot->info.serial));
	return slot;
}

/* Marks the backend's present slots whose device is not in ids absent;
 * gives the devices no present slot names in arrivals. */
static bool departures_inlock(struct ukey_backend *b, const ukey_dev_id *ids, CK_ULONG n, struct arrival *arrivals,
			      size_t *narrivals)
{
	bool changed = false;
	for (size_t i = 0; i < ukey_M.nslots; i++) {
		struct ukey_slot *slot = ukey_M.slots[i];
		bool found = false;
		if (slot->backend != b || !slot->present)
			continue;
		for (CK_ULONG k = 0; k < n; k++)
			found |= ids[k] == slot->dev;
		if (!found && ukey_slot_gone_inlock(slot)) {
			ukey_info("slot %lu: token removed", (unsigned long)slot->id);
			changed = true;
		}
	}
	*narrivals = 0;
	for (CK_ULONG k = 0; k < n; k++)
		if (!slot_for_device_inlock(b, ids[k]))
			arrivals[(*narrivals)++] = (struct arrival){ .dev = ids[k] };
	return changed;
}

/* One listing of the backend's devices applied to the slots. The devices
 * present at C_Initialize get slots without a word to the device: what a
 * device is (ukey_slot_probe_unlocked) and what it holds are read at the
 * first call that needs them, so C_Initialize costs one listing however
 * many keys are inserted. A key inserted later is asked its medium number
 * at once (one dev_info, which its first user asks anyway), to find the
 * slot it held before. Refreshes are serialised: a listing is applied
 * before the next one is taken. */
static bool refresh_backend(struct ukey_backend *b)
{
	ukey_dev_id ids[UKEY_MAX_DEVICES];
	struct arrival arrivals[UKEY_MAX_DEVICES];
	CK_ULONG n = UKEY_MAX_DEVICES;
	size_t narrivals = 0;
	bool changed, hotplug;
	pthread_mutex_lock(&ukey_M.refresh_lock);
	CK_RV rv = ukey_be_devices(b, ids, &n);
	if (rv != CKR_OK) {
		pthread_mutex_unlock(&ukey_M.refresh_lock);
		ukey_warn("[backend %s]: listing devices failed: 0x%08lx", b->name, (unsigned long)rv);
		return false;
	}
	ukey_lock();
	hotplug = ukey_M.initialized;
	changed = departures_inlock(b, ids, n, arrivals, &narrivals);
	ukey_unlock();
	for (size_t k = 0; hotplug && k < narrivals; k++) {
		struct ukey_dev_info info;
		if (ukey_be_new_dev_info(b, arrivals[k].dev, &info) == CKR_OK)
			memcpy(arrivals[k].serial, info.serial, sizeof(arrivals[k].serial));
	}
	ukey_lock();
	for (size_t k = 0; k < narrivals; k++) {
		struct ukey_slot *slot = slot_for_arrival_inlock(b, &arrivals[k]);
		if (!slot)
			continue;
		slot->present = true;
		slot->probed = false;
		slot->event_pending = true;
		slot->inventory_loaded = false;
		slot->gen_stamp.valid = false;
		changed = true;
		ukey_debug("slot %lu: device inserted%s%s", (unsigned long)slot->id, arrivals[k].serial[0] ? ", medium " : "",
			   arrivals[k].serial);
	}
	ukey_unlock();
	pthread_mutex_unlock(&ukey_M.refresh_lock);
	return changed;
}

bool ukey_slots_refresh_backend_unlocked(struct ukey_backend *b)
{
	return refresh_backend(b);
}

CK_RV ukey_slot_probe_unlocked(struct ukey_slot *slot)
{
	struct ukey_dev_info info;
	CK_MECHANISM_TYPE *mechs = NULL;
	CK_ULONG nmechs = 0;
	bool done;
	CK_RV rv;
	ukey_lock();
	done = slot->probed;
	ukey_unlock();
	if (done)
		return CKR_OK;
	rv = ukey_be_probe(slot, &info, &mechs, &nmechs);
	if (rv != CKR_OK) {
		ukey_info("slot %lu: the device does not say what it is: 0x%08lx", (unsigned long)slot->id,
			  (unsigned long)rv);
		return rv;
	}
	ukey_lock();
	if (!slot->probed && slot->present) {
		free(slot->backend_mechs);
		slot->backend_mechs = mechs;
		slot->nbackend_mechs = nmechs;
		slot->info = info;
		slot->probed = true;
		mechs = NULL;
		ukey_debug("slot %lu: token '%s' serial %s", (unsigned long)slot->id, info.label, info.serial);
	}
	ukey_unlock();
	free(mechs);
	return CKR_OK;
}

void ukey_slots_refresh_unlocked(void)
{
	for (size_t i = 0; i < ukey_M.nbackends; i++)
		refresh_backend(&ukey_M.backends[i]);
}

CK_RV ukey_slot_list(bool token_present, CK_SLOT_ID *list, CK_ULONG *count)
{
	CK_RV rv = CKR_OK;
	CK_ULONG n = 0;
	/* Only the sizing call re-reads the devices, so the second call of a
	 * two-call sequence sees the same list. */
	if (!list)
		ukey_slots_refresh_unlocked();
	ukey_lock();
	for (size_t i = 0; i < ukey_M.nslots; i++) {
		if (token_present && !ukey_M.slots[i]->present)
			continue;
		if (list && n < *count)
			list[n] = ukey_M.slots[i]->id;
		n++;
	}
	if (list && n > *count)
		rv = CKR_BUFFER_TOO_SMALL;
	*count = n;
	ukey_unlock();
	return rv;
}

CK_RV ukey_slot_info(CK_SLOT_ID id, CK_SLOT_INFO *info)
{
	CK_RV rv = CKR_OK;
	ukey_lock();
	struct ukey_slot *slot = ukey_slot_find_inlock(id);
	bool probe = slot && slot->present;
	ukey_unlock();
	/* A device that cannot say what it is still shows as a present token
	 * of a plain slot; C_GetTokenInfo then gives the reason. */
	if (probe)
		(void)ukey_slot_probe_unlocked(slot);
	ukey_lock();
	if (!slot) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	memset(info, 0, sizeof(*info));
	ukey_pad_string(info->slotDescription, sizeof(info->slotDescription),
			slot->info.slot_description[0] ? slot->info.slot_description : "U-KEY slot");
	ukey_pad_string(info->manufacturerID, sizeof(info->manufacturerID),
			slot->info.slot_manufacturer[0] ? slot->info.slot_manufacturer : "ukey-pkcs11");
	info->flags = (slot->info.slot_flags & (CKF_REMOVABLE_DEVICE | CKF_HW_SLOT)) |
		      (slot->present ? CKF_TOKEN_PRESENT : 0);
	info->hardwareVersion = slot->info.hardware_version;
	info->firmwareVersion = slot->info.firmware_version;
out:
	ukey_unlock();
	return rv;
}

/* The slot, present, for a token-level call; NULL and *rv otherwise. */
static struct ukey_slot *present_slot_inlock(CK_SLOT_ID id, CK_RV *rv)
{
	struct ukey_slot *slot = ukey_slot_find_inlock(id);
	*rv = !slot ? CKR_SLOT_ID_INVALID : !slot->present ? CKR_TOKEN_NOT_PRESENT : CKR_OK;
	return *rv == CKR_OK ? slot : NULL;
}

struct ukey_slot *ukey_slot_fresh_info_unlocked(CK_SLOT_ID id, struct ukey_dev_info *fresh, CK_RV *rv)
{
	ukey_lock();
	struct ukey_slot *slot = present_slot_inlock(id, rv);
	bool probed = slot && slot->probed;
	ukey_unlock();
	if (!slot)
		return NULL;
	/* PIN counters change with every login attempt: ask the device (the
	 * first probe just did). */
	*rv = ukey_slot_probe_unlocked(slot);
	if (*rv == CKR_OK && probed)
		*rv = ukey_be_dev_info(slot, fresh);
	if (*rv != CKR_OK)
		return NULL;
	ukey_lock();
	if (probed)
		slot->info = *fresh;
	else
		*fresh = slot->info;
	ukey_unlock();
	return slot;
}

CK_RV ukey_slot_token_info(CK_SLOT_ID id, CK_TOKEN_INFO *info)
{
	return ukey_slot_token_info_tries(id, info, NULL);
}

CK_RV ukey_slot_token_info_tries(CK_SLOT_ID id, CK_TOKEN_INFO *info, struct ukey_dev_info *counters)
{
	CK_RV rv;
	struct ukey_dev_info fresh;
	struct ukey_slot *slot = ukey_slot_fresh_info_unlocked(id, &fresh, &rv);
	if (!slot)
		return rv;
	if (counters)
		*counters = fresh;
	ukey_lock();
	memset(info, 0, sizeof(*info));
	ukey_pad_string(info->label, sizeof(info->label), fresh.label);
	ukey_pad_string(info->manufacturerID, sizeof(info->manufacturerID), fresh.manufacturer);
	ukey_pad_string(info->model, sizeof(info->model), fresh.model);
	ukey_pad_string(info->serialNumber, sizeof(info->serialNumber), fresh.serial);
	/* No clock is offered: utcTime stays blank. */
	info->flags = fresh.token_flags & ~(CK_FLAGS)CKF_CLOCK_ON_TOKEN;
	/* The module's PIN dialog is a protected path: consumers then call
	 * C_Login with a NULL PIN instead of asking in their own bare dialog. */
	if (ukey_pin_prompt_on())
		info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
	/* ...and the module logs in by itself when a private key is first
	 * used (token/ondemand.c): consumers must not ask a PIN first. */
	if (ukey_pin_prompt_on())
		info->flags &= ~(CK_FLAGS)CKF_LOGIN_REQUIRED;
	info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulSessionCount = slot->sessions;
	info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulRwSessionCount = slot->rw_sessions;
	info->ulMaxPinLen = fresh.max_pin_len;
	info->ulMinPinLen = fresh.min_pin_len;
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->hardwareVersion = fresh.hardware_version;
	info->firmwareVersion = fresh.firmware_version;
	memset(info->utcTime, ' ', sizeof(info->utcTime));
	ukey_unlock();
	return CKR_OK;
}

CK_RV ukey_slot_mechanisms(CK_SLOT_ID id, CK_MECHANISM_TYPE *list, CK_ULONG *count)
{
	CK_RV rv;
	ukey_lock();
	struct ukey_slot *slot = present_slot_inlock(id, &rv);
	ukey_unlock();
	if (slot)
		rv = ukey_slot_probe_unlocked(slot);
	if (rv != CKR_OK)
		return rv;
	ukey_lock();
	slot = present_slot_inlock(id, &rv);
	if (slot)
		rv = ukey_mech_list_inlock(slot, list, count);
	ukey_unlock();
	return rv;
}

CK_RV ukey_slot_mechanism_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	CK_RV rv;
	ukey_lock();
	struct ukey_slot *slot = present_slot_inlock(id, &rv);
	ukey_unlock();
	if (slot)
		rv = ukey_slot_probe_unlocked(slot);
	if (rv != CKR_OK)
		return rv;
	return ukey_mech_info_unlocked(slot, type, info);
}

bool ukey_slot_backend_has(const struct ukey_slot *slot, CK_MECHANISM_TYPE type)
{
	for (CK_ULONG i = 0; i < slot->nbackend_mechs; i++)
		if (slot->backend_mechs[i] == type)
			return true;
	return false;
}
