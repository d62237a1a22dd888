/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* failpoint.h: crash points for the renewal's fault tests (issue 6).
 * Built in only with `configure --enable-failpoints`; in a release build
 * UKEY_FAILPOINT(name) is ((void)0) and no code path exists. With the
 * option, the environment variable UKEY_FAILPOINT names one point:
 *   UKEY_FAILPOINT=name       the process kills itself with SIGKILL there
 *   UKEY_FAILPOINT=name:stop  it stops itself (SIGSTOP) so a test can act
 *                             (unplug the token) and then send SIGCONT. */
#ifndef UKEY_FAILPOINT_H
#define UKEY_FAILPOINT_H

#ifdef UKEY_FAILPOINTS
void ukey_failpoint(const char *name);
#define UKEY_FAILPOINT(name) ukey_failpoint(name)
#else
#define UKEY_FAILPOINT(name) ((void)0)
#endif

#endif
