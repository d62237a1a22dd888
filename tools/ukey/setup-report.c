/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* setup-report.c: what `ukey setup` found and changed, as text (the
 * devices, each candidate library's state, the diff, what was written)
 * or as one JSON object; and the exit status that sums it up. What a
 * device says of itself (manufacturer, product) is outside text and is
 * printed escaped (ukey_tx, ukey_cli_print_json). */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "setup.h"

static const char *state_word(enum setup_state s)
{
	switch (s) {
	case SETUP_ABSENT: return _("not installed");
	case SETUP_CONFIGURED: return _("already configured");
	case SETUP_WORKS: return _("works");
	case SETUP_NO_DEVICE: return _("loads, sees no U-KEY");
	case SETUP_FAILS: return _("fails");
	case SETUP_UNUSABLE: return _("unusable");
	default: return _("works, not written");
	}
}

static const char *const state_json[] = { "absent", "configured", "works", "no_device", "fails", "unusable",
					  "spare" };

static void problem(struct setup_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct setup_run *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_array_add(r->problems, json_object_new_string(msg));
}

/* A device worth showing: one the table knows, or a smart-card device it
 * does not (a hub, a mouse or a camera is none of our business). */
static int shown(const struct setup_devmatch *dm)
{
	return dm->kind > 0 || dm->u->smartcard;
}

static const struct setup_entry *first_entry(const struct setup_run *r, const struct setup_devmatch *dm)
{
	return dm->ncand ? r->m.cand[dm->cand[0]].en : NULL;
}

/* Why a known device has no library, in one sentence. */
static void unserved(struct setup_run *r, const struct setup_devmatch *dm)
{
	const struct setup_entry *en = first_entry(r, dm);
	const struct setup_cand *why = NULL;

	for (size_t k = 0; k < dm->ncand; k++) {
		const struct setup_cand *c = &r->m.cand[dm->cand[k]];
		if (c->state != SETUP_ABSENT && (why == NULL || c->state == SETUP_FAILS))
			why = c;
	}
	if (why == NULL)
		problem(r, _("%s (USB %04x:%04x): its library (%s) is not installed: install the U-KEY vendor's driver "
			     "for Linux (ask your CA for it), then run 'ukey setup' again"),
			en->name, dm->u->vid, dm->u->pid, en->libs[0]);
	else if (why->state == SETUP_NO_DEVICE)
		problem(r, _("%s (USB %04x:%04x): %s loads but sees no U-KEY: check that the vendor's udev rule lets "
			     "you use the device, or take the U-KEY out and plug it in again"),
			en->name, dm->u->vid, dm->u->pid, why->lib);
	else
		problem(r, _("%s (USB %04x:%04x): %s does not work: %s"), en->name, dm->u->vid, dm->u->pid, why->lib,
			why->reason);
}

int setup_outcome(struct setup_run *r)
{
	int known = 0, missing = 0;

	for (size_t d = 0; d < r->m.ndev; d++) {
		const struct setup_devmatch *dm = &r->m.dev[d];

		known += dm->kind > 0;
		if (dm->kind > 0 && dm->served_by == NULL) {
			unserved(r, dm);
			missing++;
		}
		if (dm->kind == 0 && dm->u->smartcard)
			problem(r, _("USB %04x:%04x (\"%s\" \"%s\") is a smart-card device the table does not know: ask "
				     "your CA which library it needs"),
				dm->u->vid, dm->u->pid, ukey_tx(dm->u->manufacturer), ukey_tx(dm->u->product));
	}
	/* Nothing to add, but the module does not use the file as it is (one
	 * others may write, owned by another user...): setup cannot mend it. */
	if (known > 0 && r->nadd == 0 && r->is_default && r->conf.exists && r->module_error[0]) {
		problem(r, _("the module does not use %s: %s"), r->conf.path, r->module_error);
		missing++;
	}
	if (known == 0) {
		if (r->usb_note[0])
			problem(r, _("no known U-KEY is plugged in (no USB device list: %s)"), r->usb_note);
		else
			problem(r, "%s", _("no known U-KEY is plugged in"));
		return UKEY_E_TOKEN;
	}
	return missing ? UKEY_E_ERROR : UKEY_E_OK;
}

static json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *sources(const struct setup_entry *en)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "usb", str_or_null(en->usb_src.source));
	json_object_object_add(o, "library", str_or_null(en->lib_src.source));
	json_object_object_add(o, "paths", str_or_null(en->paths_src.source));
	json_object_object_add(o, "quirks", str_or_null(en->quirks_src.source));
	return o;
}

