/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one gate from token/ to the drivers (drivers/driver.h): no other file
 * of token/ calls a driver operation or looks at the vtable. What every
 * call needs is done here once:
 *
 *  - the device lock: slot->dev_lock is taken around each call for a device
 *    whose driver is not thread safe, and only around the call; never with
 *    the table lock held (model.h has the whole contract). holder_close and
 *    op_end are the exceptions: they never wait for the backend, so they
 *    take no lock and may be called with the table lock held;
 *  - removal: a call answering CKR_DEVICE_REMOVED or CKR_TOKEN_NOT_PRESENT
 *    marks the slot's token absent and closes its sessions;
 *  - the log: a failed call is logged (debug) with the slot, the operation
 *    and the code the driver mapped the backend's raw code to (the driver
 *    logs the raw code itself);
 *  - the fork rule: in a forked child nothing reaches a driver that could
 *    wait on the parent's locks (holder_close, op_end).
 *
 * Functions named ukey_be_* take a slot and are called without the table
 * lock, unless their comment says otherwise. */
#ifndef UKEY_TOKEN_BACKEND_H
#define UKEY_TOKEN_BACKEND_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "drivers/driver.h"
#include "util/conf.h"

struct ukey_watcher;

/* One loaded backend: its driver and the driver's state. */
struct ukey_backend {
	const struct ukey_driver_ops *ops;
	void *drv;
	char *name;
	bool thread_safe;
	CK_SLOT_ID slot_base;        /* this backend's slot range starts here */
	struct ukey_watcher *watcher; /* its device-event thread (events.c), or NULL */
};

struct ukey_slot;

/* ---- a backend as a whole ---- */
/* Loads the backend bc names with ops into b (ops, drv, thread_safe). On
 * failure b is left cleared, and the driver has logged the one line saying
 * why. */
CK_RV ukey_be_load(struct ukey_backend *b, const struct ukey_driver_ops *ops, const struct ukey_backend_conf *bc);
/* in_child: we are in a forked child (or exiting): the driver drops its
 * state and leaves the backend alone. */
void ukey_be_unload(struct ukey_backend *b, bool in_child);
/* The devices present now, at most *count (no device lock: none is open). */
CK_RV ukey_be_devices(struct ukey_backend *b, ukey_dev_id *ids, CK_ULONG *count);
/* What a device that no slot names yet says about itself: its medium
 * number chooses its slot (slot.c). No device lock: no other call can name
 * the device yet. */
CK_RV ukey_be_new_dev_info(struct ukey_backend *b, ukey_dev_id dev, struct ukey_dev_info *info);
/* The driver's wait_event and cancel_wait (driver.h); without them
 * CKR_FUNCTION_NOT_SUPPORTED, and nothing. has_events: the driver has
 * them (a call may still say the backend has not). */
bool ukey_be_has_events(const struct ukey_backend *b);
CK_RV ukey_be_wait_event(struct ukey_backend *b);
void ukey_be_cancel_wait(struct ukey_backend *b);

/* ---- what a slot's driver can do (no call, no lock) ---- */
enum ukey_be_cap {
	UKEY_BE_PASS,          /* the pass-through operations (pass.h) */
	UKEY_BE_CREATE_IN,     /* session secret keys in a holder */
	UKEY_BE_COPY,          /* C_CopyObject of backend objects */
	UKEY_BE_UNWRAP_PAIR,   /* CKM_UKEY_ENVELOPED_KEY_PAIR */
	UKEY_BE_SESSION_KEYS,  /* session key pairs from generate_key_pair */
};
bool ukey_be_can(const struct ukey_slot *slot, enum ukey_be_cap cap);
/* Whether the driver implements envelope format (UKEY_ENVELOPE_*). */
bool ukey_be_unwrap_format(const struct ukey_slot *slot, CK_ULONG format);

/* ---- the device ---- */
CK_RV ukey_be_dev_info(struct ukey_slot *slot, struct ukey_dev_info *info);
/* What the device is: its info, and its mechanisms into *mechs (malloc'd,
 * *nmechs of them), read with the device held throughout. */
CK_RV ukey_be_probe(struct ukey_slot *slot, struct ukey_dev_info *info, CK_MECHANISM_TYPE **mechs,
		    CK_ULONG *nmechs);
CK_RV ukey_be_mechanism_info(struct ukey_slot *slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);
CK_RV ukey_be_random(struct ukey_slot *slot, CK_BYTE *out, CK_ULONG len);

