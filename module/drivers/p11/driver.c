/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The p11 driver: loading the backend PKCS#11 library, its devices, login
 * and PINs, and the private-key operations. Backend sessions live in
 * pool.c, object operations in objects.c. */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#define UKEY_P11_INTERNAL
#include "drivers/p11/p11.h"
#include "ukey-pkcs11.h"
#include "util/lock.h"
#include "util/log.h"

/* Slot list with two-call sizing; *slots is malloc'ed. */
static CK_RV p11_slot_list(struct ukey_p11 *p, CK_BBOOL present, CK_SLOT_ID **slots, CK_ULONG *n)
{
	CK_RV raw = CKR_OK;
	*slots = NULL;
	for (int tries = 0; tries < 4; tries++) {
		free(*slots);
		*slots = NULL;
		raw = UKEY_P11_RAW(p, C_GetSlotList, present, NULL, n);
		if (raw != CKR_OK)
			break;
		*slots = calloc(*n ? *n : 1, sizeof(**slots));
		if (!*slots)
			return CKR_HOST_MEMORY;
		raw = UKEY_P11_RAW(p, C_GetSlotList, present, *slots, n);
		if (raw != CKR_BUFFER_TOO_SMALL)
			break;
	}
	if (raw != CKR_OK) {
		free(*slots);
		*slots = NULL;
		*n = 0;
	}
	return ukey_p11_map("C_GetSlotList", raw);
}

/* ---- loading ---- */

static bool p11_is_self(void *backend_sym)
{
	Dl_info theirs, ours;
	if (!dladdr(backend_sym, &theirs) || !dladdr((void *)&ukey_p11_map, &ours))
		return false;
	if (theirs.dli_fbase == ours.dli_fbase)
		return true;
	return theirs.dli_fname && ours.dli_fname && *ours.dli_fname &&
	       strcmp(theirs.dli_fname, ours.dli_fname) == 0;
}

/* The backend was initialised already. That happens in a forked child (our
 * module starts afresh, but the backend's copy of its memory still says it is
 * initialised) or when the host program loaded the same library itself. We
 * then must not finalize it, and we close every session of every slot: in a
 * child they are the parent's sessions, and with them the parent's login
 * state, which the child must not inherit silently. In the shared-host case
 * this also closes the host's own sessions; we accept that, because a
 * token logged in by someone else is worse. */
static void p11_close_inherited(struct ukey_p11 *p)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0;
	if (p11_slot_list(p, CK_FALSE, &slots, &n) != CKR_OK)
		return;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_RV raw = UKEY_P11_RAW(p, C_CloseAllSessions, slots[i]);
		if (raw != CKR_OK)
			ukey_debug("backend C_CloseAllSessions(slot %lu): rv 0x%lx",
				   (unsigned long)slots[i], (unsigned long)raw);
	}
	free(slots);
}

static CK_RV p11_initialize(struct ukey_p11 *p)
{
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_RV raw = UKEY_P11_RAW(p, C_Initialize, &args);
	if (raw == CKR_OK) {
		p->finalize = p->own = true;
		return CKR_OK;
	}
	if (raw == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		ukey_info("backend %s was already initialised; closing its inherited sessions",
			  p->library);
		p->finalize = false;
		p11_close_inherited(p);
		return CKR_OK;
	}
	ukey_error("backend %s: C_Initialize failed: rv 0x%lx", p->library, (unsigned long)raw);
	return CKR_FUNCTION_FAILED;
}

static void p11_free(struct ukey_p11 *p, bool destroy_locks)
{
	struct ukey_p11_dev *d = p->devs, *next;
	for (; d; d = next) {
		next = d->next;
		for (struct ukey_p11_holder *h = d->holders, *hn; h; h = hn) {
			hn = h->next;
			free(h);
		}
		free(d->closing);
		if (destroy_locks) {
			pthread_mutex_destroy(&d->lock);
			pthread_mutex_destroy(&d->pool_lock);
		}
		free(d);
	}
	if (destroy_locks)
		pthread_mutex_destroy(&p->devs_lock);
	free(p->library);
	free(p);
}

