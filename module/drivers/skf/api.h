/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0016-2012 "SKF" API as vendor libraries export it on Linux: error
 * codes and the function list, over the types and byte-packed structures
 * of common/gmt0016.h. Shared by the skf driver (which dlsym()s each
 * function and tolerates missing ones) and by emulator/ (which implements
 * them). Nothing above drivers/ may include this file.
 *
 * Widths: ULONG/DWORD are 32-bit (gmt0016.h). BOOL differs between headers
 * (int or long): by-value BOOL arguments are passed as SKF_BOOL_ARG (long,
 * so a callee that reads either width sees the right value) and BOOL
 * outputs get an 8-byte zeroed buffer (SKF_BOOL_OUT) read as "non-zero =
 * TRUE". */
#ifndef UKEY_SKF_API_H
#define UKEY_SKF_API_H

#include <stdint.h>

#include "gmt0016.h"

typedef int32_t SKF_LONG;
typedef long SKF_BOOL_ARG;
typedef int64_t SKF_BOOL_OUT;
typedef void *SKF_HANDLE;

#define SKF_TRUE 1
#define SKF_FALSE 0

/* PIN types, rights, container types. */
#define SKF_ADMIN_TYPE 0
#define SKF_USER_TYPE 1
#define SKF_SECURE_NEVER_ACCOUNT 0x00
#define SKF_SECURE_ADM_ACCOUNT 0x01
#define SKF_SECURE_USER_ACCOUNT 0x10
#define SKF_SECURE_ANYONE_ACCOUNT 0xFF
#define SKF_CONTAINER_EMPTY 0
#define SKF_CONTAINER_RSA 1
#define SKF_CONTAINER_ECC 2
#define SKF_DEV_EVENT_INSERTED 1
#define SKF_DEV_EVENT_REMOVED 2

/* Error codes (SAR_*). */
#define SAR_OK 0x00000000
#define SAR_FAIL 0x0A000001
#define SAR_UNKNOWNERR 0x0A000002
#define SAR_NOTSUPPORTYETERR 0x0A000003
#define SAR_FILEERR 0x0A000004
#define SAR_INVALIDHANDLEERR 0x0A000005
#define SAR_INVALIDPARAMERR 0x0A000006
#define SAR_READFILEERR 0x0A000007
#define SAR_WRITEFILEERR 0x0A000008
#define SAR_NAMELENERR 0x0A000009
#define SAR_KEYUSAGEERR 0x0A00000A
#define SAR_MODULUSLENERR 0x0A00000B
#define SAR_NOTINITIALIZEERR 0x0A00000C
#define SAR_OBJERR 0x0A00000D
#define SAR_MEMORYERR 0x0A00000E
#define SAR_TIMEOUTERR 0x0A00000F
#define SAR_INDATALENERR 0x0A000010
#define SAR_INDATAERR 0x0A000011
#define SAR_GENRANDERR 0x0A000012
#define SAR_HASHOBJERR 0x0A000013
#define SAR_HASHERR 0x0A000014
#define SAR_GENRSAKEYERR 0x0A000015
#define SAR_RSAMODULUSLENERR 0x0A000016
#define SAR_CSPIMPRTPUBKEYERR 0x0A000017
#define SAR_RSAENCERR 0x0A000018
#define SAR_RSADECERR 0x0A000019
#define SAR_HASHNOTEQUALERR 0x0A00001A
#define SAR_KEYNOTFOUNTERR 0x0A00001B
#define SAR_CERTNOTFOUNTERR 0x0A00001C
#define SAR_NOTEXPORTERR 0x0A00001D
#define SAR_DECRYPTPADERR 0x0A00001E
#define SAR_MACLENERR 0x0A00001F
#define SAR_BUFFER_TOO_SMALL 0x0A000020
#define SAR_KEYINFOTYPEERR 0x0A000021
#define SAR_NOT_EVENTERR 0x0A000022
#define SAR_DEVICE_REMOVED 0x0A000023
#define SAR_PIN_INCORRECT 0x0A000024
#define SAR_PIN_LOCKED 0x0A000025
#define SAR_PIN_INVALID 0x0A000026
#define SAR_PIN_LEN_RANGE 0x0A000027
#define SAR_USER_ALREADY_LOGGED_IN 0x0A000028
#define SAR_USER_PIN_NOT_INITIALIZED 0x0A000029
#define SAR_USER_TYPE_INVALID 0x0A00002A
#define SAR_APPLICATION_NAME_INVALID 0x0A00002B
#define SAR_APPLICATION_EXISTS 0x0A00002C
#define SAR_USER_NOT_LOGGED_IN 0x0A00002D
#define SAR_APPLICATION_NOT_EXISTS 0x0A00002E
#define SAR_FILE_ALREADY_EXIST 0x0A00002F
#define SAR_NO_ROOM 0x0A000030
#define SAR_FILE_NOT_EXIST 0x0A000031

