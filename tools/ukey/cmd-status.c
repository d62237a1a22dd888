/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey status: the guide's final check -- certificate and seal validity with
 * days left, from the token, plus the service's view when reachable. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "reminder.h"
#include "ukey.h"

void ukey_cmd_status_usage(void)
{
	printf(_("Usage: ukey status [--serial MEDIUM] [--offline] [--pin-fd N] [--json] [--module PATH]\n"
		 "       ukey status --when-due [--days N] [--serial MEDIUM] [--json] [--module PATH]\n"
		 "Certificate and seal validity (days left); with the service's view unless --offline.\n"
		 "--when-due: is the renewal due (the signing certificate within N days, default 30, of its\n"
		 "expiry)? Exit 0 when it is due, 3 when not yet; the U-KEY only, no PIN, no service.\n"));
}

/* status --when-due: the timer's and scripts' question, answered from the
 * token's public objects alone (no PIN is there to ask for). */
static int when_due(struct ukey_cli *c, long days)
{
	struct ukey_due d;
	struct ukey_seen s;
	int ret = ukey_cli_open_token(c);

	if (ret == UKEY_E_OK)
		ret = ukey_due_check(c->tok.serial, c->certs, c->ncerts, days, &d, &c->err);
	if (ret != UKEY_E_OK)
		return ukey_cli_finish(c, ret);
	memset(&s, 0, sizeof(s));
	snprintf(s.medium, sizeof(s.medium), "%s", c->tok.serial);
	snprintf(s.label, sizeof(s.label), "%s", c->tok.label);
	snprintf(s.serial_hex, sizeof(s.serial_hex), "%s", d.serial_hex);
	s.not_after = d.not_after;
	s.seen = ukey_now();
	/* A reminder's memory kept true; a failure to write it is not this
	 * command's answer. */
	ukey_seen_put(&s, 1, &c->err);
	ukey_err_clear(&c->err);
	if (c->json)
		ukey_cli_print_json(ukey_due_json(&d));
	else
		ukey_due_print(&d);
	c->reported = 1; /* "not due" (exit 3) is an answer, not an error */
	return ukey_cli_finish(c, d.due ? UKEY_E_OK : UKEY_E_WAIT);
}

static json_object *service_json(const struct ukey_svc_status *st)
{
	json_object *o = json_object_new_object();
	struct ukey_next next;
	char serial[80];

	ukey_next_step(st, &next);
	json_object_object_add(o, "medium", json_object_new_string(st->medium));
	json_object_object_add(o, "binding", json_object_new_string(st->binding));
	json_object_object_add(o, "identity_checked", json_object_new_boolean(st->identity_checked));
	json_object_object_add(o, "seals", json_object_new_string(st->seals));
	json_object_object_add(o, "certificate_serial",
			       json_object_new_string(ukey_cli_serial(st->cert_serial, serial, sizeof(serial))));
	json_object_object_add(o, "certificate_not_after", json_object_new_int64(st->not_after));
	json_object_object_add(o, "certificate_expired", json_object_new_boolean(st->expired));
	json_object_object_add(o, "order", json_object_new_string(st->order.state));
	json_object_object_add(o, "next_step", json_object_new_string(next.code));
	json_object_object_add(o, "next", json_object_new_string(next.text));
	return o;
}

