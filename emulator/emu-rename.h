/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inside the library, the SKF functions are implemented under the names
 * emu_SKF_*; the exported SKF_* entry points are the cost model's wrappers
 * (emu-cost.c), which meter each call and then call these. emu.h includes
 * this header when UKEY_SKF_EMU_IMPL is defined (the library's own sources,
 * local.mk); the tests that compile emulator files into themselves and
 * emu-cost.c itself see the plain names. */
#ifndef UKEY_SKF_EMU_RENAME_H
#define UKEY_SKF_EMU_RENAME_H

#define SKF_WaitForDevEvent emu_SKF_WaitForDevEvent
#define SKF_CancelWaitForDevEvent emu_SKF_CancelWaitForDevEvent
#define SKF_EnumDev emu_SKF_EnumDev
#define SKF_ConnectDev emu_SKF_ConnectDev
#define SKF_DisConnectDev emu_SKF_DisConnectDev
#define SKF_GetDevState emu_SKF_GetDevState
#define SKF_GetDevInfo emu_SKF_GetDevInfo
#define SKF_LockDev emu_SKF_LockDev
#define SKF_UnlockDev emu_SKF_UnlockDev
#define SKF_ChangePIN emu_SKF_ChangePIN
#define SKF_GetPINInfo emu_SKF_GetPINInfo
#define SKF_VerifyPIN emu_SKF_VerifyPIN
#define SKF_UnblockPIN emu_SKF_UnblockPIN
#define SKF_ClearSecureState emu_SKF_ClearSecureState
#define SKF_EnumApplication emu_SKF_EnumApplication
#define SKF_OpenApplication emu_SKF_OpenApplication
#define SKF_CloseApplication emu_SKF_CloseApplication
#define SKF_CreateFile emu_SKF_CreateFile
#define SKF_DeleteFile emu_SKF_DeleteFile
#define SKF_EnumFiles emu_SKF_EnumFiles
#define SKF_GetFileInfo emu_SKF_GetFileInfo
#define SKF_ReadFile emu_SKF_ReadFile
#define SKF_WriteFile emu_SKF_WriteFile
#define SKF_CreateContainer emu_SKF_CreateContainer
#define SKF_DeleteContainer emu_SKF_DeleteContainer
#define SKF_OpenContainer emu_SKF_OpenContainer
#define SKF_CloseContainer emu_SKF_CloseContainer
#define SKF_EnumContainer emu_SKF_EnumContainer
#define SKF_GetContainerType emu_SKF_GetContainerType
#define SKF_ImportCertificate emu_SKF_ImportCertificate
#define SKF_ExportCertificate emu_SKF_ExportCertificate
#define SKF_GenRandom emu_SKF_GenRandom
#define SKF_GenRSAKeyPair emu_SKF_GenRSAKeyPair
#define SKF_ImportRSAKeyPair emu_SKF_ImportRSAKeyPair
#define SKF_RSASignData emu_SKF_RSASignData
#define SKF_GenECCKeyPair emu_SKF_GenECCKeyPair
#define SKF_ImportECCKeyPair emu_SKF_ImportECCKeyPair
#define SKF_ECCSignData emu_SKF_ECCSignData
#define SKF_ECCDecrypt emu_SKF_ECCDecrypt
#define SKF_ExportPublicKey emu_SKF_ExportPublicKey
#define SKF_CloseHandle emu_SKF_CloseHandle

#endif
