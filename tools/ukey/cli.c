/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* cli.c: options, token choice, login and error output for the workflow
 * subcommands. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ukey.h"

int ukey_cli_parse(struct ukey_cli *c, const char *name, int argc, char **argv, unsigned mask,
		   void (*usage)(void))
{
	static const struct option lo[] = {
		{ "json", 0, NULL, 'j' },	  { "serial", 1, NULL, 's' },
		{ "module", 1, NULL, 'm' },	  { "pin-fd", 1, NULL, 'p' },
		{ "accept-final-try", 0, NULL, 'F' }, { "offline", 0, NULL, 'O' },
		{ "qr", 0, NULL, 'q' },		  { "status", 0, NULL, 'S' },
		{ "force", 0, NULL, 'f' },	  { "output", 1, NULL, 'o' },
		{ "order", 1, NULL, 'r' },	  { "title", 1, NULL, 't' },
		{ "tax-number", 1, NULL, 'x' },	  { "help", 0, NULL, 'h' },
		{ "plan", 1, NULL, 'P' },	  { "auto", 0, NULL, 'A' },
		{ "dry-run", 0, NULL, 'D' },	  { "yes", 0, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct { int opt; unsigned bit; } need[] = {
		{ 'j', CLI_JSON }, { 's', CLI_SERIAL }, { 'm', CLI_MODULE }, { 'p', CLI_PIN },
		{ 'F', CLI_PIN }, { 'O', CLI_OFFLINE }, { 'q', CLI_QR }, { 'S', CLI_STATUS },
		{ 'f', CLI_FORCE }, { 'o', CLI_OUTPUT }, { 'r', CLI_INVOICE }, { 't', CLI_INVOICE },
		{ 'x', CLI_INVOICE }, { 'P', CLI_CLEAN }, { 'A', CLI_CLEAN }, { 'D', CLI_CLEAN },
		{ 'y', CLI_CLEAN },
	};
	int opt;
	char *end;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->pin.fd = -1;
	/* getopt would take "--pin" as an abbreviation of --pin-fd: a PIN
	 * typed on the command line is refused outright instead. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--pin") == 0 || strncmp(argv[i], "--pin=", 6) == 0) {
			fprintf(stderr, "%s\n", _("The PIN is never given on the command line: type it when asked, "
						   "or use --pin-fd N or UKEY_PIN_FILE."));
			return UKEY_E_USAGE;
		}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		if (opt == 'h') {
			usage();
			return -1; /* help shown: the caller exits 0 */
		}
		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			if (need[i].opt == opt && !(mask & need[i].bit))
				opt = '?';
		switch (opt) {
		case 'j': c->json = 1; break;
		case 's': c->serial = optarg; break;
		case 'm': c->module = optarg; break;
		case 'p':
			c->pin.fd = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || c->pin.fd < 0)
				goto bad;
			break;
		case 'F': c->pin.accept_final_try = 1; break;
		case 'O': c->offline = 1; break;
		case 'q': c->qr = 1; break;
		case 'S': c->status = 1; break;
		case 'f': c->force = 1; break;
		case 'o': c->output = optarg; break;
		case 'r': c->order = optarg; break;
		case 't': c->title = optarg; break;
		case 'x': c->tax = optarg; break;
		case 'P': c->plan = optarg; break;
		case 'A': c->auto_plan = 1; break;
		case 'D': c->dry_run = 1; break;
		case 'y': c->yes = 1; break;
		default: goto bad;
		}
	}
	c->args = argv + optind;
	c->nargs = argc - optind;
	return UKEY_E_OK;
bad:
	fprintf(stderr, _("ukey %s: bad command line\n"), name);
	usage();
	return UKEY_E_USAGE;
}

int ukey_cli_open_module(struct ukey_cli *c)
{
	int ret = ukey_conf_load(&c->conf, &c->err);

	if (ret != UKEY_E_OK)
		return ret;
	if (c->module != NULL)
		snprintf(c->conf.module, sizeof(c->conf.module), "%s", c->module);
	/* ukey renew --protocol, --server: over the file and the environment. */
	if (c->protocol != NULL)
		snprintf(c->conf.protocol, sizeof(c->conf.protocol), "%s", c->protocol);
	if (c->server != NULL)
		snprintf(c->conf.service_url, sizeof(c->conf.service_url), "%s", c->server);
	ret = ukey_conf_check(&c->conf, &c->err);
	if (ret != UKEY_E_OK)
		return ret;
	return ukey_conn_open(&c->p11, c->conf.module, &c->err);
}

