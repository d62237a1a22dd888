/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukey-pkcs11: public constants for consumers of the ukey-pkcs11 module.
 *
 * The module speaks standard PKCS#11 2.40. PKCS#11 (up to 3.2) has no
 * SM2/SM3 values, so these vendor-defined ones follow the most widely shared
 * public convention, the one TASS and Sansec HSMs use and several vendor
 * headers repeat (the "CKM_VENDOR_DEFINED + 0x8000" family for SM2); see
 * docs/mechanisms.md for the sources and the exact semantics. */
#ifndef UKEY_PKCS11_H
#define UKEY_PKCS11_H

/* CKA_APPLICATION of CKO_DATA objects that hold a GM/T 0031 electronic seal. */
#define UKEY_SEAL_APPLICATION "GM/T 0031 seal"

/* Manufacturer ID reported in CK_INFO. */
#define UKEY_MODULE_MANUFACTURER "ukey-pkcs11"

/* Key type of SM2 keys. Their CKA_EC_PARAMS is the sm2p256v1 curve OID
 * (1.2.156.10197.1.301) and CKA_EC_POINT the DER OCTET STRING of the
 * uncompressed point, exactly as for CKK_EC. */
#define CKK_SM2 0x80000004UL

/* SM2 key pair generation (on the device, in a new container). */
#define CKM_SM2_KEY_PAIR_GEN 0x80008001UL
/* SM2 signature over a 32-byte value e that the caller computed
 * (e = SM3(Z || M), GM/T 0009). Output r || s, 32 bytes each. */
#define CKM_SM2 0x80008000UL
/* SM3 hash with the GM/T 0009 Z value, then SM2 signature. The signer ID is
 * "1234567812345678" unless the parameter gives another (CK_BYTE array,
 * at most 8191 bytes). Output r || s. */
#define CKM_SM3_SM2 0x80008100UL
/* SM2 public-key encryption / private-key decryption. The ciphertext is the
 * DER SM2Cipher of GM/T 0009 (SEQUENCE { x INTEGER, y INTEGER, hash OCTET
 * STRING (32), ciphertext OCTET STRING }), as OpenSSL's pkeyutl writes it. */
#define CKM_SM2_ENCRYPT 0x80008200UL
/* SM3 digest. */
#define CKM_SM3 0x80000005UL

/* C_UnwrapKey of a new encryption key pair sealed to the token's (new)
 * signing private key, the unwrapping key. The parameter is one CK_ULONG,
 * the envelope format (UKEY_ENVELOPE_*); the template describes the
 * private key (CKO_PRIVATE_KEY, CKA_TOKEN TRUE); the matching public key
 * object is made too, with the same CKA_ID and CKA_LABEL. The formats are
 * specified in docs/mechanisms.md. */
#define CKM_UKEY_ENVELOPED_KEY_PAIR 0x80008300UL
/* "sm2-envelope-v1": the GM/T 0016 SKF_ENVELOPEDKEYBLOB (SM2 keys). */
#define UKEY_ENVELOPE_SM2_V1 1UL
/* "rsa-oaep-aes-v1": DER UkeyEnvelopedKeyPair (RSA keys). */
#define UKEY_ENVELOPE_RSA_OAEP_AES_V1 2UL
/* "ecdh-aes-v1": EC P-256 keys; DER UkeyEnvelopedKeyPair with an ephemeral
 * point, the AES key from CKM_ECDH1_DERIVE (docs/mechanisms.md). */
#define UKEY_ENVELOPE_ECDH_AES_V1 3UL
/* "skf-rsa-envelope-v1": an RSA pair for an RSA container of an SKF token:
 * DER SEQUENCE { version 1, symAlgId SGD_SM4_ECB, wrappedKey, encryptedData,
 * publicKey }, the arguments of GM/T 0016 SKF_ImportRSAKeyPair. */
#define UKEY_ENVELOPE_SKF_RSA_V1 4UL

/* The default SM2 signer ID (GM/T 0009). */
#define UKEY_SM2_DEFAULT_ID "1234567812345678"

