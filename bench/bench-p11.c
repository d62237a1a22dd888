/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

CK_FUNCTION_LIST *bench_p11_load(const char *path, void **handle, char *err, size_t errlen)
{
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST *f = NULL;
	void *h;

	/* RTLD_LOCAL as a consumer (p11-kit, NSS) loads a module. */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "dlopen %s: %s", path, dlerror());
		return NULL;
	}
	get = (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList");
	if (!get) {
		snprintf(err, errlen, "%s has no C_GetFunctionList", path);
		goto out;
	}
	if (get(&f) != CKR_OK || !f) {
		snprintf(err, errlen, "C_GetFunctionList of %s failed", path);
		f = NULL;
		goto out;
	}
	*handle = h;
out:
	if (!f)
		dlclose(h);
	return f;
}

CK_RV bench_p11_init_slot(CK_FUNCTION_LIST *f, const char *serial, CK_SLOT_ID *slot)
{
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	size_t slen = strlen(serial);
	CK_RV rv;

	rv = f->C_Initialize(&args);
	if (rv != CKR_OK)
		return rv;
	rv = f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK)
		return rv;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		size_t k;

		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		/* serialNumber is blank-padded, not NUL-terminated. */
		if (slen > sizeof(ti.serialNumber) || memcmp(ti.serialNumber, serial, slen) != 0)
			continue;
		for (k = slen; k < sizeof(ti.serialNumber) && ti.serialNumber[k] == ' '; k++)
			;
		if (k == sizeof(ti.serialNumber)) {
			*slot = slots[i];
			return CKR_OK;
		}
	}
	return CKR_TOKEN_NOT_PRESENT;
}

CK_RV bench_p11_login(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, const char *pin)
{
	CK_RV rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));

	return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

/* ktype is ignored for classes without CKA_KEY_TYPE (pass (CK_KEY_TYPE)-1). */
CK_RV bench_p11_find_one(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
			 CK_KEY_TYPE ktype, unsigned char id, CK_OBJECT_HANDLE *out)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, &id, 1 },
		{ CKA_KEY_TYPE, &ktype, sizeof(ktype) },
	};
	CK_ULONG ntmpl = ktype == (CK_KEY_TYPE)-1 ? 2 : 3;
	CK_ULONG found = 0;
	CK_RV rv, rv2;

	rv = f->C_FindObjectsInit(s, tmpl, ntmpl);
	if (rv != CKR_OK)
		return rv;
	rv = f->C_FindObjects(s, out, 1, &found);
	rv2 = f->C_FindObjectsFinal(s);
	if (rv == CKR_OK)
		rv = rv2;
	if (rv == CKR_OK && found != 1)
		rv = CKR_KEY_HANDLE_INVALID;
	return rv;
}
