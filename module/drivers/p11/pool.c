/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The p11 driver's backend sessions: the code map, the device list, the
 * per-device session pool and the anchor session (see drivers/p11/p11.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#define UKEY_P11_INTERNAL
#include "drivers/p11/p11.h"
#include "util/lock.h"
#include "util/log.h"

/* ---- error mapping ---- */

/* Backend codes that would mislead our caller. Everything else passes
 * through: the backend speaks PKCS#11 as we do. Session-level codes refer to
 * the backend sessions we manage, which our caller never sees. */
static const struct {
	CK_RV backend;
	CK_RV ours;
} rv_map[] = {
	{ CKR_SESSION_HANDLE_INVALID, CKR_DEVICE_ERROR },
	{ CKR_SESSION_CLOSED, CKR_DEVICE_ERROR },
	{ CKR_SESSION_COUNT, CKR_DEVICE_MEMORY },
	{ CKR_SESSION_READ_ONLY, CKR_DEVICE_ERROR },
	{ CKR_OPERATION_ACTIVE, CKR_DEVICE_ERROR },
	{ CKR_OPERATION_NOT_INITIALIZED, CKR_DEVICE_ERROR },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, CKR_DEVICE_ERROR },
	{ CKR_CRYPTOKI_ALREADY_INITIALIZED, CKR_DEVICE_ERROR },
	{ CKR_SLOT_ID_INVALID, CKR_DEVICE_REMOVED },
};

CK_RV ukey_p11_map(const char *fn, CK_RV raw)
{
	CK_RV rv = raw;
	if (raw == CKR_OK)
		return CKR_OK;
	if (raw >= CKR_VENDOR_DEFINED)
		rv = CKR_DEVICE_ERROR;
	for (size_t i = 0; i < sizeof(rv_map) / sizeof(rv_map[0]); i++)
		if (rv_map[i].backend == raw)
			rv = rv_map[i].ours;
	ukey_debug("backend %s: rv 0x%lx -> 0x%lx", fn, (unsigned long)raw, (unsigned long)rv);
	return rv;
}

bool ukey_p11_session_lost(CK_RV raw)
{
	return raw == CKR_SESSION_HANDLE_INVALID || raw == CKR_SESSION_CLOSED ||
	       raw == CKR_DEVICE_REMOVED || raw == CKR_TOKEN_NOT_PRESENT ||
	       raw == CKR_SLOT_ID_INVALID;
}

static bool p11_device_gone(CK_RV raw)
{
	return raw == CKR_DEVICE_REMOVED || raw == CKR_TOKEN_NOT_PRESENT || raw == CKR_SLOT_ID_INVALID;
}

/* Readers walk the device list without a lock: nodes are only prepended
 * (published with a release store, read with an acquire load) and freed at
 * unload, so the steady-state path takes no lock here. */
struct ukey_p11_dev *ukey_p11_dev(struct ukey_p11 *p, ukey_dev_id dev)
{
	struct ukey_p11_dev *d;
	for (d = __atomic_load_n(&p->devs, __ATOMIC_ACQUIRE); d; d = d->next)
		if (d->slot == (CK_SLOT_ID)dev)
			return d;
	ukey_mutex_lock(&p->devs_lock);
	for (d = p->devs; d; d = d->next)
		if (d->slot == (CK_SLOT_ID)dev)
			goto out;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto out;
	d->slot = (CK_SLOT_ID)dev;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->pool_lock, NULL);
	d->next = p->devs;
	__atomic_store_n(&p->devs, d, __ATOMIC_RELEASE);
out:
	ukey_mutex_unlock(&p->devs_lock);
	return d;
}

/* RW where the token allows; a write-protected token still serves reads
 * and signatures on a read-only session. */
CK_RV ukey_p11_open(struct ukey_p11 *p, CK_SLOT_ID slot, CK_SESSION_HANDLE *s)
{
	CK_RV raw = UKEY_P11_RAW(p, C_OpenSession, slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
				 NULL, NULL, s);
	if (raw == CKR_TOKEN_WRITE_PROTECTED)
		raw = UKEY_P11_RAW(p, C_OpenSession, slot, CKF_SERIAL_SESSION, NULL, NULL, s);
	return raw;
}

/* The backend invalidated this device's sessions (removal): forget the
 * handles without closing them, since their numbers may be reused. */