static void report_json(struct setup_run *r, int rc)
{
	json_object *o = json_object_new_object(), *devs = json_object_new_array(), *libs = json_object_new_array();
	json_object *added = json_object_new_array();
	char id[8];

	for (size_t d = 0; d < r->m.ndev; d++) {
		const struct setup_devmatch *dm = &r->m.dev[d];
		json_object *x, *entries = json_object_new_array();

		if (!shown(dm)) {
			json_object_put(entries);
			continue;
		}
		x = json_object_new_object();
		json_object_object_add(x, "sysfs", json_object_new_string(dm->u->sysname));
		snprintf(id, sizeof(id), "%04x", dm->u->vid);
		json_object_object_add(x, "vendor_id", json_object_new_string(id));
		snprintf(id, sizeof(id), "%04x", dm->u->pid);
		json_object_object_add(x, "product_id", json_object_new_string(id));
		json_object_object_add(x, "manufacturer", json_object_new_string(dm->u->manufacturer));
		json_object_object_add(x, "product", json_object_new_string(dm->u->product));
		json_object_object_add(x, "smartcard", json_object_new_boolean(dm->u->smartcard));
		json_object_object_add(x, "match", json_object_new_string(dm->kind == 2 ? "product" : dm->kind ? "vendor"
												 : "none"));
		json_object_object_add(x, "verified", json_object_new_boolean(dm->kind > 0 && dm->verified));
		for (size_t k = 0; k < dm->ncand; k++)
			json_object_array_add(entries, json_object_new_string(r->m.cand[dm->cand[k]].en->id));
		json_object_object_add(x, "entries", entries);
		json_object_object_add(x, "backend", str_or_null(dm->served_by ? dm->served_by : NULL));
		json_object_array_add(devs, x);
	}
	for (size_t i = 0; i < r->m.ncand; i++) {
		const struct setup_cand *c = &r->m.cand[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "entry", json_object_new_string(c->en->id));
		json_object_object_add(x, "name", json_object_new_string(c->en->name));
		json_object_object_add(x, "driver", json_object_new_string(c->en->driver));
		json_object_object_add(x, "library", str_or_null(c->lib));
		json_object_object_add(x, "file", json_object_new_string(c->en->libs[0]));
		json_object_object_add(x, "state", json_object_new_string(state_json[c->state]));
		json_object_object_add(x, "reason", str_or_null(c->reason));
		json_object_object_add(x, "devices", json_object_new_int64((int64_t)c->devices));
		json_object_object_add(x, "backend", str_or_null(c->section));
		json_object_object_add(x, "quirks", str_or_null(c->en->quirks));
		json_object_object_add(x, "verified", json_object_new_boolean(c->en->lib_src.verified));
		json_object_object_add(x, "sources", sources(c->en));
		json_object_array_add(libs, x);
	}
	for (size_t i = 0; i < r->nadd; i++) {
		json_object *x = json_object_new_object();
		json_object_object_add(x, "name", json_object_new_string(r->add[i].name));
		json_object_object_add(x, "driver", json_object_new_string(r->add[i].driver));
		json_object_object_add(x, "library", json_object_new_string(r->add[i].library));
		json_object_object_add(x, "quirks", str_or_null(r->add[i].quirks));
		json_object_array_add(added, x);
	}
	json_object_object_add(o, "config", json_object_new_string(r->conf.path));
	json_object_object_add(o, "module_reads", str_or_null(r->module_reads));
	json_object_object_add(o, "table", json_object_new_string(r->table.file));
	json_object_object_add(o, "dry_run", json_object_new_boolean(r->dry_run));
	json_object_object_add(o, "changed", json_object_new_boolean(r->changed));
	json_object_object_add(o, "backup", str_or_null(r->backup));
	json_object_object_add(o, "devices", devs);
	json_object_object_add(o, "libraries", libs);
	json_object_object_add(o, "added", added);
	json_object_object_add(o, "diff", str_or_null(r->diff));
	json_object_object_add(o, "problems", json_object_get(r->problems));
	json_object_object_add(o, "exit", json_object_new_int(rc));
	ukey_cli_print_json(o);
}

