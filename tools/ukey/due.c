/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* due.c: is the renewal due? The signing certificate's whole days left
 * (as `ukey status` prints them) against a threshold: due when days left
 * <= N, so "--days 30" is due on the day status says "30 days left". One
 * rule for renew --when-due, status --when-due and the reminder. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "reminder.h"

static int parse_days(const char *cmd, const char *v, long *days)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < 0 || n > UKEY_DUE_DAYS_MAX) {
		fprintf(stderr, _("ukey %s: --days takes a number of days from 0 to %d, not '%s'\n"), cmd,
			UKEY_DUE_DAYS_MAX, ukey_tx(v));
		return UKEY_E_USAGE;
	}
	*days = n;
	return UKEY_E_OK;
}

int ukey_due_options(const char *cmd, int *argc, char **argv, int *when_due, long *days)
{
	int n = 1;

	*days = -1;
	if (when_due != NULL)
		*when_due = 0;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[n++] = argv[i++];
			break;
		}
		if (when_due != NULL && strcmp(a, "--when-due") == 0) {
			*when_due = 1;
			continue;
		}
		if (strcmp(a, "--days") == 0 || strncmp(a, "--days=", 7) == 0) {
			const char *v = a[6] == '=' ? a + 7 : i + 1 < *argc ? argv[++i] : "";
			if (parse_days(cmd, v, days) != UKEY_E_OK)
				return UKEY_E_USAGE;
			continue;
		}
		argv[n++] = argv[i];
	}
	*argc = n;
	argv[n] = NULL;
	if (when_due != NULL && *days >= 0 && !*when_due) {
		fprintf(stderr, _("ukey %s: --days goes with --when-due\n"), cmd);
		return UKEY_E_USAGE;
	}
	if (*days < 0 && when_due != NULL)
		*days = UKEY_DUE_DAYS_DEFAULT;
	return UKEY_E_OK;
}

void ukey_due_from(const char *medium, const char *serial_hex, time_t not_after, long days, struct ukey_due *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->medium, sizeof(d->medium), "%s", medium);
	snprintf(d->serial_hex, sizeof(d->serial_hex), "%s", serial_hex);
	d->not_after = not_after;
	d->days = days;
	d->days_left = ukey_cli_days_left(not_after);
	d->due = d->days_left <= days;
	/* days_left <= days  <=>  not_after - now < (days + 1) days */
	d->due_from = not_after - (time_t)(days + 1) * 86400 + 1;
}

int ukey_due_check(const char *medium, const struct ukey_cert *certs, size_t n, long days, struct ukey_due *d,
		   struct ukey_err *e)
{
	const struct ukey_cert *s = ukey_certs_signing(certs, n);

	if (s == NULL)
		return ukey_err_set(e, UKEY_E_TOKEN, _("U-KEY %s holds no signing certificate: there is nothing to "
						       "renew"), medium);
	ukey_due_from(medium, s->serial_hex, s->not_after, days, d);
	return UKEY_E_OK;
}

json_object *ukey_due_json(const struct ukey_due *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "medium", json_object_new_string(d->medium));
	json_object_object_add(o, "certificate_serial", json_object_new_string(d->serial_hex));
	json_object_object_add(o, "not_after", json_object_new_int64(d->not_after));
	json_object_object_add(o, "days_left", json_object_new_int64(d->days_left));
	json_object_object_add(o, "days", json_object_new_int64(d->days));
	json_object_object_add(o, "due", json_object_new_boolean(d->due));
	json_object_object_add(o, "due_from", json_object_new_int64(d->due_from));
	return o;
}

void ukey_due_print(const struct ukey_due *d)
{
	char na[16], from[16], left[64];

	ukey_cli_date(d->not_after, na, sizeof(na));
	ukey_cli_days_text(d->not_after, left, sizeof(left));
	if (d->due && d->not_after < ukey_now())
		printf(_("Renewal is overdue: the signing certificate of U-KEY %s expired on %s (%s).\n"),
		       ukey_tx(d->medium), na, left);
	else if (d->due)
		printf(_("Renewal is due: the signing certificate of U-KEY %s is valid until %s (%s), within %ld days "
			 "of its expiry.\n"), ukey_tx(d->medium), na, left, d->days);
	else
		printf(_("Renewal is not due yet: the signing certificate of U-KEY %s is valid until %s (%s); "
			 "renewal is due from %s (%ld days before expiry).\n"), ukey_tx(d->medium), na, left,
		       ukey_cli_date(d->due_from, from, sizeof(from)), d->days);
}
