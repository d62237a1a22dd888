/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* setup-probe.c: whether a configuration works, asked of the module
 * itself. A candidate library is probed by loading the module with a
 * configuration naming it: the module then does what it will do for real
 * (the owner and mode checks, dlopen, for SKF the essential functions,
 * the quirks and SKF_EnumDev; for PKCS#11 C_GetFunctionList, C_Initialize
 * and C_GetSlotList) and says through its vendor interface (ukey-pkcs11.h)
 * whether the backend loaded, why not, and how many devices it sees. A
 * second loader here would be a second opinion that could disagree with
 * the one that counts.
 *
 * It runs in a child process: vendor libraries are closed code that may
 * crash, call exit(), hang on a device or print to stdout (which would
 * break --json). The child's stdout goes to /dev/null (stderr too unless
 * UKEY_LOG asks for the log), an alarm bounds it, and its report comes back
 * through a pipe; only the child is lost when the library misbehaves. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "setup.h"

#define SETUP_PROBE_SECONDS 30

static void copy(char *dst, size_t len, const CK_UTF8CHAR *src, size_t srclen)
{
	size_t n = strnlen((const char *)src, srclen);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void ask(const char *module, struct setup_probe *r)
{
	UKEY_MODULE_STATUS ms;
	struct ukey_conn c;
	struct ukey_err e;

	ukey_err_clear(&e);
	if (ukey_conn_open(&c, module, &e) != UKEY_E_OK) {
		snprintf(r->error, sizeof(r->error), "%s", e.msg);
		return;
	}
	if (c.v == NULL || c.v->UKEY_GetModuleStatus(&ms) != CKR_OK) {
		snprintf(r->error, sizeof(r->error), _("%s is not ukey-pkcs11: it cannot say what it made of a configuration"),
			 module);
		return;
	}
	copy(r->config_path, sizeof(r->config_path), ms.configPath, sizeof(ms.configPath));
	copy(r->config_error, sizeof(r->config_error), ms.configError, sizeof(ms.configError));
	r->nbackends = ms.ulBackends;
	r->loaded = ms.ulBackendsLoaded;
	for (CK_ULONG i = 0; i < ms.ulBackends && i < SETUP_PROBE_MAX; i++) {
		struct setup_probe_backend *b = &r->b[i];
		UKEY_BACKEND_STATUS bs;

		if (c.v->UKEY_GetBackendStatus(i, &bs) != CKR_OK)
			break;
		copy(b->name, sizeof(b->name), bs.name, sizeof(bs.name));
		copy(b->driver, sizeof(b->driver), bs.driver, sizeof(bs.driver));
		copy(b->library, sizeof(b->library), bs.library, sizeof(bs.library));
		copy(b->reason, sizeof(b->reason), bs.reason, sizeof(bs.reason));
		b->rv = bs.loadResult;
		b->devices = bs.ulDevices;
	}
	/* No C_Finalize: the answer is in, and a library that hangs there
	 * must not cost the caller its timeout. _exit follows. */
}

static void child(const char *module, const char *conf, int out) __attribute__((noreturn));
static void child(const char *module, const char *conf, int out)
{
	struct setup_probe r;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	const char *p;
	size_t left = sizeof(r);

	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		if (getenv("UKEY_LOG") == NULL)
			dup2(null, STDERR_FILENO);
	}
	signal(SIGALRM, SIG_DFL);
	alarm(SETUP_PROBE_SECONDS);
	if (conf != NULL)
		setenv("UKEY_PKCS11_CONF", conf, 1);
	memset(&r, 0, sizeof(r));
	ask(module, &r);
	for (p = (const char *)&r; left > 0;) {
		ssize_t n = write(out, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	_exit(0);
}

int setup_probe_run(const char *module, const char *conf, struct setup_probe *p)
{
	size_t got = 0;
	int fd[2], status = 0;
	pid_t pid;

	memset(p, 0, sizeof(*p));
	fflush(stdout);
	fflush(stderr);
	if (pipe2(fd, O_CLOEXEC) != 0) {
		snprintf(p->error, sizeof(p->error), "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(p->error, sizeof(p->error), "fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		close(fd[0]);
		child(module, conf, fd[1]);
	}
	close(fd[1]);
	while (got < sizeof(*p)) {
		ssize_t n = read(fd[0], (char *)p + got, sizeof(*p) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == sizeof(*p)) {
		p->error[sizeof(p->error) - 1] = '\0';
		return p->error[0] ? -1 : 0;
	}
	memset(p, 0, sizeof(*p));
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(p->error, sizeof(p->error), _("no answer within %d s (a library hangs)"), SETUP_PROBE_SECONDS);
	else if (WIFSIGNALED(status))
		snprintf(p->error, sizeof(p->error), _("the module crashed while loading it (signal %d, %s)"),
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(p->error, sizeof(p->error), _("the process loading it ended without an answer (exit status %d)"),
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return -1;
}
