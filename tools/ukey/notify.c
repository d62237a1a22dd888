/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* notify.c: the reminder on the desktop. The notification goes through
 * notify-send (Debian's libnotify-bin), which speaks the freedesktop
 * notification API (org.freedesktop.Notifications.Notify) on the session
 * bus and, given an action, waits for the user's answer and prints the
 * action chosen. Doing the same in C would link GLib or libsystemd into
 * every ukey command for one call a day; a program that is missing is
 * said in words instead. Its action opens the renewal assistant
 * (renew-open.c), or where no page can be shown a terminal
 * (x-terminal-emulator, which Debian's policy says every terminal
 * provides, with -e) that runs `ukey renew`. */

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "reminder.h"

extern char **environ;

int ukey_run(char *const argv[], int merge, char *out, size_t len, int *status)
{
	posix_spawn_file_actions_t fa;
	int p[2], rc;
	size_t got = 0;
	ssize_t r;
	char sink[512];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	if (merge)
		posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		errno = rc;
		return -1;
	}
	/* Read to the end (what does not fit is drained): a child blocked on
	 * a full pipe would never exit. */
	for (;;) {
		char *dst = got + 1 < len ? out + got : sink;
		size_t room = got + 1 < len ? len - 1 - got : sizeof(sink);
		r = read(p[0], dst, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (dst == out + got)
			got += (size_t)r;
	}
	close(p[0]);
	if (len > 0)
		out[got] = '\0';
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

const char *ukey_self_path(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);

	/* Without /proc: the name PATH finds. */
	if (n <= 0 || (size_t)n >= len - 1)
		snprintf(out, len, "ukey");
	else
		out[n] = '\0';
	return out;
}

/* Notification bodies may be read as markup: the medium number is the
 * token's text, so nothing of it may open a tag or an entity. */
static const char *plain(const char *in, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "%s", ukey_tx(in));
	for (i = 0; buf[i]; i++)
		if (buf[i] == '<' || buf[i] == '>' || buf[i] == '&')
			buf[i] = '_';
	return buf;
}

static void summary_text(const struct ukey_due *d, char *buf, size_t len)
{
	if (d->days_left > 0)
		snprintf(buf, len, dngettext(UKEY_TEXTDOMAIN, "Your certificate expires in %ld day — renew now",
					     "Your certificate expires in %ld days — renew now",
					     (unsigned long)d->days_left), d->days_left);
	else if (d->days_left == 0 && d->not_after >= ukey_now())
		snprintf(buf, len, "%s", _("Your certificate expires today — renew now"));
	else
		snprintf(buf, len, "%s", _("Your certificate has expired — renew now"));
}

int ukey_notify_due(const struct ukey_due *d, int present, int *acted, struct ukey_err *e)
{
	char summary[256], body[768], medium[64], na[16], action1[160], action2[160], out[256];
	char *argv[] = { "notify-send", "--app-name=ukey", "--icon=dialog-warning",
			 d->days_left <= 7 ? "--urgency=critical" : "--urgency=normal", action1, action2, "--",
			 summary, body, NULL };
	int status;

	*acted = 0;
	summary_text(d, summary, sizeof(summary));
	plain(d->medium, medium, sizeof(medium));
	ukey_cli_date(d->not_after, na, sizeof(na));
	if (present)
		snprintf(body, sizeof(body), _("U-KEY %s: the signing certificate is valid until %s. Choose \"Renew "
					       "now\" to open the renewal assistant."), medium, na);
	else
		snprintf(body, sizeof(body), _("U-KEY %s: the signing certificate is valid until %s. Insert the "
					       "U-KEY, then choose \"Renew now\" to open the renewal assistant."),
			 medium, na);
	/* "default" is what clicking the notification itself chooses. */
	snprintf(action1, sizeof(action1), "--action=default=%s", _("Renew now"));
	snprintf(action2, sizeof(action2), "--action=renew=%s", _("Renew now"));
	if (ukey_run(argv, 0, out, sizeof(out), &status) != 0) {
		if (errno == ENOENT)
			return ukey_err_set(e, UKEY_E_ERROR, _("cannot show the reminder: notify-send is not installed "
							       "(Debian package libnotify-bin)"));
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot run notify-send: %s"), strerror(errno));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("notify-send could not show the reminder (is there a desktop "
						       "session with a notification service?): %s"),
				    out[0] ? out : _("no message"));
	out[strcspn(out, "\n")] = '\0';
	*acted = strcmp(out, "renew") == 0 || strcmp(out, "default") == 0;
	return UKEY_E_OK;
}

int ukey_open_renew_terminal(struct ukey_err *e)
{
	char self[4096], out[512];
	/* The window stays until Enter, so the outcome can be read; the
	 * script ends 0 whatever renew said (it said it in the window), so a
	 * failure here is the terminal's own (no display, say). */
	char *argv[] = { "x-terminal-emulator", "-e", "sh", "-c",
			 "\"$0\" renew; printf '\\n%s' \"$1\"; read -r _; exit 0", self,
			 (char *)_("Press Enter to close this window."), NULL };
	int status;

	ukey_self_path(self, sizeof(self));
	if (ukey_run(argv, 1, out, sizeof(out), &status) != 0) {
		if (errno == ENOENT)
			return ukey_err_set(e, UKEY_E_ERROR, _("no terminal to open (x-terminal-emulator is not "
							       "installed): run 'ukey renew' in a terminal"));
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot run x-terminal-emulator: %s"), strerror(errno));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("the terminal failed (%s): run 'ukey renew' in a terminal"),
				    out[0] ? out : _("no message"));
	return UKEY_E_OK;
}
