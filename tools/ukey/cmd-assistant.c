/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey assistant: the renewal workflow as a local web page
 * (docs/assistant.md). Starts the server (tools/assistant/), prints its
 * address, opens the browser, and waits until the page is closed, it is
 * idle, /api/quit or a signal. The address carries the session's secret,
 * so the browser is not given it in argv (every user can read
 * /proc/PID/cmdline): xdg-open gets a private file that redirects there. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "assistant.h"
#include "ukey.h"

extern char **environ;

void ukey_cmd_assistant_usage(void)
{
	printf(_("Usage: ukey assistant [--no-browser] [--port N] [--idle S] [--serial MEDIUM] [--module PATH]\n"
		 "Serves the renewal workflow (your U-KEY, binding, payment and invoices, seals, renewal)\n"
		 "as a web page on this computer only (127.0.0.1), and opens it in the browser. The\n"
		 "address printed carries a secret: only a browser given it can use the page. Exits when\n"
		 "the page is closed, after S seconds without use (default 900), or on Ctrl-C.\n"
		 "--port 0 (the default) takes a free port; --no-browser only prints the address.\n"));
}

struct sig {
	struct asst *a;
	sigset_t set;
	atomic_int done;
};

static void *signals_main(void *arg)
{
	struct sig *s = arg;
	int sig = 0;

	if (sigwait(&s->set, &sig) == 0 && !atomic_load(&s->done))
		asst_quit(s->a, "signal");
	return NULL;
}

static void *reap(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;

	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return NULL;
}

/* The redirect file, private to the user, then xdg-open on its path. */
static int open_browser(struct asst *a)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	char *argv[] = { "xdg-open", a->launch_file, NULL };
	char page[512];
	pthread_t th;
	pid_t pid;
	int fd, n;

	if (dir == NULL || dir[0] != '/')
		dir = getenv("TMPDIR");
	if (dir == NULL || dir[0] != '/')
		dir = "/tmp";
	snprintf(a->launch_file, sizeof(a->launch_file), "%s/ukey-assistant-%ld.html", dir, (long)getpid());
	unlink(a->launch_file);
	fd = open(a->launch_file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		a->launch_file[0] = '\0';
		return -1;
	}
	n = snprintf(page, sizeof(page), "<!DOCTYPE html>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"refresh\" "
		     "content=\"0;url=http://127.0.0.1:%u/?s=%s\">\n<title>U-KEY</title>\n", a->port, a->secret);
	if (write(fd, page, (size_t)n) != n) {
		close(fd);
		unlink(a->launch_file);
		a->launch_file[0] = '\0';
		return -1;
	}
	close(fd);
	a->launch_made = time(NULL);
	if (posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ) != 0) {
		unlink(a->launch_file);
		a->launch_file[0] = '\0';
		return -1;
	}
	if (pthread_create(&th, NULL, reap, (void *)(intptr_t)pid) == 0)
		pthread_detach(th);
	return 0;
}

static int number(const char *v, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(v, &end, 10);
	return *v != '\0' && *end == '\0' && errno == 0 && *out >= 0 && *out <= max ? 0 : -1;
}

static int options(int argc, char **argv, struct asst_opts *o, int *browser)
{
	static const struct option lo[] = {
		{ "no-browser", 0, NULL, 'n' }, { "port", 1, NULL, 'p' },   { "idle", 1, NULL, 'i' },
		{ "serial", 1, NULL, 's' },     { "module", 1, NULL, 'm' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *closed = getenv("UKEY_ASSISTANT_CLOSED_SECONDS");
	long v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->idle = 900;
	o->closed = 30;
	if (closed != NULL && number(closed, 86400, &v) == 0 && v > 0)
		o->closed = v;
	*browser = 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'n': *browser = 0; break;
		case 'p':
			if (number(optarg, 65535, &v) != 0)
				goto bad;
			o->port = (unsigned)v;
			break;
		case 'i':
			if (number(optarg, 7 * 86400, &v) != 0 || v == 0)
				goto bad;
			o->idle = v;
			break;
		case 's': o->serial = optarg; break;
		case 'm': o->module = optarg; break;
		case 'h': ukey_cmd_assistant_usage(); return -1;
		default: goto bad;
		}
	}
	if (optind == argc)
		return 0;
bad:
	fprintf(stderr, "%s\n", _("ukey assistant: bad command line"));
	ukey_cmd_assistant_usage();
	return UKEY_EXIT_USAGE;
}

int ukey_cmd_assistant(int argc, char **argv)
{
	static struct asst a;
	struct asst_opts o;
	struct sig s;
	struct ukey_err e;
	pthread_t th;
	const char *why;
	int browser, ret = options(argc, argv, &o, &browser);

	if (ret != 0)
		return ret < 0 ? UKEY_EXIT_OK : ret;
	memset(&s, 0, sizeof(s));
	s.a = &a;
	/* Blocked before any thread starts (the server's, the module's), so
	 * only the signal thread takes them. */
	sigemptyset(&s.set);
	sigaddset(&s.set, SIGINT);
	sigaddset(&s.set, SIGTERM);
	sigaddset(&s.set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &s.set, NULL);
	ukey_err_clear(&e);
	if (asst_start(&a, &o, &e) != UKEY_E_OK) {
		fprintf(stderr, "ukey assistant: %s\n", e.msg);
		asst_stop(&a);
		return e.code ? e.code : UKEY_EXIT_ERROR;
	}
	if (pthread_create(&th, NULL, signals_main, &s) != 0) {
		asst_quit(&a, "error");
		asst_stop(&a);
		return UKEY_EXIT_ERROR;
	}
	printf("ukey assistant: http://127.0.0.1:%u/?s=%s\n", a.port, a.secret);
	fflush(stdout);
	if (browser && open_browser(&a) != 0)
		fprintf(stderr, "%s\n", _("ukey assistant: the browser could not be opened: open the address above in "
					  "it."));
	why = asst_wait(&a);
	fprintf(stderr, _("ukey assistant: exiting (%s)\n"), why ? why : "?");
	atomic_store(&s.done, 1);
	pthread_kill(th, SIGTERM);
	pthread_join(th, NULL);
	asst_stop(&a);
	return UKEY_EXIT_OK;
}
