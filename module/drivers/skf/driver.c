/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The skf driver: loading a vendor GM/T 0016 library, its error codes, and
 * the vtable. Devices live in dev.c (their events in event.c), login in login.c, the object
 * inventory in scan.c / objects.c / write.c, private-key
 * operations in crypto.c, blob codecs in blob.c, vendor quirks in quirks.c.
 * See docs/skf.md. */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "ukey-pkcs11.h"
#include "util/lock.h"
#include "util/log.h"

/* ---- the one SAR → CKR table ---- */

static const struct {
	SKF_ULONG sar;
	CK_RV ckr;
} sar_map[] = {
	{ SAR_OK, CKR_OK },
	{ SAR_FAIL, CKR_FUNCTION_FAILED },
	{ SAR_UNKNOWNERR, CKR_FUNCTION_FAILED },
	{ SAR_NOTSUPPORTYETERR, CKR_FUNCTION_NOT_SUPPORTED },
	{ SAR_FILEERR, CKR_DEVICE_ERROR },
	{ SAR_INVALIDHANDLEERR, CKR_FUNCTION_FAILED },
	{ SAR_INVALIDPARAMERR, CKR_FUNCTION_FAILED },
	{ SAR_READFILEERR, CKR_DEVICE_ERROR },
	{ SAR_WRITEFILEERR, CKR_DEVICE_ERROR },
	{ SAR_NAMELENERR, CKR_ATTRIBUTE_VALUE_INVALID },
	{ SAR_KEYUSAGEERR, CKR_KEY_FUNCTION_NOT_PERMITTED },
	{ SAR_MODULUSLENERR, CKR_KEY_SIZE_RANGE },
	{ SAR_NOTINITIALIZEERR, CKR_DEVICE_ERROR },
	{ SAR_OBJERR, CKR_FUNCTION_FAILED },
	{ SAR_MEMORYERR, CKR_DEVICE_MEMORY },
	{ SAR_TIMEOUTERR, CKR_DEVICE_ERROR },
	{ SAR_INDATALENERR, CKR_DATA_LEN_RANGE },
	{ SAR_INDATAERR, CKR_DATA_INVALID },
	{ SAR_GENRANDERR, CKR_DEVICE_ERROR },
	{ SAR_HASHOBJERR, CKR_FUNCTION_FAILED },
	{ SAR_HASHERR, CKR_FUNCTION_FAILED },
	{ SAR_GENRSAKEYERR, CKR_FUNCTION_FAILED },
	{ SAR_RSAMODULUSLENERR, CKR_KEY_SIZE_RANGE },
	{ SAR_CSPIMPRTPUBKEYERR, CKR_FUNCTION_FAILED },
	{ SAR_RSAENCERR, CKR_FUNCTION_FAILED },
	{ SAR_RSADECERR, CKR_ENCRYPTED_DATA_INVALID },
	{ SAR_HASHNOTEQUALERR, CKR_ENCRYPTED_DATA_INVALID },
	{ SAR_KEYNOTFOUNTERR, CKR_KEY_HANDLE_INVALID },
	{ SAR_CERTNOTFOUNTERR, CKR_OBJECT_HANDLE_INVALID },
	{ SAR_NOTEXPORTERR, CKR_KEY_UNEXTRACTABLE },
	{ SAR_DECRYPTPADERR, CKR_ENCRYPTED_DATA_INVALID },
	{ SAR_MACLENERR, CKR_DATA_LEN_RANGE },
	{ SAR_BUFFER_TOO_SMALL, CKR_BUFFER_TOO_SMALL },
	{ SAR_KEYINFOTYPEERR, CKR_KEY_TYPE_INCONSISTENT },
	{ SAR_NOT_EVENTERR, CKR_NO_EVENT },
	{ SAR_DEVICE_REMOVED, CKR_DEVICE_REMOVED },
	{ SAR_PIN_INCORRECT, CKR_PIN_INCORRECT },
	{ SAR_PIN_LOCKED, CKR_PIN_LOCKED },
	{ SAR_PIN_INVALID, CKR_PIN_INVALID },
	{ SAR_PIN_LEN_RANGE, CKR_PIN_LEN_RANGE },
	{ SAR_USER_ALREADY_LOGGED_IN, CKR_USER_ALREADY_LOGGED_IN },
	{ SAR_USER_PIN_NOT_INITIALIZED, CKR_USER_PIN_NOT_INITIALIZED },
	{ SAR_USER_TYPE_INVALID, CKR_USER_TYPE_INVALID },
	{ SAR_APPLICATION_NAME_INVALID, CKR_TOKEN_NOT_RECOGNIZED },
	{ SAR_APPLICATION_EXISTS, CKR_FUNCTION_FAILED },
	{ SAR_USER_NOT_LOGGED_IN, CKR_USER_NOT_LOGGED_IN },
	{ SAR_APPLICATION_NOT_EXISTS, CKR_TOKEN_NOT_RECOGNIZED },
	{ SAR_FILE_ALREADY_EXIST, CKR_ATTRIBUTE_VALUE_INVALID },
	{ SAR_NO_ROOM, CKR_DEVICE_MEMORY },
	{ SAR_FILE_NOT_EXIST, CKR_OBJECT_HANDLE_INVALID },
};

