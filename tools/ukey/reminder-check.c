/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* reminder-check.c: what the daily timer runs. Every U-KEY inserted is
 * read (public objects only: no PIN is there to ask for) and its expiry
 * remembered; the ones remembered but not inserted count too, so a key
 * kept in a drawer is still reminded of. Each one due gets a desktop
 * notification; its "Renew now" opens the renewal assistant in a
 * graphical session, else a terminal running `ukey renew` (renew-open.c). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "reminder.h"
#include "ukey.h"

static int add(struct ukey_reminder_entry **list, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4;
		struct ukey_reminder_entry *l = realloc(*list, c * sizeof(*l));
		if (l == NULL)
			return -1;
		*list = l;
		*cap = c;
	}
	memset(&(*list)[*n], 0, sizeof(**list));
	(*n)++;
	return 0;
}

/* One inserted U-KEY: its signing certificate read and remembered. */
static void read_token(struct ukey_cli *c, const struct ukey_token_info *t, long days, struct ukey_reminder_entry *x)
{
	CK_SESSION_HANDLE s;
	struct ukey_cert *certs = NULL;
	struct ukey_seen seen;
	struct ukey_err e;
	size_t nc = 0;
	CK_RV rv = c->p11.f->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL, &s);

	ukey_err_clear(&e);
	x->present = 1;
	x->seen = ukey_now();
	snprintf(x->label, sizeof(x->label), "%s", t->label);
	snprintf(x->d.medium, sizeof(x->d.medium), "%s", t->serial);
	if (rv != CKR_OK) {
		snprintf(x->error, sizeof(x->error), _("cannot open a session with U-KEY %s: %s"), t->serial,
			 ukey_p11_rv_name(rv));
		return;
	}
	if (ukey_token_certs(&c->p11, s, &certs, &nc, &e) == UKEY_E_OK &&
	    ukey_due_check(t->serial, certs, nc, days, &x->d, &e) == UKEY_E_OK) {
		memset(&seen, 0, sizeof(seen));
		snprintf(seen.medium, sizeof(seen.medium), "%s", t->serial);
		snprintf(seen.label, sizeof(seen.label), "%s", t->label);
		snprintf(seen.serial_hex, sizeof(seen.serial_hex), "%s", x->d.serial_hex);
		seen.not_after = x->d.not_after;
		seen.seen = x->seen;
		ukey_seen_put(&seen, 0, &e);
	}
	if (e.code != UKEY_E_OK)
		snprintf(x->error, sizeof(x->error), "%s", e.msg);
	ukey_certs_free(certs, nc);
	c->p11.f->C_CloseSession(s);
}

int ukey_reminder_scan(struct ukey_cli *c, int scan, long days, struct ukey_reminder_entry **out, size_t *n,
		       char *why, size_t whylen)
{
	struct ukey_token_info *toks = NULL;
	struct ukey_seen *seen = NULL;
	size_t nt = 0, ns = 0, cap = 0, i, j;
	int ret = UKEY_E_OK;

	*out = NULL;
	*n = 0;
	why[0] = '\0';
	if (scan && (ukey_cli_open_module(c) != UKEY_E_OK || ukey_token_list(&c->p11, &toks, &nt, &c->err) != UKEY_E_OK)) {
		snprintf(why, whylen, "%s", c->err.msg);
		ukey_err_clear(&c->err);
	}
	for (i = 0; i < nt; i++) {
		if (add(out, n, &cap) != 0)
			goto oom;
		read_token(c, &toks[i], days, &(*out)[*n - 1]);
	}
	ret = ukey_seen_load(&seen, &ns, &c->err);
	for (i = 0; ret == UKEY_E_OK && i < ns; i++) {
		for (j = 0; j < *n && strcmp((*out)[j].d.medium, seen[i].medium) != 0; j++)
			;
		if (j < *n)
			continue;
		if (add(out, n, &cap) != 0)
			goto oom;
		ukey_due_from(seen[i].medium, seen[i].serial_hex, seen[i].not_after, days, &(*out)[*n - 1].d);
		snprintf((*out)[*n - 1].label, sizeof((*out)[*n - 1].label), "%s", seen[i].label);
		(*out)[*n - 1].seen = seen[i].seen;
	}
	free(toks);
	free(seen);
	return ret;
oom:
	free(toks);
	free(seen);
	return ukey_err_set(&c->err, UKEY_E_ERROR, _("out of memory"));
}

