/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"

int emu_path(char *out, const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", a, b);
	return (n < 0 || n >= PATH_MAX) ? -1 : 0;
}

int emu_read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;
	int rc = -1;

	*buf = NULL;
	*len = 0;
	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	p = malloc((size_t)n + 1); /* +1: text files get a NUL */
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
		goto out;
	p[n] = 0;
	*buf = p;
	*len = (size_t)n;
	p = NULL;
	rc = 0;
out:
	free(p);
	fclose(f);
	return rc;
}

/* Write to a temporary name, then rename: a crash never leaves half a file. */
int emu_write_file(const char *path, const void *buf, size_t len, int mode)
{
	char tmp[PATH_MAX];
	int fd, n, rc = -1;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if (n < 0 || n >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) == 0 && (len == 0 || write(fd, buf, len) == (ssize_t)len))
		rc = 0;
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* "key=value" lines; returns 0 and the value if the key is present. */
int emu_kv_get(const char *text, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) == 0 && l[kl] == '=') {
			const char *v = l + kl + 1;
			size_t vl = strcspn(v, "\r\n");
			if (vl >= outlen)
				return -1;
			memcpy(out, v, vl);
			out[vl] = 0;
			return 0;
		}
	}
	return -1;
}

unsigned long emu_kv_ulong(const char *text, const char *key, unsigned long dflt)
{
	char v[32], *end;
	unsigned long n;

	if (emu_kv_get(text, key, v, sizeof(v)) != 0)
		return dflt;
	errno = 0;
	n = strtoul(v, &end, 0);
	return (errno || end == v) ? dflt : n;
}

/* Names become directory names: no '/', no leading '.', printable bytes. */
SKF_ULONG emu_name_check(const char *name, size_t max)
{
	size_t n;

	if (!name)
		return SAR_INVALIDPARAMERR;
	n = strnlen(name, max + 1);
	if (n == 0)
		return SAR_INVALIDPARAMERR;
	if (n > max)
		return SAR_NAMELENERR;
	if (name[0] == '.')
		return SAR_INVALIDPARAMERR;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || (unsigned char)name[i] < 0x20)
			return SAR_INVALIDPARAMERR;
	return SAR_OK;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sorted sub-directory names of path (not starting with '.'); -1 on error. */
int emu_list_dir(const char *path, char names[][EMU_MAX_CONT_NAME + 1], int max)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL && n < max) {
		char sub[PATH_MAX];
		struct stat st;
		if (e->d_name[0] == '.' || strlen(e->d_name) > EMU_MAX_CONT_NAME)
			continue;
		if (emu_path(sub, path, e->d_name) != 0 || stat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		strcpy(names[n++], e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_names);
	return n;
}

/* GM/T 0016 name list: "a\0b\0\0". Two-call sizing: NULL buffer → size.
 * An empty list is "\0\0" (2 bytes), which every parser reads as empty. */
SKF_ULONG emu_multi_string(char names[][EMU_MAX_CONT_NAME + 1], int n, SKF_CHAR *out,
			   SKF_ULONG *size)
{
	size_t need = 1, off = 0;

	if (!size)
		return SAR_INVALIDPARAMERR;
	for (int i = 0; i < n; i++)
		need += strlen(names[i]) + 1;
	if (n == 0)
		need = 2;
	if (!out) {
		*size = (SKF_ULONG)need;
		return SAR_OK;
	}
	if (*size < need) {
		*size = (SKF_ULONG)need;
		return SAR_BUFFER_TOO_SMALL;
	}
	memset(out, 0, need);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(names[i]) + 1;
		memcpy(out + off, names[i], l);
		off += l;
	}
	*size = (SKF_ULONG)need;
	return SAR_OK;
}

/* Variable-length output with two-call sizing. */
SKF_ULONG emu_out_bytes(const void *src, size_t len, void *out, SKF_ULONG *outlen)
{
	if (!outlen)
		return SAR_INVALIDPARAMERR;
	if (!out) {
		*outlen = (SKF_ULONG)len;
		return SAR_OK;
	}
	if (*outlen < len) {
		*outlen = (SKF_ULONG)len;
		return SAR_BUFFER_TOO_SMALL;
	}
	memcpy(out, src, len);
	*outlen = (SKF_ULONG)len;
	return SAR_OK;
}

/* The device's stable name: device.conf "name=", else the directory's base. */
int emu_dev_name(const char *dir, char *name, size_t len)
{
	char conf[PATH_MAX];
	uint8_t *text;
	size_t tl;
	int rc;

	if (emu_path(conf, dir, "device.conf") != 0 || emu_read_file(conf, &text, &tl) != 0)
		return -1;
	rc = emu_kv_get((char *)text, "name", name, len);
	free(text);
	if (rc != 0 || name[0] == 0) {
		const char *base = strrchr(dir, '/');
		base = base ? base + 1 : dir;
		if (strlen(base) >= len || base[0] == 0)
			return -1;
		strcpy(name, base);
	}
	return 0;
}

/* A device's operations are atomic, as a card command is: a kill of the
 * calling program never leaves half a file or half a container. Deletion
 * renames the directory to a hidden name first (emu_list_dir skips names
 * starting with '.'), creation builds it under one and renames it into
 * place; a hidden leftover of a killed process is swept later. */
static unsigned long emu_seq;

static int hidden_name(char *out, const char *path, const char *tag)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (!slash)
		return -1;
	n = snprintf(out, PATH_MAX, "%.*s/.%s-%ld-%lu", (int)(slash - path), path, tag, (long)getpid(), ++emu_seq);
	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

/* Removes the hidden leftovers of processes that died in the parent
 * directory dir (their pid is in the name). */
void emu_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		long pid;
		if (sscanf(e->d_name, ".gone-%ld-", &pid) != 1 && sscanf(e->d_name, ".new-%ld-", &pid) != 1)
			continue;
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		if (emu_path(sub, dir, e->d_name) == 0)
			emu_rmtree(sub);
	}
	closedir(d);
}

int emu_rm_atomic(const char *path)
{
	char gone[PATH_MAX];

	char parent[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (hidden_name(gone, path, "gone") != 0 || rename(path, gone) != 0)
		return -1;
	emu_rmtree(gone);
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
	emu_sweep(parent);
	return 0;
}

int emu_new_dir(const char *path, char *tmp)
{
	if (hidden_name(tmp, path, "new") != 0)
		return -1;
	return mkdir(tmp, 0700);
}

/* Moves the directory tmp (emu_new_dir) to path; EEXIST when path exists. */
int emu_new_dir_commit(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == ENOTEMPTY)
		errno = EEXIST;
	return -1;
}

int emu_rmtree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return unlink(path);
	while ((e = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (emu_path(sub, path, e->d_name) != 0) {
			rc = -1;
			continue;
		}
		if (e->d_type == DT_DIR ? emu_rmtree(sub) : unlink(sub))
			rc = -1;
	}
	closedir(d);
	return (rmdir(path) == 0) ? rc : -1;
}