static void report_text(struct setup_run *r, int rc)
{
	int any = 0;

	for (size_t d = 0; d < r->m.ndev; d++) {
		const struct setup_devmatch *dm = &r->m.dev[d];
		const struct setup_entry *en = first_entry(r, dm);

		if (!shown(dm))
			continue;
		if (!any++)
			printf("%s\n", _("U-KEYs plugged in:"));
		printf("  %s  %04x:%04x  ", ukey_tx(dm->u->sysname), dm->u->vid, dm->u->pid);
		if (dm->kind == 0)
			printf(_("not in the table (\"%s\" \"%s\", a smart-card device)\n"), ukey_tx(dm->u->manufacturer),
			       ukey_tx(dm->u->product));
		else
			printf("%s%s%s", en->name, dm->kind == 1 ? _(", by its vendor id only") : "",
			       dm->verified ? "" : _(" (unverified)"));
		if (dm->kind != 0 && (dm->u->manufacturer[0] || dm->u->product[0]))
			printf(" (\"%s\" \"%s\")", ukey_tx(dm->u->manufacturer), ukey_tx(dm->u->product));
		if (dm->kind != 0)
			printf("\n");
	}
	if (!any)
		printf("%s\n", _("No U-KEY is plugged in (no USB device the table knows, nor a smart-card device)."));
	if (r->m.ncand)
		printf("%s\n", _("Libraries:"));
	for (size_t i = 0; i < r->m.ncand; i++) {
		const struct setup_cand *c = &r->m.cand[i];

		printf("  %s: %s (%s, %s%s)", state_word(c->state), c->lib[0] ? ukey_tx(c->lib) : c->en->libs[0], c->en->id,
		       c->en->driver, c->en->lib_src.verified ? "" : _(", unverified"));
		if (c->state == SETUP_WORKS)
			printf(dngettext(UKEY_TEXTDOMAIN, ": %lu U-KEY, [backend %s]", ": %lu U-KEYs, [backend %s]",
					 c->devices),
			       c->devices, c->section);
		else if (c->state == SETUP_CONFIGURED)
			printf(_(": in [backend %s]"), c->section);
		else if (c->reason[0])
			printf(": %s", ukey_tx(c->reason));
		printf("\n");
	}
	if (r->diff != NULL) {
		printf(r->dry_run ? _("Would change %s:\n") : _("Changed %s:\n"), ukey_tx(r->conf.path));
		fputs(r->diff, stdout);
	}
	if (r->dry_run && r->diff != NULL)
		printf("%s\n", _("Dry run: nothing was written."));
	else if (r->changed && r->backup[0])
		printf(_("Written; the previous file is kept as %s.\n"), ukey_tx(r->backup));
	else if (r->changed)
		printf(_("Written (a new file).\n"));
	else if (rc != UKEY_E_TOKEN)
		printf(_("Nothing to change in %s.\n"), ukey_tx(r->conf.path));
	for (size_t i = 0; i < json_object_array_length(r->problems); i++)
		fprintf(stderr, "ukey setup: %s\n",
			ukey_tx(json_object_get_string(json_object_array_get_idx(r->problems, i))));
}

void setup_report(struct setup_run *r, int rc)
{
	int fatal = rc != UKEY_E_OK && r->m.dev == NULL;

	/* A file the module does not read by default is of no use to it
	 * until it is told (a test's, or one being prepared). */
	if (!fatal && r->module_reads[0] && (r->changed || (r->dry_run && r->diff)) && !r->is_default)
		problem(r, _("note: the module reads %s; set UKEY_PKCS11_CONF=%s for it to read this file"),
			r->module_reads, r->conf.path);
	if (fatal || (rc != UKEY_E_OK && r->err.msg[0])) {
		if (r->json) {
			json_object *o = json_object_new_object(), *err = json_object_new_object();
			json_object_object_add(err, "exit", json_object_new_int(rc));
			json_object_object_add(err, "message", json_object_new_string(r->err.msg));
			json_object_object_add(o, "error", err);
			ukey_cli_print_json(o);
		} else {
			fprintf(stderr, "ukey setup: %s\n", ukey_tx(r->err.msg));
		}
		return;
	}
	if (r->json)
		report_json(r, rc);
	else
		report_text(r, rc);
}
