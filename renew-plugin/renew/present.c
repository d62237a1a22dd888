/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* present.c: a step that fails because the U-KEY was pulled out gives a
 * backend error (CKR_DEVICE_REMOVED, CKR_SESSION_HANDLE_INVALID, a failed
 * write...) that says nothing useful to the user. The journal keeps the
 * progress, so what the user must do is put the same key back: asked of
 * the module (C_GetSlotList(CK_TRUE) + C_GetTokenInfo, through
 * ukey_token_list), never guessed from the error code. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ukey-base.h"
#include "present.h"
#include "p11/p11.h"

const char *ukey_renew_step_label(int step)
{
	static const char *const t[] = {
		N_("check that the renewal can run"), N_("generate the new key pair on the U-KEY"),
		N_("build the certificate request"), N_("send the renewal request"), N_("check the new certificate"),
		N_("encryption key"), N_("write the certificate and seals to the U-KEY"),
		N_("retire the old certificate and key"), N_("confirm the installation to the CA"),
	};
	return step >= 0 && step < (int)(sizeof(t) / sizeof(t[0])) ? _(t[step]) : "?";
}

int ukey_renew_present(struct ukey_conn *p, const char *serial, int ret, struct ukey_err *e)
{
	struct ukey_token_info *list = NULL;
	struct ukey_err scratch;
	char msg[sizeof(e->msg)];
	size_t n = 0;
	int here = 0;

	if (ret == UKEY_E_OK || ret == UKEY_E_WAIT || ret == UKEY_E_INTERRUPTED || p == NULL || p->f == NULL)
		return ret;
	ukey_err_clear(&scratch);
	/* A module that cannot list tokens right now tells nothing either way. */
	if (ukey_token_list(p, &list, &n, &scratch) != UKEY_E_OK)
		return ret;
	for (size_t i = 0; i < n && !here; i++)
		here = strcmp(list[i].serial, serial) == 0;
	free(list);
	if (here)
		return ret;
	snprintf(msg, sizeof(msg), "%s", e->msg);
	return ukey_err_set(e, UKEY_E_TOKEN, _("the U-KEY was removed during the renewal: re-insert the key with medium "
					       "number %s and run 'ukey renew' again to finish (%s)"), serial, msg);
}
