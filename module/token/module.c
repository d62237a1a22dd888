/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Module life cycle: C_Initialize / C_Finalize, the fork rule, and loading
 * the configured backends into slots.
 *
 * Fork: a child inherits our memory but must call C_Initialize again; until
 * then every call answers CKR_CRYPTOKI_NOT_INITIALIZED (ukey_module_check
 * compares the pid). When the child initialises, the parent's state is
 * dropped without calling into the backends (drivers' unload(in_child)),
 * since finalising a vendor library from a child can break the parent. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "token/backend.h"
#include "token/events.h"
#include "token/handles.h"
#include "token/inventory.h"
#include "token/model.h"
#include "token/session.h"
#include "token/slot.h"
#include "token/token.h"
#include "token/vendor.h"
#include "util/log.h"
#include "util/ossl.h"

struct ukey_module ukey_M = { .lock = PTHREAD_MUTEX_INITIALIZER, .refresh_lock = PTHREAD_MUTEX_INITIALIZER };

/* Serialises C_Initialize and C_Finalize against each other. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

/* Set once exit() has begun. Hosts such as OpenSSL's pkcs11 engine call
 * C_Finalize from their own exit handlers, after a C++ backend's static
 * objects are gone (SoftHSM): from then on, teardown must not call into
 * the backends. Our handler is registered after the backends have been
 * loaded and initialised, so it runs before their destructors. */
static volatile bool exiting;
static bool exit_handler_set;

static void note_exit(void)
{
	exiting = true;
}

CK_RV ukey_module_check(void)
{
	if (!__atomic_load_n(&ukey_M.initialized, __ATOMIC_ACQUIRE))
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (ukey_M.pid != getpid())
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	return CKR_OK;
}

static CK_RV check_args(const CK_C_INITIALIZE_ARGS *args)
{
	if (!args)
		return CKR_OK;
	if (args->pReserved)
		return CKR_ARGUMENTS_BAD;
	int given = !!args->CreateMutex + !!args->DestroyMutex + !!args->LockMutex + !!args->UnlockMutex;
	if (given != 0 && given != 4)
		return CKR_ARGUMENTS_BAD;
	/* We only use OS threading primitives: callbacks alone cannot do. */
	if (given == 4 && !(args->flags & CKF_OS_LOCKING_OK))
		return CKR_CANT_LOCK;
	return CKR_OK;
}

static void free_slot(struct ukey_slot *slot)
{
	for (CK_ULONG i = 0; i < slot->nobjects; i++)
		ukey_object_free(slot->objects[i]);
	free(slot->objects);
	free(slot->backend_mechs);
	pthread_mutex_destroy(&slot->dev_lock);
	pthread_mutex_destroy(&slot->login_lock);
	free(slot);
}

/* Drops all state. in_child: the state belongs to the parent process. */
static void teardown(bool in_child)
{
	for (size_t i = 0; i < ukey_M.nslots; i++) {
		struct ukey_slot *slot = ukey_M.slots[i];
		ukey_session_close_slot_inlock(slot);
		free_slot(slot);
	}
	free(ukey_M.slots);
	ukey_M.slots = NULL;
	ukey_M.nslots = 0;
	free(ukey_M.sessions);
	ukey_M.sessions = NULL;
	ukey_M.nsessions = 0;
	ukey_handle_reset_inlock();
	for (size_t i = 0; i < ukey_M.nbackends; i++) {
		struct ukey_backend *b = &ukey_M.backends[i];
		/* A device-event thread still in the driver keeps it loaded. */
		if (!ukey_events_stuck(b) || in_child)
			ukey_be_unload(b, in_child || exiting);
		ukey_events_forget(b, in_child);
		free(b->name);
	}
	memset(ukey_M.backends, 0, sizeof(ukey_M.backends));
	ukey_M.nbackends = 0;
	ukey_config_free(&ukey_M.conf);
	/* Every EVP_PKEY of the objects is gone now. At exit, OpenSSL may
	 * already have cleaned up: leave its memory alone then. */
	if (!exiting)
		ukey_ossl_release();
}

/* A backend's reason for the vendor interface, without the "<file>:
 * [backend <name>]: " the log line starts with: the status names both. */
static const char *backend_reason(const char *line, const struct ukey_backend_conf *bc)
{
	const char *path = ukey_M.conf.path ? ukey_M.conf.path : "", *p = line;
	size_t plen = strlen(path), nlen = strlen(bc->name);

	if (strncmp(p, path, plen) != 0 || strncmp(p + plen, ": [backend ", 11) != 0)
		return line;
	p += plen + 11;
	return strncmp(p, bc->name, nlen) == 0 && strncmp(p + nlen, "]: ", 3) == 0 ? p + nlen + 3 : line;
}

static void load_backends(void)
{
	char err[512];
	const char *path = ukey_config_default_path();
	if (ukey_config_load(path, &ukey_M.conf, err, sizeof(err)) != 0) {
		/* The one clear line: the host keeps running with no slots. */
		ukey_error("configuration not usable, no tokens will be offered: %s", err);
		ukey_vendor_note_config(path, err);
		return;
	}
	ukey_vendor_note_config(path, NULL);
	if (ukey_M.conf.log)
		ukey_log_set_default(ukey_M.conf.log);
	if (ukey_pin_prompt_on())
		ukey_info("PIN dialog: NULL-PIN logins ask through '%s' (timeout %u s)",
			  ukey_M.conf.pinentry && *ukey_M.conf.pinentry ? ukey_M.conf.pinentry : "pinentry",
			  ukey_M.conf.pinentry_timeout);
	for (size_t i = 0; i < ukey_M.conf.nbackends; i++) {
		const struct ukey_backend_conf *bc = &ukey_M.conf.backends[i];
		const struct ukey_driver_ops *ops = ukey_driver_find(bc->driver);
		struct ukey_backend *b = &ukey_M.backends[ukey_M.nbackends];
		if (!ops) {
			ukey_error("%s: [backend %s]: unknown driver '%s' (known: p11, skf)", ukey_M.conf.path,
				   bc->name, bc->driver);
			ukey_vendor_note_backend(bc, CKR_GENERAL_ERROR, backend_reason(ukey_log_last_error(), bc));
			continue;
		}
		if (ukey_config_check_backend(&ukey_M.conf, i, err, sizeof(err)) != 0) {
			/* Refused before loading: the vendor interface says why. */
			ukey_error("%s", err);
			ukey_vendor_note_backend(bc, CKR_GENERAL_ERROR, backend_reason(err, bc));
			continue;
		}
		ukey_log_clear_last_error();
		CK_RV rv = ukey_be_load(b, ops, bc);
		ukey_vendor_note_backend(bc, rv, ukey_log_last_error());
		if (rv != CKR_OK) {
			/* The driver logged the one error line, with the reason. */
			ukey_debug("[backend %s] skipped: 0x%08lx", bc->name, (unsigned long)rv);
			continue;
		}
		b->name = strdup(bc->name);
		/* Each backend owns a range of 256 slot ids, in file order. */
		b->slot_base = 1 + 0x100 * (CK_SLOT_ID)i;
		ukey_M.nbackends++;
		ukey_info("[backend %s]: %s loaded with driver %s", bc->name, bc->library, bc->driver);
	}
}

CK_RV ukey_module_initialize(const CK_C_INITIALIZE_ARGS *args)
{
	CK_RV rv = check_args(args);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&init_lock);
	if (ukey_M.initialized && ukey_M.pid == getpid()) {
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
		goto out;
	}
	if (ukey_M.initialized) {
		/* A forked child: the locks may have been held by threads that
		 * do not exist here, so re-create them before anything else. */
		pthread_mutex_init(&ukey_M.lock, NULL);
		pthread_mutex_init(&ukey_M.refresh_lock, NULL);
		teardown(true);
		__atomic_store_n(&ukey_M.initialized, false, __ATOMIC_RELEASE);
	}
	ukey_log_init();
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ukey_M.event_cond, &ca);
	pthread_condattr_destroy(&ca);
	ukey_M.pid = getpid();
	load_backends();
	if (!exit_handler_set && ukey_M.nbackends > 0)
		exit_handler_set = atexit(note_exit) == 0;
	ukey_slots_refresh_unlocked();
	/* Tokens present at C_Initialize are not slot events. */
	for (size_t i = 0; i < ukey_M.nslots; i++)
		ukey_M.slots[i]->event_pending = false;
	__atomic_store_n(&ukey_M.initialized, true, __ATOMIC_RELEASE);
	ukey_debug("initialised: %zu backend(s), %zu slot(s)", ukey_M.nbackends, ukey_M.nslots);
