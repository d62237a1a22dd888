/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* encrypt.c: step 5, the new encryption key pair. The service sent it as an
 * envelope to the new signing key (checked at step 4); the token opens it
 * inside itself (C_UnwrapKey with CKM_UKEY_ENVELOPED_KEY_PAIR, the new
 * signing private key unwrapping), so the private key never exists here.
 * A pair already on the token (a run stopped after the import, before the
 * journal recorded it) is found by its public key and never imported
 * twice. The token then proves it holds the private key: RSA and SM2: it
 * decrypts a random challenge encrypted here to the certificate's public
 * key. EC (ecdh-aes-v1): the key only agrees (CKA_DERIVE), and the module
 * offers no C_DeriveKey, so no challenge can be run from here: the module
 * checked the pair with one ECDH inside the backend when it imported it
 * (docs/mechanisms.md), and here the token's public key under the new
 * CKA_ID must be the certificate's; the journal says so. RSA on an SKF
 * token (skf-rsa-envelope-v1): SKF cannot decrypt with a container's RSA
 * key through the module (docs/skf.md), so the same public-key check.
 *
 * Before step 1, ukey_renew_enc_formats asks the module which envelope
 * formats the token imports for the new key's type; the request names
 * them (docs/protocol.md "Renewal", `envelope_formats`). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "ukey-base.h"
#include "renew.h"
#include "ukey-pkcs11.h"

#define MAX_KEYS 64

/* The private key of the pair whose public half is x->pub, if the token
 * holds it (by CKA_ID from every private key: labels and ids are the
 * backend's choice on SKF). */
static int find_imported(struct ukey_conn *p, CK_SESSION_HANDLE s, const struct ukey_renew_enc *x,
			 struct ukey_renew_key *out, int *found, struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_OBJECT_HANDLE h[MAX_KEYS];
	CK_ULONG n = 0;
	int ret = ukey_conn_find(p, s, t, 1, h, MAX_KEYS, &n, e);

	*found = 0;
	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n && !*found; i++) {
		unsigned char *id = NULL;
		size_t id_len = 0;
		struct ukey_err probe;
		int got = 0;

		memset(&probe, 0, sizeof(probe));
		/* A key whose attributes cannot be read is not ours: skip it. */
		if (ukey_conn_attr(p, s, h[i], CKA_ID, &id, &id_len, &probe) == UKEY_E_OK && id_len > 0 &&
		    ukey_renew_key_find(p, s, id, id_len, NULL, out, &got, &probe) == UKEY_E_OK && got &&
		    out->pkey != NULL && EVP_PKEY_eq(out->pkey, x->pub) == 1)
			*found = 1;
		if (!*found)
			ukey_renew_key_free(out);
		free(id);
	}
	return ret;
}

static int import(struct ukey_conn *p, CK_SESSION_HANDLE s, const struct ukey_renew_key *k,
		  const struct ukey_renew_enc *x, const char *label, const unsigned char *id, size_t id_len,
		  CK_OBJECT_HANDLE *h, struct ukey_err *e)
{
	CK_ULONG format = x->format;
	CK_MECHANISM m = { CKM_UKEY_ENVELOPED_KEY_PAIR, &format, sizeof(format) };
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = x->kind == UKEY_KEY_RSA ? CKK_RSA : x->kind == UKEY_KEY_EC ? CKK_EC : CKK_SM2;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	/* An encryption key never signs (SoftHSM takes these as given; SKF
	 * ignores them): EC keys agree (CKA_DERIVE), RSA and SM2 decrypt. */
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },    { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, 1 },              { CKA_PRIVATE, &yes, 1 },
		{ CKA_SENSITIVE, &yes, 1 },          { CKA_EXTRACTABLE, &no, 1 },
		{ x->kind == UKEY_KEY_EC ? CKA_DERIVE : CKA_DECRYPT, &yes, 1 },
		{ CKA_SIGN, &no, 1 },                { CKA_ID, (void *)id, id_len },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_RV rv;

	/* The journal's pending id; a backend that names its keys itself
	 * (SKF) replaces it. */
	rv = p->f->C_UnwrapKey(s, &m, k->priv, x->env, x->env_len, t, sizeof(t) / sizeof(t[0]), h);
	if (rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID)
		return ukey_err_set(e, UKEY_E_TOKEN, _("the U-KEY cannot import the new encryption key (envelope format "
						       "%lu): %s"), (unsigned long)format, ukey_p11_rv_name(rv));
	if (rv != CKR_OK)
		return ukey_err_set(e, UKEY_E_TOKEN, _("the U-KEY refused the new encryption key: %s"),
				    ukey_p11_rv_name(rv));
	return UKEY_E_OK;
}

