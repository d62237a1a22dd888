/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nssdb.h"

extern char **environ;

int ukey_run_capture(char *const argv[], char *out, size_t outlen)
{
	int fds[2] = { -1, -1 };
	int rc = -1, spawned = 0, status;
	size_t used = 0;
	pid_t pid;
	posix_spawn_file_actions_t fa;

	out[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(out, outlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		snprintf(out, outlen, "posix_spawn_file_actions_init failed");
		goto out_pipe;
	}
	/* dup2 clears FD_CLOEXEC on the copies, so the child keeps 1 and 2
	 * while both pipe ends close at exec. */
	if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, fds[1], 1) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, fds[1], 2) != 0) {
		snprintf(out, outlen, "posix_spawn_file_actions failed");
		goto out_fa;
	}
	int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	if (err != 0) {
		snprintf(out, outlen, "cannot run %s: %s", argv[0], strerror(err));
		goto out_fa;
	}
	spawned = 1;
	close(fds[1]);
	fds[1] = -1;
	for (;;) {
		char buf[1024];
		ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Keep reading past a full buffer so the child never blocks. */
		size_t room = outlen - 1 - used;
		size_t take = (size_t)n < room ? (size_t)n : room;
		memcpy(out + used, buf, take);
		used += take;
		out[used] = '\0';
	}
out_fa:
	posix_spawn_file_actions_destroy(&fa);
out_pipe:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (spawned) {
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				snprintf(out, outlen, "waitpid: %s", strerror(errno));
				return -1;
			}
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	return rc;
}

/* The reason to show for a failed tool run: its "ERROR:" line when it
 * printed one, else its last non-empty line. */
static void reason_from(const char *tool, int rc, const char *out, char *err, size_t errlen)
{
	const char *line = NULL, *p = out;
	int len = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		if (n > 0 && strncmp(p, "ukey-pkcs11[", 12) != 0) {
			if (!line || strncmp(line, "ERROR", 5) != 0)
				line = p, len = n;
		}
		p += n + (nl ? 1 : 0);
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", out);
	else if (line)
		snprintf(err, errlen, "%s exited %d: %.*s", tool, rc, len, line);
	else
		snprintf(err, errlen, "%s exited %d", tool, rc);
}

static void sql_spec(char *spec, size_t len, const char *dir)
{
	snprintf(spec, len, "sql:%s", dir);
}

int ukey_nssdb_query(const char *dir, char *lib, size_t liblen, char *err, size_t errlen)
{
	char spec[4200], out[8192];
	sql_spec(spec, sizeof(spec), dir);
	char *argv[] = { "modutil", "-dbdir", spec, "-list", UKEY_NSS_MODULE_NAME, NULL };
	int rc = ukey_run_capture(argv, out, sizeof(out));

	if (rc != 0) {
		/* modutil says so (exit 29) when the name is not there. */
		if (rc > 0 && strstr(out, "not found in database"))
			return 0;
		reason_from("modutil -list", rc, out, err, errlen);
		return -1;
	}
	const char *key = strstr(out, "Library file: ");
	if (!key) {
		snprintf(err, errlen, "modutil -list printed no 'Library file:' line");
		return -1;
	}
	key += strlen("Library file: ");
	size_t n = strcspn(key, "\n");
	snprintf(lib, liblen, "%.*s", (int)n, key);
	return 1;
}

int ukey_nssdb_add(const char *dir, const char *module, char *err, size_t errlen)
{
	char spec[4200], out[8192];
	sql_spec(spec, sizeof(spec), dir);
	/* -force: no "is the browser running?" prompt (stdin is /dev/null). */
	char *argv[] = { "modutil", "-dbdir", spec, "-add", UKEY_NSS_MODULE_NAME,
			 "-libfile", (char *)module, "-force", NULL };
	int rc = ukey_run_capture(argv, out, sizeof(out));
	if (rc != 0) {
		reason_from("modutil -add", rc, out, err, errlen);
		return -1;
	}
	return 0;
}

int ukey_nssdb_delete(const char *dir, char *err, size_t errlen)
{
	char spec[4200], out[8192];
	sql_spec(spec, sizeof(spec), dir);
	char *argv[] = { "modutil", "-dbdir", spec, "-delete", UKEY_NSS_MODULE_NAME, "-force", NULL };
	int rc = ukey_run_capture(argv, out, sizeof(out));
	if (rc != 0) {
		reason_from("modutil -delete", rc, out, err, errlen);
		return -1;
	}
	return 0;
}

int ukey_nssdb_create(const char *dir, char *err, size_t errlen)
{
	char spec[4200], out[8192];
	sql_spec(spec, sizeof(spec), dir);
	/* Chromium opens its database with an empty password, as here. */
	char *argv[] = { "certutil", "-N", "-d", spec, "--empty-password", NULL };
	int rc = ukey_run_capture(argv, out, sizeof(out));
	if (rc != 0) {
		reason_from("certutil -N", rc, out, err, errlen);
		return -1;
	}
	return 0;
}
