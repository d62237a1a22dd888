/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Assuan client for GnuPG's pinentry programs (pinentry-gnome3, -qt,
 * -gtk2, -curses, -tty...): spawn the program on a socket pair, read its
 * greeting, pass the terminal and locale options, show our texts, GETPIN,
 * BYE, reap.
 *
 * This runs inside someone else's process (a browser), so: no shell, no
 * fork of a threaded host without exec (posix_spawn), no SIGPIPE (send with
 * MSG_NOSIGNAL on a socket instead of writing to a pipe), no descriptor
 * leaked either way (CLOEXEC, closefrom in the child), bounded lines and a
 * deadline on the whole conversation, and the child always reaped. Every
 * buffer that held the PIN is wiped. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hex.h"
#include "token/pinentry.h"
#include "util/log.h"

extern char **environ;

/* Assuan's limit: 1000 bytes per line, line feed included. */
#define ASSUAN_LINE_MAX 1000
/* gpg-error codes (low 16 bits): the user cancelled, or the dialog timed out. */
#define GPG_ERR_TIMEOUT 62
#define GPG_ERR_CANCELED 99
#define GPG_ERR_FULLY_CANCELED 198

struct conn {
	int fd;
	pid_t pid;
	struct timespec deadline;    /* CLOCK_MONOTONIC */
	bool timed_out;
	size_t have;
	char buf[ASSUAN_LINE_MAX + 1];
};

bool ukey_pinentry_escape(const char *in, char *out, size_t outsize)
{
	size_t n = 0;
	for (; *in; in++) {
		bool esc = *in == '%' || *in == '\r' || *in == '\n';
		size_t need = esc ? 3 : 1;
		if (n + need >= outsize) {
			out[n] = '\0';
			return false;
		}
		if (esc) {
			out[n] = '%';
			ukc_hex_encode((const unsigned char *)in, 1, out + n + 1, true);
			n += 3;
		} else {
			out[n++] = *in;
		}
	}
	out[n] = '\0';
	return true;
}

