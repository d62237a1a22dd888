/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "emu.h"
#include "hex.h"

/* Applications and their PINs. A PIN file (apps/<app>/pin.user, pin.admin)
 * holds salt, hash = hex(SHA-256(salt-hex || PIN)), max, remain, default.
 * Every read-modify-write of it happens under flock(), so retry counters
 * are right across processes. */
struct pin_rec {
	char salt[65];
	char hash[65];
	unsigned long max, remain, dflt;
};

EMU_EXPORT SKF_ULONG SKF_EnumApplication(SKF_HANDLE hDev, SKF_CHAR *szAppName, SKF_ULONG *pulSize)
{
	char names[EMU_MAX_NAMES][EMU_MAX_CONT_NAME + 1], apps[PATH_MAX];
	struct emu_obj *o;
	SKF_ULONG rv = emu_enter(hDev, EMU_DEV, 1, &o);
	int n;

	if (rv != SAR_OK)
		return rv;
	n = emu_path(apps, o->dev->path, "apps") == 0 ? emu_list_dir(apps, names, EMU_MAX_NAMES) : -1;
	rv = n < 0 ? emu_io_err(o->dev, SAR_FILEERR) : emu_multi_string(names, n, szAppName, pulSize);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_OpenApplication(SKF_HANDLE hDev, const SKF_CHAR *szAppName, SKF_HANDLE *phApp)
{
	struct emu_obj *o;
	struct emu_app *app = NULL;
	char apps[PATH_MAX], pin[PATH_MAX];
	SKF_ULONG rv = emu_enter(hDev, EMU_DEV, 1, &o);

	if (rv != SAR_OK)
		return rv;
	if (!phApp) {
		rv = SAR_INVALIDPARAMERR;
		goto out;
	}
	*phApp = NULL;
	rv = emu_name_check(szAppName, EMU_MAX_APP_NAME);
	if (rv != SAR_OK)
		goto out;
	if (!(app = calloc(1, sizeof(*app)))) {
		rv = SAR_MEMORYERR;
		goto out;
	}
	if (emu_path(apps, o->dev->path, "apps") != 0 || emu_path(app->path, apps, szAppName) != 0 ||
	    emu_path(pin, app->path, "pin.user") != 0 || access(pin, R_OK) != 0) {
		rv = emu_io_err(o->dev, SAR_APPLICATION_NOT_EXISTS);
		goto out;
	}
	strcpy(app->name, szAppName);
	emu_register(&app->hdr, EMU_APP, o->dev);
	*phApp = app;
	app = NULL;
out:
	free(app);
	emu_leave(o->dev);
	return rv;
}

/* Always releases the handle, even for an unplugged device. */
EMU_EXPORT SKF_ULONG SKF_CloseApplication(SKF_HANDLE hApp)
{
	struct emu_obj *o;
	struct emu_dev *dev;
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 0, &o);

	if (rv != SAR_OK)
		return rv;
	dev = o->dev;
	emu_close_obj(o);
	emu_leave(dev);
	return SAR_OK;
}

int emu_rights_ok(const struct emu_app *app, SKF_ULONG rights)
{
	if (rights == SKF_SECURE_ANYONE_ACCOUNT)
		return 1;
	return ((rights & SKF_SECURE_USER_ACCOUNT) && app->user_in) ||
	       ((rights & SKF_SECURE_ADM_ACCOUNT) && app->admin_in);
}

static void pin_hash(const char *salt, const char *pin, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(ctx, salt, strlen(salt)) && EVP_DigestUpdate(ctx, pin, strlen(pin)) &&
		 EVP_DigestFinal_ex(ctx, md, &mdlen);

	EVP_MD_CTX_free(ctx);
	memset(hex, 0, 65);
	if (!ok) /* an empty hash never matches */
		return;
	ukc_hex_encode(md, 32, hex, false);
	OPENSSL_cleanse(md, sizeof(md));
}

/* Opens and locks the PIN file of the given type; fills rec. */
static int pin_open(const struct emu_app *app, SKF_ULONG type, struct pin_rec *rec)
{
	char path[PATH_MAX], text[512];
	ssize_t n;
	int fd;

	if (emu_path(path, app->path, type == SKF_ADMIN_TYPE ? "pin.admin" : "pin.user") != 0)
		return -1;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	if (flock(fd, LOCK_EX) != 0 || (n = pread(fd, text, sizeof(text) - 1, 0)) < 0)
		goto fail;
	text[n] = 0;
	if (emu_kv_get(text, "salt", rec->salt, sizeof(rec->salt)) != 0 ||
	    emu_kv_get(text, "hash", rec->hash, sizeof(rec->hash)) != 0)
		goto fail;
	rec->max = emu_kv_ulong(text, "max", 10);
	rec->remain = emu_kv_ulong(text, "remain", rec->max);
	rec->dflt = emu_kv_ulong(text, "default", 0);
	return fd;
fail:
	close(fd);
	return -1;
}

