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

#include "nssdb.h"
#include "ukey.h"

#ifndef UKEY_MODULE_PATH
#error "UKEY_MODULE_PATH must be defined by the build"
#endif

#define MAX_PROFILES 64

enum outcome { ADDED, UPDATED, ALREADY, REMOVED, ABSENT, SKIPPED, FAILED };

static const char *const outcome_text[] = {
	[ADDED] = "added", [UPDATED] = "updated", [ALREADY] = "already registered",
	[REMOVED] = "removed", [ABSENT] = "absent", [SKIPPED] = "skipped", [FAILED] = "error",
};

struct report {
	int json, nreported, changed, failed;
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

/* Writes S as a JSON string (quotes included). */
static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void report_db(struct report *rep, const char *browser, const char *profile,
		      const char *dir, enum outcome what, const char *note)
{
	if (what == ADDED || what == UPDATED || what == REMOVED)
		rep->changed++;
	if (what == FAILED)
		rep->failed++;
	if (rep->json) {
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
	} else {
		printf("%s%s%s%s %s: %s%s%s%s\n", browser, profile ? " profile \"" : "",
		       profile ? profile : "", profile ? "\"" : "", dir, outcome_text[what],
		       note && *note ? " (" : "", note ? note : "", note && *note ? ")" : "");
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

/* Registers (or removes) the module in the existing database DIR. */
static void update_db(struct report *rep, const char *browser, const char *profile,
		      const char *dir, const char *module, int remove, const char *created)
{
	char lib[PATH_MAX], err[512], note[PATH_MAX + 16];
	int have = ukey_nssdb_query(dir, lib, sizeof(lib), err, sizeof(err));

	if (have < 0) {
		report_db(rep, browser, profile, dir, FAILED, err);
		return;
	}
	if (remove) {
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
	snprintf(note, sizeof(note), "%s%s", have ? "was " : "", have ? lib : (created ? created : ""));
	report_db(rep, browser, profile, dir, have ? UPDATED : ADDED, note);
}

/* Chromium (and Chrome) read ~/.pki/nssdb; Chromium creates it on first
 * start, so we create it the same way when registering before that. */
static void do_chromium(struct report *rep, const char *home, const char *module, int remove)
{
	char pki[PATH_MAX], dir[PATH_MAX], err[512];
	const char *created = NULL;

	snprintf(pki, sizeof(pki), "%s/.pki", home);
	snprintf(dir, sizeof(dir), "%s/.pki/nssdb", home);
	if (!is_file(dir, "cert9.db")) {
		if (remove) {
			report_db(rep, "chromium", NULL, dir, ABSENT, "no database");
			return;
		}
		if ((mkdir(pki, 0700) != 0 && errno != EEXIST) ||
		    (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
			snprintf(err, sizeof(err), "cannot create the directory: %s", strerror(errno));
			report_db(rep, "chromium", NULL, dir, FAILED, err);
			return;
		}
		if (ukey_nssdb_create(dir, err, sizeof(err)) != 0) {
			report_db(rep, "chromium", NULL, dir, FAILED, err);
			return;
		}
		created = "database created";
	}
	update_db(rep, "chromium", NULL, dir, module, remove, created);
}

static void do_firefox_root(struct report *rep, const char *root, const char *module, int remove)
{
	char ini[PATH_MAX], dir[PATH_MAX], err[PATH_MAX + 64];
	static struct profiles ps;

	if (snprintf(ini, sizeof(ini), "%s/profiles.ini", root) >= (int)sizeof(ini) || !is_file(root, "profiles.ini"))
		return;
	memset(&ps, 0, sizeof(ps));
	int rc = ini_parse(ini, on_profiles_entry, &ps);
	if (rc != 0) {
		snprintf(err, sizeof(err), rc > 0 ? "syntax error on line %d" : "cannot read it (%d)", rc);
		report_db(rep, "firefox", NULL, ini, FAILED, err);
		return;
	}
	if (ps.overflow) {
		snprintf(err, sizeof(err), "more than %d profiles: the rest are ignored", MAX_PROFILES);
		report_db(rep, "firefox", NULL, ini, FAILED, err);
	}
	for (int i = 0; i < ps.n; i++) {
		struct profile *p = &ps.list[i];
		if (!p->path[0]) {
			report_db(rep, "firefox", p->name, ini, FAILED, "profile has no Path=");
			continue;
		}
		if (snprintf(dir, sizeof(dir), "%s%s%s", p->relative ? root : "", p->relative ? "/" : "",
			     p->path) >= (int)sizeof(dir)) {
			report_db(rep, "firefox", p->name, p->path, FAILED, "path too long");
			continue;
		}
		/* Firefox makes a profile's database on its first start with
		 * it; until then there is nothing to register in, and making
		 * one here could not be told apart from Firefox's own. */
		if (!is_dir(dir))
			report_db(rep, "firefox", p->name, dir, SKIPPED, "profile directory missing");
		else if (!is_file(dir, "cert9.db"))
			report_db(rep, "firefox", p->name, dir, SKIPPED,
				  "no NSS database (cert9.db): start Firefox once with this profile");
		else
			update_db(rep, "firefox", p->name, dir, module, remove, NULL);
	}
}

void ukey_cmd_register_browser_usage(void)
{
	printf("Usage: ukey register-browser [--remove] [--json] [--module PATH]\n"
	       "Registers ukey-pkcs11 in Chromium's NSS database (~/.pki/nssdb, created\n"
	       "when missing) and in every Firefox profile's; --remove takes it out.\n"
	       "  --module PATH  the module to register (default %s)\n"
	       "  --json         one JSON object on stdout instead of lines\n"
	       "Close the browsers first. Exit: 0 done, 1 a database failed, 2 usage.\n",
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
	int remove = 0, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': remove = 1; break;
		case 'j': rep.json = 1; break;
		case 'm': module_arg = optarg; break;
		case 'h': ukey_cmd_register_browser_usage(); return UKEY_EXIT_OK;
		default: fprintf(stderr, "Try 'ukey register-browser --help'.\n"); return UKEY_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ukey register-browser: unexpected argument '%s'\n", argv[optind]);
		return UKEY_EXIT_USAGE;
	}
	/* NSS stores the path as given: it must stay valid from any directory. */
	if (!remove && !realpath(module_arg, module)) {
		fprintf(stderr, "ukey register-browser: module %s: %s\n", module_arg, strerror(errno));
		return UKEY_EXIT_ERROR;
	}
	home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home) {
		fprintf(stderr, "ukey register-browser: no home directory (HOME unset)\n");
		return UKEY_EXIT_ERROR;
	}
	if (rep.json) {
		printf("{\"action\": \"%s\", \"module\": ", remove ? "remove" : "register");
		json_str(remove ? module_arg : module);
		printf(", \"databases\": [");
	}
	do_chromium(&rep, home, module, remove);
	for (size_t i = 0; i < sizeof(firefox_roots) / sizeof(firefox_roots[0]); i++) {
		char root[PATH_MAX];
		if (snprintf(root, sizeof(root), "%s/%s", home, firefox_roots[i]) < (int)sizeof(root))
			do_firefox_root(&rep, root, module, remove);
	}
	if (rep.json)
		printf("\n  ], \"changed\": %d, \"errors\": %d}\n", rep.changed, rep.failed);
	else if (rep.failed)
		printf("%d database(s) failed, %d changed\n", rep.failed, rep.changed);
	else if (rep.changed)
		printf("%d database(s) changed\n", rep.changed);
	else
		printf("nothing changed\n");
	return rep.failed ? UKEY_EXIT_ERROR : UKEY_EXIT_OK;
}
