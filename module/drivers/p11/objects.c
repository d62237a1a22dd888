/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The p11 driver's object operations: listing, attributes, creation,
 * destruction and key-pair generation, each on a pooled backend session. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#define UKEY_P11_INTERNAL
#include "drivers/p11/p11.h"
#include "util/lock.h"
#include "util/log.h"

#define P11_FIND_CHUNK 64

CK_RV ukey_p11_objects(void *drv, ukey_dev_id dev, ukey_ref *refs, CK_ULONG *count)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	CK_BBOOL yes = CK_TRUE;
	/* Token objects only: a pooled session could otherwise show session
	 * objects, which die with whichever session made them. */
	CK_ATTRIBUTE tmpl[] = { { CKA_TOKEN, &yes, sizeof(yes) } };
	CK_OBJECT_HANDLE *all = NULL, *grown;
	CK_ULONG n = 0, cap = 0, got = 0;
	const char *fn = "C_FindObjectsInit";
	bool active = false;
	CK_RV rv, raw = ukey_p11_borrow(p, dev, &d, &s);
	if (raw != CKR_OK)
		return raw;
	raw = UKEY_P11_RAW(p, C_FindObjectsInit, s, tmpl, 1);
	if (raw != CKR_OK)
		goto out;
	active = true;
	fn = "C_FindObjects";
	do {
		if (cap - n < P11_FIND_CHUNK) {
			grown = realloc(all, (cap + P11_FIND_CHUNK) * sizeof(*all));
			if (!grown) {
				raw = CKR_HOST_MEMORY;
				goto out;
			}
			all = grown;
			cap += P11_FIND_CHUNK;
		}
		raw = UKEY_P11_RAW(p, C_FindObjects, s, all + n, cap - n, &got);
		if (raw != CKR_OK)
			goto out;
		n += got;
	} while (got > 0);
	fn = "C_FindObjectsFinal";
	raw = UKEY_P11_RAW(p, C_FindObjectsFinal, s);
	if (raw != CKR_OK)
		goto out;
	active = false;
	if (refs && *count >= n)
		for (CK_ULONG i = 0; i < n; i++)
			refs[i] = all[i];
	else if (refs)
		raw = CKR_BUFFER_TOO_SMALL;
	*count = n;
out:
	/* A failed search may still be active on the backend session. */
	ukey_p11_put(p, d, s, raw, active);
	free(all);
	if (raw == CKR_BUFFER_TOO_SMALL || raw == CKR_HOST_MEMORY)
		return raw;
	rv = ukey_p11_map(fn, raw);
	return rv;
}

CK_RV ukey_p11_get_attrs(void *drv, ukey_dev_id dev, ukey_ref ref, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	CK_RV raw = ukey_p11_borrow(p, dev, &d, &s);
	if (raw != CKR_OK)
		return raw;
	raw = UKEY_P11_RAW(p, C_GetAttributeValue, s, (CK_OBJECT_HANDLE)ref, tmpl, n);
	ukey_p11_put(p, d, s, raw, false);
	/* SENSITIVE, TYPE_INVALID and BUFFER_TOO_SMALL are answers, with the
	 * per-attribute lengths filled in: they pass through unchanged. */
	return ukey_p11_map("C_GetAttributeValue", raw);
}

CK_RV ukey_p11_set_attrs(void *drv, ukey_dev_id dev, ukey_ref ref, const CK_ATTRIBUTE *tmpl,
			 CK_ULONG n)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	CK_RV raw = ukey_p11_borrow(p, dev, &d, &s);
	if (raw != CKR_OK)
		return raw;
	raw = UKEY_P11_RAW(p, C_SetAttributeValue, s, (CK_OBJECT_HANDLE)ref, (CK_ATTRIBUTE *)tmpl, n);
	ukey_p11_put(p, d, s, raw, false);
	return ukey_p11_map("C_SetAttributeValue", raw);
}

/* Objects made through the driver live on the token: created on a pooled
 * session, a session object would vanish whenever the pool closes it. When
 * the template does not say CKA_TOKEN, a copy with CKA_TOKEN = TRUE is made
 * (*copy is then to be freed); otherwise the caller's template is used. */
