/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging in with the user PIN: from the terminal without echo, from a file
 * descriptor (--pin-fd) or UKEY_PIN_FILE for automation. Never from argv,
 * never retried automatically. */
#ifndef UKEY_RENEW_PIN_H
#define UKEY_RENEW_PIN_H

#include "token.h"

struct ukey_pin_opts {
	int fd;               /* --pin-fd, or -1 */
	int accept_final_try; /* --accept-final-try */
};

/* Warns (stderr) when the flags say COUNT_LOW or FINAL_TRY, before the try;
 * at FINAL_TRY refuses non-interactive input unless accept_final_try. One
 * C_Login. A wrong PIN is UKEY_E_TOKEN with what the flags now say. */
int ukey_pin_login(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_token_info *t,
		   const struct ukey_pin_opts *o, struct ukey_err *e);

#endif
