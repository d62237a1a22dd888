/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration is an attack surface: whoever can write it, or the
 * libraries it names, runs code inside every program that loads the module
 * (a browser, ssh-agent). So the file is read only when it is a regular
 * file of bounded size that nobody but root or the running user can
 * change, and a backend library only when it is named by an absolute path
 * (never relative to the host's working directory), passes the same owner
 * and mode test, and is not another section's library again (which would
 * show every token twice, with two login states). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/conf.h"

/* What is wrong with a file's owner or mode, or NULL when nothing is. */
static const char *trust_problem(const struct stat *st, char *why, size_t len)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(why, len, "owned by uid %lu, neither root nor the user running this program (uid %lu)",
			 (unsigned long)st->st_uid, (unsigned long)me);
		return why;
	}
	if (st->st_mode & S_IWOTH) {
		snprintf(why, len, "writable by others (mode %04o); chmod o-w it",
			 (unsigned)(st->st_mode & 07777));
		return why;
	}
	return NULL;
}

static const char *kind_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

char *ukey_config_read(const char *path, char *err, size_t errlen)
{
	char why[160];
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: is %s, not a configuration file", path, kind_of(st.st_mode));
		goto fail;
	}
	if (trust_problem(&st, why, sizeof(why))) {
		snprintf(err, errlen, "%s: not trusted: %s", path, why);
		goto fail;
	}
	if (st.st_size > UKEY_CONF_MAX_BYTES)
		goto too_big;
	text = malloc(UKEY_CONF_MAX_BYTES + 2);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	/* Read to the bound even if the file grew since fstat. */
	while (got <= UKEY_CONF_MAX_BYTES) {
		ssize_t n = read(fd, text + got, UKEY_CONF_MAX_BYTES + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > UKEY_CONF_MAX_BYTES)
		goto too_big;
	text[got] = '\0';
	if (memchr(text, '\0', got)) {
		snprintf(err, errlen, "%s: holds a NUL byte, not INI text", path);
		goto fail;
	}
	close(fd);
	return text;
too_big:
	snprintf(err, errlen, "%s: larger than %d bytes, not a configuration file", path, UKEY_CONF_MAX_BYTES);
fail:
	free(text);
	close(fd);
	return NULL;
}

int ukey_config_check_backend(const struct ukey_conf *conf, size_t i, char *err, size_t errlen)
{
	const struct ukey_backend_conf *b = &conf->backends[i];
	char why[160];
	struct stat st, other;

	if (!b->library || b->library[0] != '/') {
		snprintf(err, errlen, "%s: [backend %s]: library '%s' is not an absolute path; name the file in full",
			 conf->path, b->name, b->library ? b->library : "");
		return -1;
	}
	/* stat follows a symlink: the file that dlopen will map is judged. */
	if (stat(b->library, &st) != 0) {
		snprintf(err, errlen, "%s: [backend %s]: cannot load backend library %s: %s", conf->path, b->name,
			 b->library, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: [backend %s]: library %s is %s", conf->path, b->name, b->library,
			 kind_of(st.st_mode));
		return -1;
	}
	if (trust_problem(&st, why, sizeof(why))) {
		snprintf(err, errlen, "%s: [backend %s]: library %s not trusted: %s", conf->path, b->name,
			 b->library, why);
		return -1;
	}
	for (size_t k = 0; k < i; k++) {
		const struct ukey_backend_conf *a = &conf->backends[k];
		if (!a->library || a->library[0] != '/' || stat(a->library, &other) != 0)
			continue;
		if (other.st_dev == st.st_dev && other.st_ino == st.st_ino) {
			snprintf(err, errlen,
				 "%s: [backend %s]: library %s is the same file as [backend %s]'s (%s); "
				 "a library may serve one backend only, this section is ignored",
				 conf->path, b->name, b->library, a->name, a->library);
			return -1;
		}
	}
	return 0;
}
