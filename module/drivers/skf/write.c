/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The skf driver's writes: certificates into the container whose pair has
 * the template's CKA_ID, data objects as files, key pairs in new containers,
 * and what can be deleted (files; a container, through its signing private
 * key; the signing pair of a container that keeps its encryption pair is
 * retired instead, retire.c). SKF has no labels or ids to change, so
 * set_attrs always refuses. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "hex.h"
#include "ukey-pkcs11.h"
#include "util/log.h"

#define SKF_WRITE_CHUNK 2048

static const CK_ATTRIBUTE *find(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

/* A template string attribute as a C string of at most max bytes. */
static CK_RV text(const CK_ATTRIBUTE *a, char *out, size_t max)
{
	if (!a->pValue || a->ulValueLen == 0 || a->ulValueLen > max ||
	    memchr(a->pValue, '\0', a->ulValueLen))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(out, a->pValue, a->ulValueLen);
	out[a->ulValueLen] = '\0';
	return CKR_OK;
}

static int bool_attr(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, int dflt)
{
	const CK_ATTRIBUTE *a = find(t, n, type);
	if (!a)
		return dflt;
	if (a->ulValueLen != sizeof(CK_BBOOL) || !a->pValue)
		return -1;
	return *(const CK_BBOOL *)a->pValue ? 1 : 0;
}

static const struct skf_container *container_named(struct skf_dev *d, const char *name)
{
	for (size_t i = 0; i < d->nconts; i++)
		if (strcmp(d->conts[i].name, name) == 0)
			return &d->conts[i];
	return NULL;
}

CK_RV ukey_skf_set_attrs(void *drv, ukey_dev_id dev, ukey_ref ref, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	(void)drv, (void)dev, (void)ref, (void)tmpl, (void)n;
	return CKR_ATTRIBUTE_READ_ONLY;
}

/* ---- create ---- */

static CK_RV create_cert(struct ukey_skf *s, struct skf_dev *d, const CK_ATTRIBUTE *t, CK_ULONG n,
			 ukey_ref *out)
{
	const CK_ATTRIBUTE *id = find(t, n, CKA_ID), *value = find(t, n, CKA_VALUE);
	const CK_ATTRIBUTE *ctype = find(t, n, CKA_CERTIFICATE_TYPE);
	const struct skf_container *c = NULL;
	int usage = SKF_SIGN;
	SKF_HANDLE h;
	CK_RV rv;
	if (ctype && (ctype->ulValueLen != sizeof(CK_ULONG) || !ctype->pValue ||
		      *(const CK_ULONG *)ctype->pValue != CKC_X_509))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (!id || !value || !value->pValue || value->ulValueLen == 0)
		return CKR_TEMPLATE_INCOMPLETE;
	/* CKA_IDs derive from container names. A container another process
	 * made through the module is in the reading: token/ has it read again
	 * when the token's generation moved (write.c). */
	rv = d->scanned ? CKR_OK : ukey_skf_scan_inlock(s, d);
	for (size_t i = 0; rv == CKR_OK && !c && i < d->nconts; i++)
		for (int u = SKF_SIGN; u <= SKF_ENC && !c; u++)
			/* (a retired pair has no key, and no id) */
			if (d->conts[i].pair[u].has_key && id->ulValueLen == 8 && id->pValue &&
			    memcmp(d->conts[i].pair[u].id, id->pValue, 8) == 0) {
				c = &d->conts[i];
				usage = u;
			}
	if (rv != CKR_OK)
		return rv;
	if (!c) {
		ukey_warn("SKF device %s: no container pair has the certificate's CKA_ID", d->name);
		return CKR_TEMPLATE_INCONSISTENT;
	}
	char name[SKF_NAME_MAX + 1];
	uint32_t cid = c->id;
	strcpy(name, c->name);
	rv = ukey_skf_container_open(s, d, name, &h);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_skf_note_inlock(d, "SKF_ImportCertificate",
				  SKF_RAW(s, SKF_ImportCertificate, h, usage == SKF_SIGN ? SKF_TRUE : SKF_FALSE,
					  value->pValue, (SKF_ULONG)value->ulValueLen));
	ukey_skf_container_close(s, h);
	if (rv == CKR_OK)
		rv = ukey_skf_cert_stored_inlock(s, d, cid, usage, value->pValue, value->ulValueLen);
	*out = SKF_REF(SKF_K_CERT, usage, cid);
	return rv;
}

static CK_RV create_data(struct ukey_skf *s, struct skf_dev *d, const CK_ATTRIBUTE *t, CK_ULONG n,
			 ukey_ref *out)
{
	const CK_ATTRIBUTE *label = find(t, n, CKA_LABEL), *value = find(t, n, CKA_VALUE);
	int priv = bool_attr(t, n, CKA_PRIVATE, 0);
	const uint8_t *data = value && value->pValue ? value->pValue : NULL;
	SKF_ULONG len = data ? (SKF_ULONG)value->ulValueLen : 0;
	char name[33];
	CK_RV rv;
	if (!label)
		return CKR_TEMPLATE_INCOMPLETE;
	if (priv < 0 || (value && value->ulValueLen > 0 && !data) || (value && value->ulValueLen > UINT32_MAX))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	/* An SKF file has a size above 0 (SKF_CreateFile refuses 0 with an
	 * error that is no code C_CreateObject may return). */
	if (len == 0)
		return value ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_TEMPLATE_INCOMPLETE;
	rv = text(label, name, 32);   /* SKF file names are at most 32 bytes */
	if (rv != CKR_OK)
		return rv;
	if (ukey_skf_retired_file(name)) {
		ukey_warn("SKF device %s: the file name %s is the driver's own", d->name, name);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	rv = ukey_skf_note_inlock(d, "SKF_CreateFile",
				  SKF_RAW(s, SKF_CreateFile, d->happ, name, len,
					  priv ? SKF_SECURE_USER_ACCOUNT : SKF_SECURE_ANYONE_ACCOUNT,
					  SKF_SECURE_USER_ACCOUNT));
	for (SKF_ULONG off = 0; rv == CKR_OK && off < len; off += SKF_WRITE_CHUNK) {
		SKF_ULONG chunk = len - off < SKF_WRITE_CHUNK ? len - off : SKF_WRITE_CHUNK;
		rv = ukey_skf_note_inlock(d, "SKF_WriteFile",
					  SKF_RAW(s, SKF_WriteFile, d->happ, name, off, data + off, chunk));
		if (rv != CKR_OK && rv != CKR_DEVICE_REMOVED)
			(void)SKF_RAW(s, SKF_DeleteFile, d->happ, name);   /* no half-written object */
	}
	if (rv == CKR_OK)
		rv = ukey_skf_file_added_inlock(s, d, name, len, priv);
	for (size_t i = 0; rv == CKR_OK && i < d->nfiles; i++)
		if (strcmp(d->files[i].name, name) == 0) {
			*out = SKF_REF(SKF_K_DATA, 0, d->files[i].id);
			return CKR_OK;
		}
	return rv == CKR_OK ? CKR_FUNCTION_FAILED : rv;
}

CK_RV ukey_skf_create(void *drv, ukey_dev_id dev, const CK_ATTRIBUTE *tmpl, CK_ULONG n, ukey_ref *out)
{
	struct ukey_skf *s = drv;
	const CK_ATTRIBUTE *c = find(tmpl, n, CKA_CLASS);
	struct skf_dev *d;
	CK_OBJECT_CLASS cls;
	CK_RV rv;
	if (!c)
		return CKR_TEMPLATE_INCOMPLETE;
	if (c->ulValueLen != sizeof(cls) || !c->pValue)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(&cls, c->pValue, sizeof(cls));
	if (cls != CKO_CERTIFICATE && cls != CKO_DATA)
		return CKR_TEMPLATE_INCONSISTENT;   /* keys come from generate_key_pair only */
	rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	rv = cls == CKO_CERTIFICATE ? create_cert(s, d, tmpl, n, out) : create_data(s, d, tmpl, n, out);
	ukey_skf_dev_unlock(d);
	return rv;
}

/* ---- destroy ---- */

CK_RV ukey_skf_destroy(void *drv, ukey_dev_id dev, ukey_ref ref)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	enum skf_kind kind;
	int usage;
	CK_RV rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	ukey_skf_ref_split(ref, &kind, &usage);
	if (kind == SKF_K_DATA) {
		const struct skf_file *f = ukey_skf_file(d, SKF_REF_ID(ref));
		rv = f ? ukey_skf_note_inlock(d, "SKF_DeleteFile", SKF_RAW(s, SKF_DeleteFile, d->happ, f->name))
		       : CKR_OBJECT_HANDLE_INVALID;
	} else {
		const struct skf_container *c = kind ? ukey_skf_container(d, SKF_REF_ID(ref)) : NULL;
		const struct skf_pair *p = c ? &c->pair[usage] : NULL;
		if (!p || !(kind == SKF_K_CERT ? p->has_cert : p->has_key))
			rv = CKR_OBJECT_HANDLE_INVALID;
		else if (usage == SKF_SIGN && c->pair[SKF_ENC].has_key)
			/* SKF deletes whole containers, and the encryption
			 * pair must stay: the signing pair (certificate and
			 * keys together) is retired, never listed again. */
			rv = ukey_skf_retire_inlock(s, d, c);
		else if (kind == SKF_K_PRIV && usage == SKF_SIGN)
			/* No encryption pair: the signing private key stands
			 * for its container, certificate included. */
			rv = ukey_skf_note_inlock(d, "SKF_DeleteContainer",
						  SKF_RAW(s, SKF_DeleteContainer, d->happ, c->name));
		else
			/* No SKF call removes one certificate or one key, and
			 * encryption keys stay (old documents need them). */
			rv = CKR_ACTION_PROHIBITED;
	}
	if (rv == CKR_OK && kind == SKF_K_DATA)
		rv = ukey_skf_file_removed_inlock(s, d, SKF_REF_ID(ref));
	else if (rv == CKR_OK)
		rv = ukey_skf_pair_removed_inlock(s, d, SKF_REF_ID(ref), usage);
	ukey_skf_dev_unlock(d);
	return rv;
}

/* ---- key-pair generation ---- */

/* An empty container (no key, no certificate) is what a program killed
 * between SKF_CreateContainer and the key generation leaves: the same
 * request made again generates into it instead of failing for ever. */
static bool container_empty(const struct skf_container *c)
{
	for (int u = SKF_SIGN; u <= SKF_ENC; u++)
		if (c->pair[u].has_key || c->pair[u].has_cert)
			return false;
	return true;
}

static CK_RV keygen_name(struct skf_dev *d, const CK_ATTRIBUTE *priv, CK_ULONG npriv, char *name, bool *reuse)
{
	const CK_ATTRIBUTE *label = find(priv, npriv, CKA_LABEL);
	const struct skf_container *c;
	unsigned char r[6];
	*reuse = false;
	if (label) {
		CK_RV rv = text(label, name, SKF_NAME_MAX);
		if (rv == CKR_OK && (c = container_named(d, name)) != NULL) {
			*reuse = container_empty(c);
			if (!*reuse) {
				ukey_warn("SKF device %s: container %s exists already", d->name, name);
				rv = CKR_ATTRIBUTE_VALUE_INVALID;
			}
		}
		return rv;
	}
	do {
		if (RAND_bytes(r, sizeof(r)) != 1)
			return CKR_FUNCTION_FAILED;
		memcpy(name, "ukey-", 5);
		ukc_hex_encode(r, sizeof(r), name + 5, false);
	} while (container_named(d, name));
	return CKR_OK;
}

static CK_RV keygen_check(CK_MECHANISM_TYPE mech, const CK_ATTRIBUTE *pub, CK_ULONG npub, SKF_ULONG *bits)
{
	static const CK_BYTE f4[] = { 0x01, 0x00, 0x01 };
	const CK_ATTRIBUTE *a;
	if (mech == CKM_SM2_KEY_PAIR_GEN) {
		a = find(pub, npub, CKA_EC_PARAMS);
		if (a && (a->ulValueLen != sizeof(ukey_skf_sm2_oid_der) || !a->pValue ||
			  memcmp(a->pValue, ukey_skf_sm2_oid_der, a->ulValueLen) != 0))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		return CKR_OK;
	}
	if (mech != CKM_RSA_PKCS_KEY_PAIR_GEN)
		return CKR_MECHANISM_INVALID;
	a = find(pub, npub, CKA_MODULUS_BITS);
	if (!a)
		return CKR_TEMPLATE_INCOMPLETE;
	if (a->ulValueLen != sizeof(CK_ULONG) || !a->pValue)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	CK_ULONG b = *(const CK_ULONG *)a->pValue;
	if (b != 1024 && b != 2048)
		return CKR_KEY_SIZE_RANGE;
	*bits = (SKF_ULONG)b;
	/* SKF_GenRSAKeyPair always uses 65537. */
	a = find(pub, npub, CKA_PUBLIC_EXPONENT);
	if (a && (!a->pValue || a->ulValueLen < 3 || memcmp((const CK_BYTE *)a->pValue + a->ulValueLen - 3, f4, 3) != 0))
		return CKR_TEMPLATE_INCONSISTENT;
	return CKR_OK;
}

/* The new pair's public-key blob goes to rsa or ecc. */
static CK_RV keygen_in(struct ukey_skf *s, struct skf_dev *d, SKF_HANDLE h, CK_MECHANISM_TYPE mech,
		       SKF_ULONG bits, SKF_RSAPUBLICKEYBLOB *rsa, SKF_ECCPUBLICKEYBLOB *ecc)
{
	SKF_ULONG raw, ids[2];
	size_t n;
	if (mech == CKM_RSA_PKCS_KEY_PAIR_GEN)
		return ukey_skf_note_inlock(d, "SKF_GenRSAKeyPair", SKF_RAW(s, SKF_GenRSAKeyPair, h, bits, rsa));
	/* Two conventions number SM2 signing (the sm2-id quirks): the next id
	 * is the other convention, not a second try of anything secret. */
	n = ukey_skf_quirks_sm2_ids(&s->q, ids);
	raw = SKF_RAW(s, SKF_GenECCKeyPair, h, ids[0], ecc);
	for (size_t i = 1; i < n && raw != SAR_OK && raw != SAR_DEVICE_REMOVED && raw != SAR_USER_NOT_LOGGED_IN;
	     i++) {
		ukey_debug("SKF_GenECCKeyPair(0x%08x): SAR 0x%08x; trying 0x%08x", (unsigned)ids[i - 1],
			   (unsigned)raw, (unsigned)ids[i]);
		raw = SKF_RAW(s, SKF_GenECCKeyPair, h, ids[i], ecc);
	}
	return ukey_skf_note_inlock(d, "SKF_GenECCKeyPair", raw);
}

CK_RV ukey_skf_generate_key_pair(void *drv, ukey_dev_id dev, const CK_MECHANISM *mech,
				 const CK_ATTRIBUTE *pub, CK_ULONG npub, const CK_ATTRIBUTE *priv,
				 CK_ULONG npriv, ukey_ref *pub_out, ukey_ref *priv_out)
{
	struct ukey_skf *s = drv;
	struct skf_dev *d;
	SKF_HANDLE h = NULL;
	SKF_ULONG bits = 0;
	SKF_RSAPUBLICKEYBLOB rsa;
	SKF_ECCPUBLICKEYBLOB ecc;
	bool is_rsa = mech->mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN;
	char name[SKF_NAME_MAX + 1];
	const struct skf_container *c;
	bool reuse = false;
	CK_RV rv = keygen_check(mech->mechanism, pub, npub, &bits);
	if (rv != CKR_OK)
		return rv;
	rv = ukey_skf_dev_lock(s, dev, &d);
	if (rv != CKR_OK)
		return rv;
	rv = d->scanned ? CKR_OK : ukey_skf_scan_inlock(s, d);
	if (rv == CKR_OK)
		rv = keygen_name(d, priv, npriv, name, &reuse);
	/* A container of that name deleted behind the driver's back may
	 * still be listed as retired: the new one must not inherit that. */
	if (rv == CKR_OK)
		rv = ukey_skf_retired_forget_inlock(s, d, name);
	if (rv != CKR_OK)
		goto out;
	rv = reuse ? ukey_skf_container_open(s, d, name, &h)
		   : ukey_skf_note_inlock(d, "SKF_CreateContainer", SKF_RAW(s, SKF_CreateContainer, d->happ, name, &h));
	if (rv != CKR_OK)
		goto out;
	if (reuse)
		ukey_info("SKF device %s: container %s was left empty: generating into it", d->name, name);
	memset(&rsa, 0, sizeof(rsa));
	memset(&ecc, 0, sizeof(ecc));
	rv = keygen_in(s, d, h, mech->mechanism, bits, &rsa, &ecc);
	ukey_skf_container_close(s, h);
	if (rv != CKR_OK) {
		if (rv != CKR_DEVICE_REMOVED)
			(void)SKF_RAW(s, SKF_DeleteContainer, d->happ, name);   /* no empty leftover */
		goto out;
	}
	rv = ukey_skf_container_made_inlock(s, d, name, is_rsa ? SKF_CONTAINER_RSA : SKF_CONTAINER_ECC,
					    is_rsa ? (const uint8_t *)&rsa : (const uint8_t *)&ecc,
					    is_rsa ? sizeof(rsa) : sizeof(ecc));
	c = rv == CKR_OK ? container_named(d, name) : NULL;
	if (rv == CKR_OK && (!c || !c->pair[SKF_SIGN].has_key))
		rv = CKR_FUNCTION_FAILED;
	if (rv == CKR_OK) {
		*pub_out = SKF_REF(SKF_K_PUB, SKF_SIGN, c->id);
		*priv_out = SKF_REF(SKF_K_PRIV, SKF_SIGN, c->id);
		ukey_info("SKF device %s: key pair generated in container %s", d->name, name);
	}
out:
	ukey_skf_dev_unlock(d);
	return rv;
}
