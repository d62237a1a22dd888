/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* object.c: objects seen through a session, and the key snapshot that
 * cryptographic operations run with. */
#ifndef UKEY_TOKEN_OBJECT_H
#define UKEY_TOKEN_OBJECT_H

#include <stdbool.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "drivers/driver.h"

struct ukey_session;
struct ukey_slot;
struct ukey_object;

/* Looks up an object visible to the session (private ones need login). */
CK_RV ukey_object_find_inlock(struct ukey_session *s, CK_OBJECT_HANDLE h, struct ukey_object **out);
/* Asks the driver for one attribute the cache has not seen (t->type), fills
 * t as C_GetAttributeValue does (t->pValue NULL: the length only), and
 * caches the answer in the object oh unless it is key material. */
CK_RV ukey_object_fetch_attr_unlocked(struct ukey_slot *slot, ukey_ref ref, CK_OBJECT_CLASS cls,
				      CK_OBJECT_HANDLE oh, CK_ATTRIBUTE *t);

/* A key as an operation needs it, copied out under the table lock so the
 * operation runs without it. */
struct ukey_key {
	struct ukey_slot *slot;
	ukey_ref ref;
	bool on_token;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE key_type;
	EVP_PKEY *pub;               /* our reference (EVP_PKEY_up_ref); may be NULL */
	CK_ULONG bits;               /* modulus bits, or the curve's field bits */
	bool can_sign, can_verify, can_encrypt, can_decrypt;
};
CK_RV ukey_key_get(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key, struct ukey_key *out);
void ukey_key_clear(struct ukey_key *key);

#endif
