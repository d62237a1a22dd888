/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Key-pair generation and randomness. */
#include "config.h"

#include "api/shim.h"

CK_RV ukey_C_GenerateKeyPair(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech,
			     CK_ATTRIBUTE_PTR pub_tmpl, CK_ULONG pub_count,
			     CK_ATTRIBUTE_PTR priv_tmpl, CK_ULONG priv_count,
			     CK_OBJECT_HANDLE_PTR pub_key, CK_OBJECT_HANDLE_PTR priv_key)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	UKEY_CHECK_ARG(pub_key != NULL && priv_key != NULL);
	UKEY_CHECK_TEMPLATE(pub_tmpl, pub_count, UKEY_TMPL_WRITE);
	UKEY_CHECK_TEMPLATE(priv_tmpl, priv_count, UKEY_TMPL_WRITE);
	rv = ukey_generate_key_pair(session, mech, pub_tmpl, pub_count, priv_tmpl, priv_count,
				    pub_key, priv_key);
out:
	UKEY_LEAVE(rv);
	return rv;
}

/* Only CKM_UKEY_ENVELOPED_KEY_PAIR: a new key pair sealed to a token key
 * (token/unwrap.c). */
CK_RV ukey_C_UnwrapKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE unwrapping_key,
		       CK_BYTE_PTR wrapped, CK_ULONG wrapped_len, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
		       CK_OBJECT_HANDLE_PTR key)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(mech != NULL);
	UKEY_CHECK_ARG(wrapped != NULL || wrapped_len == 0);
	UKEY_CHECK_ARG(key != NULL);
	UKEY_CHECK_TEMPLATE(tmpl, count, UKEY_TMPL_WRITE);
	rv = ukey_unwrap_key(session, mech, unwrapping_key, wrapped, wrapped_len, tmpl, count, key);
out:
	UKEY_LEAVE(rv);
	return rv;
}

/* The module mixes no caller seed into the backend's generator (a U-KEY's
 * RNG takes none), so a valid session gets CKR_RANDOM_SEED_NOT_SUPPORTED;
 * the session lookup still runs so a bad handle reports as such. */
CK_RV ukey_C_SeedRandom(CK_SESSION_HANDLE session, CK_BYTE_PTR seed, CK_ULONG seed_len)
{
	CK_RV rv;
	CK_SESSION_INFO tmp;
	UKEY_ENTER();
	UKEY_CHECK_ARG(seed != NULL || seed_len == 0);
	rv = ukey_session_info(session, &tmp);
	if (rv == CKR_OK)
		rv = CKR_RANDOM_SEED_NOT_SUPPORTED;
out:
	UKEY_LEAVE(rv);
	return rv;
}

CK_RV ukey_C_GenerateRandom(CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG len)
{
	CK_RV rv;
	UKEY_ENTER();
	UKEY_CHECK_ARG(out != NULL || len == 0);
	rv = ukey_generate_random(session, out, len);
out:
	UKEY_LEAVE(rv);
	return rv;
}
