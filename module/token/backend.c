/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one gate to the drivers (backend.h says what it does for every call).
 * Each wrapper is the same four steps: device lock, the driver call, device
 * unlock, then the answer noted (removal, log); CALL() spells them once. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "token/backend.h"
#include "token/model.h"
#include "token/slot.h"
#include "util/log.h"

/* A listing's first try; most tokens hold far fewer objects. */
#define LIST_FIRST 64

static void dev_lock(struct ukey_slot *slot)
{
	if (!slot->backend->thread_safe)
		pthread_mutex_lock(&slot->dev_lock);
}

static void dev_unlock(struct ukey_slot *slot)
{
	if (!slot->backend->thread_safe)
		pthread_mutex_unlock(&slot->dev_lock);
}

/* After every driver call, without any lock: a gone device marks the
 * token absent (and closes its sessions); a failure is logged with the
 * code the driver mapped. The answers that are part of a normal
 * conversation (sizing, attributes an object lacks) are not failures. */
static void noted(struct ukey_slot *slot, ukey_dev_id dev, const char *what, CK_RV rv)
{
	if (rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL || rv == CKR_ATTRIBUTE_SENSITIVE ||
	    rv == CKR_ATTRIBUTE_TYPE_INVALID)
		return;
	ukey_debug("slot %lu: driver %s: 0x%08lx", (unsigned long)slot->id, what, (unsigned long)rv);
	if (rv != CKR_DEVICE_REMOVED && rv != CKR_TOKEN_NOT_PRESENT)
		return;
	ukey_lock();
	/* A call still running on a key pulled out must not take the slot
	 * from the key inserted into it since. */
	if (slot->dev == dev && ukey_slot_gone_inlock(slot))
		ukey_info("slot %lu: device removed", (unsigned long)slot->id);
	ukey_unlock();
}

/* The slot's device now. A re-inserted key takes its old slot back under
 * the device id the driver gives it now (slot.c), so each call reads the
 * id once and names that device throughout. */
static ukey_dev_id dev_of(const struct ukey_slot *slot)
{
	return __atomic_load_n(&slot->dev, __ATOMIC_ACQUIRE);
}

/* In a forked child the driver's state is the parent's: calls that may run
 * at teardown leave it alone (its locks may be held by threads that do not
 * exist here). */
static bool in_parent(void)
{
	return ukey_M.pid == getpid();
}

#define OPS(slot) ((slot)->backend->ops)
#define DRV(slot) ((slot)->backend->drv)

/* One driver call for a slot: op is the vtable member, the arguments
 * follow drv and dev. */
