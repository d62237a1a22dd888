/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* clock.c: the ukey command's "now". A reminder is due days or years
 * away, so tests move the clock with UKEY_NOW; this is the one place that
 * reads it, so days left, "due" and the reminder all count from the same
 * instant. The renewal itself, the CA service and the U-KEY keep the real
 * clock (their checks must not be fooled). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

time_t ukey_now(void)
{
	static int done;
	static time_t fake = (time_t)-1;

	if (!done) {
		const char *v = getenv("UKEY_NOW");
		struct tm tm;
		char *end;

		done = 1;
		memset(&tm, 0, sizeof(tm));
		if (v != NULL && *v != '\0') {
			end = strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm);
			if (end != NULL && *end == '\0')
				fake = timegm(&tm);
			else
				/* Loud: a test that meant another day must not pass on today's. */
				fprintf(stderr, _("ukey: UKEY_NOW='%s' is not YYYY-MM-DDTHH:MM:SSZ: using the real clock\n"),
					ukey_tx(v));
		}
	}
	return fake != (time_t)-1 ? fake : time(NULL);
}