static CK_RV p11_load(const struct ukey_backend_conf *conf, void **drv)
{
	struct ukey_p11 *p = NULL;
	CK_C_GetFunctionList get_list;
	CK_RV rv = CKR_GENERAL_ERROR, raw;
	int flags = ukey_dlopen_flags(conf);
	*drv = NULL;
	if (!conf || !conf->library || !*conf->library) {
		ukey_error("backend %s: no library configured", conf && conf->name ? conf->name : "?");
		return CKR_GENERAL_ERROR;
	}
	/* Quirks name SKF libraries' ways; a PKCS#11 library has none here. */
	if (conf->quirks && *conf->quirks) {
		ukey_error("%s: [backend %s]: quirks = %s: the p11 driver has no quirks (they are an skf setting)",
			   conf->file ? conf->file : "configuration", conf->name, conf->quirks);
		return CKR_GENERAL_ERROR;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->library = strdup(conf->library))) {
		free(p);
		return CKR_HOST_MEMORY;
	}
	pthread_mutex_init(&p->devs_lock, NULL);
	dlerror();
	p->dl = dlopen(p->library, flags);
	if (!p->dl) {
		ukey_error("cannot load backend library %s: %s", p->library, dlerror());
		goto out;
	}
	get_list = (CK_C_GetFunctionList)dlsym(p->dl, "C_GetFunctionList");
	if (!get_list) {
		ukey_error("backend %s has no C_GetFunctionList: %s", p->library, dlerror());
		goto out;
	}
	if (p11_is_self((void *)get_list)) {
		ukey_error("backend %s is ukey-pkcs11 itself; refusing to load it", p->library);
		goto out;
	}
	raw = get_list(&p->f);
	if (raw != CKR_OK || !p->f) {
		ukey_error("backend %s: C_GetFunctionList failed: rv 0x%lx", p->library,
			   (unsigned long)raw);
		rv = CKR_FUNCTION_FAILED;
		goto out;
	}
	if (!p->f->C_Initialize) {
		ukey_error("backend %s has no C_Initialize", p->library);
		goto out;
	}
	rv = p11_initialize(p);
	if (rv == CKR_OK)
		ukey_info("backend %s loaded (cryptoki %u.%u)", p->library, p->f->version.major,
			  p->f->version.minor);
out:
	if (rv != CKR_OK) {
		if (p->dl)
			dlclose(p->dl);
		p11_free(p, true);
		return rv;
	}
	*drv = p;
	return CKR_OK;
}

static void p11_unload(void *drv, bool in_child)
{
	struct ukey_p11 *p = drv;
	if (!p)
		return;
	if (in_child) {
		/* The backend's state belongs to the parent: no call into it, no
		 * dlclose (its destructors would run), and no mutex teardown since a
		 * lock may have been held by a parent thread at fork time. */
		p11_free(p, false);
		return;
	}
	for (struct ukey_p11_dev *d = p->finalized_early ? NULL : p->devs; d; d = d->next) {
		ukey_p11_close_pending(p, d);
		for (unsigned i = 0; i < d->nidle; i++)
			(void)UKEY_P11_RAW(p, C_CloseSession, d->idle[i]);
		if (d->has_anchor)
			(void)UKEY_P11_RAW(p, C_CloseSession, d->anchor);
	}
	if (p->finalize) {
		CK_RV raw = UKEY_P11_RAW(p, C_Finalize, NULL);
		if (raw != CKR_OK)
			ukey_warn("backend %s: C_Finalize: rv 0x%lx", p->library, (unsigned long)raw);
	}
	dlclose(p->dl);
	p11_free(p, true);
}

static bool p11_thread_safe(void *drv)
{
	(void)drv;
	return true;   /* initialised with CKF_OS_LOCKING_OK */
}

/* ---- devices ---- */

