/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The emulator's cost model: what a real U-KEY would be made to do. A real
 * key sits behind USB; every SKF call is one or more APDUs, each carrying at
 * most ~255 bytes of payload and costing milliseconds. The emulator answers
 * from a directory in microseconds, so without this model a test or a
 * benchmark cannot see a driver that reads more than it needs.
 *
 * Every exported SKF_* function is a wrapper here: it calls the
 * implementation (emu_SKF_*, emu-rename.h), then counts the call, the bytes
 * its variable-length buffers carried to the device (in) and back (out), and
 * the APDUs that takes: ceil((in + out) / 255), at least one per call. The
 * two waits for device events are host-side and cost no APDU.
 *
 *   UKEY_SKF_EMU_COST=FILE   at unload (dlclose or exit) the process appends
 *                            its counts to FILE, one line per function called:
 *                            "NAME calls in out apdus", then a "total" line
 *   UKEY_SKF_EMU_USB_US=N    each call sleeps N microseconds per APDU, for
 *                            wall-clock runs at a chosen USB latency
 *
 * Counts are per process: a forked child starts from zero. The format and
 * the choice of 255 bytes are documented in emulator/README.md. */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#undef UKEY_SKF_EMU_IMPL
#include "emu.h"

/* The implementations, under their library-internal names. */
#define EMU_IMPL_PROTO(ret, name, args) ret emu_##name args;
UKEY_SKF_FUNCTIONS(EMU_IMPL_PROTO)
#undef EMU_IMPL_PROTO

#define EMU_APDU_PAYLOAD 255

enum {
#define EMU_FN_INDEX(ret, name, args) I_##name,
	UKEY_SKF_FUNCTIONS(EMU_FN_INDEX)
#undef EMU_FN_INDEX
	EMU_NFNS
};

static const char *const fn_names[EMU_NFNS] = {
#define EMU_FN_NAME(ret, name, args) #name,
	UKEY_SKF_FUNCTIONS(EMU_FN_NAME)
#undef EMU_FN_NAME
};

struct counter {
	unsigned long long calls, in, out, apdus;
};

static struct counter counts[EMU_NFNS];
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static unsigned long usb_us;

static void child_reset(void)
{
	memset(counts, 0, sizeof(counts));
}

static void read_env(void)
{
	const char *us = getenv("UKEY_SKF_EMU_USB_US");
	usb_us = us ? strtoul(us, NULL, 10) : 0;
	/* A forked child reports its own calls, not its parent's again. */
	pthread_atfork(NULL, NULL, child_reset);
}

static void meter(int fn, size_t in, size_t out, int host_only)
{
	unsigned long long apdus = host_only ? 0 : (in + out + EMU_APDU_PAYLOAD - 1) / EMU_APDU_PAYLOAD;
	if (!host_only && apdus == 0)
		apdus = 1;
	pthread_once(&env_once, read_env);
	__atomic_add_fetch(&counts[fn].calls, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&counts[fn].in, in, __ATOMIC_RELAXED);
	__atomic_add_fetch(&counts[fn].out, out, __ATOMIC_RELAXED);
	__atomic_add_fetch(&counts[fn].apdus, apdus, __ATOMIC_RELAXED);
	if (usb_us && apdus) {
		unsigned long long ns = apdus * usb_us * 1000ull;
		struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
		while (nanosleep(&ts, &ts) != 0)
			;
	}
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

/* An output of *len bytes, when the call filled a buffer. */
static size_t filled(SKF_ULONG rv, const void *buf, const SKF_ULONG *len)
{
	return rv == SAR_OK && buf && len ? *len : 0;
}

/* One write, appended: processes sharing FILE do not interleave lines. */
static __attribute__((destructor)) void report(void)
{
	const char *path = getenv("UKEY_SKF_EMU_COST");
	struct counter t = { 0, 0, 0, 0 };
	char buf[8192];
	size_t n = 0;
	int fd;
	if (!path || !*path)
		return;
	n += (size_t)snprintf(buf, sizeof(buf), "# ukey-skf-emu cost: pid %ld, %lu us per APDU of %d bytes\n",
			      (long)getpid(), usb_us, EMU_APDU_PAYLOAD);
	for (int i = 0; i < EMU_NFNS && n < sizeof(buf); i++) {
		if (!counts[i].calls)
			continue;
		t.calls += counts[i].calls;
		t.in += counts[i].in;
		t.out += counts[i].out;
		t.apdus += counts[i].apdus;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s %llu %llu %llu %llu\n", fn_names[i],
				      counts[i].calls, counts[i].in, counts[i].out, counts[i].apdus);
	}
	if (n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "total %llu %llu %llu %llu\n", t.calls, t.in, t.out,
				      t.apdus);
	if (n > sizeof(buf))
		n = sizeof(buf);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, buf, n) != (ssize_t)n)
		(void)!write(STDERR_FILENO, "ukey-skf-emu: cost report cut short\n", 36);
	close(fd);
}

