/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libukey-renew's public header, ground floor (front-ends include
 * ukey-renew.h, which includes this): errors, translations, text from
 * outside made printable, the configuration. No PKCS#11 and no JSON here,
 * so the seal library (ukey-seal.h) stands on it too. */
#ifndef UKEY_BASE_H
#define UKEY_BASE_H

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include <libintl.h>

/* --- Errors --------------------------------------------------------------
 * Every fallible function takes a struct ukey_err and returns its code (0 =
 * success); the codes are the ukey command's exit statuses, so a command
 * returns e.code as it is. */
enum ukey_err_code {
	UKEY_E_OK = 0,
	UKEY_E_ERROR = 1,   /* something could not be done */
	UKEY_E_USAGE = 2,   /* bad command line */
	UKEY_E_WAIT = 3,    /* nothing to do yet: waiting for someone else */
	UKEY_E_TOKEN = 4,   /* no token, several, wrong PIN, locked */
	UKEY_E_SERVICE = 5, /* service unreachable, TLS refused, 5xx */
	UKEY_E_INTERRUPTED = 130, /* stopped by Ctrl-C (or SIGTERM, SIGHUP): 128 + SIGINT */
};

struct ukey_err {
	int code;
	char service_code[48]; /* the service's error code ("order_unpaid"), or "" */
	char msg[1024];        /* translated, for the user */
};

void ukey_err_clear(struct ukey_err *e);
/* Sets code and message (printf format); returns code. */
int ukey_err_set(struct ukey_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- Translations: every user-facing string goes through _() (domain
 * "ukey"). ------------------------------------------------------------ */
#define UKEY_TEXTDOMAIN "ukey"
#define _(s) dgettext(UKEY_TEXTDOMAIN, s)
#define N_(s) s

/* setlocale + bindtextdomain (LOCALEDIR, or $UKEY_LOCALEDIR for a build
 * tree); call once from main. */
void ukey_i18n_init(void);

/* --- Text from outside -----------------------------------------------------
 * The token (labels, serial numbers, seal names), certificates (subjects,
 * issuers), the CA service's answers (seal names, types, ids, titles): made
 * safe to print, since a control character in it would otherwise reach the
 * terminal (an ESC sequence retitles the window, recolours it, or rewrites
 * what was printed above). Every such string is printed through these, and
 * nothing else. */

/* Copies in to out (always NUL-terminated, cut at a character when out is
 * too small) with C0 controls and DEL as \xNN, C1 controls and the
 * bidirectional-override characters as \u{NNNN}, and each byte that is not
 * UTF-8 as \xNN. keep_newlines: '\n' passes (a message of ours that lists
 * lines), else it is \x0a too. Returns out. */
char *ukey_text_escape(const char *in, char *out, size_t outlen, int keep_newlines);
/* The same into one of a few per-thread buffers (1 KiB), for printf
 * arguments: the result stays valid for the next 7 calls on the thread.
 * NULL gives "". */
const char *ukey_tx(const char *in);
/* A JSON text (json-c's output) with DEL and the C1 controls as \u00NN and
 * bytes that are not UTF-8 as \ufffd: the same JSON value where it was
 * valid, and nothing a terminal would act on. json-c escapes C0 itself.
 * malloc'd. */
char *ukey_text_json_safe(const char *json);

/* Bytes as lower-case hex (CKA_IDs, the journal's fields), malloc'd. */
char *ukey_hex(const unsigned char *p, size_t len);
/* And back, strictly (either case; " 1", "+1" or "0x" are refused): 0 with
 * *len bytes in out (at most max), -1 otherwise. */
int ukey_unhex(const char *hex, unsigned char *out, size_t max, size_t *len);

/* --- Configuration ---------------------------------------------------------
 * ~/.config/ukey/ukey.conf (INI), then the environment, then the command
 * line:
 *
 *   [module]
 *   path = /usr/lib/x86_64-linux-gnu/pkcs11/ukey-pkcs11.so
 *   [service]
 *   url = https://ca.example.cn
 *   ca = /etc/ukey/service-ca.pem      (also spelled ca_file)
 *   protocol = native                  (or cmp: RFC 4210 key update)
 *   cmp_trusted = /etc/ukey/cmp-ca.pem (cmp: who signs the answers; default: ca)
 *   cmp_path = /.well-known/cmp        (cmp: the path on url)
 *
 * Environment: UKEY_CONFIG (the file), UKEY_MODULE, UKEY_SERVICE_URL,
 * UKEY_SERVICE_CA, UKEY_SERVICE_PROTOCOL, UKEY_CMP_TRUSTED, UKEY_CMP_PATH. */
struct ukey_conf {
	char module[PATH_MAX];
	char service_url[1024];
	char service_ca[PATH_MAX];
	char protocol[16]; /* "native" or "cmp" */
	char cmp_trusted[PATH_MAX];
	char cmp_path[256];
};
/* The service speaks CMP only (no binding, orders, invoices or seals). */
#define UKEY_CONF_CMP(c) (strcmp((c)->protocol, "cmp") == 0)

/* The file: $UKEY_CONFIG, else $XDG_CONFIG_HOME/ukey/ukey.conf, else
 * ~/.config/ukey/ukey.conf ("" without a home). Returns path. */
const char *ukey_conf_path(char *path, size_t len);
/* Loads defaults, the file (a missing file is fine), then the environment. */
int ukey_conf_load(struct ukey_conf *c, struct ukey_err *e);
/* protocol and cmp_path usable (after the command line changed them). */
int ukey_conf_check(const struct ukey_conf *c, struct ukey_err *e);

#endif
