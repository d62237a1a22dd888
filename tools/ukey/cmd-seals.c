/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey seals: every seal on the token decoded (name, type, validity, the
 * maker's signature) and joined by sha256 with the service's view (usable,
 * or unusable = a duplicate awaiting cleaning); `seals export` writes a
 * seal's picture (cmd-seals-export.c); `seals clean` is in
 * cmd-seals-clean.c. The listing itself is seals-list.c. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seals.h"
#include "ukey.h"

void ukey_cmd_seals_usage(void)
{
	printf(_("Usage: ukey seals [--offline] [--serial MEDIUM] [--pin-fd N] [--json] [--module PATH]\n"
		 "       ukey seals export N|ID [-o FILE] [--force]\n"
		 "       ukey seals clean [--plan FILE | --auto [--yes]] [--dry-run]\n"
		 "Lists the seals on the U-KEY with the service's status, writes a seal's picture,\n"
		 "or cleans the seals (the CA's \"abnormal seal data\" page). N is the number shown by\n"
		 "'ukey seals', ID the service's seal id. Exit 3 when there is nothing to clean.\n"));
}

static const char *status_text(const struct ukey_clean_list *l, long k)
{
	if (k < 0)
		return _("not known to the service (dropped or never registered)");
	return l->seals[k].usable ? _("usable") : _("unusable: a duplicate awaiting cleaning (印章不可用)");
}

static void print_row(const struct ukey_seal_row *r, size_t i, const struct ukey_clean_list *l, int have_list)
{
	char d1[16], d2[16], left[64];
	const char *tn;
	int k;

	if (r->dec == NULL) {
		printf(_("[%zu] %s: cannot be decoded: %s\n"), i + 1, ukey_tx(r->t->label), ukey_tx(r->derr.msg));
		if (have_list)
			printf(_("      service:   %s\n"), status_text(l, r->svc));
		return;
	}
	printf("[%zu] %s", i + 1, ukey_tx(r->dec->name));
	if (have_list && r->svc >= 0)
		printf("  (%s)", ukey_tx(l->seals[r->svc].id));
	printf("\n");
	tn = have_list ? ukey_clean_type_name(l, r->dec->type) : NULL;
	printf(_("      type:      %ld%s%s\n"), r->dec->type, tn ? " " : "", tn ? ukey_tx(tn) : "");
	printf(_("      valid:     %s to %s (%s)\n"), ukey_cli_date(r->dec->valid_start, d1, sizeof(d1)),
	       ukey_cli_date(r->dec->valid_end, d2, sizeof(d2)), ukey_cli_days_text(r->dec->valid_end, left, sizeof(left)));
	printf(_("      maker:     %s\n"), r->vr.signature_ok ? _("signature verified") : _("signature NOT verified"));
	for (k = 0; k < r->vr.n_reasons; k++)
		printf("                 %s\n", ukey_tx(r->vr.reasons[k]));
	for (size_t j = 0; j < r->dec->n_odd; j++) {
		const struct ukey_seal_odd_entry *o = &r->dec->odd[j];
		printf(_("      certList:  entry %zu is no certificate (%s%s%s%s), ignored\n"), o->index,
		       ukey_seal_tag_name(o->tag), o->text[0] ? " \"" : "", ukey_tx(o->text), o->text[0] ? "\"" : "");
	}
	printf(_("      picture:   %s, %zu bytes\n"), ukey_seal_pic_ext(r->dec->picture.sniffed),
	       r->dec->picture.data.len);
	if (have_list)
		printf(_("      service:   %s\n"), status_text(l, r->svc));
}

/* certList entries that are no certificate: [{"index", "type", "text"}]. */
static json_object *odd_json(const struct ukey_seal *d)
{
	json_object *a = json_object_new_array();

	for (size_t j = 0; j < d->n_odd; j++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "index", json_object_new_int64((int64_t)d->odd[j].index));
		json_object_object_add(o, "type", json_object_new_string(ukey_seal_tag_name(d->odd[j].tag)));
		json_object_object_add(o, "text", d->odd[j].text[0] ? json_object_new_string(d->odd[j].text) : NULL);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *row_json(const struct ukey_seal_row *r, size_t i, const struct ukey_clean_list *l, int have_list)
{
	json_object *o = json_object_new_object(), *reasons = json_object_new_array();
	const struct ukey_seal *d = r->dec;
	const char *tn = d && have_list ? ukey_clean_type_name(l, d->type) : NULL;
	int k;

	json_object_object_add(o, "index", json_object_new_int64((int64_t)i + 1));
	json_object_object_add(o, "label", json_object_new_string(r->t->label));
	json_object_object_add(o, "sha256", json_object_new_string(r->t->sha256));
	json_object_object_add(o, "decoded", json_object_new_boolean(d != NULL));
	json_object_object_add(o, "error", d ? NULL : json_object_new_string(r->derr.msg));
	json_object_object_add(o, "name", d ? json_object_new_string(d->name) : NULL);
	json_object_object_add(o, "es_id", d ? json_object_new_string(d->es_id) : NULL);
	json_object_object_add(o, "type", d ? json_object_new_int64(d->type) : NULL);
	json_object_object_add(o, "type_name", tn ? json_object_new_string(tn) : NULL);
	json_object_object_add(o, "valid_from", d ? json_object_new_int64(d->valid_start) : NULL);
	json_object_object_add(o, "valid_to", d ? json_object_new_int64(d->valid_end) : NULL);
	json_object_object_add(o, "signature_ok", d ? json_object_new_boolean(r->vr.signature_ok) : NULL);
	json_object_object_add(o, "valid", d ? json_object_new_boolean(r->vr.valid) : NULL);
	for (k = 0; d && k < r->vr.n_reasons; k++)
		json_object_array_add(reasons, json_object_new_string(r->vr.reasons[k]));
	json_object_object_add(o, "problems", reasons);
	json_object_object_add(o, "picture", d ? json_object_new_string(ukey_seal_pic_ext(d->picture.sniffed)) : NULL);
	json_object_object_add(o, "picture_bytes", d ? json_object_new_int64((int64_t)d->picture.data.len) : NULL);
	json_object_object_add(o, "cert_list_odd", d ? odd_json(d) : NULL);
	json_object_object_add(o, "id", have_list && r->svc >= 0 ? json_object_new_string(l->seals[r->svc].id) : NULL);
	json_object_object_add(o, "status", !have_list ? NULL
					    : r->svc < 0 ? json_object_new_string("unknown")
					    : json_object_new_string(l->seals[r->svc].usable ? "usable" : "unusable"));
	return o;
}

static void list_print(struct ukey_cli *c, const struct ukey_seal_row *rows, size_t n, const struct ukey_clean_list *l,
		       int have_list)
{
	size_t i;

	if (c->json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();
		json_object_object_add(o, "medium", json_object_new_string(c->tok.serial));
		json_object_object_add(o, "service_state",
				       have_list ? json_object_new_string(l->abnormal ? "abnormal" : "clean") : NULL);
		for (i = 0; i < n; i++)
			json_object_array_add(a, row_json(&rows[i], i, l, have_list));
		json_object_object_add(o, "seals", a);
		ukey_cli_print_json(o);
		return;
	}
	printf(_("Medium number: %s\n"), ukey_tx(c->tok.serial));
	printf(_("Seals on the U-KEY: %zu\n"), n);
	for (i = 0; i < n; i++)
		print_row(&rows[i], i, l, have_list);
	if (have_list && l->abnormal)
		printf("%s\n", _("The CA marked the seal data abnormal: run 'ukey seals clean' to choose which seals "
				 "to keep (保留印章) and their seal types (印章类型)."));
	else if (have_list)
		printf("%s\n", _("The CA's seal data is clean."));
}

int ukey_cmd_seals(int argc, char **argv)
{
	struct ukey_cli c;
	struct ukey_token_seal *t = NULL;
	struct ukey_clean_list l;
	struct ukey_seal_row *rows = NULL;
	const char *sub;
	size_t nt = 0;
	int have_list = 0, ret = ukey_cli_parse(&c, "seals", argc, argv,
						CLI_JSON | CLI_MODULE | CLI_SERIAL | CLI_PIN | CLI_OFFLINE | CLI_OUTPUT |
							CLI_FORCE | CLI_CLEAN,
						ukey_cmd_seals_usage);

	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	memset(&l, 0, sizeof(l));
	sub = c.nargs > 0 ? c.args[0] : "list";
	if ((strcmp(sub, "list") == 0 && c.nargs > 1) || (strcmp(sub, "export") == 0 && c.nargs != 2) ||
	    (strcmp(sub, "clean") == 0 && (c.nargs != 1 || (c.plan && c.auto_plan) || c.offline)) ||
	    (strcmp(sub, "clean") != 0 && (c.plan || c.auto_plan || c.dry_run || c.yes)) ||
	    (strcmp(sub, "export") != 0 && (c.output || c.force)) ||
	    (strcmp(sub, "list") != 0 && strcmp(sub, "export") != 0 && strcmp(sub, "clean") != 0)) {
		ukey_cmd_seals_usage();
		return UKEY_EXIT_USAGE;
	}
	if (strcmp(sub, "clean") == 0)
		return ukey_cli_finish(&c, ukey_seals_clean(&c));
	/* A usage error, told before the module is loaded or a PIN asked. */
	if (c.json && c.output != NULL && strcmp(c.output, "-") == 0)
		return ukey_cli_finish(&c, ukey_err_set(&c.err, UKEY_E_USAGE, "%s",
							_("-o - writes the picture to standard output: it cannot go "
							  "with --json")));
	ret = ukey_cli_open_token(&c);
	if (ret == UKEY_E_OK)
		ret = ukey_seals_read(&c, &t, &rows, &nt);
	if (ret != UKEY_E_OK)
		goto out;
	/* Export by number needs no PIN; the service's view (list, ids) does. */
	if (!c.offline && strcmp(sub, "export") == 0 && strspn(c.args[1], "0123456789") == strlen(c.args[1]))
		c.offline = 1;
	if (!c.offline && !ukey_cli_service_configured(&c)) {
		fprintf(stderr, "%s\n", UKEY_CONF_CMP(&c.conf)
						 ? _("ukey seals: the CA service is CMP-only; showing the token only")
						 : _("ukey seals: no service configured; showing the token only"));
		c.offline = 1;
	}
	if (!c.offline) {
		ret = ukey_cli_connect(&c);
		if (ret == UKEY_E_OK)
			ret = ukey_api_seals(c.client, &l, &c.err);
		if (ret != UKEY_E_OK)
			goto out;
		have_list = 1;
		ukey_seals_join(rows, nt, &l);
	}
	if (strcmp(sub, "export") == 0)
		ret = ukey_seals_export(&c, rows, nt, &l, have_list, c.args[1]);
	else
		list_print(&c, rows, nt, &l, have_list);
out:
	ukey_seals_free(t, rows, nt);
	ukey_clean_list_free(&l);
	return ukey_cli_finish(&c, ret);
}
