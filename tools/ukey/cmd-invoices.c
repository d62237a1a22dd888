/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey invoices: list the invoices, request one for an order, download an
 * issued one as PDF. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ukey.h"

void ukey_cmd_invoices_usage(void)
{
	printf(_("Usage: ukey invoices [--serial MEDIUM] [--pin-fd N] [--json]\n"
		 "       ukey invoices request --order ID --title TITLE --tax-number NUMBER\n"
		 "       ukey invoices download ID [-o FILE] [--force]\n"
		 "Lists, requests or downloads invoices. Exit 3 when the invoice is not issued yet.\n"));
}

static void invoice_text(const struct ukey_invoice *v)
{
	printf(_("%s  order %s  %s  %lld.%02lld yuan  %s (%s)\n"), ukey_tx(v->id), ukey_tx(v->order_id),
	       strcmp(v->state, "issued") == 0 ? _("issued") : _("requested"), (long long)(v->amount / 100),
	       (long long)(v->amount % 100), ukey_tx(v->title), ukey_tx(v->tax_number));
}

static int list(struct ukey_cli *c)
{
	struct ukey_invoice *v = NULL;
	size_t n = 0, i;
	int ret = ukey_api_invoices(c->client, &v, &n, &c->err);

	if (ret != UKEY_E_OK)
		return ret;
	if (c->json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(a, ukey_cli_invoice_json(&v[i]));
		json_object_object_add(o, "invoices", a);
		ukey_cli_print_json(o);
	} else if (n == 0) {
		printf("%s\n", _("No invoices. Request one with 'ukey invoices request'."));
	} else {
		for (i = 0; i < n; i++)
			invoice_text(&v[i]);
	}
	free(v);
	return UKEY_E_OK;
}

static int request(struct ukey_cli *c)
{
	struct ukey_invoice v;
	int created = 0, ret = ukey_api_invoice_request(c->client, c->order, c->title, c->tax, &v, &created, &c->err);

	if (ret != UKEY_E_OK)
		return ret;
	if (c->json) {
		json_object *o = ukey_cli_invoice_json(&v);
		json_object_object_add(o, "created", json_object_new_boolean(created));
		ukey_cli_print_json(o);
	} else {
		printf("%s\n", created ? _("Invoice requested:") : _("This order already has an invoice:"));
		invoice_text(&v);
	}
	return UKEY_E_OK;
}

static int download(struct ukey_cli *c, const char *id)
{
	struct ukey_http_resp r;
	char def[300];
	const char *path = c->output;
	int fd, ret;

	if (path == NULL) {
		snprintf(def, sizeof(def), "%s.pdf", id);
		path = def;
	}
	/* Checked before the request, again atomically at open (O_EXCL). */
	if (!c->force && access(path, F_OK) == 0)
		return ukey_err_set(&c->err, UKEY_E_ERROR, _("%s exists; use --force to overwrite it"), ukey_tx(path));
	ret = ukey_api_invoice_document(c->client, id, &r, &c->err);
	if (ret != UKEY_E_OK)
		return ret;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (c->force ? O_TRUNC : O_EXCL), 0644);
	if (fd < 0 || write(fd, r.body, r.len) != (ssize_t)r.len) {
		ret = ukey_err_set(&c->err, UKEY_E_ERROR, _("cannot write %s: %s"), ukey_tx(path), strerror(errno));
	} else if (c->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)r.len));
		ukey_cli_print_json(o);
	} else {
		printf(_("Invoice %s saved to %s (%zu bytes).\n"), ukey_tx(id), ukey_tx(path), r.len);
	}
	if (fd >= 0 && close(fd) != 0 && ret == UKEY_E_OK)
		ret = ukey_err_set(&c->err, UKEY_E_ERROR, _("cannot write %s: %s"), ukey_tx(path), strerror(errno));
	ukey_http_resp_free(&r);
	return ret;
}

int ukey_cmd_invoices(int argc, char **argv)
{
	struct ukey_cli c;
	const char *sub;
	int ret = ukey_cli_parse(&c, "invoices", argc, argv,
				 CLI_JSON | CLI_MODULE | CLI_SERIAL | CLI_PIN | CLI_INVOICE | CLI_OUTPUT | CLI_FORCE,
				 ukey_cmd_invoices_usage);

	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	sub = c.nargs > 0 ? c.args[0] : "list";
	if ((strcmp(sub, "list") == 0 && c.nargs > 1) ||
	    (strcmp(sub, "request") == 0 && (c.nargs != 1 || !c.order || !c.title || !c.tax)) ||
	    (strcmp(sub, "download") == 0 && c.nargs != 2) ||
	    (strcmp(sub, "list") != 0 && strcmp(sub, "request") != 0 && strcmp(sub, "download") != 0)) {
		ukey_cmd_invoices_usage();
		return UKEY_EXIT_USAGE;
	}
	ret = ukey_cli_connect(&c);
	if (ret == UKEY_E_OK)
		ret = strcmp(sub, "list") == 0      ? list(&c)
		      : strcmp(sub, "request") == 0 ? request(&c)
						    : download(&c, c.args[1]);
	return ukey_cli_finish(&c, ret);
}
