/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* static.c: the page's files, from $UKEY_ASSISTANT_WWW (a build tree, the
 * tests) or the installed directory. Only names made of [A-Za-z0-9._-]
 * segments, none starting with '.', and a fixed list of extensions, each
 * with its own content type: whatever a request spells (.., %2e, //, a
 * backslash, a NUL), it names a file under the directory or nothing. The
 * resolved path is checked against the directory again, so a symbolic
 * link out of it is not followed either. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assistant.h"

#define FILE_MAX (8 * 1024 * 1024)

static const struct {
	const char *ext, *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "json", "application/json; charset=utf-8" },
	{ "png", "image/png" },
	{ "svg", "image/svg+xml" },
	{ "gif", "image/gif" },
	{ "jpg", "image/jpeg" },
	{ "ico", "image/x-icon" },
	{ "woff2", "font/woff2" },
};

static const char *type_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot + 1, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* MHD gives the path %-decoded already: checked as it will be opened. */
static int name_ok(const char *p)
{
	if (*p != '/')
		return 0;
	while (*p == '/') {
		size_t n;
		p++;
		n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
		if (n == 0 || *p == '.')
			return 0;
		p += n;
	}
	return *p == '\0';
}

static void not_found(struct asst_resp *r)
{
	asst_error(r, 404, "not_found", "%s", _("no such page"));
}

void asst_static(struct asst_req *q, struct asst_resp *r)
{
	const char *path = strcmp(q->path, "/") == 0 ? "/index.html" : q->path;
	const char *type = type_of(path);
	char full[PATH_MAX], real[PATH_MAX], root[PATH_MAX];
	struct stat st;
	size_t rl, off = 0;
	int fd;

	if (!name_ok(path) || type == NULL || strlen(q->a->www) + strlen(path) >= sizeof(full))
		goto missing;
	memcpy(full, q->a->www, strlen(q->a->www));
	memcpy(full + strlen(q->a->www), path, strlen(path) + 1);
	if (realpath(q->a->www, root) == NULL || realpath(full, real) == NULL)
		goto missing;
	rl = strlen(root);
	if (strncmp(real, root, rl) != 0 || real[rl] != '/')
		goto missing;
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		goto missing;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
		close(fd);
		goto missing;
	}
	r->body = malloc((size_t)st.st_size + 1);
	while (r->body != NULL && off < (size_t)st.st_size) {
		ssize_t n = read(fd, r->body + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (r->body == NULL || off != (size_t)st.st_size) {
		free(r->body);
		r->body = NULL;
		asst_error(r, 500, "error", "%s", _("cannot read the page's file"));
		return;
	}
	r->len = off;
	r->ctype = type;
	r->status = 200;
	return;
missing:
	not_found(r);
}
