/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The module's configuration file (INI, parsed with libinih):
 *
 *   [module]
 *   log = warn
 *   pin_prompt = none | pinentry
 *   pinentry = pinentry          (program: a path, or a name in PATH)
 *   pinentry_timeout = 120       (seconds the PIN dialog may stay open)
 *
 *   [backend NAME]
 *   driver = p11 | skf
 *   library = /path/to/backend.so
 *   application = NAME        (skf only: which application to open)
 *   deepbind = yes | no       (default no: see ukey_dlopen_flags)
 *   quirks = NAME, !NAME ...  (skf only: vendor quirks forced on or off;
 *                              drivers/skf/quirks.c knows the names)
 *
 * Several backend sections give several slot ranges, in file order. */
#ifndef UKEY_CONF_H
#define UKEY_CONF_H

#include <stdbool.h>
#include <stddef.h>

#define UKEY_MAX_BACKENDS 8

struct ukey_backend_conf {
	char *name;
	char *driver;
	char *library;
	char *application;
	bool deepbind;
	/* The `quirks =` value as written (several lines joined by ", "); the
	 * driver parses it, so that the names live with what they change. */
	char *quirks;
	/* The file the section came from (the ukey_conf's path), for
	 * messages; NULL when the caller built the section itself. */
	const char *file;
};

/* How a NULL-PIN C_Login gets its PIN (docs/configuration.md, "PIN dialog"). */
enum ukey_pin_prompt {
	UKEY_PIN_PROMPT_NONE,        /* passed to the backend as today */
	UKEY_PIN_PROMPT_PINENTRY,    /* asked through the pinentry program */
};

#define UKEY_PINENTRY_TIMEOUT_DEFAULT 120

struct ukey_conf {
	char *path;
	char *log;
	char *pin_prompt;            /* the raw value; `prompt` is what counts */
	enum ukey_pin_prompt prompt;
	char *pinentry;              /* NULL: "pinentry" from PATH */
	unsigned pinentry_timeout;   /* seconds; UKEY_PINENTRY_TIMEOUT_DEFAULT */
	struct ukey_backend_conf backends[UKEY_MAX_BACKENDS];
	size_t nbackends;
};

/* dlopen flags for a backend library: RTLD_NOW | RTLD_LOCAL, plus
 * RTLD_DEEPBIND only when the backend asks for it (and never in sanitizer
 * builds). DEEPBIND would let a vendor library that carries its own OpenSSL
 * bind to it, but it also binds the library's malloc/free to glibc's while
 * the host (Chromium, Firefox) replaced them: the browser then aborts with
 * "double free or corruption" inside the backend's C_Initialize. Off by
 * default; `deepbind = yes` for a vendor library that needs it. */
int ukey_dlopen_flags(const struct ukey_backend_conf *conf);

/* A configuration file is a few lines; anything bigger is not one. */
#define UKEY_CONF_MAX_BYTES 65536

/* conf-check.c: the file's text, NUL-terminated (free it), read only from a
 * regular file of at most UKEY_CONF_MAX_BYTES owned by root or the running
 * user and not writable by others; NULL with the reason in err otherwise
 * (a FIFO or /dev/zero is refused at once, never read). */
char *ukey_config_read(const char *path, char *err, size_t errlen);
/* conf-check.c: whether backend i may be loaded: its library is an absolute
 * path to a regular file that passes the same owner and mode test, and is
 * not the file of an earlier section (compared by st_dev/st_ino, so a
 * symlink or another spelling is caught). -1 with one line in err when not. */
int ukey_config_check_backend(const struct ukey_conf *conf, size_t i, char *err, size_t errlen);

/* Path from UKEY_PKCS11_CONF, else $sysconfdir/ukey/ukey-pkcs11.conf. */
const char *ukey_config_default_path(void);
/* Loads and checks the file. On error returns -1 with a one-line reason in
 * err (naming the file and line) and leaves *conf empty. */
int ukey_config_load(const char *path, struct ukey_conf *conf, char *err, size_t errlen);
void ukey_config_free(struct ukey_conf *conf);

#endif