/* ---- login and PINs: the PIN goes to the driver as given, once ---- */
CK_RV ukey_be_login(struct ukey_slot *slot, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV ukey_be_logout(struct ukey_slot *slot);
CK_RV ukey_be_init_pin(struct ukey_slot *slot, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV ukey_be_set_pin(struct ukey_slot *slot, CK_USER_TYPE user, const CK_UTF8CHAR *old_pin, CK_ULONG old_len,
		      const CK_UTF8CHAR *new_pin, CK_ULONG new_len);

/* ---- objects ---- */
/* The token's objects as the driver lists them now, into *refs (malloc'd,
 * *n of them); reread: the device may have changed behind the driver. One
 * listing with room for a usual token first (on a p11 backend each listing
 * is a search of its own), grown when objects appeared meanwhile. */
CK_RV ukey_be_list_objects(struct ukey_slot *slot, bool reread, ukey_ref **refs, CK_ULONG *n);
/* C_GetAttributeValue semantics on the template, one driver call. */
CK_RV ukey_be_get_attrs(struct ukey_slot *slot, ukey_ref ref, CK_ATTRIBUTE *t, CK_ULONG n);
/* The values of the template's attributes (pValue NULL on entry), sized
 * and read with the device held throughout: on CKR_OK (or SENSITIVE or
 * TYPE_INVALID from the sizing, which only drops those entries) the
 * entries the object has are moved to the front, *got of them, each with
 * a malloc'd pValue the caller frees. */
CK_RV ukey_be_get_values(struct ukey_slot *slot, ukey_ref ref, CK_ATTRIBUTE *t, CK_ULONG n, CK_ULONG *got);
/* One attribute (a->type), sized and read with the device held:
 * a->pValue malloc'd and a->ulValueLen its length; no value read (pValue
 * NULL) when the length is 0, unavailable, or over max. On success the
 * caller wipes and frees the value; on failure there is none. */
CK_RV ukey_be_get_value(struct ukey_slot *slot, ukey_ref ref, CK_ATTRIBUTE *a, CK_ULONG max);
CK_RV ukey_be_set_attrs(struct ukey_slot *slot, ukey_ref ref, const CK_ATTRIBUTE *t, CK_ULONG n);
CK_RV ukey_be_create(struct ukey_slot *slot, const CK_ATTRIBUTE *t, CK_ULONG n, ukey_ref *out);
CK_RV ukey_be_destroy(struct ukey_slot *slot, ukey_ref ref);
CK_RV ukey_be_generate_key_pair(struct ukey_slot *slot, const CK_MECHANISM *mech, const CK_ATTRIBUTE *pub,
				CK_ULONG npub, const CK_ATTRIBUTE *priv, CK_ULONG npriv, ukey_ref *pub_out,
				ukey_ref *priv_out);
/* CKR_MECHANISM_INVALID when the driver has no unwrap_key_pair. */
CK_RV ukey_be_unwrap_key_pair(struct ukey_slot *slot, ukey_ref key, CK_ULONG format, const CK_BYTE *env,
			      CK_ULONG len, const CK_ATTRIBUTE *t, CK_ULONG n, ukey_ref *pub_out, ukey_ref *priv_out);

/* ---- the module's own private-key operations ---- */
CK_RV ukey_be_sign(struct ukey_slot *slot, ukey_ref key, const CK_MECHANISM *mech, const CK_BYTE *in, CK_ULONG inlen,
		   CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_be_decrypt(struct ukey_slot *slot, ukey_ref key, const CK_MECHANISM *mech, const CK_BYTE *in,
		      CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen);

/* ---- pass-through (pass.h); CKR_FUNCTION_NOT_SUPPORTED when the driver
 * has none ---- */
CK_RV ukey_be_holder_open(struct ukey_slot *slot, ukey_ref *holder);
/* Table lock may be held. */
void ukey_be_holder_close(struct ukey_slot *slot, ukey_ref holder);
CK_RV ukey_be_generate_key(struct ukey_slot *slot, ukey_ref holder, const CK_MECHANISM *mech, const CK_ATTRIBUTE *t,
			   CK_ULONG n, ukey_ref *out);
CK_RV ukey_be_create_in(struct ukey_slot *slot, ukey_ref holder, const CK_ATTRIBUTE *t, CK_ULONG n, ukey_ref *out);
CK_RV ukey_be_copy(struct ukey_slot *slot, ukey_ref holder, ukey_ref ref, const CK_ATTRIBUTE *t, CK_ULONG n,
		   ukey_ref *out);
CK_RV ukey_be_wrap(struct ukey_slot *slot, const CK_MECHANISM *mech, ukey_ref wrapping, ukey_ref key, CK_BYTE *out,
		   CK_ULONG *outlen);
CK_RV ukey_be_unwrap(struct ukey_slot *slot, ukey_ref holder, const CK_MECHANISM *mech, ukey_ref unwrapping,
		     const CK_BYTE *in, CK_ULONG len, const CK_ATTRIBUTE *t, CK_ULONG n, ukey_ref *out);
CK_RV ukey_be_op_begin(struct ukey_slot *slot, enum ukey_pass_kind kind, const CK_MECHANISM *mech, ukey_ref key,
		       void **op);
CK_RV ukey_be_op_step(struct ukey_slot *slot, void *op, enum ukey_pass_step step, const CK_BYTE *in,
		      CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_be_op_verify(struct ukey_slot *slot, void *op, bool final, const CK_BYTE *in, CK_ULONG inlen,
			const CK_BYTE *sig, CK_ULONG siglen);
/* Table lock may be held. */
void ukey_be_op_end(struct ukey_slot *slot, void *op);

#endif
