/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Buffer sizes: the length query (NULL buffer), CKR_BUFFER_TOO_SMALL with
 * the needed length, and the operation staying active across both, as
 * PKCS#11 2.40 section 5.2 requires. Broken conventions are recorded as
 * rule breaks on every backend; the answers are compared on p11. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "ukey-pkcs11.h"

enum op { OP_SIGN, OP_DIGEST, OP_ENCRYPT, OP_DECRYPT, OP_SIGN_FINAL, OP_DIGEST_FINAL };

static CK_RV run(struct cf_ctx *c, enum op op, CK_SESSION_HANDLE s, CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out,
		 CK_ULONG *len)
{
	switch (op) {
	case OP_SIGN: return CF(c, C_Sign, s, in, inlen, out, len);
	case OP_DIGEST: return CF(c, C_Digest, s, in, inlen, out, len);
	case OP_ENCRYPT: return CF(c, C_Encrypt, s, in, inlen, out, len);
	case OP_DECRYPT: return CF(c, C_Decrypt, s, in, inlen, out, len);
	case OP_SIGN_FINAL: return CF(c, C_SignFinal, s, out, len);
	default: return CF(c, C_DigestFinal, s, out, len);
	}
}

/* Query, too small, exact, then the operation must be over. `exact`:
 * the output is deterministic and compared byte for byte. */
static void conventions(struct cf_ctx *c, enum op op, CK_SESSION_HANDLE s, CK_BYTE *in, CK_ULONG inlen,
			bool exact, CK_BYTE *result, CK_ULONG *result_len)
{
	CK_BYTE out[1024];
	CK_ULONG len = 0, want;
	CK_RV rv = run(c, op, s, in, inlen, NULL, &len);
	if (rv != CKR_OK)
		return;
	cf_out_len(c, len);
	if (len == 0 || len > sizeof(out)) {
		cf_violation(c, "length query gave %lu", (unsigned long)len);
		return;
	}
	want = len;
	len = want - 1;
	rv = run(c, op, s, in, inlen, out, &len);
	cf_out_len(c, len);
	if (rv == CKR_BUFFER_TOO_SMALL && len < want)
		cf_violation(c, "CKR_BUFFER_TOO_SMALL with a length (%lu) below the query's (%lu)",
			     (unsigned long)len, (unsigned long)want);
	if (rv != CKR_BUFFER_TOO_SMALL && rv != CKR_OK)
		return;
	if (rv == CKR_OK)
		goto done;
	len = want;
	rv = run(c, op, s, in, inlen, out, &len);
	if (rv == CKR_BUFFER_TOO_SMALL)
		cf_violation(c, "a buffer of the queried length (%lu) was too small", (unsigned long)want);
	if (rv != CKR_OK)
		return;
done:
	if (exact)
		cf_out_bytes(c, out, len);
	else
		cf_out_len(c, len);
	if (result) {
		memcpy(result, out, len);
		*result_len = len;
	}
	/* The operation is over: a further call finds none. */
	len = sizeof(out);
	run(c, op, s, in, inlen, out, &len);
}

static void slot_list(struct cf_ctx *c)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 0, want;
	if (CF(c, C_GetSlotList, CK_TRUE, NULL, &n) != CKR_OK)
		return;
	cf_out(c, "at-least-two=%d", n >= 2);
	want = n;
	n = 1;
	if (CF(c, C_GetSlotList, CK_TRUE, ids, &n) == CKR_BUFFER_TOO_SMALL && n != want)
		cf_violation(c, "C_GetSlotList: CKR_BUFFER_TOO_SMALL gave %lu, the query %lu", (unsigned long)n,
			     (unsigned long)want);
	n = 16;
	if (CF(c, C_GetSlotList, CK_TRUE, ids, &n) == CKR_OK && n != want)
		cf_violation(c, "C_GetSlotList gave %lu slots after a query of %lu", (unsigned long)n,
			     (unsigned long)want);
}

