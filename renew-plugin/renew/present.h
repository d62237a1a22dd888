/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* present.c: how the renewal presents itself to people: its steps' names
 * (ukey_renew_step_label, public), and, after a step failed, a pulled-out
 * U-KEY told from other failures. */
#ifndef UKEY_RENEW_PRESENT_H
#define UKEY_RENEW_PRESENT_H

#include "ukey-renew.h"

/* ret: the failed step's code. When no token with medium number serial is
 * present any more, e says to re-insert that key (the step's own message
 * kept after it) and UKEY_E_TOKEN is returned; otherwise ret, e unchanged. */
int ukey_renew_present(struct ukey_conn *p, const char *serial, int ret, struct ukey_err *e);

#endif
