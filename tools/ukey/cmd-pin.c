/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey pin change | unblock: what the CA's Windows client calls 修改PIN码
 * and 解锁. The work (checks before the device, one PKCS#11 call, the
 * messages) is libukey-renew's ukey_pin_change / ukey_pin_unblock; this file
 * chooses the U-KEY and prints the outcome. No session is opened here: the
 * administrator's login needs no read-only session of ours open. */

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ukey.h"

void ukey_cmd_pin_usage(void)
{
	printf(_("Usage: ukey pin change [--serial MEDIUM] [--pin-fd N] [--accept-final-try] [--json] [--module PATH]\n"
		 "       ukey pin unblock [--serial MEDIUM] [--pin-fd N] [--accept-final-try] [--json] [--module PATH]\n"
		 "change: the current PIN, then the new PIN twice. unblock: the administrator (SO) PIN, then\n"
		 "the new user PIN twice; it sets a locked (or forgotten) PIN anew. The new PIN's length is\n"
		 "checked against the U-KEY's rule before the U-KEY is touched. With --pin-fd N or\n"
		 "UKEY_PIN_FILE the PINs are read one per line, in that order. A wrong PIN uses one try and\n"
		 "is never retried; a locked administrator PIN can only be unlocked by the CA.\n"));
}

/* "so_pin", "so_pin_tries_left", "so_pin_tries_max" (null when unknown). */
static void so_json(json_object *o, const struct ukey_token_info *t)
{
	json_object_object_add(o, "so_pin", json_object_new_string(ukey_token_so_pin_state(t)));
	json_object_object_add(o, "so_pin_tries_left",
			       t->so_tries_left >= 0 ? json_object_new_int64(t->so_tries_left) : NULL);
	json_object_object_add(o, "so_pin_tries_max",
			       t->so_tries_max > 0 ? json_object_new_int64(t->so_tries_max) : NULL);
}

static void print_json(const struct ukey_cli *c, int unblock, int ret, const struct ukey_pin_outcome *out)
{
	json_object *o = json_object_new_object();

	if (ret != UKEY_E_OK) {
		json_object *err = json_object_new_object();
		json_object_object_add(err, "exit", json_object_new_int(ret));
		json_object_object_add(err, "message", json_object_new_string(c->err.msg));
		json_object_object_add(err, "reason", json_object_new_string(out->reason));
		json_object_object_add(o, "error", err);
	} else {
		json_object_object_add(o, "result", json_object_new_string(out->reason));
	}
	json_object_object_add(o, "medium", json_object_new_string(c->tok.serial));
	json_object_object_add(o, "dialog", json_object_new_boolean(out->dialog));
	ukey_cli_pin_json(o, &c->tok);
	if (unblock)
		so_json(o, &c->tok);
	ukey_cli_print_json(o);
}

static void print_text(const struct ukey_cli *c, int unblock)
{
	char tries[200];

	if (unblock)
		printf(_("The PIN of U-KEY %s is unblocked and set to the new PIN.\n"), ukey_tx(c->tok.serial));
	else
		printf(_("The PIN of U-KEY %s is changed. Use the new PIN from now on.\n"), ukey_tx(c->tok.serial));
	printf(_("PIN: %s\n"), ukey_token_pin_text(&c->tok, tries, sizeof(tries)));
	if (unblock)
		printf(_("Administrator PIN: %s\n"), ukey_token_so_pin_text(&c->tok, tries, sizeof(tries)));
}

int ukey_cmd_pin(int argc, char **argv)
{
	struct ukey_cli c;
	struct ukey_pin_outcome out;
	int unblock, ret = ukey_cli_parse(&c, "pin", argc, argv, CLI_JSON | CLI_MODULE | CLI_SERIAL | CLI_PIN,
					  ukey_cmd_pin_usage);

	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	if (c.nargs != 1 || (strcmp(c.args[0], "change") != 0 && strcmp(c.args[0], "unblock") != 0)) {
		fprintf(stderr, "%s", _("ukey pin: say 'change' or 'unblock'\n"));
		ukey_cmd_pin_usage();
		return UKEY_EXIT_USAGE;
	}
	unblock = strcmp(c.args[0], "unblock") == 0;
	ret = ukey_cli_open_module(&c);
	if (ret == UKEY_E_OK)
		ret = ukey_token_select(&c.p11, c.serial, &c.tok, &c.err);
	if (ret != UKEY_E_OK)
		return ukey_cli_finish(&c, ret);
	ret = unblock ? ukey_pin_unblock(&c.p11, &c.tok, &c.pin, &out, &c.err)
		      : ukey_pin_change(&c.p11, &c.tok, &c.pin, &out, &c.err);
	if (c.json) {
		print_json(&c, unblock, ret, &out);
		c.reported = 1;
	} else if (ret == UKEY_E_OK) {
		print_text(&c, unblock);
	}
	return ukey_cli_finish(&c, ret);
}
