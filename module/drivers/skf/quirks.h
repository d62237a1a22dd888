/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vendor quirks: each way a real SKF library departs from GM/T 0016 that
 * the driver copes with, as one named flag (docs/skf.md, "Quirks"). A
 * flag's default is what the driver finds at load (mostly: which functions
 * the library exports); a backend's `quirks =` line forces a flag on (NAME)
 * or off (!NAME). A new vendor difference gets its flag here, its probe and
 * its effect in quirks.c, and its row in docs/skf.md.
 *
 * The functions below are pure (no library, no log), so the unit tests
 * drive them directly; ukey_skf_quirks_apply (skf.h) applies them to a
 * loaded library. */
#ifndef UKEY_DRIVER_SKF_QUIRKS_H
#define UKEY_DRIVER_SKF_QUIRKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/skf/api.h"

enum ukey_skf_quirk {
	UKEY_SKF_Q_ULONG32,               /* ulong32: ULONG is 32-bit (this build's only layout) */
	UKEY_SKF_Q_SM2_ID_0X20100,        /* sm2-id-0x20100: SGD_SM2_1 is 0x00020100 only */
	UKEY_SKF_Q_SM2_ID_0X20200,        /* sm2-id-0x20200: SGD_SM2_1 is 0x00020200 only */
	UKEY_SKF_Q_DEVINFO_ALIGNED,       /* devinfo-aligned: DEVINFO's ULONGs naturally aligned */
	UKEY_SKF_Q_ECC_PRVKEY_DECRYPT,    /* ecc-prvkey-decrypt: SM2 decryption exported as SKF_ECCPrvKeyDecrypt */
	UKEY_SKF_Q_NO_ECC_DECRYPT,        /* no-ecc-decrypt */
	UKEY_SKF_Q_NO_GEN_RANDOM,         /* no-gen-random */
	UKEY_SKF_Q_NO_ENUM_FILES,         /* no-enum-files */
	UKEY_SKF_Q_NO_CLEAR_SECURE_STATE, /* no-clear-secure-state */
	UKEY_SKF_Q_NO_CONTAINER_TYPE,     /* no-container-type */
	UKEY_SKF_Q_NO_WAIT_FOR_DEV_EVENT, /* no-wait-for-dev-event: no device events, SKF_EnumDev is polled */
	UKEY_SKF_NQUIRKS
};
#define UKEY_SKF_Q(k) (1u << (k))

struct ukey_skf_quirks {
	uint32_t forced_on, forced_off;   /* what the configuration says */
	uint32_t probed;                  /* what the library showed at load */
	uint32_t cannot_on;               /* flags this library cannot have (a symbol is missing) */
	uint32_t on;                      /* in effect, after ukey_skf_quirks_resolve */
};

/* The flag's configuration name, or NULL past the end. */
const char *ukey_skf_quirk_name(enum ukey_skf_quirk k);

/* A `quirks =` value: names separated by commas or blanks, each forced on,
 * or off with a leading '!'; case does not matter. Fills forced_on and
 * forced_off. -1 with one line in err naming the word: unknown, listed
 * twice, or contradicting another. NULL or "" forces nothing. */
int ukey_skf_quirks_parse(const char *text, struct ukey_skf_quirks *q, char *err, size_t errlen);

/* q->on from probed, cannot_on and what was forced. -1 with one line in
 * err when a forced value cannot hold for this library (e.g.
 * "!no-ecc-decrypt" where the library has no SM2 decryption) or when no
 * SM2 algorithm id is left. */
int ukey_skf_quirks_resolve(struct ukey_skf_quirks *q, char *err, size_t errlen);

static inline bool ukey_skf_quirk(const struct ukey_skf_quirks *q, enum ukey_skf_quirk k)
{
	return (q->on & UKEY_SKF_Q(k)) != 0;
}

/* The algorithm ids SKF_GenECCKeyPair is asked with, in order (the next
 * only when the library refuses one); gives how many, 1 or 2. */
size_t ukey_skf_quirks_sm2_ids(const struct ukey_skf_quirks *q, SKF_ULONG ids[2]);

/* AlgAsymCap of a DEVINFO as the library filled it: at the packed offset
 * (202), or at the naturally aligned one (204) with devinfo-aligned. */
SKF_ULONG ukey_skf_quirks_asym_cap(const struct ukey_skf_quirks *q, const SKF_DEVINFO *info);

/* The flags in effect, each with where it comes from, and the SM2 ids, as
 * one line for the load log. */
void ukey_skf_quirks_describe(const struct ukey_skf_quirks *q, char *out, size_t len);

#endif
