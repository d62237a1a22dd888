/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* names.c: the labels of what a renewal makes, chosen before step 1 and
 * kept in the journal (docs/renewal.md, "Labels"). A new object gets, once
 * and for ever, the label the CA gave the object it replaces, so the token
 * shows what a fresh U-KEY shows; nothing is relabelled later (SoftHSM
 * rewrites an object file in place to relabel it, and a kill inside that
 * write destroys the object). Pending-ness lives in the journal (the
 * CKA_IDs and names recorded here before anything is made), not in labels.
 *
 * A container backend (SKF) names keys and certificates after their
 * container, "<name> sign key", "<name> sign cert": there the new
 * container takes the old one's name without a "-N" ending, or with the
 * first "-2", "-3"... that no object uses; and new seals, being files with
 * unique names of at most 32 bytes, take their own name or the first free
 * "<name>-2"... Elsewhere a new seal is labelled with its name. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ukey-base.h"
#include "renew.h"

#define MAX_OBJECTS 256
#define SEAL_LABEL_MAX 32

/* The labels of every object of class cls (all when cls is -1), one a
 * line in a malloc'd string ("\n" first and after each). */
static int labels_of(struct ukey_conn *p, CK_SESSION_HANDLE s, long cls, char **out, struct ukey_err *e)
{
	CK_OBJECT_CLASS c = (CK_OBJECT_CLASS)cls;
	CK_ATTRIBUTE t = { CKA_CLASS, &c, sizeof(c) };
	CK_OBJECT_HANDLE h[MAX_OBJECTS];
	CK_ULONG n = 0;
	size_t len = 2;
	int ret = ukey_conn_find(p, s, &t, cls < 0 ? 0 : 1, h, MAX_OBJECTS, &n, e);

	*out = ret == UKEY_E_OK ? strdup("\n") : NULL;
	if (ret == UKEY_E_OK && *out == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < n; i++) {
		unsigned char *v = NULL;
		size_t vl = 0;
		struct ukey_err probe;
		char *grown;
		ukey_err_clear(&probe);
		if (ukey_conn_attr(p, s, h[i], CKA_LABEL, &v, &vl, &probe) != UKEY_E_OK) {
			free(v);
			continue;
		}
		grown = realloc(*out, len + vl + 1);
		if (grown == NULL) {
			free(v);
			return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
		}
		*out = grown;
		memcpy(*out + len - 1, v, vl);
		len += vl + 1;
		(*out)[len - 2] = '\n';
		(*out)[len - 1] = '\0';
		free(v);
	}
	return ret;
}

/* Whether "\n<prefix>" starts a line of list (prefix: a label or its start). */
static int listed(const char *list, const char *prefix, int whole)
{
	size_t n = strlen(prefix);

	for (const char *q = strchr(list, '\n'); q != NULL; q = strchr(q + 1, '\n'))
		if (strncmp(q + 1, prefix, n) == 0 && (!whole || q[1 + n] == '\n'))
			return 1;
	return 0;
}

/* name cut to at most max bytes, not inside a UTF-8 sequence. */
static void cut_utf8(char *name, size_t max)
{
	size_t n = strlen(name);

	if (n <= max)
		return;
	n = max;
	while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
		n--;
	name[n] = '\0';
}

/* base without a "-<digits>" ending (a name a renewal gave before). */
static void strip_number(char *base)
{
	char *dash = strrchr(base, '-');

	if (dash != NULL && dash != base && dash[1] != '\0' && strspn(dash + 1, "0123456789") == strlen(dash + 1))
		*dash = '\0';
}

/* The first of base, base-2, base-3... (at most max bytes) that no object
 * in list uses: as a container (no label "<it> sign ..." or "<it> enc
 * ...") or as a label; -1 when none up to 99 is free. */
