/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey renew: renews the signing certificate (and the seals) as a journaled
 * transaction (libukey-renew renew/): refusals first, the PIN before step 1,
 * then one line per step, or one JSON event per line with --json. A rerun
 * resumes from the journal with the same request. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "reminder.h"
#include "ukey.h"

void ukey_cmd_renew_usage(void)
{
	printf(_("Usage: ukey renew [--with-seals | --cert-only] [--key-type rsa|ec|sm2] [--serial MEDIUM]\n"
		 "                  [--when-due [--days N]] [--pin-fd N] [--accept-final-try] [--json]\n"
		 "                  [--protocol native|cmp] [--server URL] [--module PATH]\n"
		 "Renews the signing certificate (and the seals, if the order covers them) with a new key\n"
		 "generated on the U-KEY. Each step is journaled under $XDG_STATE_HOME/ukey/; run it again\n"
		 "after an interruption to resume. Exit 3 when the renewal cannot run yet (binding, identity\n"
		 "check, order, seals) or there is nothing to do.\n"
		 "--when-due: renew only when the signing certificate is within N days (default 30) of its\n"
		 "expiry; before that, say so and exit 0 without asking for the PIN (--json: \"result\":\n"
		 "\"not_due\").\n"
		 "--protocol cmp: renew by CMP key update (RFC 4210) with a CA that speaks CMP (the\n"
		 "certificate only); --server: the CA's URL, over [service] url.\n"));
}

/* Milliseconds since the first event: each step's time is then in the
 * events themselves (bench/bench-renew.sh, support requests), not in when
 * a reader happened to see the lines. */
