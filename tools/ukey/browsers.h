/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browsers' NSS databases as register-browser finds them (Chromium's
 * ~/.pki/nssdb, every Firefox profile's), for `ukey doctor`: whether each
 * one lists the module, without changing any. */
#ifndef UKEY_TOOL_BROWSERS_H
#define UKEY_TOOL_BROWSERS_H

enum ukey_browser_outcome {
	UKEY_BROWSER_ADDED, UKEY_BROWSER_UPDATED,
	UKEY_BROWSER_ALREADY,    /* lists the module with this library path */
	UKEY_BROWSER_REMOVED,
	UKEY_BROWSER_ABSENT,     /* does not list the module */
	UKEY_BROWSER_SKIPPED,    /* no database (note says why) */
	UKEY_BROWSER_FAILED,     /* modutil failed on it (note) */
	UKEY_BROWSER_OTHER_PATH, /* lists the module with another library (note) */
};

/* One database: browser "chromium" or "firefox", profile (Firefox) or
 * NULL, the database directory, what was found, a note or "". */
typedef void (*ukey_browser_sink)(void *arg, const char *browser, const char *profile, const char *dir,
				  enum ukey_browser_outcome what, const char *note);

/* $HOME, else the password database's; NULL when neither. */
const char *ukey_browser_home(void);
/* Looks in every database under home for the module at the absolute path
 * module (read-only: modutil -list); each one goes to sink. */
void ukey_browsers_check(const char *home, const char *module, ukey_browser_sink sink, void *arg);

#endif
