/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The skf driver's objects as PKCS#11 sees them: each container gives a
 * signing and an encryption pair (public key, private key after login,
 * certificate), each file a data object. Attributes are synthesised from
 * the inventory (scan.c) with full C_GetAttributeValue semantics; a
 * file's content is read when a template first asks for it (file.c). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

#define SKF_MAX_ATTRS 48

struct skf_attr {
	CK_ATTRIBUTE_TYPE type;
	const void *p;
	CK_ULONG len;
	bool sensitive;
};

struct skf_attrs {
	struct skf_attr a[SKF_MAX_ATTRS];
	size_t n;
	CK_BBOOL yes, no;
	CK_ULONG ul[8];
	size_t nul;
	char label[SKF_NAME_MAX + 40];
	uint8_t ec_point[UKEY_SKF_EC_POINT_DER_LEN];
};

static void put(struct skf_attrs *A, CK_ATTRIBUTE_TYPE type, const void *p, size_t len)
{
	if (A->n < SKF_MAX_ATTRS)
		A->a[A->n++] = (struct skf_attr){ type, p, (CK_ULONG)len, false };
}

static void put_bool(struct skf_attrs *A, CK_ATTRIBUTE_TYPE type, bool v)
{
	put(A, type, v ? &A->yes : &A->no, sizeof(CK_BBOOL));
}

static void put_ulong(struct skf_attrs *A, CK_ATTRIBUTE_TYPE type, CK_ULONG v)
{
	if (A->nul >= sizeof(A->ul) / sizeof(A->ul[0]))
		return;
	A->ul[A->nul] = v;
	put(A, type, &A->ul[A->nul++], sizeof(CK_ULONG));
}

static void put_sensitive(struct skf_attrs *A, CK_ATTRIBUTE_TYPE type)
{
	if (A->n < SKF_MAX_ATTRS)
		A->a[A->n++] = (struct skf_attr){ type, NULL, 0, true };
}

static void common(struct skf_attrs *A, CK_OBJECT_CLASS cls, bool priv, bool destroyable)
{
	A->yes = CK_TRUE;
	A->no = CK_FALSE;
	put_ulong(A, CKA_CLASS, cls);
	put_bool(A, CKA_TOKEN, true);
	put_bool(A, CKA_PRIVATE, priv);
	put_bool(A, CKA_MODIFIABLE, false);
	put_bool(A, CKA_COPYABLE, false);
	put_bool(A, CKA_DESTROYABLE, destroyable);
	put(A, CKA_LABEL, A->label, strlen(A->label));
}

/* "<container> sign|enc key|cert", and " (archived DATE)" for an archived
 * encryption pair (archive.c). */
static void pair_label(struct skf_attrs *A, const struct skf_dev *d, const struct skf_container *c, int usage,
		       const char *what)
{
	char date[11];
	int n = snprintf(A->label, sizeof(A->label), "%s %s %s", c->name, usage == SKF_SIGN ? "sign" : "enc", what);
	if (usage == SKF_ENC && n > 0 && ukey_skf_enc_archived(d, c, date))
		snprintf(A->label + n, sizeof(A->label) - (size_t)n, " (archived %s)", date);
}

