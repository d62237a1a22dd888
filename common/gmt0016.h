/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0016-2012 "SKF" data structures: the byte-packed blobs a vendor
 * library and its callers exchange (public keys, signatures, SM2
 * ciphertexts, enveloped key pairs, device and file information) and the
 * algorithm ids stored in them. Defined once here for the skf driver
 * (module/drivers/skf/api.h adds the function list and error codes), the
 * emulator, the envelope builder and the tests; skfblob.h packs and
 * unpacks them.
 *
 * Widths: ULONG is 32-bit (GmSSL, Tongsuo and the vendor headers we found
 * agree; docs/skf.md), integers are the host's byte order (little-endian
 * on every platform SKF libraries ship for), and every structure is
 * byte-packed, as the standard lays them out. */
#ifndef UKC_GMT0016_H
#define UKC_GMT0016_H

#include <stdint.h>

typedef uint8_t SKF_BYTE;
typedef char SKF_CHAR;
typedef uint32_t SKF_ULONG;

#pragma pack(push, 1)
typedef struct {
	SKF_BYTE major;
	SKF_BYTE minor;
} SKF_VERSION;

typedef struct {
	SKF_VERSION Version;
	SKF_CHAR Manufacturer[64];
	SKF_CHAR Issuer[64];
	SKF_CHAR Label[32];
	SKF_CHAR SerialNumber[32];
	SKF_VERSION HWVersion;
	SKF_VERSION FirmwareVersion;
	SKF_ULONG AlgSymCap;
	SKF_ULONG AlgAsymCap;
	SKF_ULONG AlgHashCap;
	SKF_ULONG DevAuthAlgId;
	SKF_ULONG TotalSpace;
	SKF_ULONG FreeSpace;
	SKF_ULONG MaxECCBufferSize;
	SKF_ULONG MaxBufferSize;
	SKF_BYTE Reserved[64];
} SKF_DEVINFO;

#define SKF_MAX_RSA_MODULUS_LEN 256
#define SKF_MAX_RSA_EXPONENT_LEN 4
#define SKF_ECC_MAX_XCOORDINATE_BITS_LEN 512
#define SKF_ECC_MAX_YCOORDINATE_BITS_LEN 512
#define SKF_ECC_MAX_MODULUS_BITS_LEN 512

typedef struct {
	SKF_ULONG AlgID;
	SKF_ULONG BitLen;
	SKF_BYTE Modulus[SKF_MAX_RSA_MODULUS_LEN];
	SKF_BYTE PublicExponent[SKF_MAX_RSA_EXPONENT_LEN];
} SKF_RSAPUBLICKEYBLOB;

typedef struct {
	SKF_ULONG AlgID;
	SKF_ULONG BitLen;
	SKF_BYTE Modulus[SKF_MAX_RSA_MODULUS_LEN];
	SKF_BYTE PublicExponent[SKF_MAX_RSA_EXPONENT_LEN];
	SKF_BYTE PrivateExponent[SKF_MAX_RSA_MODULUS_LEN];
	SKF_BYTE Prime1[SKF_MAX_RSA_MODULUS_LEN / 2];
	SKF_BYTE Prime2[SKF_MAX_RSA_MODULUS_LEN / 2];
	SKF_BYTE Prime1Exponent[SKF_MAX_RSA_MODULUS_LEN / 2];
	SKF_BYTE Prime2Exponent[SKF_MAX_RSA_MODULUS_LEN / 2];
	SKF_BYTE Coefficient[SKF_MAX_RSA_MODULUS_LEN / 2];
} SKF_RSAPRIVATEKEYBLOB;

/* 256-bit values sit right-aligned in 64-byte fields. */
typedef struct {
	SKF_ULONG BitLen;
	SKF_BYTE XCoordinate[SKF_ECC_MAX_XCOORDINATE_BITS_LEN / 8];
	SKF_BYTE YCoordinate[SKF_ECC_MAX_YCOORDINATE_BITS_LEN / 8];
} SKF_ECCPUBLICKEYBLOB;

