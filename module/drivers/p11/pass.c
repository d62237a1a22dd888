/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The p11 driver's pass-through (driver.h's last group): the backend's own
 * functions, called with the caller's mechanism and template.
 *
 * Sessions: a token object is made on a pooled session. A holder is a
 * backend session of its own whose session objects die when it closes; a
 * running operation keeps the pooled session it started on until it ends.
 * Both are given up without a backend call (token/ may hold its table lock
 * then): a clean session goes back to the pool, any other is closed at the
 * next borrow (pool.c), and one from before the device left is only
 * forgotten, since the backend may hand its number out again. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#define UKEY_P11_INTERNAL
#include "drivers/p11/p11.h"
#include "util/lock.h"
#include "util/log.h"

/* ---- holders ---- */

CK_RV ukey_p11_holder_open(void *drv, ukey_dev_id dev, ukey_ref *holder)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d = ukey_p11_dev(p, dev);
	struct ukey_p11_holder *h;
	CK_SESSION_HANDLE s;
	unsigned epoch;
	CK_RV raw;

	if (!d)
		return CKR_HOST_MEMORY;
	epoch = ukey_p11_epoch(d);
	raw = ukey_p11_open(p, d->slot, &s);
	if (raw != CKR_OK)
		return ukey_p11_map("C_OpenSession", raw);
	ukey_mutex_lock(&d->pool_lock);
	for (h = d->holders; h && h->open; h = h->next)
		;
	if (!h && (h = calloc(1, sizeof(*h)))) {
		h->next = d->holders;
		d->holders = h;
	}
	if (h) {
		h->s = s;
		h->epoch = epoch;
		h->open = true;
	}
	ukey_mutex_unlock(&d->pool_lock);
	if (!h) {
		(void)UKEY_P11_RAW(p, C_CloseSession, s);
		return CKR_HOST_MEMORY;
	}
	*holder = (ukey_ref)(uintptr_t)h;
	return CKR_OK;
}

void ukey_p11_holder_close(void *drv, ukey_dev_id dev, ukey_ref holder)
{
	struct ukey_p11_dev *d = ukey_p11_dev(drv, dev);
	struct ukey_p11_holder *h = (struct ukey_p11_holder *)(uintptr_t)holder;
	CK_SESSION_HANDLE s = 0;
	unsigned epoch = 0;
	bool was_open;

	if (!d || !h)
		return;
	ukey_mutex_lock(&d->pool_lock);
	was_open = h->open;
	s = h->s;
	epoch = h->epoch;
	h->open = false;
	ukey_mutex_unlock(&d->pool_lock);
	/* Never pooled: its session objects must die with it. */
	if (was_open)
		ukey_p11_release_later(d, s, epoch, false);
}

/* The backend session a new object is made in: the holder's for a session
 * object, else a pooled one (*pooled then, to be put back). */
static CK_RV make_session(struct ukey_p11 *p, ukey_dev_id dev, ukey_ref holder, struct ukey_p11_dev **d,
			  CK_SESSION_HANDLE *s, bool *pooled)
{
	struct ukey_p11_holder *h = (struct ukey_p11_holder *)(uintptr_t)holder;
	CK_RV rv = CKR_OK;

	*pooled = holder == UKEY_NO_HOLDER;
	if (*pooled)
		return ukey_p11_borrow(p, dev, d, s);
	*d = ukey_p11_dev(p, dev);
	if (!*d)
		return CKR_HOST_MEMORY;
	ukey_mutex_lock(&(*d)->pool_lock);
	if (!h->open)
		rv = CKR_SESSION_HANDLE_INVALID;   /* its session closed meanwhile */
	else if (h->epoch != (*d)->epoch)
		rv = CKR_DEVICE_REMOVED;
	*s = h->s;
	ukey_mutex_unlock(&(*d)->pool_lock);
	return rv;
}

/* One object-making call: fn(session) on the right session. */
#define MAKE_IN(fn_name, call)                                             \
	do {                                                               \
		struct ukey_p11_dev *d;                                    \
		CK_SESSION_HANDLE s;                                       \
		CK_OBJECT_HANDLE made = CK_INVALID_HANDLE;                 \
		bool pooled;                                               \
		CK_RV raw = make_session(p, dev, holder, &d, &s, &pooled); \
		if (raw != CKR_OK)                                         \
			return raw;                                        \
		raw = (call);                                              \
		if (pooled)                                                \
			ukey_p11_put(p, d, s, raw, false);                 \
		if (raw == CKR_OK)                                         \
			*out = made;                                       \
		return ukey_p11_map(fn_name, raw);                         \
	} while (0)

