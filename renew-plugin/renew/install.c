#include "config.h"

/* install.c: step 6 writes the new certificate (with the new key's CKA_ID)
 * and the new seals, then reads them back through a fresh find; step 7
 * retires the old signing certificate and key and the replaced seals. Old
 * ENCRYPTION keys are never deleted. The SKF driver gives C_DestroyObject
 * on a signing pair that shares its container with an encryption pair the
 * PKCS#11 meaning (the pair is never listed again; docs/skf.md, Destroy),
 * so the same destroy calls serve both backends. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "failpoint.h"
#include "i18n.h"
#include "renew/renew.h"
#include "seal/seal-token.h"
#include "ukey-pkcs11.h"

#define NEW_CERT_LABEL "ukey signing certificate"
#define NEW_KEY_LABEL "ukey signing key"
#define NEW_ENC_CERT_LABEL "ukey encryption certificate"
#define NEW_ENC_KEY_LABEL "ukey encryption key"

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

/* Writes the certificate der with CKA_ID id unless it is there (an
 * interrupted run wrote it). */
static int put_cert(struct ukey_p11 *p, CK_SESSION_HANDLE s, const unsigned char *id, size_t id_len,
		    const unsigned char *der, size_t der_len, const char *label, struct ukey_err *e)
{
	CK_OBJECT_CLASS ccls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE h = 0;
	int ret = find_cert(p, s, id, id_len, der, der_len, &h, e);
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
			{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &no, 1 }, { CKA_ID, (void *)id, id_len },
			{ CKA_LABEL, (void *)label, strlen(label) },
			{ CKA_VALUE, (void *)der, der_len },
		};
		rv = sl > 0 && il > 0 && nl > 0 ? p->f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h)
						: CKR_HOST_MEMORY;
		OPENSSL_free(subj);
		OPENSSL_free(iss);
		OPENSSL_free(sn);
		X509_free(x);
		if (rv != CKR_OK)
			return ukey_err_set(e, UKEY_E_TOKEN,
					    strcmp(label, NEW_CERT_LABEL) == 0
						    ? _("cannot write the new certificate to the U-KEY: %s")
						    : _("cannot write the new encryption certificate to the U-KEY: %s"),
					    ukey_p11_rv_name(rv));
	}
	return ret;
}

int ukey_renew_write(struct ukey_p11 *p, CK_SESSION_HANDLE s, const struct ukey_renew_key *k,
		     const unsigned char *der, size_t der_len, const unsigned char *enc_id, size_t enc_id_len,
		     const unsigned char *enc_der, size_t enc_der_len, json_object *seals, const char *rid,
		     struct ukey_err *e)
{
	CK_OBJECT_CLASS dcls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE h = 0;
	struct ukey_token_seal *have = NULL;
	size_t nhave = 0, nseals = seals ? json_object_array_length(seals) : 0;
	int ret = put_cert(p, s, k->id, k->id_len, der, der_len, NEW_CERT_LABEL, e);
	CK_RV rv;

	if (ret != UKEY_E_OK)
		return ret;
	UKEY_FAILPOINT("write-cert-done");
	/* The encryption certificate goes with the encryption key's CKA_ID
	 * (SKF: into the new container, as its encryption certificate). */
	if (enc_der != NULL)
		ret = put_cert(p, s, enc_id, enc_id_len, enc_der, enc_der_len, NEW_ENC_CERT_LABEL, e);
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
	if (ret == UKEY_E_OK && enc_der != NULL)
		ret = find_cert(p, s, enc_id, enc_id_len, enc_der, enc_der_len, &h, e);
	if (ret == UKEY_E_OK && enc_der != NULL && h == 0)
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the new encryption certificate is not on the U-KEY after writing "
						      "it"));
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

/* Sets CKA_LABEL on the objects of class cls with CKA_ID id; *refused
 * counts the objects whose backend refused it. */
static int relabel_id(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const unsigned char *id,
		      size_t id_len, const char *label, int *refused, struct ukey_err *e)
{
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	CK_ATTRIBUTE l = { CKA_LABEL, (void *)label, strlen(label) };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;
	int ret = ukey_p11_find(p, s, t, 2, h, 8, &n, e);

	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n; i++)
		if (p->f->C_SetAttributeValue(s, h[i], &l, 1) != CKR_OK)
			(*refused)++;
	return ret;
}