static CK_RV p11_devices(void *drv, ukey_dev_id *ids, CK_ULONG *count)
{
	struct ukey_p11 *p = drv;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, found = 0;
	CK_RV rv = p11_slot_list(p, CK_TRUE, &slots, &n);
	if (rv != CKR_OK)
		goto out;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		CK_RV raw = UKEY_P11_RAW(p, C_GetTokenInfo, slots[i], &ti);
		/* SoftHSM always offers one blank token to initialise; a U-KEY
		 * comes initialised, so a blank token is not a device. */
		if (raw != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED)) {
			if (raw != CKR_OK)
				(void)ukey_p11_map("C_GetTokenInfo", raw);
			continue;
		}
		slots[found++] = slots[i];
	}
	/* A known device that left: its backend sessions died with it. */
	for (struct ukey_p11_dev *d = __atomic_load_n(&p->devs, __ATOMIC_ACQUIRE); d; d = d->next) {
		bool listed = false;
		for (CK_ULONG i = 0; i < found && !listed; i++)
			listed = slots[i] == d->slot;
		if (listed)
			continue;
		ukey_p11_dev_forget(d);
		ukey_mutex_lock(&d->lock);
		d->has_anchor = false;
		ukey_mutex_unlock(&d->lock);
	}
	/* Present devices keep an anchor session for their login state. */
	for (CK_ULONG i = 0; i < found; i++) {
		struct ukey_p11_dev *d = ukey_p11_dev(p, slots[i]);
		if (!d) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		ukey_mutex_lock(&d->lock);
		(void)ukey_p11_anchor_inlock(p, d);
		ukey_mutex_unlock(&d->lock);
	}
	if (ids && *count < found)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (ids)
		for (CK_ULONG i = 0; i < found; i++)
			ids[i] = slots[i];
	*count = found;
out:
	free(slots);
	return rv;
}

/* Copies a space-padded PKCS#11 field into a NUL-terminated string. */
static void p11_unpad(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t srclen)
{
	size_t n = srclen < dstlen - 1 ? srclen : dstlen - 1;
	const void *nul = memchr(src, '\0', n);
	if (nul)
		n = (size_t)((const CK_UTF8CHAR *)nul - src);
	while (n > 0 && src[n - 1] == ' ')
		n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#define P11_UNPAD(dst, src) p11_unpad((dst), sizeof(dst), (src), sizeof(src))

static CK_RV p11_dev_info(void *drv, ukey_dev_id dev, struct ukey_dev_info *info)
{
	struct ukey_p11 *p = drv;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_RV raw = UKEY_P11_RAW(p, C_GetSlotInfo, (CK_SLOT_ID)dev, &si);
	if (raw != CKR_OK)
		return ukey_p11_map("C_GetSlotInfo", raw);
	raw = UKEY_P11_RAW(p, C_GetTokenInfo, (CK_SLOT_ID)dev, &ti);
	if (raw != CKR_OK)
		return ukey_p11_map("C_GetTokenInfo", raw);
	memset(info, 0, sizeof(*info));
	P11_UNPAD(info->label, ti.label);
	P11_UNPAD(info->manufacturer, ti.manufacturerID);
	P11_UNPAD(info->model, ti.model);
	P11_UNPAD(info->serial, ti.serialNumber);
	P11_UNPAD(info->slot_description, si.slotDescription);
	P11_UNPAD(info->slot_manufacturer, si.manufacturerID);
	info->hardware_version = ti.hardwareVersion;
	info->firmware_version = ti.firmwareVersion;
	info->token_flags = ti.flags;
	info->slot_flags = si.flags & (CKF_REMOVABLE_DEVICE | CKF_HW_SLOT);
	info->min_pin_len = ti.ulMinPinLen;
	info->max_pin_len = ti.ulMaxPinLen;
	/* PKCS#11 gives only the COUNT_LOW / FINAL_TRY / LOCKED flags. */
	info->user_retries_left = info->user_retries_max = -1;
	info->so_retries_left = info->so_retries_max = -1;
	return CKR_OK;
}

static CK_RV p11_mechanisms(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE *list, CK_ULONG *count)
{
	struct ukey_p11 *p = drv;
	return ukey_p11_map("C_GetMechanismList",
			    UKEY_P11_RAW(p, C_GetMechanismList, (CK_SLOT_ID)dev, list, count));
}

static CK_RV p11_mechanism_info(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE type,
				CK_MECHANISM_INFO *info)
{
	struct ukey_p11 *p = drv;
	return ukey_p11_map("C_GetMechanismInfo",
			    UKEY_P11_RAW(p, C_GetMechanismInfo, (CK_SLOT_ID)dev, type, info));
}

/* ---- login and PINs, on the anchor session ---- */

static CK_RV p11_login(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *pin,
		       CK_ULONG len)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d = ukey_p11_dev(p, dev);
	CK_RV rv, raw;
	if (!d)
		return CKR_HOST_MEMORY;
	ukey_mutex_lock(&d->lock);
	rv = ukey_p11_anchor_inlock(p, d);
	if (rv != CKR_OK)
		goto out;
	/* One attempt only: a retry would burn the token's PIN counter. */
	raw = UKEY_P11_RAW(p, C_Login, d->anchor, user, (CK_UTF8CHAR *)pin, len);
	if (raw == CKR_USER_ALREADY_LOGGED_IN)
		raw = CKR_OK;
	ukey_p11_anchor_check_inlock(d, raw);
	rv = ukey_p11_map("C_Login", raw);
out:
	ukey_mutex_unlock(&d->lock);
	/* Not even the PIN's length is logged: it narrows a guess. */
	ukey_debug("slot %lu user %lu: rv 0x%lx", (unsigned long)dev, (unsigned long)user, (unsigned long)rv);
	return rv;
}

