/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey watch: U-KEYs being inserted and removed, as it happens, until
 * Ctrl-C or SIGTERM. The signals go to a thread of their own (sigwait),
 * which asks the watch to stop; the wait blocked in the module is ended by
 * C_Finalize from that thread, as PKCS#11 says, and the command exits 0. */

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ukey.h"

void ukey_cmd_watch_usage(void)
{
	printf(_("Usage: ukey watch [--json] [--module PATH]\n"
		 "Prints each U-KEY present, then each one inserted or removed, with its slot,\n"
		 "medium number and label, until interrupted (Ctrl-C). --json: one JSON object\n"
		 "per line.\n"));
}

struct watcher {
	struct ukey_cli *c;
	sigset_t set;
	atomic_int done;
	int sig;
};

static void *signals_main(void *arg)
{
	struct watcher *w = arg;
	int sig = 0;
	if (sigwait(&w->set, &sig) == 0 && !atomic_load(&w->done)) {
		w->sig = sig;
		ukey_token_watch_stop(&w->c->p11);
	}
	return NULL;
}

static const char *event_name(enum ukey_token_change what)
{
	return what == UKEY_TOKEN_PRESENT ? "present" : what == UKEY_TOKEN_INSERTED ? "inserted" : "removed";
}

static int print_event(void *arg, enum ukey_token_change what, const struct ukey_token_info *t)
{
	struct watcher *w = arg;
	if (what == UKEY_TOKEN_WATCHING) {
		fprintf(stderr, "%s\n", _("Watching for U-KEYs being inserted or removed (Ctrl-C to stop)."));
		fflush(stderr);
		return 0;
	}
	if (w->c->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "event", json_object_new_string(event_name(what)));
		json_object_object_add(o, "slot", json_object_new_int64((int64_t)t->slot));
		json_object_object_add(o, "medium", json_object_new_string(t->serial));
		json_object_object_add(o, "label", json_object_new_string(t->label));
		ukey_cli_print_json(o);
	} else if (what == UKEY_TOKEN_PRESENT) {
		printf(_("present   slot %lu  medium number %s  label \"%s\"\n"), (unsigned long)t->slot,
		       ukey_tx(t->serial), ukey_tx(t->label));
	} else if (what == UKEY_TOKEN_INSERTED) {
		printf(_("inserted  slot %lu  medium number %s  label \"%s\"\n"), (unsigned long)t->slot,
		       ukey_tx(t->serial), ukey_tx(t->label));
	} else {
		printf(_("removed   slot %lu  medium number %s  label \"%s\"\n"), (unsigned long)t->slot,
		       ukey_tx(t->serial), ukey_tx(t->label));
	}
	fflush(stdout);
	return 0;
}

int ukey_cmd_watch(int argc, char **argv)
{
	struct ukey_cli c;
	struct watcher w;
	pthread_t th;
	int ret = ukey_cli_parse(&c, "watch", argc, argv, CLI_JSON | CLI_MODULE, ukey_cmd_watch_usage);

	if (ret != UKEY_E_OK)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	if (c.nargs > 0) {
		ukey_cmd_watch_usage();
		return UKEY_EXIT_USAGE;
	}
	memset(&w, 0, sizeof(w));
	w.c = &c;
	/* Blocked before the module starts threads of its own, so they
	 * inherit the mask and only the signal thread takes them. */
	sigemptyset(&w.set);
	sigaddset(&w.set, SIGINT);
	sigaddset(&w.set, SIGTERM);
	sigaddset(&w.set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &w.set, NULL);
	if (pthread_create(&th, NULL, signals_main, &w) != 0) {
		ukey_err_set(&c.err, UKEY_E_ERROR, _("out of memory"));
		return ukey_cli_finish(&c, UKEY_E_ERROR);
	}
	ret = ukey_cli_open_module(&c);
	if (ret == UKEY_E_OK)
		ret = ukey_token_watch(&c.p11, print_event, &w, &c.err);
	/* Ended by itself (an error): the signal thread is told to go. */
	atomic_store(&w.done, 1);
	pthread_kill(th, SIGTERM);
	pthread_join(th, NULL);
	return ukey_cli_finish(&c, ret);
}
