/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Errors and logging of libukey-renew. Every fallible function takes a
 * struct ukey_err and returns its code (0 = success); the codes are the
 * ukey command's exit statuses, so a command returns e.code as it is. */
#ifndef UKEY_RENEW_ERR_H
#define UKEY_RENEW_ERR_H

#include "../../common/log-level.h"

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

/* Logs to stderr ("ukey[info]: ...") when the level is at least UKEY_LOG's
 * (the module's words: debug, info, warn, error, off; unset or another
 * word: warn, as in the module). Never pass a PIN, signature, nonce or
 * binding code. */
void ukey_log(enum ukey_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
