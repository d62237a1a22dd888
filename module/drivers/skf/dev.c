/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The skf driver's devices: SKF_EnumDev, a stable id per inserted device,
 * connecting and opening the application on first use, and what a device
 * says about itself (DEVINFO, PIN counters, mechanisms). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "util/lock.h"
#include "util/log.h"

/* GetDevInfo gets a buffer this big: DEVINFO variants longer than the
 * standard's 294 bytes exist. */
#define SKF_DEVINFO_BUF 1024

static bool dev_gone(const struct skf_dev *d)
{
	return __atomic_load_n(&d->gone, __ATOMIC_ACQUIRE);
}

/* ---- name lists ---- */

static SKF_ULONG enum_call(struct ukey_skf *s, struct skf_dev *d, int what, char *buf, SKF_ULONG *size)
{
	switch (what) {
	case SKF_ENUM_DEV:
		return SKF_RAW(s, SKF_EnumDev, SKF_TRUE, buf, size);
	case SKF_ENUM_APP:
		return SKF_RAW(s, SKF_EnumApplication, d->hdev, buf, size);
	case SKF_ENUM_CONTAINER:
		return SKF_RAW(s, SKF_EnumContainer, d->happ, buf, size);
	default:
		return SKF_RAW(s, SKF_EnumFiles, d->happ, buf, size);
	}
}

CK_RV ukey_skf_enum_inlock(struct ukey_skf *s, struct skf_dev *d, int what, char **list, size_t *size)
{
	static const char *const fn[] = { "SKF_EnumDev", "SKF_EnumApplication", "SKF_EnumContainer",
					  "SKF_EnumFiles" };
	/* One call with room for any usual list rather than a sizing call
	 * first: on a real key each call is a round trip (and some libraries
	 * refuse the sizing call, or answer 0 for "nothing"). A longer list
	 * gives SAR_BUFFER_TOO_SMALL, or a size larger than the buffer: grown. */
	SKF_ULONG want = 1024, cap, raw = SAR_FAIL;
	char *buf = NULL;
	*list = NULL;
	*size = 0;
	for (int tries = 0; tries < 5; tries++) {
		free(buf);
		/* Two spare NULs: a list whose final NUL pair is missing, or whose
		 * size counts one byte short, still ends. */
		buf = calloc(1, (size_t)want + 2);
		if (!buf)
			return CKR_HOST_MEMORY;
		cap = want;
		raw = enum_call(s, d, what, buf, &cap);
		if (raw == SAR_BUFFER_TOO_SMALL || (raw == SAR_OK && cap > want)) {
			want = cap > want ? cap : want * 2;
			continue;
		}
		break;
	}
	if (raw != SAR_OK) {
		free(buf);
		return d ? ukey_skf_note_inlock(d, fn[what], raw) : ukey_skf_map(fn[what], raw);
	}
	*list = buf;
	*size = cap < want ? cap : want;
	return CKR_OK;
}

/* ---- the device table ---- */

struct seen {
	char **names;
	size_t n;
};

static void collect(const char *name, void *arg)
{
	struct seen *w = arg;
	w->names[w->n++] = (char *)name;
}

