#include "config.h"

/* install.c: step 6 writes the new certificate (with the new key's CKA_ID)
 * and the new seals, then reads them back through a fresh find; step 7
 * retires the old signing certificate and key and the replaced seals. Old
 * ENCRYPTION keys are never deleted: a backend that deletes whole
 * containers (SKF: the signing private key stands for its container, and
 * a certificate cannot be deleted alone) keeps the old signing pair when
 * encryption keys are present, and the journal says so. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <openssl/x509.h>

#include "i18n.h"
#include "renew/renew.h"
#include "seal/seal-token.h"
#include "ukey-pkcs11.h"

#define NEW_CERT_LABEL "ukey signing certificate"
#define NEW_KEY_LABEL "ukey signing key"

static unsigned char *b64_decode(const char *in, size_t *len)
{
	size_t n = strlen(in);
	unsigned char *out = malloc(n / 4 * 3 + 3);
	int l = out ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)n) : -1;

	while (l > 0 && n > 0 && in[--n] == '=')
		l--;
	if (l <= 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)l;
	return out;
}

static void sha256_hex(const unsigned char *p, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(p, len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The certificate with CKA_ID id and value der, if present (0 otherwise). */
static int find_cert(struct ukey_p11 *p, CK_SESSION_HANDLE s, const unsigned char *id, size_t id_len,
		     const unsigned char *der, size_t der_len, CK_OBJECT_HANDLE *out, struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0;
	int ret = ukey_p11_find(p, s, t, 2, h, 16, &n, e);

	*out = 0;
	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n && *out == 0; i++) {
		unsigned char *v = NULL;
		size_t len = 0;
		ret = ukey_p11_attr(p, s, h[i], CKA_VALUE, &v, &len, e);
		if (ret == UKEY_E_OK && len == der_len && memcmp(v, der, len) == 0)
			*out = h[i];
		free(v);
	}
	return ret;
}

/* A label for a new seal: its name unless a seal object has that label
 * already (SKF file names are unique and at most 32 bytes). */
static void seal_label(const struct ukey_token_seal *have, size_t n, const char *name, const char *rid, char *out,
		       size_t len)
{
	size_t cut = strlen(name);

	snprintf(out, len, "%s", name);
	for (size_t i = 0; i < n; i++)
		if (strcmp(have[i].label, out) == 0) {
			if (cut > 20)
				cut = 20;
			while (cut > 0 && ((unsigned char)name[cut] & 0xc0) == 0x80)
				cut--; /* not inside a UTF-8 sequence */
			snprintf(out, len, "%.*s-%.8s", (int)cut, name, rid);
			return;
		}
}

int ukey_renew_write(struct ukey_p11 *p, CK_SESSION_HANDLE s, const struct ukey_renew_key *k,
		     const unsigned char *der, size_t der_len, json_object *seals, const char *rid,
		     struct ukey_err *e)
{
	CK_OBJECT_CLASS ccls = CKO_CERTIFICATE, dcls = CKO_DATA;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE h = 0;
	struct ukey_token_seal *have = NULL;
	size_t nhave = 0, nseals = seals ? json_object_array_length(seals) : 0;
	int ret = find_cert(p, s, k->id, k->id_len, der, der_len, &h, e);
	CK_RV rv;

