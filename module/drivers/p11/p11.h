/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The p11 driver: another PKCS#11 library as the backend (a vendor's PKCS#11
 * library, or SoftHSM2 for the virtual U-KEYs). */
#ifndef UKEY_DRIVER_P11_H
#define UKEY_DRIVER_P11_H

#include "drivers/driver.h"

/* ---- private to drivers/p11/ (driver.c, pool.c, objects.c, pass.c, unwrap.c, event.c) ----
 *
 * Backend sessions. PKCS#11 login state belongs to the token and dies with
 * the application's last session, so each device keeps one "anchor" RW
 * session for as long as the driver is loaded; login, logout and PIN
 * changes run on it under dev->lock. Every other operation borrows an RW
 * session from the device's pool (one mutex, a fixed free array, no
 * allocation once warm) so several threads can use the backend at once. */
#ifdef UKEY_P11_INTERNAL

#include <pthread.h>
#include <stdbool.h>

#define UKEY_P11_POOL_MAX 8

/* A holder (driver.h): a backend session keeping session objects. Records
 * are recycled, never freed before unload, so a stale holder token/ still
 * names is harmless memory. */
struct ukey_p11_holder {
	struct ukey_p11_holder *next;
	CK_SESSION_HANDLE s;
	unsigned epoch;
	bool open;
};

struct ukey_p11_dev {
	CK_SLOT_ID slot;
	struct ukey_p11_dev *next;        /* list is append-only until unload */
	pthread_mutex_t lock;             /* guards anchor; held across its calls */
	CK_SESSION_HANDLE anchor;
	bool has_anchor;
	pthread_mutex_t pool_lock;        /* guards the fields below; never held across a call */
	CK_SESSION_HANDLE idle[UKEY_P11_POOL_MAX];
	unsigned nidle;
	/* Sessions given up where the backend may not be called (pass.c):
	 * closed at the next borrow or at unload. */
	CK_SESSION_HANDLE *closing;
	unsigned nclosing, capclosing;
	/* Bumped when the device leaves: a session opened before then is the
	 * backend's to forget, and its number may be handed out again. */
	unsigned epoch;
	struct ukey_p11_holder *holders;
};

struct ukey_p11 {
	void *dl;
	CK_FUNCTION_LIST *f;
	char *library;
	bool finalize;                    /* we initialised the backend ourselves, and it still is */
	bool own;                         /* we initialised it (event.c may finalise it early) */
	bool cancelled;                   /* __atomic: device-event waits are over (event.c) */
	bool finalized_early;             /* event.c finalised it to end a wait */
	pthread_mutex_t devs_lock;        /* serialises appends to devs */
	struct ukey_p11_dev *devs;        /* read lock-free (acquire), see driver.c */
};

/* Calls a backend function, or answers CKR_FUNCTION_NOT_SUPPORTED when the
 * library left its pointer NULL. Gives the raw backend code. */
#define UKEY_P11_RAW(p, fn, ...) \
	((p)->f->fn ? (p)->f->fn(__VA_ARGS__) : (CK_RV)CKR_FUNCTION_NOT_SUPPORTED)

/* Maps a raw backend code to ours (one table, in driver.c) and logs the raw
 * code with the backend function's name at debug level. */
CK_RV ukey_p11_map(const char *fn, CK_RV raw);
/* True when the raw code says the session itself is gone. */
bool ukey_p11_session_lost(CK_RV raw);

/* The device's state, created on first use; NULL when out of memory. */
struct ukey_p11_dev *ukey_p11_dev(struct ukey_p11 *p, ukey_dev_id dev);
/* Opens a backend session: RW, or read-only on a write-protected token.
 * Gives the raw backend code. */
CK_RV ukey_p11_open(struct ukey_p11 *p, CK_SLOT_ID slot, CK_SESSION_HANDLE *s);
/* The device left: forget its pooled sessions without closing them. */
void ukey_p11_dev_forget(struct ukey_p11_dev *d);
/* Opens the anchor session if it is not open; dev->lock held. */
CK_RV ukey_p11_anchor_inlock(struct ukey_p11 *p, struct ukey_p11_dev *d);
/* After a call on the anchor: notes a lost anchor; dev->lock held. */
void ukey_p11_anchor_check_inlock(struct ukey_p11_dev *d, CK_RV raw);
/* Borrows a pooled RW session of device dev. */
CK_RV ukey_p11_borrow(struct ukey_p11 *p, ukey_dev_id dev, struct ukey_p11_dev **d,
		      CK_SESSION_HANDLE *s);
