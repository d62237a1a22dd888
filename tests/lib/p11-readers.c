/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libukey-readers: a PKCS#11 library for the tests that behaves like a
 * vendor's with card readers. It has a fixed row of reader slots (ids 10 to
 * 13, as a vendor numbers its readers), tokens that come and go in them, and
 * a blocking C_WaitForSlotEvent that C_Finalize in another thread wakes with
 * CKR_CRYPTOKI_NOT_INITIALIZED, as PKCS#11 says. SoftHSM has neither: its
 * slot list is fixed at C_Initialize, and its C_WaitForSlotEvent blocks not.
 *
 * The tokens are another library's ($UKEY_READERS_LIB, SoftHSM): the plug
 * file $UKEY_READERS_PLUG says which of its tokens, by serial number, sits
 * in which reader, one "READER SERIAL" line each (READER 0 to 3); a test
 * rewrites it to put keys in, take them out or move them to another
 * reader. A key taken out loses its sessions (C_CloseAllSessions on the
 * real slot). Calls naming a slot are mapped to the real library's slot;
 * the rest go straight through. $UKEY_READERS_LOG, when set, gets a line
 * "wait" for each blocking C_WaitForSlotEvent: the proof that a caller
 * forwarded its wait here. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#define NREADERS 4
#define FIRST_ID 10
#define SERIAL 17

static CK_FUNCTION_LIST *real;
static CK_FUNCTION_LIST ours;
static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool up;
static char seen[NREADERS][SERIAL]; /* what C_WaitForSlotEvent reported last */
static char last[NREADERS][SERIAL]; /* the plug file when last read */

/* The plug file now; a missing file is empty readers. */
static void read_plug(char now[NREADERS][SERIAL])
{
	const char *path = getenv("UKEY_READERS_PLUG");
	char line[128], serial[SERIAL];
	unsigned r;
	FILE *f = path ? fopen(path, "r") : NULL;
	memset(now, 0, NREADERS * SERIAL);
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %16s", &r, serial) == 2 && r < NREADERS)
			memcpy(now[r], serial, SERIAL);
	if (f)
		fclose(f);
}

static bool same_serial(const CK_UTF8CHAR *field, const char *serial)
{
	size_t n = strlen(serial);
	if (n > 16 || memcmp(field, serial, n) != 0)
		return false;
	for (size_t i = n; i < 16; i++)
		if (field[i] != ' ')
			return false;
	return true;
}

/* The real library's slot holding the token with that serial. */
static bool real_slot_of(const char *serial, CK_SLOT_ID *out)
{
	CK_SLOT_ID slots[32];
	CK_ULONG n = 32;
	if (!serial[0] || real->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return false;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (real->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) &&
		    same_serial(ti.serialNumber, serial)) {
			*out = slots[i];
			return true;
		}
	}
	return false;
}

/* Applies the plug file: a key taken out loses its sessions. lk held. */
static void sync_inlock(char now[NREADERS][SERIAL])
{
	read_plug(now);
	for (int r = 0; r < NREADERS; r++) {
		CK_SLOT_ID s;
		if (last[r][0] && strcmp(last[r], now[r]) != 0 && real_slot_of(last[r], &s))
			(void)real->C_CloseAllSessions(s);
	}
	memcpy(last, now, sizeof(last));
}

/* The real slot of reader slot id; CKR_OK, or why not. */
static CK_RV map(CK_SLOT_ID id, CK_SLOT_ID *out)
{
	char now[NREADERS][SERIAL];
	CK_RV rv = CKR_OK;
	if (id < FIRST_ID || id >= FIRST_ID + NREADERS)
		return CKR_SLOT_ID_INVALID;
	pthread_mutex_lock(&lk);
	if (!up)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else
		sync_inlock(now);
	pthread_mutex_unlock(&lk);
	if (rv == CKR_OK && !real_slot_of(now[id - FIRST_ID], out))
		rv = CKR_TOKEN_NOT_PRESENT;
	return rv;
}

static CK_RV r_Initialize(CK_VOID_PTR args)
{
	CK_RV rv = real->C_Initialize(args);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&lk);
	up = true;
	read_plug(seen);
	memcpy(last, seen, sizeof(last));
	pthread_mutex_unlock(&lk);
	return rv;
}

static CK_RV r_Finalize(CK_VOID_PTR reserved)
{
	CK_RV rv = real->C_Finalize(reserved);
	pthread_mutex_lock(&lk);
	up = false;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&lk);
	return rv;
}

static CK_RV r_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	char now[NREADERS][SERIAL];
	CK_SLOT_ID ids[NREADERS], s;
	CK_ULONG n = 0;
	if (!count)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&lk);
	bool ok = up;
	if (ok)
		sync_inlock(now);
	pthread_mutex_unlock(&lk);
	if (!ok)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	for (int r = 0; r < NREADERS; r++)
		if (!present || real_slot_of(now[r], &s))
			ids[n++] = FIRST_ID + (CK_SLOT_ID)r;
	if (list && *count < n) {
		*count = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (list)
		memcpy(list, ids, n * sizeof(*ids));
	*count = n;
	return CKR_OK;
}

