/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey setup: a U-KEY user does not know which .so their token needs.
 * The USB devices present are matched against the table of known tokens
 * (vendors.conf), each candidate library present is probed through the
 * module, and the [backend] sections of the ones that work are appended to
 * the module's configuration, checked by the module before the file is
 * replaced. What was found and what changed (a diff) is shown;
 * --dry-run stops before writing. Nothing from the device (its strings)
 * is written into the file: a USB device chooses its own manufacturer
 * string, and the file is code every program loading the module runs. */

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "setup.h"
#include "ukey.h"


void ukey_cmd_setup_usage(void)
{
	printf(_("Usage: ukey setup [--dry-run] [--json] [--config FILE] [--module PATH]\n"
		 "Finds the U-KEYs plugged in, the vendor library each needs (the known tokens' table), checks\n"
		 "that it loads and sees the U-KEY, and adds its [backend] section to the module's configuration\n"
		 "(default: the file the module reads). Shows what it found and the change; --dry-run writes\n"
		 "nothing. Exit 4 when no known U-KEY is plugged in, 1 when one has no working library.\n"));
}

/* The section name: the entry's, or with -2, -3... when the file (or this
 * run) has it already for another library. */
static void section_name(const struct setup_run *r, const char *id, char *out, size_t len)
{
	for (int k = 1; k < 100; k++) {
		int taken = 0;

		if (k == 1)
			snprintf(out, len, "%s", id);
		else
			snprintf(out, len, "%s-%d", id, k);
		for (size_t i = 0; i < r->conf.nsections; i++)
			taken |= strcmp(r->conf.existing[i].name, out) == 0;
		for (size_t i = 0; i < r->nadd; i++)
			taken |= strcmp(r->add[i].name, out) == 0;
		if (!taken)
			return;
	}
}

static void plan(struct setup_run *r)
{
	for (size_t i = 0; i < r->m.ncand; i++) {
		struct setup_cand *c = &r->m.cand[i];
		struct setup_section *s;
		char ids[64] = "";

		if (!c->chosen)
			continue;
		s = &r->add[r->nadd];
		memset(s, 0, sizeof(*s));
		section_name(r, c->en->id, s->name, sizeof(s->name));
		snprintf(s->driver, sizeof(s->driver), "%s", c->en->driver);
		snprintf(s->library, sizeof(s->library), "%s", c->lib);
		snprintf(s->quirks, sizeof(s->quirks), "%s", c->en->quirks);
		for (size_t d = 0; d < r->m.ndev; d++)
			if (r->m.dev[d].served_by == c->section && strlen(ids) < sizeof(ids) - 12)
				snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%04x:%04x", ids[0] ? " " : "",
					 r->m.dev[d].u->vid, r->m.dev[d].u->pid);
		/* Table text and hex ids only: nothing the device said. */
		snprintf(s->comment, sizeof(s->comment), "# ukey setup: %.100s, USB %s", c->en->name, ids);
		snprintf(c->section, sizeof(c->section), "%s", s->name);
		r->nadd++;
	}
}

/* The module's own verdict on the new text: it must read it and load every
 * section added. path is a file the module may read (next to the real
 * one, with its owner and mode; or a private copy for --dry-run). */
static int verify(struct setup_run *r, const char *path)
{
	struct setup_probe p;

	if (setup_probe_run(r->module, path, &p) != 0)
		return ukey_err_set(&r->err, UKEY_E_ERROR, _("the module could not check the new configuration: %s; "
							     "nothing was written"), p.error);
	if (p.config_error[0])
		return ukey_err_set(&r->err, UKEY_E_ERROR, _("the module does not accept the new configuration: %s; "
							     "nothing was written"), p.config_error);
	for (size_t i = 0; i < r->nadd; i++)
		for (unsigned long b = 0; b < p.nbackends && b < SETUP_PROBE_MAX; b++)
			if (strcmp(p.b[b].name, r->add[i].name) == 0 && p.b[b].rv != 0)
				return ukey_err_set(&r->err, UKEY_E_ERROR, _("the module does not load [backend %s] in "
									     "the new configuration: %s; nothing was "
									     "written"), r->add[i].name, p.b[b].reason);
	return UKEY_E_OK;
}

