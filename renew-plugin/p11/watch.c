/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* watch.c: keys inserted and removed while a front-end runs (ukey-renew.h,
 * "Keys coming and going"). Each slot event is turned into what changed in
 * that slot by comparing the token there with the one last seen: the module
 * reports one event for a removal and a re-insertion it saw as one, and
 * another key in the same slot is a removal and an insertion. */

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "ukey-base.h"
#include "p11.h"

#define POLL_US 1000000
#define MAX_SLOTS 256

struct seen {
	struct ukey_token_info t;
	int present;
};

struct watch {
	struct ukey_conn *p;
	int (*cb)(void *, enum ukey_token_change, const struct ukey_token_info *);
	void *arg;
	struct seen *slots;
	size_t n;
};

/* One watch per process: the stop request and whether the watch is inside
 * C_WaitForSlotEvent (only then is the module finalised to wake it). */
static atomic_int stop_asked, in_wait;

static struct seen *seen_of(struct watch *w, CK_SLOT_ID slot)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->slots[i].t.slot == slot)
			return &w->slots[i];
	if (w->n == MAX_SLOTS)
		return NULL;
	struct seen *grown = realloc(w->slots, (w->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	w->slots = grown;
	memset(&w->slots[w->n], 0, sizeof(w->slots[w->n]));
	w->slots[w->n].t.slot = slot;
	return &w->slots[w->n++];
}

/* The slot's token now (now->present 0 when there is none). */
static void look(struct watch *w, CK_SLOT_ID slot, struct seen *now)
{
	CK_SLOT_INFO si;
	struct ukey_err e;
	memset(now, 0, sizeof(*now));
	now->t.slot = slot;
	if (w->p->f->C_GetSlotInfo(slot, &si) != CKR_OK || !(si.flags & CKF_TOKEN_PRESENT))
		return;
	ukey_err_clear(&e);
	now->present = ukey_token_refresh(w->p, &now->t, &e) == UKEY_E_OK;
}

/* Tells what changed in the slot; nonzero when the callback says stop. */
static int settle(struct watch *w, CK_SLOT_ID slot)
{
	struct seen now, *was = seen_of(w, slot);
	int same, stop = 0;
	if (was == NULL)
		return 0;
	look(w, slot, &now);
	same = was->present && now.present && strcmp(was->t.serial, now.t.serial) == 0;
	if (was->present && !same)
		stop = w->cb(w->arg, UKEY_TOKEN_REMOVED, &was->t);
	if (!stop && now.present && !same)
		stop = w->cb(w->arg, UKEY_TOKEN_INSERTED, &now.t);
	*was = now;
	return stop;
}

/* A module whose wait cannot block: every slot, once a second. */
static int poll_once(struct watch *w, struct ukey_err *e)
{
	CK_SLOT_ID slots[MAX_SLOTS];
	CK_ULONG n = MAX_SLOTS;
	for (int i = 0; i < POLL_US / 50000; i++) {
		if (atomic_load(&stop_asked))
			return 0;
		usleep(50000);
	}
	CK_RV rv = w->p->f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK)
		return ukey_err_set(e, UKEY_E_TOKEN, _("cannot list the U-KEYs: %s"), ukey_p11_rv_name(rv));
	for (CK_ULONG i = 0; i < n; i++)
		(void)seen_of(w, slots[i]);
	for (size_t i = 0; i < w->n; i++)
		if (settle(w, w->slots[i].t.slot))
			return -1;
	return 0;
}

int ukey_token_watch(struct ukey_conn *p,
		     int (*cb)(void *arg, enum ukey_token_change what, const struct ukey_token_info *t), void *arg,
		     struct ukey_err *e)
{
	struct watch w = { p, cb, arg, NULL, 0 };
	struct ukey_token_info *list = NULL;
	size_t n = 0;
	int ret = ukey_token_list(p, &list, &n, e), polling = 0;
	for (size_t i = 0; ret == UKEY_E_OK && i < n; i++) {
		struct seen *s = seen_of(&w, list[i].slot);
		if (s != NULL) {
			s->t = list[i];
			s->present = 1;
		}
		if (cb(arg, UKEY_TOKEN_PRESENT, &list[i]))
			goto out;
	}
	if (ret == UKEY_E_OK && cb(arg, UKEY_TOKEN_WATCHING, NULL))
		goto out;
	while (ret == UKEY_E_OK && !atomic_load(&stop_asked)) {
		CK_SLOT_ID slot = 0;
		CK_RV rv;
		if (polling) {
			ret = poll_once(&w, e);
			continue;
		}
		/* Marked before the stop request is looked at: the stopper then
		 * sees either this mark (and wakes the wait) or we see its request. */
		atomic_store(&in_wait, 1);
		if (atomic_load(&stop_asked)) {
			atomic_store(&in_wait, 0);
			break;
		}
		rv = p->f->C_WaitForSlotEvent(0, &slot, NULL);
		atomic_store(&in_wait, 0);
		if (atomic_load(&stop_asked))
			break;
		if (rv == CKR_FUNCTION_NOT_SUPPORTED) {
			ukey_log(UKEY_LOG_DEBUG, "the module cannot wait for slot events: polling");
			polling = 1;
		} else if (rv == CKR_OK) {
			if (settle(&w, slot))
				break;
		} else if (rv != CKR_NO_EVENT) {
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("waiting for U-KEYs failed: %s"), ukey_p11_rv_name(rv));
		}
	}
	if (ret < 0)
		ret = UKEY_E_OK;
out:
	/* A stop asked before the watch began ended it at once; one asked
	 * after it ended is for no watch. */
	atomic_store(&stop_asked, 0);
	free(list);
	free(w.slots);
	return ret;
}

void ukey_token_watch_stop(struct ukey_conn *p)
{
	atomic_store(&stop_asked, 1);
	if (atomic_load(&in_wait) && p->initialized) {
		p->f->C_Finalize(NULL);
		p->initialized = 0;
	}
}
