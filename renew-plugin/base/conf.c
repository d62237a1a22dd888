/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* conf.c: reads ukey.conf with libinih; environment overrides it. */

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ukey-base.h"

#ifndef UKEY_MODULE_PATH
#error "UKEY_MODULE_PATH must be defined by the build"
#endif

static void set(char *dst, size_t n, const char *v)
{
	snprintf(dst, n, "%s", v);
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct ukey_conf *c = user;

	if (strcmp(section, "module") == 0 && strcmp(name, "path") == 0)
		set(c->module, sizeof(c->module), value);
	else if (strcmp(section, "service") == 0 && strcmp(name, "url") == 0)
		set(c->service_url, sizeof(c->service_url), value);
	else if (strcmp(section, "service") == 0 && (strcmp(name, "ca") == 0 || strcmp(name, "ca_file") == 0))
		set(c->service_ca, sizeof(c->service_ca), value);
	else if (strcmp(section, "service") == 0 && strcmp(name, "protocol") == 0)
		set(c->protocol, sizeof(c->protocol), value);
	else if (strcmp(section, "service") == 0 && strcmp(name, "cmp_trusted") == 0)
		set(c->cmp_trusted, sizeof(c->cmp_trusted), value);
	else if (strcmp(section, "service") == 0 && strcmp(name, "cmp_path") == 0)
		set(c->cmp_path, sizeof(c->cmp_path), value);
	else /* unknown keys are warnings, not failures (a newer ukey.conf must not break an older ukey; ukey(1), FILES) */
		ukey_log(UKEY_LOG_INFO, "ukey.conf: unknown key [%s] %s ignored", section, name);
	return 1;
}

static void env_over(char *dst, size_t n, const char *var)
{
	const char *v = getenv(var);

	if (v != NULL && *v != '\0')
		set(dst, n, v);
}

const char *ukey_conf_path(char *path, size_t len)
{
	const char *v = getenv("UKEY_CONFIG"), *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");

	if (v != NULL && *v != '\0')
		set(path, len, v);
	else if (xdg != NULL && *xdg == '/')
		snprintf(path, len, "%s/ukey/ukey.conf", xdg);
	else if (home != NULL)
		snprintf(path, len, "%s/.config/ukey/ukey.conf", home);
	else
		path[0] = '\0';
	return path;
}

int ukey_conf_load(struct ukey_conf *c, struct ukey_err *e)
{
	char path[PATH_MAX];
	FILE *f;
	int rc;

	memset(c, 0, sizeof(*c));
	set(c->module, sizeof(c->module), UKEY_MODULE_PATH);
	set(c->protocol, sizeof(c->protocol), "native");
	set(c->cmp_path, sizeof(c->cmp_path), "/.well-known/cmp");
	ukey_conf_path(path, sizeof(path));
	f = path[0] ? fopen(path, "r") : NULL;
	if (f == NULL && path[0] && errno != ENOENT)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot read the configuration %s: %s"), path,
				    strerror(errno));
	if (f != NULL) {
		rc = ini_parse_file(f, on_entry, c);
		fclose(f);
		if (rc != 0)
			return ukey_err_set(e, UKEY_E_ERROR, _("configuration %s: syntax error on line %d"),
					    path, rc);
	}
	env_over(c->module, sizeof(c->module), "UKEY_MODULE");
	env_over(c->service_url, sizeof(c->service_url), "UKEY_SERVICE_URL");
	env_over(c->service_ca, sizeof(c->service_ca), "UKEY_SERVICE_CA");
	env_over(c->protocol, sizeof(c->protocol), "UKEY_SERVICE_PROTOCOL");
	env_over(c->cmp_trusted, sizeof(c->cmp_trusted), "UKEY_CMP_TRUSTED");
	env_over(c->cmp_path, sizeof(c->cmp_path), "UKEY_CMP_PATH");
	return ukey_conf_check(c, e);
}

int ukey_conf_check(const struct ukey_conf *c, struct ukey_err *e)
{
	if (strcmp(c->protocol, "native") != 0 && strcmp(c->protocol, "cmp") != 0)
		return ukey_err_set(e, UKEY_E_USAGE, _("[service] protocol is '%s': it must be native or cmp"),
				    ukey_tx(c->protocol));
	if (c->cmp_path[0] != '/')
		return ukey_err_set(e, UKEY_E_USAGE, _("[service] cmp_path must start with /"));
	return UKEY_E_OK;
}