/* An encryption key: its certificate (same CKA_ID) is for encryption only;
 * without a certificate, a key that cannot sign. (Imported keys often
 * carry every usage flag, so the certificate decides first.) */
static int is_enc_key(struct ukey_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, const unsigned char *id,
		      size_t id_len)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = 0;
	CK_BBOOL sign = CK_TRUE;
	CK_ATTRIBUTE a = { CKA_SIGN, &sign, sizeof(sign) };
	struct ukey_err probe;
	int enc = -1;

	memset(&probe, 0, sizeof(probe));
	if (ukey_p11_find(p, s, t, 2, h, 4, &n, &probe) != UKEY_E_OK)
		n = 0;
	for (CK_ULONG i = 0; i < n && enc != 0; i++) {
		unsigned char *der = NULL;
		size_t len = 0;
		const unsigned char *q;
		X509 *x = NULL;
		if (ukey_p11_attr(p, s, h[i], CKA_VALUE, &der, &len, &probe) == UKEY_E_OK) {
			q = der;
			x = d2i_X509(NULL, &q, (long)len);
		}
		if (x != NULL) {
			uint32_t ku = X509_get_key_usage(x);
			enc = (X509_get_extension_flags(x) & EXFLAG_KUSAGE) && !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
		}
		X509_free(x);
		free(der);
	}
	if (enc >= 0)
		return enc;
	return p->f->C_GetAttributeValue(s, key, &a, 1) == CKR_OK && !sign;
}

/* The old encryption keys (other than the new one) are never deleted: old documents need them. Each pair and its
 * certificate become "<label> (archived YYYY-MM-DD)" where the backend
 * allows it (SKF derives labels from the container name: kept as they
 * are). A key archived by an interrupted run is not archived twice. */
