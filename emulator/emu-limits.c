/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The size limits of an emulated device: how much its file area holds, the
 * largest file SKF_CreateFile makes and the most bytes one SKF_ReadFile or
 * SKF_WriteFile moves (device.conf total_space=, max_file=, max_io=; defaults
 * in emu.h). A real token has all three, so a driver that works here does
 * not only work because the emulator is roomier than a device. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

void emu_limits(const struct emu_dev *dev, struct emu_limits *l)
{
	char conf[PATH_MAX];
	uint8_t *text = NULL;
	size_t len;

	l->total_space = EMU_TOTAL_SPACE;
	l->max_file = EMU_MAX_FILE;
	l->max_io = EMU_MAX_IO;
	if (emu_path(conf, dev->path, "device.conf") != 0 || emu_read_file(conf, &text, &len) != 0)
		return;
	l->total_space = emu_kv_ulong((char *)text, "total_space", l->total_space);
	l->max_file = emu_kv_ulong((char *)text, "max_file", l->max_file);
	l->max_io = emu_kv_ulong((char *)text, "max_io", l->max_io);
	free(text);
}

/* Bytes taken by the files of every application: the sizes they were
 * created with (a file occupies its whole size from SKF_CreateFile on). */
unsigned long emu_space_used(const struct emu_dev *dev)
{
	char apps[EMU_MAX_NAMES][EMU_MAX_CONT_NAME + 1], files[EMU_MAX_NAMES][EMU_MAX_CONT_NAME + 1];
	char dir[PATH_MAX], sub[PATH_MAX], path[PATH_MAX];
	unsigned long used = 0;
	int na, nf;

	if (emu_path(dir, dev->path, "apps") != 0 || (na = emu_list_dir(dir, apps, EMU_MAX_NAMES)) < 0)
		return 0;
	for (int a = 0; a < na; a++) {
		if (emu_path(sub, dir, apps[a]) != 0 || emu_path(path, sub, "files") != 0 ||
		    (nf = emu_list_dir(path, files, EMU_MAX_NAMES)) < 0)
			continue;
		for (int f = 0; f < nf; f++) {
			char fdir[PATH_MAX], attr[PATH_MAX];
			uint8_t *text;
			size_t len;
			if (emu_path(fdir, path, files[f]) != 0 || emu_path(attr, fdir, "attr") != 0 ||
			    emu_read_file(attr, &text, &len) != 0)
				continue;
			used += emu_kv_ulong((char *)text, "size", 0);
			free(text);
		}
	}
	return used;
}