int ukey_cli_open_token(struct ukey_cli *c)
{
	CK_RV rv;
	/* The module may be open already (renew counts the tokens first). */
	int ret = c->p11.f != NULL ? UKEY_E_OK : ukey_cli_open_module(c);

	if (ret == UKEY_E_OK)
		ret = ukey_token_select(&c->p11, c->serial, &c->tok, &c->err);
	if (ret != UKEY_E_OK)
		return ret;
	rv = c->p11.f->C_OpenSession(c->tok.slot, CKF_SERIAL_SESSION, NULL, NULL, &c->s);
	if (rv != CKR_OK)
		return ukey_err_set(&c->err, UKEY_E_TOKEN, _("cannot open a session with U-KEY %s: %s"),
				    c->tok.serial, ukey_p11_rv_name(rv));
	c->have_session = 1;
	return ukey_token_certs(&c->p11, c->s, &c->certs, &c->ncerts, &c->err);
}

int ukey_cli_service_configured(struct ukey_cli *c)
{
	/* A CMP CA renews certificates and has nothing else to show. */
	if (UKEY_CONF_CMP(&c->conf))
		return 0;
	return c->conf.service_url[0] != '\0' && c->conf.service_ca[0] != '\0';
}

int ukey_cli_connect(struct ukey_cli *c)
{
	int ret = c->have_session ? UKEY_E_OK : ukey_cli_open_token(c);

	if (ret == UKEY_E_OK && UKEY_CONF_CMP(&c->conf) && strcmp(c->name, "renew") != 0)
		return ukey_err_set(&c->err, UKEY_E_USAGE, _("the CA service is CMP-only: binding, orders, invoices and "
							     "seals are features of the native protocol"));

	/* Configuration first: no PIN is asked for a request that cannot be sent. */
	if (ret == UKEY_E_OK)
		ret = ukey_client_new(&c->conf, &c->client, &c->err);
	if (ret != UKEY_E_OK)
		return ret;
	ret = ukey_pin_login(&c->p11, c->s, &c->tok, &c->pin, &c->err);
	if (ret == UKEY_E_OK)
		ret = ukey_client_sign_with(c->client, &c->p11, c->s, c->certs, c->ncerts, &c->err);
	return ret;
}

