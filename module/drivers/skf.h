/* The skf driver: a vendor GM/T 0016 "SKF" library as the backend
 * (docs/skf.md). Its devices become tokens, their containers key pairs and
 * certificates, their files data objects. */
#ifndef UKEY_DRIVER_SKF_H
#define UKEY_DRIVER_SKF_H

#include "drivers/driver.h"

extern const struct ukey_driver_ops ukey_driver_skf;

/* ---- private to drivers/skf*.c ----
 *
 * Locking: the driver's table lock (skf->lock) guards the device list and
 * is held across SKF_EnumDev only. Each device has its own lock, held
 * across every SKF call on that device (token/ serialises per device too,
 * since thread_safe() is false; ours also covers devices() closing a
 * device another thread is using). Never take skf->lock while holding a
 * device lock. Device entries live until unload, so a pointer stays valid. */
#ifdef UKEY_SKF_INTERNAL

#include <pthread.h>
#include <stdbool.h>

#include "drivers/skf-api.h"
#include "drivers/skf-blob.h"

#define SKF_FN_PTR(ret, name, args) ret(*name) args;
struct ukey_skf_fns {
	UKEY_SKF_FUNCTIONS(SKF_FN_PTR)
};
#undef SKF_FN_PTR

/* Calls an SKF function, or answers SAR_NOTSUPPORTYETERR when the library
 * lacks it. Gives the raw SAR code. */
#define SKF_RAW(s, fn, ...) \
	((s)->f.fn ? (SKF_ULONG)(s)->f.fn(__VA_ARGS__) : (SKF_ULONG)SAR_NOTSUPPORTYETERR)
#define SKF_HAS(s, fn) ((s)->f.fn != NULL)

#define SKF_NAME_MAX 64     /* container names; file names are at most 32 */
#define SKF_SIGN 0
#define SKF_ENC 1

/* Object kinds, the high half of a ukey_ref; the low half is the
 * container's or file's id (stable while its name stays on the device). */
enum skf_kind {
	SKF_K_PUB = 1,
	SKF_K_PRIV = 2,
	SKF_K_CERT = 3,
	SKF_K_DATA = 7,
};
#define SKF_REF(kind, usage, id) \
	((((ukey_ref)(kind) + ((kind) == SKF_K_DATA ? 0 : 3 * (ukey_ref)(usage))) << 32) | (id))
#define SKF_REF_ID(ref) ((uint32_t)((ref) & 0xffffffffu))
/* Kind and usage back from a ref; kind 0 for anything else. */
void ukey_skf_ref_split(ukey_ref ref, enum skf_kind *kind, int *usage);

struct skf_pair {
	bool has_key;
	bool has_cert;
	uint8_t id[8];                    /* CKA_ID, see ukey_skf_pair_id */
	uint8_t point[UKEY_SKF_POINT_LEN];/* SM2 */
	uint8_t modulus[256];             /* RSA */
	size_t modlen;
	uint8_t exponent[4];
	size_t explen;
	uint8_t *cert, *subject, *issuer, *serial;
	size_t certlen, subjectlen, issuerlen, seriallen;
};

struct skf_container {
	char name[SKF_NAME_MAX + 1];
	uint32_t id;
	bool rsa;                         /* else SM2 */
	struct skf_pair pair[2];          /* SKF_SIGN, SKF_ENC */
	bool sign_retired;                /* listed in ukey-retired: pair[SKF_SIGN] hidden */
};

struct skf_file {
	char name[33];
	uint32_t id;
	bool priv;                        /* read rights need the user PIN */
	bool seal;
	uint8_t *value;
	size_t len;
};

struct skf_dev {
	struct skf_dev *next;             /* append-only until unload */
	char *name;                       /* as SKF_EnumDev gives it */
	ukey_dev_id id;
	bool gone;                        /* removed: never used again */
	pthread_mutex_t lock;             /* guards everything below */
	SKF_HANDLE hdev, happ;
	char app[SKF_NAME_MAX + 1];
	SKF_ULONG asym_cap;
	CK_USER_TYPE login;               /* UKEY_SKF_NOBODY, CKU_USER, CKU_SO */
	/* The SO PIN, kept only while the SO is logged in: SKF_UnblockPIN
	 * (our C_InitPIN) wants it again (docs/skf.md). Wiped at logout. */
	char *so_pin;
	struct skf_container *conts;
	size_t nconts;
	struct skf_file *files;
	size_t nfiles;
	uint32_t next_obj_id;
	bool scanned;
	bool retired_warned;              /* the ukey-retired file's warning given */
};
#define UKEY_SKF_NOBODY ((CK_USER_TYPE)-1)

