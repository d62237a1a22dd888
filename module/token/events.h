/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* events.c: slot events. C_WaitForSlotEvent (token.h), and one thread per
 * backend whose driver can wait for device events (wait_event), started at
 * the first blocking C_WaitForSlotEvent; backends without one are polled. */
#ifndef UKEY_TOKEN_EVENTS_H
#define UKEY_TOKEN_EVENTS_H

#include <stdbool.h>

struct ukey_backend;

/* C_Finalize, without the table lock, after `initialized` went false: ends
 * every device-event thread (the driver's cancel_wait, then a join). A
 * thread whose backend does not return from its wait within two seconds is
 * left behind, and its backend with it (ukey_events_stuck). exiting: the
 * process is ending and the backends may be half torn down already: no
 * call into them, every thread is left behind. */
void ukey_events_stop_unlocked(bool exiting);
/* True when b's event thread could not be stopped: b must stay loaded, as
 * the thread is still inside its driver. */
bool ukey_events_stuck(const struct ukey_backend *b);
/* Frees b's event thread record at teardown (in_child: the thread was the
 * parent's and does not exist here), unless it is stuck. */
void ukey_events_forget(struct ukey_backend *b, bool in_child);

#endif
