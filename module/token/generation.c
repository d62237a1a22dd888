/* Cross-process change notice (design.md §2): every write through the module
 * replaces $XDG_RUNTIME_DIR/ukey/<medium number>.gen; other processes that
 * hold the module (a browser) compare its identity with one stat() at
 * C_OpenSession and C_FindObjectsInit and reload their inventory when it
 * moved. Without XDG_RUNTIME_DIR the notice is off (logged once at debug):
 * a world-writable fallback directory would let other users forge it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "token/internal.h"
#include "util/log.h"

static int gen_path(const char *serial, char *path, size_t size)
{
	const char *dir = secure_getenv("XDG_RUNTIME_DIR");
	char name[40];
	size_t n = 0;
	if (!dir || dir[0] != '/')
		return -1;
	for (const char *p = serial; *p && n < sizeof(name) - 1; p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			name[n++] = *p;
	name[n] = '\0';
	if (n == 0)
		return -1;
	int len = snprintf(path, size, "%s/ukey/%s.gen", dir, name);
	return len > 0 && (size_t)len < size ? 0 : -1;
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

void ukey_generation_read(const char *serial, struct ukey_gen_stamp *g)
{
	char path[4096];
	struct stat st;

	memset(g, 0, sizeof(*g));
	if (gen_path(serial, path, sizeof(path)) == 0 && stat(path, &st) == 0)
		stamp_of(&st, g);
}

/* Replaces the file under an flock of <serial>.lock, so that the stamp read
 * before and the one written are adjacent in the order of all writers: *before
 * is what the file was just before this change, *after the change itself. */
static void bump(const char *serial, struct ukey_gen_stamp *before, struct ukey_gen_stamp *after)
{
	char path[4096], tmp[4200], dir[4096], lockp[4200];
	struct timespec ts;
	struct stat st;
	char body[64];
	int fd = -1, lk = -1, blen;

	memset(before, 0, sizeof(*before));
	memset(after, 0, sizeof(*after));
	if (gen_path(serial, path, sizeof(path)) != 0) {
		ukey_debug("no XDG_RUNTIME_DIR: other processes will see this change at their next login");
		return;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		ukey_debug("%s: %s", dir, strerror(errno));
		return;
	}
	snprintf(lockp, sizeof(lockp), "%.*s.lock", (int)(strlen(path) - 4), path);
	lk = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lk >= 0 && flock(lk, LOCK_EX) != 0) {
		close(lk);
		lk = -1;
	}
	if (stat(path, &st) == 0)
		stamp_of(&st, before);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tmp, sizeof(tmp), "%s.%ld.%ld", path, (long)getpid(), ts.tv_nsec);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ukey_debug("%s: %s", tmp, strerror(errno));
		goto out;
	}
	blen = snprintf(body, sizeof(body), "%ld.%09ld %ld\n", (long)ts.tv_sec, ts.tv_nsec, (long)getpid());
	/* rename() gives the path a new inode, so a reader's stat sees a change
	 * even within one timestamp tick; fstat before it is the file's stamp
	 * after it (rename keeps inode and mtime). */
	if (write(fd, body, (size_t)blen) != blen || fstat(fd, &st) != 0 || rename(tmp, path) != 0) {
		ukey_debug("%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	stamp_of(&st, after);
out:
	if (fd >= 0)
		close(fd);
	if (lk >= 0)
		close(lk); /* releases the flock */
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