static int dry_check(struct setup_run *r)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], file[PATH_MAX + 16];
	FILE *f;
	int rc;

	snprintf(dir, sizeof(dir), "%s/ukey-setup.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return ukey_err_set(&r->err, UKEY_E_ERROR, _("cannot make a temporary directory: %m"));
	snprintf(file, sizeof(file), "%s/check.conf", dir);
	f = fopen(file, "we");
	if (f == NULL || fputs(r->text, f) < 0 || fclose(f) != 0) {
		rmdir(dir);
		return ukey_err_set(&r->err, UKEY_E_ERROR, _("cannot write %s: %m"), file);
	}
	rc = verify(r, file);
	unlink(file);
	rmdir(dir);
	return rc;
}

static int write_it(struct setup_run *r)
{
	char tmp[PATH_MAX + 64];

	if (setup_conf_stage(&r->conf, r->text, tmp, sizeof(tmp), &r->err) != UKEY_E_OK)
		return r->err.code;
	if (verify(r, tmp) != UKEY_E_OK || setup_conf_commit(&r->conf, tmp, r->backup, sizeof(r->backup), &r->err)) {
		unlink(tmp);
		return r->err.code;
	}
	r->changed = 1;
	return UKEY_E_OK;
}

static int same_file(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (realpath(a, ra) == NULL || realpath(b, rb) == NULL)
		return strcmp(a, b) == 0;
	return strcmp(ra, rb) == 0;
}

/* Where the file is: --config, else what the module reads (asked of it:
 * $UKEY_PKCS11_CONF or its built-in default, as the module decides). */
static int locate(struct setup_run *r)
{
	struct setup_probe p;

	if (setup_probe_run(r->module, NULL, &p) != 0)
		return ukey_err_set(&r->err, UKEY_E_ERROR, _("cannot use the module %s: %s"), r->module, p.error);
	snprintf(r->module_reads, sizeof(r->module_reads), "%s", p.config_path);
	snprintf(r->module_error, sizeof(r->module_error), "%s", p.config_error);
	if (setup_conf_read(r->config_arg ? r->config_arg : p.config_path, &r->conf, &r->err) != UKEY_E_OK)
		return r->err.code;
	/* By what the names point at: UKEY_PKCS11_CONF may be relative. */
	r->is_default = r->config_arg == NULL || same_file(r->config_arg, p.config_path);
	return UKEY_E_OK;
}

static int run(struct setup_run *r)
{
	if (ukey_conf_load(&r->uconf, &r->err) != UKEY_E_OK)
		return r->err.code;
	r->module = r->module_arg ? r->module_arg : r->uconf.module;
	if (setup_table_load(&r->table, &r->err) != UKEY_E_OK || locate(r) != UKEY_E_OK ||
	    setup_usb_scan(&r->usb, &r->nusb, r->usb_note, sizeof(r->usb_note), &r->err) != UKEY_E_OK ||
	    setup_match_run(&r->table, r->usb, r->nusb, &r->conf, r->module, &r->m, &r->err) != UKEY_E_OK)
		return r->err.code;
	plan(r);
	if (r->nadd > 0) {
		r->text = setup_conf_append(&r->conf, r->add, r->nadd);
		r->diff = r->text ? setup_conf_diff(&r->conf, r->text) : NULL;
		if (r->diff == NULL)
			return ukey_err_set(&r->err, UKEY_E_ERROR, _("out of memory"));
		if ((r->dry_run ? dry_check(r) : write_it(r)) != UKEY_E_OK)
			return r->err.code;
	}
	return setup_outcome(r);
}

int ukey_cmd_setup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct setup_run *r = calloc(1, sizeof(*r));
	int c, rc;

	if (r == NULL)
		return UKEY_EXIT_ERROR;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': r->dry_run = 1; break;
		case 'j': r->json = 1; break;
		case 'c': r->config_arg = optarg; break;
		case 'm': r->module_arg = optarg; break;
		case 'h': ukey_cmd_setup_usage(); free(r); return UKEY_EXIT_OK;
		default: fprintf(stderr, "%s\n", _("Try 'ukey help setup'.")); free(r); return UKEY_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		ukey_cmd_setup_usage();
		free(r);
		return UKEY_EXIT_USAGE;
	}
	r->problems = json_object_new_array();
	ukey_err_clear(&r->err);
	rc = run(r);
	setup_report(r, rc);
	json_object_put(r->problems);
	free(r->text);
	free(r->diff);
	free(r->usb);
	setup_match_free(&r->m);
	setup_conf_free(&r->conf);
	setup_table_free(&r->table);
	free(r);
	return rc;
}