/* Rewrites the PIN file in place and unlocks it. */
static int pin_close(int fd, const struct pin_rec *rec, int write_it)
{
	char text[512];
	int n, rc = 0;

	if (write_it) {
		n = snprintf(text, sizeof(text), "salt=%s\nhash=%s\nmax=%lu\nremain=%lu\ndefault=%lu\n",
			     rec->salt, rec->hash, rec->max, rec->remain, rec->dflt);
		if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n)
			rc = -1;
	}
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

static void new_salt(char salt[65])
{
	unsigned char r[16];
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0x5a, sizeof(r)); /* a fixed salt still hashes correctly */
	ukc_hex_encode(r, sizeof(r), salt, false);
}

/* Checks pin against an open PIN file, updating the retry counter. */
static SKF_ULONG pin_check(int fd, struct pin_rec *rec, const char *pin, SKF_ULONG *retry, int *dirty)
{
	char h[65];

	*dirty = 0;
	if (rec->remain == 0) {
		*retry = 0;
		return SAR_PIN_LOCKED;
	}
	pin_hash(rec->salt, pin, h);
	if (h[0] && CRYPTO_memcmp(h, rec->hash, 64) == 0) {
		*dirty = rec->remain != rec->max;
		rec->remain = rec->max;
		*retry = (SKF_ULONG)rec->remain;
		return SAR_OK;
	}
	rec->remain--;
	*dirty = 1;
	*retry = (SKF_ULONG)rec->remain;
	(void)fd;
	return rec->remain == 0 ? SAR_PIN_LOCKED : SAR_PIN_INCORRECT;
}

static SKF_ULONG pin_len_ok(const char *pin)
{
	size_t n = strnlen(pin, EMU_MAX_PIN + 1);
	return (n < EMU_MIN_PIN || n > EMU_MAX_PIN) ? SAR_PIN_LEN_RANGE : SAR_OK;
}

EMU_EXPORT SKF_ULONG SKF_VerifyPIN(SKF_HANDLE hApp, SKF_ULONG ulPINType, const SKF_CHAR *szPIN,
				   SKF_ULONG *pulRetryCount)
{
	struct emu_obj *o;
	struct emu_app *app;
	struct pin_rec rec;
	int fd, dirty;
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, &o);

	if (rv != SAR_OK)
		return rv;
	app = (struct emu_app *)o;
	if (!szPIN || !pulRetryCount) {
		rv = SAR_INVALIDPARAMERR;
	} else if (ulPINType != SKF_ADMIN_TYPE && ulPINType != SKF_USER_TYPE) {
		rv = SAR_USER_TYPE_INVALID;
	} else if ((fd = pin_open(app, ulPINType, &rec)) < 0) {
		rv = emu_io_err(o->dev, SAR_FILEERR);
	} else {
		rv = pin_check(fd, &rec, szPIN, pulRetryCount, &dirty);
		if (pin_close(fd, &rec, dirty) != 0 && rv == SAR_OK)
			rv = emu_io_err(o->dev, SAR_WRITEFILEERR);
		if (rv == SAR_OK)
			*(ulPINType == SKF_ADMIN_TYPE ? &app->admin_in : &app->user_in) = 1;
		else if (!emu_present(o->dev))
			rv = SAR_DEVICE_REMOVED;
	}
	emu_leave(o->dev);
	return rv;
}

/* Sets a new PIN of type 'type' (PIN file fd already open and checked). */
static void pin_set(struct pin_rec *rec, const char *pin)
{
	new_salt(rec->salt);
	pin_hash(rec->salt, pin, rec->hash);
	rec->remain = rec->max;
	rec->dflt = 0;
}