/* The functions the driver uses, as X(return type, name, parameters).
 * Ordering and parameters follow GM/T 0016-2012 §7. */
#define UKEY_SKF_FUNCTIONS(X) \
	X(SKF_ULONG, SKF_WaitForDevEvent, (SKF_CHAR *szDevName, SKF_ULONG *pulDevNameLen, SKF_ULONG *pulEvent)) \
	X(SKF_ULONG, SKF_CancelWaitForDevEvent, (void)) \
	X(SKF_ULONG, SKF_EnumDev, (SKF_BOOL_ARG bPresent, SKF_CHAR *szNameList, SKF_ULONG *pulSize)) \
	X(SKF_ULONG, SKF_ConnectDev, (const SKF_CHAR *szName, SKF_HANDLE *phDev)) \
	X(SKF_ULONG, SKF_DisConnectDev, (SKF_HANDLE hDev)) \
	X(SKF_ULONG, SKF_GetDevState, (const SKF_CHAR *szDevName, SKF_ULONG *pulDevState)) \
	X(SKF_ULONG, SKF_GetDevInfo, (SKF_HANDLE hDev, SKF_DEVINFO *pDevInfo)) \
	X(SKF_ULONG, SKF_LockDev, (SKF_HANDLE hDev, SKF_ULONG ulTimeOut)) \
	X(SKF_ULONG, SKF_UnlockDev, (SKF_HANDLE hDev)) \
	X(SKF_ULONG, SKF_ChangePIN, (SKF_HANDLE hApp, SKF_ULONG ulPINType, const SKF_CHAR *szOldPin, const SKF_CHAR *szNewPin, SKF_ULONG *pulRetryCount)) \
	X(SKF_LONG, SKF_GetPINInfo, (SKF_HANDLE hApp, SKF_ULONG ulPINType, SKF_ULONG *pulMaxRetryCount, SKF_ULONG *pulRemainRetryCount, SKF_BOOL_OUT *pbDefaultPin)) \
	X(SKF_ULONG, SKF_VerifyPIN, (SKF_HANDLE hApp, SKF_ULONG ulPINType, const SKF_CHAR *szPIN, SKF_ULONG *pulRetryCount)) \
	X(SKF_ULONG, SKF_UnblockPIN, (SKF_HANDLE hApp, const SKF_CHAR *szAdminPIN, const SKF_CHAR *szNewUserPIN, SKF_ULONG *pulRetryCount)) \
	X(SKF_ULONG, SKF_ClearSecureState, (SKF_HANDLE hApp)) \
	X(SKF_ULONG, SKF_EnumApplication, (SKF_HANDLE hDev, SKF_CHAR *szAppName, SKF_ULONG *pulSize)) \
	X(SKF_ULONG, SKF_OpenApplication, (SKF_HANDLE hDev, const SKF_CHAR *szAppName, SKF_HANDLE *phApp)) \
	X(SKF_ULONG, SKF_CloseApplication, (SKF_HANDLE hApp)) \
	X(SKF_ULONG, SKF_CreateFile, (SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_ULONG ulFileSize, SKF_ULONG ulReadRights, SKF_ULONG ulWriteRights)) \
	X(SKF_ULONG, SKF_DeleteFile, (SKF_HANDLE hApp, const SKF_CHAR *szFileName)) \
	X(SKF_ULONG, SKF_EnumFiles, (SKF_HANDLE hApp, SKF_CHAR *szFileList, SKF_ULONG *pulSize)) \
	X(SKF_ULONG, SKF_GetFileInfo, (SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_FILEATTRIBUTE *pFileInfo)) \
	X(SKF_ULONG, SKF_ReadFile, (SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_ULONG ulOffset, SKF_ULONG ulSize, SKF_BYTE *pbOutData, SKF_ULONG *pulOutLen)) \
	X(SKF_ULONG, SKF_WriteFile, (SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_ULONG ulOffset, const SKF_BYTE *pbData, SKF_ULONG ulSize)) \
	X(SKF_ULONG, SKF_CreateContainer, (SKF_HANDLE hApp, const SKF_CHAR *szContainerName, SKF_HANDLE *phContainer)) \
	X(SKF_ULONG, SKF_DeleteContainer, (SKF_HANDLE hApp, const SKF_CHAR *szContainerName)) \
	X(SKF_ULONG, SKF_OpenContainer, (SKF_HANDLE hApp, const SKF_CHAR *szContainerName, SKF_HANDLE *phContainer)) \
	X(SKF_ULONG, SKF_CloseContainer, (SKF_HANDLE hContainer)) \
	X(SKF_ULONG, SKF_EnumContainer, (SKF_HANDLE hApp, SKF_CHAR *szContainerName, SKF_ULONG *pulSize)) \
	X(SKF_ULONG, SKF_GetContainerType, (SKF_HANDLE hContainer, SKF_ULONG *pulContainerType)) \
	X(SKF_ULONG, SKF_ImportCertificate, (SKF_HANDLE hContainer, SKF_BOOL_ARG bSignFlag, const SKF_BYTE *pbCert, SKF_ULONG ulCertLen)) \
	X(SKF_ULONG, SKF_ExportCertificate, (SKF_HANDLE hContainer, SKF_BOOL_ARG bSignFlag, SKF_BYTE *pbCert, SKF_ULONG *pulCertLen)) \
	X(SKF_ULONG, SKF_GenRandom, (SKF_HANDLE hDev, SKF_BYTE *pbRandom, SKF_ULONG ulRandomLen)) \
	X(SKF_ULONG, SKF_GenRSAKeyPair, (SKF_HANDLE hContainer, SKF_ULONG ulBitsLen, SKF_RSAPUBLICKEYBLOB *pBlob)) \
	X(SKF_ULONG, SKF_ImportRSAKeyPair, (SKF_HANDLE hContainer, SKF_ULONG ulSymAlgId, const SKF_BYTE *pbWrappedKey, SKF_ULONG ulWrappedKeyLen, const SKF_BYTE *pbEncryptedData, SKF_ULONG ulEncryptedDataLen)) \
	X(SKF_ULONG, SKF_RSASignData, (SKF_HANDLE hContainer, const SKF_BYTE *pbData, SKF_ULONG ulDataLen, SKF_BYTE *pbSignature, SKF_ULONG *pulSignLen)) \
	X(SKF_ULONG, SKF_GenECCKeyPair, (SKF_HANDLE hContainer, SKF_ULONG ulAlgId, SKF_ECCPUBLICKEYBLOB *pBlob)) \
	X(SKF_ULONG, SKF_ImportECCKeyPair, (SKF_HANDLE hContainer, const SKF_ENVELOPEDKEYBLOB *pEnvelopedKeyBlob)) \
	X(SKF_ULONG, SKF_ECCSignData, (SKF_HANDLE hContainer, const SKF_BYTE *pbDigest, SKF_ULONG ulDigestLen, SKF_ECCSIGNATUREBLOB *pSignature)) \
	X(SKF_ULONG, SKF_ECCDecrypt, (SKF_HANDLE hContainer, const SKF_ECCCIPHERBLOB *pCipherText, SKF_BYTE *pbPlainText, SKF_ULONG *pulPlainTextLen)) \
	X(SKF_ULONG, SKF_ExportPublicKey, (SKF_HANDLE hContainer, SKF_BOOL_ARG bSignFlag, SKF_BYTE *pbBlob, SKF_ULONG *pulBlobLen)) \
	X(SKF_ULONG, SKF_CloseHandle, (SKF_HANDLE hHandle))

#endif
