/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ukey command: exit codes shared by every subcommand, and the
 * subcommands' entry points (one file per subcommand). */
#ifndef UKEY_TOOL_UKEY_H
#define UKEY_TOOL_UKEY_H

#include "ukey-renew.h"

#define UKEY_EXIT_OK 0    /* done */
#define UKEY_EXIT_ERROR 1 /* something could not be done (see its message) */
#define UKEY_EXIT_USAGE 2 /* bad command line */
#define UKEY_EXIT_WAIT 3    /* nothing to do yet / waiting (e.g. binding unconfirmed) */
#define UKEY_EXIT_TOKEN 4   /* token problem: none, several, wrong PIN, locked */
#define UKEY_EXIT_SERVICE 5 /* service problem: unreachable, TLS refused, 5xx */
#define UKEY_EXIT_INTERRUPTED 130 /* renew stopped by Ctrl-C (SIGINT, SIGTERM, SIGHUP); resumable */

/* ukey register-browser [--remove] [--json] [--module PATH] */
int ukey_cmd_register_browser(int argc, char **argv);
void ukey_cmd_register_browser_usage(void);

/* The workflow commands (libukey-renew); each takes --json and --help. */
int ukey_cmd_list(int argc, char **argv);
int ukey_cmd_show(int argc, char **argv);
int ukey_cmd_bind(int argc, char **argv);
int ukey_cmd_order(int argc, char **argv);
int ukey_cmd_invoices(int argc, char **argv);
int ukey_cmd_status(int argc, char **argv);
int ukey_cmd_seals(int argc, char **argv);
void ukey_cmd_seals_usage(void);
void ukey_cmd_list_usage(void);
void ukey_cmd_show_usage(void);
void ukey_cmd_bind_usage(void);
void ukey_cmd_order_usage(void);
void ukey_cmd_invoices_usage(void);
void ukey_cmd_status_usage(void);
int ukey_cmd_renew(int argc, char **argv);
void ukey_cmd_renew_usage(void);
/* ukey reminder enable|disable|status|check (cmd-reminder.c) */
int ukey_cmd_reminder(int argc, char **argv);
void ukey_cmd_reminder_usage(void);
/* ukey pin change|unblock: the PIN changed, or unblocked with the SO PIN */
int ukey_cmd_pin(int argc, char **argv);
void ukey_cmd_pin_usage(void);
/* ukey doctor [--json] [--module PATH] */
int ukey_cmd_doctor(int argc, char **argv);
void ukey_cmd_doctor_usage(void);

/* ukey setup [--dry-run] [--json] [--config FILE] [--module PATH] */
int ukey_cmd_setup(int argc, char **argv);
void ukey_cmd_setup_usage(void);
/* ukey watch [--json] [--module PATH] */
int ukey_cmd_watch(int argc, char **argv);
void ukey_cmd_watch_usage(void);

/* ukey assistant [--no-browser] [--port N] [--idle S] [--serial S] [--module PATH] */
int ukey_cmd_assistant(int argc, char **argv);
void ukey_cmd_assistant_usage(void);
/* next-step.c: what to do next (order, status), in the guide's order. */
struct ukey_next {
	const char *code; /* bind confirm_binding identity_check order pay wait_transfer
			   * clean_seals renew check_validity */
	const char *text; /* the sentence, translated */
	int wait;         /* 1 until the renewal can run */
};
void ukey_next_step(const struct ukey_svc_status *st, struct ukey_next *n);
const char *ukey_order_state_text(const char *state);

#endif
