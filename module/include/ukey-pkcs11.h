/* ukey-pkcs11: public constants for consumers of the ukey-pkcs11 module.
 *
 * The module speaks standard PKCS#11 2.40. This header adds what a consumer
 * needs beyond the standard: the CKA_APPLICATION value of seal data objects.
 * Vendor-defined SM2/SM3 mechanisms are added here by the SKF backend work. */
#ifndef UKEY_PKCS11_H
#define UKEY_PKCS11_H

/* CKA_APPLICATION of CKO_DATA objects that hold a GM/T 0031 electronic seal. */
#define UKEY_SEAL_APPLICATION "GM/T 0031 seal"

/* Manufacturer ID reported in CK_INFO. */
#define UKEY_MODULE_MANUFACTURER "ukey-pkcs11"

#endif