bool ukey_pinentry_unescape_append(const char *in, char *out, size_t size, size_t *len)
{
	size_t n = *len;
	bool ok = true;
	while (*in) {
		int c = (unsigned char)*in++;
		if (c == '%') {
			unsigned char b;
			if (strnlen(in, 2) < 2 || ukc_hex_decode(in, 2, &b, 1, NULL) != 1) {
				ok = false;
				break;
			}
			c = b;
			in += 2;
		}
		/* A NUL inside a PIN would be cut by every C consumer. */
		if (c == 0 || n + 1 >= size) {
			ok = false;
			break;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	*len = n;
	return ok;
}

static int ms_left(struct conn *c)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(c->deadline.tv_sec - now.tv_sec) * 1000 +
		       (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0) {
		c->timed_out = true;
		return 0;
	}
	return ms > 60000 ? 60000 : (int)ms;
}

/* Waits until fd is ready for `events` or the deadline passes. */
static bool wait_fd(struct conn *c, short events)
{
	for (;;) {
		int ms = ms_left(c);
		if (ms == 0)
			return false;
		struct pollfd p = { .fd = c->fd, .events = events };
		int r = poll(&p, 1, ms);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

static CK_RV send_line(struct conn *c, const char *text)
{
	char line[ASSUAN_LINE_MAX + 1];
	int n = snprintf(line, sizeof(line), "%s\n", text);
	CK_RV rv = CKR_FUNCTION_FAILED;
	if (n < 0 || n >= ASSUAN_LINE_MAX + 1)
		goto out;
	for (size_t off = 0; off < (size_t)n;) {
		if (!wait_fd(c, POLLOUT))
			goto out;
		ssize_t w = send(c->fd, line + off, (size_t)n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	rv = CKR_OK;
out:
	OPENSSL_cleanse(line, sizeof(line));
	return rv;
}

/* Reads one line (without its LF) into line[ASSUAN_LINE_MAX + 1]. */
static CK_RV read_line(struct conn *c, char *line)
{
	for (;;) {
		char *lf = memchr(c->buf, '\n', c->have);
		if (lf) {
			size_t n = (size_t)(lf - c->buf);
			memcpy(line, c->buf, n);
			line[n] = '\0';
			c->have -= n + 1;
			memmove(c->buf, lf + 1, c->have);
			return CKR_OK;
		}
		if (c->have >= ASSUAN_LINE_MAX) {
			ukey_warn("pinentry: reply line longer than %d bytes: not the Assuan protocol",
				  ASSUAN_LINE_MAX);
			return CKR_FUNCTION_FAILED;
		}
		if (!wait_fd(c, POLLIN))
			return CKR_FUNCTION_FAILED;
		ssize_t r = read(c->fd, c->buf + c->have, ASSUAN_LINE_MAX - c->have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ukey_warn("pinentry: the program closed the connection (exited?)");
			return CKR_FUNCTION_FAILED;
		}
		c->have += (size_t)r;
	}
}

/* Reads replies up to OK or ERR. Data lines go to data[0..size) when data
 * is given (and are an error otherwise). ERR gives CKR_FUNCTION_CANCELED
 * with the code in *err. */
static CK_RV read_reply(struct conn *c, const char *what, char *data, size_t size, size_t *len,
			unsigned long *err)
{
	char line[ASSUAN_LINE_MAX + 1];
	CK_RV rv;
	*err = 0;
	for (;;) {
		rv = read_line(c, line);
		if (rv != CKR_OK)
			break;
		if (strcmp(line, "OK") == 0 || strncmp(line, "OK ", 3) == 0)
			break;
		if (strcmp(line, "ERR") == 0 || strncmp(line, "ERR ", 4) == 0) {
			char *end;
			*err = strtoul(line + 3, &end, 10);
			ukey_debug("pinentry: %s: ERR %lu%.80s", what, *err, end);
			rv = CKR_FUNCTION_CANCELED;
			break;
		}
		if (line[0] == '#' || strcmp(line, "S") == 0 || strncmp(line, "S ", 2) == 0)
			continue;
		if (strncmp(line, "D ", 2) == 0 && data) {
			if (!ukey_pinentry_unescape_append(line + 2, data, size, len)) {
				ukey_warn("pinentry: %s: the answer is malformed or longer than %zu bytes", what,
					  size - 1);
				rv = CKR_FUNCTION_FAILED;
				break;
			}
			continue;
		}
		/* Never echo the line: it might hold what the user typed. */
		ukey_warn("pinentry: %s: unexpected reply (%zu bytes): not the Assuan protocol", what,
			  strlen(line));
		rv = CKR_FUNCTION_FAILED;
		break;
	}
	OPENSSL_cleanse(line, sizeof(line));
	return rv;
}

/* A command whose failure does not matter (an option the program does not
 * know, a button label): only a broken connection stops the dialog. */
static CK_RV command_optional(struct conn *c, const char *cmd)
{
	unsigned long err;
	CK_RV rv = send_line(c, cmd);
	if (rv == CKR_OK)
		rv = read_reply(c, cmd, NULL, 0, NULL, &err);
	return rv == CKR_FUNCTION_CANCELED ? CKR_OK : rv;
}

/* SETxxx with an escaped text; skipped when the text is empty. */
static CK_RV set_text(struct conn *c, const char *cmd, const char *text)
{
	char esc[ASSUAN_LINE_MAX - 16];
	char line[ASSUAN_LINE_MAX];
	if (!*text)
		return CKR_OK;
	if (!ukey_pinentry_escape(text, esc, sizeof(esc))) {
		ukey_warn("pinentry: %s text too long", cmd);
		return CKR_FUNCTION_FAILED;
	}
	snprintf(line, sizeof(line), "%s %s", cmd, esc);
	return command_optional(c, line);
}

static const char *first_env(const char *a, const char *b, const char *d)
{
	const char *names[] = { a, b, d };
	for (size_t i = 0; i < 3; i++) {
		const char *v = names[i] ? getenv(names[i]) : NULL;
		if (v && *v)
			return v;
	}
	return NULL;
}

/* OPTION name=value, when the value is known and fits on one line. */
static CK_RV option(struct conn *c, const char *name, const char *value)
{
	char line[256];
	if (!value || strpbrk(value, "\r\n%") || strlen(value) > 200)
		return CKR_OK;
	snprintf(line, sizeof(line), "OPTION %s=%s", name, value);
	return command_optional(c, line);
}

/* What gpg-agent tells its pinentry: the terminal for curses/tty flavours
 * (GPG_TTY, as gpg's users already set it, else our stdin's terminal) and
 * the locale, so the program shows our UTF-8 texts right. */
static CK_RV send_options(struct conn *c, unsigned timeout_s)
{
	char num[32];
	const char *tty = first_env("GPG_TTY", NULL, NULL);
	if (!tty && isatty(STDIN_FILENO))
		tty = ttyname(STDIN_FILENO);
	CK_RV rv = option(c, "ttyname", tty);
	if (rv == CKR_OK && tty)
		rv = option(c, "ttytype", getenv("TERM"));
	if (rv == CKR_OK)
		rv = option(c, "lc-ctype", first_env("LC_ALL", "LC_CTYPE", "LANG"));
	if (rv == CKR_OK)
		rv = option(c, "lc-messages", first_env("LC_ALL", "LC_MESSAGES", "LANG"));
	snprintf(num, sizeof(num), "SETTIMEOUT %u", timeout_s);
	if (rv == CKR_OK)
		rv = command_optional(c, num);
	return rv;
}

static CK_RV spawn(struct conn *c, const char *program)
{
	int sv[2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, deflt;
	char *argv[] = { (char *)program, NULL };
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		ukey_error("pinentry: socketpair: %s", strerror(errno));
		return rv;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* The child's stdin and stdout are its end of the socket; everything
	 * else of ours stays behind (dup2 clears CLOEXEC on 0 and 1 only). */
	posix_spawn_file_actions_adddup2(&fa, sv[1], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, sv[1], STDOUT_FILENO);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
#endif
	/* Hosts block or ignore signals (browsers ignore SIGPIPE); the dialog
	 * gets the defaults. */
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGHUP);
	sigaddset(&deflt, SIGCHLD);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	int err = strchr(program, '/') ? posix_spawn(&c->pid, program, &fa, &attr, argv, environ)
				       : posix_spawnp(&c->pid, program, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(sv[1]);
	if (err != 0) {
		ukey_error("pinentry: cannot run '%s': %s (set [module] pinentry = /path/to/program)", program,
			   strerror(err));
		close(sv[0]);
		c->pid = -1;
		return rv;
	}
	c->fd = sv[0];
	return CKR_OK;
}

/* Ends the child: it leaves on BYE or end of file; one that does not is
 * terminated, then killed. Always reaped (unless the host reaps for us). */
static void reap(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->pid <= 0)
		return;
	if (c->timed_out)
		kill(c->pid, SIGTERM);
	for (int i = 0; i < 300; i++) {
		pid_t r = waitpid(c->pid, NULL, WNOHANG);
		if (r == c->pid || (r < 0 && errno != EINTR))
			goto out;
		if (i == 100)
			kill(c->pid, SIGTERM);
		struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
		nanosleep(&ten_ms, NULL);
	}
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
out:
	c->pid = -1;
}

/* The conversation, from greeting to the PIN. */
static CK_RV converse(struct conn *c, unsigned timeout_s, const struct ukey_pin_dialog *dlg, char *pin,
		      size_t size, size_t *len)
{
	unsigned long err = 0;
	CK_RV rv = read_reply(c, "greeting", NULL, 0, NULL, &err);
	if (rv == CKR_OK)
		rv = send_options(c, timeout_s);
	if (rv == CKR_OK)
		rv = set_text(c, "SETTITLE", dlg->title);
	if (rv == CKR_OK)
		rv = set_text(c, "SETDESC", dlg->desc);
	if (rv == CKR_OK)
		rv = set_text(c, "SETPROMPT", dlg->prompt);
	if (rv == CKR_OK)
		rv = set_text(c, "SETOK", dlg->ok);
	if (rv == CKR_OK)
		rv = set_text(c, "SETCANCEL", dlg->cancel);
	if (rv == CKR_OK)
		rv = set_text(c, "SETERROR", dlg->error);
	if (rv == CKR_OK)
		rv = send_line(c, "GETPIN");
	if (rv == CKR_OK)
		rv = read_reply(c, "GETPIN", pin, size, len, &err);
	if (rv == CKR_FUNCTION_CANCELED) {
		unsigned code = (unsigned)(err & 0xffff);
		if (code == GPG_ERR_CANCELED || code == GPG_ERR_FULLY_CANCELED)
			ukey_info("pinentry: the user cancelled the PIN dialog");
		else if (code == GPG_ERR_TIMEOUT)
			ukey_info("pinentry: the PIN dialog timed out");
		else
			ukey_warn("pinentry: the program refused the PIN dialog (ERR %lu); no login", err);
	} else if (rv == CKR_OK && *len == 0) {
		/* An empty answer is not a PIN: OK without typing anything. */
		ukey_info("pinentry: no PIN entered");
		rv = CKR_FUNCTION_CANCELED;
	}
	if (rv == CKR_OK)
		(void)command_optional(c, "BYE");
	return rv;
}

CK_RV ukey_pinentry_get_pin(const char *program, unsigned timeout_s, const struct ukey_pin_dialog *dlg,
			    char *pin, size_t size, size_t *len)
{
	struct conn c = { .fd = -1, .pid = -1 };
	CK_RV rv;

	*len = 0;
	if (size == 0)
		return CKR_ARGUMENTS_BAD;
	pin[0] = '\0';
	if (!program || !*program)
		program = "pinentry";
	if (timeout_s == 0)
		timeout_s = 120;
	clock_gettime(CLOCK_MONOTONIC, &c.deadline);
	c.deadline.tv_sec += (time_t)timeout_s;
	rv = spawn(&c, program);
	if (rv != CKR_OK)
		goto out;
	ukey_debug("pinentry: '%s' started (pid %ld)", program, (long)c.pid);
	rv = converse(&c, timeout_s, dlg, pin, size, len);
	if (c.timed_out) {
		ukey_warn("pinentry: no answer within %u s; dialog closed, no login", timeout_s);
		rv = CKR_FUNCTION_CANCELED;
	}
out:
	reap(&c);
	OPENSSL_cleanse(c.buf, sizeof(c.buf));
	if (rv != CKR_OK) {
		OPENSSL_cleanse(pin, size);
		*len = 0;
	}
	return rv;
}
