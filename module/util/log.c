/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static int log_level = UKEY_LOG_WARN;
static bool log_from_env;
static __thread char last_error[512];

const char *ukey_log_last_error(void)
{
	return last_error;
}

void ukey_log_clear_last_error(void)
{
	last_error[0] = '\0';
}

void ukey_log_init(void)
{
	const char *env = secure_getenv("UKEY_LOG");
	int lvl = ukey_log_level_parse(env);
	log_from_env = lvl >= 0;
	log_level = log_from_env ? lvl : UKEY_LOG_WARN;
	if (env && *env && lvl < 0)
		ukey_log_write(UKEY_LOG_WARN, __func__,
			       "UKEY_LOG=%s is not one of debug, info, warn, error, off", env);
}

void ukey_log_set_default(const char *level)
{
	int lvl = ukey_log_level_parse(level);
	if (lvl < 0) {
		ukey_warn("config: log = %s is not one of debug, info, warn, error, off", level);
		return;
	}
	if (!log_from_env)
		log_level = lvl;
}

bool ukey_log_enabled(enum ukey_log_level level)
{
	return (int)level >= log_level && level != UKEY_LOG_OFF;
}

void ukey_log_write(enum ukey_log_level level, const char *where, const char *fmt, ...)
{
	static const char *const tags[] = { "debug", "info", "warning", "error", "" };
	char msg[1024];
	va_list ap;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (level == UKEY_LOG_ERROR) {
		size_t n = strnlen(msg, sizeof(last_error) - 1);
		/* Cut at a character boundary: the text is UTF-8. */
		if (msg[n] != '\0')
			while (n > 0 && ((unsigned char)msg[n] & 0xc0) == 0x80)
				n--;
		memcpy(last_error, msg, n);
		last_error[n] = '\0';
	}
	if (!ukey_log_enabled(level))
		return;
	/* One fprintf per line so lines from several threads do not interleave. */
	fprintf(stderr, "ukey-pkcs11[%ld] %ld.%03ld %s: %s: %s\n", (long)getpid(),
		(long)ts.tv_sec, ts.tv_nsec / 1000000, tags[level], where, msg);
}
