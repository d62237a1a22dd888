/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of libukey-skf-emu, a GM/T 0016 "SKF" library whose devices are
 * directories (format: emulator/README.md). Only the SKF_* functions of
 * drivers/skf/api.h are exported; everything here is private to the .so. */
#ifndef UKEY_SKF_EMU_H
#define UKEY_SKF_EMU_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "drivers/skf/api.h"

/* The library's own sources implement the SKF functions as emu_SKF_*; the
 * exported SKF_* are the cost model's wrappers (emu-cost.c). */
#ifdef UKEY_SKF_EMU_IMPL
#include "emu-rename.h"
#endif

#define EMU_EXPORT __attribute__((visibility("default")))

/* The exported functions get their prototypes from the shared list. */
#define EMU_PROTO(ret, name, args) EMU_EXPORT ret name args;
UKEY_SKF_FUNCTIONS(EMU_PROTO)
#undef EMU_PROTO

#define EMU_MAX_APP_NAME 32
#define EMU_MAX_FILE_NAME 32
#define EMU_MAX_CONT_NAME 64
#define EMU_MIN_PIN 4
#define EMU_MAX_PIN 16
#define EMU_MAX_CERT 16384
/* Device limits, overridable per device in device.conf (emu-limits.c):
 * a 2 MiB file area, files of up to 256 KiB (seal pictures reach 200 KB),
 * at most 2 KiB per SKF_ReadFile / SKF_WriteFile call. */
#define EMU_TOTAL_SPACE (2ul << 20)
#define EMU_MAX_FILE (256ul << 10)
#define EMU_MAX_IO 2048ul
#define EMU_MAX_ECC_CIPHER 1024
#define EMU_MAX_NAMES 64

enum emu_kind { EMU_DEV = 1, EMU_APP, EMU_CONT };

struct emu_dev;

/* Every handle starts with this header. A handle is valid only while it is
 * in the registry (emu-handle.c): garbage pointers are never dereferenced. */
struct emu_obj {
	uint32_t magic;
	int kind;
	struct emu_dev *dev;
	struct emu_obj *next;
};

struct emu_dev {
	struct emu_obj hdr;
	pthread_mutex_t lock; /* serialises every call on this device */
	char path[PATH_MAX];
	char name[EMU_MAX_CONT_NAME + 1];
	dev_t st_dev; /* identity of the directory at connect time */
	ino_t st_ino;
	int busy; /* calls in flight; guarded by the registry lock */
	int dead; /* disconnected: freed when busy drops to 0 */
	int lockfd; /* LockDev: flock() on <dir>/.lock */
	int gone; /* seen unplugged once: stays unplugged for this handle */
};

struct emu_app {
	struct emu_obj hdr;
	char name[EMU_MAX_APP_NAME + 1];
	char path[PATH_MAX];
	int user_in; /* security state of this application handle */
	int admin_in;
};

struct emu_cont {
	struct emu_obj hdr;
	struct emu_app *app;
	char name[EMU_MAX_CONT_NAME + 1];
	char path[PATH_MAX];
};

/* emu-handle.c */
void emu_register(struct emu_obj *obj, int kind, struct emu_dev *dev);
SKF_ULONG emu_enter(SKF_HANDLE h, int kind, int check_present, struct emu_obj **out);
void emu_leave(struct emu_dev *dev);
void emu_close_obj(struct emu_obj *obj);
void emu_disconnect(struct emu_dev *dev);
int emu_present(struct emu_dev *dev);
SKF_ULONG emu_io_err(struct emu_dev *dev, SKF_ULONG sar);

/* emu-util.c */
int emu_path(char *out, const char *a, const char *b);
int emu_read_file(const char *path, uint8_t **buf, size_t *len);
int emu_write_file(const char *path, const void *buf, size_t len, int mode);
int emu_kv_get(const char *text, const char *key, char *out, size_t outlen);
unsigned long emu_kv_ulong(const char *text, const char *key, unsigned long dflt);
SKF_ULONG emu_name_check(const char *name, size_t max);
int emu_list_dir(const char *path, char names[][EMU_MAX_CONT_NAME + 1], int max);
SKF_ULONG emu_multi_string(char names[][EMU_MAX_CONT_NAME + 1], int n, SKF_CHAR *out,
			   SKF_ULONG *size);
SKF_ULONG emu_out_bytes(const void *src, size_t len, void *out, SKF_ULONG *outlen);
int emu_dev_name(const char *dir, char *name, size_t len);
int emu_rmtree(const char *path);
int emu_rm_atomic(const char *path);
int emu_new_dir(const char *path, char *tmp);
int emu_new_dir_commit(const char *tmp, const char *path);
void emu_sweep(const char *dir);

/* emu-dev.c */
int emu_scan(char names[][EMU_MAX_CONT_NAME + 1], char (*dirs)[PATH_MAX], int max);

/* emu-app.c */
int emu_rights_ok(const struct emu_app *app, SKF_ULONG rights);

/* emu-key.c */
EVP_PKEY *emu_key_load(const char *path);
int emu_key_store(const char *path, EVP_PKEY *pkey);
EVP_PKEY *emu_key_gen(const char *alg, int bits);
int emu_key_is_sm2(const EVP_PKEY *pkey);
int emu_ecc_pub_to_blob(const EVP_PKEY *pkey, SKF_ECCPUBLICKEYBLOB *blob);
int emu_rsa_pub_to_blob(const EVP_PKEY *pkey, SKF_RSAPUBLICKEYBLOB *blob);
EVP_PKEY *emu_sm2_from_priv(const uint8_t d[32]);
int emu_sm2_decrypt(EVP_PKEY *pkey, const SKF_ECCCIPHERBLOB *blob, uint8_t *out, size_t *outlen);

/* emu-limits.c */
struct emu_limits {
	unsigned long total_space, max_file, max_io;
};
void emu_limits(const struct emu_dev *dev, struct emu_limits *l);
unsigned long emu_space_used(const struct emu_dev *dev);

/* emu-cont.c */
EVP_PKEY *emu_cont_key(const struct emu_cont *c, int sign);

#endif
