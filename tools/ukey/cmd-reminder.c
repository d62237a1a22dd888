/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey reminder enable|disable|status|check: a systemd user timer that
 * checks daily whether the certificate on the U-KEY is due for renewal and
 * says so on the desktop (reminder-check.c). ukey writes the units itself
 * and asks the user's manager to load them; where no manager is reachable
 * (a shell over ssh, a container) it says exactly what to run later. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "reminder.h"
#include "ukey.h"

void ukey_cmd_reminder_usage(void)
{
	printf(_("Usage: ukey reminder enable [--days N] [--json] [--module PATH]\n"
		 "       ukey reminder disable [--json]\n"
		 "       ukey reminder status [--json]\n"
		 "       ukey reminder check [--days N] [--json] [--module PATH]\n"
		 "A daily systemd user timer (ukey-reminder.timer) that shows a desktop notification when\n"
		 "the certificate on your U-KEY is within N days (default 30) of its expiry, with a\n"
		 "\"Renew now\" action that opens the renewal assistant (ukey assistant) in the browser, or\n"
		 "where no graphical session is, runs 'ukey renew' in a terminal. 'check' is what the timer\n"
		 "runs.\n"));
}

static json_object *commands_json(const char *const *cmds)
{
	json_object *a = json_object_new_array();

	for (; *cmds; cmds++)
		json_object_array_add(a, json_object_new_string(*cmds));
	return a;
}

static const char *const enable_cmds[] = { "systemctl --user daemon-reload",
					   "systemctl --user enable --now " UKEY_REMINDER_TIMER, NULL };

static int enable(struct ukey_cli *c, long days)
{
	struct ukey_reminder_entry *list = NULL;
	char dir[4096], why[1024], out[1024] = "";
	size_t n = 0, i;
	int ret = ukey_units_dir(dir, sizeof(dir), &c->err), activated = 0, reachable = 0;

	if (ret == UKEY_E_OK)
		ret = ukey_units_write(dir, days, &c->err);
	if (ret != UKEY_E_OK)
		return ukey_cli_finish(c, ret);
	/* A manager that reloads is there; enabling can still fail for its
	 * own reason, which is then this command's error. */
	if (ukey_systemctl(out, sizeof(out), "daemon-reload", NULL) == 0) {
		reachable = 1;
		if (ukey_systemctl(out, sizeof(out), "enable", "--now", UKEY_REMINDER_TIMER, NULL) == 0)
			activated = 1;
		else
			ret = ukey_err_set(&c->err, UKEY_E_ERROR, _("systemctl --user enable --now %s failed: %s"),
					   UKEY_REMINDER_TIMER, out);
	}
	/* The U-KEYs inserted now are remembered, so the reminder knows their
	 * dates even if they are never in when the timer runs. */
	if (ret == UKEY_E_OK)
		ret = ukey_reminder_scan(c, 1, days, &list, &n, why, sizeof(why));
	if (ret != UKEY_E_OK)
		goto out;
	if (c->json) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();
		json_object_object_add(o, "unit_dir", json_object_new_string(dir));
		json_object_object_add(o, "days", json_object_new_int64(days));
		json_object_object_add(o, "manager_reachable", json_object_new_boolean(reachable));
		json_object_object_add(o, "activated", json_object_new_boolean(activated));
		json_object_object_add(o, "manager_error", reachable ? NULL : json_object_new_string(out));
		json_object_object_add(o, "run", activated ? NULL : commands_json(enable_cmds));
		json_object_object_add(o, "notify_send", json_object_new_boolean(ukey_on_path("notify-send")));
		for (i = 0; i < n; i++)
			json_object_array_add(arr, ukey_reminder_entry_json(&list[i]));
		json_object_object_add(o, "tokens", arr);
		json_object_object_add(o, "module_error", why[0] ? json_object_new_string(why) : NULL);
		ukey_cli_print_json(o);
		goto out;
	}
	printf(_("Wrote %s/%s and %s: every day at 09:00 (or at the next login after a missed day) ukey "
		 "checks whether the certificate is within %ld days of its expiry and reminds you on the "
		 "desktop.\n"), ukey_tx(dir), UKEY_REMINDER_TIMER, UKEY_REMINDER_SERVICE, days);
	if (activated)
		printf(_("The timer is on (systemctl --user enable --now %s).\n"), UKEY_REMINDER_TIMER);
	else
		printf(_("No systemd user manager is reachable (%s): the timer is written but not started. In your "
			 "desktop session, run:\n  %s\n  %s\n"), ukey_tx(out), enable_cmds[0], enable_cmds[1]);
	if (!ukey_on_path("notify-send"))
		printf("%s\n", _("notify-send is not installed (Debian package libnotify-bin): install it, or the "
				 "reminder can only write to the timer's log."));
	for (i = 0; i < n; i++)
		ukey_reminder_entry_print(&list[i], 1);
	if (why[0])
		fprintf(stderr, "ukey reminder: %s\n", ukey_tx(why));
	if (n == 0)
		printf("%s\n", _("No U-KEY is inserted: the daily check learns the expiry date whenever the U-KEY is "
				 "in (or insert it now and run 'ukey reminder check')."));