struct ukey_skf {
	void *dl;
	char *library;
	char *application;                /* configured, or NULL */
	struct ukey_skf_fns f;
	pthread_mutex_t lock;
	struct skf_dev *devs;
	ukey_dev_id next_dev_id;
};

/* The one SAR → CKR table (skf.c); logs the raw code at debug level. */
CK_RV ukey_skf_map(const char *fn, SKF_ULONG raw);
/* Maps and, when the device is gone, marks it so (d->lock held). */
CK_RV ukey_skf_note_inlock(struct skf_dev *d, const char *fn, SKF_ULONG raw);

/* skf-dev.c: finds the device and takes its lock, connecting and opening
 * its application on first use. On success the caller must call
 * ukey_skf_dev_unlock. */
CK_RV ukey_skf_dev_lock(struct ukey_skf *s, ukey_dev_id dev, struct skf_dev **out);
void ukey_skf_dev_unlock(struct skf_dev *d);
/* Closes the device's handles (d->lock held); no call if in_child. */
void ukey_skf_dev_close_inlock(struct ukey_skf *s, struct skf_dev *d, bool call);
/* SKF_GetDevInfo into a buffer larger than any DEVINFO variant. */
CK_RV ukey_skf_devinfo_inlock(struct ukey_skf *s, struct skf_dev *d, SKF_DEVINFO *info);
/* Two-call sizing of an SKF name list; *list is malloc'ed with two extra
 * NUL bytes, *size the number of bytes the library filled. */
CK_RV ukey_skf_enum_inlock(struct ukey_skf *s, struct skf_dev *d, int what, char **list, size_t *size);
#define SKF_ENUM_DEV 0
#define SKF_ENUM_APP 1
#define SKF_ENUM_CONTAINER 2
#define SKF_ENUM_FILE 3

/* skf-login.c: PIN buffers. A NUL-terminated copy (SKF takes C strings);
 * NULL when out of memory or the PIN holds a NUL byte (*rv says which).
 * Free with ukey_skf_pin_free, which wipes it. */
char *ukey_skf_pin_dup(const CK_UTF8CHAR *pin, CK_ULONG len, CK_RV *rv);
void ukey_skf_pin_free(char *pin);
/* Forgets the SO PIN and private file contents (d->lock held). */
void ukey_skf_forget_secrets_inlock(struct skf_dev *d);

/* skf-scan.c: the device's containers and files, read into d (d->lock
 * held). Private files are read only while the user is logged in. */
CK_RV ukey_skf_scan_inlock(struct ukey_skf *s, struct skf_dev *d);
void ukey_skf_inventory_free(struct skf_dev *d);
/* CKA_ID of a pair: the first 8 bytes of SHA-256("ukey-skf:" name ":"
 * "sign"|"enc"). */
void ukey_skf_pair_id(const char *container, int usage, uint8_t id[8]);
struct skf_container *ukey_skf_container(struct skf_dev *d, uint32_t id);
struct skf_file *ukey_skf_file(struct skf_dev *d, uint32_t id);
/* Opens a container by name; closes it again with ukey_skf_container_close. */
CK_RV ukey_skf_container_open(struct ukey_skf *s, struct skf_dev *d, const char *name, SKF_HANDLE *h);
void ukey_skf_container_close(struct ukey_skf *s, SKF_HANDLE h);

/* skf-retire.c: the retired signing pairs of containers that keep their
 * encryption pair (docs/skf.md, Destroy). The records live in the
 * application's files UKEY_SKF_RETIRED_FILE, ".1", ... ".15", append-only,
 * one "container\tfingerprint" a line; they are never data objects. All
 * with d->lock held. */
