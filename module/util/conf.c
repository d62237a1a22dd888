/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/conf.h"
#include "util/log.h"

struct parse_state {
	struct ukey_conf *conf;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
};

/* Debian's libinih only knows ';' inline comments; our examples
 * (docs/configuration.md) also write "key = value   # comment". */
static int set_str(char **dst, const char *value)
{
	char *copy = strdup(value);
	if (!copy)
		return 0;
	for (char *p = copy; *p; p++)
		if (*p == '#' && (p == copy || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	for (size_t n = strlen(copy); n > 0 && (copy[n - 1] == ' ' || copy[n - 1] == '\t'); n--)
		copy[n - 1] = '\0';
	free(*dst);
	*dst = copy;
	return 1;
}

static struct ukey_backend_conf *backend_for(struct parse_state *st, const char *name)
{
	struct ukey_conf *c = st->conf;
	for (size_t i = 0; i < c->nbackends; i++)
		if (strcmp(c->backends[i].name, name) == 0)
			return &c->backends[i];
	if (c->nbackends == UKEY_MAX_BACKENDS)
		return NULL;
	struct ukey_backend_conf *b = &c->backends[c->nbackends];
	memset(b, 0, sizeof(*b));
	if (!set_str(&b->name, name))
		return NULL;
	c->nbackends++;
	return b;
}

static int fail(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse_state *st, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(st->err, st->errlen, "%s: %s", st->path, what);
	st->failed = 1;
	return 0;
}

/* An unknown pin_prompt is a warning, not a failure: the module still
 * works, with the backend's own PIN handling. */
static int set_pin_prompt(struct parse_state *st, const char *value)
{
	if (!set_str(&st->conf->pin_prompt, value))
		return 0;
	const char *v = st->conf->pin_prompt;
	if (strcmp(v, "pinentry") == 0) {
		st->conf->prompt = UKEY_PIN_PROMPT_PINENTRY;
	} else {
		st->conf->prompt = UKEY_PIN_PROMPT_NONE;
		if (strcmp(v, "none") != 0)
			ukey_warn("%s: [module] pin_prompt = '%s' is not 'none' or 'pinentry'; using 'none'",
				  st->path, v);
	}
	return 1;
}

static int set_timeout(struct parse_state *st, const char *value)
{
	char *copy = NULL, *end;
	if (!set_str(&copy, value))
		return 0;
	errno = 0;
	unsigned long n = strtoul(copy, &end, 10);
	if (errno || end == copy || *end || n == 0 || n > 3600 || copy[0] == '-')
		ukey_warn("%s: [module] pinentry_timeout = '%s' is not 1..3600 seconds; using %d", st->path,
			  copy, UKEY_PINENTRY_TIMEOUT_DEFAULT);
	else
		st->conf->pinentry_timeout = (unsigned)n;
	free(copy);
	return 1;
}

/* A value continued on indented lines (or given twice) is one list. */
static int add_quirks(struct ukey_backend_conf *b, const char *value)
{
	char *more = NULL, *joined;
	if (!set_str(&more, value))
		return 0;
	if (b->quirks && !*more) {
		free(more);
		return 1;
	}
	if (b->quirks) {
		joined = malloc(strlen(b->quirks) + strlen(more) + 3);
		if (joined)
			sprintf(joined, "%s, %s", b->quirks, more);
		free(more);
		if (!joined)
			return 0;
		more = joined;
	}
	free(b->quirks);
	b->quirks = more;
	return 1;
}

/* Debian's libinih is built without INI_HANDLER_LINENO: messages name the
 * section and key instead of a line number. */
static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *st = user;
	if (st->failed)
		return 0;
	if (strcmp(section, "module") == 0) {
		if (strcmp(key, "log") == 0)
			return set_str(&st->conf->log, value);
		if (strcmp(key, "pin_prompt") == 0)
			return set_pin_prompt(st, value);
		if (strcmp(key, "pinentry") == 0)
			return set_str(&st->conf->pinentry, value);
		if (strcmp(key, "pinentry_timeout") == 0)
			return set_timeout(st, value);
		ukey_warn("%s: unknown key '%s' in [module] ignored", st->path, key);
		return 1;
	}
	if (strncmp(section, "backend ", 8) == 0 && section[8]) {
		struct ukey_backend_conf *b = backend_for(st, section + 8);
		if (!b)
			return fail(st, "too many backends (at most %d)", UKEY_MAX_BACKENDS);
		if (strcmp(key, "driver") == 0)
			return set_str(&b->driver, value);
		if (strcmp(key, "library") == 0)
			return set_str(&b->library, value);
		if (strcmp(key, "application") == 0)
			return set_str(&b->application, value);
		if (strcmp(key, "quirks") == 0)
			return add_quirks(b, value);
		if (strcmp(key, "deepbind") == 0) {
			char *v = NULL;
			if (!set_str(&v, value))
				return 0;
			int yes = strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
			int no = strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0;
			free(v);
			if (!yes && !no)
				return fail(st, "[%s]: deepbind must be yes or no, not '%s'", section, value);
			b->deepbind = yes;
			return 1;
		}
		ukey_warn("%s: unknown key '%s' in [%s] ignored", st->path, key, section);
		return 1;
	}
	if (!*section)
		return fail(st, "key '%s' is outside any [section] (is a ']' missing above it?)", key);
	return fail(st, "unknown section [%s]; expected [module] or [backend NAME]", section);
}

int ukey_dlopen_flags(const struct ukey_backend_conf *conf)
{
	int flags = RTLD_NOW | RTLD_LOCAL;
#ifndef UKEY_SANITIZERS
	if (conf && conf->deepbind)
		flags |= RTLD_DEEPBIND;
#endif
	return flags;
}

const char *ukey_config_default_path(void)
{
	const char *env = secure_getenv("UKEY_PKCS11_CONF");
	if (env && *env)
		return env;
	return UKEY_SYSCONFDIR "/ukey/ukey-pkcs11.conf";
}

int ukey_config_load(const char *path, struct ukey_conf *conf, char *err, size_t errlen)
{
	struct parse_state st = { conf, path, err, errlen, 0 };
	memset(conf, 0, sizeof(*conf));
	conf->pinentry_timeout = UKEY_PINENTRY_TIMEOUT_DEFAULT;
	err[0] = '\0';
	char *text = ukey_config_read(path, err, errlen);
	if (!text)
		return -1;
	int rc = ini_parse_string(text, on_entry, &st);
	free(text);
	/* A handler refusal also stops the parse with rc > 0: its message
	 * is the more precise one. */
	if (rc > 0 && !st.failed) {
		snprintf(err, errlen, "%s:%d: syntax error", path, rc);
		st.failed = 1;
	} else if (rc < 0 && !st.failed) {
		snprintf(err, errlen, "%s: out of memory while parsing", path);
		st.failed = 1;
	}
	for (size_t i = 0; !st.failed && i < conf->nbackends; i++) {
		struct ukey_backend_conf *b = &conf->backends[i];
		if (!b->driver)
			snprintf(err, errlen, "%s: [backend %s] has no 'driver' (p11 or skf)", path, b->name), st.failed = 1;
		else if (!b->library)
			snprintf(err, errlen, "%s: [backend %s] has no 'library'", path, b->name), st.failed = 1;
	}
	if (!st.failed && conf->nbackends == 0)
		snprintf(err, errlen, "%s: no [backend NAME] section", path), st.failed = 1;
	if (!st.failed && !set_str(&conf->path, path))
		snprintf(err, errlen, "%s: out of memory", path), st.failed = 1;
	for (size_t i = 0; !st.failed && i < conf->nbackends; i++)
		conf->backends[i].file = conf->path;
	if (st.failed) {
		ukey_config_free(conf);
		return -1;
	}
	return 0;
}

void ukey_config_free(struct ukey_conf *conf)
{
	for (size_t i = 0; i < conf->nbackends; i++) {
		free(conf->backends[i].name);
		free(conf->backends[i].driver);
		free(conf->backends[i].library);
		free(conf->backends[i].application);
		free(conf->backends[i].quirks);
	}
	free(conf->path);
	free(conf->log);
	free(conf->pin_prompt);
	free(conf->pinentry);
	memset(conf, 0, sizeof(*conf));
}
