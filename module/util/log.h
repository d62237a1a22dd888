/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging to stderr, level set by UKEY_LOG (debug|info|warn|error|off) or the
 * config's [module] log key. Never pass a PIN, key material or plaintext here:
 * log lengths and outcomes instead. */
#ifndef UKEY_LOG_H
#define UKEY_LOG_H

#include <stdbool.h>

/* enum ukey_log_level, shared with libukey-renew (relative: the module's
 * include paths stay its own). */
#include "../../common/log-level.h"

/* Reads UKEY_LOG; called from C_Initialize. */
void ukey_log_init(void);
/* Applies the config's level unless UKEY_LOG set one (the environment wins). */
void ukey_log_set_default(const char *level);
bool ukey_log_enabled(enum ukey_log_level level);
void ukey_log_write(enum ukey_log_level level, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The text of this thread's last error line ("" when none since the clear),
 * printed or not. */
const char *ukey_log_last_error(void);
void ukey_log_clear_last_error(void);

/* Errors are always formatted, even when not printed: the last one is kept
 * for the vendor interface (a backend's load failure, token/vendor.c). */
#define ukey_log_at(lvl, ...)                                              \
	do {                                                               \
		if (ukey_log_enabled(lvl) || (lvl) == UKEY_LOG_ERROR)      \
			ukey_log_write(lvl, __func__, __VA_ARGS__);        \
	} while (0)
#define ukey_debug(...) ukey_log_at(UKEY_LOG_DEBUG, __VA_ARGS__)
#define ukey_info(...) ukey_log_at(UKEY_LOG_INFO, __VA_ARGS__)
#define ukey_warn(...) ukey_log_at(UKEY_LOG_WARN, __VA_ARGS__)
#define ukey_error(...) ukey_log_at(UKEY_LOG_ERROR, __VA_ARGS__)

#endif