static struct skf_dev *dev_new_inlock(struct ukey_skf *s, const char *name)
{
	struct skf_dev *d = calloc(1, sizeof(*d)), **tail;
	if (!d || !(d->name = strdup(name))) {
		free(d);
		return NULL;
	}
	d->id = s->next_dev_id++;
	d->login = UKEY_SKF_NOBODY;
	pthread_mutex_init(&d->lock, NULL);
	for (tail = &s->devs; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return d;
}

CK_RV ukey_skf_devices(void *drv, ukey_dev_id *ids, CK_ULONG *count)
{
	struct ukey_skf *s = drv;
	struct seen w = { NULL, 0 };
	char *list = NULL;
	size_t size = 0, found = 0;
	CK_RV rv;

	ukey_mutex_lock(&s->lock);
	rv = ukey_skf_enum_inlock(s, NULL, SKF_ENUM_DEV, &list, &size);
	if (rv != CKR_OK)
		goto out;
	w.names = calloc(size / 2 + 2, sizeof(*w.names));
	if (!w.names) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	ukc_skf_names_walk(list, size, collect, &w);
	/* A device no longer listed is closed and never used again; when its
	 * name comes back it is a new device with a new id, so token/ sees the
	 * re-insertion even for the same key. */
	for (struct skf_dev *d = s->devs; d; d = d->next) {
		bool listed = false;
		for (size_t i = 0; i < w.n && !listed; i++)
			listed = strcmp(w.names[i], d->name) == 0;
		if (listed && !dev_gone(d))
			continue;
		ukey_mutex_lock(&d->lock);
		if (!dev_gone(d))
			ukey_info("SKF device %s left", d->name);
		__atomic_store_n(&d->gone, true, __ATOMIC_RELEASE);
		if (d->hdev)
			ukey_skf_dev_close_inlock(s, d, true);
		ukey_mutex_unlock(&d->lock);
	}
	for (size_t i = 0; i < w.n; i++) {
		struct skf_dev *d = s->devs;
		while (d && (dev_gone(d) || strcmp(d->name, w.names[i]) != 0))
			d = d->next;
		if (!d && !(d = dev_new_inlock(s, w.names[i]))) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		if (ids && found < *count)
			ids[found] = d->id;
		found++;
	}
	if (ids && found > *count)
		rv = CKR_BUFFER_TOO_SMALL;
	*count = found;
out:
	ukey_mutex_unlock(&s->lock);
	free(w.names);
	free(list);
	return rv;
}

/* ---- connecting ---- */

struct app_pick {
	struct ukey_skf *s;
	struct skf_dev *d;
	char first[SKF_NAME_MAX + 1];
	bool chosen;
};

/* Without a configured application: the first one holding a container. */
static void try_app(const char *name, void *arg)
{
	struct app_pick *a = arg;
	SKF_HANDLE h = NULL;
	char *list = NULL;
	size_t size = 0;
	if (a->chosen || strlen(name) > SKF_NAME_MAX)
		return;
	if (!a->first[0])
		strcpy(a->first, name);
	if (SKF_RAW(a->s, SKF_OpenApplication, a->d->hdev, name, &h) != SAR_OK)
		return;
	a->d->happ = h;
	if (ukey_skf_enum_inlock(a->s, a->d, SKF_ENUM_CONTAINER, &list, &size) == CKR_OK && list[0]) {
		strcpy(a->d->app, name);
		a->chosen = true;
	} else {
		(void)SKF_RAW(a->s, SKF_CloseApplication, h);
		a->d->happ = NULL;
	}
	free(list);
}

static CK_RV open_app_inlock(struct ukey_skf *s, struct skf_dev *d)
{
	struct app_pick a = { s, d, "", false };
	char *list = NULL;
	size_t size = 0;
	const char *name = s->application;
	CK_RV rv;
	if (!name) {
		rv = ukey_skf_enum_inlock(s, d, SKF_ENUM_APP, &list, &size);
		if (rv != CKR_OK)
			return rv;
		ukc_skf_names_walk(list, size, try_app, &a);
		free(list);
		if (a.chosen)
			return CKR_OK;
		if (!a.first[0]) {
			ukey_warn("SKF device %s has no application", d->name);
			return CKR_TOKEN_NOT_RECOGNIZED;
		}
		name = a.first;
	}
	rv = ukey_skf_note_inlock(d, "SKF_OpenApplication",
				  SKF_RAW(s, SKF_OpenApplication, d->hdev, name, &d->happ));
	if (rv != CKR_OK) {
		d->happ = NULL;
		ukey_warn("SKF device %s: cannot open application %s", d->name, name);
		return rv;
	}
	snprintf(d->app, sizeof(d->app), "%s", name);
	return CKR_OK;
}

CK_RV ukey_skf_devinfo_inlock(struct ukey_skf *s, struct skf_dev *d, SKF_DEVINFO *info)
{
	uint8_t local[SKF_DEVINFO_BUF];
	memset(local, 0, sizeof(local));
	CK_RV rv = ukey_skf_note_inlock(d, "SKF_GetDevInfo",
					SKF_RAW(s, SKF_GetDevInfo, d->hdev, (SKF_DEVINFO *)local));
	if (rv == CKR_OK)
		memcpy(info, local, sizeof(*info));
	return rv;
}

static CK_RV connect_inlock(struct ukey_skf *s, struct skf_dev *d)
{
	SKF_DEVINFO info;
	CK_RV rv;
	if (!d->hdev) {
		rv = ukey_skf_note_inlock(d, "SKF_ConnectDev", SKF_RAW(s, SKF_ConnectDev, d->name, &d->hdev));
		if (rv != CKR_OK) {
			d->hdev = NULL;
			return rv;
		}
		rv = ukey_skf_devinfo_inlock(s, d, &info);
		if (rv != CKR_OK)
			goto fail;
		d->devinfo = info;
		d->asym_cap = ukey_skf_quirks_asym_cap(&s->q, &info);
	}
	if (!d->happ) {
		rv = open_app_inlock(s, d);
		if (rv != CKR_OK)
			goto fail;
		ukey_debug("SKF device %s: application %s", d->name, d->app);
	}
	return CKR_OK;
fail:
	ukey_skf_dev_close_inlock(s, d, true);
	return rv;
}

CK_RV ukey_skf_dev_lock(struct ukey_skf *s, ukey_dev_id dev, struct skf_dev **out)
{
	struct skf_dev *d;
	CK_RV rv;
	ukey_mutex_lock(&s->lock);
	for (d = s->devs; d && d->id != dev; d = d->next)
		;
	ukey_mutex_unlock(&s->lock);
	if (!d)
		return CKR_DEVICE_REMOVED;
	ukey_mutex_lock(&d->lock);
	rv = dev_gone(d) ? CKR_DEVICE_REMOVED : connect_inlock(s, d);
	if (rv != CKR_OK) {
		ukey_mutex_unlock(&d->lock);
		return rv;
	}
	*out = d;
	return CKR_OK;
}

void ukey_skf_dev_unlock(struct skf_dev *d)
{
	ukey_mutex_unlock(&d->lock);
}

void ukey_skf_dev_close_inlock(struct ukey_skf *s, struct skf_dev *d, bool call)
{
	if (call && d->happ)
		(void)SKF_RAW(s, SKF_CloseApplication, d->happ);
	if (call && d->hdev)
		(void)SKF_RAW(s, SKF_DisConnectDev, d->hdev);
	d->happ = d->hdev = NULL;
	d->login = UKEY_SKF_NOBODY;
	ukey_skf_forget_secrets_inlock(d);
	ukey_skf_inventory_free(d);
}
