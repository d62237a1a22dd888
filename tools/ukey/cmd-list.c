/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey list / ukey show: the tokens present, and one token's medium number,
 * PIN state, certificates and seals. Both read public objects only: no PIN. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ukey.h"

void ukey_cmd_list_usage(void)
{
	printf(_("Usage: ukey list [--json] [--module PATH]\n"
		 "Lists the U-KEYs present: medium number, label, PIN state.\n"));
}

void ukey_cmd_show_usage(void)
{
	printf(_("Usage: ukey show [--serial MEDIUM] [--json] [--module PATH]\n"
		 "Shows one U-KEY: medium number, PIN tries, certificates and seals.\n"));
}

int ukey_cmd_list(int argc, char **argv)
{
	struct ukey_cli c;
	struct ukey_token_info *t = NULL;
	size_t n = 0, i;
	char pin[160];
	json_object *arr;
	int ret = ukey_cli_parse(&c, "list", argc, argv, CLI_JSON | CLI_MODULE, ukey_cmd_list_usage);

	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	if (c.nargs > 0) {
		ukey_cmd_list_usage();
		return UKEY_EXIT_USAGE;
	}
	ret = ukey_cli_open_module(&c);
	if (ret == UKEY_E_OK)
		ret = ukey_token_list(&c.p11, &t, &n, &c.err);
	/* No U-KEY because the module has no working backend is an error, not
	 * an empty list; a backend that did not load is said with the list. */
	if (ret == UKEY_E_OK && n == 0 && (ret = ukey_token_no_backend(&c.p11, &c.err)) == UKEY_E_TOKEN)
		ret = UKEY_E_OK;
	if (ret != UKEY_E_OK)
		goto out;
	if (c.json) {
		arr = json_object_new_array();
		for (i = 0; i < n; i++) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "medium", json_object_new_string(t[i].serial));
			json_object_object_add(o, "label", json_object_new_string(t[i].label));
			json_object_object_add(o, "manufacturer", json_object_new_string(t[i].manufacturer));
			json_object_object_add(o, "model", json_object_new_string(t[i].model));
			json_object_object_add(o, "slot", json_object_new_int64((int64_t)t[i].slot));
			ukey_cli_pin_json(o, &t[i]);
			json_object_array_add(arr, o);
		}
		json_object *top = json_object_new_object();
		json_object_object_add(top, "tokens", arr);
		ukey_cli_print_json(top);
	} else if (n == 0) {
		printf("%s\n", c.err.msg[0] ? c.err.msg : _("No U-KEY is inserted."));
	} else {
		for (i = 0; i < n; i++)
			printf(_("Medium number %s  label \"%s\"  PIN: %s\n"), ukey_tx(t[i].serial), ukey_tx(t[i].label),
			       ukey_token_pin_text(&t[i], pin, sizeof(pin)));
	}
out:
	free(t);
	return ukey_cli_finish(&c, ret);
}

static void show_text(struct ukey_cli *c, const struct ukey_seal_view *sv, size_t ns)
{
	char d1[16], d2[16], left[64], pin[160];
	size_t i;

	printf(_("Medium number: %s\n"), ukey_tx(c->tok.serial));
	printf(_("Label:         %s (%s %s)\n"), ukey_tx(c->tok.label), ukey_tx(c->tok.manufacturer),
	       ukey_tx(c->tok.model));
	printf(_("PIN:           %s\n"), ukey_token_pin_text(&c->tok, pin, sizeof(pin)));
	printf(_("Certificates:  %zu\n"), c->ncerts);
	for (i = 0; i < c->ncerts; i++) {
		const struct ukey_cert *x = &c->certs[i];
		printf("  [%zu] %s\n", i + 1, ukey_tx(x->label));
		printf(_("      subject:      %s\n"), ukey_tx(x->subject));
		if (x->trust_number[0])
			printf(_("      trust number: %s\n"), ukey_tx(x->trust_number));
		printf(_("      issuer:       %s\n"), ukey_tx(x->issuer));
		printf(_("      serial:       %s\n"), x->serial_hex);
		printf(_("      valid:        %s to %s (%s)\n"), ukey_cli_date(x->not_before, d1, sizeof(d1)),
		       ukey_cli_date(x->not_after, d2, sizeof(d2)), ukey_cli_days_text(x->not_after, left, sizeof(left)));
		printf(_("      usage:        %s%s%s\n"), x->sign ? _("sign") : "", x->sign && x->encrypt ? ", " : "",
		       x->encrypt ? _("encrypt") : "");
		printf(_("      key:          %s\n"), x->key_type);
	}
	/* Numbered as 'ukey seals' numbers them (ukey_seal_list_token's order). */
	printf(_("Seals:         %zu\n"), ns);
	for (i = 0; i < ns; i++) {
		printf("  [%zu] %s", i + 1, ukey_tx(sv[i].name));
		if (sv[i].decoded)
			printf(_("  type %d %s  valid %s to %s  %s"), sv[i].type, ukey_tx(sv[i].type_name),
			       ukey_cli_date(sv[i].valid_from, d1, sizeof(d1)),
			       ukey_cli_date(sv[i].valid_to, d2, sizeof(d2)), sv[i].status);
		printf("\n");
	}
}

static json_object *seal_json(const struct ukey_seal_view *s, size_t i)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "index", json_object_new_int64((int64_t)i + 1));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "decoded", json_object_new_boolean(s->decoded));
	json_object_object_add(o, "type", s->decoded ? json_object_new_int(s->type) : NULL);
	json_object_object_add(o, "type_name", s->decoded ? json_object_new_string(s->type_name) : NULL);
	json_object_object_add(o, "valid_from", s->valid_from ? json_object_new_int64(s->valid_from) : NULL);
	json_object_object_add(o, "valid_to", s->valid_to ? json_object_new_int64(s->valid_to) : NULL);
	json_object_object_add(o, "status", json_object_new_string(s->status));
	json_object_object_add(o, "sha256", s->sha256[0] ? json_object_new_string(s->sha256) : NULL);
	return o;
}

int ukey_cmd_show(int argc, char **argv)
{
	struct ukey_cli c;
	struct ukey_seal_view *sv = NULL;
	size_t ns = 0, i;
	int ret = ukey_cli_parse(&c, "show", argc, argv, CLI_JSON | CLI_MODULE | CLI_SERIAL, ukey_cmd_show_usage);

	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	if (c.nargs > 0) {
		ukey_cmd_show_usage();
		return UKEY_EXIT_USAGE;
	}
	ret = ukey_cli_open_token(&c);
	if (ret == UKEY_E_OK)
		ret = ukey_seals_view_list(&c.p11, c.s, &sv, &ns, &c.err);
	if (ret != UKEY_E_OK)
		goto out;
	if (c.json) {
		json_object *o = json_object_new_object(), *certs = json_object_new_array(),
			    *seals = json_object_new_array();
		json_object_object_add(o, "medium", json_object_new_string(c.tok.serial));
		json_object_object_add(o, "label", json_object_new_string(c.tok.label));
		ukey_cli_pin_json(o, &c.tok);
		for (i = 0; i < c.ncerts; i++)
			json_object_array_add(certs, ukey_cli_cert_json(&c.certs[i]));
		for (i = 0; i < ns; i++)
			json_object_array_add(seals, seal_json(&sv[i], i));
		json_object_object_add(o, "certificates", certs);
		json_object_object_add(o, "seals", seals);
		ukey_cli_print_json(o);
	} else {
		show_text(&c, sv, ns);
	}
out:
	free(sv);
	return ukey_cli_finish(&c, ret);
}
