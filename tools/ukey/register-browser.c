/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey register-browser: puts ukey-pkcs11 into the NSS databases the
 * browsers read (Chromium's ~/.pki/nssdb, each Firefox profile's), or takes
 * it out again with --remove. Every database is reported on its own; one
 * that fails does not stop the others. */

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "browsers.h"
#include "nssdb.h"
#include "ukey-renew.h"
#include "ukey.h"

#ifndef UKEY_MODULE_PATH
#error "UKEY_MODULE_PATH must be defined by the build"
#endif

#define MAX_PROFILES 64

enum outcome {
	ADDED = UKEY_BROWSER_ADDED, UPDATED = UKEY_BROWSER_UPDATED, ALREADY = UKEY_BROWSER_ALREADY,
	REMOVED = UKEY_BROWSER_REMOVED, ABSENT = UKEY_BROWSER_ABSENT, SKIPPED = UKEY_BROWSER_SKIPPED,
	FAILED = UKEY_BROWSER_FAILED, OTHER = UKEY_BROWSER_OTHER_PATH,
};

/* JSON keeps these words; the text shows them translated. */
static const char *const outcome_text[] = {
	[ADDED] = N_("added"), [UPDATED] = N_("updated"), [ALREADY] = N_("already registered"),
	[REMOVED] = N_("removed"), [ABSENT] = N_("absent"), [SKIPPED] = N_("skipped"), [FAILED] = N_("error"),
	[OTHER] = N_("registered with another library"),
};

enum mode { REGISTER, REMOVE, CHECK };

struct report {
	int json, nreported, changed, failed;
	/* CHECK: each database goes here instead of the output. */
	ukey_browser_sink sink;
	void *arg;
};

/* Firefox keeps profiles in one profiles.ini per install root: the Debian
 * packages (firefox-esr included) use ~/.mozilla/firefox; the Snap and
 * Flatpak builds keep theirs inside their sandboxes. */
static const char *const firefox_roots[] = {
	".mozilla/firefox",
	"snap/firefox/common/.mozilla/firefox",
	".var/app/org.mozilla.firefox/.mozilla/firefox",
};

struct profile {
	char name[256];       /* Name= (falls back to the section name) */
	char path[PATH_MAX];  /* Path= */
	int relative;         /* IsRelative= (default 1) */
};

struct profiles {
	struct profile list[MAX_PROFILES];
	int n;
	int overflow;
	char section[64]; /* the [ProfileN] section list[n-1] came from */
};

static int on_profiles_entry(void *user, const char *section, const char *key, const char *value)
{
	struct profiles *ps = user;
	/* [ProfileN] sections are profiles; [General] and [Install...] are not. */
	if (strncmp(section, "Profile", 7) != 0)
		return 1;
	if (ps->n == 0 || strcmp(ps->section, section) != 0) {
		if (ps->n == MAX_PROFILES) {
			ps->overflow = 1;
			return 1;
		}
		struct profile *np = &ps->list[ps->n++];
		memset(np, 0, sizeof(*np));
		np->relative = 1;
		snprintf(np->name, sizeof(np->name), "%s", section);
		snprintf(ps->section, sizeof(ps->section), "%s", section);
	}
	struct profile *p = &ps->list[ps->n - 1];
	if (strcmp(key, "Name") == 0)
		snprintf(p->name, sizeof(p->name), "%s", value);
	else if (strcmp(key, "Path") == 0)
		snprintf(p->path, sizeof(p->path), "%s", value);
	else if (strcmp(key, "IsRelative") == 0)
		p->relative = strcmp(value, "0") != 0;
	return 1;
}

/* Writes S as a JSON string (quotes included): profile names come from
 * profiles.ini, NSS's messages from modutil, so nothing a terminal would
 * act on passes (ukey_text_json_safe). */
static void json_str(const char *s)
{
	size_t n = strlen(s), used = 0;
	char *buf = malloc(n * 6 + 3), *safe;

	if (buf == NULL) {
		fputs("\"\"", stdout);
		return;
	}
	buf[used++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			used += (size_t)sprintf(buf + used, "\\%c", *p);
		else if (*p < 0x20)
			used += (size_t)sprintf(buf + used, "\\u%04x", *p);
		else
			buf[used++] = (char)*p;
	}
	buf[used++] = '"';
	buf[used] = '\0';
	safe = ukey_text_json_safe(buf);
	fputs(safe ? safe : "\"\"", stdout);
	free(safe);
	free(buf);
}

