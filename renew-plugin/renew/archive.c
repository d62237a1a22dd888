/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* archive.c: step 7's old encryption pairs. They are never deleted (old
 * documents need them) and never rewritten: relabelling an object in place
 * (C_SetAttributeValue) is, on SoftHSM, a truncate and a write of its file,
 * and a kill between the two destroys the key. So an old pair is archived
 * by copies: each of its objects (certificate, public key, then private
 * key) is copied by the token (C_CopyObject) under "<label> (archived
 * DATE)", and the original is destroyed only once a complete copy is on
 * the token. A run killed anywhere in this leaves the original, or the
 * original and its copy (the rerun destroys the original), never less. A
 * backend that labels archived pairs itself (SKF derives it from what the
 * device holds, docs/skf.md) shows " (archived " already and is left
 * alone; one that cannot copy (CKR_ACTION_PROHIBITED) keeps the pair as it
 * is. DATE is the journal's "archive_date", fixed at the first try. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ukey-base.h"
#include "renew.h"

#define MAX_KEYS 64
#define ARCHIVED " (archived "

/* An encryption key: its certificate (same CKA_ID) is for encryption only;
 * without a certificate, a key that cannot sign. (Imported keys often
 * carry every usage flag, so the certificate decides first.) */
static int is_enc_key(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, const unsigned char *id,
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

	ukey_err_clear(&probe);
	if (ukey_conn_find(p, s, t, 2, h, 4, &n, &probe) != UKEY_E_OK)
		n = 0;
	for (CK_ULONG i = 0; i < n && enc != 0; i++) {
		unsigned char *der = NULL;
		size_t len = 0;
		const unsigned char *q;
		X509 *x = NULL;
		if (ukey_conn_attr(p, s, h[i], CKA_VALUE, &der, &len, &probe) == UKEY_E_OK) {
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

static int has_label(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, char *out, size_t outlen)
{
	unsigned char *v = NULL;
	size_t vl = 0;
	struct ukey_err probe;
	int ok;

	ukey_err_clear(&probe);
	ok = ukey_conn_attr(p, s, h, CKA_LABEL, &v, &vl, &probe) == UKEY_E_OK;
	snprintf(out, outlen, "%.*s", ok ? (int)(vl < 200 ? vl : 200) : 0, ok && v ? (char *)v : "");
	free(v);
	return ok;
}

/* The value that tells a copy is whole: a certificate's DER, a key's
 * modulus or curve (SoftHSM writes a copy in one go once its attributes
 * are all there, so a copy that has one has them all). */
static CK_ATTRIBUTE_TYPE witness(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt)
{
	if (cls == CKO_CERTIFICATE)
		return CKA_VALUE;
	return kt == CKK_RSA ? CKA_MODULUS : CKA_EC_PARAMS;
}

static int same_value(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE a, CK_OBJECT_HANDLE b,
		      CK_ATTRIBUTE_TYPE t)
{
	unsigned char *va = NULL, *vb = NULL;
	size_t la = 0, lb = 0;
	struct ukey_err probe;
	int same;

	ukey_err_clear(&probe);
	same = ukey_conn_attr(p, s, a, t, &va, &la, &probe) == UKEY_E_OK &&
	       ukey_conn_attr(p, s, b, t, &vb, &lb, &probe) == UKEY_E_OK && la > 0 && la == lb &&
	       memcmp(va, vb, la) == 0;
	free(va);
	free(vb);
	return same;
}

/* One class of the pair with CKA_ID id: a whole archived copy made if
 * there is none, then the originals destroyed. *refused when the backend
 * cannot copy. */
static int archive_class(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt,
			 const unsigned char *id, size_t id_len, const char *date, int *refused, struct ukey_err *e)
{
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	CK_OBJECT_HANDLE h[8], copy = 0, orig[8];
	CK_ULONG n = 0, norig = 0;
	char label[256];
	int ret = ukey_conn_find(p, s, t, 2, h, 8, &n, e);

	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n; i++) {
		if (!has_label(p, s, h[i], label, sizeof(label)))
			continue;
		if (strstr(label, ARCHIVED) == NULL)
			orig[norig++] = h[i];
		else if (copy == 0)
			copy = h[i];
	}
	if (ret != UKEY_E_OK || norig == 0)
		return ret;
	if (copy == 0) {
		char nl[300];
		CK_ATTRIBUTE l = { CKA_LABEL, nl, 0 };
		CK_RV rv;
		has_label(p, s, orig[0], label, sizeof(label));
		l.ulValueLen = (CK_ULONG)snprintf(nl, sizeof(nl), "%s%s%s)", label, ARCHIVED, date);
		rv = p->f->C_CopyObject(s, orig[0], &l, 1, &copy);
		if (rv == CKR_ACTION_PROHIBITED || rv == CKR_FUNCTION_NOT_SUPPORTED) {
			(*refused)++;
			return UKEY_E_OK;
		}
		if (rv != CKR_OK)
			return ukey_err_set(e, UKEY_E_TOKEN, _("cannot copy an old encryption key to archive it: %s"),
					    ukey_p11_rv_name(rv));
	}
	/* The original goes only when the copy holds what it holds. */
	for (CK_ULONG i = 0; i < norig; i++) {
		CK_RV rv;
		if (!same_value(p, s, copy, orig[i], witness(cls, kt)))
			return ukey_err_set(e, UKEY_E_TOKEN, _("the archived copy of an old encryption key differs from "
							       "it; both are kept"));
		rv = p->f->C_DestroyObject(s, orig[i]);
		if (rv != CKR_OK && rv != CKR_OBJECT_HANDLE_INVALID)
			return ukey_err_set(e, UKEY_E_TOKEN, _("cannot remove an old encryption key after archiving it: %s"),
					    ukey_p11_rv_name(rv));
	}
	return UKEY_E_OK;
}

int ukey_renew_archive(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn, struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_OBJECT_HANDLE h[MAX_KEYS];
	CK_ULONG n = 0;
	unsigned char nid[64];
	size_t nid_len = 0;
	int ret = ukey_conn_find(p, s, t, 1, h, MAX_KEYS, &n, e), done = 0, kept = 0;
	char date[16] = "", note[300];

	if (ukey_unhex(ukey_journal_str(jn, "enc_key_id"), nid, sizeof(nid), &nid_len) != 0)
		nid_len = 0;
	snprintf(date, sizeof(date), "%s", ukey_journal_str(jn, "archive_date"));
	if (date[0] == '\0') {
		time_t now = time(NULL);
		struct tm tm;
		if (localtime_r(&now, &tm) != NULL)
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		ukey_journal_set_str(jn, "archive_date", date);
	}
	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n; i++) {
		unsigned char *id = NULL;
		size_t id_len = 0;
		char label[256];
		CK_KEY_TYPE kt = CKK_RSA;
		CK_ATTRIBUTE ka = { CKA_KEY_TYPE, &kt, sizeof(kt) };
		int refused = 0;
		struct ukey_err probe;

		ukey_err_clear(&probe);
		/* A key whose id or label cannot be read is left alone. */
		if (ukey_conn_attr(p, s, h[i], CKA_ID, &id, &id_len, &probe) != UKEY_E_OK ||
		    (id_len == nid_len && memcmp(id, nid, id_len) == 0) || !has_label(p, s, h[i], label, sizeof(label)) ||
		    strstr(label, ARCHIVED) != NULL || !is_enc_key(p, s, h[i], id, id_len) ||
		    p->f->C_GetAttributeValue(s, h[i], &ka, 1) != CKR_OK) {
			kept += id != NULL && strstr(label, ARCHIVED) != NULL;
			free(id);
			continue;
		}
		/* The private key last: while it has its label, the rerun
		 * finds this pair again. */
		ret = archive_class(p, s, CKO_CERTIFICATE, kt, id, id_len, date, &refused, e);
		if (ret == UKEY_E_OK && !refused)
			ret = archive_class(p, s, CKO_PUBLIC_KEY, kt, id, id_len, date, &refused, e);
		if (ret == UKEY_E_OK && !refused)
			ret = archive_class(p, s, CKO_PRIVATE_KEY, kt, id, id_len, date, &refused, e);
		if (refused)
			kept++;
		else
			done++;
		free(id);
	}
	snprintf(note, sizeof(note),
		 "old encryption keys and certificates kept (never deleted): %d archived now (copied under an archived "
		 "label, the original removed once the copy was whole), %d kept as they were (archived before, "
		 "labelled by the backend, or the backend cannot copy)", done, kept);
	ukey_journal_note(jn, note);
	return ret;
}