EMU_EXPORT SKF_ULONG SKF_ChangePIN(SKF_HANDLE hApp, SKF_ULONG ulPINType, const SKF_CHAR *szOldPin,
				   const SKF_CHAR *szNewPin, SKF_ULONG *pulRetryCount)
{
	struct emu_obj *o;
	struct emu_app *app;
	struct pin_rec rec;
	int fd, dirty;
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, &o);

	if (rv != SAR_OK)
		return rv;
	app = (struct emu_app *)o;
	if (!szOldPin || !szNewPin || !pulRetryCount) {
		rv = SAR_INVALIDPARAMERR;
	} else if (ulPINType != SKF_ADMIN_TYPE && ulPINType != SKF_USER_TYPE) {
		rv = SAR_USER_TYPE_INVALID;
	} else if ((rv = pin_len_ok(szNewPin)) != SAR_OK) {
		/* rejected before the old PIN is tried: no retry is used up */
	} else if ((fd = pin_open(app, ulPINType, &rec)) < 0) {
		rv = emu_io_err(o->dev, SAR_FILEERR);
	} else {
		rv = pin_check(fd, &rec, szOldPin, pulRetryCount, &dirty);
		if (rv == SAR_OK) {
			pin_set(&rec, szNewPin);
			dirty = 1;
		}
		if (pin_close(fd, &rec, dirty) != 0 && rv == SAR_OK)
			rv = emu_io_err(o->dev, SAR_WRITEFILEERR);
	}
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_UnblockPIN(SKF_HANDLE hApp, const SKF_CHAR *szAdminPIN,
				    const SKF_CHAR *szNewUserPIN, SKF_ULONG *pulRetryCount)
{
	struct emu_obj *o;
	struct emu_app *app;
	struct pin_rec adm, usr;
	int fd, ufd, dirty;
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, &o);

	if (rv != SAR_OK)
		return rv;
	app = (struct emu_app *)o;
	if (!szAdminPIN || !szNewUserPIN || !pulRetryCount) {
		rv = SAR_INVALIDPARAMERR;
	} else if ((rv = pin_len_ok(szNewUserPIN)) != SAR_OK) {
		/* nothing tried */
	} else if ((fd = pin_open(app, SKF_ADMIN_TYPE, &adm)) < 0) {
		rv = emu_io_err(o->dev, SAR_FILEERR);
	} else {
		rv = pin_check(fd, &adm, szAdminPIN, pulRetryCount, &dirty);
		if (rv == SAR_OK) {
			if ((ufd = pin_open(app, SKF_USER_TYPE, &usr)) < 0) {
				rv = emu_io_err(o->dev, SAR_FILEERR);
			} else {
				pin_set(&usr, szNewUserPIN);
				if (pin_close(ufd, &usr, 1) != 0)
					rv = emu_io_err(o->dev, SAR_WRITEFILEERR);
			}
		}
		if (pin_close(fd, &adm, dirty) != 0 && rv == SAR_OK)
			rv = emu_io_err(o->dev, SAR_WRITEFILEERR);
	}
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_LONG SKF_GetPINInfo(SKF_HANDLE hApp, SKF_ULONG ulPINType, SKF_ULONG *pulMaxRetryCount,
				   SKF_ULONG *pulRemainRetryCount, SKF_BOOL_OUT *pbDefaultPin)
{
	struct emu_obj *o;
	struct pin_rec rec;
	int fd;
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, &o);

	if (rv != SAR_OK)
		return (SKF_LONG)rv;
	if (!pulMaxRetryCount || !pulRemainRetryCount || !pbDefaultPin) {
		rv = SAR_INVALIDPARAMERR;
	} else if (ulPINType != SKF_ADMIN_TYPE && ulPINType != SKF_USER_TYPE) {
		rv = SAR_USER_TYPE_INVALID;
	} else if ((fd = pin_open((struct emu_app *)o, ulPINType, &rec)) < 0) {
		rv = emu_io_err(o->dev, SAR_FILEERR);
	} else {
		*pulMaxRetryCount = (SKF_ULONG)rec.max;
		*pulRemainRetryCount = (SKF_ULONG)rec.remain;
		*pbDefaultPin = rec.dflt ? 1 : 0;
		pin_close(fd, &rec, 0);
	}
	emu_leave(o->dev);
	return (SKF_LONG)rv;
}

EMU_EXPORT SKF_ULONG SKF_ClearSecureState(SKF_HANDLE hApp)
{
	struct emu_obj *o;
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, &o);

	if (rv != SAR_OK)
		return rv;
	((struct emu_app *)o)->user_in = 0;
	((struct emu_app *)o)->admin_in = 0;
	emu_leave(o->dev);
	return SAR_OK;
}
