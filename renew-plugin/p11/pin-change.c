/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* pin-change.c: changing the user PIN (C_SetPIN) and unblocking it with the
 * administrator PIN (C_Login as the SO, then C_InitPIN), through standard
 * PKCS#11 so that any module works. All that can be settled without the
 * device is settled first (the PIN's state, the token's length rule, the
 * confirmation), because on a U-KEY every wrong PIN burns a try and a
 * locked administrator PIN means a trip to the CA. */

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ukey-base.h"
#include "p11.h"

#define PIN_MAX 256

/* What is typed for one change; wiped whatever happens. */
struct pins {
	char cur[PIN_MAX], new1[PIN_MAX], new2[PIN_MAX];
};

static int done(struct ukey_pin_outcome *out, const char *reason, int ret)
{
	out->reason = reason;
	return ret;
}

/* "6-16 characters" (or the bound the token tells), for prompts. */
static const char *rule_text(const struct ukey_token_info *t, char *buf, size_t len)
{
	if (t->min_pin_len && t->max_pin_len)
		snprintf(buf, len, _("%lu to %lu characters"), t->min_pin_len, t->max_pin_len);
	else if (t->min_pin_len)
		snprintf(buf, len, _("at least %lu characters"), t->min_pin_len);
	else if (t->max_pin_len)
		snprintf(buf, len, _("at most %lu characters"), t->max_pin_len);
	else
		snprintf(buf, len, "%s", _("any length"));
	return buf;
}

static int length_ok(const struct ukey_token_info *t, size_t n)
{
	return (!t->min_pin_len || n >= t->min_pin_len) && (!t->max_pin_len || n <= t->max_pin_len);
}

/* A PIN that could not be read: none, or one longer than any token takes. */
static int unread(const struct ukey_pin_src *src, int ret, struct ukey_pin_outcome *out)
{
	return done(out, src->too_long ? "length" : "no_pin", ret);
}

/* The current (or administrator) PIN, then the new PIN twice; each
 * checked as soon as it is read, so nothing more is asked in vain. */
static int read_pins(const struct ukey_token_info *t, const struct ukey_pin_opts *o, int so, struct pins *p,
		     struct ukey_pin_outcome *out, struct ukey_err *e)
{
	struct ukey_pin_src src;
	char prompt[256], rule[64];
	int ret = ukey_pin_src_open(&src, o, e);

	if (ret != UKEY_E_OK)
		return done(out, "no_pin", ret);
	if (so)
		snprintf(prompt, sizeof(prompt), _("Administrator (SO) PIN of U-KEY %s: "), ukey_tx(t->serial));
	else
		snprintf(prompt, sizeof(prompt), _("Current PIN of U-KEY %s: "), ukey_tx(t->serial));
	ret = ukey_pin_src_read(&src, prompt, so ? _("administrator PIN") : _("current PIN"), p->cur, sizeof(p->cur), e);
	if (ret != UKEY_E_OK) {
		unread(&src, ret, out);
		goto out;
	}
	/* Longer than the token takes: it cannot be right, and trying it
	 * would cost a try. */
	if (t->max_pin_len && strlen(p->cur) > t->max_pin_len) {
		ret = done(out, "length", ukey_err_set(e, UKEY_E_USAGE,
						       _("The %s typed is longer than U-KEY %s takes (%lu characters); "
							 "nothing was changed, no try used."),
						       so ? _("administrator PIN") : _("current PIN"), ukey_tx(t->serial),
						       t->max_pin_len));
		goto out;
	}
	rule_text(t, rule, sizeof(rule));
	snprintf(prompt, sizeof(prompt), so ? _("New user PIN (%s): ") : _("New PIN (%s): "), rule);
	ret = ukey_pin_src_read(&src, prompt, _("new PIN"), p->new1, sizeof(p->new1), e);
	if (ret != UKEY_E_OK) {
		unread(&src, ret, out);
		goto out;
	}
	if (!length_ok(t, strlen(p->new1))) {
		ret = done(out, "length", ukey_err_set(e, UKEY_E_USAGE,
						       _("The new PIN must be %s long on U-KEY %s; nothing was changed, "
							 "no try used."), rule, ukey_tx(t->serial)));
		goto out;
	}
	snprintf(prompt, sizeof(prompt), "%s", so ? _("New user PIN again: ") : _("New PIN again: "));
	ret = ukey_pin_src_read(&src, prompt, _("new PIN again"), p->new2, sizeof(p->new2), e);
	if (ret != UKEY_E_OK) {
		unread(&src, ret, out);
		goto out;
	}
	if (strcmp(p->new1, p->new2) != 0)
		ret = done(out, "mismatch", ukey_err_set(e, UKEY_E_USAGE,
							 _("The two new PINs differ; nothing was changed, no try used.")));
out:
	ukey_pin_src_close(&src);
	return ret;
}