static void key_attrs(struct ukey_skf *s, const struct skf_dev *d, struct skf_attrs *A,
		      const struct skf_container *c, int usage, bool priv)
{
	const struct skf_pair *p = &c->pair[usage];
	bool sign = usage == SKF_SIGN;
	pair_label(A, d, c, usage, "key");
	common(A, priv ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY, priv, priv && sign);
	put(A, CKA_ID, p->id, sizeof(p->id));
	put_ulong(A, CKA_KEY_TYPE, c->rsa ? CKK_RSA : CKK_SM2);
	/* The device made the signing pair; the encryption pair came in from
	 * the CA's key-management centre, wrapped. */
	put_bool(A, CKA_LOCAL, sign);
	put(A, CKA_START_DATE, NULL, 0);
	put(A, CKA_END_DATE, NULL, 0);
	put_bool(A, CKA_DERIVE, false);
	put(A, CKA_SUBJECT, p->subject, p->subjectlen);
	if (c->rsa) {
		put(A, CKA_MODULUS, p->modulus, p->modlen);
		put(A, CKA_PUBLIC_EXPONENT, p->exponent, p->explen);
	} else {
		ukey_skf_ec_point_der(p->point, A->ec_point);
		put(A, CKA_EC_PARAMS, ukey_skf_sm2_oid_der, sizeof(ukey_skf_sm2_oid_der));
		put(A, CKA_EC_POINT, A->ec_point, sizeof(A->ec_point));
	}
	if (!priv) {
		if (c->rsa)
			put_ulong(A, CKA_MODULUS_BITS, (CK_ULONG)p->modlen * 8);
		put_bool(A, CKA_VERIFY, sign);
		put_bool(A, CKA_ENCRYPT, !sign);
		put_bool(A, CKA_VERIFY_RECOVER, false);
		put_bool(A, CKA_WRAP, false);
		put_bool(A, CKA_TRUSTED, false);
		return;
	}
	put_bool(A, CKA_SIGN, sign);
	/* SKF decrypts only with SM2 (SKF_ECCDecrypt); an RSA encryption key
	 * can only unwrap SKF session keys, which PKCS#11 cannot reach. */
	put_bool(A, CKA_DECRYPT, !sign && !c->rsa && SKF_HAS(s, SKF_ECCDecrypt));
	put_bool(A, CKA_SIGN_RECOVER, false);
	put_bool(A, CKA_UNWRAP, false);
	put_bool(A, CKA_SENSITIVE, true);
	put_bool(A, CKA_EXTRACTABLE, false);
	put_bool(A, CKA_ALWAYS_SENSITIVE, true);
	put_bool(A, CKA_NEVER_EXTRACTABLE, true);
	put_bool(A, CKA_ALWAYS_AUTHENTICATE, false);
	put_bool(A, CKA_WRAP_WITH_TRUSTED, false);
	if (c->rsa) {
		put_sensitive(A, CKA_PRIVATE_EXPONENT);
		put_sensitive(A, CKA_PRIME_1);
		put_sensitive(A, CKA_PRIME_2);
		put_sensitive(A, CKA_EXPONENT_1);
		put_sensitive(A, CKA_EXPONENT_2);
		put_sensitive(A, CKA_COEFFICIENT);
	} else {
		put_sensitive(A, CKA_VALUE);
	}
}

static void cert_attrs(struct skf_attrs *A, const struct skf_dev *d, const struct skf_container *c, int usage)
{
	const struct skf_pair *p = &c->pair[usage];
	pair_label(A, d, c, usage, "cert");
	common(A, CKO_CERTIFICATE, false, false);
	put(A, CKA_ID, p->id, sizeof(p->id));
	put_ulong(A, CKA_CERTIFICATE_TYPE, CKC_X_509);
	put_ulong(A, CKA_CERTIFICATE_CATEGORY, 1);   /* token user */
	put_bool(A, CKA_TRUSTED, false);
	put(A, CKA_VALUE, p->cert, p->certlen);
	put(A, CKA_SUBJECT, p->subject, p->subjectlen);
	put(A, CKA_ISSUER, p->issuer, p->issuerlen);
	put(A, CKA_SERIAL_NUMBER, p->serial, p->seriallen);
	put(A, CKA_START_DATE, NULL, 0);
	put(A, CKA_END_DATE, NULL, 0);
	put(A, CKA_URL, NULL, 0);
	put_ulong(A, CKA_JAVA_MIDP_SECURITY_DOMAIN, 0);
}

static bool wanted(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (tmpl[i].type == type)
			return true;
	return false;
}

/* A file's content is read only for a template that asks for it: its
 * first bytes for CKA_APPLICATION, all of it for CKA_VALUE (file.c). */
static CK_RV data_attrs(struct ukey_skf *s, struct skf_dev *d, struct skf_attrs *A, struct skf_file *f,
			const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	bool value = wanted(tmpl, n, CKA_VALUE), app = wanted(tmpl, n, CKA_APPLICATION);
	CK_RV rv = value ? ukey_skf_file_load_inlock(s, d, f) : CKR_OK;
	if (rv == CKR_OK && app)
		rv = ukey_skf_file_sniff_inlock(s, d, f);
	if (rv != CKR_OK)
		return rv;
	snprintf(A->label, sizeof(A->label), "%s", f->name);
	common(A, CKO_DATA, f->priv, true);
	if (app && f->seal)
		put(A, CKA_APPLICATION, UKEY_SEAL_APPLICATION, strlen(UKEY_SEAL_APPLICATION));
	else if (app)
		put(A, CKA_APPLICATION, A->label, strlen(A->label));
	put(A, CKA_OBJECT_ID, NULL, 0);
	if (value)
		put(A, CKA_VALUE, f->value, f->len);
	return CKR_OK;
}

/* Builds the attributes of ref as the current login state shows it; for a
 * file, what tmpl asks for. */
