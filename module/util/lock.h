/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mutex helpers. A failed pthread call returns its error code (it does not
 * set errno), so it is reported from the return value. */
#ifndef UKEY_LOCK_H
#define UKEY_LOCK_H

#include <pthread.h>
#include <string.h>

#include "util/log.h"

static inline void ukey_mutex_lock(pthread_mutex_t *m)
{
	int e = pthread_mutex_lock(m);
	if (e)
		ukey_error("pthread_mutex_lock: %s", strerror(e));
}

static inline void ukey_mutex_unlock(pthread_mutex_t *m)
{
	int e = pthread_mutex_unlock(m);
	if (e)
		ukey_error("pthread_mutex_unlock: %s", strerror(e));
}

#endif
