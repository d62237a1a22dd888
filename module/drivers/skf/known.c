/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the skf driver wrote, entered into its reading of the device
 * without reading the device again: a file made or deleted, a container
 * made with its new key pair, a certificate imported. On a real key every
 * call is a round trip; the driver knows what it just wrote. A pair
 * destroyed (its container deleted, or retired) likewise. A container
 * changed otherwise (a key pair imported) is marked for the next scan to
 * read again (scan.c). With no reading yet, a scan makes one. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"

CK_RV ukey_skf_file_added_inlock(struct ukey_skf *s, struct skf_dev *d, const char *name, uint32_t size,
				 bool priv)
{
	struct skf_file *grown, *f;
	uint32_t id;
	if (!d->scanned)
		return ukey_skf_scan_inlock(s, d);
	id = ukey_skf_id_for(d, name, true);
	grown = realloc(d->files, (d->nfiles + 1) * sizeof(*grown));
	if (!grown)
		return CKR_HOST_MEMORY;
	d->files = grown;
	f = &d->files[d->nfiles++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->id = id;
	f->priv = priv;
	f->size = size;
	return CKR_OK;
}

CK_RV ukey_skf_file_removed_inlock(struct ukey_skf *s, struct skf_dev *d, uint32_t id)
{
	if (!d->scanned)
		return ukey_skf_scan_inlock(s, d);
	for (size_t i = 0; i < d->nfiles; i++)
		if (d->files[i].id == id) {
			ukey_skf_file_forget(&d->files[i]);
			d->files[i] = d->files[--d->nfiles];
			break;
		}
	return CKR_OK;
}

CK_RV ukey_skf_container_made_inlock(struct ukey_skf *s, struct skf_dev *d, const char *name, SKF_ULONG type,
				     const uint8_t *blob, size_t len)
{
	struct skf_container *grown, *c;
	uint32_t id;
	if (!d->scanned)
		return ukey_skf_scan_inlock(s, d);
	/* Generated into a container the reading holds (one a killed run left
	 * empty, write.c): read it again. */
	if ((c = ukey_skf_container_named(d, name)) != NULL) {
		c->touched = true;
		return ukey_skf_scan_inlock(s, d);
	}
	id = ukey_skf_id_for(d, name, false);
	grown = realloc(d->conts, (d->nconts + 1) * sizeof(*grown));
	if (!grown)
		return CKR_HOST_MEMORY;
	d->conts = grown;
	c = &d->conts[d->nconts++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->id = id;
	ukey_skf_pair_id(c->name, SKF_SIGN, c->pair[SKF_SIGN].id);
	ukey_skf_pair_id(c->name, SKF_ENC, c->pair[SKF_ENC].id);
	ukey_skf_pair_key(c, SKF_SIGN, type, blob, len);
	if (c->pair[SKF_SIGN].has_key)
		return CKR_OK;
	/* A blob we cannot read: ask the device for the key instead. */
	c->touched = true;
	return ukey_skf_scan_inlock(s, d);
}

CK_RV ukey_skf_cert_stored_inlock(struct ukey_skf *s, struct skf_dev *d, uint32_t id, int usage,
				  const uint8_t *der, size_t len)
{
	struct skf_container *c = d->scanned ? ukey_skf_container(d, id) : NULL;
	if (!c)
		return ukey_skf_scan_inlock(s, d);
	return ukey_skf_pair_cert(&c->pair[usage], der, len);
}

CK_RV ukey_skf_pair_removed_inlock(struct ukey_skf *s, struct skf_dev *d, uint32_t id, int usage)
{
	struct skf_container *c = d->scanned ? ukey_skf_container(d, id) : NULL;
	if (!c)
		return ukey_skf_scan_inlock(s, d);
	if (usage == SKF_SIGN && c->pair[SKF_ENC].has_key) {
		ukey_skf_pair_free(&c->pair[SKF_SIGN]);
		c->sign_retired = true;
		return CKR_OK;
	}
	ukey_skf_pair_free(&c->pair[SKF_SIGN]);
	ukey_skf_pair_free(&c->pair[SKF_ENC]);
	*c = d->conts[--d->nconts];
	return CKR_OK;
}

void ukey_skf_container_touched(struct skf_dev *d, const char *name)
{
	struct skf_container *c = ukey_skf_container_named(d, name);
	if (c)
		c->touched = true;
}
