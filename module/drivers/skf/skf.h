/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The skf driver: a vendor GM/T 0016 "SKF" library as the backend
 * (docs/skf.md). Its devices become tokens, their containers key pairs and
 * certificates, their files data objects. */
#ifndef UKEY_DRIVER_SKF_H
#define UKEY_DRIVER_SKF_H

#include "drivers/driver.h"

/* ---- private to drivers/skf/ ----
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

#include "drivers/skf/api.h"
#include "drivers/skf/blob.h"
#include "drivers/skf/quirks.h"

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
	uint8_t point[UKC_SKF_POINT_LEN];/* SM2 */
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
	bool touched;                     /* changed by us: the next scan reads it again */
};

/* A file is known by SKF_GetFileInfo alone; its content is read when a
 * caller first asks for it (file.c): a seal is 5-200 KB, and a real
 * U-KEY moves 255 bytes per APDU. */
struct skf_file {
	char name[33];
	uint32_t id;
	bool priv;                        /* read rights need the user PIN */
	uint32_t size;                    /* FileSize, as created */
	bool sniffed;                     /* head read: seal is known */
	bool seal;
	uint8_t head[UKEY_SKF_SEAL_HEAD]; /* the first bytes, for CKA_APPLICATION */
	size_t headlen;
	uint8_t *value;                   /* the content, NULL until read */
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
	/* DEVINFO as read at connect: what the device is does not change
	 * while it stays connected (its PIN counters are asked each time). */
	SKF_DEVINFO devinfo;
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
	/* ukey-retired's names as the last scan read them (NULL: none), valid
	 * while retired_known: scans after the first read the file again only
	 * when the driver wrote it (retire.c clears retired_known). */
	char *retired_names;
	bool retired_known;
};
#define UKEY_SKF_NOBODY ((CK_USER_TYPE)-1)

struct ukey_skf {
	void *dl;
	char *library;
	char *application;                /* configured, or NULL */
	struct ukey_skf_fns f;
	struct ukey_skf_quirks q;         /* in effect since load (quirks.c) */
	pthread_mutex_t lock;
	struct skf_dev *devs;
	ukey_dev_id next_dev_id;
};

/* quirks.c: the backend's quirks, found and configured, applied to s->f
 * (a function the driver must not call is NULL afterwards). Logs them at
 * debug level; on a bad `quirks =` value, one error line naming the word. */
CK_RV ukey_skf_quirks_apply(struct ukey_skf *s, const struct ukey_backend_conf *conf);

/* The one SAR → CKR table (driver.c); logs the raw code at debug level. */
CK_RV ukey_skf_map(const char *fn, SKF_ULONG raw);
/* Maps and, when the device is gone, marks it so (d->lock held). */
CK_RV ukey_skf_note_inlock(struct skf_dev *d, const char *fn, SKF_ULONG raw);

/* dev.c: finds the device and takes its lock, connecting and opening
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

/* login.c: PIN buffers. A NUL-terminated copy (SKF takes C strings);
 * NULL when out of memory or the PIN holds a NUL byte (*rv says which).
 * Free with ukey_skf_pin_free, which wipes it. */
char *ukey_skf_pin_dup(const CK_UTF8CHAR *pin, CK_ULONG len, CK_RV *rv);
void ukey_skf_pin_free(char *pin);
/* Forgets the SO PIN and private file contents (d->lock held). */
void ukey_skf_forget_secrets_inlock(struct skf_dev *d);

/* scan.c: the device's containers and files, read into d (d->lock
 * held): containers with their public keys and certificates, files by name,
 * size and rights only. After a first reading (d->scanned), a scan lists
 * the names again and reads only the containers and files it has not
 * read, or that the driver changed (ukey_skf_container_touched); token/
 * makes it read everything again (ukey_skf_reread) when another process
 * may have changed the device. */
CK_RV ukey_skf_scan_inlock(struct ukey_skf *s, struct skf_dev *d);
/* The driver changed the container of that name (a key pair imported):
 * the next scan reads it again (known.c). */
void ukey_skf_container_touched(struct skf_dev *d, const char *name);
/* The id a name had in the last reading, or a new one (scan.c). */
uint32_t ukey_skf_id_for(struct skf_dev *d, const char *name, bool file);
struct skf_container *ukey_skf_container_named(struct skf_dev *d, const char *name);
/* A pair's public key from its blob (type: GetContainerType's answer, or
 * SKF_CONTAINER_EMPTY when not known), and its certificate from DER. */
void ukey_skf_pair_key(struct skf_container *c, int usage, SKF_ULONG type, const uint8_t *blob, size_t len);
CK_RV ukey_skf_pair_cert(struct skf_pair *p, const uint8_t *der, size_t len);
void ukey_skf_pair_free(struct skf_pair *p);
void ukey_skf_inventory_free(struct skf_dev *d);
/* CKA_ID of a pair: the first 8 bytes of SHA-256("ukey-skf:" name ":"
 * "sign"|"enc"). */
