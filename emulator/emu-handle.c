/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"

/* All live handles, in one list under one lock. A handle value is looked up
 * here before it is dereferenced, so a garbage or closed handle gives
 * SAR_INVALIDHANDLEERR instead of a crash. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct emu_obj *g_objs;

static const uint32_t magic_of[] = { 0, 0x534b4644u, 0x534b4641u, 0x534b4643u };

void emu_register(struct emu_obj *obj, int kind, struct emu_dev *dev)
{
	obj->magic = magic_of[kind];
	obj->kind = kind;
	obj->dev = dev;
	pthread_mutex_lock(&g_lock);
	obj->next = g_objs;
	g_objs = obj;
	pthread_mutex_unlock(&g_lock);
}

/* Caller holds g_lock. */
static struct emu_obj *find_locked(SKF_HANDLE h, int kind)
{
	for (struct emu_obj *o = g_objs; o; o = o->next)
		if ((void *)o == h)
			return (o->kind == kind && o->magic == magic_of[kind]) ? o : NULL;
	return NULL;
}

static void unlink_locked(struct emu_obj *obj)
{
	for (struct emu_obj **p = &g_objs; *p; p = &(*p)->next)
		if (*p == obj) {
			*p = obj->next;
			obj->magic = 0;
			return;
		}
}

/* Unplugging is for good: a directory that comes back (renamed back, or
 * re-created) is a new insertion, reached only through a new ConnectDev. */
int emu_present(struct emu_dev *dev)
{
	struct stat st;
	char conf[PATH_MAX];

	if (dev->gone)
		return 0;
	if (stat(dev->path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_dev != dev->st_dev ||
	    st.st_ino != dev->st_ino || emu_path(conf, dev->path, "device.conf") != 0 ||
	    access(conf, R_OK) != 0)
		dev->gone = 1;
	return !dev->gone;
}

SKF_ULONG emu_io_err(struct emu_dev *dev, SKF_ULONG sar)
{
	return emu_present(dev) ? sar : SAR_DEVICE_REMOVED;
}

static void release(struct emu_dev *dev)
{
	int free_it;

	pthread_mutex_lock(&g_lock);
	dev->busy--;
	free_it = dev->dead && dev->busy == 0;
	pthread_mutex_unlock(&g_lock);
	if (free_it) {
		pthread_mutex_destroy(&dev->lock);
		if (dev->lockfd >= 0)
			close(dev->lockfd);
		free(dev);
	}
}

/* Validates h, pins its device and takes the device lock. On SAR_OK the
 * caller must call emu_leave(dev) (dev = (*out)->dev). */
SKF_ULONG emu_enter(SKF_HANDLE h, int kind, int check_present, struct emu_obj **out)
{
	struct emu_obj *obj;
	struct emu_dev *dev;

	*out = NULL;
	if (h == NULL)
		return SAR_INVALIDHANDLEERR;
	pthread_mutex_lock(&g_lock);
	obj = find_locked(h, kind);
	dev = obj ? obj->dev : NULL;
	if (dev)
		dev->busy++;
	pthread_mutex_unlock(&g_lock);
	if (!dev)
		return SAR_INVALIDHANDLEERR;

	pthread_mutex_lock(&dev->lock);
	/* Another thread may have closed h while we waited for the lock. */
	pthread_mutex_lock(&g_lock);
	obj = dev->dead ? NULL : find_locked(h, kind);
	pthread_mutex_unlock(&g_lock);
	if (!obj) {
		pthread_mutex_unlock(&dev->lock);
		release(dev);
		return SAR_INVALIDHANDLEERR;
	}
	if (check_present && !emu_present(dev)) {
		pthread_mutex_unlock(&dev->lock);
		release(dev);
		return SAR_DEVICE_REMOVED;
	}
	*out = obj;
	return SAR_OK;
}

void emu_leave(struct emu_dev *dev)
{
	pthread_mutex_unlock(&dev->lock);
	release(dev);
}

/* Closes an application (with its containers) or a container. Caller is
 * inside emu_enter() on its device. */
void emu_close_obj(struct emu_obj *obj)
{
	struct emu_obj *kids = NULL;

	pthread_mutex_lock(&g_lock);
	unlink_locked(obj);
	if (obj->kind == EMU_APP) {
		for (struct emu_obj **p = &g_objs; *p;) {
			struct emu_obj *o = *p;
			if (o->kind == EMU_CONT && ((struct emu_cont *)o)->app == (struct emu_app *)obj) {
				*p = o->next;
				o->magic = 0;
				o->next = kids;
				kids = o;
			} else {
				p = &o->next;
			}
		}
	}
	pthread_mutex_unlock(&g_lock);
	while (kids) {
		struct emu_obj *n = kids->next;
		free(kids);
		kids = n;
	}
	free(obj);
}

/* Drops the device handle and every handle opened through it. Caller is
 * inside emu_enter(); the device itself is freed by the last emu_leave(). */
void emu_disconnect(struct emu_dev *dev)
{
	struct emu_obj *kids = NULL;

	pthread_mutex_lock(&g_lock);
	for (struct emu_obj **p = &g_objs; *p;) {
		struct emu_obj *o = *p;
		if (o->dev == dev && o != &dev->hdr) {
			*p = o->next;
			o->magic = 0;
			o->next = kids;
			kids = o;
		} else {
			p = &o->next;
		}
	}
	unlink_locked(&dev->hdr);
	dev->dead = 1;
	pthread_mutex_unlock(&g_lock);
	while (kids) {
		struct emu_obj *n = kids->next;
		free(kids);
		kids = n;
	}
}
