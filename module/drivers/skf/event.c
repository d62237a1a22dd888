/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The skf driver's device events (driver.h wait_event, cancel_wait):
 * SKF_WaitForDevEvent, woken by SKF_CancelWaitForDevEvent. Without either
 * function, or with the quirk no-wait-for-dev-event, there are none and
 * token/ polls SKF_EnumDev. */
#include "config.h"

#include <string.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "util/lock.h"
#include "util/log.h"

/* Room for a device name; a longer one still says "something changed". */
#define SKF_EVENT_NAME 256

/* A key pulled out may come back, or another take its name, before the next
 * SKF_EnumDev: the device the name stood for is done with now, so the
 * listing that follows gives whatever is there a new device id. Only the
 * flag is set: the device's lock may be held by a call on it. */
static void left(struct ukey_skf *s, const char *name)
{
	ukey_mutex_lock(&s->lock);
	for (struct skf_dev *d = s->devs; d; d = d->next)
		if (strcmp(d->name, name) == 0 && !__atomic_exchange_n(&d->gone, true, __ATOMIC_ACQ_REL))
			ukey_info("SKF device %s removed (device event)", name);
	ukey_mutex_unlock(&s->lock);
}

CK_RV ukey_skf_wait_event(void *drv)
{
	struct ukey_skf *s = drv;
	char name[SKF_EVENT_NAME + 1];
	SKF_ULONG len = SKF_EVENT_NAME, event = 0, raw;
	if (!SKF_HAS(s, SKF_WaitForDevEvent) || !SKF_HAS(s, SKF_CancelWaitForDevEvent))
		return CKR_FUNCTION_NOT_SUPPORTED;
	memset(name, 0, sizeof(name));
	/* No lock: the standard means this call to block in a thread of its
	 * own while the others use the library. */
	raw = s->f.SKF_WaitForDevEvent(name, &len, &event);
	if (raw == SAR_BUFFER_TOO_SMALL)
		return CKR_OK;
	if (raw != SAR_OK)
		return ukey_skf_map("SKF_WaitForDevEvent", raw);
	ukey_debug("SKF device event %u: %s", (unsigned)event, name);
	if (event == SKF_DEV_EVENT_REMOVED)
		left(s, name);
	return CKR_OK;
}

void ukey_skf_cancel_wait(void *drv)
{
	struct ukey_skf *s = drv;
	if (SKF_HAS(s, SKF_CancelWaitForDevEvent))
		(void)s->f.SKF_CancelWaitForDevEvent();
}
