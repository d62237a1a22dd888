/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* err.c: the plugin's error record and its stderr log. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ukey-base.h"

void ukey_err_clear(struct ukey_err *e)
{
	e->code = UKEY_E_OK;
	e->service_code[0] = '\0';
	e->msg[0] = '\0';
}

int ukey_err_set(struct ukey_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	ukey_log(UKEY_LOG_DEBUG, "error %d: %s", code, e->msg);
	return code;
}

/* Read once: the threshold does not change while the command runs. */
static int log_level(void)
{
	static int level = -1;

	if (level < 0) {
		level = ukey_log_level_parse(getenv("UKEY_LOG"));
		if (level < 0)
			level = UKEY_LOG_WARN;
	}
	return level;
}

void ukey_log(enum ukey_log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level < log_level() || level >= UKEY_LOG_OFF)
		return;
	fprintf(stderr, "ukey[%s]: ", ukey_log_level_word(level));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