/* ---- the wrappers, in UKEY_SKF_FUNCTIONS order ---- */

#define METER(name, in, out) meter(I_##name, (size_t)(in), (size_t)(out), 0)

EMU_EXPORT SKF_ULONG SKF_WaitForDevEvent(SKF_CHAR *szDevName, SKF_ULONG *pulDevNameLen, SKF_ULONG *pulEvent)
{
	SKF_ULONG rv = emu_SKF_WaitForDevEvent(szDevName, pulDevNameLen, pulEvent);
	meter(I_SKF_WaitForDevEvent, 0, filled(rv, szDevName, pulDevNameLen), 1);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_CancelWaitForDevEvent(void)
{
	SKF_ULONG rv = emu_SKF_CancelWaitForDevEvent();
	meter(I_SKF_CancelWaitForDevEvent, 0, 0, 1);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_EnumDev(SKF_BOOL_ARG bPresent, SKF_CHAR *szNameList, SKF_ULONG *pulSize)
{
	SKF_ULONG rv = emu_SKF_EnumDev(bPresent, szNameList, pulSize);
	METER(SKF_EnumDev, 0, filled(rv, szNameList, pulSize));
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ConnectDev(const SKF_CHAR *szName, SKF_HANDLE *phDev)
{
	SKF_ULONG rv = emu_SKF_ConnectDev(szName, phDev);
	METER(SKF_ConnectDev, slen(szName), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_DisConnectDev(SKF_HANDLE hDev)
{
	SKF_ULONG rv = emu_SKF_DisConnectDev(hDev);
	METER(SKF_DisConnectDev, 0, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_GetDevState(const SKF_CHAR *szDevName, SKF_ULONG *pulDevState)
{
	SKF_ULONG rv = emu_SKF_GetDevState(szDevName, pulDevState);
	METER(SKF_GetDevState, slen(szDevName), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_GetDevInfo(SKF_HANDLE hDev, SKF_DEVINFO *pDevInfo)
{
	SKF_ULONG rv = emu_SKF_GetDevInfo(hDev, pDevInfo);
	METER(SKF_GetDevInfo, 0, rv == SAR_OK ? sizeof(*pDevInfo) : 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_LockDev(SKF_HANDLE hDev, SKF_ULONG ulTimeOut)
{
	SKF_ULONG rv = emu_SKF_LockDev(hDev, ulTimeOut);
	METER(SKF_LockDev, 0, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_UnlockDev(SKF_HANDLE hDev)
{
	SKF_ULONG rv = emu_SKF_UnlockDev(hDev);
	METER(SKF_UnlockDev, 0, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ChangePIN(SKF_HANDLE hApp, SKF_ULONG ulPINType, const SKF_CHAR *szOldPin,
				   const SKF_CHAR *szNewPin, SKF_ULONG *pulRetryCount)
{
	SKF_ULONG rv = emu_SKF_ChangePIN(hApp, ulPINType, szOldPin, szNewPin, pulRetryCount);
	METER(SKF_ChangePIN, slen(szOldPin) + slen(szNewPin), 0);
	return rv;
}

EMU_EXPORT SKF_LONG SKF_GetPINInfo(SKF_HANDLE hApp, SKF_ULONG ulPINType, SKF_ULONG *pulMaxRetryCount,
				   SKF_ULONG *pulRemainRetryCount, SKF_BOOL_OUT *pbDefaultPin)
{
	SKF_LONG rv = emu_SKF_GetPINInfo(hApp, ulPINType, pulMaxRetryCount, pulRemainRetryCount, pbDefaultPin);
	METER(SKF_GetPINInfo, 0, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_VerifyPIN(SKF_HANDLE hApp, SKF_ULONG ulPINType, const SKF_CHAR *szPIN,
				   SKF_ULONG *pulRetryCount)
{
	SKF_ULONG rv = emu_SKF_VerifyPIN(hApp, ulPINType, szPIN, pulRetryCount);
	METER(SKF_VerifyPIN, slen(szPIN), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_UnblockPIN(SKF_HANDLE hApp, const SKF_CHAR *szAdminPIN, const SKF_CHAR *szNewUserPIN,
				    SKF_ULONG *pulRetryCount)
{
	SKF_ULONG rv = emu_SKF_UnblockPIN(hApp, szAdminPIN, szNewUserPIN, pulRetryCount);
	METER(SKF_UnblockPIN, slen(szAdminPIN) + slen(szNewUserPIN), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ClearSecureState(SKF_HANDLE hApp)
{
	SKF_ULONG rv = emu_SKF_ClearSecureState(hApp);
	METER(SKF_ClearSecureState, 0, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_EnumApplication(SKF_HANDLE hDev, SKF_CHAR *szAppName, SKF_ULONG *pulSize)
{
	SKF_ULONG rv = emu_SKF_EnumApplication(hDev, szAppName, pulSize);
	METER(SKF_EnumApplication, 0, filled(rv, szAppName, pulSize));
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_OpenApplication(SKF_HANDLE hDev, const SKF_CHAR *szAppName, SKF_HANDLE *phApp)
{
	SKF_ULONG rv = emu_SKF_OpenApplication(hDev, szAppName, phApp);
	METER(SKF_OpenApplication, slen(szAppName), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_CloseApplication(SKF_HANDLE hApp)
{
	SKF_ULONG rv = emu_SKF_CloseApplication(hApp);
	METER(SKF_CloseApplication, 0, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_CreateFile(SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_ULONG ulFileSize,
				    SKF_ULONG ulReadRights, SKF_ULONG ulWriteRights)
{
	SKF_ULONG rv = emu_SKF_CreateFile(hApp, szFileName, ulFileSize, ulReadRights, ulWriteRights);
	METER(SKF_CreateFile, slen(szFileName), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_DeleteFile(SKF_HANDLE hApp, const SKF_CHAR *szFileName)
{
	SKF_ULONG rv = emu_SKF_DeleteFile(hApp, szFileName);
	METER(SKF_DeleteFile, slen(szFileName), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_EnumFiles(SKF_HANDLE hApp, SKF_CHAR *szFileList, SKF_ULONG *pulSize)
{
	SKF_ULONG rv = emu_SKF_EnumFiles(hApp, szFileList, pulSize);
	METER(SKF_EnumFiles, 0, filled(rv, szFileList, pulSize));
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_GetFileInfo(SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_FILEATTRIBUTE *pFileInfo)
{
	SKF_ULONG rv = emu_SKF_GetFileInfo(hApp, szFileName, pFileInfo);
	METER(SKF_GetFileInfo, slen(szFileName), rv == SAR_OK ? sizeof(*pFileInfo) : 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ReadFile(SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_ULONG ulOffset,
				  SKF_ULONG ulSize, SKF_BYTE *pbOutData, SKF_ULONG *pulOutLen)
{
	SKF_ULONG rv = emu_SKF_ReadFile(hApp, szFileName, ulOffset, ulSize, pbOutData, pulOutLen);
	METER(SKF_ReadFile, slen(szFileName), filled(rv, pbOutData, pulOutLen));
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_WriteFile(SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_ULONG ulOffset,
				   const SKF_BYTE *pbData, SKF_ULONG ulSize)
{
	SKF_ULONG rv = emu_SKF_WriteFile(hApp, szFileName, ulOffset, pbData, ulSize);
	METER(SKF_WriteFile, slen(szFileName) + (pbData ? ulSize : 0), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_CreateContainer(SKF_HANDLE hApp, const SKF_CHAR *szContainerName,
					 SKF_HANDLE *phContainer)
{
	SKF_ULONG rv = emu_SKF_CreateContainer(hApp, szContainerName, phContainer);
	METER(SKF_CreateContainer, slen(szContainerName), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_DeleteContainer(SKF_HANDLE hApp, const SKF_CHAR *szContainerName)
{
	SKF_ULONG rv = emu_SKF_DeleteContainer(hApp, szContainerName);
	METER(SKF_DeleteContainer, slen(szContainerName), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_OpenContainer(SKF_HANDLE hApp, const SKF_CHAR *szContainerName, SKF_HANDLE *phContainer)
{
	SKF_ULONG rv = emu_SKF_OpenContainer(hApp, szContainerName, phContainer);
	METER(SKF_OpenContainer, slen(szContainerName), 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_CloseContainer(SKF_HANDLE hContainer)
{
	SKF_ULONG rv = emu_SKF_CloseContainer(hContainer);
	METER(SKF_CloseContainer, 0, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_EnumContainer(SKF_HANDLE hApp, SKF_CHAR *szContainerName, SKF_ULONG *pulSize)
{
	SKF_ULONG rv = emu_SKF_EnumContainer(hApp, szContainerName, pulSize);
	METER(SKF_EnumContainer, 0, filled(rv, szContainerName, pulSize));
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_GetContainerType(SKF_HANDLE hContainer, SKF_ULONG *pulContainerType)
{
	SKF_ULONG rv = emu_SKF_GetContainerType(hContainer, pulContainerType);
	METER(SKF_GetContainerType, 0, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ImportCertificate(SKF_HANDLE hContainer, SKF_BOOL_ARG bSignFlag, const SKF_BYTE *pbCert,
					   SKF_ULONG ulCertLen)
{
	SKF_ULONG rv = emu_SKF_ImportCertificate(hContainer, bSignFlag, pbCert, ulCertLen);
	METER(SKF_ImportCertificate, pbCert ? ulCertLen : 0, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ExportCertificate(SKF_HANDLE hContainer, SKF_BOOL_ARG bSignFlag, SKF_BYTE *pbCert,
					   SKF_ULONG *pulCertLen)
{
	SKF_ULONG rv = emu_SKF_ExportCertificate(hContainer, bSignFlag, pbCert, pulCertLen);
	METER(SKF_ExportCertificate, 0, filled(rv, pbCert, pulCertLen));
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_GenRandom(SKF_HANDLE hDev, SKF_BYTE *pbRandom, SKF_ULONG ulRandomLen)
{
	SKF_ULONG rv = emu_SKF_GenRandom(hDev, pbRandom, ulRandomLen);
	METER(SKF_GenRandom, 0, rv == SAR_OK ? ulRandomLen : 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_GenRSAKeyPair(SKF_HANDLE hContainer, SKF_ULONG ulBitsLen, SKF_RSAPUBLICKEYBLOB *pBlob)
{
	SKF_ULONG rv = emu_SKF_GenRSAKeyPair(hContainer, ulBitsLen, pBlob);
	METER(SKF_GenRSAKeyPair, 0, rv == SAR_OK ? sizeof(*pBlob) : 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ImportRSAKeyPair(SKF_HANDLE hContainer, SKF_ULONG ulSymAlgId, const SKF_BYTE *pbWrappedKey,
					  SKF_ULONG ulWrappedKeyLen, const SKF_BYTE *pbEncryptedData,
					  SKF_ULONG ulEncryptedDataLen)
{
	SKF_ULONG rv = emu_SKF_ImportRSAKeyPair(hContainer, ulSymAlgId, pbWrappedKey, ulWrappedKeyLen,
						pbEncryptedData, ulEncryptedDataLen);
	METER(SKF_ImportRSAKeyPair, (size_t)ulWrappedKeyLen + ulEncryptedDataLen, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_RSASignData(SKF_HANDLE hContainer, const SKF_BYTE *pbData, SKF_ULONG ulDataLen,
				     SKF_BYTE *pbSignature, SKF_ULONG *pulSignLen)
{
	SKF_ULONG rv = emu_SKF_RSASignData(hContainer, pbData, ulDataLen, pbSignature, pulSignLen);
	METER(SKF_RSASignData, pbData ? ulDataLen : 0, filled(rv, pbSignature, pulSignLen));
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_GenECCKeyPair(SKF_HANDLE hContainer, SKF_ULONG ulAlgId, SKF_ECCPUBLICKEYBLOB *pBlob)
{
	SKF_ULONG rv = emu_SKF_GenECCKeyPair(hContainer, ulAlgId, pBlob);
	METER(SKF_GenECCKeyPair, 0, rv == SAR_OK ? sizeof(*pBlob) : 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ImportECCKeyPair(SKF_HANDLE hContainer, const SKF_ENVELOPEDKEYBLOB *pEnvelopedKeyBlob)
{
	SKF_ULONG rv = emu_SKF_ImportECCKeyPair(hContainer, pEnvelopedKeyBlob);
	METER(SKF_ImportECCKeyPair,
	      pEnvelopedKeyBlob ? sizeof(*pEnvelopedKeyBlob) + pEnvelopedKeyBlob->ECCCipherBlob.CipherLen : 0, 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ECCSignData(SKF_HANDLE hContainer, const SKF_BYTE *pbDigest, SKF_ULONG ulDigestLen,
				     SKF_ECCSIGNATUREBLOB *pSignature)
{
	SKF_ULONG rv = emu_SKF_ECCSignData(hContainer, pbDigest, ulDigestLen, pSignature);
	METER(SKF_ECCSignData, pbDigest ? ulDigestLen : 0, rv == SAR_OK ? sizeof(*pSignature) : 0);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ECCDecrypt(SKF_HANDLE hContainer, const SKF_ECCCIPHERBLOB *pCipherText,
				    SKF_BYTE *pbPlainText, SKF_ULONG *pulPlainTextLen)
{
	SKF_ULONG rv = emu_SKF_ECCDecrypt(hContainer, pCipherText, pbPlainText, pulPlainTextLen);
	METER(SKF_ECCDecrypt, pCipherText ? SKF_ECCCIPHERBLOB_HEADER + pCipherText->CipherLen : 0,
	      filled(rv, pbPlainText, pulPlainTextLen));
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ExportPublicKey(SKF_HANDLE hContainer, SKF_BOOL_ARG bSignFlag, SKF_BYTE *pbBlob,
					 SKF_ULONG *pulBlobLen)
{
	SKF_ULONG rv = emu_SKF_ExportPublicKey(hContainer, bSignFlag, pbBlob, pulBlobLen);
	METER(SKF_ExportPublicKey, 0, filled(rv, pbBlob, pulBlobLen));
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_CloseHandle(SKF_HANDLE hHandle)
{
	SKF_ULONG rv = emu_SKF_CloseHandle(hHandle);
	METER(SKF_CloseHandle, 0, 0);
	return rv;
}