json_object *ukey_reminder_entry_json(const struct ukey_reminder_entry *x)
{
	json_object *o = x->d.not_after ? ukey_due_json(&x->d) : json_object_new_object();

	if (!x->d.not_after)
		json_object_object_add(o, "medium", json_object_new_string(x->d.medium));
	json_object_object_add(o, "label", json_object_new_string(x->label));
	json_object_object_add(o, "present", json_object_new_boolean(x->present));
	json_object_object_add(o, "seen", x->seen ? json_object_new_int64(x->seen) : NULL);
	json_object_object_add(o, "notified", json_object_new_boolean(x->notified));
	json_object_object_add(o, "renew_opened", json_object_new_boolean(x->opened));
	json_object_object_add(o, "renew_opened_with",
			       x->opened_with == UKEY_RENEW_WITH_ASSISTANT  ? json_object_new_string("assistant")
			       : x->opened_with == UKEY_RENEW_WITH_TERMINAL ? json_object_new_string("terminal")
									    : NULL);
	json_object_object_add(o, "error", x->error[0] ? json_object_new_string(x->error) : NULL);
	return o;
}

void ukey_reminder_entry_print(const struct ukey_reminder_entry *x, int scanned)
{
	char d[16];

	if (!x->present && scanned)
		printf(_("U-KEY %s is not inserted; its expiry date as read on %s:\n"), ukey_tx(x->d.medium),
		       ukey_cli_date(x->seen, d, sizeof(d)));
	else if (!x->present)
		printf(_("U-KEY %s, as last read on %s:\n"), ukey_tx(x->d.medium), ukey_cli_date(x->seen, d, sizeof(d)));
	if (x->d.not_after)
		ukey_due_print(&x->d);
	if (x->notified)
		printf("%s\n", _("Reminder shown on the desktop."));
	if (x->opened_with == UKEY_RENEW_WITH_ASSISTANT)
		printf("%s\n", _("The renewal assistant (ukey assistant) was started: it opens in the browser."));
	else if (x->opened)
		printf("%s\n", _("A terminal running 'ukey renew' was opened."));
	if (x->error[0])
		fprintf(stderr, "ukey reminder: %s\n", ukey_tx(x->error));
}

int ukey_reminder_check(struct ukey_cli *c, long days)
{
	struct ukey_reminder_entry *list = NULL;
	struct ukey_err e;
	size_t n = 0, i;
	char why[1024];
	int ret = ukey_reminder_scan(c, 1, days, &list, &n, why, sizeof(why)), failed = 0;

	for (i = 0; ret == UKEY_E_OK && i < n; i++) {
		struct ukey_reminder_entry *x = &list[i];
		int acted = 0;
		if (!x->d.not_after || !x->d.due || x->error[0])
			continue;
		/* Not seen since its certificate expired, long ago: most likely
		 * replaced by a new U-KEY; a daily "expired" would be noise. */
		if (!x->present && x->d.days_left < -x->d.days)
			continue;
		ukey_err_clear(&e);
		if (ukey_notify_due(&x->d, x->present, &acted, &e) == UKEY_E_OK)
			x->notified = 1;
		else
			failed = 1;
		if (acted && ukey_open_renew(x->d.medium, c->module, &x->opened_with, &e) == UKEY_E_OK)
			x->opened = 1;
		else if (acted)
			failed = 1;
		if (e.code != UKEY_E_OK)
			snprintf(x->error, sizeof(x->error), "%s", e.msg);
	}
	if (ret != UKEY_E_OK)
		goto out;
	if (c->json) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(arr, ukey_reminder_entry_json(&list[i]));
		json_object_object_add(o, "days", json_object_new_int64(days));
		json_object_object_add(o, "tokens", arr);
		json_object_object_add(o, "module_error", why[0] ? json_object_new_string(why) : NULL);
		ukey_cli_print_json(o);
	} else {
		for (i = 0; i < n; i++)
			ukey_reminder_entry_print(&list[i], 1);
		if (n == 0)
			printf("%s\n", _("No U-KEY is inserted and none is remembered: nothing to check."));
		if (why[0])
			fprintf(stderr, "ukey reminder: %s\n", ukey_tx(why));
	}
	/* A reminder that could not be shown, or nothing checked because the
	 * module does not load, fails the run: the timer's unit shows it
	 * failed, the reason is in its log above. */
	if (failed || (why[0] && n == 0)) {
		ret = UKEY_E_ERROR;
		c->reported = 1;
	}
out:
	free(list);
	return ukey_cli_finish(c, ret);
}