static void report_db(struct report *rep, const char *browser, const char *profile,
		      const char *dir, enum outcome what, const char *note)
{
	if (what == ADDED || what == UPDATED || what == REMOVED)
		rep->changed++;
	if (what == FAILED)
		rep->failed++;
	if (rep->sink != NULL) {
		rep->sink(rep->arg, browser, profile, dir, (enum ukey_browser_outcome)what, note);
	} else if (rep->json) {
		printf("%s\n    {\"browser\": ", rep->nreported ? "," : "");
		json_str(browser);
		if (profile) {
			printf(", \"profile\": ");
			json_str(profile);
		}
		printf(", \"database\": ");
		json_str(dir);
		printf(", \"status\": ");
		json_str(outcome_text[what]);
		if (note && *note) {
			printf(", \"%s\": ", what == FAILED || what == SKIPPED ? "reason" : "note");
			json_str(note);
		}
		putchar('}');
	} else if (profile != NULL) {
		printf(_("%s profile \"%s\" %s: %s%s%s%s\n"), browser, ukey_tx(profile), ukey_tx(dir),
		       _(outcome_text[what]), note && *note ? " (" : "", note ? ukey_tx(note) : "",
		       note && *note ? ")" : "");
	} else {
		printf("%s %s: %s%s%s%s\n", browser, ukey_tx(dir), _(outcome_text[what]), note && *note ? " (" : "",
		       note ? ukey_tx(note) : "", note && *note ? ")" : "");
	}
	rep->nreported++;
}

static int is_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return 0;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Registers, removes or (CHECK) only looks for the module in the existing
 * database DIR. */
static void update_db(struct report *rep, const char *browser, const char *profile,
		      const char *dir, const char *module, enum mode mode, const char *created)
{
	char lib[PATH_MAX], err[512], note[PATH_MAX + 64];
	int have = ukey_nssdb_query(dir, lib, sizeof(lib), err, sizeof(err));

	if (have < 0) {
		report_db(rep, browser, profile, dir, FAILED, err);
		return;
	}
	if (mode == CHECK) {
		snprintf(note, sizeof(note), "%s", have ? lib : "");
		report_db(rep, browser, profile, dir, !have ? ABSENT : strcmp(lib, module) == 0 ? ALREADY : OTHER, note);
		return;
	}
	if (mode == REMOVE) {
		if (!have)
			report_db(rep, browser, profile, dir, ABSENT, NULL);
		else if (ukey_nssdb_delete(dir, err, sizeof(err)) != 0)
			report_db(rep, browser, profile, dir, FAILED, err);
		else
			report_db(rep, browser, profile, dir, REMOVED, NULL);
		return;
	}
	if (have && strcmp(lib, module) == 0) {
		report_db(rep, browser, profile, dir, ALREADY, NULL);
		return;
	}
	/* Registered with another library (an older install, a build tree):
	 * NSS keys modules by name, so the old entry goes first. */
	if (have && ukey_nssdb_delete(dir, err, sizeof(err)) != 0) {
		report_db(rep, browser, profile, dir, FAILED, err);
		return;
	}
	if (ukey_nssdb_add(dir, module, err, sizeof(err)) != 0) {
		report_db(rep, browser, profile, dir, FAILED, err);
		return;
	}
	if (have)
		snprintf(note, sizeof(note), _("was %s"), lib);
	else
		snprintf(note, sizeof(note), "%s", created ? created : "");
	report_db(rep, browser, profile, dir, have ? UPDATED : ADDED, note);
}

/* Chromium (and Chrome) read ~/.pki/nssdb; Chromium creates it on first
 * start, so we create it the same way when registering before that. */
