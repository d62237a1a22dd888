/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* One line of ukey doctor's report, as text or as a JSON entry: what every
 * check (cmd-doctor.c, doctor-checks.c) ends with. */

#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "doctor.h"

static const char *const status_word[] = {
	[UKEY_DOCTOR_OK] = N_("ok"), [UKEY_DOCTOR_WARN] = N_("warn"), [UKEY_DOCTOR_FAIL] = N_("FAIL"),
	[UKEY_DOCTOR_SKIP] = N_("skip"),
};
static const char *const status_json[] = {
	[UKEY_DOCTOR_OK] = "ok", [UKEY_DOCTOR_WARN] = "warn", [UKEY_DOCTOR_FAIL] = "fail", [UKEY_DOCTOR_SKIP] = "skip",
};

void ukey_doctor_line(struct ukey_doctor *d, const char *check, enum ukey_doctor_status st, const char *fix,
		      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->failed += st == UKEY_DOCTOR_FAIL;
	d->warned += st == UKEY_DOCTOR_WARN;
	if (d->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "check", json_object_new_string(check));
		json_object_object_add(o, "status", json_object_new_string(status_json[st]));
		json_object_object_add(o, "message", json_object_new_string(msg));
		json_object_object_add(o, "fix", fix ? json_object_new_string(fix) : NULL);
		json_object_array_add(d->checks, o);
		return;
	}
	/* Outside text in msg and fix is escaped by the callers (ukey_tx). */
	printf("%-5s %s: %s%s%s\n", _(status_word[st]), check, msg, fix ? " -> " : "", fix ? fix : "");
}