#define CALL(slot, op, ...)                                                \
	do {                                                               \
		ukey_dev_id dev_ = dev_of(slot);                           \
		dev_lock(slot);                                            \
		rv = OPS(slot)->op(DRV(slot), dev_, __VA_ARGS__);          \
		dev_unlock(slot);                                          \
		noted(slot, dev_, #op, rv);                                \
	} while (0)

CK_RV ukey_be_load(struct ukey_backend *b, const struct ukey_driver_ops *ops, const struct ukey_backend_conf *bc)
{
	void *drv = NULL;
	CK_RV rv = ops->load(bc, &drv);

	memset(b, 0, sizeof(*b));
	if (rv != CKR_OK)
		return rv;
	b->ops = ops;
	b->drv = drv;
	b->thread_safe = ops->thread_safe(drv);
	return CKR_OK;
}

void ukey_be_unload(struct ukey_backend *b, bool in_child)
{
	b->ops->unload(b->drv, in_child);
}

CK_RV ukey_be_devices(struct ukey_backend *b, ukey_dev_id *ids, CK_ULONG *count)
{
	return b->ops->devices(b->drv, ids, count);
}

CK_RV ukey_be_new_dev_info(struct ukey_backend *b, ukey_dev_id dev, struct ukey_dev_info *info)
{
	CK_RV rv = b->ops->dev_info(b->drv, dev, info);
	if (rv != CKR_OK)
		ukey_debug("[backend %s]: new device: driver dev_info: 0x%08lx", b->name, (unsigned long)rv);
	return rv;
}

bool ukey_be_has_events(const struct ukey_backend *b)
{
	return b->ops->wait_event != NULL;
}

CK_RV ukey_be_wait_event(struct ukey_backend *b)
{
	return b->ops->wait_event ? b->ops->wait_event(b->drv) : CKR_FUNCTION_NOT_SUPPORTED;
}

void ukey_be_cancel_wait(struct ukey_backend *b)
{
	if (b->ops->cancel_wait)
		b->ops->cancel_wait(b->drv);
}

bool ukey_be_can(const struct ukey_slot *slot, enum ukey_be_cap cap)
{
	const struct ukey_driver_ops *ops = slot->backend ? slot->backend->ops : NULL;
	if (!ops)
		return false;
	switch (cap) {
	case UKEY_BE_PASS: return ops->op_begin != NULL;
	case UKEY_BE_CREATE_IN: return ops->create_in != NULL;
	case UKEY_BE_COPY: return ops->copy != NULL;
	case UKEY_BE_UNWRAP_PAIR: return ops->unwrap_key_pair != NULL;
	case UKEY_BE_SESSION_KEYS: return ops->session_keys;
	}
	return false;
}

bool ukey_be_unwrap_format(const struct ukey_slot *slot, CK_ULONG format)
{
	return ukey_be_can(slot, UKEY_BE_UNWRAP_PAIR) && (OPS(slot)->unwrap_formats & UKEY_ENVELOPE_BIT(format));
}

CK_RV ukey_be_dev_info(struct ukey_slot *slot, struct ukey_dev_info *info)
{
	CK_RV rv;
	CALL(slot, dev_info, info);
	return rv;
}

/* Both calls of the mechanisms' two-call sizing, the device held. */
static CK_RV read_device(struct ukey_slot *slot, ukey_dev_id dev, struct ukey_dev_info *info,
			 CK_MECHANISM_TYPE **mechs, CK_ULONG *nmechs)
{
	CK_ULONG n = 0;
	CK_RV rv = OPS(slot)->dev_info(DRV(slot), dev, info);
	if (rv != CKR_OK)
		return rv;
	rv = OPS(slot)->mechanisms(DRV(slot), dev, NULL, &n);
	if (rv != CKR_OK)
		return rv;
	*mechs = calloc(n ? n : 1, sizeof(**mechs));
	if (!*mechs)
		return CKR_HOST_MEMORY;
	rv = OPS(slot)->mechanisms(DRV(slot), dev, *mechs, &n);
	if (rv != CKR_OK) {
		free(*mechs);
		*mechs = NULL;
		return rv;
	}
	*nmechs = n;
	return CKR_OK;
}

CK_RV ukey_be_probe(struct ukey_slot *slot, struct ukey_dev_info *info, CK_MECHANISM_TYPE **mechs,
		    CK_ULONG *nmechs)
{
	ukey_dev_id dev = dev_of(slot);
	CK_RV rv;
	*mechs = NULL;
	*nmechs = 0;
	dev_lock(slot);
	rv = read_device(slot, dev, info, mechs, nmechs);
	dev_unlock(slot);
	noted(slot, dev, "dev_info/mechanisms", rv);
	return rv;
}

CK_RV ukey_be_mechanism_info(struct ukey_slot *slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	CK_RV rv;
	CALL(slot, mechanism_info, type, info);
	return rv;
}

CK_RV ukey_be_random(struct ukey_slot *slot, CK_BYTE *out, CK_ULONG len)
{
	CK_RV rv;
	CALL(slot, random, out, len);
	return rv;
}

CK_RV ukey_be_login(struct ukey_slot *slot, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	CK_RV rv;
	CALL(slot, login, user, pin, len);
	return rv;
}

CK_RV ukey_be_logout(struct ukey_slot *slot)
{
	ukey_dev_id dev = dev_of(slot);
	CK_RV rv;
	dev_lock(slot);
	rv = OPS(slot)->logout(DRV(slot), dev);
	dev_unlock(slot);
	noted(slot, dev, "logout", rv);
	return rv;
}

CK_RV ukey_be_init_pin(struct ukey_slot *slot, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	CK_RV rv;
	CALL(slot, init_pin, pin, len);
	return rv;
}

CK_RV ukey_be_set_pin(struct ukey_slot *slot, CK_USER_TYPE user, const CK_UTF8CHAR *old_pin, CK_ULONG old_len,
		      const CK_UTF8CHAR *new_pin, CK_ULONG new_len)
{
	CK_RV rv;
	CALL(slot, set_pin, user, old_pin, old_len, new_pin, new_len);
	return rv;
}

/* Objects may appear between two listings (a login elsewhere in the
 * process shows the private ones): grow and list again, a few times. */
static CK_RV list_held(struct ukey_slot *slot, ukey_dev_id dev, bool reread, ukey_ref **refs, CK_ULONG *n)
{
	CK_RV rv = CKR_BUFFER_TOO_SMALL;
	if (reread && OPS(slot)->reread)
		OPS(slot)->reread(DRV(slot), dev);
	for (CK_ULONG tries = 0, cap = LIST_FIRST; tries < 4; tries++, cap = *n) {
		ukey_ref *grown = realloc(*refs, (cap + 1) * sizeof(**refs));
		if (!grown)
			return CKR_HOST_MEMORY;
		*refs = grown;
		*n = cap;
		rv = OPS(slot)->objects(DRV(slot), dev, *refs, n);
		if (rv != CKR_BUFFER_TOO_SMALL || *n <= cap)
			break;
	}
	return rv;
}

CK_RV ukey_be_list_objects(struct ukey_slot *slot, bool reread, ukey_ref **refs, CK_ULONG *n)
{
	ukey_dev_id dev = dev_of(slot);
	CK_RV rv;
	*refs = NULL;
	*n = 0;
	dev_lock(slot);
	rv = list_held(slot, dev, reread, refs, n);
	dev_unlock(slot);
	noted(slot, dev, "objects", rv);
	if (rv != CKR_OK) {
		free(*refs);
		*refs = NULL;
		*n = 0;
	}
	return rv;
}

CK_RV ukey_be_get_attrs(struct ukey_slot *slot, ukey_ref ref, CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_RV rv;
	CALL(slot, get_attrs, ref, t, n);
	return rv;
}

/* The sizes, then the values of what the object has, the device held. */
static CK_RV values_held(struct ukey_slot *slot, ukey_dev_id dev, ukey_ref ref, CK_ATTRIBUTE *t, CK_ULONG k,
			 CK_ULONG *got)
{
	CK_ULONG n = 0;
	CK_RV rv = OPS(slot)->get_attrs(DRV(slot), dev, ref, t, k);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_SENSITIVE && rv != CKR_ATTRIBUTE_TYPE_INVALID)
		return rv;
	for (CK_ULONG i = 0; i < k; i++) {
		if (t[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			continue;
		t[n].type = t[i].type;
		t[n].ulValueLen = t[i].ulValueLen;
		t[n].pValue = t[n].ulValueLen ? malloc(t[n].ulValueLen) : NULL;
		*got = ++n;
		if (t[n - 1].ulValueLen && !t[n - 1].pValue)
			return CKR_HOST_MEMORY;
	}
	return OPS(slot)->get_attrs(DRV(slot), dev, ref, t, n);
}

CK_RV ukey_be_get_values(struct ukey_slot *slot, ukey_ref ref, CK_ATTRIBUTE *t, CK_ULONG n, CK_ULONG *got)
{
	ukey_dev_id dev = dev_of(slot);
	CK_RV rv;
	*got = 0;
	dev_lock(slot);
	rv = values_held(slot, dev, ref, t, n, got);
	dev_unlock(slot);
	noted(slot, dev, "get_attrs", rv);
	if (rv != CKR_OK) {
		for (CK_ULONG i = 0; i < *got; i++)
			free(t[i].pValue);
		*got = 0;
	}
	return rv;
}

/* The size, then the value when there is one to read, the device held. */
static CK_RV value_held(struct ukey_slot *slot, ukey_dev_id dev, ukey_ref ref, CK_ATTRIBUTE *a, CK_ULONG max)
{
	CK_ULONG cap;
	CK_RV rv = OPS(slot)->get_attrs(DRV(slot), dev, ref, a, 1);
	if (rv != CKR_OK || !a->ulValueLen || a->ulValueLen == CK_UNAVAILABLE_INFORMATION || a->ulValueLen > max)
		return rv;
	cap = a->ulValueLen;
	a->pValue = malloc(cap);
	if (!a->pValue)
		return CKR_HOST_MEMORY;
	rv = OPS(slot)->get_attrs(DRV(slot), dev, ref, a, 1);
	/* The value grew between the calls: the buffer is too small for it. */
	if (rv == CKR_OK && a->ulValueLen > cap)
		rv = CKR_BUFFER_TOO_SMALL;
	if (rv != CKR_OK) {
		OPENSSL_cleanse(a->pValue, cap);
		free(a->pValue);
		a->pValue = NULL;
	}
	return rv;
}

CK_RV ukey_be_get_value(struct ukey_slot *slot, ukey_ref ref, CK_ATTRIBUTE *a, CK_ULONG max)
{
	ukey_dev_id dev = dev_of(slot);
	CK_RV rv;
	a->pValue = NULL;
	dev_lock(slot);
	rv = value_held(slot, dev, ref, a, max);
	dev_unlock(slot);
	noted(slot, dev, "get_attrs", rv);
	return rv;
}

CK_RV ukey_be_set_attrs(struct ukey_slot *slot, ukey_ref ref, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_RV rv;
	CALL(slot, set_attrs, ref, t, n);
	return rv;
}

CK_RV ukey_be_create(struct ukey_slot *slot, const CK_ATTRIBUTE *t, CK_ULONG n, ukey_ref *out)
{
	CK_RV rv;
	CALL(slot, create, t, n, out);
	return rv;
}

CK_RV ukey_be_destroy(struct ukey_slot *slot, ukey_ref ref)
{
	CK_RV rv;
	CALL(slot, destroy, ref);
	return rv;
}

CK_RV ukey_be_generate_key_pair(struct ukey_slot *slot, const CK_MECHANISM *mech, const CK_ATTRIBUTE *pub,
				CK_ULONG npub, const CK_ATTRIBUTE *priv, CK_ULONG npriv, ukey_ref *pub_out,
				ukey_ref *priv_out)
{
	CK_RV rv;
	CALL(slot, generate_key_pair, mech, pub, npub, priv, npriv, pub_out, priv_out);
	return rv;
}

CK_RV ukey_be_unwrap_key_pair(struct ukey_slot *slot, ukey_ref key, CK_ULONG format, const CK_BYTE *env,
			      CK_ULONG len, const CK_ATTRIBUTE *t, CK_ULONG n, ukey_ref *pub_out, ukey_ref *priv_out)
{
	CK_RV rv;
	if (!OPS(slot)->unwrap_key_pair)
		return CKR_MECHANISM_INVALID;
	CALL(slot, unwrap_key_pair, key, format, env, len, t, n, pub_out, priv_out);
	return rv;
}

CK_RV ukey_be_sign(struct ukey_slot *slot, ukey_ref key, const CK_MECHANISM *mech, const CK_BYTE *in, CK_ULONG inlen,
		   CK_BYTE *out, CK_ULONG *outlen)
{
	CK_RV rv;
	CALL(slot, sign, key, mech, in, inlen, out, outlen);
	return rv;
}

CK_RV ukey_be_decrypt(struct ukey_slot *slot, ukey_ref key, const CK_MECHANISM *mech, const CK_BYTE *in,
		      CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen)
{
	CK_RV rv;
	CALL(slot, decrypt, key, mech, in, inlen, out, outlen);
	return rv;
}

CK_RV ukey_be_holder_open(struct ukey_slot *slot, ukey_ref *holder)
{
	CK_RV rv;
	if (!OPS(slot)->holder_open)
		return CKR_FUNCTION_NOT_SUPPORTED;
	CALL(slot, holder_open, holder);
	return rv;
}

void ukey_be_holder_close(struct ukey_slot *slot, ukey_ref holder)
{
	if (holder != UKEY_NO_HOLDER && OPS(slot)->holder_close && in_parent())
		OPS(slot)->holder_close(DRV(slot), dev_of(slot), holder);
}

CK_RV ukey_be_generate_key(struct ukey_slot *slot, ukey_ref holder, const CK_MECHANISM *mech, const CK_ATTRIBUTE *t,
			   CK_ULONG n, ukey_ref *out)
{
	CK_RV rv;
	if (!OPS(slot)->generate_key)
		return CKR_FUNCTION_NOT_SUPPORTED;
	CALL(slot, generate_key, holder, mech, t, n, out);
	return rv;
}

CK_RV ukey_be_create_in(struct ukey_slot *slot, ukey_ref holder, const CK_ATTRIBUTE *t, CK_ULONG n, ukey_ref *out)
{
	CK_RV rv;
	if (!OPS(slot)->create_in)
		return CKR_FUNCTION_NOT_SUPPORTED;
	CALL(slot, create_in, holder, t, n, out);
	return rv;
}

CK_RV ukey_be_copy(struct ukey_slot *slot, ukey_ref holder, ukey_ref ref, const CK_ATTRIBUTE *t, CK_ULONG n,
		   ukey_ref *out)
{
	CK_RV rv;
	if (!OPS(slot)->copy)
		return CKR_FUNCTION_NOT_SUPPORTED;
	CALL(slot, copy, holder, ref, t, n, out);
	return rv;
}

CK_RV ukey_be_wrap(struct ukey_slot *slot, const CK_MECHANISM *mech, ukey_ref wrapping, ukey_ref key, CK_BYTE *out,
		   CK_ULONG *outlen)
{
	CK_RV rv;
	if (!OPS(slot)->wrap)
		return CKR_FUNCTION_NOT_SUPPORTED;
	CALL(slot, wrap, mech, wrapping, key, out, outlen);
	return rv;
}

CK_RV ukey_be_unwrap(struct ukey_slot *slot, ukey_ref holder, const CK_MECHANISM *mech, ukey_ref unwrapping,
		     const CK_BYTE *in, CK_ULONG len, const CK_ATTRIBUTE *t, CK_ULONG n, ukey_ref *out)
{
	CK_RV rv;
	if (!OPS(slot)->unwrap)
		return CKR_FUNCTION_NOT_SUPPORTED;
	CALL(slot, unwrap, holder, mech, unwrapping, in, len, t, n, out);
	return rv;
}

CK_RV ukey_be_op_begin(struct ukey_slot *slot, enum ukey_pass_kind kind, const CK_MECHANISM *mech, ukey_ref key,
		       void **op)
{
	CK_RV rv;
	if (!OPS(slot)->op_begin)
		return CKR_FUNCTION_NOT_SUPPORTED;
	CALL(slot, op_begin, kind, mech, key, op);
	return rv;
}

/* A running op is the driver's own: it takes drv and the op, no device. */
CK_RV ukey_be_op_step(struct ukey_slot *slot, void *op, enum ukey_pass_step step, const CK_BYTE *in,
		      CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen)
{
	ukey_dev_id dev = dev_of(slot);
	CK_RV rv;
	dev_lock(slot);
	rv = OPS(slot)->op_step(DRV(slot), op, step, in, inlen, out, outlen);
	dev_unlock(slot);
	noted(slot, dev, "op_step", rv);
	return rv;
}

CK_RV ukey_be_op_verify(struct ukey_slot *slot, void *op, bool final, const CK_BYTE *in, CK_ULONG inlen,
			const CK_BYTE *sig, CK_ULONG siglen)
{
	ukey_dev_id dev = dev_of(slot);
	CK_RV rv;
	dev_lock(slot);
	rv = OPS(slot)->op_verify(DRV(slot), op, final, in, inlen, sig, siglen);
	dev_unlock(slot);
	noted(slot, dev, "op_verify", rv);
	return rv;
}

void ukey_be_op_end(struct ukey_slot *slot, void *op)
{
	if (op && in_parent())
		OPS(slot)->op_end(DRV(slot), op);
}
