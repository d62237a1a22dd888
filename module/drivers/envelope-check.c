/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "drivers/envelope-check.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

_Static_assert(UKC_ENVELOPE_SM2_V1 == UKEY_ENVELOPE_SM2_V1 &&
		       UKC_ENVELOPE_RSA_OAEP_AES_V1 == UKEY_ENVELOPE_RSA_OAEP_AES_V1 &&
		       UKC_ENVELOPE_ECDH_AES_V1 == UKEY_ENVELOPE_ECDH_AES_V1 &&
		       UKC_ENVELOPE_SKF_RSA_V1 == UKEY_ENVELOPE_SKF_RSA_V1,
	       "common/envelope.h numbers the formats as ukey-pkcs11.h does");

CK_RV ukey_driver_envelope_parse(CK_ULONG format, const CK_BYTE *env, CK_ULONG len, struct ukc_envelope *e)
{
	const char *why = NULL;
	int rc = ukc_envelope_parse(format <= UKC_ENVELOPE_SKF_RSA_V1 ? (int)format : 0, env, len, e, &why);

	if (rc == 0)
		return CKR_OK;
	/* The caller hears the code; the log says which check refused it. */
	ukey_debug("envelope of format %lu refused (%lu bytes): %s", (unsigned long)format, (unsigned long)len, why);
	return rc > 0 ? CKR_WRAPPED_KEY_LEN_RANGE : CKR_WRAPPED_KEY_INVALID;
}
