/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* failpoint.c: see failpoint.h. Compiled only with --enable-failpoints.
 * Prints nothing but the point's name (never a secret) and only for the
 * stop form, so a test can wait for it. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failpoint.h"

void ukey_failpoint(const char *name)
{
	const char *want = getenv("UKEY_FAILPOINT");
	size_t n = strlen(name);

	if (want == NULL || strncmp(want, name, n) != 0)
		return;
	if (want[n] == '\0') {
		kill(getpid(), SIGKILL);
		return;
	}
	if (strcmp(want + n, ":stop") == 0) {
		fprintf(stderr, "ukey: failpoint %s: stopped\n", name);
		fflush(stderr);
		raise(SIGSTOP);
	}
}
