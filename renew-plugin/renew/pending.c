/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* pending.c: what an interrupted run left on the token. Before a step asks
 * the token to make something, the journal records how it will be known
 * (the CKA_ID it asks for; on a container backend the label the container
 * gives it) and is saved; a later run looks for exactly that. A complete
 * object is adopted (never made twice); what is there only in part (a
 * SoftHSM key pair cut short, a public key without its private key) is
 * removed before the step makes it again, so after any number of
 * interrupts the token holds what one uninterrupted run leaves. Nothing
 * else is ever touched: the CKA_IDs are random and recorded, the labels
 * were free when they were chosen (names.c). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ukey-base.h"
#include "renew.h"

#define MAX_LEFT 16

/* Destroys every object matching t (n attributes); *removed counts them. */
static int remove_matching(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n, int *removed,
			   struct ukey_err *e)
{
	CK_OBJECT_HANDLE h[MAX_LEFT];
	CK_ULONG found = 0;
	int ret = ukey_conn_find(p, s, t, n, h, MAX_LEFT, &found, e);

	for (CK_ULONG i = 0; ret == UKEY_E_OK && i < found; i++) {
		CK_RV rv = p->f->C_DestroyObject(s, h[i]);
		/* Gone with an object destroyed before it (SKF: a container
		 * takes its keys and certificates along). */
		if (rv == CKR_OBJECT_HANDLE_INVALID)
			continue;
		if (rv != CKR_OK)
			return ukey_err_set(e, UKEY_E_TOKEN, _("cannot remove what an interrupted renewal left on the U-KEY: "
							       "%s"), ukey_p11_rv_name(rv));
		(*removed)++;
	}
	return ret;
}

int ukey_renew_pending_remove(struct ukey_conn *p, CK_SESSION_HANDLE s, const unsigned char *id, size_t id_len,
			      const char *label, int *removed, struct ukey_err *e)
{
	CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE byid = { CKA_ID, (void *)id, id_len };
	CK_ATTRIBUTE bylabel[] = { { CKA_CLASS, &priv, sizeof(priv) },
				   { CKA_LABEL, (void *)label, label ? strlen(label) : 0 } };
	int ret = UKEY_E_OK;

	*removed = 0;
	if (id_len > 0)
		ret = remove_matching(p, s, &byid, 1, removed, e);
	/* A container backend: its private key stands for the container. */
	if (ret == UKEY_E_OK && label != NULL && label[0] != '\0')
		ret = remove_matching(p, s, bylabel, 2, removed, e);
	return ret;
}

int ukey_renew_pending_key(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn,
			   struct ukey_renew_key *k, int *found, struct ukey_err *e)
{
	unsigned char id[64];
	size_t id_len = 0;
	const char *find = ukey_journal_str(jn, "find_key");
	int removed = 0, ret;
	char note[160];

	*found = 0;
	if (ukey_unhex(ukey_journal_str(jn, "pending_key_id"), id, sizeof(id), &id_len) != 0)
		id_len = 0;
	ret = ukey_renew_key_find(p, s, id, id_len, NULL, k, found, e);
	if (ret == UKEY_E_OK && !*found && find[0] != '\0')
		ret = ukey_renew_key_find(p, s, NULL, 0, find, k, found, e);
	if (ret != UKEY_E_OK || *found)
		return ret;
	ukey_renew_key_free(k);
	ret = ukey_renew_pending_remove(p, s, id, id_len, find, &removed, e);
	if (ret == UKEY_E_OK && removed > 0) {
		snprintf(note, sizeof(note), "step 1: %d object(s) of a key pair cut short by an interruption removed",
			 removed);
		ukey_journal_note(jn, note);
	}
	return ret;
}
