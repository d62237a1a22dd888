/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mechanism table and software crypto used by sign.c, cipher.c and digest.c.
 *
 * The consumer-visible mechanism list is a data table (mech.c): each entry
 * says which backend mechanism it needs and what token/ adds in software
 * (hashing with OpenSSL, DigestInfo, PSS hash parameters). Verification and
 * public-key encryption run in software on the cached public key, so they
 * never touch the device. Private-key operations always go to the driver. */
#ifndef UKEY_TOKEN_CRYPTO_H
#define UKEY_TOKEN_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "token/model.h"
#include "token/object.h"
#include "ukey-pkcs11.h"

/* What token/ does in software before the backend mechanism runs. */
enum ukey_soft {
	UKEY_SOFT_NONE,        /* raw: the caller's input goes to the backend as is */
	UKEY_SOFT_DIGESTINFO,  /* hash, then DER DigestInfo (RSA PKCS#1 v1.5) */
	UKEY_SOFT_HASH,        /* hash only (PSS, ECDSA) */
	UKEY_SOFT_SM2_Z,       /* SM3 over the GM/T 0009 Z, then the message (SM3-SM2) */
	UKEY_SOFT_DIGEST,      /* a digest mechanism: all software, no backend */
	UKEY_SOFT_KEYGEN,      /* listed only; the core generates through the driver */
};

struct ukey_mech {
	CK_MECHANISM_TYPE type;
	CK_MECHANISM_TYPE backend;   /* backend mechanism required (raw one) */
	const char *digest;          /* OpenSSL digest name hashed in software, or NULL */
	CK_KEY_TYPE key_type;        /* CKK_RSA, CKK_EC, CKK_SM2, or (CK_KEY_TYPE)-1 for digests */
	CK_FLAGS flags;              /* CKF_SIGN | CKF_VERIFY | ... as reported */
	enum ukey_soft soft;
	CK_MECHANISM_TYPE hash;      /* CKM_SHA256 etc. for hashing entries, else 0 */
};

#define UKEY_KEY_TYPE_NONE ((CK_KEY_TYPE)-1)

/* The entry for a consumer mechanism, or NULL if we do not offer it. */
const struct ukey_mech *ukey_mech_lookup(CK_MECHANISM_TYPE type);
/* The whole table (for tests and docs). */
const struct ukey_mech *ukey_mech_table(size_t *count);
/* Consumer mechanisms offered on a slot: those whose backend mechanism the
 * slot has (digests always). Two-call sizing. */
CK_RV ukey_mech_list_inlock(const struct ukey_slot *slot, CK_MECHANISM_TYPE *list, CK_ULONG *count);
CK_RV ukey_mech_info_unlocked(struct ukey_slot *slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);
/* True when the mechanism is offered on the slot. */
bool ukey_mech_offered(const struct ukey_slot *slot, const struct ukey_mech *m);

/* ---- op.c: hash algorithms named by PKCS#11 ---- */
/* OpenSSL name of CKM_SHA_1..CKM_SHA512, or NULL. */
const char *ukey_hash_name(CK_MECHANISM_TYPE hash);
/* The CKM_SHA* an MGF1 id uses, or 0 when the id is unknown. */
CK_MECHANISM_TYPE ukey_mgf1_hash(CK_RSA_PKCS_MGF_TYPE mgf);
/* oaep.c: checks and strips OAEP padding from a raw RSA result (em, emlen
 * <= k bytes); out has capacity *outlen. CKR_ENCRYPTED_DATA_INVALID when
 * the padding is wrong. */
CK_RV ukey_oaep_decode(const CK_RSA_PKCS_OAEP_PARAMS *p, const unsigned char *label, const unsigned char *em,
		       CK_ULONG emlen, CK_ULONG k, unsigned char *out, CK_ULONG *outlen);

