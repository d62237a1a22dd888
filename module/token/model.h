/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The token model's state: the module, its slots, sessions and objects.
 * Nothing outside token/ includes this.
 *
 * Locking contract (docs/architecture.md, "Locks"): one module-wide table
 * lock, ukey_M.lock, guards every structure below: the handle table, slots'
 * token state, sessions and the inventory. It is never held across a
 * driver call. A function whose name ends in _inlock must be called with it
 * held; _unlocked ones take it themselves. The per-device lock,
 * slot->dev_lock, is taken only around driver calls, and only when the
 * driver is not thread safe (token/backend.c takes it, nothing else); the
 * two are never nested (table lock is released first). ukey_M.refresh_lock
 * serialises device listings (slot.c) and is taken before the table lock. */
#ifndef UKEY_TOKEN_MODEL_H
#define UKEY_TOKEN_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "drivers/driver.h"
#include "token/backend.h"
#include "token/generation.h"
#include "util/conf.h"

#define UKEY_NO_USER ((CK_USER_TYPE)-1)

/* PKCS#11 3.0 profile objects, absent from p11-kit's 2.40 header. */
#ifndef CKO_PROFILE
#define CKO_PROFILE 0x00000009UL
#endif
#ifndef CKA_PROFILE_ID
#define CKA_PROFILE_ID 0x00000601UL
#endif
#ifndef CKP_PUBLIC_CERTIFICATES_TOKEN
#define CKP_PUBLIC_CERTIFICATES_TOKEN 0x00000004UL
#endif

/* One cached attribute. len == CK_UNAVAILABLE_INFORMATION with
 * `sensitive` set means the backend refused it as sensitive; with it clear,
 * the type is not valid for the object. */
struct ukey_attr {
	CK_ATTRIBUTE_TYPE type;
	CK_ULONG len;
	bool sensitive;
	unsigned char *value;
};

struct ukey_object {
	CK_OBJECT_HANDLE handle;
	struct ukey_slot *slot;
	ukey_ref ref;                /* the driver's reference; token objects only */
	bool on_token;               /* false: a session object, in memory only... */
	bool in_backend;             /* ...unless this: a session key the backend holds (ref valid) */
	CK_SESSION_HANDLE session;   /* owner of a session object */
	CK_OBJECT_CLASS cls;
	bool is_private;
	struct ukey_attr *attrs;
	CK_ULONG nattrs;
	EVP_PKEY *pub;               /* public key built from cached attributes, lazily */
	bool pub_tried;              /* pub was built (or found impossible) once */
	bool standin;                /* ondemand.c: a private key's stand-in */
	bool held;                   /* a session object in the backend, in its session's holder (pass.h) */
	CK_ULONG key_bits;           /* modulus or curve field bits; 0 until known */
};

enum ukey_op_kind {
	UKEY_OP_SIGN,
	UKEY_OP_VERIFY,
	UKEY_OP_ENCRYPT,
	UKEY_OP_DECRYPT,
	UKEY_OP_DIGEST,
	UKEY_OP_COUNT,
};

struct ukey_op;    /* defined by the operation's own file (sign.c, cipher.c, digest.c) */
struct ukey_find;  /* defined in find.c */

struct ukey_session {
	CK_SESSION_HANDLE handle;
	struct ukey_slot *slot;
	CK_FLAGS flags;              /* CKF_SERIAL_SESSION | CKF_RW_SESSION */
	struct ukey_find *find;
	struct ukey_op *ops[UKEY_OP_COUNT];
	bool op_busy[UKEY_OP_COUNT]; /* taken out by a thread running it */
	ukey_ref holder;             /* backend holder of its held objects, or UKEY_NO_HOLDER (pass.h) */
};

struct ukey_slot {
	CK_SLOT_ID id;
	struct ukey_backend *backend;
	/* The driver's id of the device in the slot. A key coming back takes
	 * its old slot under a new id (slot.c): written under the table lock
	 * with __atomic, read by backend.c without it. */
	ukey_dev_id dev;
	bool present;
	bool event_pending;          /* presence changed, not yet reported */
	/* Serialises driver calls for a device whose driver is not thread
	 * safe; taken by backend.c only, around one call (or one sized read),
	 * never with the table lock held. */
	pthread_mutex_t dev_lock;
	bool probed;                 /* info and backend_mechs read (ukey_slot_probe_unlocked) */
	struct ukey_dev_info info;   /* refreshed on C_GetTokenInfo and login */
	CK_MECHANISM_TYPE *backend_mechs;
	CK_ULONG nbackend_mechs;
	/* token state */
	CK_USER_TYPE login;          /* UKEY_NO_USER, CKU_USER or CKU_SO */
	/* Serialises C_Login and C_Logout (and the logout at the last
	 * C_CloseSession) on this slot, across their device call and the
	 * state change, so one device login at a time reaches the token and
	 * `login` changes only with the device's answer. Taken before the
	 * table lock, never while holding it. */
	pthread_mutex_t login_lock;
	unsigned long login_epoch;   /* bumped at every login state change */
	CK_ULONG sessions;
	CK_ULONG rw_sessions;
	/* inventory cache */
	struct ukey_object **objects;
	CK_ULONG nobjects;
	bool inventory_loaded;
	bool inventory_private;      /* loaded while the user was logged in */
	struct ukey_gen_stamp gen_stamp; /* the generation file when the cache was last current */
};

struct ukey_module {
	pthread_mutex_t lock;        /* the table lock: see the contract above */
	bool initialized;
	pid_t pid;
	struct ukey_conf conf;
	struct ukey_backend backends[UKEY_MAX_BACKENDS];
	size_t nbackends;
	struct ukey_slot **slots;
	size_t nslots;
	struct ukey_session **sessions;
	size_t nsessions;
	/* Broadcast when a device-event thread noted a change, when one falls
	 * back to polling, and by C_Finalize: C_WaitForSlotEvent waits on it. */
	pthread_cond_t event_cond;
	unsigned waiters;
	pthread_mutex_t refresh_lock; /* one device listing at a time (slot.c) */
};

extern struct ukey_module ukey_M;

static inline void ukey_lock(void) { pthread_mutex_lock(&ukey_M.lock); }
static inline void ukey_unlock(void) { pthread_mutex_unlock(&ukey_M.lock); }

/* True when NULL-PIN logins ask through the pinentry program ([module]
 * pin_prompt = pinentry). The config is fixed between C_Initialize and
 * C_Finalize, so no lock is needed. */
static inline bool ukey_pin_prompt_on(void) { return ukey_M.conf.prompt == UKEY_PIN_PROMPT_PINENTRY; }

#endif