void ukey_p11_dev_forget(struct ukey_p11_dev *d)
{
	ukey_mutex_lock(&d->pool_lock);
	d->nidle = 0;
	d->nclosing = 0;
	d->epoch++;
	ukey_mutex_unlock(&d->pool_lock);
}

unsigned ukey_p11_epoch(struct ukey_p11_dev *d)
{
	ukey_mutex_lock(&d->pool_lock);
	unsigned e = d->epoch;
	ukey_mutex_unlock(&d->pool_lock);
	return e;
}

void ukey_p11_release_later(struct ukey_p11_dev *d, CK_SESSION_HANDLE s, unsigned epoch, bool clean)
{
	ukey_mutex_lock(&d->pool_lock);
	if (epoch != d->epoch) {
		/* The device left: the backend dropped s, and may reuse its number. */
	} else if (clean && d->nidle < UKEY_P11_POOL_MAX) {
		d->idle[d->nidle++] = s;
	} else {
		if (d->nclosing == d->capclosing) {
			unsigned cap = d->capclosing ? 2 * d->capclosing : 8;
			CK_SESSION_HANDLE *grown = realloc(d->closing, cap * sizeof(*grown));
			if (grown) {
				d->closing = grown;
				d->capclosing = cap;
			}
		}
		if (d->nclosing < d->capclosing)
			d->closing[d->nclosing++] = s;
		else
			ukey_warn("slot %lu: out of memory; a backend session stays open", (unsigned long)d->slot);
	}
	ukey_mutex_unlock(&d->pool_lock);
}

void ukey_p11_close_pending(struct ukey_p11 *p, struct ukey_p11_dev *d)
{
	CK_SESSION_HANDLE *list;
	unsigned n;

	ukey_mutex_lock(&d->pool_lock);
	n = d->nclosing;
	if (n == 0) {
		ukey_mutex_unlock(&d->pool_lock);
		return;
	}
	list = d->closing;
	d->closing = NULL;
	d->nclosing = d->capclosing = 0;
	ukey_mutex_unlock(&d->pool_lock);
	for (unsigned i = 0; i < n; i++)
		(void)UKEY_P11_RAW(p, C_CloseSession, list[i]);
	free(list);
}

CK_RV ukey_p11_borrow(struct ukey_p11 *p, ukey_dev_id dev, struct ukey_p11_dev **d,
		      CK_SESSION_HANDLE *s)
{
	CK_RV raw;
	*d = ukey_p11_dev(p, dev);
	if (!*d)
		return CKR_HOST_MEMORY;
	ukey_p11_close_pending(p, *d);
	ukey_mutex_lock(&(*d)->pool_lock);
	if ((*d)->nidle > 0) {
		*s = (*d)->idle[--(*d)->nidle];
		ukey_mutex_unlock(&(*d)->pool_lock);
		return CKR_OK;
	}
	ukey_mutex_unlock(&(*d)->pool_lock);
	raw = ukey_p11_open(p, (*d)->slot, s);
	return ukey_p11_map("C_OpenSession", raw);
}

void ukey_p11_put(struct ukey_p11 *p, struct ukey_p11_dev *d, CK_SESSION_HANDLE s, CK_RV raw,
		  bool dirty)
{
	if (ukey_p11_session_lost(raw)) {
		if (p11_device_gone(raw))
			ukey_p11_dev_forget(d);
		return;
	}
	if (!dirty && raw != CKR_OPERATION_ACTIVE) {
		ukey_mutex_lock(&d->pool_lock);
		if (d->nidle < UKEY_P11_POOL_MAX) {
			d->idle[d->nidle++] = s;
			ukey_mutex_unlock(&d->pool_lock);
			return;
		}
		ukey_mutex_unlock(&d->pool_lock);
	}
	(void)UKEY_P11_RAW(p, C_CloseSession, s);
}

CK_RV ukey_p11_anchor_inlock(struct ukey_p11 *p, struct ukey_p11_dev *d)
{
	CK_RV raw;
	if (d->has_anchor)
		return CKR_OK;
	raw = ukey_p11_open(p, d->slot, &d->anchor);
	if (raw != CKR_OK)
		return ukey_p11_map("C_OpenSession", raw);
	d->has_anchor = true;
	return CKR_OK;
}

/* After a call on the anchor: a lost anchor is reopened on next use. */
void ukey_p11_anchor_check_inlock(struct ukey_p11_dev *d, CK_RV raw)
{
	if (ukey_p11_session_lost(raw))
		d->has_anchor = false;
}

