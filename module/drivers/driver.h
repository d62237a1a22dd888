/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one driver vtable. A driver presents a backend (another PKCS#11 library,
 * or a GM/T 0016 SKF library) as a set of devices. It knows nothing of our
 * sessions, handles or login bookkeeping: token/ owns all of that and calls
 * these operations one-shot. PKCS#11 types are the common language; no
 * backend-specific type may appear above drivers/.
 *
 * Threading: token/ never holds its table lock across a driver call. When
 * thread_safe() is false, token/ serialises calls per device with the
 * device lock; otherwise calls for one device may run concurrently, and the
 * driver must cope (the p11 driver keeps a pool of backend sessions).
 *
 * Errors: every operation returns a CK_RV. A driver maps its backend's codes
 * once, in one table, and logs the raw code. CKR_DEVICE_REMOVED and
 * CKR_TOKEN_NOT_PRESENT mean the device is gone. */
#ifndef UKEY_DRIVER_H
#define UKEY_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "util/conf.h"

/* A device is named by a driver-chosen id, stable while the device stays
 * inserted (p11: the backend slot id). An object on a device is named by a
 * driver-chosen reference, stable while the object exists. */
typedef uint64_t ukey_dev_id;
typedef uint64_t ukey_ref;

/* What a device says about itself; strings are NUL-terminated, token/ pads
 * them with spaces for CK_TOKEN_INFO. */
struct ukey_dev_info {
	char label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];         /* the medium number */
	char slot_description[65];
	char slot_manufacturer[33];
	CK_VERSION hardware_version;
	CK_VERSION firmware_version;
	CK_FLAGS token_flags;    /* CKF_* as in CK_TOKEN_INFO, PIN counters included */
	CK_FLAGS slot_flags;     /* CKF_REMOVABLE_DEVICE, CKF_HW_SLOT */
	CK_ULONG min_pin_len;
	CK_ULONG max_pin_len;
	/* Exact PIN retry counters where the backend tells them (SKF
	 * SKF_GetPINInfo); -1 when it only gives the CKF_*_PIN_* flags (p11). */
	long user_retries_left;
	long user_retries_max;
	long so_retries_left;
	long so_retries_max;
};

/* Pass-through operations (the ops at the end of ukey_driver_ops). */
enum ukey_pass_kind {
	UKEY_PASS_ENCRYPT,
	UKEY_PASS_DECRYPT,
	UKEY_PASS_SIGN,
	UKEY_PASS_VERIFY,
	UKEY_PASS_SIGN_RECOVER,
	UKEY_PASS_VERIFY_RECOVER,
};
enum ukey_pass_step {
	UKEY_PASS_ONESHOT,
	UKEY_PASS_UPDATE,
	UKEY_PASS_FINAL,
};
#define UKEY_NO_HOLDER ((ukey_ref)0)

struct ukey_driver_ops {
	const char *name;

	/* Loads the backend named by conf and initialises it. *drv is the
	 * driver's own state, passed back to every other call. On failure it
	 * logs exactly one error line naming the library and the reason. */
	CK_RV (*load)(const struct ukey_backend_conf *conf, void **drv);
	/* Finalises and unloads. in_child: we are in a forked child that never
	 * initialised the backend itself: drop our state, leave the backend. */
	void (*unload)(void *drv, bool in_child);
	/* True when calls for one device may run concurrently. */
	bool (*thread_safe)(void *drv);

	/* Devices present now, at most *count; *count is set to the number. */
	CK_RV (*devices)(void *drv, ukey_dev_id *ids, CK_ULONG *count);
	/* Device events, where the backend has them (NULL, or
	 * CKR_FUNCTION_NOT_SUPPORTED from a call: token/ polls devices()
	 * instead). wait_event blocks until the backend says a device came or
	 * went and then returns CKR_OK; token/ lists devices() again, so the
	 * event need name nothing. Any other code ends the waiting: cancelled,
	 * or the backend's wait failed. token/ calls it from one thread of its
	 * own, without any lock, while other operations run. cancel_wait makes
	 * a wait_event blocked in another thread return, or the next one
	 * return at once; C_Finalize calls it (maybe several times) before
	 * unload, and the backend need serve nothing but unload after it. */
	CK_RV (*wait_event)(void *drv);
	void (*cancel_wait)(void *drv);
	CK_RV (*dev_info)(void *drv, ukey_dev_id dev, struct ukey_dev_info *info);
	/* The backend's mechanisms. mechanisms() follows PKCS#11 two-call sizing. */
	CK_RV (*mechanisms)(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE *list, CK_ULONG *count);
	CK_RV (*mechanism_info)(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);