static CK_RV r_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
	CK_SLOT_ID s;
	CK_RV rv = map(id, &s);
	if (rv != CKR_OK && rv != CKR_TOKEN_NOT_PRESENT)
		return rv;
	memset(info, ' ', sizeof(*info));
	memcpy(info->slotDescription, "test reader", 11);
	info->slotDescription[12] = (CK_UTF8CHAR)('0' + id - FIRST_ID);
	memcpy(info->manufacturerID, "ukey-pkcs11 tests", 17);
	info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | (rv == CKR_OK ? CKF_TOKEN_PRESENT : 0);
	info->hardwareVersion = (CK_VERSION){ 1, 0 };
	info->firmwareVersion = (CK_VERSION){ 1, 0 };
	return CKR_OK;
}

static CK_RV r_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
	CK_SLOT_ID s;
	CK_RV rv = map(id, &s);
	return rv == CKR_OK ? real->C_GetTokenInfo(s, info) : rv;
}

static CK_RV r_GetMechanismList(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	CK_SLOT_ID s;
	CK_RV rv = map(id, &s);
	return rv == CKR_OK ? real->C_GetMechanismList(s, list, count) : rv;
}

static CK_RV r_GetMechanismInfo(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
	CK_SLOT_ID s;
	CK_RV rv = map(id, &s);
	return rv == CKR_OK ? real->C_GetMechanismInfo(s, type, info) : rv;
}

static CK_RV r_InitToken(CK_SLOT_ID id, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label)
{
	CK_SLOT_ID s;
	CK_RV rv = map(id, &s);
	return rv == CKR_OK ? real->C_InitToken(s, pin, len, label) : rv;
}

static CK_RV r_OpenSession(CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
			   CK_SESSION_HANDLE_PTR out)
{
	CK_SLOT_ID s;
	CK_RV rv = map(id, &s);
	return rv == CKR_OK ? real->C_OpenSession(s, flags, app, notify, out) : rv;
}

static CK_RV r_CloseAllSessions(CK_SLOT_ID id)
{
	CK_SLOT_ID s;
	CK_RV rv = map(id, &s);
	return rv == CKR_OK ? real->C_CloseAllSessions(s) : rv;
}

/* The session's slot as a reader. */
static CK_RV r_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	char now[NREADERS][SERIAL];
	CK_SLOT_ID s;
	CK_RV rv = real->C_GetSessionInfo(h, info);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&lk);
	memcpy(now, last, sizeof(now));
	pthread_mutex_unlock(&lk);
	for (int r = 0; r < NREADERS; r++)
		if (real_slot_of(now[r], &s) && s == info->slotID) {
			info->slotID = FIRST_ID + (CK_SLOT_ID)r;
			return CKR_OK;
		}
	return CKR_SESSION_HANDLE_INVALID;
}

static void log_wait(void)
{
	const char *path = getenv("UKEY_READERS_LOG");
	FILE *f = path ? fopen(path, "a") : NULL;
	if (f) {
		fputs("wait\n", f);
		fclose(f);
	}
}

/* Reports each reader whose key changed since it was last reported. */
static CK_RV r_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
	char now[NREADERS][SERIAL];
	CK_RV rv = CKR_NO_EVENT;
	if (!slot || reserved)
		return CKR_ARGUMENTS_BAD;
	if (!(flags & CKF_DONT_BLOCK))
		log_wait();
	pthread_mutex_lock(&lk);
	for (;;) {
		if (!up) {
			rv = CKR_CRYPTOKI_NOT_INITIALIZED;
			break;
		}
		read_plug(now);
		int r = 0;
		while (r < NREADERS && strcmp(seen[r], now[r]) == 0)
			r++;
		if (r < NREADERS) {
			memcpy(seen[r], now[r], SERIAL);
			*slot = FIRST_ID + (CK_SLOT_ID)r;
			rv = CKR_OK;
			break;
		}
		if (flags & CKF_DONT_BLOCK)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&cv, &lk, &ts);
	}
	pthread_mutex_unlock(&lk);
	return rv;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	const char *lib = getenv("UKEY_READERS_LIB");
	CK_C_GetFunctionList get;
	void *dl;
	if (!out)
		return CKR_ARGUMENTS_BAD;
	if (!real) {
		if (!lib || !(dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL)) ||
		    !(get = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList")) || get(&real) != CKR_OK) {
			fprintf(stderr, "libukey-readers: cannot load $UKEY_READERS_LIB (%s)\n", lib ? lib : "unset");
			return CKR_GENERAL_ERROR;
		}
		ours = *real;
		ours.C_Initialize = r_Initialize;
		ours.C_Finalize = r_Finalize;
		ours.C_GetSlotList = r_GetSlotList;
		ours.C_GetSlotInfo = r_GetSlotInfo;
		ours.C_GetTokenInfo = r_GetTokenInfo;
		ours.C_GetMechanismList = r_GetMechanismList;
		ours.C_GetMechanismInfo = r_GetMechanismInfo;
		ours.C_InitToken = r_InitToken;
		ours.C_OpenSession = r_OpenSession;
		ours.C_CloseAllSessions = r_CloseAllSessions;
		ours.C_GetSessionInfo = r_GetSessionInfo;
		ours.C_WaitForSlotEvent = r_WaitForSlotEvent;
		ours.C_GetFunctionList = C_GetFunctionList;
	}
	*out = &ours;
	return CKR_OK;
}