CK_RV ukey_skf_map(const char *fn, SKF_ULONG raw)
{
	if (raw == SAR_OK)
		return CKR_OK;
	for (size_t i = 0; i < sizeof(sar_map) / sizeof(sar_map[0]); i++)
		if (sar_map[i].sar == raw) {
			ukey_debug("%s: SAR 0x%08x -> CKR 0x%lx", fn, (unsigned)raw,
				   (unsigned long)sar_map[i].ckr);
			return sar_map[i].ckr;
		}
	ukey_debug("%s: unknown SAR 0x%08x -> CKR_FUNCTION_FAILED", fn, (unsigned)raw);
	return CKR_FUNCTION_FAILED;
}

CK_RV ukey_skf_note_inlock(struct skf_dev *d, const char *fn, SKF_ULONG raw)
{
	CK_RV rv = ukey_skf_map(fn, raw);
	/* gone is read by devices() under the table lock only: atomic. */
	if (rv == CKR_DEVICE_REMOVED && !__atomic_exchange_n(&d->gone, true, __ATOMIC_ACQ_REL))
		ukey_info("SKF device %s removed (%s)", d->name, fn);
	return rv;
}

void ukey_skf_ref_split(ukey_ref ref, enum skf_kind *kind, int *usage)
{
	uint32_t high = (uint32_t)(ref >> 32);
	*usage = SKF_SIGN;
	if (high == SKF_K_DATA) {
		*kind = SKF_K_DATA;
	} else if (high >= 1 && high <= 6) {
		*kind = (enum skf_kind)((high - 1) % 3 + 1);
		*usage = (int)((high - 1) / 3);
	} else {
		*kind = 0;
	}
}

/* ---- loading ---- */

static void skf_free(struct ukey_skf *s, bool destroy_locks)
{
	struct skf_dev *d = s->devs, *next;
	for (; d; d = next) {
		next = d->next;
		ukey_skf_forget_secrets_inlock(d);
		ukey_skf_inventory_free(d);
		if (destroy_locks)
			pthread_mutex_destroy(&d->lock);
		free(d->name);
		free(d);
	}
	if (destroy_locks)
		pthread_mutex_destroy(&s->lock);
	free(s->library);
	free(s->application);
	free(s);
}

/* Looks every function up; a missing one disables what it serves (a
 * vendor's other name for one is a quirk: quirks.c). */