void ukey_cli_print_json(json_object *o)
{
	char *safe = ukey_text_json_safe(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	printf("%s\n", safe ? safe : "{\"error\": {\"exit\": 1, \"message\": \"out of memory\"}}");
	free(safe);
	json_object_put(o);
}

int ukey_cli_finish(struct ukey_cli *c, int ret)
{
	if (c->reported) {
	} else if (ret > 0 && c->json) {
		json_object *o = json_object_new_object(), *err = json_object_new_object();
		json_object_object_add(err, "exit", json_object_new_int(ret));
		json_object_object_add(err, "message", json_object_new_string(c->err.msg));
		if (c->err.service_code[0])
			json_object_object_add(err, "code", json_object_new_string(c->err.service_code));
		json_object_object_add(o, "error", err);
		ukey_cli_print_json(o);
	} else if (ret > 0 && c->err.msg[0]) {
		char msg[sizeof(c->err.msg) * 2];
		/* Messages carry outside text (a label, a service's reason): the
		 * last guard, our own line breaks kept. */
		fprintf(stderr, "ukey %s: %s\n", c->name, ukey_text_escape(c->err.msg, msg, sizeof(msg), 1));
	}
	ukey_client_free(c->client);
	c->client = NULL;
	ukey_certs_free(c->certs, c->ncerts);
	if (c->have_session)
		c->p11.f->C_CloseSession(c->s);
	ukey_conn_close(&c->p11);
	return ret < 0 ? UKEY_E_OK : ret;
}

const char *ukey_cli_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

long ukey_cli_days_left(time_t t)
{
	double d = difftime(t, ukey_now()) / 86400.0;

	return d >= 0 ? (long)d : -(long)(-d + 0.999999);
}

const char *ukey_cli_days_text(time_t t, char *buf, size_t len)
{
	time_t now = ukey_now();
	/* Whole days either way: 729.9 days left is 729, 1690.2 days ago is 1690. */
	long d = (long)(difftime(t >= now ? t : now, t >= now ? now : t) / 86400.0);

	if (t >= now && d > 0)
		snprintf(buf, len, dngettext(UKEY_TEXTDOMAIN, "%ld day left", "%ld days left", (unsigned long)d), d);
	else if (t >= now)
		snprintf(buf, len, "%s", _("expires today"));
	else if (d == 0)
		snprintf(buf, len, "%s", _("expired today"));
	else
		snprintf(buf, len, dngettext(UKEY_TEXTDOMAIN, "expired %ld day ago", "expired %ld days ago",
					     (unsigned long)d), d);
	return buf;
}

const char *ukey_cli_serial(const char *in, char *buf, size_t len)
{
	size_t n = 0;

	for (const char *p = in; *p && n + 1 < len; p++) {
		char ch = *p >= 'A' && *p <= 'F' ? (char)(*p - 'A' + 'a') : *p;
		if (ch == ':' || ch == ' ' || (n == 0 && ch == '0'))
			continue;
		buf[n++] = ch;
	}
	if (n == 0 && len > 1)
		buf[n++] = '0';
	buf[n] = '\0';
	return buf;
}

void ukey_cli_pin_json(json_object *o, const struct ukey_token_info *t)
{
	json_object_object_add(o, "pin", json_object_new_string(ukey_token_pin_state(t)));
	json_object_object_add(o, "pin_tries_left", t->tries_left >= 0 ? json_object_new_int64(t->tries_left) : NULL);
	json_object_object_add(o, "pin_tries_max", t->tries_max > 0 ? json_object_new_int64(t->tries_max) : NULL);
}

json_object *ukey_cli_cert_json(const struct ukey_cert *c)
{
	json_object *o = json_object_new_object();
	char *id = ukey_hex(c->id, c->id_len < sizeof(c->id) ? c->id_len : sizeof(c->id));

	json_object_object_add(o, "label", json_object_new_string(c->label));
	json_object_object_add(o, "id", json_object_new_string(id ? id : ""));
	free(id);
	json_object_object_add(o, "subject", json_object_new_string(c->subject));
	json_object_object_add(o, "issuer", json_object_new_string(c->issuer));
	json_object_object_add(o, "serial", json_object_new_string(c->serial_hex));
	json_object_object_add(o, "trust_number",
			       c->trust_number[0] ? json_object_new_string(c->trust_number) : NULL);
	json_object_object_add(o, "not_before", json_object_new_int64(c->not_before));
	json_object_object_add(o, "not_after", json_object_new_int64(c->not_after));
	json_object_object_add(o, "days_left", json_object_new_int64(ukey_cli_days_left(c->not_after)));
	json_object_object_add(o, "sign", json_object_new_boolean(c->sign));
	json_object_object_add(o, "encrypt", json_object_new_boolean(c->encrypt));
	json_object_object_add(o, "key_type", json_object_new_string(c->key_type));
	return o;
}

json_object *ukey_cli_invoice_json(const struct ukey_invoice *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(v->id));
	json_object_object_add(o, "order_id", json_object_new_string(v->order_id));
	json_object_object_add(o, "state", json_object_new_string(v->state));
	json_object_object_add(o, "title", json_object_new_string(v->title));
	json_object_object_add(o, "tax_number", json_object_new_string(v->tax_number));
	json_object_object_add(o, "amount_fen", json_object_new_int64(v->amount));
	json_object_object_add(o, "issued_at", v->issued_at ? json_object_new_int64(v->issued_at) : NULL);
	return o;
}

json_object *ukey_cli_order_json(const struct ukey_order *o)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "state", json_object_new_string(o->state));
	json_object_object_add(j, "id", o->id[0] ? json_object_new_string(o->id) : NULL);
	json_object_object_add(j, "covers", o->covers[0] ? json_object_new_string(o->covers) : NULL);
	json_object_object_add(j, "price_fen", o->id[0] ? json_object_new_int64(o->price) : NULL);
	json_object_object_add(j, "price_yuan", o->id[0] ? json_object_new_string(o->price_text) : NULL);
	json_object_object_add(j, "pay_method", o->pay_method[0] ? json_object_new_string(o->pay_method) : NULL);
	json_object_object_add(j, "paid_at", o->paid_at ? json_object_new_int64(o->paid_at) : NULL);
	json_object_object_add(j, "encryption_certificate", json_object_new_boolean(o->encryption));
	json_object_object_add(j, "text", json_object_new_string(ukey_order_state_text(o->state)));
	return j;
}