static int first_free(const char *base_in, size_t max, const char *list, int container, char *out, size_t outlen)
{
	char base[160];

	snprintf(base, sizeof(base), "%s", base_in);
	cut_utf8(base, max - 3);
	for (int k = 1; k < 100; k++) {
		char sign[200], enc[200];
		if (k == 1)
			snprintf(out, outlen, "%s", base);
		else
			snprintf(out, outlen, "%s-%d", base, k);
		if (container) {
			snprintf(sign, sizeof(sign), "%s sign ", out);
			snprintf(enc, sizeof(enc), "%s enc ", out);
			if (!listed(list, sign, 0) && !listed(list, enc, 0))
				return 0;
		} else if (!listed(list, out, 1)) {
			return 0;
		}
	}
	return -1;
}

/* The subject's common name, or "". */
static void common_name(const unsigned char *der, size_t len, char *out, size_t outlen)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	X509_NAME *nm = x ? X509_get_subject_name(x) : NULL;
	int i = nm ? X509_NAME_get_index_by_NID(nm, NID_commonName, -1) : -1;
	unsigned char *utf8 = NULL;
	int n = i >= 0 ? ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i))) : -1;

	snprintf(out, outlen, "%.*s", n > 0 ? n : 0, n > 0 ? (char *)utf8 : "");
	OPENSSL_free(utf8);
	X509_free(x);
}

/* The label of the private key with CKA_ID id, or "". */
static void key_label(struct ukey_conn *p, CK_SESSION_HANDLE s, const unsigned char *id, size_t id_len, char *out,
		      size_t outlen)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;
	unsigned char *v = NULL;
	size_t vl = 0;
	struct ukey_err probe;

	ukey_err_clear(&probe);
	out[0] = '\0';
	if (ukey_conn_find(p, s, t, 2, &h, 1, &n, &probe) == UKEY_E_OK && n == 1 &&
	    ukey_conn_attr(p, s, h, CKA_LABEL, &v, &vl, &probe) == UKEY_E_OK)
		snprintf(out, outlen, "%.*s", (int)vl, (char *)v);
	free(v);
}

/* The current encryption certificate: for encryption only, not archived,
 * the latest notAfter. */
static const struct ukey_cert *current_enc(const struct ukey_cert *c, size_t n)
{
	const struct ukey_cert *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (c[i].encrypt && !c[i].sign && strstr(c[i].label, " (archived ") == NULL &&
		    (best == NULL || c[i].not_after > best->not_after))
			best = &c[i];
	return best;
}

static int random_id(struct ukey_journal *jn, const char *key, struct ukey_err *e)
{
	unsigned char id[8];
	char *hex;

	if (RAND_bytes(id, sizeof(id)) != 1 || (hex = ukey_hex(id, sizeof(id))) == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("no randomness for the new key's CKA_ID"));
	ukey_journal_set_str(jn, key, hex);
	free(hex);
	return UKEY_E_OK;
}