#define UKEY_SKF_RETIRED_FILE "ukey-retired"
bool ukey_skf_retired_file(const char *name);
/* 0 for UKEY_SKF_RETIRED_FILE, k for its continuation ".k", else -1. */
int ukey_skf_retired_index(const char *name);
/* *records: the records of every usable file, in order (NUL-terminated,
 * one a line, malloc'ed), or NULL when there are none; a damaged file is
 * skipped (warned once). Errors: removal, memory. */
CK_RV ukey_skf_retired_load_inlock(struct ukey_skf *s, struct skf_dev *d, char **records);
/* Whether the signing pair of c (its name and current public key) is retired. */
bool ukey_skf_retired_has(const char *records, const struct skf_container *c);
/* Appends a record retiring c's signing pair (a new file when the last is
 * full; damaged files deleted first). */
CK_RV ukey_skf_retire_inlock(struct ukey_skf *s, struct skf_dev *d, const struct skf_container *c);
/* A new pair in a container named name: a bare-name record (earlier
 * versions) would hide it, so one that names it last is ended by an
 * appended "name\t-". */
CK_RV ukey_skf_retired_forget_inlock(struct ukey_skf *s, struct skf_dev *d, const char *name);
/* skf-archive.c: whether c's encryption pair is archived (a newer one is
 * elsewhere and c's signing pair is gone); date = when the successor starts. */
bool ukey_skf_enc_archived(const struct skf_dev *d, const struct skf_container *c, char date[11]);
/* The first 8 bytes of SHA-256 of a pair's public key, as 16 hex digits. */
void ukey_skf_pair_fp(const struct skf_container *c, int usage, char out[17]);

/* Object operations (skf-objects.c, skf-write.c) and crypto (skf-crypto.c). */
CK_RV ukey_skf_objects(void *drv, ukey_dev_id dev, ukey_ref *refs, CK_ULONG *count);
CK_RV ukey_skf_get_attrs(void *drv, ukey_dev_id dev, ukey_ref ref, CK_ATTRIBUTE *tmpl, CK_ULONG n);
CK_RV ukey_skf_set_attrs(void *drv, ukey_dev_id dev, ukey_ref ref, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
CK_RV ukey_skf_create(void *drv, ukey_dev_id dev, const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *out);
CK_RV ukey_skf_destroy(void *drv, ukey_dev_id dev, ukey_ref ref);
CK_RV ukey_skf_generate_key_pair(void *drv, ukey_dev_id dev, const CK_MECHANISM *mech,
				 const CK_ATTRIBUTE *pub, CK_ULONG npub, const CK_ATTRIBUTE *priv,
				 CK_ULONG npriv, ukey_ref *pub_out, ukey_ref *priv_out);
CK_RV ukey_skf_sign(void *drv, ukey_dev_id dev, ukey_ref key, const CK_MECHANISM *mech,
		    const CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_skf_decrypt(void *drv, ukey_dev_id dev, ukey_ref key, const CK_MECHANISM *mech,
		       const CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out, CK_ULONG *outlen);
CK_RV ukey_skf_random(void *drv, ukey_dev_id dev, CK_BYTE *out, CK_ULONG len);
/* CKM_UKEY_ENVELOPED_KEY_PAIR, sm2-envelope-v1 (skf-unwrap.c). */
CK_RV ukey_skf_unwrap_key_pair(void *drv, ukey_dev_id dev, ukey_ref unwrapping_key, CK_ULONG format,
			       const CK_BYTE *env, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			       ukey_ref *pub_out, ukey_ref *priv_out);
CK_RV ukey_skf_login(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV ukey_skf_logout(void *drv, ukey_dev_id dev);
CK_RV ukey_skf_init_pin(void *drv, ukey_dev_id dev, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV ukey_skf_set_pin(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *old_pin,
		       CK_ULONG old_len, const CK_UTF8CHAR *new_pin, CK_ULONG new_len);
CK_RV ukey_skf_devices(void *drv, ukey_dev_id *ids, CK_ULONG *count);
CK_RV ukey_skf_dev_info(void *drv, ukey_dev_id dev, struct ukey_dev_info *info);
CK_RV ukey_skf_mechanisms(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE *list, CK_ULONG *count);
CK_RV ukey_skf_mechanism_info(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);

#endif /* UKEY_SKF_INTERNAL */

#endif