/* ---- sm2.c: SM2 helpers (GM/T 0009) ---- */
#define UKEY_SM2_FIELD_BYTES 32      /* sm2p256v1 is the only SM2 curve */
#define UKEY_SM2_ID_MAX 8191         /* ENTL is the ID length in bits, 16 bits */
/* True when a DER OID (CKA_EC_PARAMS) names the sm2p256v1 curve. */
bool ukey_sm2_is_curve(const unsigned char *params, size_t len);
/* True when the EVP_PKEY is an OpenSSL "SM2" key (not ECDSA on the curve). */
bool ukey_sm2_pkey_is_sm2(EVP_PKEY *pkey);
/* Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) of the public key. */
CK_RV ukey_sm2_z(EVP_PKEY *pub, const unsigned char *id, size_t idlen, unsigned char z[UKEY_SM2_FIELD_BYTES]);
/* Verifies a raw r||s signature (64 bytes) over a 32-byte e. */
CK_RV ukey_sm2_verify_e(EVP_PKEY *pub, const unsigned char *e, size_t elen, const unsigned char *sig,
			size_t siglen);
/* Plaintext length of a DER SM2Cipher (the length of its ciphertext
 * OCTET STRING); CKR_ENCRYPTED_DATA_INVALID when it is not one. */
CK_RV ukey_sm2_cipher_plain_len(const unsigned char *der, size_t len, CK_ULONG *plen);
/* For CKK_EC/CKK_SM2 key snapshots: sets key_type to CKK_SM2 for a CKK_EC
 * key on the SM2 curve, and gives an SM2 private key without CKA_EC_POINT
 * the public key of the public-key object or certificate with its CKA_ID.
 * Takes the table lock only when the snapshot lacks a public key. */
void ukey_sm2_key_complete(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE handle, struct ukey_key *key);

/* One running operation of a session. Built by an *_init, owned by the
 * session between calls, taken out while a call runs (no lock held). */
struct ukey_op {
	enum ukey_op_kind kind;
	const struct ukey_mech *mech;
	struct ukey_key key;         /* snapshot; pub referenced, freed with the op */
	EVP_MD *md;                  /* hashing entries and digests */
	EVP_MD_CTX *mdctx;
	bool updated;                /* an *Update fed data: one-shot refused */
	bool has_pss;
	CK_RSA_PKCS_PSS_PARAMS pss;
	bool has_oaep;
	CK_RSA_PKCS_OAEP_PARAMS oaep; /* pSourceData points at `label` */
	unsigned char *label;
	unsigned char *out;          /* decrypt: plaintext kept after BUFFER_TOO_SMALL */
	CK_ULONG outlen;
	/* Pass-through (pass.h): the backend runs it; mech and key are unset. */
	void *pass;                  /* the driver's op */
	struct ukey_slot *pass_slot;
	bool recover;                /* C_SignRecoverInit / C_VerifyRecoverInit */
};

/* Common *_init work: looks the key up (unless key == CK_INVALID_HANDLE for
 * digests), checks mechanism, key type, class and usage for `kind`, copies
 * the parameters and creates the hash context. */
CK_RV ukey_op_prepare(CK_SESSION_HANDLE h, enum ukey_op_kind kind, const CK_MECHANISM *mech,
		      CK_OBJECT_HANDLE key, struct ukey_op **out);
/* Installs a prepared op, freeing it when the session refuses it. */
CK_RV ukey_op_start(CK_SESSION_HANDLE h, enum ukey_op_kind kind, struct ukey_op *op);
/* Frees an operation of any kind (dispatches on kind). */
void ukey_op_free(enum ukey_op_kind kind, struct ukey_op *op);
/* Every C_*Init: prepare, then install. */
CK_RV ukey_op_begin(CK_SESSION_HANDLE h, enum ukey_op_kind kind, const CK_MECHANISM *mech,
		    CK_OBJECT_HANDLE key);
/* Modulus bytes (RSA) or field bytes (EC) of the op's key; 0 if unknown. */
CK_ULONG ukey_op_key_bytes(const struct ukey_op *op);
/* Finishes the hash of a multi-part op, or hashes `data` one-shot. */
CK_RV ukey_op_hash(struct ukey_op *op, const CK_BYTE *data, CK_ULONG len, bool oneshot,
		   unsigned char *hash, unsigned int *hlen);
/* DER DigestInfo of a hash made with op->md into out (capacity *outlen). */
CK_RV ukey_op_digest_info(const struct ukey_op *op, const unsigned char *hash, unsigned int hlen,
			  unsigned char *out, CK_ULONG *outlen);

#endif