out:
	pthread_mutex_unlock(&init_lock);
	return rv;
}

CK_RV ukey_module_finalize(void)
{
	CK_RV rv = CKR_OK;
	pthread_mutex_lock(&init_lock);
	if (ukey_module_check() != CKR_OK) {
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
		goto out;
	}
	ukey_lock();
	__atomic_store_n(&ukey_M.initialized, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&ukey_M.event_cond);
	ukey_unlock();
	ukey_events_stop_unlocked(exiting);
	/* Give C_WaitForSlotEvent callers the chance to leave before the
	 * state goes away. */
	for (int i = 0; i < 200; i++) {
		ukey_lock();
		unsigned waiting = ukey_M.waiters;
		ukey_unlock();
		if (!waiting)
			break;
		usleep(10000);
	}
	ukey_lock();
	teardown(false);
	ukey_unlock();
	pthread_cond_destroy(&ukey_M.event_cond);
out:
	pthread_mutex_unlock(&init_lock);
	return rv;
}

CK_RV ukey_module_info(CK_INFO *info)
{
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = CRYPTOKI_VERSION_MAJOR;
	info->cryptokiVersion.minor = CRYPTOKI_VERSION_MINOR;
	ukey_pad_string(info->manufacturerID, sizeof(info->manufacturerID), "ukey-pkcs11 project");
	ukey_pad_string(info->libraryDescription, sizeof(info->libraryDescription), "U-KEY PKCS#11 module");
	info->libraryVersion.major = 0;
	info->libraryVersion.minor = 1;
	return CKR_OK;
}