void ukey_skf_pair_id(const char *container, int usage, uint8_t id[8]);
struct skf_container *ukey_skf_container(struct skf_dev *d, uint32_t id);
struct skf_file *ukey_skf_file(struct skf_dev *d, uint32_t id);
/* file.c, d->lock held: f->head and f->seal read (at most
 * UKEY_SKF_SEAL_HEAD bytes), or f->value (the whole content; the head
 * already read is not read again). Errors: the library's, mapped. */
CK_RV ukey_skf_file_sniff_inlock(struct ukey_skf *s, struct skf_dev *d, struct skf_file *f);
CK_RV ukey_skf_file_load_inlock(struct ukey_skf *s, struct skf_dev *d, struct skf_file *f);
/* Forgets what was read of the file (a private one at logout). */
void ukey_skf_file_forget(struct skf_file *f);
/* known.c, d->lock held: what the driver wrote, entered into its
 * reading without reading the device (a first reading is made when there
 * is none): a file made or deleted, a container made with the signing
 * pair's public-key blob the generation gave (type SKF_CONTAINER_*), a
 * certificate imported into pair usage of container id. */
CK_RV ukey_skf_file_added_inlock(struct ukey_skf *s, struct skf_dev *d, const char *name, uint32_t size,
				 bool priv);
CK_RV ukey_skf_file_removed_inlock(struct ukey_skf *s, struct skf_dev *d, uint32_t id);
CK_RV ukey_skf_container_made_inlock(struct ukey_skf *s, struct skf_dev *d, const char *name, SKF_ULONG type,
				     const uint8_t *blob, size_t len);
CK_RV ukey_skf_cert_stored_inlock(struct ukey_skf *s, struct skf_dev *d, uint32_t id, int usage,
				  const uint8_t *der, size_t len);
/* The driver destroyed pair usage of container id: retired when it was the
 * signing pair of a container keeping its encryption pair, else the
 * container is gone (write.c, Destroy). */
CK_RV ukey_skf_pair_removed_inlock(struct ukey_skf *s, struct skf_dev *d, uint32_t id, int usage);
/* Opens a container by name; closes it again with ukey_skf_container_close. */
CK_RV ukey_skf_container_open(struct ukey_skf *s, struct skf_dev *d, const char *name, SKF_HANDLE *h);
void ukey_skf_container_close(struct ukey_skf *s, SKF_HANDLE h);

/* retire.c: the retired signing pairs of containers that keep their
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
/* archive.c: whether c's encryption pair is archived (a newer one is
 * elsewhere and c's signing pair is gone); date = when the successor starts. */
bool ukey_skf_enc_archived(const struct skf_dev *d, const struct skf_container *c, char date[11]);
/* The first 8 bytes of SHA-256 of a pair's public key, as 16 hex digits. */
void ukey_skf_pair_fp(const struct skf_container *c, int usage, char out[17]);

/* Object operations (objects.c, write.c) and crypto (crypto.c). */
CK_RV ukey_skf_objects(void *drv, ukey_dev_id dev, ukey_ref *refs, CK_ULONG *count);
void ukey_skf_reread(void *drv, ukey_dev_id dev);
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
/* CKM_UKEY_ENVELOPED_KEY_PAIR, sm2-envelope-v1 (unwrap.c). */
CK_RV ukey_skf_unwrap_key_pair(void *drv, ukey_dev_id dev, ukey_ref unwrapping_key, CK_ULONG format,
			       const CK_BYTE *env, CK_ULONG len, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
			       ukey_ref *pub_out, ukey_ref *priv_out);
CK_RV ukey_skf_login(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV ukey_skf_logout(void *drv, ukey_dev_id dev);
CK_RV ukey_skf_init_pin(void *drv, ukey_dev_id dev, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV ukey_skf_set_pin(void *drv, ukey_dev_id dev, CK_USER_TYPE user, const CK_UTF8CHAR *old_pin,
		       CK_ULONG old_len, const CK_UTF8CHAR *new_pin, CK_ULONG new_len);
CK_RV ukey_skf_devices(void *drv, ukey_dev_id *ids, CK_ULONG *count);
CK_RV ukey_skf_wait_event(void *drv);
void ukey_skf_cancel_wait(void *drv);
CK_RV ukey_skf_dev_info(void *drv, ukey_dev_id dev, struct ukey_dev_info *info);
CK_RV ukey_skf_mechanisms(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE *list, CK_ULONG *count);
CK_RV ukey_skf_mechanism_info(void *drv, ukey_dev_id dev, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);

#endif /* UKEY_SKF_INTERNAL */

#endif