CK_RV ukey_p11_generate_key(void *drv, ukey_dev_id dev, ukey_ref holder, const CK_MECHANISM *mech,
			    const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *out)
{
	struct ukey_p11 *p = drv;
	MAKE_IN("C_GenerateKey",
		UKEY_P11_RAW(p, C_GenerateKey, s, (CK_MECHANISM *)mech, (CK_ATTRIBUTE *)tmpl, n, &made));
}

CK_RV ukey_p11_create_in(void *drv, ukey_dev_id dev, ukey_ref holder, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			 ukey_ref *out)
{
	struct ukey_p11 *p = drv;
	MAKE_IN("C_CreateObject", UKEY_P11_RAW(p, C_CreateObject, s, (CK_ATTRIBUTE *)tmpl, n, &made));
}

CK_RV ukey_p11_copy(void *drv, ukey_dev_id dev, ukey_ref holder, ukey_ref ref, const CK_ATTRIBUTE *tmpl,
		    CK_ULONG n, ukey_ref *out)
{
	struct ukey_p11 *p = drv;
	MAKE_IN("C_CopyObject",
		UKEY_P11_RAW(p, C_CopyObject, s, (CK_OBJECT_HANDLE)ref, (CK_ATTRIBUTE *)tmpl, n, &made));
}

CK_RV ukey_p11_unwrap(void *drv, ukey_dev_id dev, ukey_ref holder, const CK_MECHANISM *mech, ukey_ref unwrapping,
		      const CK_BYTE *in, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *out)
{
	struct ukey_p11 *p = drv;
	MAKE_IN("C_UnwrapKey", UKEY_P11_RAW(p, C_UnwrapKey, s, (CK_MECHANISM *)mech, (CK_OBJECT_HANDLE)unwrapping,
					    (CK_BYTE *)in, len, (CK_ATTRIBUTE *)tmpl, n, &made));
}

CK_RV ukey_p11_wrap(void *drv, ukey_dev_id dev, const CK_MECHANISM *mech, ukey_ref wrapping, ukey_ref key,
		    CK_BYTE *out, CK_ULONG *outlen)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	CK_RV raw = ukey_p11_borrow(p, dev, &d, &s);
	if (raw != CKR_OK)
		return raw;
	raw = UKEY_P11_RAW(p, C_WrapKey, s, (CK_MECHANISM *)mech, (CK_OBJECT_HANDLE)wrapping, (CK_OBJECT_HANDLE)key,
			   out, outlen);
	ukey_p11_put(p, d, s, raw, false);
	return ukey_p11_map("C_WrapKey", raw);
}

/* ---- operations ---- */

struct p11_op {
	struct ukey_p11 *p;
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	unsigned epoch;
	enum ukey_pass_kind kind;
	bool clean;          /* the backend ended it cleanly: the session may be pooled */
};

/* The operation's own state codes are ours to pass on (the backend session
 * belongs to this one operation); the rest are mapped as everywhere. */
static CK_RV op_map(const char *fn, CK_RV raw)
{
	if (raw == CKR_OPERATION_NOT_INITIALIZED) {
		ukey_debug("backend %s: rv 0x%lx", fn, (unsigned long)raw);
		return raw;
	}
	return ukey_p11_map(fn, raw);
}

