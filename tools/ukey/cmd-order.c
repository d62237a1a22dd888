/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey order: the renewal order's state, what it covers, its price, and the
 * one thing the user must do next (next-step.c: the guide's order, so the
 * service's whole status is asked, not the order alone). */

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ukey.h"

void ukey_cmd_order_usage(void)
{
	printf(_("Usage: ukey order [--serial MEDIUM] [--pin-fd N] [--json] [--module PATH]\n"
		 "Shows the renewal order and what to do next. Exit 3 while waiting for payment.\n"));
}

int ukey_cmd_order(int argc, char **argv)
{
	struct ukey_cli c;
	struct ukey_svc_status st;
	const struct ukey_order *o = &st.order;
	struct ukey_next next;
	int ret = ukey_cli_parse(&c, "order", argc, argv, CLI_JSON | CLI_MODULE | CLI_SERIAL | CLI_PIN,
				 ukey_cmd_order_usage);

	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	if (c.nargs > 0) {
		ukey_cmd_order_usage();
		return UKEY_EXIT_USAGE;
	}
	ret = ukey_cli_connect(&c);
	if (ret == UKEY_E_OK)
		ret = ukey_api_status(c.client, &st, &c.err);
	if (ret != UKEY_E_OK)
		goto out;
	ukey_next_step(&st, &next);
	if (c.json) {
		json_object *j = ukey_cli_order_json(o);
		json_object_object_add(j, "medium", json_object_new_string(c.tok.serial));
		json_object_object_add(j, "next_step", json_object_new_string(next.code));
		json_object_object_add(j, "next", json_object_new_string(next.text));
		ukey_cli_print_json(j);
	} else {
		printf(_("Renewal order: %s\n"), ukey_order_state_text(o->state));
		if (o->id[0]) {
			printf(_("Order number:  %s\n"), ukey_tx(o->id));
			printf(_("Covers:        %s\n"), strcmp(o->covers, "cert+seals") == 0
							    ? _("certificate and seals")
							    : _("certificate only"));
			printf(_("Price:         %s yuan\n"), ukey_tx(o->price_text));
		}
		printf(_("Next step:     %s\n"), next.text);
	}
	if (strcmp(o->state, "unpaid") == 0 || strcmp(o->state, "awaiting_transfer") == 0 ||
	    strcmp(o->state, "none") == 0) {
		ret = UKEY_E_WAIT;
		c.reported = 1;
	}
out:
	return ukey_cli_finish(&c, ret);
}
