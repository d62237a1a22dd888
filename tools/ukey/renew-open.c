/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* renew-open.c: what the reminder's "Renew now" opens. In a graphical
 * session (a display, and xdg-open to reach the browser) that is the
 * renewal assistant, `ukey assistant`, the same page the desktop entry
 * opens; anywhere else a terminal running `ukey renew` (notify.c). The
 * assistant is not waited for: it lives until its page is closed or idle,
 * while the check has other U-KEYs to see to and the timer's service
 * should end. It runs in a session of its own (a terminal's hangup is not
 * its end) and the check waits only for its address line, which says the
 * server listens. That line carries the session's secret: it is read from
 * a pipe and dropped, never passed on to the timer's log. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "reminder.h"

extern char **environ;

/* Time the assistant has to load the module and listen. */
#define ASSISTANT_START_MS 60000

int ukey_on_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t l = strcspn(p, ":");
		if (l > 0 && snprintf(buf, sizeof(buf), "%.*s/%s", (int)l, p, name) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return 1;
		p += l + (p[l] == ':');
	}
	return 0;
}

int ukey_graphical_session(void)
{
	const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");

	return ((x != NULL && x[0]) || (w != NULL && w[0])) && ukey_on_path("xdg-open");
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Reads the child's stdout up to its first line: 1 when that is the
 * address, 0 when the output ended without it, -1 on timeout. */
static int address_line(int fd)
{
	char buf[1024] = "";
	size_t got = 0;
	struct timespec t0;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL) {
		long left = ASSISTANT_START_MS - ms_since(&t0);
		int n;
		ssize_t r;
		if (left <= 0) {
			ret = -1;
			break;
		}
		n = poll(&pf, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0)
			continue;
		r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (ret == 0)
		ret = got > 20 && memcmp(buf, "ukey assistant: http", 20) == 0;
	/* The address holds the secret. */
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

int ukey_start_assistant(const char *medium, const char *module, struct ukey_err *e)
{
	char self[4096], serial[64], mod[4200];
	char *argv[5] = { self, "assistant", NULL, NULL, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int p[2], rc, up, status = 0, n = 2;
	pid_t pid;

	ukey_self_path(self, sizeof(self));
	/* One option word each: a medium number is never taken for an option. */
	if (medium != NULL && medium[0]) {
		snprintf(serial, sizeof(serial), "--serial=%s", medium);
		argv[n++] = serial;
	}
	if (module != NULL && module[0]) {
		snprintf(mod, sizeof(mod), "--module=%s", module);
		argv[n++] = mod;
	}
	if (pipe2(p, O_CLOEXEC) != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot start the renewal assistant: %s"), strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
	/* Nothing the check was given (a pipe a caller reads to its end)
	 * is held open for the assistant's lifetime. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
	/* Inherited ignored: once this check has gone, a write to the pipe
	 * it read the address from is an error for the assistant, not its
	 * death. */
	sigaction(SIGPIPE, &ign, &old);
	rc = posix_spawnp(&pid, self, &fa, &at, argv, environ);
	sigaction(SIGPIPE, &old, NULL);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot start the renewal assistant: %s"), strerror(rc));
	}
	up = address_line(p[0]);
	close(p[0]);
	if (up == 1)
		return UKEY_E_OK;
	if (up < 0)
		kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			break;
	if (up < 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("the renewal assistant did not start within %d seconds"),
				    ASSISTANT_START_MS / 1000);
	return ukey_err_set(e, UKEY_E_ERROR, _("the renewal assistant did not start (exit status %d)"),
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int ukey_open_renew(const char *medium, const char *module, int *with, struct ukey_err *e)
{
	struct ukey_err ae;

	*with = UKEY_RENEW_WITH_NONE;
	ukey_err_clear(&ae);
	if (ukey_graphical_session()) {
		if (ukey_start_assistant(medium, module, &ae) == UKEY_E_OK) {
			*with = UKEY_RENEW_WITH_ASSISTANT;
			return UKEY_E_OK;
		}
		/* The terminal still renews; why the page did not come is said. */
		fprintf(stderr, "ukey reminder: %s\n", ukey_tx(ae.msg));
	}
	if (ukey_open_renew_terminal(e) != UKEY_E_OK)
		return e->code;
	*with = UKEY_RENEW_WITH_TERMINAL;
	return UKEY_E_OK;
}
