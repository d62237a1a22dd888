/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nss-watch DBDIR MODULE: a long-running NSS consumer, as a browser is. It
 * opens the NSS database (which loads MODULE, added with modutil), says
 * "ready", and then waits for token events with SECMOD_WaitForAnyTokenEvent,
 * as Firefox's smart-card thread does. After each event it prints
 *   event SLOTID present|absent
 * and, for a present token, one line per certificate NSS finds on it
 *   cert SLOTID NICKNAME
 * then "done SLOTID". It runs until killed; tests/consumers/nss-hotplug.sh
 * inserts a virtual U-KEY after it started and reads what it saw. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <cert.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>
#include <secmod.h>

static void list_certs(PK11SlotInfo *slot)
{
	CK_SLOT_ID id = PK11_GetSlotID(slot);
	CERTCertList *certs = PK11_ListCertsInSlot(slot);
	for (CERTCertListNode *n = certs ? CERT_LIST_HEAD(certs) : NULL; n && !CERT_LIST_END(n, certs);
	     n = CERT_LIST_NEXT(n))
		printf("cert %lu %s\n", (unsigned long)id, n->cert->nickname ? n->cert->nickname : n->cert->subjectName);
	if (certs)
		CERT_DestroyCertList(certs);
	printf("done %lu\n", (unsigned long)id);
}

int main(int argc, char **argv)
{
	SECMODModule *mod;
	if (argc != 3) {
		fprintf(stderr, "usage: nss-watch DBDIR MODULE\n");
		return 2;
	}
	if (NSS_Initialize(argv[1], "", "", SECMOD_DB, NSS_INIT_READONLY) != SECSuccess) {
		fprintf(stderr, "nss-watch: NSS_Initialize(%s): error %d\n", argv[1], PR_GetError());
		return 1;
	}
	mod = SECMOD_FindModule(argv[2]);
	if (!mod) {
		fprintf(stderr, "nss-watch: no module %s in %s\n", argv[2], argv[1]);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	for (int errors = 0; errors < 20;) {
		PK11SlotInfo *slot = SECMOD_WaitForAnyTokenEvent(mod, 0, PR_SecondsToInterval(1));
		if (!slot) {
			/* SEC_ERROR_NO_EVENT: a polling round with nothing new. */
			if (PR_GetError() != SEC_ERROR_NO_EVENT) {
				fprintf(stderr, "nss-watch: SECMOD_WaitForAnyTokenEvent: error %d\n", PR_GetError());
				errors++;
			}
			continue;
		}
		PRBool present = PK11_IsPresent(slot);
		printf("event %lu %s\n", (unsigned long)PK11_GetSlotID(slot), present ? "present" : "absent");
		if (present)
			list_certs(slot);
		PK11_FreeSlot(slot);
	}
	SECMOD_DestroyModule(mod);
	NSS_Shutdown();
	return 1;
}