static int archive_old(struct ukey_p11 *p, CK_SESSION_HANDLE s, struct ukey_journal *jn, struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_OBJECT_HANDLE h[64];
	CK_ULONG n = 0;
	unsigned char nid[64];
	size_t nid_len = 0;
	int ret = ukey_p11_find(p, s, t, 1, h, 64, &n, e), refused = 0, done = 0, kept = 0;
	time_t now = time(NULL);
	char date[16] = "", note[200];
	struct tm tm;

	if (ukey_unhex(ukey_journal_str(jn, "enc_key_id"), nid, sizeof(nid), &nid_len) != 0)
		nid_len = 0;
	if (localtime_r(&now, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n; i++) {
		unsigned char *id = NULL, *lab = NULL;
		size_t id_len = 0, lab_len = 0;
		char label[256];
		int before = refused;
		/* A key whose id or label cannot be read is left alone. */
		struct ukey_err probe;

		memset(&probe, 0, sizeof(probe));
		if (ukey_p11_attr(p, s, h[i], CKA_ID, &id, &id_len, &probe) != UKEY_E_OK ||
		    (id_len == nid_len && memcmp(id, nid, id_len) == 0) || !is_enc_key(p, s, h[i], id, id_len) ||
		    ukey_p11_attr(p, s, h[i], CKA_LABEL, &lab, &lab_len, &probe) != UKEY_E_OK) {
			free(id);
			free(lab);
			continue;
		}
		snprintf(label, sizeof(label), "%.*s", (int)(lab_len < 200 ? lab_len : 200), lab ? (char *)lab : "");
		free(lab);
		if (strstr(label, " (archived ") != NULL) {
			kept++;
			free(id);
			continue;
		}
		snprintf(label + strlen(label), sizeof(label) - strlen(label), " (archived %s)", date);
		ret = relabel_id(p, s, CKO_PRIVATE_KEY, id, id_len, label, &refused, e);
		if (ret == UKEY_E_OK && refused == before)
			ret = relabel_id(p, s, CKO_PUBLIC_KEY, id, id_len, label, &refused, e);
		if (ret == UKEY_E_OK && refused == before)
			ret = relabel_id(p, s, CKO_CERTIFICATE, id, id_len, label, &refused, e);
		if (refused == before)
			done++;
		else
			kept++;
		free(id);
	}
	snprintf(note, sizeof(note), "old encryption keys and certificates kept (never deleted): %d relabelled "
		 "archived, %d kept with their label (archived before, or the backend cannot relabel)", done, kept);
	ukey_journal_note(jn, note);
	return ret;
}

/* A backend's "no" to a destroy, or an object already gone: noted, and
 * the renewal goes on (CKR_OK counts as no refusal to report). */
static int goes_on(CK_RV rv)
{
	return rv == CKR_OK || rv == CKR_ACTION_PROHIBITED || rv == CKR_FUNCTION_NOT_SUPPORTED ||
	       rv == CKR_OBJECT_HANDLE_INVALID;
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
	int ret;

	if (ukey_unhex(ukey_journal_str(jn, "old_id"), id, sizeof(id), &id_len) != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("the journal does not name the old signing key"));
	ret = find_cert(p, s, id, id_len, old_der, old_len, &h, e);
	if (ret == UKEY_E_OK && h != 0 && !(id_len == k->id_len && memcmp(id, k->id, id_len) == 0)) {
		rv = p->f->C_DestroyObject(s, h);
		if (rv == CKR_OK) {
			UKEY_FAILPOINT("retire-partial");
			ret = destroy_class(p, s, CKO_PRIVATE_KEY, id, id_len, &rv, e);
			if (ret == UKEY_E_OK && rv == CKR_OK)
				ret = destroy_class(p, s, CKO_PUBLIC_KEY, id, id_len, &rv, e);
			if (ret == UKEY_E_OK && rv != CKR_OK)
				ukey_journal_note(jn, "old signing certificate deleted; its key could not be deleted");
			else if (ret == UKEY_E_OK)
				ukey_journal_note(jn, "old signing certificate and key deleted");
		} else if (rv == CKR_ACTION_PROHIBITED) {
			/* A certificate that cannot go alone (SKF, a container
			 * without an encryption pair): its signing private key
			 * stands for the container, certificate included. The
			 * driver never deletes a container that holds an
			 * encryption pair. */
			ret = destroy_class(p, s, CKO_PRIVATE_KEY, id, id_len, &rv, e);
			ukey_journal_note(jn, rv == CKR_OK ? "old signing container deleted"
							   : "old signing certificate and key kept: the backend refused to "
							     "delete them (the old certificate stays on the token)");
		} else if (goes_on(rv)) {
			ukey_journal_note(jn, "old signing certificate and key kept: the backend refused to delete the "
					      "certificate (the old certificate stays on the token)");
		}
	} else if (ret == UKEY_E_OK && !(id_len == k->id_len && memcmp(id, k->id, id_len) == 0)) {
		/* A run killed between the certificate and its key: finish the
		 * key now (on SKF the certificate takes its keys along, so
		 * nothing is left to find). */
		ret = destroy_class(p, s, CKO_PRIVATE_KEY, id, id_len, &rv, e);
		if (ret == UKEY_E_OK && rv == CKR_OK)
			ret = destroy_class(p, s, CKO_PUBLIC_KEY, id, id_len, &rv, e);
		ukey_journal_note(jn, rv == CKR_OK ? "old signing certificate already gone; its key deleted"
						   : "old signing certificate already gone; its key could not be deleted");
	} else if (ret == UKEY_E_OK) {
		ukey_journal_note(jn, "old signing certificate already gone");
	}
	/* A failure that is no refusal (the U-KEY pulled out, a lost
	 * session) stops the step: the rerun finishes it. */
	if (ret == UKEY_E_OK && !goes_on(rv))
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("cannot delete the old signing certificate and key: %s"),
				   ukey_p11_rv_name(rv));
	/* The old encryption pair is archived only once a new one is on the
	 * token; while the service sends none it stays the current one. */
	if (ret == UKEY_E_OK && json_object_object_get_ex(jn->j, "encryption_installed", NULL))
		ret = archive_old(p, s, jn, e);
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
	if (ret == UKEY_E_OK && json_object_object_get_ex(jn->j, "encryption_installed", NULL) &&
	    ukey_unhex(ukey_journal_str(jn, "enc_key_id"), id, sizeof(id), &id_len) == 0 && id_len > 0) {
		int refused = 0;
		ret = relabel_id(p, s, CKO_PRIVATE_KEY, id, id_len, NEW_ENC_KEY_LABEL, &refused, e);
		if (ret == UKEY_E_OK)
			ret = relabel_id(p, s, CKO_PUBLIC_KEY, id, id_len, NEW_ENC_KEY_LABEL, &refused, e);
		ukey_journal_note(jn, refused == 0 ? "new encryption key relabelled from pending"
						   : "new encryption key keeps its label (the backend cannot relabel)");
	}
	return ret;
}
