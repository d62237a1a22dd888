/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Never missing an expiry: when a renewal is due (due.c), the expiry dates
 * remembered for U-KEYs that are not inserted (seen.c), the desktop
 * notification and the terminal its action may open (notify.c), what that
 * action opens (renew-open.c), and the systemd user timer that checks
 * daily (reminder-units.c). */
#ifndef UKEY_TOOL_REMINDER_H
#define UKEY_TOOL_REMINDER_H

#include <json-c/json.h>
#include <time.h>

#include "ukey-renew.h"

#define UKEY_DUE_DAYS_DEFAULT 30
#define UKEY_DUE_DAYS_MAX 3650

/* --- due.c ---------------------------------------------------------------- */
struct ukey_due {
	char medium[17];
	char serial_hex[80]; /* the signing certificate's serial */
	time_t not_after;
	long days;      /* the threshold (--days) */
	long days_left; /* whole days from now (ukey_now), negative once expired */
	int due;        /* days_left <= days */
	time_t due_from; /* the first second at which it is due */
};

/* Takes --when-due (when when_due is not NULL) and --days N out of argv
 * (the shared parser does not know them). *days: as given, else
 * UKEY_DUE_DAYS_DEFAULT with when_due, -1 without. UKEY_E_USAGE after
 * saying what is wrong (--days without --when-due among them). */
int ukey_due_options(const char *cmd, int *argc, char **argv, int *when_due, long *days);
/* The due state of a U-KEY from its certificates (the signing one, the
 * latest notAfter). No signing certificate: UKEY_E_TOKEN. */
int ukey_due_check(const char *medium, const struct ukey_cert *certs, size_t n, long days, struct ukey_due *d,
		   struct ukey_err *e);
/* The same from a remembered notAfter. */
void ukey_due_from(const char *medium, const char *serial_hex, time_t not_after, long days, struct ukey_due *d);
/* {"medium", "certificate_serial", "not_after", "days_left", "days", "due", "due_from"} */
json_object *ukey_due_json(const struct ukey_due *d);
/* One line: "Renewal is due: ..." or "Renewal is not due yet: ...". */
void ukey_due_print(const struct ukey_due *d);

/* --- seen.c: $XDG_STATE_HOME/ukey/reminder.json --------------------------- */
struct ukey_seen {
	char medium[17];
	char label[33];
	char serial_hex[80];
	time_t not_after;
	time_t seen; /* when ukey last read it from the U-KEY */
};
/* The remembered U-KEYs (a missing file is none). *out malloc'd. */
int ukey_seen_load(struct ukey_seen **out, size_t *n, struct ukey_err *e);
/* Records s (replacing its medium's entry); update_only: only when that
 * medium is remembered already (the renewal keeps a reminder true without
 * starting one nobody asked for). */
int ukey_seen_put(const struct ukey_seen *s, int update_only, struct ukey_err *e);
/* Forgets them all (reminder disable). */
int ukey_seen_forget(struct ukey_err *e);
/* The file's path. */
int ukey_seen_path(char *out, size_t len, struct ukey_err *e);

/* --- notify.c ------------------------------------------------------------- */
/* Shows the reminder for d through notify-send (the freedesktop
 * notification service on the session bus) with a "Renew now" action, and
 * waits for the user: *acted is 1 when the action was chosen. present: the
 * U-KEY is inserted (else the text asks for it). */
int ukey_notify_due(const struct ukey_due *d, int present, int *acted, struct ukey_err *e);
/* Opens a terminal (x-terminal-emulator -e) running this ukey's renew and
 * waits for it. */
int ukey_open_renew_terminal(struct ukey_err *e);
/* Runs argv (PATH searched) with its stdout (and stderr when merge) in out,
 * NUL-terminated; *status is its wait status. -1 with errno when it could
 * not be started. */
int ukey_run(char *const argv[], int merge, char *out, size_t len, int *status);
/* This program's absolute path (/proc/self/exe). */
const char *ukey_self_path(char *out, size_t len);

/* --- renew-open.c: what "Renew now" opens --------------------------------- */
enum { UKEY_RENEW_WITH_NONE, UKEY_RENEW_WITH_ASSISTANT, UKEY_RENEW_WITH_TERMINAL };
/* 1 when name is an executable in a PATH directory. */
int ukey_on_path(const char *name);
/* 1 when a page can be shown: DISPLAY or WAYLAND_DISPLAY set, xdg-open
 * on PATH. */
int ukey_graphical_session(void);
/* Starts this ukey's `assistant --serial=MEDIUM [--module=MODULE]` in a
 * session of its own and returns once it listens (its address line read
 * and dropped), leaving it running. */
int ukey_start_assistant(const char *medium, const char *module, struct ukey_err *e);
/* The assistant in a graphical session, else (or when it did not start)
 * the terminal; *with: UKEY_RENEW_WITH_*, what was opened. */
int ukey_open_renew(const char *medium, const char *module, int *with, struct ukey_err *e);

/* --- reminder-units.c ----------------------------------------------------- */
#define UKEY_REMINDER_TIMER "ukey-reminder.timer"
#define UKEY_REMINDER_SERVICE "ukey-reminder.service"
/* $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user. */
int ukey_units_dir(char *out, size_t len, struct ukey_err *e);
/* mkdir -p with mode for the directories it makes. */
int ukey_mkdirs(const char *path, unsigned mode, struct ukey_err *e);
/* Writes text to path atomically (temp file, fsync, rename). */
int ukey_write_atomic(const char *path, const char *text, unsigned mode, struct ukey_err *e);
/* Writes the two units for `ukey reminder check --days days`. */
int ukey_units_write(const char *dir, long days, struct ukey_err *e);
/* Removes them and the timer's enablement link; *removed: how many files. */
int ukey_units_remove(const char *dir, int *removed, struct ukey_err *e);
/* The --days the installed service passes, -1 when not installed. */
long ukey_units_days(const char *dir);
/* `systemctl --user ARGS...` (NULL-terminated): 0 when it succeeded, else
 * its output (or why it did not run) in out. */
int ukey_systemctl(char *out, size_t len, ...) __attribute__((sentinel));

/* --- reminder-check.c: what the daily check does ---------------------------- */
struct ukey_cli;
struct ukey_reminder_entry {
	struct ukey_due d;
	char label[33];
	int present;     /* inserted now (else remembered) */
	time_t seen;     /* when its expiry was read from it */
	int notified;    /* the notification was shown */
	int opened;      /* its action opened the assistant or the terminal */
	int opened_with; /* UKEY_RENEW_WITH_*: which */
	char error[1024]; /* what went wrong with this one, or "" */
};
/* The U-KEYs inserted (each read and remembered) when scan, then the
 * remembered ones that are not, each with its due state for days. *out
 * malloc'd. A module that does not load is not an error here (the
 * remembered ones still count): its reason is in why. */
int ukey_reminder_scan(struct ukey_cli *c, int scan, long days, struct ukey_reminder_entry **out, size_t *n,
		       char *why, size_t whylen);
json_object *ukey_reminder_entry_json(const struct ukey_reminder_entry *x);
/* scanned: the inserted U-KEYs were read (else "present" is unknown). */
void ukey_reminder_entry_print(const struct ukey_reminder_entry *x, int scanned);
/* ukey reminder check: scan, then notify for each one due. */
int ukey_reminder_check(struct ukey_cli *c, long days);

#endif
