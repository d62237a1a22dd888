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

#endif
