/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Structures shared inside token/. Nothing outside token/ includes this.
 *
 * Locking contract (docs/architecture.md, "Locks"): one module-wide table lock, ukey_M.lock,
 * guards every structure below: the handle table, slots' token state,
 * sessions and the inventory. It is never held across a driver call.
 * A function whose name ends in _inlock must be called with it held;
 * _unlocked ones take it themselves. The per-device lock, slot->dev_lock, is
 * taken only around driver calls, and only when the driver is not thread
 * safe; the two are never nested (table lock is released first). */
#ifndef UKEY_TOKEN_INTERNAL_H
#define UKEY_TOKEN_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "drivers/driver.h"
#include "token/token.h"
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

struct ukey_backend {
	const struct ukey_driver_ops *ops;
	void *drv;
	char *name;
	bool thread_safe;
	CK_SLOT_ID slot_base;        /* this backend's slot range starts here */
};

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

/* Identity of the generation file (generation.c). */
struct ukey_gen_stamp {
	dev_t dev;
	ino_t ino;
	int64_t sec;
	long nsec;
	bool valid;
};

struct ukey_slot {
	CK_SLOT_ID id;
	struct ukey_backend *backend;
	ukey_dev_id dev;
	bool present;
	bool event_pending;          /* presence changed, not yet reported */
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
	pthread_mutex_t lock;
	bool initialized;
	pid_t pid;
	struct ukey_conf conf;
	struct ukey_backend backends[UKEY_MAX_BACKENDS];
	size_t nbackends;
	struct ukey_slot **slots;
	size_t nslots;
	struct ukey_session **sessions;
	size_t nsessions;
	pthread_cond_t event_cond;   /* C_Finalize wakes C_WaitForSlotEvent */
	unsigned waiters;
};

extern struct ukey_module ukey_M;

static inline void ukey_lock(void) { pthread_mutex_lock(&ukey_M.lock); }
static inline void ukey_unlock(void) { pthread_mutex_unlock(&ukey_M.lock); }

/* True when NULL-PIN logins ask through the pinentry program ([module]
 * pin_prompt = pinentry). The config is fixed between C_Initialize and
 * C_Finalize, so no lock is needed. */
static inline bool ukey_pin_prompt_on(void) { return ukey_M.conf.prompt == UKEY_PIN_PROMPT_PINENTRY; }

/* ---- module.c ---- */
/* Copies src into a blank-padded, unterminated PKCS#11 string field. */
void ukey_pad_string(CK_UTF8CHAR *dst, size_t size, const char *src);

/* ---- slot.c ---- */
struct ukey_slot *ukey_slot_find_inlock(CK_SLOT_ID id);
/* Asks every backend for its devices: new ones get slots, missing ones are
 * marked absent (their sessions closed). Nothing else is asked. */
void ukey_slots_refresh_unlocked(void);
/* What the slot's device is (dev_info, mechanisms), read once at the first
 * call that needs it. CKR_OK when known. */
CK_RV ukey_slot_probe_unlocked(struct ukey_slot *slot);
/* The per-device lock, taken around every driver call for a device whose
 * driver is not thread safe (a no-op otherwise). Never held with the table
 * lock, never across anything but the one driver call. */
void ukey_slot_device_lock(struct ukey_slot *slot);
void ukey_slot_device_unlock(struct ukey_slot *slot);
/* Driver calls for a slot: take the device lock when the driver needs it,
 * and note a removed device. Called without the table lock. */
