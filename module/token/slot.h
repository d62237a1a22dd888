/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* slot.c: which devices the backends have, and what each says it is. */
#ifndef UKEY_TOKEN_SLOT_H
#define UKEY_TOKEN_SLOT_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>

struct ukey_slot;
struct ukey_dev_info;

/* Copies src into a blank-padded, unterminated PKCS#11 string field. */
void ukey_pad_string(CK_UTF8CHAR *dst, size_t size, const char *src);

struct ukey_slot *ukey_slot_find_inlock(CK_SLOT_ID id);
/* Asks every backend for its devices: new ones get slots, missing ones are
 * marked absent (their sessions closed). Nothing else is asked, but a key
 * inserted after C_Initialize its medium number: a key comes back into the
 * slot it left (docs/architecture.md, "Slots"). */
void ukey_slots_refresh_unlocked(void);
/* The same for one backend; true when a slot changed (event_pending). */
struct ukey_backend;
bool ukey_slots_refresh_backend_unlocked(struct ukey_backend *b);
/* The slot's token is gone (its device left the listing, or a driver call
 * said so): marks it absent, notes the slot event and closes its sessions.
 * False when it was absent already. */
bool ukey_slot_gone_inlock(struct ukey_slot *slot);
/* What the slot's device is (dev_info, mechanisms), read once at the first
 * call that needs it. CKR_OK when known. */
CK_RV ukey_slot_probe_unlocked(struct ukey_slot *slot);
bool ukey_slot_backend_has(const struct ukey_slot *slot, CK_MECHANISM_TYPE type);
/* Asks a present slot's device for its info now and keeps it (PIN
 * counters move with every login attempt, in any process); NULL and *rv
 * when the slot is unknown, empty or the device fails. */
struct ukey_slot *ukey_slot_fresh_info_unlocked(CK_SLOT_ID id, struct ukey_dev_info *fresh, CK_RV *rv);

#endif