static void skf_bind(struct ukey_skf *s)
{
#define SKF_FN_LOAD(ret, name, args) s->f.name = (ret(*) args)dlsym(s->dl, #name);
	UKEY_SKF_FUNCTIONS(SKF_FN_LOAD)
#undef SKF_FN_LOAD
#define SKF_FN_MISSING(ret, name, args) \
	if (!s->f.name)                 \
		ukey_debug("%s lacks %s", s->library, #name);
	UKEY_SKF_FUNCTIONS(SKF_FN_MISSING)
#undef SKF_FN_MISSING
}

static CK_RV skf_load(const struct ukey_backend_conf *conf, void **drv)
{
	static const char *const essential[] = { "SKF_EnumDev", "SKF_ConnectDev", "SKF_GetDevInfo",
						 "SKF_OpenApplication", "SKF_EnumApplication" };
	struct ukey_skf *s = NULL;
	int flags = ukey_dlopen_flags(conf);
	CK_RV rv = CKR_GENERAL_ERROR;
	*drv = NULL;
	if (!conf || !conf->library || !*conf->library) {
		ukey_error("backend %s: no library configured", conf && conf->name ? conf->name : "?");
		return CKR_GENERAL_ERROR;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->library = strdup(conf->library)) ||
	    (conf->application && *conf->application && !(s->application = strdup(conf->application)))) {
		if (s) {
			free(s->library);
			free(s);
		}
		return CKR_HOST_MEMORY;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->next_dev_id = 1;
	dlerror();
	s->dl = dlopen(s->library, flags);
	if (!s->dl) {
		ukey_error("cannot load SKF library %s: %s", s->library, dlerror());
		goto out;
	}
	skf_bind(s);
	const char *missing = NULL;
	if (!s->f.SKF_EnumDev)
		missing = essential[0];
	else if (!s->f.SKF_ConnectDev)
		missing = essential[1];
	else if (!s->f.SKF_GetDevInfo)
		missing = essential[2];
	else if (!s->f.SKF_OpenApplication)
		missing = essential[3];
	else if (!s->f.SKF_EnumApplication)
		missing = essential[4];
	if (missing) {
		ukey_error("%s is not an SKF library: it lacks %s", s->library, missing);
		goto out;
	}
	rv = ukey_skf_quirks_apply(s, conf);
	if (rv != CKR_OK)
		goto out;
	ukey_info("SKF library %s loaded%s%s", s->library, s->application ? ", application " : "",
		  s->application ? s->application : "");
out:
	if (rv != CKR_OK) {
		if (s->dl)
			dlclose(s->dl);
		skf_free(s, true);
		return rv;
	}
	*drv = s;
	return CKR_OK;
}

static void skf_unload(void *drv, bool in_child)
{
	struct ukey_skf *s = drv;
	if (!s)
		return;
	if (in_child) {
		/* The library's state belongs to the parent: no call into it, no
		 * dlclose, no mutex teardown (a parent thread may have held one);
		 * the SO PIN copy is still wiped by skf_free. */
		skf_free(s, false);
		return;
	}
	for (struct skf_dev *d = s->devs; d; d = d->next) {
		ukey_mutex_lock(&d->lock);
		ukey_skf_dev_close_inlock(s, d, true);
		ukey_mutex_unlock(&d->lock);
	}
	dlclose(s->dl);
	skf_free(s, true);
}

static bool skf_thread_safe(void *drv)
{
	(void)drv;
	return false;   /* vendor SKF libraries rarely are */
}

const struct ukey_driver_ops ukey_driver_skf = {
	.name = "skf",
	.load = skf_load,
	.unload = skf_unload,
	.thread_safe = skf_thread_safe,
	.devices = ukey_skf_devices,
	.wait_event = ukey_skf_wait_event,
	.cancel_wait = ukey_skf_cancel_wait,
	.dev_info = ukey_skf_dev_info,
	.mechanisms = ukey_skf_mechanisms,
	.mechanism_info = ukey_skf_mechanism_info,
	.login = ukey_skf_login,
	.logout = ukey_skf_logout,
	.init_pin = ukey_skf_init_pin,
	.set_pin = ukey_skf_set_pin,
	.objects = ukey_skf_objects,
	.reread = ukey_skf_reread,
	.get_attrs = ukey_skf_get_attrs,
	.set_attrs = ukey_skf_set_attrs,
	.create = ukey_skf_create,
	.destroy = ukey_skf_destroy,
	.generate_key_pair = ukey_skf_generate_key_pair,
	.sign = ukey_skf_sign,
	.decrypt = ukey_skf_decrypt,
	.random = ukey_skf_random,
	.unwrap_key_pair = ukey_skf_unwrap_key_pair,
	.unwrap_formats = UKEY_ENVELOPE_BIT(UKEY_ENVELOPE_SM2_V1) | UKEY_ENVELOPE_BIT(UKEY_ENVELOPE_SKF_RSA_V1),
};