static void mechanism_list(struct cf_ctx *c)
{
	CK_MECHANISM_TYPE m[256];
	CK_ULONG n = 0, want;
	char buf[32];
	if (CF(c, C_GetMechanismList, c->slot_a, NULL, &n) != CKR_OK)
		return;
	want = n;
	n = 1;
	if (CF(c, C_GetMechanismList, c->slot_a, m, &n) == CKR_BUFFER_TOO_SMALL && n != want)
		cf_violation(c, "C_GetMechanismList: CKR_BUFFER_TOO_SMALL gave %lu, the query %lu",
			     (unsigned long)n, (unsigned long)want);
	n = 256;
	if (CF(c, C_GetMechanismList, c->slot_a, m, &n) != CKR_OK)
		return;
	if (n != want)
		cf_violation(c, "C_GetMechanismList gave %lu after a query of %lu", (unsigned long)n,
			     (unsigned long)want);
	for (CK_ULONG i = 0; i < n; i++)
		for (CK_ULONG k = i + 1; k < n; k++)
			if (m[k] < m[i]) {
				CK_MECHANISM_TYPE t = m[i];
				m[i] = m[k];
				m[k] = t;
			}
	for (CK_ULONG i = 0; i < n; i++)
		cf_out(c, "%s", cf_mech_name(m[i], buf, sizeof(buf)));
}

static void sign_sizes(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_MECHANISM m = { c->skf ? CKM_SM3_SM2 : CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE data[40] = { 3 };
	cf_login(c, s, c->tok_a);
	CK_OBJECT_HANDLE k = cf_key(c, s, c->tok_a, CKO_PRIVATE_KEY, true);
	if (CF(c, C_SignInit, s, &m, k) == CKR_OK)
		conventions(c, OP_SIGN, s, data, sizeof(data), !c->skf, NULL, NULL);
	if (CF(c, C_SignInit, s, &m, k) == CKR_OK && CF(c, C_SignUpdate, s, data, 20) == CKR_OK &&
	    CF(c, C_SignUpdate, s, data + 20, 20) == CKR_OK)
		conventions(c, OP_SIGN_FINAL, s, NULL, 0, !c->skf, NULL, NULL);
}

static void digest_sizes(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	CK_BYTE data[40] = { 5 };
	if (CF(c, C_DigestInit, s, &m) == CKR_OK)
		conventions(c, OP_DIGEST, s, data, sizeof(data), true, NULL, NULL);
	if (CF(c, C_DigestInit, s, &m) == CKR_OK && CF(c, C_DigestUpdate, s, data, 40) == CKR_OK)
		conventions(c, OP_DIGEST_FINAL, s, NULL, 0, true, NULL, NULL);
}

/* Encrypt to the encryption key, then decrypt: both with length queries. */
static void cipher_sizes(struct cf_ctx *c)
{
	CK_SESSION_HANDLE s = cf_open(c, c->slot_a, false);
	CK_MECHANISM m = { c->skf ? CKM_SM2_ENCRYPT : CKM_RSA_PKCS, NULL, 0 };
	CK_BYTE data[20] = { 9, 8, 7 }, ct[1024], pt[1024];
	CK_ULONG ctlen = 0, ptlen = 0;
	cf_login(c, s, c->tok_a);
	CK_OBJECT_HANDLE pub = cf_key(c, s, c->tok_a, CKO_PUBLIC_KEY, false);
	CK_OBJECT_HANDLE priv = cf_key(c, s, c->tok_a, CKO_PRIVATE_KEY, false);
	if (CF(c, C_EncryptInit, s, &m, pub) == CKR_OK)
		conventions(c, OP_ENCRYPT, s, data, sizeof(data), false, ct, &ctlen);
	if (ctlen && CF(c, C_DecryptInit, s, &m, priv) == CKR_OK)
		conventions(c, OP_DECRYPT, s, ct, ctlen, true, pt, &ptlen);
	if (ptlen != sizeof(data) || memcmp(pt, data, ptlen) != 0)
		cf_out(c, "round-trip=failed");
}

const struct cf_case cf_cases_sizes[] = {
	{ "sizes/slot-list", slot_list },
	{ "sizes/mechanism-list", mechanism_list },
	{ "sizes/sign", sign_sizes },
	{ "sizes/digest", digest_sizes },
	{ "sizes/encrypt-decrypt", cipher_sizes },
	{ NULL, NULL },
};
