/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"

/* Files of an application: apps/<app>/files/<name>/attr ("size=",
 * "read=", "write=" rights) and .../data (exactly size bytes). */
struct file_attr {
	unsigned long size, rd, wr;
};

/* Enters hApp and checks the name; fills dir = the file's directory. */
static SKF_ULONG file_enter(SKF_HANDLE hApp, const char *name, struct emu_obj **o, char *dir)
{
	char files[PATH_MAX];
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, o);

	if (rv != SAR_OK)
		return rv;
	rv = emu_name_check(name, EMU_MAX_FILE_NAME);
	if (rv == SAR_OK && (emu_path(files, ((struct emu_app *)*o)->path, "files") != 0 ||
			     emu_path(dir, files, name) != 0))
		rv = SAR_NAMELENERR;
	if (rv != SAR_OK)
		emu_leave((*o)->dev);
	return rv;
}

static SKF_ULONG attr_read(struct emu_dev *dev, const char *dir, struct file_attr *a)
{
	char path[PATH_MAX];
	uint8_t *text;
	size_t len;
	struct stat st;

	if (stat(dir, &st) != 0)
		return emu_io_err(dev, SAR_FILE_NOT_EXIST);
	if (emu_path(path, dir, "attr") != 0 || emu_read_file(path, &text, &len) != 0)
		return emu_io_err(dev, SAR_READFILEERR);
	a->size = emu_kv_ulong((char *)text, "size", 0);
	a->rd = emu_kv_ulong((char *)text, "read", SKF_SECURE_ANYONE_ACCOUNT);
	a->wr = emu_kv_ulong((char *)text, "write", SKF_SECURE_USER_ACCOUNT);
	free(text);
	return SAR_OK;
}

/* One call moves at most max_io bytes: a device transfers a file through
 * a buffer of fixed size. */
static SKF_ULONG io_size_ok(const struct emu_dev *dev, SKF_ULONG size)
{
	struct emu_limits lim;

	emu_limits(dev, &lim);
	return size > lim.max_io ? SAR_INDATALENERR : SAR_OK;
}

static SKF_ULONG rights_err(SKF_ULONG rights)
{
	return rights == SKF_SECURE_NEVER_ACCOUNT ? SAR_FAIL : SAR_USER_NOT_LOGGED_IN;
}

