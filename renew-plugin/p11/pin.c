/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* pin.c: where PINs come from (--pin-fd, UKEY_PIN_FILE, the terminal, or
 * the module's own PIN dialog) and the one C_Login a PIN is used for. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ukey-base.h"
#include "p11.h"

#define PIN_MAX 256

/* Reads up to the next newline. -1 on error or an empty line; -2 when the
 * line does not fit (rest of it consumed): a PIN cut short would be wrong,
 * and a cut new PIN would be set as it is. */
static int read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	char ch;
	int over = 0;

	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n')
			break;
		if (n < len - 1)
			buf[n++] = ch;
		else
			over = 1;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (over) {
		OPENSSL_cleanse(buf, len);
		return -2;
	}
	return n > 0 ? 0 : -1;
}

static int read_tty(const char *prompt, char *buf, size_t len, int *too_long, struct ukey_err *e)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), ret;

	if (fd < 0)
		return ukey_err_set(e, UKEY_E_USAGE,
				    _("no terminal to ask the PIN on: use --pin-fd N or UKEY_PIN_FILE"));
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return ukey_err_set(e, UKEY_E_USAGE,
				    _("no terminal to ask the PIN on: use --pin-fd N or UKEY_PIN_FILE"));
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* Echo off (and what was typed ahead dropped) before the prompt shows:
	 * nothing typed after it can appear on the screen. */
	tcsetattr(fd, TCSAFLUSH, &quiet);
	if (write(fd, prompt, strlen(prompt)) < 0) { /* the prompt is best effort */
	}
	ret = read_line(fd, buf, len);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
	}
	close(fd);
	*too_long = ret == -2;
	if (ret == -2)
		return ukey_err_set(e, UKEY_E_USAGE, _("the PIN typed is longer than %d characters"), PIN_MAX - 1);
	return ret == 0 ? UKEY_E_OK : ukey_err_set(e, UKEY_E_USAGE, _("no PIN entered"));
}

int ukey_pin_src_open(struct ukey_pin_src *s, const struct ukey_pin_opts *o, struct ukey_err *e)
{
	const char *file = getenv("UKEY_PIN_FILE");

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (o->fd >= 0) {
		s->fd = o->fd;
		s->given_fd = o->fd;
		return UKEY_E_OK;
	}
	if (file != NULL && *file != '\0') {
		s->fd = open(file, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return ukey_err_set(e, UKEY_E_USAGE, _("cannot open UKEY_PIN_FILE: %s"), strerror(errno));
		s->from_file = 1;
		return UKEY_E_OK;
	}
	s->interactive = 1;
	return UKEY_E_OK;
}

int ukey_pin_src_non_interactive(const struct ukey_pin_opts *o)
{
	const char *file = getenv("UKEY_PIN_FILE");

	return o->fd >= 0 || (file != NULL && *file != '\0');
}

int ukey_pin_src_read(struct ukey_pin_src *s, const char *prompt, const char *what, char *buf, size_t len,
		      struct ukey_err *e)
{
	int ret;

	s->too_long = 0;
	if (s->interactive)
		return read_tty(prompt, buf, len, &s->too_long, e);
	ret = read_line(s->fd, buf, len);
	s->too_long = ret == -2;
	if (ret == -2)
		return ukey_err_set(e, UKEY_E_USAGE, _("%s is longer than %d characters"), what, PIN_MAX - 1);
	if (ret == 0)
		return UKEY_E_OK;
	if (s->from_file)
		return ukey_err_set(e, UKEY_E_USAGE, _("UKEY_PIN_FILE holds no %s"), what);
	return ukey_err_set(e, UKEY_E_USAGE, _("no %s could be read from --pin-fd %d"), what, s->given_fd);
}

void ukey_pin_src_close(struct ukey_pin_src *s)
{
	if (s->from_file && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int ukey_pin_login(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_token_info *t,
		   const struct ukey_pin_opts *o, struct ukey_err *e)
{
	char pin[PIN_MAX], tries[160], prompt[256];
	struct ukey_pin_src src;
	int ret, final;
	CK_RV rv;

	ret = ukey_token_refresh(p, t, e);
	if (ret != UKEY_E_OK)
		return ret;
	if (strcmp(ukey_token_pin_state(t), "locked") == 0)
		return ukey_err_set(e, UKEY_E_TOKEN, _("The PIN of U-KEY %s is locked: unblock it with 'ukey pin unblock' "
					      "if you have the administrator PIN, else ask your CA."),
				    ukey_tx(t->serial));
	final = strcmp(ukey_token_pin_state(t), "final_try") == 0;
	/* Said before the try, so the user can stop and find the right PIN. */
	if (strcmp(ukey_token_pin_state(t), "ok") != 0)
		fprintf(stderr, "%s: %s\n", _("Warning"), ukey_token_pin_text(t, tries, sizeof(tries)));
	if (final && !o->accept_final_try && ukey_pin_src_non_interactive(o))
		return ukey_err_set(e, UKEY_E_TOKEN,
				    _("Only one PIN try is left; a PIN from a file or descriptor is not used "
				      "unless you add --accept-final-try."));
	/* A module with its own PIN dialog (ukey-pkcs11 with pin_prompt =
	 * pinentry) asks there, with the tries left, rather than the terminal:
	 * the user chose it, and a desktop user may have no terminal at all. A
	 * PIN from a descriptor or file still wins: automation asked for it. */
	if ((t->flags & CKF_PROTECTED_AUTHENTICATION_PATH) && !ukey_pin_src_non_interactive(o))
		return ukey_pin_login_given(p, s, t, NULL, 0, 1, NULL, e);
	ret = ukey_pin_src_open(&src, o, e);
	if (ret != UKEY_E_OK)
		goto out;
	snprintf(prompt, sizeof(prompt), _("PIN (certificate password) of U-KEY %s: "), ukey_tx(t->serial));
	ret = ukey_pin_src_read(&src, prompt, _("PIN"), pin, sizeof(pin), e);
	ukey_pin_src_close(&src);
	if (ret != UKEY_E_OK)
		goto out;
	rv = p->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		ret = UKEY_E_OK;
	} else if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE) {
		ukey_token_refresh(p, t, e);
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("Wrong PIN for U-KEY %s: %s. It was not retried."),
				   ukey_tx(t->serial), ukey_token_pin_text(t, tries, sizeof(tries)));
	} else if (rv == CKR_PIN_LOCKED) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("The PIN of U-KEY %s is locked: unblock it with 'ukey pin unblock' "
					      "if you have the administrator PIN, else ask your CA."),
				   ukey_tx(t->serial));
	} else {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("login to U-KEY %s failed: %s"), ukey_tx(t->serial),
				   ukey_p11_rv_name(rv));
	}
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	return ret;
}