static int64_t elapsed_ms(void)
{
	static struct timespec t0;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (t0.tv_sec == 0 && t0.tv_nsec == 0)
		t0 = now;
	return (int64_t)(now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
}

/* Ctrl-C (SIGINT), SIGTERM, SIGHUP: the first one stops the renewal
 * before its next step (everything before is journaled); a second one ends
 * the program at once, which the journal survives as well (a kill at any
 * point is recovered by the rerun, docs/renewal.md). The message for that
 * is made ready at each step, as a handler may only write(2). */
static volatile sig_atomic_t stopping;
static char stop_msg[512];
static size_t stop_len;
static int warned;

static void prepare_stop_msg(int step)
{
	int n;

	stop_len = 0;
	n = snprintf(stop_msg, sizeof(stop_msg) - 1, _("interrupted at step %d; nothing is lost; run 'ukey renew' again "
						       "to finish"), step);
	if (n > 0 && (size_t)n < sizeof(stop_msg) - 1) {
		stop_msg[n] = '\n';
		stop_len = (size_t)n + 1;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	if (stopping) {
		if (stop_len > 0 && write(STDERR_FILENO, stop_msg, stop_len) < 0)
			_exit(UKEY_EXIT_INTERRUPTED);
		_exit(UKEY_EXIT_INTERRUPTED);
	}
	stopping = 1;
}

static int stop_asked(void *arg)
{
	(void)arg;
	return stopping != 0;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void event(void *arg, int step, const char *name, const char *state, const char *detail)
{
	const struct ukey_cli *c = arg;
	int64_t ms = elapsed_ms();

	if (strcmp(state, "start") == 0)
		prepare_stop_msg(step);
	/* The guide's warning, once, when the first step that changes the
	 * U-KEY or the CA's records begins (not for a refusal). */
	if (!warned && strcmp(state, "start") == 0 && step >= UKEY_RENEW_KEYGEN) {
		warned = 1;
		fprintf(c->json ? stderr : stdout, "%s\n",
			_("Do not remove the U-KEY until the renewal finishes. If it is interrupted, nothing is lost: "
			  "run 'ukey renew' again to finish."));
	}

	if (c->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "elapsed_ms", json_object_new_int64(ms));
		json_object_object_add(o, "step", json_object_new_int(step));
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "detail", detail ? json_object_new_string(detail) : NULL);
		ukey_cli_print_json(o);
	} else if (strcmp(state, "done") == 0) {
		printf(_("[%d/%d] %s: done\n"), step, UKEY_RENEW_STEPS, ukey_renew_step_label(step));
	} else if (strcmp(state, "skipped") == 0) {
		printf(_("[%d/%d] %s: skipped (%s)\n"), step, UKEY_RENEW_STEPS, ukey_renew_step_label(step),
		       /* the library's reasons are translated already */
		       strcmp(detail ? detail : "", "done before") == 0 ? _("done before") : ukey_tx(detail));
	} else if (strcmp(state, "retry") == 0) {
		printf(_("[%d/%d] %s: retrying after: %s\n"), step, UKEY_RENEW_STEPS, ukey_renew_step_label(step), ukey_tx(detail));
	}
	fflush(stdout);
}

/* Takes the renew-only options out of argv (the shared parser does not
 * know them); 0, or UKEY_E_USAGE after saying what is wrong. */
/* "--name VALUE" or "--name=VALUE" at argv[*i]: the value (advancing *i),
 * "" when it is missing, NULL when argv[*i] is another option. */
static const char *valued(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	return *i + 1 < argc ? argv[++*i] : "";
}

static int own_options(int *argc, char **argv, int *with_seals, const char **key_type, const char **protocol,
		       const char **server)
{
	int n = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[n++] = argv[i++];
			break;
		}
		if (strcmp(a, "--with-seals") == 0 || strcmp(a, "--cert-only") == 0) {
			int w = a[2] == 'w';
			if (*with_seals >= 0 && *with_seals != w) {
				fprintf(stderr, "%s\n", _("ukey renew: --with-seals and --cert-only cannot go together: "
							  "give one of them"));
				return UKEY_E_USAGE;
			}
			*with_seals = w;
			continue;
		}
		if ((v = valued(*argc, argv, &i, "--protocol")) != NULL) {
			if (strcmp(v, "native") != 0 && strcmp(v, "cmp") != 0) {
				fprintf(stderr, _("ukey renew: --protocol takes native or cmp, not '%s'\n"), ukey_tx(v));
				return UKEY_E_USAGE;
			}
			*protocol = v;
			continue;
		}
		if ((v = valued(*argc, argv, &i, "--server")) != NULL) {
			if (*v == '\0') {
				fprintf(stderr, "%s\n", _("ukey renew: --server takes the CA service's URL"));
				return UKEY_E_USAGE;
			}
			*server = v;
			continue;
		}
		if (strcmp(a, "--key-type") == 0 && i + 1 < *argc)
			v = argv[++i];
		else if (strncmp(a, "--key-type=", 11) == 0)
			v = a + 11;
		else if (strcmp(a, "--key-type") == 0)
			v = "";
		if (v != NULL) {
			if (strcmp(v, "rsa") != 0 && strcmp(v, "ec") != 0 && strcmp(v, "sm2") != 0) {
				fprintf(stderr, _("ukey renew: --key-type takes rsa, ec or sm2, not '%s'\n"), ukey_tx(v));
				return UKEY_E_USAGE;
			}
			*key_type = v;
			continue;
		}
		argv[n++] = argv[i];
	}
	*argc = n;
	argv[n] = NULL;
	return UKEY_E_OK;
}

/* The guide: one U-KEY at a time. Even with --serial, a second inserted
 * key is refused: the renewal must not touch, or be mistaken for, it. */
static int one_token_only(struct ukey_cli *c)
{
	struct ukey_token_info *list = NULL;
	size_t n = 0;
	CK_ULONG slots = 0;
	int ret = ukey_cli_open_module(c);

	/* Counted without reading the tokens (the selection that follows
	 * reads the one to renew); listed only to say which they are. */
	if (ret == UKEY_E_OK && c->p11.f->C_GetSlotList(CK_TRUE, NULL, &slots) == CKR_OK && slots < 2)
		return UKEY_E_OK;
	if (ret == UKEY_E_OK)
		ret = ukey_token_list(&c->p11, &list, &n, &c->err);
	if (ret == UKEY_E_OK && n > 1) {
		ukey_err_set(&c->err, UKEY_E_TOKEN, _("%zu U-KEYs are inserted: the renewal works on one U-KEY at a "
						      "time (the CA's guide); take out all but the one to renew:"), n);
		ret = ukey_token_list_into(list, n, NULL, &c->err);
	}
	free(list);
	return ret;
}

