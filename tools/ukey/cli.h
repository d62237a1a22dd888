/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared plumbing of the workflow subcommands (list, show, bind, order,
 * invoices, status): options, the one token, the PIN login, the service
 * client, and printing an error as text or JSON. */
#ifndef UKEY_TOOL_CLI_H
#define UKEY_TOOL_CLI_H

#include <json-c/json.h>

#include "ukey-renew.h"

enum {
	CLI_JSON = 1 << 0, CLI_SERIAL = 1 << 1, CLI_MODULE = 1 << 2, CLI_PIN = 1 << 3,
	CLI_OFFLINE = 1 << 4, CLI_QR = 1 << 5, CLI_STATUS = 1 << 6, CLI_FORCE = 1 << 7,
	CLI_OUTPUT = 1 << 8, CLI_INVOICE = 1 << 9, CLI_CLEAN = 1 << 10,
};

struct ukey_cli {
	const char *name;
	int json, offline, qr, status, force;
	const char *serial, *module, *output, *order, *title, *tax;
	const char *plan;            /* seals clean --plan FILE */
	const char *protocol, *server; /* renew --protocol, --server: over ukey.conf */
	int auto_plan, dry_run, yes; /* seals clean --auto --dry-run --yes */
	struct ukey_pin_opts pin;
	char **args;
	int nargs;

	struct ukey_conf conf;
	struct ukey_conn p11;
	struct ukey_token_info tok;
	CK_SESSION_HANDLE s;
	int have_session;
	struct ukey_cert *certs;
	size_t ncerts;
	struct ukey_client *client; /* NULL until ukey_cli_connect */
	struct ukey_err err;
	int reported; /* the command already printed its outcome (error included) */
};

/* Parses the options allowed by mask; positional arguments in args. */
int ukey_cli_parse(struct ukey_cli *c, const char *name, int argc, char **argv, unsigned mask,
		   void (*usage)(void));
/* Loads the config and the module (no token chosen). */
int ukey_cli_open_module(struct ukey_cli *c);
/* ... plus exactly one token, a session and its certificates (the module
 * opened first unless it is open). */
int ukey_cli_open_token(struct ukey_cli *c);
/* ... plus the PIN login and the service client. */
int ukey_cli_connect(struct ukey_cli *c);
/* The service client without a login is impossible (requests are signed),
 * so this only checks the configuration; used by --offline decisions. */
int ukey_cli_service_configured(struct ukey_cli *c);
/* Prints the error (if ret != 0), frees everything, returns ret. */
int ukey_cli_finish(struct ukey_cli *c, int ret);
/* Prints o (JSON mode; DEL, C1 controls and non-UTF-8 bytes escaped, see
 * ukey_text_json_safe) and releases it. */
void ukey_cli_print_json(json_object *o);
/* "2026-01-02" (UTC) */
const char *ukey_cli_date(time_t t, char *buf, size_t len);
/* The command's clock: $UKEY_NOW (YYYY-MM-DDTHH:MM:SSZ, for tests) when
 * set, else the real time; read only here (clock.c). */
time_t ukey_now(void);
/* Days from now to t, rounded down (negative when past). */
long ukey_cli_days_left(time_t t);
/* "300 days left", "expires today", "expired 1690 days ago", translated. */
const char *ukey_cli_days_text(time_t t, char *buf, size_t len);
/* A certificate serial number as ukey prints it everywhere: lower-case hex
 * without leading zeros or separators (as ukey_cert_parse makes it), from
 * the service's spelling of it. */
const char *ukey_cli_serial(const char *in, char *buf, size_t len);
/* JSON for one certificate (shared by show and status). */
json_object *ukey_cli_cert_json(const struct ukey_cert *c);
/* The token's "pin" state and "pin_tries_left" / "pin_tries_max" (null
 * when the U-KEY does not tell them) added to o. */
void ukey_cli_pin_json(json_object *o, const struct ukey_token_info *t);
/* JSON for one invoice, the same for `ukey invoices --json` and the
 * assistant's /api/invoices (the amount in fen, named so). */
json_object *ukey_cli_invoice_json(const struct ukey_invoice *v);
/* JSON for the renewal order, the same for `ukey order --json` (which adds
 * the medium and the next step) and the assistant's /api/order: prices in
 * fen and as yuan text, "text" what the state means. */
json_object *ukey_cli_order_json(const struct ukey_order *o);

#endif
