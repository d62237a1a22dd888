/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cross-process change notice (docs/architecture.md, "The inventory cache"): every write through the module
 * replaces $XDG_RUNTIME_DIR/ukey/<medium number>.gen; other processes that
 * hold the module (a browser) compare its identity with one stat() at
 * C_OpenSession and C_FindObjectsInit and reload their inventory when it
 * moved. Without XDG_RUNTIME_DIR the notice is off (logged once at debug):
 * a world-writable fallback directory would let other users forge it.
 *
 * The ukey/ directory must be ours: a real directory (not a symlink) owned
 * by this user with no access for group or others, as mkdir(0700) makes
 * it. One that another user made (or opened up, mode 0777) could hold a
 * <serial>.lock symlink making us create or truncate a file wherever it
 * points, so then the notice is off, with one warning. Inside the directory
 * every name is opened relative to it and without following symlinks. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "token/generation.h"
#include "token/model.h"
#include "util/log.h"

/* One warning per process: the directory does not change its owner often. */
static int warned;

static void notice_off(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void notice_off(const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	if (__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ukey_warn("%s; cross-process change notices are off (other programs see changes at their next login)", msg);
}

/* The file name stem for a serial: its letters and digits. */
static int gen_name(const char *serial, char *name, size_t size)
{
	size_t n = 0;
	for (const char *p = serial; *p && n < size - 1; p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			name[n++] = *p;
	name[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* Opens $XDG_RUNTIME_DIR/ukey, making it (0700) when create is set and it
 * is absent, and checks it is ours. -1 when there is none or it is not
 * trusted (warned once). */
static int gen_dir_open(bool create)
{
	const char *rt = secure_getenv("XDG_RUNTIME_DIR");
	char dir[4096];
	struct stat st;
	int fd;

	if (!rt || rt[0] != '/') {
		if (create)
			ukey_debug("no XDG_RUNTIME_DIR: other processes will see this change at their next login");
		return -1;
	}
	if (snprintf(dir, sizeof(dir), "%s/ukey", rt) >= (int)sizeof(dir))
		return -1;
	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		ukey_debug("%s: %s", dir, strerror(errno));
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			notice_off("%s is a symlink or not a directory", dir);
		else if (errno != ENOENT)
			ukey_debug("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
		notice_off("%s is owned by uid %lu with mode %04o, not this user's (uid %lu) with mode 0700", dir,
			  (unsigned long)st.st_uid, (unsigned)(st.st_mode & 07777), (unsigned long)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

static void stamp_of(const struct stat *st, struct ukey_gen_stamp *g)
{
	g->valid = true;
	g->dev = st->st_dev;
	g->ino = st->st_ino;
	g->sec = st->st_mtim.tv_sec;
	g->nsec = st->st_mtim.tv_nsec;
}

static bool stamp_eq(const struct ukey_gen_stamp *a, const struct ukey_gen_stamp *b)
{
	return a->valid == b->valid && (!a->valid || (a->dev == b->dev && a->ino == b->ino && a->sec == b->sec &&
						       a->nsec == b->nsec));
}

/* The stamp of <name>.gen in the open directory dfd. */
static void read_at(int dfd, const char *name, struct ukey_gen_stamp *g)
{
	char file[64];
	struct stat st;

	memset(g, 0, sizeof(*g));
	snprintf(file, sizeof(file), "%s.gen", name);
	if (fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
		stamp_of(&st, g);
}

void ukey_generation_read(const char *serial, struct ukey_gen_stamp *g)
{
	char name[40];
	int dfd;

	memset(g, 0, sizeof(*g));
	if (gen_name(serial, name, sizeof(name)) != 0 || (dfd = gen_dir_open(false)) < 0)
		return;
	read_at(dfd, name, g);
	close(dfd);
}

/* Replaces the file under an flock of <serial>.lock, so that the stamp read
 * before and the one written are adjacent in the order of all writers: *before
 * is what the file was just before this change, *after the change itself. */
static void bump(const char *serial, struct ukey_gen_stamp *before, struct ukey_gen_stamp *after)
{
	char name[40], file[64], lockf[64], tmp[96];
	struct timespec ts;
	struct stat st;
	char body[64];
	int dfd, fd = -1, lk, blen;

	memset(before, 0, sizeof(*before));
	memset(after, 0, sizeof(*after));
	if (gen_name(serial, name, sizeof(name)) != 0 || (dfd = gen_dir_open(true)) < 0)
		return;
	snprintf(file, sizeof(file), "%s.gen", name);
	snprintf(lockf, sizeof(lockf), "%s.lock", name);
	/* O_NOFOLLOW: a symlink planted here must not make us create a file
	 * at its target; O_NONBLOCK: nor may a FIFO stop us. */
	lk = openat(dfd, lockf, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (lk < 0 || fstat(lk, &st) != 0 || !S_ISREG(st.st_mode)) {
		notice_off("%s/%s cannot be opened as a regular file (%s)", secure_getenv("XDG_RUNTIME_DIR"), lockf,
			  lk < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	if (flock(lk, LOCK_EX) != 0)
		ukey_debug("%s: flock: %s", lockf, strerror(errno));
	read_at(dfd, name, before);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tmp, sizeof(tmp), "%s.%ld.%ld", file, (long)getpid(), ts.tv_nsec);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ukey_debug("%s: %s", tmp, strerror(errno));
		goto out;
	}
	blen = snprintf(body, sizeof(body), "%ld.%09ld %ld\n", (long)ts.tv_sec, ts.tv_nsec, (long)getpid());
	/* rename() gives the path a new inode, so a reader's stat sees a change
	 * even within one timestamp tick; fstat before it is the file's stamp
	 * after it (rename keeps inode and mtime). */
	if (write(fd, body, (size_t)blen) != blen || fstat(fd, &st) != 0 || renameat(dfd, tmp, dfd, file) != 0) {
		ukey_debug("%s: %s", file, strerror(errno));
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	stamp_of(&st, after);
out:
	if (fd >= 0)
		close(fd);
	if (lk >= 0)
		close(lk); /* releases the flock */
	close(dfd);
}

void ukey_generation_note_write_unlocked(struct ukey_slot *slot)
{
	char serial[sizeof(slot->info.serial)];
	struct ukey_gen_stamp before, after;

	ukey_lock();
	memcpy(serial, slot->info.serial, sizeof(serial));
	ukey_unlock();
	bump(serial, &before, &after);
	ukey_lock();
	/* Our cache includes this write. It is current only if it was current
	 * just before it: a change by another process in between leaves the old
	 * stamp, so the next check reloads. */
	if (stamp_eq(&slot->gen_stamp, &before))
		slot->gen_stamp = after;
	ukey_unlock();
}

bool ukey_generation_changed(struct ukey_slot *slot)
{
	char serial[sizeof(slot->info.serial)];
	struct ukey_gen_stamp now;

	memcpy(serial, slot->info.serial, sizeof(serial));
	ukey_generation_read(serial, &now);
	if (!now.valid)
		return slot->gen_stamp.valid;
	return !stamp_eq(&slot->gen_stamp, &now);
}