typedef struct {
	SKF_ULONG BitLen;
	SKF_BYTE PrivateKey[SKF_ECC_MAX_MODULUS_BITS_LEN / 8];
} SKF_ECCPRIVATEKEYBLOB;

/* Variable size: CipherLen bytes of Cipher follow (C1 = X,Y; C3 = HASH). */
typedef struct {
	SKF_BYTE XCoordinate[SKF_ECC_MAX_XCOORDINATE_BITS_LEN / 8];
	SKF_BYTE YCoordinate[SKF_ECC_MAX_YCOORDINATE_BITS_LEN / 8];
	SKF_BYTE HASH[32];
	SKF_ULONG CipherLen;
	SKF_BYTE Cipher[1];
} SKF_ECCCIPHERBLOB;
#define SKF_ECCCIPHERBLOB_HEADER 164

typedef struct {
	SKF_BYTE r[SKF_ECC_MAX_XCOORDINATE_BITS_LEN / 8];
	SKF_BYTE s[SKF_ECC_MAX_XCOORDINATE_BITS_LEN / 8];
} SKF_ECCSIGNATUREBLOB;

typedef struct {
	SKF_BYTE IV[32];
	SKF_ULONG IVLen;
	SKF_ULONG PaddingType;
	SKF_ULONG FeedBitLen;
} SKF_BLOCKCIPHERPARAM;

/* Variable size: ECCCipherBlob's Cipher runs past the end. */
typedef struct {
	SKF_ULONG Version;
	SKF_ULONG ulSymmAlgID;
	SKF_ULONG ulBits;
	SKF_BYTE cbEncryptedPriKey[64];
	SKF_ECCPUBLICKEYBLOB PubKey;
	SKF_ECCCIPHERBLOB ECCCipherBlob;
} SKF_ENVELOPEDKEYBLOB;

typedef struct {
	SKF_CHAR FileName[32];
	SKF_ULONG FileSize;
	SKF_ULONG ReadRights;
	SKF_ULONG WriteRights;
} SKF_FILEATTRIBUTE;
#pragma pack(pop)

/* Compile-time checks of the packed sizes GM/T 0016 gives. */
_Static_assert(sizeof(SKF_DEVINFO) == 294, "DEVINFO is 294 bytes packed");
_Static_assert(sizeof(SKF_RSAPUBLICKEYBLOB) == 268, "RSAPUBLICKEYBLOB");
_Static_assert(sizeof(SKF_RSAPRIVATEKEYBLOB) == 1164, "RSAPRIVATEKEYBLOB");
_Static_assert(sizeof(SKF_ECCPUBLICKEYBLOB) == 132, "ECCPUBLICKEYBLOB");
_Static_assert(sizeof(SKF_ECCSIGNATUREBLOB) == 128, "ECCSIGNATUREBLOB");
_Static_assert(sizeof(SKF_BLOCKCIPHERPARAM) == 44, "BLOCKCIPHERPARAM");
_Static_assert(sizeof(SKF_FILEATTRIBUTE) == 44, "FILEATTRIBUTE");
_Static_assert(__builtin_offsetof(SKF_DEVINFO, SerialNumber) == 162, "SerialNumber @162");
_Static_assert(__builtin_offsetof(SKF_ENVELOPEDKEYBLOB, ECCCipherBlob) == 208, "ECCCipherBlob @208");

/* Algorithm ids (GM/T 0006). SM2 ids follow the "vendor" convention most
 * SKF headers use; the driver also accepts the GM/T 0006 table values
 * (docs/skf.md), testing bit 0x00020000 for SM2 capability. */
#define SGD_SM1_ECB 0x00000101
#define SGD_SM4_ECB 0x00000401
#define SGD_SM4_CBC 0x00000402
#define SGD_RSA 0x00010000
#define SGD_SM2 0x00020000
#define SGD_SM2_1 0x00020100
#define SGD_SM2_2 0x00020200
#define SGD_SM2_3 0x00020400
#define SGD_SM3 0x00000001
#define SGD_SHA1 0x00000002
#define SGD_SHA256 0x00000004

#endif
