/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "emu.h"

/* The present devices: directories of $UKEY_SKF_EMU_DEVICES that exist and
 * hold a device.conf. Returns the count; dirs may be NULL. */
int emu_scan(char names[][EMU_MAX_CONT_NAME + 1], char (*dirs)[PATH_MAX], int max)
{
	const char *env = getenv("UKEY_SKF_EMU_DEVICES");
	char *copy, *save = NULL;
	int n = 0;

	if (!env || !(copy = strdup(env)))
		return 0;
	for (char *d = strtok_r(copy, ":", &save); d && n < max; d = strtok_r(NULL, ":", &save)) {
		int dup = 0;
		if (emu_dev_name(d, names[n], sizeof(names[n])) != 0)
			continue;
		for (int i = 0; i < n; i++)
			dup |= strcmp(names[i], names[n]) == 0;
		if (dup || strlen(d) >= PATH_MAX)
			continue;
		if (dirs)
			strcpy(dirs[n], d);
		n++;
	}
	free(copy);
	return n;
}

EMU_EXPORT SKF_ULONG SKF_EnumDev(SKF_BOOL_ARG bPresent, SKF_CHAR *szNameList, SKF_ULONG *pulSize)
{
	char names[EMU_MAX_NAMES][EMU_MAX_CONT_NAME + 1];

	/* The emulator "supports" exactly the listed devices, so bPresent
	 * TRUE and FALSE give the same list. */
	(void)bPresent;
	return emu_multi_string(names, emu_scan(names, NULL, EMU_MAX_NAMES), szNameList, pulSize);
}

EMU_EXPORT SKF_ULONG SKF_GetDevState(const SKF_CHAR *szDevName, SKF_ULONG *pulDevState)
{
	char names[EMU_MAX_NAMES][EMU_MAX_CONT_NAME + 1];
	int n;

	if (!szDevName || !pulDevState)
		return SAR_INVALIDPARAMERR;
	n = emu_scan(names, NULL, EMU_MAX_NAMES);
	*pulDevState = 0;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], szDevName) == 0)
			*pulDevState = 1;
	return SAR_OK;
}

EMU_EXPORT SKF_ULONG SKF_ConnectDev(const SKF_CHAR *szName, SKF_HANDLE *phDev)
{
	char names[EMU_MAX_NAMES][EMU_MAX_CONT_NAME + 1];
	static char dirs[EMU_MAX_NAMES][PATH_MAX];
	static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
	struct emu_dev *dev;
	struct stat st;
	int n, found = -1;

	if (!szName || !phDev)
		return SAR_INVALIDPARAMERR;
	*phDev = NULL;
	if (!(dev = calloc(1, sizeof(*dev))))
		return SAR_MEMORYERR;
	pthread_mutex_lock(&scan_lock); /* dirs is too big for the stack */
	n = emu_scan(names, dirs, EMU_MAX_NAMES);
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], szName) == 0)
			found = i;
	if (found >= 0)
		strcpy(dev->path, dirs[found]);
	pthread_mutex_unlock(&scan_lock);
	if (found < 0 || stat(dev->path, &st) != 0) {
		free(dev);
		return SAR_DEVICE_REMOVED;
	}
	strcpy(dev->name, szName);
	dev->st_dev = st.st_dev;
	dev->st_ino = st.st_ino;
	dev->lockfd = -1;
	pthread_mutex_init(&dev->lock, NULL);
	emu_register(&dev->hdr, EMU_DEV, dev);
	*phDev = dev;
	return SAR_OK;
}

/* Always releases the handle, even for an unplugged device. */
EMU_EXPORT SKF_ULONG SKF_DisConnectDev(SKF_HANDLE hDev)
{
	struct emu_obj *o;
	SKF_ULONG rv = emu_enter(hDev, EMU_DEV, 0, &o);

	if (rv != SAR_OK)
		return rv;
	emu_disconnect(o->dev);
	emu_leave(o->dev);
	return SAR_OK;
}

static void put_str(SKF_CHAR *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	memset(dst, 0, size);
	memcpy(dst, src, n < size ? n : size);
}

static void put_version(SKF_VERSION *v, const char *s)
{
	unsigned a = 1, b = 0;
	if (sscanf(s, "%u.%u", &a, &b) < 1)
		a = 1;
	v->major = (SKF_BYTE)a;
	v->minor = (SKF_BYTE)b;
}

