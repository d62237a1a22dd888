/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukey doctor: the whole chain checked, one line per check with what to
 * fix (cmd-doctor.c: the command and the local checks; doctor-checks.c:
 * the module, its backends and U-KEYs, the service and the clock;
 * doctor-line.c: the output line each check ends with). */
#ifndef UKEY_TOOL_DOCTOR_H
#define UKEY_TOOL_DOCTOR_H

#include <limits.h>
#include <time.h>

#include <json-c/json.h>

#include "ukey-renew.h"

enum ukey_doctor_status { UKEY_DOCTOR_OK, UKEY_DOCTOR_WARN, UKEY_DOCTOR_FAIL, UKEY_DOCTOR_SKIP };

struct ukey_doctor {
	int json;
	json_object *checks; /* --json: the lines so far */
	int failed, warned;
	const char *module_arg; /* --module, or NULL */
	struct ukey_conf conf;
	struct ukey_conn p11; /* the module, when it loaded */
	char module_real[PATH_MAX];
	time_t not_before;   /* the latest signing certificate start seen, 0 none */
	time_t service_date; /* the service's Date header, 0 unknown */
};

/* doctor-line.c: one check's line: what was checked (check, with an
 * object: "backend gdca"), the outcome, what was found, and what to do
 * (NULL when nothing). */
void ukey_doctor_line(struct ukey_doctor *d, const char *check, enum ukey_doctor_status st, const char *fix,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* doctor-checks.c */
void ukey_doctor_module(struct ukey_doctor *d);  /* the module, its configuration, backends, U-KEYs */
void ukey_doctor_service(struct ukey_doctor *d); /* the service URL, its CA file, a protocol request */
void ukey_doctor_clock(struct ukey_doctor *d);

#endif
