/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Slot events (events.h). A backend that can tell when a device comes or
 * goes (SKF_WaitForDevEvent, a PKCS#11 library's own C_WaitForSlotEvent)
 * gets a thread that waits in its driver's wait_event and lists the
 * devices again when it returns; C_WaitForSlotEvent then sleeps until that
 * thread has something. A backend that cannot is polled once a second by
 * the waiters themselves, as are all backends every POLL_SAFETY seconds: a
 * device that came between the event thread's start and the backend's
 * first look is still seen. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "token/backend.h"
#include "token/events.h"
#include "token/model.h"
#include "token/slot.h"
#include "token/token.h"
#include "util/log.h"

#define POLL_S 1              /* a polled backend's period */
#define POLL_SAFETY 10        /* every backend's, event thread or not */
#define STOP_GRACE_MS 2000    /* a wait that ignores its cancel for longer is left behind */
#define BURST_MAX 20          /* events that change nothing in one second: a broken wait */

struct ukey_watcher {
	struct ukey_backend *b;
	pthread_t thread;
	bool started;             /* thread is a thread to join */
	bool stop;                /* __atomic: C_Finalize asks the thread to end */
	bool in_wait;             /* __atomic: inside the driver's wait_event */
	bool polling;             /* table lock: the thread ended, the backend is polled */
	bool stuck;               /* its wait did not return: leave the backend loaded */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Why the thread gives its backend over to polling, said once. */
static void fall_back(struct ukey_watcher *w, CK_RV rv, bool burst)
{
	if (rv == CKR_FUNCTION_NOT_SUPPORTED)
		ukey_debug("[backend %s]: no device events: polled every %d s", w->b->name, POLL_S);
	else if (burst)
		ukey_warn("[backend %s]: its device-event wait returns at once with nothing changed; polling instead "
			  "(an skf backend: quirk no-wait-for-dev-event)", w->b->name);
	else
		ukey_warn("[backend %s]: waiting for device events failed (0x%08lx); polling instead", w->b->name,
			  (unsigned long)rv);
	ukey_lock();
	w->polling = true;
	pthread_cond_broadcast(&ukey_M.event_cond);
	ukey_unlock();
}

/* The thread. After its wait returns it reads w alone until it has seen
 * that no stop was asked: a stuck thread's backend may be long gone. */
static void *watch_main(void *arg)
{
	struct ukey_watcher *w = arg;
	double window = now_s();
	unsigned empty = 0;
	for (;;) {
		__atomic_store_n(&w->in_wait, true, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&w->stop, __ATOMIC_SEQ_CST))
			break;
		CK_RV rv = ukey_be_wait_event(w->b);
		__atomic_store_n(&w->in_wait, false, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&w->stop, __ATOMIC_SEQ_CST))
			break;
		if (rv != CKR_OK && rv != CKR_NO_EVENT) {
			fall_back(w, rv, false);
			break;
		}
		bool changed = rv == CKR_OK && ukey_slots_refresh_backend_unlocked(w->b);
		if (changed) {
			ukey_lock();
			pthread_cond_broadcast(&ukey_M.event_cond);
			ukey_unlock();
			continue;
		}
		if (now_s() - window > 1.0) {
			window = now_s();
			empty = 0;
		}
		if (++empty > BURST_MAX) {
			fall_back(w, rv, true);
			break;
		}
	}
	return NULL;
}

/* Starts the event thread of each backend whose driver has wait_event.
 * Host signals are never delivered to it. */
static void start_watchers_inlock(void)
{
	sigset_t all, old;
	sigfillset(&all);
	for (size_t i = 0; i < ukey_M.nbackends; i++) {
		struct ukey_backend *b = &ukey_M.backends[i];
		if (b->watcher || !ukey_be_has_events(b))
			continue;
		struct ukey_watcher *w = calloc(1, sizeof(*w));
		if (!w)
			continue;
		w->b = b;
		pthread_sigmask(SIG_SETMASK, &all, &old);
		int err = pthread_create(&w->thread, NULL, watch_main, w);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		w->started = err == 0;
		w->polling = err != 0;
		if (err)
			ukey_warn("[backend %s]: no thread for device events (%d); polling", b->name, err);
		b->watcher = w;
		ukey_debug("[backend %s]: %s", b->name, err ? "polled" : "device-event thread started");
	}
}

/* True when b has a running event thread. */
static bool watched_inlock(const struct ukey_backend *b)
{
	return b->watcher && !b->watcher->polling;
}

/* One round of listings without the table lock: the backends without an
 * event thread, and all of them when full. */