EMU_EXPORT SKF_ULONG SKF_GetDevInfo(SKF_HANDLE hDev, SKF_DEVINFO *pDevInfo)
{
	struct emu_obj *o;
	struct emu_limits lim;
	char conf[PATH_MAX], v[128];
	uint8_t *text = NULL;
	size_t tl;
	unsigned long used;
	SKF_ULONG rv = emu_enter(hDev, EMU_DEV, 1, &o);

	if (rv != SAR_OK)
		return rv;
	if (!pDevInfo) {
		rv = SAR_INVALIDPARAMERR;
		goto out;
	}
	if (emu_path(conf, o->dev->path, "device.conf") != 0 || emu_read_file(conf, &text, &tl) != 0) {
		rv = emu_io_err(o->dev, SAR_READFILEERR);
		goto out;
	}
	memset(pDevInfo, 0, sizeof(*pDevInfo));
	pDevInfo->Version.major = 1;
	pDevInfo->Version.minor = 0;
#define KV(key, dflt) (emu_kv_get((char *)text, key, v, sizeof(v)) == 0 ? v : (dflt))
	put_str(pDevInfo->Manufacturer, sizeof(pDevInfo->Manufacturer),
		KV("manufacturer", "ukey-pkcs11 SKF emulator"));
	put_str(pDevInfo->Issuer, sizeof(pDevInfo->Issuer), KV("issuer", "ukey-pkcs11 test"));
	put_str(pDevInfo->Label, sizeof(pDevInfo->Label), KV("label", o->dev->name));
	put_str(pDevInfo->SerialNumber, sizeof(pDevInfo->SerialNumber), KV("serial", ""));
	put_version(&pDevInfo->HWVersion, KV("hw_version", "1.0"));
	put_version(&pDevInfo->FirmwareVersion, KV("fw_version", "1.0"));
#undef KV
	pDevInfo->AlgSymCap = (SKF_ULONG)emu_kv_ulong((char *)text, "sym_cap", SGD_SM4_ECB);
	pDevInfo->AlgAsymCap =
		(SKF_ULONG)emu_kv_ulong((char *)text, "asym_cap", SGD_RSA | SGD_SM2_1 | SGD_SM2_3);
	pDevInfo->AlgHashCap = (SKF_ULONG)emu_kv_ulong((char *)text, "hash_cap", 0);
	pDevInfo->DevAuthAlgId = SGD_SM4_ECB;
	emu_limits(o->dev, &lim);
	used = emu_space_used(o->dev);
	pDevInfo->TotalSpace = (SKF_ULONG)lim.total_space;
	pDevInfo->FreeSpace = (SKF_ULONG)(used < lim.total_space ? lim.total_space - used : 0);
	pDevInfo->MaxECCBufferSize = EMU_MAX_ECC_CIPHER;
	pDevInfo->MaxBufferSize = 2048;
out:
	free(text);
	emu_leave(o->dev);
	return rv;
}

/* LockDev gives exclusive use among LockDev callers (any process): an
 * flock() on <dir>/.lock, polled until the timeout. */
EMU_EXPORT SKF_ULONG SKF_LockDev(SKF_HANDLE hDev, SKF_ULONG ulTimeOut)
{
	struct emu_obj *o;
	struct emu_dev *dev;
	char path[PATH_MAX];
	SKF_ULONG waited = 0, rv = emu_enter(hDev, EMU_DEV, 1, &o);

	if (rv != SAR_OK)
		return rv;
	dev = o->dev;
	if (dev->lockfd < 0) {
		if (emu_path(path, dev->path, ".lock") == 0)
			dev->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (dev->lockfd < 0) {
			rv = emu_io_err(dev, SAR_FAIL);
			goto out;
		}
	}
	for (;;) {
		if (flock(dev->lockfd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK) {
			rv = SAR_FAIL;
			break;
		}
		if (ulTimeOut != 0xFFFFFFFFu && waited >= ulTimeOut) {
			rv = SAR_TIMEOUTERR;
			break;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
		waited += 20;
	}
out:
	emu_leave(dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_UnlockDev(SKF_HANDLE hDev)
{
	struct emu_obj *o;
	SKF_ULONG rv = emu_enter(hDev, EMU_DEV, 1, &o);

	if (rv != SAR_OK)
		return rv;
	if (o->dev->lockfd >= 0)
		flock(o->dev->lockfd, LOCK_UN);
	emu_leave(o->dev);
	return SAR_OK;
}

EMU_EXPORT SKF_ULONG SKF_GenRandom(SKF_HANDLE hDev, SKF_BYTE *pbRandom, SKF_ULONG ulRandomLen)
{
	struct emu_obj *o;
	SKF_ULONG rv = emu_enter(hDev, EMU_DEV, 1, &o);

	if (rv != SAR_OK)
		return rv;
	if (!pbRandom || ulRandomLen == 0)
		rv = SAR_INVALIDPARAMERR;
	else if (ulRandomLen > 4096)
		rv = SAR_INDATALENERR;
	else if (RAND_bytes(pbRandom, (int)ulRandomLen) != 1)
		rv = SAR_GENRANDERR;
	emu_leave(o->dev);
	return rv;
}

/* The emulator has no session-key, hash or MAC handles, so any handle
 * given here is not one CloseHandle can close. */
EMU_EXPORT SKF_ULONG SKF_CloseHandle(SKF_HANDLE hHandle)
{
	(void)hHandle;
	return SAR_INVALIDHANDLEERR;
}
