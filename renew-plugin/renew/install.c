/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* install.c: step 6 writes the new certificate (with the new key's CKA_ID)
 * and the new seals, then reads them back through a fresh find; step 7
 * retires the old signing certificate and key and the replaced seals. Old
 * ENCRYPTION keys are never deleted (archive.c). The SKF driver gives
 * C_DestroyObject on a signing pair that shares its container with an
 * encryption pair the PKCS#11 meaning (the pair is never listed again;
 * docs/skf.md, Destroy), so the same destroy calls serve both backends.
 * Every object is made once under its final label (names.c) and nothing
 * is relabelled: a rerun of either step finds what an interrupted run did
 * and goes on from there (docs/renewal.md). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "base/failpoint.h"
#include "b64.h"
#include "hex.h"
#include "ukey-base.h"
#include "renew.h"
#include "ukey-renew.h"
#include "seal/seal.h"
#include "ukey-pkcs11.h"

/* Seal i of a journaled list ({"der": base64}): its DER (malloc'd, *len
 * bytes) and, in hex, the SHA-256 a token's seal is known by; NULL (hex "")
 * when it is missing or not base64. */
static unsigned char *seal_der(json_object *seals, size_t i, size_t *len, char hex[65])
{
	json_object *v;
	const char *s = json_object_object_get_ex(json_object_array_get_idx(seals, i), "der", &v)
				? json_object_get_string(v) : NULL;
	unsigned char *der = s ? ukc_b64_decode(s, strlen(s), len, NULL) : NULL;

	hex[0] = '\0';
	if (der != NULL)
		ukc_sha256_hex(der, *len, hex);
	return der;
}

/* The certificate with CKA_ID id and value der, if present (0 otherwise). */
static int find_cert(struct ukey_conn *p, CK_SESSION_HANDLE s, const unsigned char *id, size_t id_len,
		     const unsigned char *der, size_t der_len, CK_OBJECT_HANDLE *out, struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0;
	int ret = ukey_conn_find(p, s, t, 2, h, 16, &n, e);

	*out = 0;
	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n && *out == 0; i++) {
		unsigned char *v = NULL;
		size_t len = 0;
		ret = ukey_conn_attr(p, s, h[i], CKA_VALUE, &v, &len, e);
		if (ret == UKEY_E_OK && len == der_len && memcmp(v, der, len) == 0)
			*out = h[i];
		free(v);
	}
	return ret;
}

/* Writes the certificate der with CKA_ID id unless it is there (an
 * interrupted run wrote it). */
static int put_cert(struct ukey_conn *p, CK_SESSION_HANDLE s, const unsigned char *id, size_t id_len,
		    const unsigned char *der, size_t der_len, const char *label, int enc, struct ukey_err *e)
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
					    !enc ? _("cannot write the new certificate to the U-KEY: %s")
						 : _("cannot write the new encryption certificate to the U-KEY: %s"),
					    ukey_p11_rv_name(rv));
	}
	return ret;
}

/* Whether h, a data object under a label step 6 planned for the seal sd,
 * is what an interrupted write of it left: no seal at all (SKF: a file
 * created, its content not yet written), or a file of the seal's size
 * that is not sd and does not decode (SKF writes a file in chunks of a
 * few KiB: a kill between two leaves its first bytes and zeros, which the
 * driver's look at the header takes for a seal). A seal that decodes is
 * never removed here (on SoftHSM the old seal has the same label). */
static int seal_leftover(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const unsigned char *sd,
			 size_t sl)
{
	unsigned char *v = NULL;
	size_t vl = 0;
	struct ukey_err probe;
	struct ukey_seal *seal = NULL;
	int app_seal, leftover;

	ukey_err_clear(&probe);
	app_seal = ukey_conn_attr(p, s, h, CKA_APPLICATION, &v, &vl, &probe) == UKEY_E_OK &&
		   vl == strlen(UKEY_SEAL_APPLICATION) && memcmp(v, UKEY_SEAL_APPLICATION, vl) == 0;
	free(v);
	if (!app_seal)
		return 1;
	v = NULL;
	if (ukey_conn_attr(p, s, h, CKA_VALUE, &v, &vl, &probe) != UKEY_E_OK)
		return 0;
	leftover = vl == sl && memcmp(v, sd, sl) != 0 && ukey_seal_decode(v, vl, &seal, NULL) != 0;
	ukey_seal_free(seal);
	free(v);
	return leftover;
}

/* The seal sd (sha256 hex) as a data object labelled label, unless a seal
 * with that content is on the token already. What an interrupted run left
 * under that label (seal_leftover; the label was free when step 6 planned
 * it, names.c) is removed first; seals are never touched here. */
