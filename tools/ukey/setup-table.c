/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* setup-table.c: the table of known tokens, vendors.conf. A data file and
 * not a C table because its facts change with the vendors' releases and
 * each carries its source: a distribution or a CA can correct or extend it
 * without a rebuild, and a reviewer reads facts and sources side by side.
 * It is checked whole before use: an unknown key (a misspelt "libary"
 * would silently lose a fact), a malformed USB id, a missing source or a
 * relative path fails the table with the file, entry and key named. */

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "setup.h"

#ifndef UKEY_VENDOR_TABLE
#error "UKEY_VENDOR_TABLE must be defined by the build"
#endif

struct parse {
	struct setup_table *t;
	char err[768];
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(p->err, sizeof(p->err), fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* Appends value to dst, a space between (a continuation line continues). */
static int append(char *dst, size_t len, const char *value)
{
	size_t have = strlen(dst);
	int n = snprintf(dst + have, len - have, "%s%s", have ? " " : "", value);

	return n >= 0 && (size_t)n < len - have;
}

static int set_fact(struct setup_fact *f, const char *value)
{
	if (!append(f->source, sizeof(f->source), value))
		return 0;
	f->verified = strncmp(f->source, "unverified", 10) != 0;
	return 1;
}

static int hex4(const char *s, size_t n, unsigned *out)
{
	char buf[5];

	if (n != 4)
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	memcpy(buf, s, 4);
	buf[4] = '\0';
	*out = (unsigned)strtoul(buf, NULL, 16);
	return 1;
}

/* Words separated by blanks or commas, each handed to one(). */
static int words(struct parse *p, struct setup_entry *en, const char *key, const char *value,
		 int (*one)(struct parse *, struct setup_entry *, const char *, const char *))
{
	char buf[1024], *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", value) >= (int)sizeof(buf))
		return fail(p, "[token %s]: %s: line too long", en->id, key);
	for (char *w = strtok_r(buf, " \t,", &save); w != NULL; w = strtok_r(NULL, " \t,", &save))
		if (!one(p, en, key, w))
			return 0;
	return 1;
}

static int one_usb(struct parse *p, struct setup_entry *en, const char *key, const char *w)
{
	const char *colon = strchr(w, ':');
	struct setup_usb_id id;
	unsigned pid;

	if (colon == NULL || !hex4(w, (size_t)(colon - w), &id.vid))
		return fail(p, "[token %s]: %s: '%s' is not VVVV:PPPP or VVVV:* (hexadecimal USB ids)", en->id, key, w);
	if (strcmp(colon + 1, "*") == 0)
		id.pid = SETUP_PID_ANY;
	else if (hex4(colon + 1, strlen(colon + 1), &pid))
		id.pid = (int)pid;
	else
		return fail(p, "[token %s]: %s: '%s' is not VVVV:PPPP or VVVV:* (hexadecimal USB ids)", en->id, key, w);
	if (en->nusb == SETUP_MAX_USB)
		return fail(p, "[token %s]: %s: more than %d ids", en->id, key, SETUP_MAX_USB);
	en->usb[en->nusb++] = id;
	return 1;
}

static int one_lib(struct parse *p, struct setup_entry *en, const char *key, const char *w)
{
	if (strchr(w, '/') != NULL || strstr(w, ".so") == NULL || w[0] == '.')
		return fail(p, "[token %s]: %s: '%s' is not a library file name (libNAME.so..., without a directory)",
			    en->id, key, w);
	if (en->nlibs == SETUP_MAX_LIBS || strlen(w) >= sizeof(en->libs[0]))
		return fail(p, "[token %s]: %s: too many or too long names", en->id, key);
	snprintf(en->libs[en->nlibs++], sizeof(en->libs[0]), "%s", w);
	return 1;
}

static int dir_ok(const char *w)
{
	return w[0] == '/' && strstr(w, "/../") == NULL && strlen(w) < 160;
}

static int one_path(struct parse *p, struct setup_entry *en, const char *key, const char *w)
{
	if (!dir_ok(w))
		return fail(p, "[token %s]: %s: '%s' is not an absolute directory", en->id, key, w);
	if (en->npaths == SETUP_MAX_PATHS)
		return fail(p, "[token %s]: %s: more than %d directories", en->id, key, SETUP_MAX_PATHS);
	snprintf(en->paths[en->npaths++], sizeof(en->paths[0]), "%s", w);
	return 1;
}

static int one_default(struct parse *p, struct setup_entry *en, const char *key, const char *w)
{
	struct setup_table *t = p->t;

	(void)en;
	if (!dir_ok(w))
		return fail(p, "[defaults]: %s: '%s' is not an absolute directory", key, w);
	if (t->ndefaults == SETUP_MAX_PATHS)
		return fail(p, "[defaults]: %s: more than %d directories", key, SETUP_MAX_PATHS);
	snprintf(t->defaults[t->ndefaults++], sizeof(t->defaults[0]), "%s", w);
	return 1;
}

static int id_ok(const char *id)
{
	if (!islower((unsigned char)id[0]) || strlen(id) >= 48)
		return 0;
	for (const char *c = id; *c; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-')
			return 0;
	return 1;
}

static struct setup_entry *entry_for(struct parse *p, const char *id)
{
	struct setup_table *t = p->t;

	if (t->n > 0 && strcmp(t->e[t->n - 1].id, id) == 0)
		return &t->e[t->n - 1];
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->e[i].id, id) == 0) {
			fail(p, "[token %s] appears twice", id);
			return NULL;
		}
	if (!id_ok(id)) {
		fail(p, "[token %s]: the name must be lower-case letters, digits and '-' (it becomes a [backend] name)",
		     id);
		return NULL;
	}
	if (t->n == SETUP_MAX_ENTRIES) {
		fail(p, "more than %d [token] entries", SETUP_MAX_ENTRIES);
		return NULL;
	}
	memset(&t->e[t->n], 0, sizeof(t->e[0]));
	snprintf(t->e[t->n].id, sizeof(t->e[0].id), "%s", id);
	return &t->e[t->n++];
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;
	struct setup_entry *en;

	if (p->err[0])
		return 0;
	if (strcmp(section, "defaults") == 0) {
		if (strcmp(key, "paths") == 0)
			return words(p, NULL, key, value, one_default);
		return fail(p, "[defaults]: unknown key '%s' (known: paths)", key);
	}
	if (strncmp(section, "token ", 6) != 0)
		return fail(p, "unknown section [%s]; expected [defaults] or [token NAME]", section);
	en = entry_for(p, section + 6);
	if (en == NULL)
		return 0;
	if (strcmp(key, "name") == 0)
		return append(en->name, sizeof(en->name), value) || fail(p, "[token %s]: name: too long", en->id);
	if (strcmp(key, "driver") == 0) {
		if (strcmp(value, "skf") != 0 && strcmp(value, "p11") != 0)
			return fail(p, "[token %s]: driver: '%s' is neither skf nor p11", en->id, value);
		snprintf(en->driver, sizeof(en->driver), "%s", value);
		return 1;
	}
	if (strcmp(key, "usb") == 0)
		return words(p, en, key, value, one_usb);
	if (strcmp(key, "library") == 0)
		return words(p, en, key, value, one_lib);
	if (strcmp(key, "paths") == 0)
		return words(p, en, key, value, one_path);
	if (strcmp(key, "quirks") == 0)
		return append(en->quirks, sizeof(en->quirks), value) || fail(p, "[token %s]: quirks: too long", en->id);
	if (strcmp(key, "usb_source") == 0)
		return set_fact(&en->usb_src, value) || fail(p, "[token %s]: %s: too long", en->id, key);
	if (strcmp(key, "library_source") == 0)
		return set_fact(&en->lib_src, value) || fail(p, "[token %s]: %s: too long", en->id, key);
	if (strcmp(key, "paths_source") == 0)
		return set_fact(&en->paths_src, value) || fail(p, "[token %s]: %s: too long", en->id, key);
	if (strcmp(key, "quirks_source") == 0)
		return set_fact(&en->quirks_src, value) || fail(p, "[token %s]: %s: too long", en->id, key);
	return fail(p, "[token %s]: unknown key '%s' (known: name, driver, usb, library, paths, quirks and their "
		    "*_source)", en->id, key);
}

/* What an entry must have once read: every fact with its source. */
static int complete(struct parse *p, const struct setup_entry *en)
{
	if (en->name[0] == '\0')
		return fail(p, "[token %s]: no name", en->id);
	if (en->driver[0] == '\0')
		return fail(p, "[token %s]: no driver (skf or p11)", en->id);
	if (en->nusb == 0 || en->usb_src.source[0] == '\0')
		return fail(p, "[token %s]: needs usb and usb_source (where the ids come from)", en->id);
	if (en->nlibs == 0 || en->lib_src.source[0] == '\0')
		return fail(p, "[token %s]: needs library and library_source (where the names come from)", en->id);
	if (en->npaths > 0 && en->paths_src.source[0] == '\0')
		return fail(p, "[token %s]: paths without paths_source", en->id);
	if (en->quirks[0] && en->quirks_src.source[0] == '\0')
		return fail(p, "[token %s]: quirks without quirks_source", en->id);
	if (en->quirks[0] && strcmp(en->driver, "skf") != 0)
		return fail(p, "[token %s]: quirks are for the skf driver only", en->id);
	if (!setup_conf_value_ok("quirks", en->quirks))
		return fail(p, "[token %s]: quirks: not writable as one configuration line", en->id);
	return 1;
}

/* Not installed: an in-tree build's ukey finds the table next to itself
 * (tools/ukey/), as ukey-vkey finds its helper. */
static int beside_me(char *file, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return 0;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return 0;
	*slash = '\0';
	return snprintf(file, len, "%s/vendors.conf", self) < (int)len && access(file, R_OK) == 0;
}

int setup_table_load(struct setup_table *t, struct ukey_err *e)
{
	const char *env = getenv("UKEY_VENDOR_TABLE");
	struct parse p;
	FILE *f;
	int rc;

	memset(t, 0, sizeof(*t));
	memset(&p, 0, sizeof(p));
	p.t = t;
	snprintf(t->file, sizeof(t->file), "%s", env && *env ? env : UKEY_VENDOR_TABLE);
	t->e = calloc(SETUP_MAX_ENTRIES, sizeof(t->e[0]));
	if (t->e == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	f = fopen(t->file, "re");
	if (f == NULL && errno == ENOENT && !(env && *env) && beside_me(t->file, sizeof(t->file)))
		f = fopen(t->file, "re");
	if (f == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot read the table of known U-KEYs %s: %s"), t->file,
				    strerror(errno));
	rc = ini_parse_file(f, on_entry, &p);
	fclose(f);
	for (size_t i = 0; p.err[0] == '\0' && rc == 0 && i < t->n; i++)
		complete(&p, &t->e[i]);
	if (p.err[0] && rc > 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("the table of known U-KEYs %s, line %d: %s"), t->file, rc, p.err);
	if (p.err[0])
		return ukey_err_set(e, UKEY_E_ERROR, _("the table of known U-KEYs %s: %s"), t->file, p.err);
	if (rc != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("the table of known U-KEYs %s, line %d: syntax error"), t->file,
				    rc);
	if (t->n == 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("the table of known U-KEYs %s has no [token] entry"), t->file);
	return UKEY_E_OK;
}

void setup_table_free(struct setup_table *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}