/* The module asks for the PINs itself (CKF_PROTECTED_AUTHENTICATION_PATH)
 * unless the user gave them on a descriptor or in a file. */
static int use_dialog(const struct ukey_token_info *t, const struct ukey_pin_opts *o)
{
	return (t->flags & CKF_PROTECTED_AUTHENTICATION_PATH) && !ukey_pin_src_non_interactive(o);
}

static int open_rw(struct ukey_conn *p, const struct ukey_token_info *t, CK_SESSION_HANDLE *s, struct ukey_err *e)
{
	CK_RV rv = p->f->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s);

	if (rv == CKR_OK)
		return UKEY_E_OK;
	return ukey_err_set(e, UKEY_E_TOKEN, _("cannot open a read-write session with U-KEY %s: %s"),
			    ukey_tx(t->serial), ukey_p11_rv_name(rv));
}

/* What the token said to the new PIN or a dialog, once the old PIN (or the
 * administrator's) was accepted or never tried. */
static int common_refusal(const struct ukey_token_info *t, CK_RV rv, const char *what, struct ukey_pin_outcome *out,
			  struct ukey_err *e)
{
	if (rv == CKR_FUNCTION_CANCELED)
		return done(out, "cancelled", ukey_err_set(e, UKEY_E_ERROR,
							   _("The PIN dialog was cancelled (or the new PINs never "
							     "matched); nothing was changed.")));
	if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID)
		return done(out, "refused", ukey_err_set(e, UKEY_E_TOKEN,
							 _("U-KEY %s refused the new PIN (%s); nothing was changed."),
							 ukey_tx(t->serial), ukey_p11_rv_name(rv)));
	return done(out, "error", ukey_err_set(e, UKEY_E_TOKEN, _("%s on U-KEY %s failed: %s"), what,
					       ukey_tx(t->serial), ukey_p11_rv_name(rv)));
}

/* Before the try: warn when tries were used, and at the last one refuse a
 * PIN nobody types unless the user accepted that. */
static int before_try(const struct ukey_token_info *t, int so, const struct ukey_pin_opts *o,
		      struct ukey_pin_outcome *out, struct ukey_err *e)
{
	const char *state = so ? ukey_token_so_pin_state(t) : ukey_token_pin_state(t);
	char tries[200];

	if (so)
		fprintf(stderr, _("U-KEY %s: administrator PIN: %s\n"), ukey_tx(t->serial),
			ukey_token_so_pin_text(t, tries, sizeof(tries)));
	else if (strcmp(state, "ok") != 0)
		fprintf(stderr, "%s: %s\n", _("Warning"), ukey_token_pin_text(t, tries, sizeof(tries)));
	if (strcmp(state, "final_try") == 0 && !o->accept_final_try && ukey_pin_src_non_interactive(o))
		return done(out, "final_try", ukey_err_set(e, UKEY_E_TOKEN,
							   _("Only one %s try is left; a PIN from a file or descriptor is "
							     "not used unless you add --accept-final-try."),
							   so ? _("administrator PIN") : _("PIN")));
	return UKEY_E_OK;
}

int ukey_pin_change(struct ukey_conn *p, struct ukey_token_info *t, const struct ukey_pin_opts *o,
		    struct ukey_pin_outcome *out, struct ukey_err *e)
{
	struct pins pins;
	CK_SESSION_HANDLE s;
	char tries[200];
	CK_RV rv;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&pins, 0, sizeof(pins));
	out->reason = "error";
	ret = ukey_token_refresh(p, t, e);
	if (ret != UKEY_E_OK)
		return ret;
	if (strcmp(ukey_token_pin_state(t), "locked") == 0)
		return done(out, "locked", ukey_err_set(e, UKEY_E_TOKEN,
							_("The PIN of U-KEY %s is locked and cannot be changed: unblock it "
							  "with 'ukey pin unblock' if you have the administrator PIN, else "
							  "ask your CA."), ukey_tx(t->serial)));
	ret = before_try(t, 0, o, out, e);
	out->dialog = use_dialog(t, o);
	if (ret == UKEY_E_OK && !out->dialog)
		ret = read_pins(t, o, 0, &pins, out, e);
	if (ret == UKEY_E_OK)
		ret = open_rw(p, t, &s, e);
	if (ret != UKEY_E_OK)
		goto out;
	/* One attempt; NULL PINs let the module's dialog ask (PKCS#11's
	 * protected authentication path). */
	if (out->dialog)
		rv = p->f->C_SetPIN(s, NULL, 0, NULL, 0);
	else
		rv = p->f->C_SetPIN(s, (CK_UTF8CHAR_PTR)pins.cur, strlen(pins.cur), (CK_UTF8CHAR_PTR)pins.new1,
				    strlen(pins.new1));
	p->f->C_CloseSession(s);
	ukey_token_refresh(p, t, e);
	ukey_err_clear(e);
	if (rv == CKR_OK)
		ret = done(out, "changed", UKEY_E_OK);
	else if (rv == CKR_PIN_LOCKED || (rv == CKR_PIN_INCORRECT && strcmp(ukey_token_pin_state(t), "locked") == 0))
		ret = done(out, "locked", ukey_err_set(e, UKEY_E_TOKEN,
						       _("Wrong PIN for U-KEY %s: the PIN is now locked. Unblock it with "
							 "'ukey pin unblock' if you have the administrator PIN, else ask "
							 "your CA."), ukey_tx(t->serial)));
	else if (rv == CKR_PIN_INCORRECT)
		ret = done(out, "wrong_pin", ukey_err_set(e, UKEY_E_TOKEN,
							  _("Wrong PIN for U-KEY %s: %s. It was not retried; the PIN "
							    "was not changed."), ukey_tx(t->serial),
							  ukey_token_pin_text(t, tries, sizeof(tries))));
	else
		ret = common_refusal(t, rv, _("Changing the PIN"), out, e);