	if (ret == UKEY_E_OK && h == 0) {
		const unsigned char *q = der;
		X509 *x = d2i_X509(NULL, &q, (long)der_len);
		unsigned char *subj = NULL, *iss = NULL, *sn = NULL;
		int sl = x ? i2d_X509_NAME(X509_get_subject_name(x), &subj) : -1;
		int il = x ? i2d_X509_NAME(X509_get_issuer_name(x), &iss) : -1;
		int nl = x ? i2d_ASN1_INTEGER(X509_get_serialNumber(x), &sn) : -1;
		CK_ATTRIBUTE t[] = {
			{ CKA_SUBJECT, subj, sl > 0 ? (CK_ULONG)sl : 0 }, { CKA_ISSUER, iss, il > 0 ? (CK_ULONG)il : 0 },
			{ CKA_SERIAL_NUMBER, sn, nl > 0 ? (CK_ULONG)nl : 0 },
			{ CKA_CLASS, &ccls, sizeof(ccls) }, { CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &no, 1 }, { CKA_ID, (void *)k->id, k->id_len },
			{ CKA_LABEL, (void *)NEW_CERT_LABEL, strlen(NEW_CERT_LABEL) },
			{ CKA_VALUE, (void *)der, der_len },
		};
		rv = sl > 0 && il > 0 && nl > 0 ? p->f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h)
						: CKR_HOST_MEMORY;
		OPENSSL_free(subj);
		OPENSSL_free(iss);
		OPENSSL_free(sn);
		X509_free(x);
		if (rv != CKR_OK)
			return ukey_err_set(e, UKEY_E_TOKEN, _("cannot write the new certificate to the U-KEY: %s"),
					    ukey_p11_rv_name(rv));
	}
	for (size_t i = 0; ret == UKEY_E_OK && i < nseals; i++) {
		json_object *o = json_object_array_get_idx(seals, i), *v;
		const char *name = json_object_object_get_ex(o, "name", &v) ? json_object_get_string(v) : "seal";
		size_t sl = 0, j;
		char hex[65], label[64];
		unsigned char *sd = json_object_object_get_ex(o, "der", &v) ? b64_decode(json_object_get_string(v), &sl) : NULL;
		if (sd == NULL)
			return ukey_err_set(e, UKEY_E_SERVICE, _("new seal %zu cannot be decoded"), i + 1);
		sha256_hex(sd, sl, hex);
		ukey_token_seals_free(have, nhave);
		have = NULL;
		ret = ukey_seal_list_token(p, s, &have, &nhave, e);
		for (j = 0; ret == UKEY_E_OK && j < nhave && strcmp(have[j].sha256, hex) != 0; j++)
			;
		if (ret == UKEY_E_OK && j == nhave) { /* not written by an earlier, interrupted run */
			seal_label(have, nhave, name ? name : "seal", rid, label, sizeof(label));
			CK_ATTRIBUTE t[] = {
				{ CKA_CLASS, &dcls, sizeof(dcls) }, { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &no, 1 },
				{ CKA_APPLICATION, (void *)UKEY_SEAL_APPLICATION, strlen(UKEY_SEAL_APPLICATION) },
				{ CKA_LABEL, label, strlen(label) }, { CKA_VALUE, sd, sl },
			};
			rv = p->f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h);
			if (rv != CKR_OK)
				ret = ukey_err_set(e, UKEY_E_TOKEN, _("cannot write the new seal %s to the U-KEY: %s"), label,
						   ukey_p11_rv_name(rv));
		}
		free(sd);
	}
	/* Read back through a fresh find: what the next program will see. */
	if (ret == UKEY_E_OK)
		ret = find_cert(p, s, k->id, k->id_len, der, der_len, &h, e);
	if (ret == UKEY_E_OK && h == 0)
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the new certificate is not on the U-KEY after writing it"));
	ukey_token_seals_free(have, nhave);
	have = NULL;
	if (ret == UKEY_E_OK && nseals > 0)
		ret = ukey_seal_list_token(p, s, &have, &nhave, e);
	for (size_t i = 0; ret == UKEY_E_OK && i < nseals; i++) {
		json_object *v;
		size_t sl = 0, j;
		unsigned char *sd = json_object_object_get_ex(json_object_array_get_idx(seals, i), "der", &v)
					    ? b64_decode(json_object_get_string(v), &sl) : NULL;
		char hex[65] = "";
		if (sd != NULL)
			sha256_hex(sd, sl, hex);
		free(sd);
		for (j = 0; j < nhave && strcmp(have[j].sha256, hex) != 0; j++)
			;
		if (j == nhave)
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("new seal %zu reads back different from what was written"), i + 1);
	}
	ukey_token_seals_free(have, nhave);
	return ret;
}

static int destroy_class(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const unsigned char *id,
			 size_t id_len, CK_RV *rv, struct ukey_err *e)
{
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;
	int ret = ukey_p11_find(p, s, t, 2, h, 8, &n, e);

	*rv = CKR_OK;
	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n && *rv == CKR_OK; i++)
		*rv = p->f->C_DestroyObject(s, h[i]);
	return ret;
}

/* Encryption keys: private keys that decrypt, unwrap or derive, or whose
 * certificate is for encryption only; counted on the whole token. */
static int has_encryption_keys(struct ukey_p11 *p, CK_SESSION_HANDLE s, struct ukey_err *e, int *yes)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_OBJECT_HANDLE h[64];
	CK_ULONG n = 0;
	int ret = ukey_p11_find(p, s, t, 1, h, 64, &n, e);

	*yes = 0;
	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n && !*yes; i++) {
		CK_BBOOL sign = CK_FALSE;
		CK_ATTRIBUTE a = { CKA_SIGN, &sign, sizeof(sign) };
		/* Conservative: a key that cannot sign is an encryption key. */
		if (p->f->C_GetAttributeValue(s, h[i], &a, 1) != CKR_OK || !sign)
			*yes = 1;
	}
	return ret;
}

