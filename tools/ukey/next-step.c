/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* next-step.c: the one thing to do next, from the service's status, in
 * the CA guide's order: bind the certificate to the phone account, the
 * identity check (first renewal only), order and pay, clean the seals,
 * renew, then check the new validity. The service refuses a renewal in the
 * same order (docs/protocol.md), so the step named is never one it would
 * refuse for an earlier reason. */

#include <string.h>

#include "ukey.h"

void ukey_next_step(const struct ukey_svc_status *st, struct ukey_next *n)
{
	const char *o = st->order.state;

	n->wait = 1;
	if (strcmp(st->binding, "none") == 0) {
		n->code = "bind";
		n->text = _("Bind the certificate to your phone account: run 'ukey bind'.");
	} else if (strcmp(st->binding, "confirmed") != 0) {
		n->code = "confirm_binding";
		n->text = _("Confirm the binding on the phone: enter the binding code and the last four digits of the "
			    "medium number in the CA's WeChat account, then run 'ukey bind --status'.");
	} else if (!st->identity_checked) {
		n->code = "identity_check";
		n->text = _("The CA checks your identity before the first renewal: follow its instructions in the "
			    "WeChat account (or at the counter), then run 'ukey status' again.");
	} else if (strcmp(o, "none") == 0) {
		n->code = "order";
		n->text = _("No renewal order exists: order the renewal at your CA (WeChat account or counter).");
	} else if (strcmp(o, "unpaid") == 0) {
		n->code = "pay";
		n->text = _("Pay the order on your phone (WeChat Pay) or by bank transfer.");
	} else if (strcmp(o, "awaiting_transfer") == 0) {
		n->code = "wait_transfer";
		n->text = _("Wait until the CA has verified your bank transfer, then run 'ukey order' again.");
	} else if (strcmp(o, "paid") == 0 && strcmp(st->seals, "clean") != 0) {
		n->code = "clean_seals";
		n->text = _("The CA marked the seal data abnormal: run 'ukey seals clean' first, then 'ukey renew'.");
	} else if (strcmp(o, "paid") == 0) {
		n->wait = 0;
		n->code = "renew";
		n->text = _("The order is paid: run 'ukey renew' with the U-KEY inserted.");
	} else {
		n->wait = 0;
		n->code = "check_validity";
		n->text = _("The renewal is done: check the new validity of the certificate and the seals with "
			    "'ukey status'.");
	}
}

const char *ukey_order_state_text(const char *state)
{
	if (strcmp(state, "none") == 0)
		return _("no order");
	if (strcmp(state, "unpaid") == 0)
		return _("unpaid");
	if (strcmp(state, "awaiting_transfer") == 0)
		return _("awaiting transfer verification");
	if (strcmp(state, "paid") == 0)
		return _("paid");
	return _("used");
}
