/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* inventory.c: the cache of a token's objects and their attributes
 * (docs/architecture.md, "The inventory cache"). */
#ifndef UKEY_TOKEN_INVENTORY_H
#define UKEY_TOKEN_INVENTORY_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "drivers/driver.h"

struct ukey_slot;
struct ukey_object;

/* Lists the token's objects from the driver (without the table lock held)
 * and swaps them in, keeping handles of objects that are still there.
 * reread: the device may have changed (first use, re-insertion, another
 * process's write): read every object afresh. Otherwise (login, our own
 * destroy) only objects not cached yet are read. */
CK_RV ukey_inventory_reload_unlocked(struct ukey_slot *slot, bool reread);
/* Reads everything again when another process changed the token since the
 * inventory was read (its generation moved); load: also when it was never
 * read. */
CK_RV ukey_inventory_current_unlocked(struct ukey_slot *slot, bool load);
/* Reads one token object's cacheable attributes from the driver. */
CK_RV ukey_object_fetch_unlocked(struct ukey_slot *slot, ukey_ref ref, struct ukey_object **out);
/* Adds an object to the slot's inventory and gives it a handle. */
CK_RV ukey_inventory_add_inlock(struct ukey_slot *slot, struct ukey_object *obj);
/* Removes it, drops its handle and frees it. */
void ukey_inventory_remove_inlock(struct ukey_slot *slot, struct ukey_object *obj);
/* A key was put back into the slot: drops every token object of its last
 * insertion and their handles, so the next use reads the token afresh. */
void ukey_inventory_forget_inlock(struct ukey_slot *slot);
void ukey_object_free(struct ukey_object *obj);
/* True for attributes that hold key material on a private/secret key. */
bool ukey_attr_is_secret(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE type);
/* True for attributes not read when the inventory loads, only when a caller
 * asks (a data object's content and what is told from it). */
bool ukey_attr_is_lazy(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE type);

#endif
