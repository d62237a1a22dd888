/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey bind: gets a binding code (绑定码) for the phone side, with the last
 * four digits of the medium number and a terminal QR code; --status asks
 * whether the phone confirmed it. */

#include <qrencode.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ukey.h"

void ukey_cmd_bind_usage(void)
{
	printf(_("Usage: ukey bind [--status] [--serial MEDIUM] [--pin-fd N] [--accept-final-try]\n"
		 "                 [--qr] [--json] [--module PATH]\n"
		 "Gets a binding code for the phone account; --status shows whether it was confirmed.\n"
		 "Exit 3 while the binding is not confirmed.\n"));
}

/* Two QR rows per text line with UTF-8 half blocks, and the standard quiet
 * zone of 4 modules. The colours are set, dark modules black on white,
 * whatever the terminal's own: a light terminal would otherwise show the
 * code inverted (light modules on dark), which phone scanners reject. */
#define QUIET 4
static void print_qr(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int w, x, y;

	if (q == NULL)
		return;
	w = q->width;
#define DARK(X, Y) ((X) >= 0 && (Y) >= 0 && (X) < w && (Y) < w && (q->data[(Y) * w + (X)] & 1))
	for (y = -QUIET; y < w + QUIET; y += 2) {
		/* black foreground on white (bright white where the terminal
		 * has it), reset before the line ends so nothing bleeds */
		fputs("\033[0;30;47;107m", stdout);
		for (x = -QUIET; x < w + QUIET; x++) {
			int top = DARK(x, y), bottom = DARK(x, y + 1);
			fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ", stdout);
		}
		fputs("\033[0m\n", stdout);
	}
#undef DARK
	QRcode_free(q);
}

static int status(struct ukey_cli *c)
{
	char state[16], when[16];
	int64_t at;
	int ret = ukey_api_binding_state(c->client, state, sizeof(state), &at, &c->err);

	if (ret != UKEY_E_OK)
		return ret;
	if (c->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "medium", json_object_new_string(c->tok.serial));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "confirmed_at", at ? json_object_new_int64(at) : NULL);
		ukey_cli_print_json(o);
	} else if (strcmp(state, "confirmed") == 0) {
		printf(_("The certificate is bound to the phone account (confirmed %s).\n"),
		       ukey_cli_date((time_t)at, when, sizeof(when)));
	} else if (strcmp(state, "pending") == 0) {
		printf("%s\n", _("The binding code was not confirmed on the phone yet: enter it with the last four "
				 "digits of the medium number in the CA's WeChat account."));
	} else {
		printf("%s\n", _("The certificate is not bound: run 'ukey bind' to get a binding code."));
	}
	c->reported = 1; /* the state is the answer, even when it means "wait" */
	return strcmp(state, "confirmed") == 0 ? UKEY_E_OK : UKEY_E_WAIT;
}

int ukey_cmd_bind(int argc, char **argv)
{
	struct ukey_cli c;
	struct ukey_binding b;
	char until[16];
	int ret = ukey_cli_parse(&c, "bind", argc, argv,
				 CLI_JSON | CLI_MODULE | CLI_SERIAL | CLI_PIN | CLI_QR | CLI_STATUS, ukey_cmd_bind_usage);

	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	if (c.nargs > 0) {
		ukey_cmd_bind_usage();
		return UKEY_EXIT_USAGE;
	}
	ret = ukey_cli_connect(&c);
	if (ret == UKEY_E_OK && c.status) {
		ret = status(&c);
		goto out;
	}
	if (ret == UKEY_E_OK)
		ret = ukey_api_binding_new(c.client, &b, &c.err);
	if (ret != UKEY_E_OK)
		goto out;
	if (c.json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "medium", json_object_new_string(c.tok.serial));
		json_object_object_add(o, "code", json_object_new_string(b.code));
		json_object_object_add(o, "medium_last4", json_object_new_string(b.medium_last4));
		json_object_object_add(o, "expires", json_object_new_int64(b.expires));
		json_object_object_add(o, "qr", json_object_new_string(b.qr));
		ukey_cli_print_json(o);
	} else {
		printf(_("Binding code: %s\n"), ukey_tx(b.code));
		printf(_("Last four digits of the medium number: %s\n"), ukey_tx(b.medium_last4));
		printf(_("Valid until %s. On the phone, open the CA's WeChat account and enter both.\n"),
		       ukey_cli_date((time_t)b.expires, until, sizeof(until)));
		if (c.qr || isatty(STDOUT_FILENO))
			print_qr(b.qr);
		printf("%s\n", _("Then run 'ukey bind --status' to check the confirmation."));
	}
	memset(&b, 0, sizeof(b));
out:
	return ukey_cli_finish(&c, ret);
}
