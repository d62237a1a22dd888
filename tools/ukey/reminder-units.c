/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* reminder-units.c: the systemd user timer and service of the reminder,
 * written where the user's manager looks ($XDG_CONFIG_HOME/systemd/user),
 * and `systemctl --user` to load and start them. The service is a oneshot
 * because the notification waits for the user's answer; its start timeout
 * bounds that wait below a day, so the next day's check is never blocked
 * by an unanswered one. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "reminder.h"

int ukey_units_dir(char *out, size_t len, struct ukey_err *e)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	/* The same rule as systemd's: a relative XDG_CONFIG_HOME is ignored. */
	if (x != NULL && x[0] == '/')
		n = snprintf(out, len, "%s/systemd/user", x);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(out, len, "%s/.config/systemd/user", home);
	else
		return ukey_err_set(e, UKEY_E_ERROR, _("neither XDG_CONFIG_HOME nor HOME is set: no place for the "
						       "reminder's timer"));
	if (n < 0 || (size_t)n >= len)
		return ukey_err_set(e, UKEY_E_ERROR, _("the systemd user unit directory name is too long"));
	return UKEY_E_OK;
}

int ukey_mkdirs(const char *path, unsigned mode, struct ukey_err *e)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot create %s: %s"), path, strerror(ENAMETOOLONG));
	for (char *q = p + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST)
				return ukey_err_set(e, UKEY_E_ERROR, _("cannot create %s: %s"), p, strerror(errno));
			*q = '/';
		}
	if (mkdir(p, mode) != 0 && errno != EEXIST)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot create %s: %s"), p, strerror(errno));
	return UKEY_E_OK;
}

int ukey_write_atomic(const char *path, const char *text, unsigned mode, struct ukey_err *e)
{
	char tmp[PATH_MAX + 8];
	size_t len = strlen(text), off = 0;
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot write %s: %s"), path, strerror(ENAMETOOLONG));
	fd = mkstemp(tmp);
	if (fd < 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot write %s: %s"), path, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return UKEY_E_OK;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ukey_err_set(e, UKEY_E_ERROR, _("cannot write %s: %s"), path, strerror(saved));
}

/* A path as one word of a unit's command line: quoted, with the
 * specifiers (%) and variables ($) it may hold taken literally. */
static int exec_word(const char *in, char *out, size_t len)
{
	size_t n = 0;

	if (len < 3)
		return -1;
	out[n++] = '"';
	for (const char *p = in; *p; p++) {
		const char *rep = *p == '"' ? "\\\"" : *p == '\\' ? "\\\\" : *p == '%' ? "%%" : *p == '$' ? "$$" : NULL;
		char one[2] = { *p, '\0' };
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
		if (rep == NULL)
			rep = one;
		if (n + strlen(rep) + 2 > len)
			return -1;
		memcpy(out + n, rep, strlen(rep));
		n += strlen(rep);
	}
	out[n++] = '"';
	out[n] = '\0';
	return 0;
}

static int join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int ukey_units_write(const char *dir, long days, struct ukey_err *e)
{
	char self[PATH_MAX], word[3 * PATH_MAX], text[4 * PATH_MAX], path[PATH_MAX];
	int ret;

	if (exec_word(ukey_self_path(self, sizeof(self)), word, sizeof(word)) != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("this program's path cannot go into a unit file: %s"),
				    ukey_tx(self));
	ret = ukey_mkdirs(dir, 0755, e);
	if (ret != UKEY_E_OK)
		return ret;
	snprintf(text, sizeof(text),
		 "# Written by 'ukey reminder enable'; 'ukey reminder disable' removes it. See ukey(1).\n"
		 "[Unit]\n"
		 "Description=Remind me when my U-KEY certificate needs renewing (ukey)\n"
		 "Documentation=man:ukey(1)\n"
		 "\n"
		 "[Service]\n"
		 "Type=oneshot\n"
		 "ExecStart=%s reminder check --days %ld\n"
		 "# The notification waits for an answer (\"Renew now\" opens the renewal\n"
		 "# assistant, or a terminal); an unanswered one gives up before the next\n"
		 "# day's check.\n"
		 "TimeoutStartSec=20h\n"
		 "# The assistant outlives the check (it ends when its page is closed):\n"
		 "# the end of the check must not end it.\n"
		 "KillMode=process\n",
		 word, days);
	if (join(path, sizeof(path), dir, UKEY_REMINDER_SERVICE) != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot write %s: %s"), dir, strerror(ENAMETOOLONG));
	ret = ukey_write_atomic(path, text, 0644, e);
	if (ret != UKEY_E_OK)
		return ret;
	/* Daily in the morning; Persistent: a day the computer was off or the
	 * user was not logged in is checked at the next login. */
	snprintf(text, sizeof(text),
		 "# Written by 'ukey reminder enable'; 'ukey reminder disable' removes it. See ukey(1).\n"
		 "[Unit]\n"
		 "Description=Daily check of the U-KEY certificate's expiry (ukey)\n"
		 "Documentation=man:ukey(1)\n"
		 "\n"
		 "[Timer]\n"
		 "OnCalendar=*-*-* 09:00:00\n"
		 "Persistent=true\n"
		 "RandomizedDelaySec=15min\n"
		 "\n"
		 "[Install]\n"
		 "WantedBy=timers.target\n");
	join(path, sizeof(path), dir, UKEY_REMINDER_TIMER);
	return ukey_write_atomic(path, text, 0644, e);
}

int ukey_units_remove(const char *dir, int *removed, struct ukey_err *e)
{
	static const char *const names[] = { UKEY_REMINDER_TIMER, UKEY_REMINDER_SERVICE,
					     "timers.target.wants/" UKEY_REMINDER_TIMER };
	char path[PATH_MAX];
	struct stat st;

	*removed = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (join(path, sizeof(path), dir, names[i]) != 0 || lstat(path, &st) != 0)
			continue;
		/* The enablement link is systemctl's; it is ours only when it is a link. */
		if (i == 2 && !S_ISLNK(st.st_mode))
			continue;
		if (unlink(path) != 0)
			return ukey_err_set(e, UKEY_E_ERROR, _("cannot remove %s: %s"), path, strerror(errno));
		if (i < 2)
			(*removed)++;
	}
	return UKEY_E_OK;
}

long ukey_units_days(const char *dir)
{
	char path[PATH_MAX], line[3 * PATH_MAX];
	const char *p;
	long days = -1;
	FILE *f;

	if (join(path, sizeof(path), dir, UKEY_REMINDER_SERVICE) != 0 || (f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "ExecStart=", 10) == 0 && (p = strstr(line, " reminder check --days ")) != NULL)
			days = strtol(p + strlen(" reminder check --days "), NULL, 10);
	fclose(f);
	return days;
}

int ukey_systemctl(char *out, size_t len, ...)
{
	char *argv[16] = { "systemctl", "--user" };
	size_t n = 2;
	int status;
	va_list ap;

	va_start(ap, len);
	for (char *a; n + 1 < sizeof(argv) / sizeof(argv[0]) && (a = va_arg(ap, char *)) != NULL;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	if (ukey_run(argv, 1, out, len, &status) != 0) {
		snprintf(out, len, _("cannot run systemctl: %s"), strerror(errno));
		return -1;
	}
	out[strcspn(out, "\n")] = '\0';
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