static CK_RV p11_logout(void *drv, ukey_dev_id dev)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d = ukey_p11_dev(p, dev);
	CK_RV rv, raw;
	if (!d)
		return CKR_HOST_MEMORY;
	ukey_mutex_lock(&d->lock);
	rv = ukey_p11_anchor_inlock(p, d);
	if (rv != CKR_OK)
		goto out;
	raw = UKEY_P11_RAW(p, C_Logout, d->anchor);
	if (raw == CKR_USER_NOT_LOGGED_IN)
		raw = CKR_OK;
	ukey_p11_anchor_check_inlock(d, raw);
	rv = ukey_p11_map("C_Logout", raw);
out:
	ukey_mutex_unlock(&d->lock);
	return rv;
}

static CK_RV p11_init_pin(void *drv, ukey_dev_id dev, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d = ukey_p11_dev(p, dev);
	CK_RV rv, raw;
	if (!d)
		return CKR_HOST_MEMORY;
	ukey_mutex_lock(&d->lock);
	rv = ukey_p11_anchor_inlock(p, d);
	if (rv != CKR_OK)
		goto out;
	raw = UKEY_P11_RAW(p, C_InitPIN, d->anchor, (CK_UTF8CHAR *)pin, len);
	ukey_p11_anchor_check_inlock(d, raw);
	rv = ukey_p11_map("C_InitPIN", raw);
out:
	ukey_mutex_unlock(&d->lock);
	return rv;
}

/* C_SetPIN changes the PIN of whoever is logged in on the backend; check
 * that this is the user our caller means before touching the token. */
static CK_RV p11_set_pin(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *old_pin,
			 CK_ULONG old_len, const CK_UTF8CHAR *new_pin, CK_ULONG new_len)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d = ukey_p11_dev(p, dev);
	CK_SESSION_INFO si;
	CK_RV rv, raw;
	bool so;
	if (!d)
		return CKR_HOST_MEMORY;
	ukey_mutex_lock(&d->lock);
	rv = ukey_p11_anchor_inlock(p, d);
	if (rv != CKR_OK)
		goto out;
	raw = UKEY_P11_RAW(p, C_GetSessionInfo, d->anchor, &si);
	if (raw != CKR_OK) {
		ukey_p11_anchor_check_inlock(d, raw);
		rv = ukey_p11_map("C_GetSessionInfo", raw);
		goto out;
	}
	so = si.state == CKS_RW_SO_FUNCTIONS;
	if (so != (user == CKU_SO)) {
		ukey_warn("slot %lu: PIN change for user %lu but backend session state is %lu",
			  (unsigned long)dev, (unsigned long)user, (unsigned long)si.state);
		rv = so ? CKR_USER_ANOTHER_ALREADY_LOGGED_IN : CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	raw = UKEY_P11_RAW(p, C_SetPIN, d->anchor, (CK_UTF8CHAR *)old_pin, old_len,
			   (CK_UTF8CHAR *)new_pin, new_len);
	ukey_p11_anchor_check_inlock(d, raw);
	rv = ukey_p11_map("C_SetPIN", raw);
out:
	ukey_mutex_unlock(&d->lock);
	return rv;
}

/* ---- private-key operations and random, on a pooled session ---- */

