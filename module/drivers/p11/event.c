/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The p11 driver's device events (driver.h wait_event, cancel_wait): the
 * backend's own C_WaitForSlotEvent where it has one. PKCS#11 wakes a
 * blocked C_WaitForSlotEvent only by C_Finalize from another thread, so the
 * driver waits only on a backend it initialised itself: finalising a
 * library the host also uses is not ours to do. Otherwise, and on a backend
 * without blocking waits (SoftHSM answers CKR_FUNCTION_NOT_SUPPORTED),
 * token/ polls C_GetSlotList. */
#include "config.h"

#define UKEY_P11_INTERNAL
#include "drivers/p11/p11.h"
#include "util/log.h"

CK_RV ukey_p11_wait_event(void *drv)
{
	struct ukey_p11 *p = drv;
	CK_SLOT_ID slot = 0;
	CK_RV raw;
	if (!p->own || !p->f->C_WaitForSlotEvent)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if (__atomic_load_n(&p->cancelled, __ATOMIC_ACQUIRE))
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	raw = p->f->C_WaitForSlotEvent(0, &slot, NULL);
	if (raw == CKR_OK) {
		ukey_debug("backend %s: slot event in its slot %lu", p->library, (unsigned long)slot);
		return CKR_OK;
	}
	if (raw == CKR_FUNCTION_NOT_SUPPORTED || raw == CKR_NO_EVENT)
		return raw;
	return ukey_p11_map("C_WaitForSlotEvent", raw);
}

/* Called by C_Finalize's thread only, before unload; once is enough, as a
 * finalised backend answers every later wait at once. */
void ukey_p11_cancel_wait(void *drv)
{
	struct ukey_p11 *p = drv;
	CK_RV raw;
	if (!p->own || !p->finalize)
		return;
	__atomic_store_n(&p->cancelled, true, __ATOMIC_RELEASE);
	raw = UKEY_P11_RAW(p, C_Finalize, NULL);
	if (raw != CKR_OK)
		ukey_warn("backend %s: C_Finalize: rv 0x%lx", p->library, (unsigned long)raw);
	/* unload has nothing left to close: the backend closed it all. */
	p->finalize = false;
	p->finalized_early = true;
}
