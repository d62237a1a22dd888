/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The log levels of every part of the project (the module's log and
 * libukey-renew's), defined once, in one order: a line is written when its
 * level is at least the threshold, and the threshold UKEY_LOG_OFF writes
 * none. The words are those of UKEY_LOG and the module's `log` key
 * (ukey-pkcs11.conf(5)). Header only, no dependencies: the module and the
 * plugin share no library, and the plugin never includes the module's
 * internals. */
#ifndef UKEY_COMMON_LOG_LEVEL_H
#define UKEY_COMMON_LOG_LEVEL_H

#include <stddef.h>
#include <strings.h>

enum ukey_log_level {
	UKEY_LOG_DEBUG = 0,
	UKEY_LOG_INFO = 1,
	UKEY_LOG_WARN = 2,
	UKEY_LOG_ERROR = 3,
	UKEY_LOG_OFF = 4,
};

/* "debug", "info", "warn" (or "warning"), "error" or "off", in any case:
 * the level; -1 for NULL or another word. */
static inline int ukey_log_level_parse(const char *word)
{
	static const char *const words[] = { "debug", "info", "warn", "error", "off" };

	if (word == NULL)
		return -1;
	for (int i = 0; i < (int)(sizeof(words) / sizeof(words[0])); i++)
		if (strcasecmp(word, words[i]) == 0)
			return i;
	return strcasecmp(word, "warning") == 0 ? UKEY_LOG_WARN : -1;
}

/* The word of a level ("warn"), "" for UKEY_LOG_OFF or another value. */
static inline const char *ukey_log_level_word(int level)
{
	static const char *const words[] = { "debug", "info", "warn", "error" };

	return level >= 0 && level < UKEY_LOG_OFF ? words[level] : "";
}

#endif
