/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* setup-conf.c: the module's configuration file as `ukey setup` changes
 * it. Only ever appended to: what is there (comments, [module], the
 * user's own backends and their order, hence their slot ids) stays byte
 * for byte, and a new section gets the next slot range. The existing
 * sections are read with libinih, as the module reads them; the file is
 * replaced whole (a temporary file in the same directory, renamed over
 * it) after the old one is kept as <file>.bak. */

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "setup.h"

/* The module reads at most this much (docs/configuration.md, "Who may
 * change the file"); a larger file is not one it would read. */
#define SETUP_CONF_MAX 65536
/* libinih reads lines of at most 200 bytes (INI_MAX_LINE), newline and
 * NUL included; a longer one would be cut and the rest misread. */
#define SETUP_LINE_MAX 196

struct reading {
	struct setup_conf *c;
	int too_many;
};

/* The module cuts a value at " #" (conf.c, set_str); so does this. */
static void value_of(char *dst, size_t len, const char *value)
{
	char *p;

	snprintf(dst, len, "%s", value);
	for (p = dst; *p; p++)
		if (*p == '#' && (p == dst || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	for (size_t n = strlen(dst); n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\t'); n--)
		dst[n - 1] = '\0';
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct reading *r = user;
	struct setup_conf *c = r->c;
	struct setup_section *s = NULL;

	if (strncmp(section, "backend ", 8) != 0)
		return 1; /* the module judges the rest; setup adds backends only */
	for (size_t i = 0; i < c->nsections; i++)
		if (strcmp(c->existing[i].name, section + 8) == 0)
			s = &c->existing[i];
	if (s == NULL && c->nsections == SETUP_PROBE_MAX) {
		r->too_many = 1;
		return 1;
	}
	if (s == NULL) {
		s = &c->existing[c->nsections++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", section + 8);
	}
	if (strcmp(key, "driver") == 0)
		value_of(s->driver, sizeof(s->driver), value);
	else if (strcmp(key, "library") == 0)
		value_of(s->library, sizeof(s->library), value);
	return 1;
}

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return _("a directory");
	if (S_ISFIFO(m))
		return _("a FIFO");
	if (S_ISCHR(m) || S_ISBLK(m))
		return _("a device");
	return _("not a regular file");
}

int setup_conf_read(const char *path, struct setup_conf *c, struct ukey_err *e)
{
	struct reading r = { c, 0 };
	struct stat st;
	size_t got = 0;
	int fd, rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->real, sizeof(c->real), "%s", path);
	c->mode = 0644;
	/* O_NONBLOCK: a FIFO in its place must not make setup wait. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT) {
		c->text = strdup("");
		return c->text ? UKEY_E_OK : ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	}
	if (fd < 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot read the module's configuration %s: %s"), path,
				    strerror(errno));
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot read the module's configuration %s: %s"), path,
				    strerror(err));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return ukey_err_set(e, UKEY_E_ERROR, _("the module's configuration %s is %s, not a configuration file"),
				    path, kind_of(st.st_mode));
	}
	if (st.st_size > SETUP_CONF_MAX) {
		close(fd);
		return ukey_err_set(e, UKEY_E_ERROR, _("the module's configuration %s is larger than %d bytes: the "
						       "module does not read it"), path, SETUP_CONF_MAX);
	}
	c->exists = 1;
	c->mode = st.st_mode & 07777;
	c->uid = st.st_uid;
	c->gid = st.st_gid;
	if (realpath(path, c->real) == NULL)
		snprintf(c->real, sizeof(c->real), "%s", path);
	c->text = malloc(SETUP_CONF_MAX + 1);
	if (c->text == NULL) {
		close(fd);
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	}
	for (;;) {
		ssize_t n = read(fd, c->text + got, SETUP_CONF_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			close(fd);
			return ukey_err_set(e, UKEY_E_ERROR, _("cannot read the module's configuration %s: %s"), path,
					    strerror(err));
		}
		if (n == 0 || (got += (size_t)n) == SETUP_CONF_MAX)
			break;
	}
	close(fd);
	c->text[got] = '\0';
	if (memchr(c->text, '\0', got) != NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("the module's configuration %s holds a NUL byte: it is not INI text"),
				    path);
	rc = ini_parse_string(c->text, on_entry, &r);
	if (rc != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("the module's configuration %s, line %d: syntax error; the module "
						       "does not read it either: correct it (or move it away) first"),
				    path, rc);
	if (r.too_many)
		return ukey_err_set(e, UKEY_E_ERROR, _("the module's configuration %s has more than %d [backend] sections"),
				    path, SETUP_PROBE_MAX);
	return UKEY_E_OK;
}

void setup_conf_free(struct setup_conf *c)
{
	free(c->text);
	c->text = NULL;
}

int setup_conf_value_ok(const char *key, const char *value)
{
	size_t n = strlen(value);

	if (n == 0)
		return 1;
	if (strlen(key) + 3 + n > SETUP_LINE_MAX || value[0] == ' ' || value[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)value[i];
		if (ch < 0x20 || ch == 0x7f)
			return 0;
		/* An inline comment to libinih (';') or to the module ('#'). */
		if ((ch == ';' || ch == '#') && i > 0 && (value[i - 1] == ' ' || value[i - 1] == '\t'))
			return 0;
	}
	return 1;
}

static int put(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		size_t want = (*len + n + 1) * 2;
		char *p = realloc(*buf, want);
		if (p == NULL)
			return 0;
		*buf = p;
		*cap = want;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 1;
}

char *setup_conf_append(const struct setup_conf *c, const struct setup_section *secs, size_t n)
{
	size_t len = 0, cap = 0, tl = strlen(c->text);
	char *buf = NULL, line[PATH_MAX + 160];
	int ok = put(&buf, &len, &cap, c->text);

	if (ok && tl > 0 && c->text[tl - 1] != '\n')
		ok = put(&buf, &len, &cap, "\n");
	/* A blank line before each new section, as a person would write it. */
	for (size_t i = 0; ok && i < n; i++) {
		if (len > 0 && !(len >= 2 && buf[len - 1] == '\n' && buf[len - 2] == '\n'))
			ok = put(&buf, &len, &cap, "\n");
		if (ok && secs[i].comment[0])
			ok = put(&buf, &len, &cap, secs[i].comment) && put(&buf, &len, &cap, "\n");
		snprintf(line, sizeof(line), "[backend %s]\ndriver = %s\nlibrary = %s\n", secs[i].name, secs[i].driver,
			 secs[i].library);
		ok = ok && put(&buf, &len, &cap, line);
		if (ok && secs[i].quirks[0]) {
			snprintf(line, sizeof(line), "quirks = %s\n", secs[i].quirks);
			ok = put(&buf, &len, &cap, line);
		}
	}
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The lines of text: starts[i] and the length with its newline. */
static size_t lines(const char *text, const char ***starts)
{
	size_t n = 0, cap = 16;
	const char **s = malloc(cap * sizeof(*s));

	for (const char *p = text; s != NULL && *p;) {
		if (n == cap) {
			const char **t = realloc(s, (cap *= 2) * sizeof(*s));
			if (t == NULL) {
				free(s);
				s = NULL;
				break;
			}
			s = t;
		}
		s[n++] = p;
		p += strcspn(p, "\n");
		p += *p == '\n';
	}
	*starts = s;
	return s ? n : 0;
}

static size_t line_len(const char *l)
{
	size_t n = strcspn(l, "\n");
	return n + (l[n] == '\n');
}

static int emit(char **buf, size_t *len, size_t *cap, char mark, const char *l)
{
	char one[2] = { mark, '\0' };
	size_t n = line_len(l);
	char *copy = strndup(l, n);
	int ok = copy != NULL && put(buf, len, cap, one) && put(buf, len, cap, copy);

	free(copy);
	if (ok && (n == 0 || l[n - 1] != '\n'))
		ok = put(buf, len, cap, "\n\\ No newline at end of file\n");
	return ok;
}

char *setup_conf_diff(const struct setup_conf *c, const char *text)
{
	const char **a = NULL, **b = NULL;
	size_t na = lines(c->text, &a), nb = lines(text, &b), k = 0, len = 0, cap = 0;
	char *buf = NULL, head[PATH_MAX * 2 + 64];
	int ok;

	/* Only ever appended to: the common part is a prefix. */
	while (k < na && k < nb && line_len(a[k]) == line_len(b[k]) && memcmp(a[k], b[k], line_len(a[k])) == 0)
		k++;
	snprintf(head, sizeof(head), "--- %s\n+++ %s\n@@ -%zu,%zu +%zu,%zu @@\n", c->exists ? c->path : "/dev/null",
		 c->path, na > k ? k + 1 : k, na - k, nb > k ? k + 1 : k, nb - k);
	ok = put(&buf, &len, &cap, na == k && nb == k ? "" : head);
	for (size_t i = k; ok && i < na; i++)
		ok = emit(&buf, &len, &cap, '-', a[i]);
	for (size_t i = k; ok && i < nb; i++)
		ok = emit(&buf, &len, &cap, '+', b[i]);
	free(a);
	free(b);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int write_all(int fd, const char *text)
{
	size_t left = strlen(text);

	while (left > 0) {
		ssize_t n = write(fd, text, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		text += n;
		left -= (size_t)n;
	}
	return fsync(fd);
}

/* mkdir -p: /etc/ukey does not exist before the first configuration. */
static int make_dirs(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* A new file next to path holding text, with the file's owner and mode;
 * its name in tmp. */
static int stage(const struct setup_conf *c, const char *path, const char *text, char *tmp, size_t len,
		 struct ukey_err *e)
{
	char buf[PATH_MAX], dir[PATH_MAX], base[PATH_MAX];
	int fd, err;

	snprintf(buf, sizeof(buf), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(buf));
	snprintf(buf, sizeof(buf), "%s", path);
	snprintf(base, sizeof(base), "%s", basename(buf));
	if (!c->exists && make_dirs(dir) != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot create the directory %s: %s"), dir, strerror(errno));
	if (snprintf(tmp, len, "%s/.%s.ukey-setup.XXXXXX", dir, base) >= (int)len)
		return ukey_err_set(e, UKEY_E_ERROR, _("%s: name too long"), path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = errno;
		tmp[0] = '\0';
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot write in %s: %s%s"), dir, strerror(err),
				    err == EACCES || err == EPERM || err == EROFS
					    ? _(" (run 'sudo ukey setup', or name another file with --config)")
					    : "");
	}
	if (write_all(fd, text) != 0 || fchmod(fd, c->mode) != 0 ||
	    (c->exists && geteuid() == 0 && fchown(fd, c->uid, c->gid) != 0)) {
		err = errno;
		close(fd);
		unlink(tmp);
		tmp[0] = '\0';
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot write %s: %s"), path, strerror(err));
	}
	close(fd);
	return UKEY_E_OK;
}

int setup_conf_stage(const struct setup_conf *c, const char *text, char *tmp_out, size_t len, struct ukey_err *e)
{
	return stage(c, c->real, text, tmp_out, len, e);
}

int setup_conf_commit(const struct setup_conf *c, const char *tmp, char *backup, size_t len, struct ukey_err *e)
{
	char btmp[PATH_MAX + 32], dir[PATH_MAX];
	int fd;

	backup[0] = '\0';
	if (c->exists) {
		snprintf(backup, len, "%s.bak", c->real);
		if (stage(c, backup, c->text, btmp, sizeof(btmp), e) != UKEY_E_OK)
			return e->code;
		if (rename(btmp, backup) != 0) {
			int err = errno;
			unlink(btmp);
			return ukey_err_set(e, UKEY_E_ERROR, _("cannot keep the old file as %s: %s"), backup,
					    strerror(err));
		}
	}
	if (rename(tmp, c->real) != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot replace %s: %s"), c->real, strerror(errno));
	/* The rename is durable once the directory is. */
	snprintf(dir, sizeof(dir), "%s", c->real);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return UKEY_E_OK;
}