/* A reminder that remembers this U-KEY's expiry must not go on about the
 * certificate just replaced while the key is out (reminder.h). */
static void remember(const struct ukey_cli *c, const struct ukey_renew_result *r)
{
	struct ukey_seen s;
	struct ukey_err e;

	memset(&s, 0, sizeof(s));
	snprintf(s.medium, sizeof(s.medium), "%s", c->tok.serial);
	snprintf(s.label, sizeof(s.label), "%s", c->tok.label);
	s.not_after = r->not_after;
	s.seen = ukey_now();
	ukey_seen_put(&s, 1, &e);
}

/* --when-due, before the PIN: 1 when the renewal should go on, 0 when it is
 * not due (said, nothing done), or an error. Checked on the token the
 * renewal would use, from its public certificates. */
static int due_gate(struct ukey_cli *c, long days)
{
	struct ukey_due d;
	int ret = ukey_cli_open_token(c);

	if (ret == UKEY_E_OK)
		ret = ukey_due_check(c->tok.serial, c->certs, c->ncerts, days, &d, &c->err);
	if (ret != UKEY_E_OK)
		return -ret;
	if (c->json) {
		char detail[160];
		json_object *o = ukey_due_json(&d);
		if (!d.due) {
			json_object_object_add(o, "result", json_object_new_string("not_due"));
			ukey_cli_print_json(o);
			return 0;
		}
		json_object_put(o);
		snprintf(detail, sizeof(detail), "due: %ld days left, --days %ld", d.days_left, d.days);
		event(c, 0, "when-due", "done", detail);
	} else {
		ukey_due_print(&d);
		if (!d.due)
			printf("%s\n", _("Nothing done."));
	}
	fflush(stdout);
	return d.due;
}

int ukey_cmd_renew(int argc, char **argv)
{
	struct ukey_cli c;
	struct ukey_renew_opts o = { .with_seals = -1 };
	struct ukey_renew_result r;
	const char *protocol = NULL, *server = NULL;
	char d[16];
	int ret, when_due = 0;
	long days;

	if (own_options(&argc, argv, &o.with_seals, &o.key_type, &protocol, &server) != UKEY_E_OK ||
	    ukey_due_options("renew", &argc, argv, &when_due, &days) != UKEY_E_OK) {
		fprintf(stderr, "%s\n", _("Try 'ukey help renew'."));
		return UKEY_EXIT_USAGE;
	}
	ret = ukey_cli_parse(&c, "renew", argc, argv, CLI_JSON | CLI_MODULE | CLI_SERIAL | CLI_PIN, ukey_cmd_renew_usage);
	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	if (c.nargs > 0) {
		ukey_cmd_renew_usage();
		return UKEY_EXIT_USAGE;
	}
	c.protocol = protocol;
	c.server = server;
	o.event = event;
	o.arg = &c;
	o.stop = stop_asked;
	/* Login (one try, never retried) happens here, before step 1: a
	 * wrong PIN stops before anything changes. */
	ret = one_token_only(&c);
	if (ret == UKEY_E_OK && when_due) {
		int go = due_gate(&c, days);
		if (go <= 0) {
			ret = -go;
			goto out;
		}
	}
	if (ret == UKEY_E_OK)
		ret = ukey_cli_connect(&c);
	if (ret == UKEY_E_OK) {
		prepare_stop_msg(1);
		catch_signals();
		ret = ukey_renew_run(&c.p11, c.s, &c.tok, c.client, c.certs, c.ncerts, &o, &r, &c.err);
	}
	if (ret != UKEY_E_OK)
		goto out;
	remember(&c, &r);
	if (c.json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "result", json_object_new_string("done"));
		json_object_object_add(j, "medium", json_object_new_string(c.tok.serial));
		json_object_object_add(j, "request_id", json_object_new_string(r.request_id));
		json_object_object_add(j, "resumed", json_object_new_boolean(r.resumed));
		json_object_object_add(j, "not_after", json_object_new_int64(r.not_after));
		ukey_cli_print_json(j);
	} else {
		printf(_("The certificate of U-KEY %s is renewed: valid until %s.\n"), ukey_tx(c.tok.serial),
		       ukey_cli_date(r.not_after, d, sizeof(d)));
	}
out:
	return ukey_cli_finish(&c, ret);
}