static CK_RV build(struct ukey_skf *s, struct skf_dev *d, ukey_ref ref, struct skf_attrs *A,
		   const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	enum skf_kind kind;
	int usage;
	bool user = d->login == CKU_USER;
	memset(A, 0, sizeof(*A));
	ukey_skf_ref_split(ref, &kind, &usage);
	if (kind == SKF_K_DATA) {
		struct skf_file *f = ukey_skf_file(d, SKF_REF_ID(ref));
		if (!f || (f->priv && !user))
			return CKR_OBJECT_HANDLE_INVALID;
		return data_attrs(s, d, A, f, tmpl, n);
	}
	const struct skf_container *c = kind ? ukey_skf_container(d, SKF_REF_ID(ref)) : NULL;
	if (!c)
		return CKR_OBJECT_HANDLE_INVALID;
	const struct skf_pair *p = &c->pair[usage];
	if (kind == SKF_K_CERT && p->has_cert)
		cert_attrs(A, d, c, usage);
	else if (kind == SKF_K_PUB && p->has_key)
		key_attrs(s, d, A, c, usage, false);
	else if (kind == SKF_K_PRIV && p->has_key && user)
		key_attrs(s, d, A, c, usage, true);
	else
		return CKR_OBJECT_HANDLE_INVALID;
	return CKR_OK;
}

static CK_RV apply(const struct skf_attrs *A, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_RV rv = CKR_OK;
	for (CK_ULONG i = 0; i < n; i++) {
		const struct skf_attr *a = NULL;
		for (size_t k = 0; k < A->n && !a; k++)
			if (A->a[k].type == tmpl[i].type)
				a = &A->a[k];
		if (!a) {
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_ATTRIBUTE_TYPE_INVALID;
		} else if (a->sensitive) {
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_ATTRIBUTE_SENSITIVE;
		} else if (!tmpl[i].pValue) {
			tmpl[i].ulValueLen = a->len;
		} else if (tmpl[i].ulValueLen < a->len) {
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			if (a->len)
				memcpy(tmpl[i].pValue, a->p, a->len);
			tmpl[i].ulValueLen = a->len;
		}
	}
	return rv;
}

CK_RV ukey_skf_get_attrs(void *drv, ukey_dev_id dev, ukey_ref ref, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	struct skf_attrs A;
	CK_RV rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	rv = build(s, d, ref, &A, tmpl, n);
	if (rv == CKR_OK)
		rv = apply(&A, tmpl, n);
	ukey_skf_dev_unlock(d);
	return rv;
}

static void add_ref(ukey_ref *refs, CK_ULONG cap, CK_ULONG *n, ukey_ref ref)
{
	if (refs && *n < cap)
		refs[*n] = ref;
	(*n)++;
}

CK_RV ukey_skf_objects(void *drv, ukey_dev_id dev, ukey_ref *refs, CK_ULONG *count)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	CK_ULONG n = 0;
	bool user;
	CK_RV rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	/* The device is read once, and again when token/ says it may have
	 * changed (ukey_skf_reread): logging in lists the private objects of
	 * that same reading, without reading the device again. */
	if (!d->scanned)
		rv = ukey_skf_scan_inlock(s, d);
	if (rv != CKR_OK)
		goto out;
	user = d->login == CKU_USER;
	for (size_t i = 0; i < d->nconts; i++) {
		const struct skf_container *c = &d->conts[i];
		for (int u = SKF_SIGN; u <= SKF_ENC; u++) {
			if (c->pair[u].has_key)
				add_ref(refs, *count, &n, SKF_REF(SKF_K_PUB, u, c->id));
			if (c->pair[u].has_key && user)
				add_ref(refs, *count, &n, SKF_REF(SKF_K_PRIV, u, c->id));
			if (c->pair[u].has_cert)
				add_ref(refs, *count, &n, SKF_REF(SKF_K_CERT, u, c->id));
		}
	}
	for (size_t i = 0; i < d->nfiles; i++)
		if (!d->files[i].priv || user)
			add_ref(refs, *count, &n, SKF_REF(SKF_K_DATA, 0, d->files[i].id));
	if (refs && n > *count)
		rv = CKR_BUFFER_TOO_SMALL;
	*count = n;
out:
	ukey_skf_dev_unlock(d);
	return rv;
}

void ukey_skf_reread(void *drv, ukey_dev_id dev)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	if (ukey_skf_dev_lock(s, dev, &d) != CKR_OK)
		return;   /* gone or not connectable: the next call says so */
	d->scanned = false;
	ukey_skf_dev_unlock(d);
}