static void do_chromium(struct report *rep, const char *home, const char *module, enum mode mode)
{
	char pki[PATH_MAX], dir[PATH_MAX], err[512];
	const char *created = NULL;

	snprintf(pki, sizeof(pki), "%s/.pki", home);
	snprintf(dir, sizeof(dir), "%s/.pki/nssdb", home);
	if (!is_file(dir, "cert9.db")) {
		if (mode != REGISTER) {
			report_db(rep, "chromium", NULL, dir, mode == CHECK ? SKIPPED : ABSENT, _("no database"));
			return;
		}
		if ((mkdir(pki, 0700) != 0 && errno != EEXIST) ||
		    (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
			snprintf(err, sizeof(err), _("cannot create the directory: %s"), strerror(errno));
			report_db(rep, "chromium", NULL, dir, FAILED, err);
			return;
		}
		if (ukey_nssdb_create(dir, err, sizeof(err)) != 0) {
			report_db(rep, "chromium", NULL, dir, FAILED, err);
			return;
		}
		created = _("database created");
	}
	update_db(rep, "chromium", NULL, dir, module, mode, created);
}

static void do_firefox_root(struct report *rep, const char *root, const char *module, enum mode mode)
{
	char ini[PATH_MAX], dir[PATH_MAX], err[PATH_MAX + 64];
	static struct profiles ps;

	if (snprintf(ini, sizeof(ini), "%s/profiles.ini", root) >= (int)sizeof(ini) || !is_file(root, "profiles.ini"))
		return;
	memset(&ps, 0, sizeof(ps));
	int rc = ini_parse(ini, on_profiles_entry, &ps);
	if (rc != 0) {
		if (rc > 0)
			snprintf(err, sizeof(err), _("syntax error on line %d"), rc);
		else
			snprintf(err, sizeof(err), _("cannot read it (%d)"), rc);
		report_db(rep, "firefox", NULL, ini, FAILED, err);
		return;
	}
	if (ps.overflow) {
		snprintf(err, sizeof(err), _("more than %d profiles: the rest are ignored"), MAX_PROFILES);
		report_db(rep, "firefox", NULL, ini, FAILED, err);
	}
	for (int i = 0; i < ps.n; i++) {
		struct profile *p = &ps.list[i];
		if (!p->path[0]) {
			report_db(rep, "firefox", p->name, ini, FAILED, _("profile has no Path="));
			continue;
		}
		if (snprintf(dir, sizeof(dir), "%s%s%s", p->relative ? root : "", p->relative ? "/" : "",
			     p->path) >= (int)sizeof(dir)) {
			report_db(rep, "firefox", p->name, p->path, FAILED, _("path too long"));
			continue;
		}
		/* Firefox makes a profile's database on its first start with
		 * it; until then there is nothing to register in, and making
		 * one here could not be told apart from Firefox's own. */
		if (!is_dir(dir))
			report_db(rep, "firefox", p->name, dir, SKIPPED, _("profile directory missing"));
		else if (!is_file(dir, "cert9.db"))
			report_db(rep, "firefox", p->name, dir, SKIPPED,
				  _("no NSS database (cert9.db): start Firefox once with this profile"));
		else
			update_db(rep, "firefox", p->name, dir, module, mode, NULL);
	}
}

static void scan(struct report *rep, const char *home, const char *module, enum mode mode)
{
	do_chromium(rep, home, module, mode);
	for (size_t i = 0; i < sizeof(firefox_roots) / sizeof(firefox_roots[0]); i++) {
		char root[PATH_MAX];
		if (snprintf(root, sizeof(root), "%s/%s", home, firefox_roots[i]) < (int)sizeof(root))
			do_firefox_root(rep, root, module, mode);
	}
}

const char *ukey_browser_home(void)
{
	const char *home = getenv("HOME");

	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	return home;
}

void ukey_browsers_check(const char *home, const char *module, ukey_browser_sink sink, void *arg)
{
	struct report rep = { .sink = sink, .arg = arg };

	scan(&rep, home, module, CHECK);
}

void ukey_cmd_register_browser_usage(void)
{
	printf(_("Usage: ukey register-browser [--remove] [--json] [--module PATH]\n"
		 "Registers ukey-pkcs11 in Chromium's NSS database (~/.pki/nssdb, created\n"
		 "when missing) and in every Firefox profile's; --remove takes it out.\n"
		 "  --module PATH  the module to register (default %s)\n"
		 "  --json         one JSON object on stdout instead of lines\n"
		 "Close the browsers first. Exit: 0 done, 1 a database failed, 2 usage.\n"),
	       UKEY_MODULE_PATH);
}

int ukey_cmd_register_browser(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "remove", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report rep = { 0 };
	const char *module_arg = UKEY_MODULE_PATH, *home;
	char module[PATH_MAX] = "";
	enum mode mode = REGISTER;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': mode = REMOVE; break;
		case 'j': rep.json = 1; break;
		case 'm': module_arg = optarg; break;
		case 'h': ukey_cmd_register_browser_usage(); return UKEY_EXIT_OK;
		default: fprintf(stderr, "%s\n", _("Try 'ukey help register-browser'.")); return UKEY_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, _("ukey register-browser: unexpected argument '%s'\n"), ukey_tx(argv[optind]));
		return UKEY_EXIT_USAGE;
	}
	/* NSS stores the path as given: it must stay valid from any directory. */
	if (mode == REGISTER && !realpath(module_arg, module)) {
		fprintf(stderr, _("ukey register-browser: module %s: %s\n"), ukey_tx(module_arg), strerror(errno));
		return UKEY_EXIT_ERROR;
	}
	home = ukey_browser_home();
	if (!home) {
		fprintf(stderr, "%s\n", _("ukey register-browser: no home directory (HOME unset)"));
		return UKEY_EXIT_ERROR;
	}
	if (rep.json) {
		printf("{\"action\": \"%s\", \"module\": ", mode == REMOVE ? "remove" : "register");
		json_str(mode == REMOVE ? module_arg : module);
		printf(", \"databases\": [");
	}
	scan(&rep, home, module, mode);
	if (rep.json)
		printf("\n  ], \"changed\": %d, \"errors\": %d}\n", rep.changed, rep.failed);
	else if (rep.failed)
		printf(_("%d database(s) failed, %d changed\n"), rep.failed, rep.changed);
	else if (rep.changed)
		printf(_("%d database(s) changed\n"), rep.changed);
	else
		printf("%s\n", _("nothing changed"));
	return rep.failed ? UKEY_EXIT_ERROR : UKEY_EXIT_OK;
}
