/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PIN dialog ([module] pin_prompt = pinentry): when a consumer logs in
 * with a NULL PIN, the module asks through GnuPG's `pinentry` program over
 * the Assuan protocol, telling the user which U-KEY it is and how many tries
 * are left, so a wrong guess does not lock the key unawares.
 *
 * pinentry.c is the Assuan client (spawn, talk, reap); pinentry-text.c
 * builds what the dialog says (pure functions, unit-tested). */
#ifndef UKEY_TOKEN_PINENTRY_H
#define UKEY_TOKEN_PINENTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>

#include "drivers/driver.h"

/* Longest PIN accepted from the dialog (bytes); longer answers are refused. */
#define UKEY_PINENTRY_MAX_PIN 256
/* Room for a description (title, prompt and buttons are shorter). */
#define UKEY_PINENTRY_MAX_TEXT 768

/* What the dialog shows: UTF-8, unescaped (the client escapes). */
struct ukey_pin_dialog {
	char title[64];
	char prompt[32];
	char ok[32];
	char cancel[32];
	char desc[UKEY_PINENTRY_MAX_TEXT];
	/* Shown above the entry field (SETERROR) when not empty: why the
	 * dialog asks again during a PIN change. */
	char error[160];
};

/* True when the user's messages locale (LC_ALL, else LC_MESSAGES, else
 * LANG: the first one set) is Chinese (zh, zh_CN, zh_TW...). */
bool ukey_pin_dialog_locale_zh(void);

/* Fills the dialog for logging `user` (CKU_USER or CKU_SO) into the token
 * `info` describes: label, medium number and the tries left (exact counts
 * when the backend gives them, else from the CKF_*_PIN_* flags).
 * Returns CKR_PIN_LOCKED, without filling anything, when that PIN is
 * locked: the caller must not prompt. */
CK_RV ukey_pin_dialog_build(const struct ukey_dev_info *info, CK_USER_TYPE user, bool zh,
			    struct ukey_pin_dialog *out);

/* The dialogs of a PIN change through the protected authentication path
 * (C_SetPIN and C_InitPIN with NULL PINs): the current PIN, then the new
 * one, then the new one again. */
enum ukey_pin_step {
	UKEY_PIN_STEP_OLD,    /* the current PIN of `user` (C_SetPIN) */
	UKEY_PIN_STEP_NEW,    /* the new PIN of `user`, with the token's length rule */
	UKEY_PIN_STEP_REPEAT, /* the new PIN again */
};
/* Why the new PIN is asked again. */
enum ukey_pin_retype {
	UKEY_PIN_RETYPE_NONE,
	UKEY_PIN_RETYPE_LENGTH,   /* outside the token's min/max length */
	UKEY_PIN_RETYPE_MISMATCH, /* the two new PINs differ */
};

/* Fills the dialog of one step of changing the PIN of `user` on the token
 * `info` describes. The current PIN's dialog shows the tries left, like a
 * login's, and returns CKR_PIN_LOCKED for a locked PIN (nothing to ask);
 * the new PIN's dialogs never refuse (unblocking sets a locked user PIN). */
CK_RV ukey_pin_dialog_build_change(const struct ukey_dev_info *info, CK_USER_TYPE user, enum ukey_pin_step step,
				   enum ukey_pin_retype why, bool zh, struct ukey_pin_dialog *out);

/* Runs `program` (a path, or a name looked up in PATH; NULL means
 * "pinentry"), shows the dialog and reads the PIN into pin[0..size), NUL
 * terminated, its length in *len. The environment is passed through (the
 * program finds DISPLAY, WAYLAND_DISPLAY, GPG_TTY itself). The whole
 * conversation is bounded by timeout_s seconds; the child is always reaped.
 * CKR_OK; CKR_FUNCTION_CANCELED when the user cancels (or the dialog
 * answers any ERR, or times out); CKR_FUNCTION_FAILED when the program
 * cannot run, dies or does not speak the protocol. On failure pin is wiped. */
CK_RV ukey_pinentry_get_pin(const char *program, unsigned timeout_s, const struct ukey_pin_dialog *dlg,
			    char *pin, size_t size, size_t *len);

/* Assuan percent-escaping of %, CR and LF (for SET* commands), into out of
 * outsize bytes, NUL terminated. Returns false when it does not fit. */
bool ukey_pinentry_escape(const char *in, char *out, size_t outsize);
/* Decodes the data of a "D " line (percent escapes) and appends it to
 * out[*len..size). Returns false on a bad escape or overflow. */
bool ukey_pinentry_unescape_append(const char *in, char *out, size_t size, size_t *len);

#endif
