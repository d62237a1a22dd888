/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* present.c: how the renewal presents itself to people: its steps' names,
 * and, after a step failed, a pulled-out U-KEY told from other failures. */
#ifndef UKEY_RENEW_PRESENT_H
#define UKEY_RENEW_PRESENT_H

#include "p11/p11.h"

/* The step's name for people, translated ("generate the new key pair on
 * the U-KEY"): what progress lines and error messages show. The JSON
 * events keep the fixed identifiers of ukey_renew_step_name. */
const char *ukey_renew_step_label(int step);

/* ret: the failed step's code. When no token with medium number serial is
 * present any more, e says to re-insert that key (the step's own message
 * kept after it) and UKEY_E_TOKEN is returned; otherwise ret, e unchanged. */
int ukey_renew_present(struct ukey_conn *p, const char *serial, int ret, struct ukey_err *e);

#endif