EMU_EXPORT SKF_ULONG SKF_CreateFile(SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_ULONG ulFileSize,
				    SKF_ULONG ulReadRights, SKF_ULONG ulWriteRights)
{
	struct emu_obj *o;
	struct emu_app *app;
	struct emu_limits lim;
	char dir[PATH_MAX], path[PATH_MAX], conf[PATH_MAX], files[PATH_MAX], tmp[PATH_MAX], attr[96];
	uint8_t *text = NULL, *zero = NULL;
	size_t tl;
	struct stat st;
	unsigned long create_rights = SKF_SECURE_USER_ACCOUNT;
	SKF_ULONG rv = file_enter(hApp, szFileName, &o, dir);

	if (rv != SAR_OK)
		return rv;
	app = (struct emu_app *)o;
	emu_limits(o->dev, &lim);
	if (emu_path(conf, app->path, "app.conf") == 0 && emu_read_file(conf, &text, &tl) == 0)
		create_rights = emu_kv_ulong((char *)text, "create_file_rights", create_rights);
	/* The size is fixed here, as on a real token: it takes room at once
	 * and the file never grows. */
	if (ulFileSize == 0 || ulFileSize > lim.max_file) {
		rv = SAR_INDATALENERR;
	} else if (!emu_rights_ok(app, (SKF_ULONG)create_rights)) {
		rv = rights_err((SKF_ULONG)create_rights);
	} else if (stat(dir, &st) == 0) {
		rv = SAR_FILE_ALREADY_EXIST;
	} else if (emu_space_used(o->dev) + ulFileSize > lim.total_space) {
		rv = SAR_NO_ROOM;
	} else if (emu_path(files, app->path, "files") != 0 || (mkdir(files, 0700) != 0 && errno != EEXIST) ||
		   emu_new_dir(dir, tmp) != 0) {
		rv = emu_io_err(o->dev, SAR_FILEERR);
	} else {
		/* Built under a hidden name, then renamed into place: a
		 * program killed meanwhile leaves no file (a device's
		 * CreateFile is one command). */
		emu_sweep(files);
		snprintf(attr, sizeof(attr), "size=%lu\nread=0x%02lx\nwrite=0x%02lx\n",
			 (unsigned long)ulFileSize, (unsigned long)ulReadRights,
			 (unsigned long)ulWriteRights);
		zero = calloc(1, ulFileSize);
		if (!zero || emu_path(path, tmp, "data") != 0 ||
		    emu_write_file(path, zero, ulFileSize, 0600) != 0 || emu_path(path, tmp, "attr") != 0 ||
		    emu_write_file(path, attr, strlen(attr), 0600) != 0) {
			rv = emu_io_err(o->dev, SAR_WRITEFILEERR);
		} else if (emu_new_dir_commit(tmp, dir) != 0) {
			rv = errno == EEXIST ? SAR_FILE_ALREADY_EXIST : emu_io_err(o->dev, SAR_FILEERR);
		}
		if (rv != SAR_OK)
			emu_rmtree(tmp);
	}
	free(zero);
	free(text);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_DeleteFile(SKF_HANDLE hApp, const SKF_CHAR *szFileName)
{
	struct emu_obj *o;
	struct file_attr a;
	char dir[PATH_MAX];
	SKF_ULONG rv = file_enter(hApp, szFileName, &o, dir);

	if (rv != SAR_OK)
		return rv;
	rv = attr_read(o->dev, dir, &a);
	if (rv == SAR_OK && !emu_rights_ok((struct emu_app *)o, (SKF_ULONG)a.wr))
		rv = rights_err((SKF_ULONG)a.wr);
	/* Gone at once (renamed away, then removed): never half a file. */
	if (rv == SAR_OK && emu_rm_atomic(dir) != 0)
		rv = emu_io_err(o->dev, SAR_FILEERR);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_EnumFiles(SKF_HANDLE hApp, SKF_CHAR *szFileList, SKF_ULONG *pulSize)
{
	char names[EMU_MAX_NAMES][EMU_MAX_CONT_NAME + 1], files[PATH_MAX];
	struct emu_obj *o;
	int n;
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, &o);

	if (rv != SAR_OK)
		return rv;
	n = emu_path(files, ((struct emu_app *)o)->path, "files") == 0 ?
		    emu_list_dir(files, names, EMU_MAX_NAMES) :
		    -1;
	if (n < 0 && emu_present(o->dev))
		n = 0; /* no files directory: no files */
	rv = n < 0 ? SAR_DEVICE_REMOVED : emu_multi_string(names, n, szFileList, pulSize);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_GetFileInfo(SKF_HANDLE hApp, const SKF_CHAR *szFileName,
				     SKF_FILEATTRIBUTE *pFileInfo)
{
	struct emu_obj *o;
	struct file_attr a;
	char dir[PATH_MAX];
	SKF_ULONG rv = file_enter(hApp, szFileName, &o, dir);

	if (rv != SAR_OK)
		return rv;
	if (!pFileInfo)
		rv = SAR_INVALIDPARAMERR;
	else
		rv = attr_read(o->dev, dir, &a);
	if (rv == SAR_OK) {
		memset(pFileInfo, 0, sizeof(*pFileInfo));
		memcpy(pFileInfo->FileName, szFileName, strlen(szFileName));
		pFileInfo->FileSize = (SKF_ULONG)a.size;
		pFileInfo->ReadRights = (SKF_ULONG)a.rd;
		pFileInfo->WriteRights = (SKF_ULONG)a.wr;
	}
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ReadFile(SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_ULONG ulOffset,
				  SKF_ULONG ulSize, SKF_BYTE *pbOutData, SKF_ULONG *pulOutLen)
{
	struct emu_obj *o;
	struct file_attr a;
	char dir[PATH_MAX], path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len, n;
	SKF_ULONG rv = file_enter(hApp, szFileName, &o, dir);

	if (rv != SAR_OK)
		return rv;
	if (!pulOutLen) {
		rv = SAR_INVALIDPARAMERR;
		goto out;
	}
	if ((rv = io_size_ok(o->dev, ulSize)) != SAR_OK || (rv = attr_read(o->dev, dir, &a)) != SAR_OK)
		goto out;
	if (!emu_rights_ok((struct emu_app *)o, (SKF_ULONG)a.rd)) {
		rv = rights_err((SKF_ULONG)a.rd);
		goto out;
	}
	if (emu_path(path, dir, "data") != 0 || emu_read_file(path, &data, &len) != 0) {
		rv = emu_io_err(o->dev, SAR_READFILEERR);
		goto out;
	}
	if (ulOffset > len) {
		rv = SAR_INDATALENERR;
		goto out;
	}
	n = len - ulOffset < ulSize ? len - ulOffset : ulSize;
	rv = emu_out_bytes(data + ulOffset, n, pbOutData, pulOutLen);
out:
	free(data);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_WriteFile(SKF_HANDLE hApp, const SKF_CHAR *szFileName, SKF_ULONG ulOffset,
				   const SKF_BYTE *pbData, SKF_ULONG ulSize)
{
	struct emu_obj *o;
	struct file_attr a;
	char dir[PATH_MAX], path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len;
	SKF_ULONG rv = file_enter(hApp, szFileName, &o, dir);

	if (rv != SAR_OK)
		return rv;
	if (!pbData && ulSize) {
		rv = SAR_INVALIDPARAMERR;
		goto out;
	}
	if ((rv = io_size_ok(o->dev, ulSize)) != SAR_OK || (rv = attr_read(o->dev, dir, &a)) != SAR_OK)
		goto out;
	if (!emu_rights_ok((struct emu_app *)o, (SKF_ULONG)a.wr)) {
		rv = rights_err((SKF_ULONG)a.wr);
		goto out;
	}
	if (ulOffset > a.size || ulSize > a.size - ulOffset) {
		rv = SAR_INDATALENERR;
		goto out;
	}
	if (emu_path(path, dir, "data") != 0 || emu_read_file(path, &data, &len) != 0 ||
	    len != a.size) {
		rv = emu_io_err(o->dev, SAR_READFILEERR);
		goto out;
	}
	if (ulSize)
		memcpy(data + ulOffset, pbData, ulSize);
	if (emu_write_file(path, data, len, 0600) != 0)
		rv = emu_io_err(o->dev, SAR_WRITEFILEERR);
out:
	free(data);
	emu_leave(o->dev);
	return rv;
}
