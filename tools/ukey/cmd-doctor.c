/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey doctor: what a first-time user needs checked, in the order things
 * depend on each other: the command's configuration, the module and what
 * it made of its own configuration, each backend library, the U-KEYs,
 * the registrations (p11-kit, the browsers), the CA service and its CA
 * file, the clock. One line per check, with what to fix; --json. Nothing is
 * changed and no PIN is asked. Exit 1 when a check failed. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include "browsers.h"
#include "cli.h"
#include "doctor.h"
#include "ukey.h"

void ukey_cmd_doctor_usage(void)
{
	printf(_("Usage: ukey doctor [--json] [--module PATH]\n"
		 "Checks the whole chain, one line each with what to fix: ukey.conf, the module and its\n"
		 "configuration, each backend library, the U-KEYs, p11-kit and the browsers, the CA service\n"
		 "and its CA file, the clock. Changes nothing, asks no PIN. Exit 1 when a check failed.\n"));
}

static void own_config(struct ukey_doctor *d)
{
	char path[PATH_MAX];
	struct ukey_err e;
	FILE *f;

	ukey_conf_path(path, sizeof(path));
	ukey_err_clear(&e);
	if (ukey_conf_load(&d->conf, &e) != UKEY_E_OK) {
		ukey_doctor_line(d, "ukey.conf", UKEY_DOCTOR_FAIL, _("correct the file or move it away (see ukey(1), FILES)"),
				 "%s", ukey_tx(e.msg));
		/* The rest still runs, on the defaults and the environment. */
		ukey_err_clear(&e);
		memset(&d->conf, 0, sizeof(d->conf));
		snprintf(d->conf.module, sizeof(d->conf.module), "%s", UKEY_MODULE_PATH);
		return;
	}
	f = path[0] ? fopen(path, "r") : NULL;
	if (f != NULL) {
		fclose(f);
		ukey_doctor_line(d, "ukey.conf", UKEY_DOCTOR_OK, NULL, _("%s: read"), ukey_tx(path));
	} else {
		ukey_doctor_line(d, "ukey.conf", UKEY_DOCTOR_OK, NULL,
				 _("%s: not present; the defaults and the environment are used"), ukey_tx(path));
	}
}

/* p11-kit's module configuration: programs that use the p11-kit proxy see
 * the module only when a .module file names it. Read here as p11-kit reads
 * it (the user's directory first, a file there hiding the system's of the
 * same name; an empty 'module:' disables), not through libp11-kit: linking
 * it would make every ukey run hang at exit under ASan (its destructor,
 * see tests/consumers/common.sh), and loading every module is not a check
 * that should have side effects. */
static const char *const p11kit_dirs[] = {
	"~/.config/pkcs11/modules", /* the user's; p11-kit ignores it for root */
	"/etc/pkcs11/modules",
	"/usr/share/p11-kit/modules",
};

/* The module: line of a .module file, resolved ("" when none or empty). */
static void module_line(const char *file, const char *moddir, char *out, size_t len)
{
	FILE *f = fopen(file, "r");
	char line[PATH_MAX + 32], *v, *end;

	out[0] = '\0';
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		v = line + strspn(line, " \t");
		if (strncmp(v, "module:", 7) != 0)
			continue;
		v += 7 + strspn(v + 7, " \t");
		end = v + strcspn(v, "\r\n");
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		if (*v == '\0')
			out[0] = '\0';
		else
			snprintf(out, len, *v == '/' ? "%s" : "%s/%s", *v == '/' ? v : moddir, v);
	}
	if (f != NULL)
		fclose(f);
}