static int put_seal(struct ukey_conn *p, CK_SESSION_HANDLE s, const char *label, const unsigned char *sd, size_t sl,
		    const char *hex, struct ukey_err *e)
{
	CK_OBJECT_CLASS dcls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE q[] = { { CKA_CLASS, &dcls, sizeof(dcls) }, { CKA_LABEL, (void *)label, strlen(label) } };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;
	struct ukey_token_seal *have = NULL;
	size_t nhave = 0, j;
	int ret = ukey_seal_list_token(p, s, &have, &nhave, e);
	CK_RV rv;

	for (j = 0; ret == UKEY_E_OK && j < nhave && strcmp(have[j].sha256, hex) != 0; j++)
		;
	ukey_token_seals_free(have, nhave);
	if (ret != UKEY_E_OK || j < nhave)
		return ret;
	ret = ukey_conn_find(p, s, q, 2, h, 8, &n, e);
	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n; i++) {
		if (!seal_leftover(p, s, h[i], sd, sl))
			continue;
		rv = p->f->C_DestroyObject(s, h[i]);
		if (rv != CKR_OK && rv != CKR_OBJECT_HANDLE_INVALID)
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("cannot remove the partly written seal %s: %s"), label,
					   ukey_p11_rv_name(rv));
	}
	if (ret == UKEY_E_OK) {
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &dcls, sizeof(dcls) }, { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &no, 1 },
			{ CKA_APPLICATION, (void *)UKEY_SEAL_APPLICATION, strlen(UKEY_SEAL_APPLICATION) },
			{ CKA_LABEL, (void *)label, strlen(label) }, { CKA_VALUE, (void *)sd, sl },
		};
		rv = p->f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h[0]);
		if (rv != CKR_OK)
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("cannot write the new seal %s to the U-KEY: %s"), label,
					   ukey_p11_rv_name(rv));
	}
	return ret;
}

int ukey_renew_write(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn,
		     const struct ukey_renew_key *k, const unsigned char *der, size_t der_len,
		     const unsigned char *enc_id, size_t enc_id_len, const unsigned char *enc_der, size_t enc_der_len,
		     json_object *seals, struct ukey_err *e)
{
	CK_OBJECT_HANDLE h = 0;
	struct ukey_token_seal *have = NULL;
	size_t nhave = 0, nseals = seals ? json_object_array_length(seals) : 0;
	json_object *labels = NULL;
	int ret = put_cert(p, s, k->id, k->id_len, der, der_len, ukey_journal_str(jn, "label_cert"), 0, e);

	if (ret != UKEY_E_OK)
		return ret;
	UKEY_FAILPOINT("write-cert-done");
	/* The encryption certificate goes with the encryption key's CKA_ID
	 * (SKF: into the new container, as its encryption certificate). */
	if (enc_der != NULL)
		ret = put_cert(p, s, enc_id, enc_id_len, enc_der, enc_der_len, ukey_journal_str(jn, "label_enc_cert"), 1,
			       e);
	if (ret == UKEY_E_OK && nseals > 0)
		ret = ukey_renew_seal_labels(p, s, jn, seals, e);
	if (ret == UKEY_E_OK && nseals > 0)
		json_object_object_get_ex(jn->j, "seal_labels", &labels);
	for (size_t i = 0; ret == UKEY_E_OK && i < nseals; i++) {
		size_t sl = 0;
		char hex[65];
		const char *label;
		unsigned char *sd = seal_der(seals, i, &sl, hex);
		if (sd == NULL)
			return ukey_err_set(e, UKEY_E_SERVICE, _("new seal %zu cannot be decoded"), i + 1);
		label = json_object_get_string(json_object_array_get_idx(labels, i));
		ret = label != NULL ? put_seal(p, s, label, sd, sl, hex, e)
				    : ukey_err_set(e, UKEY_E_ERROR, _("the journal %s is damaged; move it away to start over"),
						   jn->path);
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
		size_t sl = 0, j;
		char hex[65];
		free(seal_der(seals, i, &sl, hex));
		for (j = 0; j < nhave && strcmp(have[j].sha256, hex) != 0; j++)
			;
		if (j == nhave)
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("new seal %zu reads back different from what was written"), i + 1);
	}
	ukey_token_seals_free(have, nhave);
	return ret;
}

static int destroy_class(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const unsigned char *id,
			 size_t id_len, CK_RV *rv, struct ukey_err *e)
{
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;
	int ret = ukey_conn_find(p, s, t, 2, h, 8, &n, e);

	*rv = CKR_OK;
	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n && *rv == CKR_OK; i++)
		*rv = p->f->C_DestroyObject(s, h[i]);
	return ret;
}

/* A backend's "no" to a destroy, or an object already gone: noted, and
 * the renewal goes on (CKR_OK counts as no refusal to report). */
static int goes_on(CK_RV rv)
{
	return rv == CKR_OK || rv == CKR_ACTION_PROHIBITED || rv == CKR_FUNCTION_NOT_SUPPORTED ||
	       rv == CKR_OBJECT_HANDLE_INVALID;
}

int ukey_renew_retire(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn,
		      const struct ukey_renew_key *k, const unsigned char *old_der, size_t old_len,
		      json_object *old_seals, json_object *new_seals, struct ukey_err *e)
{
	unsigned char id[64];
	size_t id_len = 0, nhave = 0;
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv = CKR_OK;
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
		ret = ukey_renew_archive(p, s, jn, e);
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
		for (size_t j = 0; old && j < json_object_array_length(new_seals); j++) {
			size_t sl = 0;
			char hex[65];
			free(seal_der(new_seals, j, &sl, hex));
			old = strcmp(hex, have[i].sha256) != 0; /* given back unchanged: it stays */
		}
		if (old && p->f->C_DestroyObject(s, have[i].h) != CKR_OK)
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("cannot delete the replaced seal %s"), have[i].label);
	}
	ukey_token_seals_free(have, nhave);
	return ret;
}