int ukey_renew_names(struct ukey_conn *p, CK_SESSION_HANDLE s, const struct ukey_cert *certs, size_t ncerts,
		     const struct ukey_cert *old, struct ukey_journal *jn, struct ukey_err *e)
{
	const struct ukey_cert *enc = current_enc(certs, ncerts);
	char klabel[256], elabel[256], cn[256], name[80], buf[200], *list = NULL;
	size_t kl;
	int ret = random_id(jn, "pending_key_id", e);

	if (ret == UKEY_E_OK)
		ret = random_id(jn, "pending_enc_id", e);
	if (ret != UKEY_E_OK)
		return ret;
	key_label(p, s, old->id, old->id_len, klabel, sizeof(klabel));
	common_name(old->der, old->der_len, cn, sizeof(cn));
	kl = strlen(klabel);
	/* "<X> sign key" with a certificate "<X> sign cert": a container
	 * backend, which names what it holds after the container. */
	if (kl > 9 && strcmp(klabel + kl - 9, " sign key") == 0 && strlen(old->label) == kl + 1 &&
	    strncmp(old->label, klabel, kl - 4) == 0 && strcmp(old->label + kl - 4, " cert") == 0) {
		klabel[kl - 9] = '\0';
		strip_number(klabel);
		ret = labels_of(p, s, -1, &list, e);
		if (ret == UKEY_E_OK && first_free(klabel, 64, list, 1, name, sizeof(name)) != 0)
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("no free container name for the new key on the U-KEY"));
		if (ret == UKEY_E_OK) {
			ukey_journal_set_str(jn, "label_key", name);
			snprintf(buf, sizeof(buf), "%s sign key", name);
			ukey_journal_set_str(jn, "find_key", buf);
			snprintf(buf, sizeof(buf), "%s sign cert", name);
			ukey_journal_set_str(jn, "label_cert", buf);
			snprintf(buf, sizeof(buf), "%s enc key", name);
			ukey_journal_set_str(jn, "label_enc_key", buf);
			snprintf(buf, sizeof(buf), "%s enc cert", name);
			ukey_journal_set_str(jn, "label_enc_cert", buf);
		}
		free(list);
		return ret;
	}
	/* Labels stored with each object: the CA's, or the subject's name. */
	ukey_journal_set_str(jn, "label_key", klabel[0] ? klabel : cn[0] ? cn : "ukey signing key");
	ukey_journal_set_str(jn, "label_cert", old->label[0] ? old->label : cn[0] ? cn : "ukey signing certificate");
	elabel[0] = '\0';
	if (enc != NULL)
		key_label(p, s, enc->id, enc->id_len, elabel, sizeof(elabel));
	ukey_journal_set_str(jn, "label_enc_key", elabel[0] ? elabel : cn[0] ? cn : "ukey encryption key");
	ukey_journal_set_str(jn, "label_enc_cert",
			     enc && enc->label[0] ? enc->label : cn[0] ? cn : "ukey encryption certificate");
	ukey_journal_set_str(jn, "find_key", "");
	return UKEY_E_OK;
}

int ukey_renew_seal_labels(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn, json_object *seals,
			   struct ukey_err *e)
{
	size_t n = seals ? json_object_array_length(seals) : 0;
	json_object *have = NULL, *plan;
	char *list = NULL, label[SEAL_LABEL_MAX + 8], *grown;
	int unique = ukey_journal_str(jn, "find_key")[0] != '\0', ret;

	if (json_object_object_get_ex(jn->j, "seal_labels", &have) && json_object_is_type(have, json_type_array) &&
	    json_object_array_length(have) == n)
		return UKEY_E_OK; /* planned by an interrupted run */
	ret = labels_of(p, s, CKO_DATA, &list, e);
	plan = json_object_new_array();
	for (size_t i = 0; ret == UKEY_E_OK && i < n; i++) {
		json_object *v;
		const char *nm = json_object_object_get_ex(json_object_array_get_idx(seals, i), "name", &v)
					 ? json_object_get_string(v) : NULL;
		/* Unique names where names are file names (a container
		 * backend: SKF); else the seal's own name, as the CA writes it. */
		if (!unique) {
			snprintf(label, sizeof(label), "%s", nm && nm[0] ? nm : "seal");
			cut_utf8(label, SEAL_LABEL_MAX);
		} else if (first_free(nm && nm[0] ? nm : "seal", SEAL_LABEL_MAX, list, 0, label, sizeof(label)) != 0) {
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("no free name for new seal %zu on the U-KEY"), i + 1);
			break;
		}
		json_object_array_add(plan, json_object_new_string(label));
		/* the planned names are taken too */
		grown = realloc(list, strlen(list) + strlen(label) + 2);
		if (grown == NULL) {
			ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
			break;
		}
		list = grown;
		strcat(strcat(list, label), "\n");
	}
	free(list);
	if (ret != UKEY_E_OK) {
		json_object_put(plan);
		return ret;
	}
	json_object_object_add(jn->j, "seal_labels", plan);
	/* Durable before the first file exists: a rerun finds what it left
	 * by these names. */
	return ukey_journal_save(jn, e);
}