/* EC: the public key the token holds under the new key's CKA_ID is the
 * certificate's (the private half was checked by the module at import). */
static int prove_ec(struct ukey_conn *p, CK_SESSION_HANDLE s, const unsigned char *id, size_t id_len,
		    const struct ukey_renew_enc *x, struct ukey_err *e)
{
	struct ukey_renew_key k;
	int found = 0, ret;

	memset(&k, 0, sizeof(k));
	ret = ukey_renew_key_find(p, s, id, id_len, NULL, &k, &found, e);
	if (ret == UKEY_E_OK && (!found || k.pkey == NULL || EVP_PKEY_eq(k.pkey, x->pub) != 1))
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the new encryption key on the U-KEY is not the certificate's"));
	ukey_renew_key_free(&k);
	return ret;
}

/* No decryption challenge can run: EC keys only agree, and SKF cannot
 * decrypt with a container's RSA key. */
static int pub_only(const struct ukey_renew_enc *x)
{
	return x->kind == UKEY_KEY_EC || x->format == UKEY_ENVELOPE_SKF_RSA_V1;
}

/* The challenge encrypted here to pub (RSA-OAEP SHA-1, or DER SM2Cipher),
 * decrypted on the token by priv. */
static int prove(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, const struct ukey_renew_enc *x,
		 struct ukey_err *e)
{
	unsigned char chal[32], ct[1024], pt[1024];
	size_t ctl = sizeof(ct);
	CK_ULONG ptl = sizeof(pt);
	CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM m = { x->kind == UKEY_KEY_RSA ? CKM_RSA_PKCS_OAEP : CKM_SM2_ENCRYPT,
			   x->kind == UKEY_KEY_RSA ? &oaep : NULL, x->kind == UKEY_KEY_RSA ? sizeof(oaep) : 0 };
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, x->pub, NULL);
	int ret = UKEY_E_ERROR;
	CK_RV rv;

	if (ctx == NULL || RAND_bytes(chal, sizeof(chal)) != 1 || EVP_PKEY_encrypt_init(ctx) <= 0 ||
	    (x->kind == UKEY_KEY_RSA && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0) ||
	    EVP_PKEY_encrypt(ctx, ct, &ctl, chal, sizeof(chal)) <= 0) {
		ret = ukey_err_set(e, UKEY_E_ERROR, _("cannot encrypt the test challenge to the new encryption key"));
		goto out;
	}
	rv = p->f->C_DecryptInit(s, &m, priv);
	if (rv == CKR_OK)
		rv = p->f->C_Decrypt(s, ct, (CK_ULONG)ctl, pt, &ptl);
	if (rv != CKR_OK)
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the new encryption key on the U-KEY cannot decrypt: %s"),
				   ukey_p11_rv_name(rv));
	else if (ptl != sizeof(chal) || CRYPTO_memcmp(pt, chal, sizeof(chal)) != 0)
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the new encryption key on the U-KEY decrypts wrongly"));
	else
		ret = UKEY_E_OK;
out:
	OPENSSL_cleanse(chal, sizeof(chal));
	OPENSSL_cleanse(pt, sizeof(pt));
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

int ukey_renew_encrypt(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn,
		       const struct ukey_renew_key *k, const struct ukey_renew_enc *x, char *detail, size_t dlen,
		       struct ukey_err *e)
{
	struct ukey_renew_key have;
	CK_OBJECT_HANDLE h = 0;
	unsigned char *id = NULL, pid[64];
	size_t id_len = 0, pid_len = 0;
	char *hex = NULL;
	int found = 0, removed = 0, ret;

