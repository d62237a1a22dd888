/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "emu.h"

/* Plug events: WaitForDevEvent polls the device list every 200 ms and
 * reports the first difference from the list it last reported, one event
 * per call (a change between two calls is not lost). The first call
 * snapshots the current list. CancelWaitForDevEvent wakes every waiter,
 * which returns SAR_NOT_EVENTERR; with nobody waiting it makes the next
 * call return at once. */
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cond = PTHREAD_COND_INITIALIZER;
static char known[EMU_MAX_NAMES][EMU_MAX_CONT_NAME + 1];
static int nknown = -1; /* -1: no snapshot yet */
static unsigned cancel_gen;
static int waiters, cancel_pending;

static int in_list(char names[][EMU_MAX_CONT_NAME + 1], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* Finds one change; applies it to the snapshot only if the name fits. */
static SKF_ULONG diff(char now[][EMU_MAX_CONT_NAME + 1], int n, SKF_CHAR *name, SKF_ULONG *len,
		      SKF_ULONG *event, int *found)
{
	const char *what = NULL;
	int idx = -1;
	SKF_ULONG ev = 0;

	for (int i = 0; i < n && !what; i++)
		if (in_list(known, nknown, now[i]) < 0) {
			what = now[i];
			ev = SKF_DEV_EVENT_INSERTED;
		}
	for (int i = 0; i < nknown && !what; i++)
		if (in_list(now, n, known[i]) < 0) {
			what = known[i];
			idx = i;
			ev = SKF_DEV_EVENT_REMOVED;
		}
	*found = what != NULL;
	if (!what)
		return SAR_OK;
	if (*len < strlen(what) + 1) {
		*len = (SKF_ULONG)(strlen(what) + 1);
		return SAR_BUFFER_TOO_SMALL;
	}
	strcpy(name, what);
	*len = (SKF_ULONG)(strlen(what) + 1);
	*event = ev;
	if (ev == SKF_DEV_EVENT_INSERTED && nknown < EMU_MAX_NAMES)
		strcpy(known[nknown++], what);
	else if (ev == SKF_DEV_EVENT_REMOVED)
		memmove(known[idx], known[idx + 1], (size_t)(nknown - idx - 1) * sizeof(known[0]));
	if (ev == SKF_DEV_EVENT_REMOVED)
		nknown--;
	return SAR_OK;
}

EMU_EXPORT SKF_ULONG SKF_WaitForDevEvent(SKF_CHAR *szDevName, SKF_ULONG *pulDevNameLen,
					 SKF_ULONG *pulEvent)
{
	char now[EMU_MAX_NAMES][EMU_MAX_CONT_NAME + 1];
	SKF_ULONG rv = SAR_OK;
	unsigned gen;
	int found = 0;

	if (!szDevName || !pulDevNameLen || !pulEvent)
		return SAR_INVALIDPARAMERR;
	pthread_mutex_lock(&ev_lock);
	if (nknown < 0)
		nknown = emu_scan(known, NULL, EMU_MAX_NAMES);
	if (cancel_pending) {
		cancel_pending = 0;
		pthread_mutex_unlock(&ev_lock);
		return SAR_NOT_EVENTERR;
	}
	gen = cancel_gen;
	waiters++;
	for (;;) {
		struct timespec ts;
		int n = emu_scan(now, NULL, EMU_MAX_NAMES);
		rv = diff(now, n, szDevName, pulDevNameLen, pulEvent, &found);
		if (found || rv != SAR_OK)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ev_cond, &ev_lock, &ts);
		if (gen != cancel_gen) {
			rv = SAR_NOT_EVENTERR;
			break;
		}
	}
	waiters--;
	pthread_mutex_unlock(&ev_lock);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_CancelWaitForDevEvent(void)
{
	pthread_mutex_lock(&ev_lock);
	cancel_gen++;
	if (waiters == 0)
		cancel_pending = 1;
	pthread_cond_broadcast(&ev_cond);
	pthread_mutex_unlock(&ev_lock);
	return SAR_OK;
}