/* ---- The vendor interface "Vendor ukey-pkcs11" ----
 *
 * What standard PKCS#11 cannot say: how many PIN tries are left (CK_TOKEN_INFO
 * only has the COUNT_LOW / FINAL_TRY / LOCKED flags), and why the module
 * offers no slot (a missing or broken configuration, a backend library that
 * does not load) as opposed to "no U-KEY inserted". Found with the PKCS#11
 * 3.0 interface discovery the module exports next to C_GetFunctionList:
 *
 *   CK_INTERFACE *iface;   (UKEY_CK_INTERFACE below where the PKCS#11
 *                           header is 2.40 and lacks CK_INTERFACE)
 *   C_GetInterface((CK_UTF8CHAR *)UKEY_VENDOR_INTERFACE, NULL, &iface, 0);
 *   const UKEY_VENDOR_FUNCTION_LIST *v = iface->pFunctionList;
 *
 * C_GetInterface may be called before C_Initialize; the functions need the
 * module initialised (else CKR_CRYPTOKI_NOT_INITIALIZED) and check their
 * arguments like any entry point (CKR_ARGUMENTS_BAD for a NULL pointer).
 * The list starts with its version, as every PKCS#11 3.0 function list:
 * 1.0 here; a later 1.x only appends members, so a caller checks
 * version.major == 1 and uses the members its minor version has.
 *
 * Strings in these structures are NUL-terminated UTF-8 (unlike CK_TOKEN_INFO's
 * blank-padded ones), cut to fit when longer.
 *
 * The types need a PKCS#11 header (e.g. <p11-kit/pkcs11.h>) included first. */
#define UKEY_VENDOR_INTERFACE "Vendor ukey-pkcs11"
#define UKEY_VENDOR_VERSION_MAJOR 1
#define UKEY_VENDOR_VERSION_MINOR 1

#ifdef CKR_OK
/* PKCS#11 3.0's CK_INTERFACE, for 2.40 headers (p11-kit's) that lack it. */
typedef struct UKEY_CK_INTERFACE {
	CK_UTF8CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;
} UKEY_CK_INTERFACE;

/* What C_Initialize made of the configuration. */
typedef struct UKEY_MODULE_STATUS {
	CK_UTF8CHAR configPath[256];  /* the file read ($UKEY_PKCS11_CONF or the default) */
	CK_UTF8CHAR configError[512]; /* "" when it loaded, else why not: no backend then */
	CK_ULONG ulBackends;          /* [backend NAME] sections in the file */
	CK_ULONG ulBackendsLoaded;    /* of those, the ones whose library loaded */
} UKEY_MODULE_STATUS;

/* One [backend NAME] section, in file order. */
typedef struct UKEY_BACKEND_STATUS {
	CK_UTF8CHAR name[64];
	CK_UTF8CHAR driver[16];       /* "p11", "skf", or what the file says */
	CK_UTF8CHAR library[256];
	CK_RV loadResult;             /* CKR_OK when loaded */
	CK_UTF8CHAR reason[256];      /* why not, when loadResult is not CKR_OK */
	CK_ULONG ulDevices;           /* devices present at the last listing */
} UKEY_BACKEND_STATUS;

/* A PIN's retry counter. */
typedef struct UKEY_PIN_TRIES {
	/* Exact numbers where the backend tells them (SKF: SKF_GetPINInfo);
	 * CK_UNAVAILABLE_INFORMATION where it does not (a PKCS#11 backend
	 * such as SoftHSM): then only flags say anything. */
	CK_ULONG ulTriesLeft;
	CK_ULONG ulMaxTries;
	/* CK_TOKEN_INFO's flags for that PIN, read now: CKF_USER_PIN_COUNT_LOW,
	 * CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED for CKU_USER, the
	 * CKF_SO_PIN_* ones for CKU_SO. */
	CK_FLAGS flags;
} UKEY_PIN_TRIES;

typedef struct UKEY_VENDOR_FUNCTION_LIST {
	CK_VERSION version;
	/* Lists the devices again (as C_GetSlotList does) and reports the
	 * configuration's outcome. */
	CK_RV (*UKEY_GetModuleStatus)(UKEY_MODULE_STATUS *status);
	/* Backend index (0 .. ulBackends - 1); CKR_ARGUMENTS_BAD past the end. */
	CK_RV (*UKEY_GetBackendStatus)(CK_ULONG index, UKEY_BACKEND_STATUS *status);
	/* The PIN counter of user (CKU_USER or CKU_SO, else
	 * CKR_USER_TYPE_INVALID) on the token in slot, asked of the device
	 * now; CKR_SLOT_ID_INVALID, CKR_TOKEN_NOT_PRESENT as C_GetTokenInfo. */
	CK_RV (*UKEY_GetPinTries)(CK_SLOT_ID slot, CK_USER_TYPE user, UKEY_PIN_TRIES *tries);
	/* Since 1.1: C_GetTokenInfo and the user PIN's counter (as
	 * UKEY_GetPinTries(slot, CKU_USER)) from one reading of the device: on
	 * a real U-KEY each reading of the counters is a round trip per PIN, so
	 * a consumer that shows both asks once. Same return values as
	 * C_GetTokenInfo. */
	CK_RV (*UKEY_GetTokenInfoTries)(CK_SLOT_ID slot, CK_TOKEN_INFO *info, UKEY_PIN_TRIES *user);
} UKEY_VENDOR_FUNCTION_LIST;
#endif

#endif
