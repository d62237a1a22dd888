/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey: the command-line tool for U-KEYs used through ukey-pkcs11. main()
 * only dispatches: each subcommand lives in its own file and returns one of
 * the UKEY_EXIT_* codes (see ukey(1)). */

#include <stdio.h>
#include <string.h>

#include "ukey-renew.h"
#include "ukey.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "list", ukey_cmd_list, N_("list the U-KEYs present") },
	{ "show", ukey_cmd_show, N_("show a U-KEY: medium number, PIN tries, certificates, seals") },
	{ "bind", ukey_cmd_bind, N_("get a binding code for the phone account (--status: confirmed?)") },
	{ "order", ukey_cmd_order, N_("show the renewal order and what to do next") },
	{ "invoices", ukey_cmd_invoices, N_("list, request or download invoices") },
	{ "seals", ukey_cmd_seals, N_("list the seals with the service's status, export a picture, clean the seals") },
	{ "status", ukey_cmd_status, N_("certificate and seal validity, and the service's view") },
	{ "renew", ukey_cmd_renew, N_("renew the certificate (and seals) with a new key made on the U-KEY") },
	{ "register-browser", ukey_cmd_register_browser,
	  N_("register the module in Firefox's and Chromium's NSS databases") },
	{ "reminder", ukey_cmd_reminder, N_("a daily desktop reminder when the certificate is due for renewal") },
	{ "pin", ukey_cmd_pin, N_("change the PIN, or unblock it with the administrator PIN") },
	{ "doctor", ukey_cmd_doctor, N_("check the whole chain: configuration, backends, U-KEYs, browsers, service, "
					"clock") },
	{ "setup", ukey_cmd_setup, N_("find the vendor library of the U-KEYs plugged in and configure the module") },
	{ "watch", ukey_cmd_watch, N_("print U-KEYs as they are inserted and removed, until Ctrl-C") },
	{ "assistant", ukey_cmd_assistant, N_("the renewal step by step in a web page on this computer") },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *to)
{
	fprintf(to, "%s", _("Usage: ukey COMMAND [OPTIONS]\n"
			    "       ukey help [COMMAND] | --help | --version\n\nCommands:\n"));
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(to, "  %-18s %s\n", subcommands[i].name, _(subcommands[i].summary));
	fprintf(to, "%s", _("\n'ukey COMMAND --help' describes a command. Exit status: 0 success,\n"
			    "1 error, 2 bad command line, 3 waiting (nothing to do yet), 4 token problem,\n"
			    "5 service problem. See ukey(1).\n"));
}

static const struct subcommand *find(const char *name)
{
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return &subcommands[i];
	return NULL;
}

static void unknown(const char *name)
{
	fprintf(stderr, _("ukey: unknown command '%s'\n"), ukey_tx(name));
	usage(stderr);
}

int main(int argc, char **argv)
{
	ukey_i18n_init();
	if (argc < 2) {
		usage(stderr);
		return UKEY_EXIT_USAGE;
	}
	/* "ukey help renew" is "ukey renew --help". */
	if (strcmp(argv[1], "help") == 0 && argc > 2) {
		const struct subcommand *c = find(argv[2]);
		char *help[] = { argv[2], "--help", NULL };
		if (c != NULL && argc == 3)
			return c->run(2, help);
		unknown(argv[2]);
		return UKEY_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return UKEY_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ukey (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return UKEY_EXIT_OK;
	}
	if (find(argv[1]) != NULL)
		return find(argv[1])->run(argc - 1, argv + 1);
	unknown(argv[1]);
	return UKEY_EXIT_USAGE;
}
