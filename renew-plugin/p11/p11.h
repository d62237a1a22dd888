/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The p11 room's own declarations, beyond what ukey-renew.h makes public
 * (the connection, tokens, certificates, the PIN). */
#ifndef UKEY_RENEW_P11_H
#define UKEY_RENEW_P11_H

#include "ukey-renew.h"

/* Finds up to max objects matching tmpl. */
int ukey_conn_find(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n,
		   CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *found, struct ukey_err *e);
/* Re-reads the token's flags and tries. */
int ukey_token_refresh(struct ukey_conn *p, struct ukey_token_info *t, struct ukey_err *e);
/* cert.c: fills the parsed fields of c from c->der. */
int ukey_cert_parse(struct ukey_cert *c, struct ukey_err *e);

/* pin.c: where PINs come from, one per line in the order asked: --pin-fd,
 * else UKEY_PIN_FILE, else the terminal without echo (each PIN its own
 * prompt). Never argv. */
struct ukey_pin_src {
	int fd;          /* the descriptor or the file read, -1 for the terminal */
	int given_fd;    /* --pin-fd, for messages */
	int from_file;   /* UKEY_PIN_FILE: fd is ours to close */
	int interactive; /* the terminal */
	int too_long;    /* the last PIN read did not fit (it is refused) */
};
int ukey_pin_src_open(struct ukey_pin_src *s, const struct ukey_pin_opts *o, struct ukey_err *e);
/* 1 when PINs come from --pin-fd or UKEY_PIN_FILE (no one types them). */
int ukey_pin_src_non_interactive(const struct ukey_pin_opts *o);
/* The next PIN into buf (NUL-terminated); prompt is for the terminal, what
 * names the PIN in messages ("the new PIN"). An empty or over-long line is
 * UKEY_E_USAGE. */
int ukey_pin_src_read(struct ukey_pin_src *s, const char *prompt, const char *what, char *buf, size_t len,
		      struct ukey_err *e);
void ukey_pin_src_close(struct ukey_pin_src *s);

#endif