CK_RV ukey_p11_op_begin(void *drv, ukey_dev_id dev, enum ukey_pass_kind kind, const CK_MECHANISM *mech,
			ukey_ref key, void **op)
{
	static const char *const names[] = { "C_EncryptInit", "C_DecryptInit", "C_SignInit", "C_VerifyInit",
					     "C_SignRecoverInit", "C_VerifyRecoverInit" };
	struct ukey_p11 *p = drv;
	CK_C_EncryptInit init = NULL;
	struct p11_op *o;
	CK_RV raw;

	switch (kind) {
	case UKEY_PASS_ENCRYPT: init = p->f->C_EncryptInit; break;
	case UKEY_PASS_DECRYPT: init = p->f->C_DecryptInit; break;
	case UKEY_PASS_SIGN: init = p->f->C_SignInit; break;
	case UKEY_PASS_VERIFY: init = p->f->C_VerifyInit; break;
	case UKEY_PASS_SIGN_RECOVER: init = p->f->C_SignRecoverInit; break;
	case UKEY_PASS_VERIFY_RECOVER: init = p->f->C_VerifyRecoverInit; break;
	}
	if (!init)
		return CKR_FUNCTION_NOT_SUPPORTED;
	o = calloc(1, sizeof(*o));
	if (!o)
		return CKR_HOST_MEMORY;
	raw = ukey_p11_borrow(p, dev, &o->d, &o->s);
	if (raw != CKR_OK) {
		free(o);
		return raw;
	}
	o->p = p;
	o->kind = kind;
	o->epoch = ukey_p11_epoch(o->d);
	raw = init(o->s, (CK_MECHANISM *)mech, (CK_OBJECT_HANDLE)key);
	if (raw != CKR_OK) {
		/* A failed init leaves no operation behind. */
		ukey_p11_put(p, o->d, o->s, raw, false);
		free(o);
		/* The key is named by a ref: some backends say "object". */
		return raw == CKR_OBJECT_HANDLE_INVALID ? CKR_KEY_HANDLE_INVALID : op_map(names[kind], raw);
	}
	*op = o;
	return CKR_OK;
}

CK_RV ukey_p11_op_step(void *drv, void *op, enum ukey_pass_step step, const CK_BYTE *in, CK_ULONG inlen,
		       CK_BYTE *out, CK_ULONG *outlen)
{
	struct ukey_p11 *p = drv;
	struct p11_op *o = op;
	CK_BYTE *data = (CK_BYTE *)in;
	const char *fn = "?";
	CK_RV raw = CKR_FUNCTION_NOT_SUPPORTED;

	switch (o->kind * 3 + step) {
#define STEP(kind, step, name, ...)                              \
	case UKEY_PASS_##kind * 3 + UKEY_PASS_##step:            \
		fn = #name;                                      \
		raw = UKEY_P11_RAW(p, name, o->s, __VA_ARGS__); \
		break;
	STEP(ENCRYPT, ONESHOT, C_Encrypt, data, inlen, out, outlen)
	STEP(ENCRYPT, UPDATE, C_EncryptUpdate, data, inlen, out, outlen)
	STEP(ENCRYPT, FINAL, C_EncryptFinal, out, outlen)
	STEP(DECRYPT, ONESHOT, C_Decrypt, data, inlen, out, outlen)
	STEP(DECRYPT, UPDATE, C_DecryptUpdate, data, inlen, out, outlen)
	STEP(DECRYPT, FINAL, C_DecryptFinal, out, outlen)
	STEP(SIGN, ONESHOT, C_Sign, data, inlen, out, outlen)
	STEP(SIGN, UPDATE, C_SignUpdate, data, inlen)
	STEP(SIGN, FINAL, C_SignFinal, out, outlen)
	STEP(VERIFY, UPDATE, C_VerifyUpdate, data, inlen)
	STEP(SIGN_RECOVER, ONESHOT, C_SignRecover, data, inlen, out, outlen)
	STEP(VERIFY_RECOVER, ONESHOT, C_VerifyRecover, data, inlen, out, outlen)
#undef STEP
	default:
		break;
	}
	/* PKCS#11: a size query, BUFFER_TOO_SMALL and an Update keep the
	 * operation; a result ends it; any other error ends it too, but
	 * vendors differ there, so such a session is never pooled. */
	o->clean = raw == CKR_OK && step != UKEY_PASS_UPDATE && out;
	return op_map(fn, raw);
}

CK_RV ukey_p11_op_verify(void *drv, void *op, bool final, const CK_BYTE *in, CK_ULONG inlen, const CK_BYTE *sig,
			 CK_ULONG siglen)
{
	struct ukey_p11 *p = drv;
	struct p11_op *o = op;
	CK_RV raw;

	if (final)
		raw = UKEY_P11_RAW(p, C_VerifyFinal, o->s, (CK_BYTE *)sig, siglen);
	else
		raw = UKEY_P11_RAW(p, C_Verify, o->s, (CK_BYTE *)in, inlen, (CK_BYTE *)sig, siglen);
	o->clean = raw == CKR_OK || raw == CKR_SIGNATURE_INVALID;
	return op_map(final ? "C_VerifyFinal" : "C_Verify", raw);
}

void ukey_p11_op_end(void *drv, void *op)
{
	struct p11_op *o = op;
	(void)drv;
	if (!o)
		return;
	ukey_p11_release_later(o->d, o->s, o->epoch, o->clean);
	free(o);
}
