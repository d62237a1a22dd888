/* present.c: after a renewal step failed, tells a pulled-out U-KEY from
 * other failures. */
#ifndef UKEY_RENEW_PRESENT_H
#define UKEY_RENEW_PRESENT_H

#include "p11.h"

/* ret: the failed step's code. When no token with medium number serial is
 * present any more, e says to re-insert that key (the step's own message
 * kept after it) and UKEY_E_TOKEN is returned; otherwise ret, e unchanged. */
int ukey_renew_present(struct ukey_p11 *p, const char *serial, int ret, struct ukey_err *e);

#endif
