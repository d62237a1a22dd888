/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* setup-usb.c: the USB devices present, read from sysfs rather than with
 * libusb: the kernel already has the ids and strings, reading them needs no
 * permission on the device node, and a test can lay out a fake tree
 * ($UKEY_SYSFS_ROOT) where it could not fake a bus. */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "setup.h"

#define SETUP_MAX_USB_DEVICES 128

/* The first line of dir/name, without its newline; "" when absent. */
static void attr(const char *dir, const char *name, char *out, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return;
	f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

static int hex_attr(const char *dir, const char *name, unsigned *out)
{
	char v[16], *end;
	unsigned long x;

	attr(dir, name, v, sizeof(v));
	if (v[0] == '\0')
		return 0;
	errno = 0;
	x = strtoul(v, &end, 16);
	if (errno || *end || x > 0xffff)
		return 0;
	*out = (unsigned)x;
	return 1;
}

/* A CCID device says so in its device class or, usually, in one of its
 * interfaces ("1-2:1.0"), listed next to it in bus/usb/devices. */
static int is_smartcard(const char *base, const char *dev, const char *devdir)
{
	char cls[8], dir[PATH_MAX];
	size_t n = strlen(dev);
	struct dirent *d;
	DIR *dp;
	int yes = 0;

	attr(devdir, "bDeviceClass", cls, sizeof(cls));
	if (strcmp(cls, "0b") == 0)
		return 1;
	dp = opendir(base);
	while (dp != NULL && !yes && (d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, dev, n) != 0 || d->d_name[n] != ':')
			continue;
		if (snprintf(dir, sizeof(dir), "%s/%s", base, d->d_name) >= (int)sizeof(dir))
			continue;
		attr(dir, "bInterfaceClass", cls, sizeof(cls));
		yes = strcmp(cls, "0b") == 0;
	}
	if (dp != NULL)
		closedir(dp);
	return yes;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct setup_usb_dev *)a)->sysname, ((const struct setup_usb_dev *)b)->sysname);
}

int setup_usb_scan(struct setup_usb_dev **out, size_t *n, char *why, size_t whylen, struct ukey_err *e)
{
	const char *root = getenv("UKEY_SYSFS_ROOT");
	char base[PATH_MAX], dir[PATH_MAX];
	struct setup_usb_dev *list;
	struct dirent *d;
	DIR *dp;

	*out = NULL;
	*n = 0;
	why[0] = '\0';
	snprintf(base, sizeof(base), "%s/bus/usb/devices", root && *root ? root : "/sys");
	list = calloc(SETUP_MAX_USB_DEVICES, sizeof(*list));
	if (list == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	dp = opendir(base);
	if (dp == NULL) {
		snprintf(why, whylen, "%s: %s", base, strerror(errno));
		*out = list;
		return UKEY_E_OK;
	}
	while ((d = readdir(dp)) != NULL && *n < SETUP_MAX_USB_DEVICES) {
		struct setup_usb_dev *u = &list[*n];

		/* Interfaces have a ':' in their name; "." and ".." and the
		 * root hubs' "usbN" have ids too but are no token. */
		if (d->d_name[0] == '.' || strchr(d->d_name, ':') != NULL || strncmp(d->d_name, "usb", 3) == 0 ||
		    strlen(d->d_name) >= sizeof(u->sysname))
			continue;
		if (snprintf(dir, sizeof(dir), "%s/%s", base, d->d_name) >= (int)sizeof(dir))
			continue;
		if (!hex_attr(dir, "idVendor", &u->vid) || !hex_attr(dir, "idProduct", &u->pid))
			continue;
		snprintf(u->sysname, sizeof(u->sysname), "%s", d->d_name);
		attr(dir, "manufacturer", u->manufacturer, sizeof(u->manufacturer));
		attr(dir, "product", u->product, sizeof(u->product));
		u->smartcard = is_smartcard(base, d->d_name, dir);
		(*n)++;
	}
	closedir(dp);
	qsort(list, *n, sizeof(*list), by_name);
	*out = list;
	return UKEY_E_OK;
}