int ukey_cmd_status(int argc, char **argv)
{
	struct ukey_cli c;
	struct ukey_seal_view *sv = NULL;
	struct ukey_svc_status st;
	struct ukey_err serr;
	size_t ns = 0, i;
	char d[16], left[64], pin[160], serial[80];
	struct ukey_next next;
	int due = 0, ret, have_svc = 0;
	long days;

	if (ukey_due_options("status", &argc, argv, &due, &days) != UKEY_E_OK) {
		fprintf(stderr, "%s\n", _("Try 'ukey help status'."));
		return UKEY_EXIT_USAGE;
	}
	ret = ukey_cli_parse(&c, "status", argc, argv,
			     due ? CLI_JSON | CLI_MODULE | CLI_SERIAL | CLI_OFFLINE
				 : CLI_JSON | CLI_MODULE | CLI_SERIAL | CLI_PIN | CLI_OFFLINE,
			     ukey_cmd_status_usage);
	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	if (c.nargs > 0) {
		ukey_cmd_status_usage();
		return UKEY_EXIT_USAGE;
	}
	if (due)
		return when_due(&c, days);
	ukey_err_clear(&serr);
	ret = ukey_cli_open_token(&c);
	if (ret == UKEY_E_OK && !c.offline && !ukey_cli_service_configured(&c)) {
		fprintf(stderr, "%s\n", UKEY_CONF_CMP(&c.conf)
						 ? _("ukey status: the CA service is CMP-only; showing the token only")
						 : _("ukey status: no service configured; showing the token only"));
		c.offline = 1;
	}
	if (ret == UKEY_E_OK && !c.offline)
		ret = ukey_cli_connect(&c);
	/* The service's view is a bonus: its failure is reported, the token's
	 * facts are still shown, and the exit status says the service failed. */
	if (ret == UKEY_E_SERVICE) {
		serr = c.err;
		ret = UKEY_E_OK;
	} else if (ret == UKEY_E_OK && !c.offline) {
		if (ukey_api_status(c.client, &st, &serr) == UKEY_E_OK)
			have_svc = 1;
	}
	if (ret == UKEY_E_OK)
		ret = ukey_seals_view_list(&c.p11, c.s, &sv, &ns, &c.err);
	if (ret != UKEY_E_OK)
		goto out;
	if (c.json) {
		json_object *o = json_object_new_object(), *certs = json_object_new_array(),
			    *seals = json_object_new_array();
		json_object_object_add(o, "medium", json_object_new_string(c.tok.serial));
		ukey_cli_pin_json(o, &c.tok);
		for (i = 0; i < c.ncerts; i++)
			json_object_array_add(certs, ukey_cli_cert_json(&c.certs[i]));
		for (i = 0; i < ns; i++) {
			json_object *s = json_object_new_object();
			json_object_object_add(s, "index", json_object_new_int64((int64_t)i + 1));
			json_object_object_add(s, "name", json_object_new_string(sv[i].name));
			json_object_object_add(s, "valid_to", sv[i].valid_to ? json_object_new_int64(sv[i].valid_to) : NULL);
			json_object_object_add(s, "days_left",
					       sv[i].valid_to ? json_object_new_int64(ukey_cli_days_left(sv[i].valid_to)) : NULL);
			json_object_object_add(s, "status", json_object_new_string(sv[i].status));
			json_object_array_add(seals, s);
		}
		json_object_object_add(o, "certificates", certs);
		json_object_object_add(o, "seals", seals);
		json_object_object_add(o, "service", have_svc ? service_json(&st) : NULL);
		if (serr.code != UKEY_E_OK)
			json_object_object_add(o, "service_error", json_object_new_string(serr.msg));
		ukey_cli_print_json(o);
	} else {
		printf(_("Medium number: %s\n"), ukey_tx(c.tok.serial));
		printf(_("PIN: %s\n"), ukey_token_pin_text(&c.tok, pin, sizeof(pin)));
		for (i = 0; i < c.ncerts; i++)
			printf(_("Certificate %s (%s, serial %s): valid until %s, %s\n"), ukey_tx(c.certs[i].label),
			       c.certs[i].sign ? _("sign") : _("encrypt"), c.certs[i].serial_hex,
			       ukey_cli_date(c.certs[i].not_after, d, sizeof(d)),
			       ukey_cli_days_text(c.certs[i].not_after, left, sizeof(left)));
		for (i = 0; i < ns; i++) {
			if (sv[i].valid_to)
				printf(_("Seal %zu %s: valid until %s, %s\n"), i + 1, ukey_tx(sv[i].name),
				       ukey_cli_date(sv[i].valid_to, d, sizeof(d)),
				       ukey_cli_days_text(sv[i].valid_to, left, sizeof(left)));
			else
				printf(_("Seal %zu %s: validity not known yet\n"), i + 1, ukey_tx(sv[i].name));
		}
		if (have_svc) {
			ukey_next_step(&st, &next);
			printf(_("Service: binding %s, identity %s, seals %s, order %s, certificate serial %s\n"),
			       st.binding, st.identity_checked ? _("checked") : _("not checked"), st.seals,
			       ukey_order_state_text(st.order.state), ukey_tx(ukey_cli_serial(st.cert_serial, serial,
											     sizeof(serial))));
			printf(_("Next step: %s\n"), next.text);
		} else if (serr.code != UKEY_E_OK) {
			fprintf(stderr, _("ukey status: the service's view is missing: %s\n"), ukey_tx(serr.msg));
		}
	}
	if (serr.code != UKEY_E_OK) {
		ret = serr.code;
		c.reported = 1;
	}
out:
	free(sv);
	return ukey_cli_finish(&c, ret);
}