static CK_RV p11_on_token(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE **out,
			  CK_ATTRIBUTE **copy)
{
	static CK_BBOOL yes = CK_TRUE;
	*copy = NULL;
	for (CK_ULONG i = 0; i < n; i++)
		if (tmpl[i].type == CKA_TOKEN) {
			*out = (CK_ATTRIBUTE *)tmpl;
			return CKR_OK;
		}
	*copy = calloc(n + 1, sizeof(**copy));
	if (!*copy)
		return CKR_HOST_MEMORY;
	if (n)
		memcpy(*copy, tmpl, n * sizeof(**copy));
	(*copy)[n].type = CKA_TOKEN;
	(*copy)[n].pValue = &yes;
	(*copy)[n].ulValueLen = sizeof(yes);
	*out = *copy;
	return CKR_OK;
}

CK_RV ukey_p11_create(void *drv, ukey_dev_id dev, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
		      ukey_ref *out)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE *t, *copy;
	CK_ULONG nt;
	CK_RV raw = p11_on_token(tmpl, n, &t, &copy);
	if (raw != CKR_OK)
		return raw;
	nt = copy ? n + 1 : n;
	raw = ukey_p11_borrow(p, dev, &d, &s);
	if (raw != CKR_OK)
		goto out;
	raw = UKEY_P11_RAW(p, C_CreateObject, s, t, nt, &h);
	ukey_p11_put(p, d, s, raw, false);
	if (raw == CKR_OK)
		*out = h;
	raw = ukey_p11_map("C_CreateObject", raw);
out:
	free(copy);
	return raw;
}

CK_RV ukey_p11_destroy(void *drv, ukey_dev_id dev, ukey_ref ref)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	CK_RV raw = ukey_p11_borrow(p, dev, &d, &s);
	if (raw != CKR_OK)
		return raw;
	raw = UKEY_P11_RAW(p, C_DestroyObject, s, (CK_OBJECT_HANDLE)ref);
	ukey_p11_put(p, d, s, raw, false);
	return ukey_p11_map("C_DestroyObject", raw);
}

/* Session objects die with the backend session that made them: a session
 * key pair is made on the device's anchor session, which stays open (the
 * pool may close its sessions at any time); token/ destroys it when the
 * consumer's session closes. */
static bool p11_session_pair(const CK_ATTRIBUTE *priv, CK_ULONG n)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (priv[i].type == CKA_TOKEN && priv[i].ulValueLen == sizeof(CK_BBOOL) && priv[i].pValue)
			return *(const CK_BBOOL *)priv[i].pValue == CK_FALSE;
	return false;
}

CK_RV ukey_p11_generate_key_pair(void *drv, ukey_dev_id dev, const CK_MECHANISM *mech,
				 const CK_ATTRIBUTE *pub, CK_ULONG npub, const CK_ATTRIBUTE *priv,
				 CK_ULONG npriv, ukey_ref *pub_out, ukey_ref *priv_out)
{
	struct ukey_p11 *p = drv;
	struct ukey_p11_dev *d;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	CK_ATTRIBUTE *tpub, *tpriv, *cpub = NULL, *cpriv = NULL;
	bool session = p11_session_pair(priv, npriv);
	CK_RV raw = p11_on_token(pub, npub, &tpub, &cpub);
	if (raw != CKR_OK)
		goto out;
	raw = p11_on_token(priv, npriv, &tpriv, &cpriv);
	if (raw != CKR_OK)
		goto out;
	if (session) {
		d = ukey_p11_dev(p, dev);
		if (!d) {
			raw = CKR_HOST_MEMORY;
			goto out;
		}
		ukey_mutex_lock(&d->lock);
		raw = ukey_p11_anchor_inlock(p, d);
		if (raw == CKR_OK) {
			raw = UKEY_P11_RAW(p, C_GenerateKeyPair, d->anchor, (CK_MECHANISM *)mech, tpub,
					   cpub ? npub + 1 : npub, tpriv, cpriv ? npriv + 1 : npriv, &hpub, &hpriv);
			ukey_p11_anchor_check_inlock(d, raw);
		}
		ukey_mutex_unlock(&d->lock);
	} else {
		raw = ukey_p11_borrow(p, dev, &d, &s);
		if (raw != CKR_OK)
			goto out;
		raw = UKEY_P11_RAW(p, C_GenerateKeyPair, s, (CK_MECHANISM *)mech, tpub,
				   cpub ? npub + 1 : npub, tpriv, cpriv ? npriv + 1 : npriv, &hpub, &hpriv);
		ukey_p11_put(p, d, s, raw, false);
	}
	if (raw == CKR_OK) {
		*pub_out = hpub;
		*priv_out = hpriv;
	}
	raw = ukey_p11_map("C_GenerateKeyPair", raw);
out:
	free(cpub);
	free(cpriv);
	return raw;
}