static void p11kit(struct ukey_doctor *d)
{
	const char *home = ukey_browser_home();
	char seen[64][NAME_MAX + 1], moddir[PATH_MAX], dir[PATH_MAX], file[PATH_MAX * 2], mod[PATH_MAX], real[PATH_MAX];
	char where[PATH_MAX * 2] = "", other[PATH_MAX] = "";
	size_t nseen = 0;
	int in_user = 0;

	if (d->module_real[0] == '\0')
		return;
	snprintf(moddir, sizeof(moddir), "%s", d->module_real);
	if (strrchr(moddir, '/') != NULL)
		*strrchr(moddir, '/') = '\0';
	for (size_t i = 0; i < sizeof(p11kit_dirs) / sizeof(p11kit_dirs[0]) && !where[0]; i++) {
		struct dirent *e;
		DIR *dp;

		if (p11kit_dirs[i][0] == '~')
			snprintf(dir, sizeof(dir), "%s%s", home ? home : "/nonexistent", p11kit_dirs[i] + 1);
		else
			snprintf(dir, sizeof(dir), "%s", p11kit_dirs[i]);
		dp = opendir(dir);
		while (dp != NULL && (e = readdir(dp)) != NULL && !where[0]) {
			size_t n = strlen(e->d_name), k;
			if (n < 8 || strcmp(e->d_name + n - 7, ".module") != 0)
				continue;
			for (k = 0; k < nseen && strcmp(seen[k], e->d_name) != 0; k++)
				;
			if (k < nseen)
				continue; /* hidden by a file of the same name before */
			if (nseen < 64)
				snprintf(seen[nseen++], sizeof(seen[0]), "%s", e->d_name);
			snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
			module_line(file, moddir, mod, sizeof(mod));
			if (mod[0] == '\0' || realpath(mod, real) == NULL)
				continue;
			if (strcmp(real, d->module_real) == 0) {
				snprintf(where, sizeof(where), "%s", file);
				in_user = i == 0;
			} else if (strstr(real, "ukey-pkcs11") != NULL) {
				snprintf(other, sizeof(other), "%s", real);
			}
		}
		if (dp != NULL)
			closedir(dp);
	}
	if (where[0] && in_user && geteuid() == 0)
		ukey_doctor_line(d, "p11-kit", UKEY_DOCTOR_WARN,
				 _("p11-kit ignores the user's configuration for root: register it in /etc/pkcs11/modules"),
				 _("registered in %s"), ukey_tx(where));
	else if (where[0])
		ukey_doctor_line(d, "p11-kit", UKEY_DOCTOR_OK, NULL, _("registered in %s"), ukey_tx(where));
	else if (other[0])
		ukey_doctor_line(d, "p11-kit", UKEY_DOCTOR_WARN,
				 _("make the 'module:' line of ukey-pkcs11.module name this module"),
				 _("registered with another library: %s"), ukey_tx(other));
	else
		ukey_doctor_line(d, "p11-kit", UKEY_DOCTOR_WARN,
				 _("install the package's ukey-pkcs11.module, or write 'module: <path>' in "
				   "~/.config/pkcs11/modules/ukey-pkcs11.module"),
				 "%s", _("the module is not registered: programs using the p11-kit proxy do not see it"));
}

struct browsers_seen {
	struct ukey_doctor *d;
	int n;
};

static void browser_db(void *arg, const char *browser, const char *profile, const char *dir,
		       enum ukey_browser_outcome what, const char *note)
{
	struct browsers_seen *b = arg;
	char check[320];
	const char *fix = _("close the browser and run 'ukey register-browser'");

	b->n++;
	if (profile != NULL)
		snprintf(check, sizeof(check), "%s \"%s\"", browser, ukey_tx(profile));
	else
		snprintf(check, sizeof(check), "%s", browser);
	switch (what) {
	case UKEY_BROWSER_ALREADY:
		ukey_doctor_line(b->d, check, UKEY_DOCTOR_OK, NULL, _("%s: the module is registered"), ukey_tx(dir));
		break;
	case UKEY_BROWSER_OTHER_PATH:
		ukey_doctor_line(b->d, check, UKEY_DOCTOR_WARN, fix, _("%s: registered with another library: %s"),
				 ukey_tx(dir), ukey_tx(note));
		break;
	case UKEY_BROWSER_ABSENT:
		ukey_doctor_line(b->d, check, UKEY_DOCTOR_WARN, fix, _("%s: the module is not registered"), ukey_tx(dir));
		break;
	case UKEY_BROWSER_SKIPPED:
		ukey_doctor_line(b->d, check, UKEY_DOCTOR_SKIP, NULL, "%s: %s", ukey_tx(dir), ukey_tx(note));
		break;
	default:
		ukey_doctor_line(b->d, check, UKEY_DOCTOR_FAIL, _("see the message; NSS's modutil could not read it"),
				 "%s: %s", ukey_tx(dir), ukey_tx(note));
		break;
	}
}

static void browsers(struct ukey_doctor *d)
{
	struct browsers_seen b = { d, 0 };
	const char *home = ukey_browser_home();

	if (home == NULL || d->module_real[0] == '\0')
		return;
	ukey_browsers_check(home, d->module_real, browser_db, &b);
}

int ukey_cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ukey_doctor d;
	int c;

	memset(&d, 0, sizeof(d));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': d.json = 1; break;
		case 'm': d.module_arg = optarg; break;
		case 'h': ukey_cmd_doctor_usage(); return UKEY_EXIT_OK;
		default: fprintf(stderr, "%s\n", _("Try 'ukey help doctor'.")); return UKEY_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		ukey_cmd_doctor_usage();
		return UKEY_EXIT_USAGE;
	}
	if (d.json)
		d.checks = json_object_new_array();
	own_config(&d);
	ukey_doctor_module(&d);
	p11kit(&d);
	browsers(&d);
	ukey_doctor_service(&d);
	ukey_doctor_clock(&d);
	ukey_conn_close(&d.p11);
	if (d.json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "checks", d.checks);
		json_object_object_add(o, "failed", json_object_new_int(d.failed));
		json_object_object_add(o, "warnings", json_object_new_int(d.warned));
		ukey_cli_print_json(o);
	} else if (d.failed) {
		printf(dngettext(UKEY_TEXTDOMAIN, "%d check failed.\n", "%d checks failed.\n", (unsigned long)d.failed),
		       d.failed);
	} else {
		printf("%s\n", _("Nothing failed."));
	}
	return d.failed ? UKEY_EXIT_ERROR : UKEY_EXIT_OK;
}