CK_RV ukey_slot_sign_unlocked(struct ukey_slot *slot, ukey_ref key, const CK_MECHANISM *mech,
			      const CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_slot_decrypt_unlocked(struct ukey_slot *slot, ukey_ref key, const CK_MECHANISM *mech,
				 const CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_slot_random_unlocked(struct ukey_slot *slot, CK_BYTE *out, CK_ULONG len);
bool ukey_slot_backend_has(const struct ukey_slot *slot, CK_MECHANISM_TYPE type);
CK_RV ukey_slot_backend_mech_info_unlocked(struct ukey_slot *slot, CK_MECHANISM_TYPE type,
					   CK_MECHANISM_INFO *info);
/* Called after a driver result: CKR_DEVICE_REMOVED / TOKEN_NOT_PRESENT mark
 * the token absent and close its sessions. */
void ukey_slot_note_rv_unlocked(struct ukey_slot *slot, CK_RV rv);
/* Asks a present slot's device for its info now and keeps it (PIN
 * counters move with every login attempt, in any process); NULL and *rv
 * when the slot is unknown, empty or the device fails. */
struct ukey_slot *ukey_slot_fresh_info_unlocked(CK_SLOT_ID id, struct ukey_dev_info *fresh, CK_RV *rv);

/* ---- session.c ---- */
/* Looks a session up; CKR_SESSION_HANDLE_INVALID if unknown. */
CK_RV ukey_session_find_inlock(CK_SESSION_HANDLE h, struct ukey_session **out);
/* Installs a prepared operation; CKR_OPERATION_ACTIVE if one is there. */
CK_RV ukey_session_op_install(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op *op);
/* Takes the session's operation out so it can run without the table lock.
 * CKR_OPERATION_NOT_INITIALIZED if none; CKR_OPERATION_ACTIVE if another
 * thread has it. */
CK_RV ukey_session_op_take(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op **op);
/* Gives it back: finished → freed and the slot cleared; else kept. If the
 * session was closed meanwhile, the op is freed. */
void ukey_session_op_release(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op *op, bool finished);
void ukey_session_free_inlock(struct ukey_session *s);
/* Closes every session of a slot (removal, C_CloseAllSessions). */
void ukey_session_close_slot_inlock(struct ukey_slot *slot);

/* ---- login.c ---- */
/* Logs the token out at the driver and drops private objects; with
 * if_idle only when no session is left. CKR_USER_NOT_LOGGED_IN when nobody
 * was logged in. */
CK_RV ukey_token_logout_unlocked(struct ukey_slot *slot, bool if_idle);

/* ---- find.c ---- */
void ukey_find_free(struct ukey_find *find);

/* Frees an operation of any kind (dispatches on kind). */
void ukey_op_free(enum ukey_op_kind kind, struct ukey_op *op);

/* ---- object.c ---- */
/* Looks up an object visible to the session (private ones need login). */
CK_RV ukey_object_find_inlock(struct ukey_session *s, CK_OBJECT_HANDLE h, struct ukey_object **out);
/* Asks the driver for one attribute the cache has not seen (t->type), fills
 * t as C_GetAttributeValue does (t->pValue NULL: the length only), and
 * caches the answer in the object oh unless it is key material. */
CK_RV ukey_object_fetch_attr_unlocked(struct ukey_slot *slot, ukey_ref ref, CK_OBJECT_CLASS cls,
				      CK_OBJECT_HANDLE oh, CK_ATTRIBUTE *t);
void ukey_object_free(struct ukey_object *obj);

/* ---- attr.c: the cached attributes of one object ---- */
/* The cached attribute, or NULL when not cached (never asked). A cached
 * attribute may still be sensitive or invalid: check len. */
const struct ukey_attr *ukey_object_attr(const struct ukey_object *obj, CK_ATTRIBUTE_TYPE type);
/* Value of a cached CK_BBOOL / CK_ULONG attribute, or dflt when absent. */
bool ukey_object_bool(const struct ukey_object *obj, CK_ATTRIBUTE_TYPE type, bool dflt);
CK_ULONG ukey_object_ulong(const struct ukey_object *obj, CK_ATTRIBUTE_TYPE type, CK_ULONG dflt);
/* Stores (replaces) a value; len CK_UNAVAILABLE_INFORMATION stores a marker. */
CK_RV ukey_object_attr_set(struct ukey_object *obj, CK_ATTRIBUTE_TYPE type, const void *value,
			   CK_ULONG len, bool sensitive);

/* ---- objrules.c: attribute rules after creation ---- */
/* Whether C_SetAttributeValue may apply t to obj: CKR_ACTION_PROHIBITED
 * for an object with CKA_MODIFIABLE = FALSE, CKR_ATTRIBUTE_READ_ONLY for
 * CKA_CLASS, a latching attribute going back (CKA_SENSITIVE to FALSE,
 * CKA_EXTRACTABLE to TRUE) and, on objects in our memory, any attribute
 * PKCS#11 does not let change after creation. */
CK_RV ukey_object_set_check_inlock(const struct ukey_object *obj, const CK_ATTRIBUTE *t, CK_ULONG n);
/* Gives a session object held in our memory the defaults a token gives. */
CK_RV ukey_session_object_defaults(struct ukey_object *obj);

/* A key as an operation needs it, copied out under the table lock so the
 * operation runs without it. */
struct ukey_key {
	struct ukey_slot *slot;
	ukey_ref ref;
	bool on_token;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE key_type;
	EVP_PKEY *pub;               /* our reference (EVP_PKEY_up_ref); may be NULL */
	CK_ULONG bits;               /* modulus bits, or the curve's field bits */
	bool can_sign, can_verify, can_encrypt, can_decrypt;
};
CK_RV ukey_key_get(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key, struct ukey_key *out);
void ukey_key_clear(struct ukey_key *key);

/* ---- pkey.c: public keys from attributes ---- */
/* Builds an EVP_PKEY from CKA_MODULUS/CKA_PUBLIC_EXPONENT or
 * CKA_EC_PARAMS/CKA_EC_POINT (or, for a certificate, its CKA_VALUE).
 * NULL when the attributes are missing or malformed. */
EVP_PKEY *ukey_pkey_from_object(const struct ukey_object *obj);
/* Field bits of a named curve given as DER OID (CKA_EC_PARAMS); 0 if
 * unknown. Sizes an EC private key, which has no CKA_EC_POINT. */
CK_ULONG ukey_pkey_ec_field_bits(const unsigned char *params, size_t len);

/* ---- ondemand.c: login on demand in the PIN-dialog mode ---- */
/* Adds stand-in private keys for public keys without one (not logged in). */
CK_RV ukey_standins_refresh_inlock(struct ukey_slot *slot);
/* After login: stand-ins hand their handles to the real private keys. */
void ukey_standins_adopt_inlock(struct ukey_slot *slot);

/* ---- unwrap.c ---- */
/* Whether the slot's driver implements envelope format and the device has
 * the mechanisms it needs (CKM_UKEY_ENVELOPED_KEY_PAIR, mech.c). */
bool ukey_unwrap_format_offered(const struct ukey_slot *slot, CK_ULONG format);

/* ---- generation.c: cross-process inventory changes ---- */
/* The generation file's identity now; valid false when it is absent. */
void ukey_generation_read(const char *serial, struct ukey_gen_stamp *g);
/* After a write through this process: replaces the file and records the new
 * stamp, unless another process changed the token since the cache was
 * loaded (then the next check reloads). */
void ukey_generation_note_write_unlocked(struct ukey_slot *slot);
/* True when the stamp moved since `slot`'s last load (updates nothing). */
bool ukey_generation_changed(struct ukey_slot *slot);

/* ---- inventory.c ---- */
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
/* True for attributes that hold key material on a private/secret key. */
bool ukey_attr_is_secret(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE type);
/* True for attributes not read when the inventory loads, only when a caller
 * asks (a data object's content and what is told from it). */
bool ukey_attr_is_lazy(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE type);

#endif