static int relabel_archived(struct ukey_p11 *p, CK_SESSION_HANDLE s, struct ukey_journal *jn, struct ukey_err *e)
{
	static const char label[] = "ukey archived encryption key";
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_ATTRIBUTE l = { CKA_LABEL, (void *)label, sizeof(label) - 1 };
	CK_OBJECT_HANDLE h[64];
	CK_ULONG n = 0;
	int ret = ukey_p11_find(p, s, t, 1, h, 64, &n, e), refused = 0, done = 0;
	char note[160];

	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n; i++) {
		CK_BBOOL sign = CK_FALSE;
		CK_ATTRIBUTE a = { CKA_SIGN, &sign, sizeof(sign) };
		if (p->f->C_GetAttributeValue(s, h[i], &a, 1) == CKR_OK && sign)
			continue;
		if (p->f->C_SetAttributeValue(s, h[i], &l, 1) == CKR_OK)
			done++;
		else
			refused++;
	}
	snprintf(note, sizeof(note), "old encryption keys kept: %d relabelled archived, %d not relabelled (backend "
		 "refuses)", done, refused);
	ukey_journal_note(jn, note);
	return ret;
}

int ukey_renew_retire(struct ukey_p11 *p, CK_SESSION_HANDLE s, struct ukey_journal *jn,
		      const struct ukey_renew_key *k, const unsigned char *old_der, size_t old_len,
		      json_object *old_seals, json_object *new_seals, struct ukey_err *e)
{
	unsigned char id[64];
	size_t id_len = 0, nhave = 0;
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv = CKR_OK;
	CK_ATTRIBUTE l = { CKA_LABEL, (void *)NEW_KEY_LABEL, strlen(NEW_KEY_LABEL) };
	struct ukey_token_seal *have = NULL;
	int ret, enc = 0;

	if (ukey_unhex(ukey_journal_str(jn, "old_id"), id, sizeof(id), &id_len) != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("the journal does not name the old signing key"));
	ret = find_cert(p, s, id, id_len, old_der, old_len, &h, e);
	if (ret == UKEY_E_OK && h != 0 && !(id_len == k->id_len && memcmp(id, k->id, id_len) == 0)) {
		rv = p->f->C_DestroyObject(s, h);
		if (rv == CKR_OK) {
			ret = destroy_class(p, s, CKO_PRIVATE_KEY, id, id_len, &rv, e);
			if (ret == UKEY_E_OK && rv == CKR_OK)
				ret = destroy_class(p, s, CKO_PUBLIC_KEY, id, id_len, &rv, e);
			if (ret == UKEY_E_OK && rv != CKR_OK)
				ukey_journal_note(jn, "old signing certificate deleted; its key could not be deleted");
			else if (ret == UKEY_E_OK)
				ukey_journal_note(jn, "old signing certificate and key deleted");
		} else {
			/* A certificate that cannot go alone: a container backend,
			 * where deleting the signing key deletes the whole
			 * container, its encryption pair included. */
			ret = has_encryption_keys(p, s, e, &enc);
			if (ret == UKEY_E_OK && !enc) {
				ret = destroy_class(p, s, CKO_PRIVATE_KEY, id, id_len, &rv, e);
				ukey_journal_note(jn, rv == CKR_OK ? "old signing container deleted"
								   : "old signing key retired: the backend refused to delete it");
			} else if (ret == UKEY_E_OK) {
				ukey_journal_note(jn, "old signing certificate and key retired but kept: the backend deletes "
						      "whole containers and old encryption keys must stay");
			}
		}
	} else if (ret == UKEY_E_OK) {
		ukey_journal_note(jn, "old signing certificate already gone");
	}
	/* The old encryption pair is archived only once a new one is on the
	 * token; while the service sends none it stays the current one. */
	if (ret == UKEY_E_OK && json_object_object_get_ex(jn->j, "encryption_installed", NULL))
		ret = relabel_archived(p, s, jn, e);
	else if (ret == UKEY_E_OK)
		ukey_journal_note(jn, "old encryption keys kept unchanged (no new encryption key was issued)");
	/* Replaced seals: the ones present before, unless the service gave
	 * them back unchanged. */
	if (ret == UKEY_E_OK && new_seals != NULL && old_seals != NULL)
		ret = ukey_seal_list_token(p, s, &have, &nhave, e);
	for (size_t i = 0; ret == UKEY_E_OK && i < nhave; i++) {
		int old = 0;
		for (size_t j = 0; j < json_object_array_length(old_seals); j++)
			old |= strcmp(json_object_get_string(json_object_array_get_idx(old_seals, j)), have[i].sha256) == 0;
		if (old && p->f->C_DestroyObject(s, have[i].h) != CKR_OK)
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("cannot delete the replaced seal %s"), have[i].label);
	}
	ukey_token_seals_free(have, nhave);
	if (ret == UKEY_E_OK) {
		rv = p->f->C_SetAttributeValue(s, k->priv, &l, 1);
		if (rv == CKR_OK && k->pub)
			rv = p->f->C_SetAttributeValue(s, k->pub, &l, 1);
		ukey_journal_note(jn, rv == CKR_OK ? "new key relabelled from pending"
						   : "new key keeps its pending label (the backend cannot relabel)");
	}
	return ret;
}