out:
	OPENSSL_cleanse(&pins, sizeof(pins));
	return ret;
}

/* The administrator's login; *so_in tells whether it succeeded. */
static int so_login(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_token_info *t, const struct pins *pins,
		    int dialog, struct ukey_pin_outcome *out, struct ukey_err *e)
{
	char tries[200];
	CK_RV rv = dialog ? p->f->C_Login(s, CKU_SO, NULL, 0)
			  : p->f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)pins->cur, strlen(pins->cur));

	if (rv == CKR_OK)
		return UKEY_E_OK;
	ukey_token_so_refresh(p, t, e);
	ukey_err_clear(e);
	if (rv == CKR_PIN_LOCKED || (rv == CKR_PIN_INCORRECT && strcmp(ukey_token_so_pin_state(t), "locked") == 0))
		return done(out, "so_locked", ukey_err_set(e, UKEY_E_TOKEN,
							   _("The administrator PIN of U-KEY %s is now locked: only "
							     "your CA can unlock this U-KEY. Take it to the CA."),
							   ukey_tx(t->serial)));
	if (rv == CKR_PIN_INCORRECT)
		return done(out, "wrong_so_pin", ukey_err_set(e, UKEY_E_TOKEN,
							      _("Wrong administrator PIN for U-KEY %s: %s. It was "
								"not retried; nothing was changed. If the "
								"administrator PIN locks, only your CA can unlock "
								"this U-KEY."), ukey_tx(t->serial),
							      ukey_token_so_pin_text(t, tries, sizeof(tries))));
	return common_refusal(t, rv, _("The administrator login"), out, e);
}

int ukey_pin_unblock(struct ukey_conn *p, struct ukey_token_info *t, const struct ukey_pin_opts *o,
		     struct ukey_pin_outcome *out, struct ukey_err *e)
{
	struct pins pins;
	CK_SESSION_HANDLE s;
	CK_RV rv;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&pins, 0, sizeof(pins));
	out->reason = "error";
	ret = ukey_token_so_refresh(p, t, e);
	if (ret != UKEY_E_OK)
		return ret;
	if (strcmp(ukey_token_so_pin_state(t), "locked") == 0)
		return done(out, "so_locked", ukey_err_set(e, UKEY_E_TOKEN,
							   _("The administrator PIN of U-KEY %s is locked: only your CA "
							     "can unlock this U-KEY now. Take it to the CA."),
							   ukey_tx(t->serial)));
	ret = before_try(t, 1, o, out, e);
	out->dialog = use_dialog(t, o);
	if (ret == UKEY_E_OK && !out->dialog)
		ret = read_pins(t, o, 1, &pins, out, e);
	if (ret == UKEY_E_OK)
		ret = open_rw(p, t, &s, e);
	if (ret != UKEY_E_OK)
		goto out;
	ret = so_login(p, s, t, &pins, out->dialog, out, e);
	if (ret == UKEY_E_OK) {
		rv = out->dialog ? p->f->C_InitPIN(s, NULL, 0)
				 : p->f->C_InitPIN(s, (CK_UTF8CHAR_PTR)pins.new1, strlen(pins.new1));
		p->f->C_Logout(s);
		ret = rv == CKR_OK ? done(out, "unblocked", UKEY_E_OK)
				   : common_refusal(t, rv, _("Setting the new user PIN"), out, e);
	}
	p->f->C_CloseSession(s);
	if (ret == UKEY_E_OK) {
		ukey_token_so_refresh(p, t, e);
		ukey_err_clear(e);
	}
out:
	OPENSSL_cleanse(&pins, sizeof(pins));
	return ret;
}
