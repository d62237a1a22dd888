/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libukey-renew's stderr log, at the levels of common/log-level.h. */
#ifndef UKEY_RENEW_LOG_H
#define UKEY_RENEW_LOG_H

#include "../../common/log-level.h"

/* Logs to stderr ("ukey[info]: ...") when the level is at least UKEY_LOG's
 * (the module's words: debug, info, warn, error, off; unset or another
 * word: warn, as in the module). Never pass a PIN, signature, nonce or
 * binding code. */
void ukey_log(enum ukey_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