out:
	free(list);
	return ukey_cli_finish(c, ret);
}

static int disable(struct ukey_cli *c)
{
	char dir[4096], out[1024] = "";
	int ret = ukey_units_dir(dir, sizeof(dir), &c->err), removed = 0, reachable = 0;

	if (ret != UKEY_E_OK)
		return ukey_cli_finish(c, ret);
	/* Stopped and disabled by the manager first, so it holds no link to
	 * a file that is gone. */
	if (ukey_units_days(dir) >= 0 && ukey_systemctl(out, sizeof(out), "daemon-reload", NULL) == 0) {
		reachable = 1;
		ukey_systemctl(out, sizeof(out), "disable", "--now", UKEY_REMINDER_TIMER, NULL);
	}
	ret = ukey_units_remove(dir, &removed, &c->err);
	if (ret == UKEY_E_OK)
		ret = ukey_seen_forget(&c->err);
	if (ret == UKEY_E_OK && reachable)
		ukey_systemctl(out, sizeof(out), "daemon-reload", NULL);
	if (ret != UKEY_E_OK)
		return ukey_cli_finish(c, ret);
	if (c->json) {
		json_object *o = json_object_new_object();
		static const char *const cmds[] = { "systemctl --user stop " UKEY_REMINDER_TIMER,
						    "systemctl --user daemon-reload", NULL };
		json_object_object_add(o, "unit_dir", json_object_new_string(dir));
		json_object_object_add(o, "removed", json_object_new_int(removed));
		json_object_object_add(o, "manager_reachable", json_object_new_boolean(reachable));
		json_object_object_add(o, "run", reachable || removed == 0 ? NULL : commands_json(cmds));
		ukey_cli_print_json(o);
	} else if (removed == 0) {
		printf("%s\n", _("The reminder was not installed: nothing to remove."));
	} else {
		printf(_("The reminder is off: %s/%s and %s removed.\n"), ukey_tx(dir), UKEY_REMINDER_TIMER,
		       UKEY_REMINDER_SERVICE);
		if (!reachable)
			printf(_("No systemd user manager is reachable: a timer still running stops at the next login, "
				 "or now with:\n  systemctl --user stop %s\n  systemctl --user daemon-reload\n"),
			       UKEY_REMINDER_TIMER);
	}
	return ukey_cli_finish(c, UKEY_E_OK);
}