static void poll_round(bool full)
{
	for (size_t i = 0; i < ukey_M.nbackends; i++) {
		struct ukey_backend *b = &ukey_M.backends[i];
		ukey_lock();
		bool skip = !full && watched_inlock(b);
		ukey_unlock();
		if (!skip)
			(void)ukey_slots_refresh_backend_unlocked(b);
	}
}

static struct ukey_slot *pending_event_inlock(void)
{
	for (size_t i = 0; i < ukey_M.nslots; i++)
		if (ukey_M.slots[i]->event_pending) {
			ukey_M.slots[i]->event_pending = false;
			return ukey_M.slots[i];
		}
	return NULL;
}

static bool all_watched_inlock(void)
{
	for (size_t i = 0; i < ukey_M.nbackends; i++)
		if (!watched_inlock(&ukey_M.backends[i]))
			return false;
	return true;
}

CK_RV ukey_slot_wait_event(CK_FLAGS flags, CK_SLOT_ID *id)
{
	CK_RV rv;
	double last_full = now_s();
	/* Counted as a waiter before the first listing: a C_Finalize in
	 * another thread then waits for this call to leave. */
	ukey_lock();
	if (!ukey_M.initialized) {
		ukey_unlock();
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	ukey_M.waiters++;
	ukey_unlock();
	ukey_slots_refresh_unlocked();
	ukey_lock();
	if (!(flags & CKF_DONT_BLOCK) && ukey_M.initialized)
		start_watchers_inlock();
	for (;;) {
		struct ukey_slot *slot = pending_event_inlock();
		if (slot) {
			*id = slot->id;
			rv = CKR_OK;
			break;
		}
		if (flags & CKF_DONT_BLOCK) {
			rv = CKR_NO_EVENT;
			break;
		}
		if (!ukey_M.initialized) {
			rv = CKR_CRYPTOKI_NOT_INITIALIZED;
			break;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += all_watched_inlock() ? POLL_SAFETY : POLL_S;
		pthread_cond_timedwait(&ukey_M.event_cond, &ukey_M.lock, &ts);
		if (!ukey_M.initialized) {
			rv = CKR_CRYPTOKI_NOT_INITIALIZED;
			break;
		}
		ukey_unlock();
		bool full = now_s() - last_full >= POLL_SAFETY;
		if (full)
			last_full = now_s();
		poll_round(full);
		ukey_lock();
	}
	ukey_M.waiters--;
	ukey_unlock();
	return rv;
}

/* Adds ms milliseconds to the realtime clock (pthread_timedjoin_np's). */
static struct timespec realtime_in(long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

static void stop_one(struct ukey_watcher *w)
{
	long waited = 0;
	__atomic_store_n(&w->stop, true, __ATOMIC_SEQ_CST);
	for (;;) {
		bool in_wait = __atomic_load_n(&w->in_wait, __ATOMIC_SEQ_CST);
		/* Again each round: a cancel that came before the thread
		 * entered its wait may have been lost. */
		if (in_wait)
			ukey_be_cancel_wait(w->b);
		struct timespec ts = realtime_in(100);
		int err = pthread_timedjoin_np(w->thread, NULL, &ts);
		if (err != ETIMEDOUT)
			return;
		/* Outside the wait the thread is listing devices: that ends. */
		if (in_wait && (waited += 100) >= STOP_GRACE_MS) {
			ukey_warn("[backend %s]: its device-event wait ignores the cancel; the library stays loaded",
				  w->b->name);
			pthread_detach(w->thread);
			w->stuck = true;
			return;
		}
	}
}

void ukey_events_stop_unlocked(bool exiting)
{
	for (size_t i = 0; i < ukey_M.nbackends; i++) {
		struct ukey_watcher *w = ukey_M.backends[i].watcher;
		if (!w || !w->started)
			continue;
		if (!exiting) {
			stop_one(w);
			continue;
		}
		/* Outside its wait the thread is listing devices: let it end. */
		__atomic_store_n(&w->stop, true, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&w->in_wait, __ATOMIC_SEQ_CST)) {
			pthread_join(w->thread, NULL);
			continue;
		}
		pthread_detach(w->thread);
		w->stuck = true;
	}
}

bool ukey_events_stuck(const struct ukey_backend *b)
{
	return b->watcher && b->watcher->stuck;
}

void ukey_events_forget(struct ukey_backend *b, bool in_child)
{
	if (b->watcher && (!b->watcher->stuck || in_child))
		free(b->watcher);
	b->watcher = NULL;
}