/* The device's epoch now (see struct ukey_p11_dev). */
unsigned ukey_p11_epoch(struct ukey_p11_dev *d);
/* Gives up session s, opened in `epoch`, without calling the backend: it
 * goes back to the pool when clean, else it is closed at the next borrow;
 * forgotten when the device left since. */
void ukey_p11_release_later(struct ukey_p11_dev *d, CK_SESSION_HANDLE s, unsigned epoch, bool clean);
/* Closes the sessions given up so far (at unload: closing them all). */
void ukey_p11_close_pending(struct ukey_p11 *p, struct ukey_p11_dev *d);
/* Gives it back. raw is the result of the last call made on it; dirty says
 * a backend operation may still be active on it. A lost or dirty session is
 * closed instead of being pooled. */
void ukey_p11_put(struct ukey_p11 *p, struct ukey_p11_dev *d, CK_SESSION_HANDLE s, CK_RV raw,
		  bool dirty);

#endif /* UKEY_P11_INTERNAL */

/* Object operations, in objects.c. */
CK_RV ukey_p11_objects(void *drv, ukey_dev_id dev, ukey_ref *refs, CK_ULONG *count);
CK_RV ukey_p11_get_attrs(void *drv, ukey_dev_id dev, ukey_ref ref, CK_ATTRIBUTE *tmpl, CK_ULONG n);
CK_RV ukey_p11_set_attrs(void *drv, ukey_dev_id dev, ukey_ref ref, const CK_ATTRIBUTE *tmpl,
			 CK_ULONG n);
CK_RV ukey_p11_create(void *drv, ukey_dev_id dev, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
		      ukey_ref *out);
CK_RV ukey_p11_destroy(void *drv, ukey_dev_id dev, ukey_ref ref);
CK_RV ukey_p11_generate_key_pair(void *drv, ukey_dev_id dev, const CK_MECHANISM *mech,
				 const CK_ATTRIBUTE *pub, CK_ULONG npub, const CK_ATTRIBUTE *priv,
				 CK_ULONG npriv, ukey_ref *pub_out, ukey_ref *priv_out);
/* Pass-through (pass.c, driver.h's last group). */
CK_RV ukey_p11_holder_open(void *drv, ukey_dev_id dev, ukey_ref *holder);
void ukey_p11_holder_close(void *drv, ukey_dev_id dev, ukey_ref holder);
CK_RV ukey_p11_generate_key(void *drv, ukey_dev_id dev, ukey_ref holder, const CK_MECHANISM *mech,
			    const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *out);
CK_RV ukey_p11_create_in(void *drv, ukey_dev_id dev, ukey_ref holder, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			 ukey_ref *out);
CK_RV ukey_p11_copy(void *drv, ukey_dev_id dev, ukey_ref holder, ukey_ref ref, const CK_ATTRIBUTE *tmpl,
		    CK_ULONG n, ukey_ref *out);
CK_RV ukey_p11_wrap(void *drv, ukey_dev_id dev, const CK_MECHANISM *mech, ukey_ref wrapping, ukey_ref key,
		    CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_p11_unwrap(void *drv, ukey_dev_id dev, ukey_ref holder, const CK_MECHANISM *mech, ukey_ref unwrapping,
		      const CK_BYTE *in, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *out);
CK_RV ukey_p11_op_begin(void *drv, ukey_dev_id dev, enum ukey_pass_kind kind, const CK_MECHANISM *mech,
			ukey_ref key, void **op);
CK_RV ukey_p11_op_step(void *drv, void *op, enum ukey_pass_step step, const CK_BYTE *in, CK_ULONG inlen,
		       CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_p11_op_verify(void *drv, void *op, bool final, const CK_BYTE *in, CK_ULONG inlen, const CK_BYTE *sig,
			 CK_ULONG siglen);
void ukey_p11_op_end(void *drv, void *op);
/* Device events (event.c). */
CK_RV ukey_p11_wait_event(void *drv);
void ukey_p11_cancel_wait(void *drv);
/* CKM_UKEY_ENVELOPED_KEY_PAIR, rsa-oaep-aes-v1 (unwrap.c). */
CK_RV ukey_p11_unwrap_key_pair(void *drv, ukey_dev_id dev, ukey_ref unwrapping_key, CK_ULONG format,
			       const CK_BYTE *env, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			       ukey_ref *pub_out, ukey_ref *priv_out);

#endif