static int status(struct ukey_cli *c)
{
	struct ukey_reminder_entry *list = NULL;
	char dir[4096], why[8], enabled[256] = "", active[256] = "";
	size_t n = 0, i;
	long days;
	int ret = ukey_units_dir(dir, sizeof(dir), &c->err), reachable;

	if (ret != UKEY_E_OK)
		return ukey_cli_finish(c, ret);
	days = ukey_units_days(dir);
	/* is-enabled and is-active answer non-zero when the unit is not, so
	 * reachability is asked of a read-only call that always succeeds. */
	reachable = ukey_systemctl(enabled, sizeof(enabled), "show-environment", NULL) == 0;
	if (reachable) {
		ukey_systemctl(enabled, sizeof(enabled), "is-enabled", UKEY_REMINDER_TIMER, NULL);
		ukey_systemctl(active, sizeof(active), "is-active", UKEY_REMINDER_TIMER, NULL);
	}
	ret = ukey_reminder_scan(c, 0, days >= 0 ? days : UKEY_DUE_DAYS_DEFAULT, &list, &n, why, sizeof(why));
	if (ret != UKEY_E_OK)
		goto out;
	if (c->json) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();
		json_object_object_add(o, "installed", json_object_new_boolean(days >= 0));
		json_object_object_add(o, "unit_dir", json_object_new_string(dir));
		json_object_object_add(o, "days", days >= 0 ? json_object_new_int64(days) : NULL);
		json_object_object_add(o, "manager_reachable", json_object_new_boolean(reachable));
		json_object_object_add(o, "enabled", reachable ? json_object_new_string(enabled) : NULL);
		json_object_object_add(o, "active", reachable ? json_object_new_string(active) : NULL);
		for (i = 0; i < n; i++)
			json_object_array_add(arr, ukey_reminder_entry_json(&list[i]));
		json_object_object_add(o, "tokens", arr);
		ukey_cli_print_json(o);
	} else {
		if (days < 0)
			printf("%s\n", _("The reminder is not installed: 'ukey reminder enable' installs it."));
		else
			printf(_("The reminder is installed in %s: a daily check, %ld days before expiry.\n"), ukey_tx(dir),
			       days);
		if (days >= 0 && reachable)
			printf(_("systemd: the timer is %s and %s.\n"), ukey_tx(enabled), ukey_tx(active));
		else if (days >= 0)
			printf(_("systemd: no user manager is reachable (%s).\n"), ukey_tx(enabled));
		for (i = 0; i < n; i++)
			ukey_reminder_entry_print(&list[i], 0);
	}
	ret = days >= 0 ? UKEY_E_OK : UKEY_E_WAIT;
	c->reported = 1;
out:
	free(list);
	return ukey_cli_finish(c, ret);
}

int ukey_cmd_reminder(int argc, char **argv)
{
	struct ukey_cli c;
	const char *sub = argc > 1 ? argv[1] : "";
	int ret, is_enable = strcmp(sub, "enable") == 0, is_check = strcmp(sub, "check") == 0;
	long days;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		ukey_cmd_reminder_usage();
		return UKEY_EXIT_OK;
	}
	if (!is_enable && !is_check && strcmp(sub, "disable") != 0 && strcmp(sub, "status") != 0) {
		fprintf(stderr, "%s\n", _("ukey reminder: give enable, disable, status or check"));
		ukey_cmd_reminder_usage();
		return UKEY_EXIT_USAGE;
	}
	argc--;
	argv++;
	if (ukey_due_options("reminder", &argc, argv, NULL, &days) != UKEY_E_OK)
		return UKEY_EXIT_USAGE;
	if (days >= 0 && !is_enable && !is_check) {
		fprintf(stderr, _("ukey reminder %s: --days goes with enable and check\n"), sub);
		return UKEY_EXIT_USAGE;
	}
	if (days < 0)
		days = UKEY_DUE_DAYS_DEFAULT;
	ret = ukey_cli_parse(&c, "reminder", argc, argv, CLI_JSON | (is_enable || is_check ? CLI_MODULE : 0),
			     ukey_cmd_reminder_usage);
	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	if (c.nargs > 0) {
		ukey_cmd_reminder_usage();
		return ukey_cli_finish(&c, UKEY_E_USAGE);
	}
	if (is_enable)
		return enable(&c, days);
	if (is_check)
		return ukey_reminder_check(&c, days);
	return strcmp(sub, "disable") == 0 ? disable(&c) : status(&c);
}