static CK_RV p11_once(struct ukey_p11 *p, ukey_dev_id dev, bool sign, ukey_ref key,
		      const CK_MECHANISM *mech, const CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out,
		      CK_ULONG *outlen)
{
	CK_C_SignInit init = sign ? p->f->C_SignInit : p->f->C_DecryptInit;
	CK_C_Sign once = sign ? p->f->C_Sign : p->f->C_Decrypt;
	const char *fn = sign ? "C_SignInit" : "C_DecryptInit";
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	bool dirty = false;
	CK_RV raw;
	if (!init || !once)
		return CKR_FUNCTION_NOT_SUPPORTED;
	raw = ukey_p11_borrow(p, dev, &d, &s);
	if (raw != CKR_OK)
		return raw;
	raw = init(s, (CK_MECHANISM *)mech, (CK_OBJECT_HANDLE)key);
	if (raw == CKR_OK) {
		fn = sign ? "C_Sign" : "C_Decrypt";
		raw = once(s, (CK_BYTE *)in, inlen, out, outlen);
		/* Some errors (CKR_BUFFER_TOO_SMALL) keep the operation active,
		 * and vendors differ on the rest: never pool such a session. */
		dirty = raw != CKR_OK;
	}
	ukey_p11_put(p, d, s, raw, dirty);
	/* The key is named by a ref: some backends say "object", we say "key". */
	if (raw == CKR_OBJECT_HANDLE_INVALID) {
		(void)ukey_p11_map(fn, raw);
		return CKR_KEY_HANDLE_INVALID;
	}
	return ukey_p11_map(fn, raw);
}

static CK_RV p11_sign(void *drv, ukey_dev_id dev, ukey_ref key, const CK_MECHANISM *mech,
		      const CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen)
{
	return p11_once(drv, dev, true, key, mech, in, inlen, out, outlen);
}

static CK_RV p11_decrypt(void *drv, ukey_dev_id dev, ukey_ref key, const CK_MECHANISM *mech,
			 const CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen)
{
	return p11_once(drv, dev, false, key, mech, in, inlen, out, outlen);
}

static CK_RV p11_random(void *drv, ukey_dev_id dev, CK_BYTE *out, CK_ULONG len)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	CK_RV raw = ukey_p11_borrow(p, dev, &d, &s);
	if (raw != CKR_OK)
		return raw;
	raw = UKEY_P11_RAW(p, C_GenerateRandom, s, out, len);
	ukey_p11_put(p, d, s, raw, false);
	return ukey_p11_map("C_GenerateRandom", raw);
}

const struct ukey_driver_ops ukey_driver_p11 = {
	.name = "p11",
	.load = p11_load,
	.unload = p11_unload,
	.thread_safe = p11_thread_safe,
	.devices = p11_devices,
	.wait_event = ukey_p11_wait_event,
	.cancel_wait = ukey_p11_cancel_wait,
	.dev_info = p11_dev_info,
	.mechanisms = p11_mechanisms,
	.mechanism_info = p11_mechanism_info,
	.login = p11_login,
	.logout = p11_logout,
	.init_pin = p11_init_pin,
	.set_pin = p11_set_pin,
	.objects = ukey_p11_objects,
	.get_attrs = ukey_p11_get_attrs,
	.set_attrs = ukey_p11_set_attrs,
	.create = ukey_p11_create,
	.destroy = ukey_p11_destroy,
	.generate_key_pair = ukey_p11_generate_key_pair,
	.sign = p11_sign,
	.decrypt = p11_decrypt,
	.random = p11_random,
	.unwrap_key_pair = ukey_p11_unwrap_key_pair,
	.unwrap_formats = UKEY_ENVELOPE_BIT(UKEY_ENVELOPE_RSA_OAEP_AES_V1) | UKEY_ENVELOPE_BIT(UKEY_ENVELOPE_ECDH_AES_V1),
	.session_keys = true,
	.holder_open = ukey_p11_holder_open,
	.holder_close = ukey_p11_holder_close,
	.generate_key = ukey_p11_generate_key,
	.create_in = ukey_p11_create_in,
	.copy = ukey_p11_copy,
	.wrap = ukey_p11_wrap,
	.unwrap = ukey_p11_unwrap,
	.op_begin = ukey_p11_op_begin,
	.op_step = ukey_p11_op_step,
	.op_verify = ukey_p11_op_verify,
	.op_end = ukey_p11_op_end,
};
