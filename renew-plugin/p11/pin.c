/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* pin.c: reading the PIN and the one C_Login it is used for. */

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

/* Reads up to the first newline; -1 on error or an empty PIN. */
static int read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	char ch;

	while (n < len - 1) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n')
			break;
		buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int read_tty(const struct ukey_token_info *t, char *buf, size_t len, struct ukey_err *e)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), ret;
	char prompt[256];

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
	snprintf(prompt, sizeof(prompt), _("PIN (certificate password) of U-KEY %s: "), ukey_tx(t->serial));
	if (write(fd, prompt, strlen(prompt)) < 0) { /* the prompt is best effort */
	}
	tcsetattr(fd, TCSAFLUSH, &quiet);
	ret = read_line(fd, buf, len);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
	}
	close(fd);
	return ret == 0 ? UKEY_E_OK : ukey_err_set(e, UKEY_E_USAGE, _("no PIN entered"));
}

static int read_pin(const struct ukey_token_info *t, const struct ukey_pin_opts *o, int *interactive,
		    char *buf, size_t len, struct ukey_err *e)
{
	const char *file = getenv("UKEY_PIN_FILE");
	int fd, ret;

	*interactive = 0;
	if (o->fd >= 0)
		return read_line(o->fd, buf, len) == 0
			       ? UKEY_E_OK
			       : ukey_err_set(e, UKEY_E_USAGE, _("no PIN could be read from --pin-fd %d"), o->fd);
	if (file != NULL && *file != '\0') {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ukey_err_set(e, UKEY_E_USAGE, _("cannot open UKEY_PIN_FILE: %s"), strerror(errno));
		ret = read_line(fd, buf, len);
		close(fd);
		return ret == 0 ? UKEY_E_OK : ukey_err_set(e, UKEY_E_USAGE, _("UKEY_PIN_FILE holds no PIN"));
	}
	*interactive = 1;
	return read_tty(t, buf, len, e);
}

int ukey_pin_login(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_token_info *t,
		   const struct ukey_pin_opts *o, struct ukey_err *e)
{
	char pin[PIN_MAX], tries[160];
	int interactive = 0, ret, final;
	CK_RV rv;

	ret = ukey_token_refresh(p, t, e);
	if (ret != UKEY_E_OK)
		return ret;
	if (strcmp(ukey_token_pin_state(t), "locked") == 0)
		return ukey_err_set(e, UKEY_E_TOKEN, _("The PIN of U-KEY %s is locked; ask your CA to unlock it."),
				    ukey_tx(t->serial));
	final = strcmp(ukey_token_pin_state(t), "final_try") == 0;
	/* Said before the try, so the user can stop and find the right PIN. */
	if (strcmp(ukey_token_pin_state(t), "ok") != 0)
		fprintf(stderr, "%s: %s\n", _("Warning"), ukey_token_pin_text(t, tries, sizeof(tries)));
	if (final && !o->accept_final_try && (o->fd >= 0 || getenv("UKEY_PIN_FILE") != NULL))
		return ukey_err_set(e, UKEY_E_TOKEN,
				    _("Only one PIN try is left; a PIN from a file or descriptor is not used "
				      "unless you add --accept-final-try."));
	ret = read_pin(t, o, &interactive, pin, sizeof(pin), e);
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
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("The PIN of U-KEY %s is locked; ask your CA to unlock it."),
				   ukey_tx(t->serial));
	} else {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("login to U-KEY %s failed: %s"), ukey_tx(t->serial),
				   ukey_p11_rv_name(rv));
	}
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	(void)interactive;
	return ret;
}
