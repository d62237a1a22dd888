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

void ukey_generation_bump(const char *serial)
{
	char path[4096], tmp[4200], dir[4096];
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
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tmp, sizeof(tmp), "%s.%ld.%ld", path, (long)getpid(), ts.tv_nsec);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ukey_debug("%s: %s", tmp, strerror(errno));
		return;
	}
	char body[64];
	int blen = snprintf(body, sizeof(body), "%ld.%09ld %ld\n", (long)ts.tv_sec, ts.tv_nsec, (long)getpid());
	ssize_t w = write(fd, body, (size_t)blen);
	close(fd);
	/* rename() gives the path a new inode, so a reader's stat sees a change
	 * even within one timestamp tick. */
	if (w != blen || rename(tmp, path) != 0) {
		ukey_debug("%s: %s", path, strerror(errno));
		unlink(tmp);
	}
}

static bool stat_gen(const struct ukey_slot *slot, struct stat *st)
{
	char path[4096];
	return gen_path(slot->info.serial, path, sizeof(path)) == 0 && stat(path, st) == 0;
}

bool ukey_generation_changed(struct ukey_slot *slot)
{
	struct stat st;
	if (!stat_gen(slot, &st))
		return slot->gen_stamp.valid;
	return !slot->gen_stamp.valid || st.st_ino != slot->gen_stamp.ino || st.st_dev != slot->gen_stamp.dev ||
	       st.st_mtim.tv_sec != slot->gen_stamp.sec || st.st_mtim.tv_nsec != slot->gen_stamp.nsec;
}

void ukey_generation_record(struct ukey_slot *slot)
{
	struct stat st;
	if (!stat_gen(slot, &st)) {
		slot->gen_stamp.valid = false;
		return;
	}
	slot->gen_stamp.valid = true;
	slot->gen_stamp.dev = st.st_dev;
	slot->gen_stamp.ino = st.st_ino;
	slot->gen_stamp.sec = st.st_mtim.tv_sec;
	slot->gen_stamp.nsec = st.st_mtim.tv_nsec;
}