	/* Authentication state is per device, as in PKCS#11 and SKF. */
	CK_RV (*login)(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len);
	CK_RV (*logout)(void *drv, ukey_dev_id dev);
	/* Sets the user PIN; the SO is logged in. */
	CK_RV (*init_pin)(void *drv, ukey_dev_id dev, const CK_UTF8CHAR *pin, CK_ULONG len);
	/* Changes the PIN of `user` (the one logged in, or CKU_USER when nobody is). */
	CK_RV (*set_pin)(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *old_pin,
			 CK_ULONG old_len, const CK_UTF8CHAR *new_pin, CK_ULONG new_len);

	/* Token objects visible in the current login state (public ones, plus
	 * private ones when the user is logged in). Two-call sizing. */
	CK_RV (*objects)(void *drv, ukey_dev_id dev, ukey_ref *refs, CK_ULONG *count);
	/* The device may have changed behind the driver (another process wrote
	 * to it, or it is read for the first time in this slot): the next
	 * objects() must read it afresh rather than list what the driver read
	 * before. NULL when objects() always asks the backend (p11). */
	void (*reread)(void *drv, ukey_dev_id dev);
	/* Full C_GetAttributeValue semantics on the template. A driver may read
	 * an expensive value (a file's content) only when the template holds
	 * it, so token/ asks for those (ukey_attr_is_lazy) one object at a
	 * time, when a caller needs them. */
	CK_RV (*get_attrs)(void *drv, ukey_dev_id dev, ukey_ref ref, CK_ATTRIBUTE *tmpl, CK_ULONG n);
	CK_RV (*set_attrs)(void *drv, ukey_dev_id dev, ukey_ref ref, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
	/* Creates a token object (certificate, data) from the template. */
	CK_RV (*create)(void *drv, ukey_dev_id dev, const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *out);
	CK_RV (*destroy)(void *drv, ukey_dev_id dev, ukey_ref ref);
	/* A pair whose private template says CKA_TOKEN = FALSE is made as
	 * session objects (only when session_keys is set), which live until
	 * destroy() or the backend's logout; otherwise as token objects. */
	CK_RV (*generate_key_pair)(void *drv, ukey_dev_id dev, const CK_MECHANISM *mech,
				   const CK_ATTRIBUTE *pub, CK_ULONG npub, const CK_ATTRIBUTE *priv,
				   CK_ULONG npriv, ukey_ref *pub_out, ukey_ref *priv_out);

	/* One-shot private-key operations with the backend's own mechanism
	 * (token/ hashes, pads and checks sizes beforehand). out is never NULL
	 * and *outlen is its capacity, at least the key's maximum output. */
	CK_RV (*sign)(void *drv, ukey_dev_id dev, ukey_ref key, const CK_MECHANISM *mech,
		      const CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen);
	CK_RV (*decrypt)(void *drv, ukey_dev_id dev, ukey_ref key, const CK_MECHANISM *mech,
			 const CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen);
	CK_RV (*random)(void *drv, ukey_dev_id dev, CK_BYTE *out, CK_ULONG len);

	/* CKM_UKEY_ENVELOPED_KEY_PAIR (docs/mechanisms.md): imports the key
	 * pair sealed in env (format UKEY_ENVELOPE_*) to the private key
	 * unwrapping_key, as token objects; tmpl is the caller's private-key
	 * template (token/ checked class, CKA_TOKEN and sensitivity). Gives the
	 * new public and private keys. A driver that cannot leaves it NULL; a
	 * format it does not know gives CKR_MECHANISM_PARAM_INVALID, then a
	 * length the format never has CKR_WRAPPED_KEY_LEN_RANGE (checked before
	 * anything else: callers ask which format a key takes with an empty
	 * envelope), a malformed or tampered envelope CKR_WRAPPED_KEY_INVALID,
	 * and nothing is left on the token then. token/ knows nothing of a
	 * format's insides. */
	CK_RV (*unwrap_key_pair)(void *drv, ukey_dev_id dev, ukey_ref unwrapping_key, CK_ULONG format,
				 const CK_BYTE *env, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
				 ukey_ref *pub_out, ukey_ref *priv_out);
	/* The envelope formats unwrap_key_pair implements, as bits
	 * UKEY_ENVELOPE_BIT(format); whether a device can use one also depends
	 * on its mechanisms (token/unwrap.c). */
	CK_ULONG unwrap_formats;
	/* generate_key_pair makes session key pairs (PKCS#11 backends). */
	bool session_keys;

	/* ---- pass-through (token/pass-*.c) ----
	 * What the backend does by itself and token/ only hands on: secret
	 * keys and the symmetric mechanisms, C_CopyObject, sign/verify with
	 * recovery, wrapping and unwrapping with the backend's mechanisms. The
	 * caller's mechanism and template go to the backend as they are. A
	 * driver that cannot leaves all of these NULL: token/ then lists none
	 * of those mechanisms and refuses the functions (docs/mechanisms.md).
	 * Secret key values never cross this interface (only C_WrapKey's
	 * wrapped result does) and token/ never caches them. */

	/* A holder keeps session objects (CKA_TOKEN false) until it is closed;
	 * token/ opens one per session that makes such objects, and closes it
	 * with the session. UKEY_NO_HOLDER in the calls below: a token object. */
	CK_RV (*holder_open)(void *drv, ukey_dev_id dev, ukey_ref *holder);
	/* Never waits for the backend (it may defer the work), so token/ may
	 * call it with its table lock held. */
	void (*holder_close)(void *drv, ukey_dev_id dev, ukey_ref holder);
	CK_RV (*generate_key)(void *drv, ukey_dev_id dev, ukey_ref holder, const CK_MECHANISM *mech,
			      const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *out);
	CK_RV (*create_in)(void *drv, ukey_dev_id dev, ukey_ref holder, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			   ukey_ref *out);
	CK_RV (*copy)(void *drv, ukey_dev_id dev, ukey_ref holder, ukey_ref ref, const CK_ATTRIBUTE *tmpl,
		      CK_ULONG n, ukey_ref *out);
	/* PKCS#11 two-call sizing: out NULL asks the length. */
	CK_RV (*wrap)(void *drv, ukey_dev_id dev, const CK_MECHANISM *mech, ukey_ref wrapping, ukey_ref key,
		      CK_BYTE *out, CK_ULONG *outlen);
	CK_RV (*unwrap)(void *drv, ukey_dev_id dev, ukey_ref holder, const CK_MECHANISM *mech, ukey_ref unwrapping,
			const CK_BYTE *in, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *out);
	/* A cryptographic operation run by the backend, from its C_*Init to its
	 * end, with PKCS#11's rules for sizing and for what ends it. */
	CK_RV (*op_begin)(void *drv, ukey_dev_id dev, enum ukey_pass_kind kind, const CK_MECHANISM *mech,
			  ukey_ref key, void **op);
	/* C_Encrypt/Decrypt/Sign/SignRecover/VerifyRecover (ONESHOT), their
	 * Update (SignUpdate and VerifyUpdate: out NULL, outlen NULL) and Final. */
	CK_RV (*op_step)(void *drv, void *op, enum ukey_pass_step step, const CK_BYTE *in, CK_ULONG inlen,
			 CK_BYTE *out, CK_ULONG *outlen);
	/* C_Verify (final false) or C_VerifyFinal (final true, in unused). */
	CK_RV (*op_verify)(void *drv, void *op, bool final, const CK_BYTE *in, CK_ULONG inlen, const CK_BYTE *sig,
			   CK_ULONG siglen);
	/* Frees the operation, finished or not; never waits for the backend,
	 * so token/ may call it with its table lock held. */
	void (*op_end)(void *drv, void *op);
};

#define UKEY_ENVELOPE_BIT(format) (1UL << (format))

/* The built-in drivers, each defined in its own room (drivers/p11/,
 * drivers/skf/), and the registry that finds one by name: declared here so
 * registry.c needs no driver's private header (no include runs from
 * drivers/ into a room and back). */
extern const struct ukey_driver_ops ukey_driver_p11;
extern const struct ukey_driver_ops ukey_driver_skf;
const struct ukey_driver_ops *ukey_driver_find(const char *name);

#endif