	memset(&have, 0, sizeof(have));
	if (ukey_unhex(ukey_journal_str(jn, "pending_enc_id"), pid, sizeof(pid), &pid_len) != 0)
		pid_len = 0;
	ret = find_imported(p, s, x, &have, &found, e);
	if (ret == UKEY_E_OK && found) {
		h = have.priv;
		snprintf(detail, dlen, "%s", _("already on the U-KEY (imported by the interrupted run): not imported again"));
	} else if (ret == UKEY_E_OK) {
		/* An import cut short (SoftHSM: the private key without its
		 * values, or without its public key) goes first. */
		ret = ukey_renew_pending_remove(p, s, pid, pid_len, NULL, &removed, e);
		if (ret == UKEY_E_OK && removed > 0)
			ukey_journal_note(jn, "step 5: the objects of an import cut short by an interruption removed");
		if (ret == UKEY_E_OK)
			ret = import(p, s, k, x, ukey_journal_str(jn, "label_enc_key"), pid, pid_len, &h, e);
		snprintf(detail, dlen, "%s", _("imported"));
	}
	if (ret == UKEY_E_OK)
		ret = ukey_conn_attr(p, s, h, CKA_ID, &id, &id_len, e);
	if (ret == UKEY_E_OK && id_len == 0)
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the new encryption key has no CKA_ID"));
	if (ret == UKEY_E_OK)
		ret = pub_only(x) ? prove_ec(p, s, id, id_len, x, e) : prove(p, s, h, x, e);
	if (ret == UKEY_E_OK && (hex = ukey_hex(id, id_len)) == NULL)
		ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	if (ret == UKEY_E_OK) {
		ukey_journal_set_str(jn, "enc_key_id", hex);
		ukey_journal_note(jn, found ? "new encryption key found on the token (imported before): not imported again"
					    : "new encryption key imported (CKM_UKEY_ENVELOPED_KEY_PAIR)");
		if (x->kind == UKEY_KEY_EC)
			ukey_journal_note(jn, "EC encryption key: checked by its public key only (the module checked "
					      "the pair by ECDH at import; it offers no C_DeriveKey for a proof here)");
		else if (x->format == UKEY_ENVELOPE_SKF_RSA_V1)
			ukey_journal_note(jn, "RSA encryption key on an SKF U-KEY: checked by its public key only (SKF "
					      "cannot decrypt with a container's RSA key through the module)");
		snprintf(detail + strlen(detail), dlen - strlen(detail), " (CKA_ID %s)", hex);
	}
	ukey_renew_key_free(&have);
	free(id);
	free(hex);
	return ret;
}

/* ---- before step 1: the formats the token imports ---- */

static const struct {
	enum ukey_renew_kind kind;
	CK_ULONG format;
	const char *name;
} formats[] = {
	{ UKEY_KEY_RSA, UKEY_ENVELOPE_RSA_OAEP_AES_V1, "rsa-oaep-aes-v1" },
	{ UKEY_KEY_RSA, UKEY_ENVELOPE_SKF_RSA_V1, "skf-rsa-envelope-v1" },
	{ UKEY_KEY_SM2, UKEY_ENVELOPE_SM2_V1, "sm2-envelope-v1" },
	{ UKEY_KEY_EC, UKEY_ENVELOPE_ECDH_AES_V1, "ecdh-aes-v1" },
};

CK_ULONG ukey_renew_enc_format(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i].name, name) == 0)
			return formats[i].format;
	return 0;
}

/* The module answers a format it does not import for this key with
 * CKR_MECHANISM_PARAM_INVALID (or CKR_MECHANISM_INVALID: none at all)
 * before it looks at the envelope, and an empty envelope of a format it
 * imports with CKR_WRAPPED_KEY_LEN_RANGE (docs/mechanisms.md); nothing is
 * written either way. The old signing key unwraps: the new one does not
 * exist yet, and it is of the same type. */
int ukey_renew_enc_formats(struct ukey_conn *p, CK_SESSION_HANDLE s, enum ukey_renew_kind kind,
			   const unsigned char *old_id, size_t old_id_len, char *out, size_t outlen, int *known,
			   struct ukey_err *e)
{
	struct ukey_renew_key old;
	int found = 0, ret;

	memset(&old, 0, sizeof(old));
	out[0] = '\0';
	*known = 0;
	ret = ukey_renew_key_find(p, s, old_id, old_id_len, NULL, &old, &found, e);
	/* Another type (--key-type) or no old key: nothing to ask with; the
	 * service then chooses by the key's type. */
	if (ret != UKEY_E_OK || !found || old.kind != kind)
		goto out;
	*known = 1;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		CK_ULONG f = formats[i].format;
		CK_MECHANISM m = { CKM_UKEY_ENVELOPED_KEY_PAIR, &f, sizeof(f) };
		CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
		CK_BBOOL yes = CK_TRUE;
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_TOKEN, &yes, 1 } };
		CK_OBJECT_HANDLE h = 0;
		unsigned char none = 0;
		CK_RV rv;

		if (formats[i].kind != kind)
			continue;
		rv = p->f->C_UnwrapKey(s, &m, old.priv, &none, 0, t, 2, &h);
		if (rv == CKR_WRAPPED_KEY_LEN_RANGE)
			snprintf(out + strlen(out), outlen - strlen(out), "%s%s", out[0] ? "," : "", formats[i].name);
		else if (rv != CKR_MECHANISM_PARAM_INVALID && rv != CKR_MECHANISM_INVALID)
			*known = 0; /* a module that does not answer the question */
	}
out:
	ukey_renew_key_free(&old);
	return ret;
}
