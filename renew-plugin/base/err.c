/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* err.c: the plugin's error record and its stderr log. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

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

static int log_level(void)
{
	static int level = -1;
	const char *v;

	if (level >= 0)
		return level;
	v = getenv("UKEY_LOG");
	if (v == NULL || *v == '\0')
		level = 0;
	else if (strcmp(v, "debug") == 0)
		level = UKEY_LOG_DEBUG;
	else if (strcmp(v, "info") == 0)
		level = UKEY_LOG_INFO;
	else
		level = UKEY_LOG_ERROR;
	return level;
}

void ukey_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "", "error", "info", "debug" };
	va_list ap;

	if (level > log_level())
		return;
	fprintf(stderr, "ukey[%s]: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
