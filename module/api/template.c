/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one check every template a caller hands us goes through, before
 * anything reads a value: C_CreateObject, C_SetAttributeValue,
 * C_FindObjectsInit, C_GenerateKeyPair, C_UnwrapKey (and every other
 * function that takes a template). A value pointer that is NULL with a
 * length, or a length that says "unavailable", would make whoever reads it
 * crash the host program. A write template must give an attribute's value
 * once: the same attribute twice with different values is refused instead
 * of letting the first decide (CKA_TOKEN, CKA_PRIVATE: where it goes, who
 * may make it) and the last be stored (PKCS#11 2.40 section 4.1.1 leaves
 * the choice between one value and CKR_TEMPLATE_INCONSISTENT). */
#include "config.h"

#include <string.h>

#include "api/shim.h"

/* Attributes whose value has one size whatever the object. */
static CK_ULONG fixed_size(CK_ATTRIBUTE_TYPE type)
{
	switch (type) {
	case CKA_CLASS:
	case CKA_KEY_TYPE:
	case CKA_CERTIFICATE_TYPE:
	case CKA_CERTIFICATE_CATEGORY:
	case CKA_MODULUS_BITS:
	case CKA_VALUE_LEN:
	case CKA_KEY_GEN_MECHANISM:
		return sizeof(CK_ULONG);
	case CKA_TOKEN:
	case CKA_PRIVATE:
	case CKA_MODIFIABLE:
	case CKA_COPYABLE:
	case CKA_DESTROYABLE:
	case CKA_TRUSTED:
	case CKA_SENSITIVE:
	case CKA_EXTRACTABLE:
	case CKA_ENCRYPT:
	case CKA_DECRYPT:
	case CKA_SIGN:
	case CKA_SIGN_RECOVER:
	case CKA_VERIFY:
	case CKA_VERIFY_RECOVER:
	case CKA_WRAP:
	case CKA_UNWRAP:
	case CKA_DERIVE:
	case CKA_LOCAL:
	case CKA_ALWAYS_SENSITIVE:
	case CKA_NEVER_EXTRACTABLE:
	case CKA_ALWAYS_AUTHENTICATE:
	case CKA_WRAP_WITH_TRUSTED:
		return sizeof(CK_BBOOL);
	default:
		return 0;
	}
}

static bool same_value(const CK_ATTRIBUTE *a, const CK_ATTRIBUTE *b)
{
	return a->ulValueLen == b->ulValueLen &&
	       (a->ulValueLen == 0 || memcmp(a->pValue, b->pValue, a->ulValueLen) == 0);
}

CK_RV ukey_api_template_check(const CK_ATTRIBUTE *t, CK_ULONG n, unsigned use)
{
	if (!t)
		return n > 0 || (use & UKEY_TMPL_NONNULL) ? CKR_ARGUMENTS_BAD : CKR_OK;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_ULONG size = fixed_size(t[i].type);
		if (t[i].ulValueLen == CK_UNAVAILABLE_INFORMATION || (!t[i].pValue && t[i].ulValueLen > 0))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		/* A search for a wrong-sized value just matches nothing. */
		if (use & UKEY_TMPL_SEARCH)
			continue;
		if (size && t[i].ulValueLen != size)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		for (CK_ULONG k = 0; k < i; k++)
			if (t[k].type == t[i].type && !same_value(&t[k], &t[i]))
				return CKR_TEMPLATE_INCONSISTENT;
	}
	return CKR_OK;
}
