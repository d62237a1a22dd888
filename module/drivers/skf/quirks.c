/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SKF driver's vendor quirks (quirks.h; docs/skf.md, "Quirks"): their
 * names, the `quirks =` syntax, what the driver finds at load, and where
 * each one acts. Most act here, once, on the table of function pointers:
 * a function the driver must not call is simply absent afterwards, and the
 * code that copes with an absent function (SKF_HAS) does the rest. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/quirks.h"
#include "drivers/skf/skf.h"
#include "util/log.h"

#define Q(k) UKEY_SKF_Q(UKEY_SKF_Q_##k)
#define SKF_SM2_1_VENDOR SGD_SM2_1     /* 0x00020100, most vendor headers */
#define SKF_SM2_1_TABLE 0x00020200u    /* the GM/T 0006 table's SGD_SM2_1 */
#define SKF_DEVINFO_ASYM_ALIGNED 204   /* AlgAsymCap with 2 bytes of padding before AlgSymCap */
#define QUIRK_WORD_MAX 40

static const char *const names[UKEY_SKF_NQUIRKS] = {
	[UKEY_SKF_Q_ULONG32] = "ulong32",
	[UKEY_SKF_Q_SM2_ID_0X20100] = "sm2-id-0x20100",
	[UKEY_SKF_Q_SM2_ID_0X20200] = "sm2-id-0x20200",
	[UKEY_SKF_Q_DEVINFO_ALIGNED] = "devinfo-aligned",
	[UKEY_SKF_Q_ECC_PRVKEY_DECRYPT] = "ecc-prvkey-decrypt",
	[UKEY_SKF_Q_NO_ECC_DECRYPT] = "no-ecc-decrypt",
	[UKEY_SKF_Q_NO_GEN_RANDOM] = "no-gen-random",
	[UKEY_SKF_Q_NO_ENUM_FILES] = "no-enum-files",
	[UKEY_SKF_Q_NO_CLEAR_SECURE_STATE] = "no-clear-secure-state",
	[UKEY_SKF_Q_NO_CONTAINER_TYPE] = "no-container-type",
	[UKEY_SKF_Q_NO_WAIT_FOR_DEV_EVENT] = "no-wait-for-dev-event",
};

/* Flags that cannot both be on: each pair names one fact two ways. */
static const struct {
	enum ukey_skf_quirk a, b;
} exclusive[] = {
	{ UKEY_SKF_Q_SM2_ID_0X20100, UKEY_SKF_Q_SM2_ID_0X20200 },
	{ UKEY_SKF_Q_ECC_PRVKEY_DECRYPT, UKEY_SKF_Q_NO_ECC_DECRYPT },
};

const char *ukey_skf_quirk_name(enum ukey_skf_quirk k)
{
	return (unsigned)k < UKEY_SKF_NQUIRKS ? names[k] : NULL;
}

static void known_list(char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (int k = 0; k < UKEY_SKF_NQUIRKS && used < len; k++) {
		int n = snprintf(out + used, len - used, "%s%s", k ? ", " : "", names[k]);
		used += n > 0 ? (size_t)n : 0;
	}
}

static int find_name(const char *word)
{
	for (int k = 0; k < UKEY_SKF_NQUIRKS; k++)
		if (strcasecmp(word, names[k]) == 0)
			return k;
	return -1;
}

/* One word of the value; its flag goes to forced_on or forced_off. */
static int parse_word(const char *word, struct ukey_skf_quirks *q, char *err, size_t errlen)
{
	bool off = word[0] == '!';
	const char *name = word + off;
	char known[300];
	int k = find_name(name);
	uint32_t bit, same, other;
	if (k < 0) {
		known_list(known, sizeof(known));
		snprintf(err, errlen, "unknown quirk '%s' (known: %s)", word, known);
		return -1;
	}
	bit = UKEY_SKF_Q(k);
	same = off ? q->forced_off : q->forced_on;
	other = off ? q->forced_on : q->forced_off;
	if (same & bit) {
		snprintf(err, errlen, "quirk '%s' is listed twice", word);
		return -1;
	}
	if (other & bit) {
		snprintf(err, errlen, "'%s' and '!%s' contradict each other", names[k], names[k]);
		return -1;
	}
	if (off) {
		q->forced_off |= bit;
		return 0;
	}
	for (size_t i = 0; i < sizeof(exclusive) / sizeof(exclusive[0]); i++) {
		enum ukey_skf_quirk mate = (int)exclusive[i].a == k   ? exclusive[i].b
					 : (int)exclusive[i].b == k ? exclusive[i].a
								    : UKEY_SKF_NQUIRKS;
		if (mate != UKEY_SKF_NQUIRKS && (q->forced_on & UKEY_SKF_Q(mate))) {
			snprintf(err, errlen, "'%s' and '%s' contradict each other", names[mate], names[k]);
			return -1;
		}
	}
	q->forced_on |= bit;
	return 0;
}

int ukey_skf_quirks_parse(const char *text, struct ukey_skf_quirks *q, char *err, size_t errlen)
{
	const char *p = text ? text : "";
	char word[QUIRK_WORD_MAX + 1];
	q->forced_on = q->forced_off = 0;
	err[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, ", \t");
		if (n == 0) {
			p++;
			continue;
		}
		if (n > QUIRK_WORD_MAX) {
			snprintf(err, errlen, "unknown quirk '%.*s...' (too long to be one)", QUIRK_WORD_MAX, p);
			return -1;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		if (strcmp(word, "!") == 0) {
			snprintf(err, errlen, "a '!' names no quirk (write '!NAME', without a blank)");
			return -1;
		}
		if (parse_word(word, q, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* Why a flag the library needs cannot be forced off; NULL when it can. */
static const char *needed_because(enum ukey_skf_quirk k)
{
	switch (k) {
	case UKEY_SKF_Q_ULONG32:
		return "this build's SKF types are 32-bit (common/gmt0016.h); a library with a 64-bit ULONG needs "
		       "a build with other types";
	case UKEY_SKF_Q_NO_ECC_DECRYPT:
		return "the library has no SKF_ECCDecrypt (and SKF_ECCPrvKeyDecrypt is absent or refused)";
	case UKEY_SKF_Q_NO_GEN_RANDOM:
		return "the library lacks SKF_GenRandom";
	case UKEY_SKF_Q_NO_ENUM_FILES:
		return "the library lacks SKF_EnumFiles";
	case UKEY_SKF_Q_NO_CLEAR_SECURE_STATE:
		return "the library lacks SKF_ClearSecureState";
	case UKEY_SKF_Q_NO_CONTAINER_TYPE:
		return "the library lacks SKF_GetContainerType";
	case UKEY_SKF_Q_NO_WAIT_FOR_DEV_EVENT:
		return "the library lacks SKF_WaitForDevEvent or SKF_CancelWaitForDevEvent";
	default:
		return NULL;
	}
}

int ukey_skf_quirks_resolve(struct ukey_skf_quirks *q, char *err, size_t errlen)
{
	uint32_t probed = q->probed;
	err[0] = '\0';
	if (q->forced_on & q->cannot_on & Q(ECC_PRVKEY_DECRYPT)) {
		snprintf(err, errlen, "quirk '%s' cannot hold: the library does not export SKF_ECCPrvKeyDecrypt",
			 names[UKEY_SKF_Q_ECC_PRVKEY_DECRYPT]);
		return -1;
	}
	/* The alias refused: a library that has only the alias has no
	 * decryption the driver may use. */
	if ((probed & Q(ECC_PRVKEY_DECRYPT)) && (q->forced_off & Q(ECC_PRVKEY_DECRYPT)))
		probed |= Q(NO_ECC_DECRYPT);
	/* A library numbers SM2 one way: ruling one id out names the other. */
	if ((q->forced_off & Q(SM2_ID_0X20100)) && (q->forced_off & Q(SM2_ID_0X20200))) {
		snprintf(err, errlen, "'!%s' and '!%s' leave no SM2 algorithm id to generate keys with",
			 names[UKEY_SKF_Q_SM2_ID_0X20100], names[UKEY_SKF_Q_SM2_ID_0X20200]);
		return -1;
	}
	if (q->forced_off & Q(SM2_ID_0X20100))
		q->forced_on |= Q(SM2_ID_0X20200);
	if (q->forced_off & Q(SM2_ID_0X20200))
		q->forced_on |= Q(SM2_ID_0X20100);
	for (int k = 0; k < UKEY_SKF_NQUIRKS; k++) {
		const char *why = needed_because((enum ukey_skf_quirk)k);
		if ((q->forced_off & probed & UKEY_SKF_Q(k)) && why) {
			snprintf(err, errlen, "'!%s' cannot hold: %s", names[k], why);
			return -1;
		}
	}
	q->on = (probed | q->forced_on) & ~q->forced_off;
	if (q->on & Q(NO_ECC_DECRYPT))
		q->on &= ~Q(ECC_PRVKEY_DECRYPT);   /* found, then ruled out */
	return 0;
}

size_t ukey_skf_quirks_sm2_ids(const struct ukey_skf_quirks *q, SKF_ULONG ids[2])
{
	if (ukey_skf_quirk(q, UKEY_SKF_Q_SM2_ID_0X20100)) {
		ids[0] = SKF_SM2_1_VENDOR;
		return 1;
	}
	if (ukey_skf_quirk(q, UKEY_SKF_Q_SM2_ID_0X20200)) {
		ids[0] = SKF_SM2_1_TABLE;
		return 1;
	}
	/* Not known: the vendor value first, the table's when it is refused. */
	ids[0] = SKF_SM2_1_VENDOR;
	ids[1] = SKF_SM2_1_TABLE;
	return 2;
}

SKF_ULONG ukey_skf_quirks_asym_cap(const struct ukey_skf_quirks *q, const SKF_DEVINFO *info)
{
	SKF_ULONG cap;
	if (!ukey_skf_quirk(q, UKEY_SKF_Q_DEVINFO_ALIGNED))
		return info->AlgAsymCap;
	_Static_assert(SKF_DEVINFO_ASYM_ALIGNED + sizeof(cap) <= sizeof(SKF_DEVINFO), "inside DEVINFO");
	memcpy(&cap, (const uint8_t *)info + SKF_DEVINFO_ASYM_ALIGNED, sizeof(cap));
	return cap;
}

void ukey_skf_quirks_describe(const struct ukey_skf_quirks *q, char *out, size_t len)
{
	size_t used = 0;
	SKF_ULONG ids[2];
	int n;
	out[0] = '\0';
	for (int k = 0; k < UKEY_SKF_NQUIRKS && used < len; k++) {
		if (!ukey_skf_quirk(q, (enum ukey_skf_quirk)k))
			continue;
		n = snprintf(out + used, len - used, "%s%s (%s)", used ? ", " : "", names[k],
			     q->forced_on & UKEY_SKF_Q(k) ? "configured"
			     : k == UKEY_SKF_Q_ULONG32  ? "build"
							: "found at load");
		used += n > 0 ? (size_t)n : 0;
	}
	if (used >= len)
		return;
	if (ukey_skf_quirks_sm2_ids(q, ids) == 2)
		snprintf(out + used, len - used, "; SM2 key generation asks 0x%08x, then 0x%08x", (unsigned)ids[0],
			 (unsigned)ids[1]);
	else
		snprintf(out + used, len - used, "; SM2 key generation asks 0x%08x", (unsigned)ids[0]);
}

/* ---- applied to a loaded library ---- */

CK_RV ukey_skf_quirks_apply(struct ukey_skf *s, const struct ukey_backend_conf *conf)
{
	struct ukey_skf_quirks *q = &s->q;
	char err[512], line[400];
	void *alias = dlsym(s->dl, "SKF_ECCPrvKeyDecrypt");
	memset(q, 0, sizeof(*q));
	if (ukey_skf_quirks_parse(conf->quirks, q, err, sizeof(err)) != 0)
		goto bad;
	q->probed = Q(ULONG32);
	if (!s->f.SKF_ECCDecrypt)
		q->probed |= alias ? Q(ECC_PRVKEY_DECRYPT) : Q(NO_ECC_DECRYPT);
	if (!alias)
		q->cannot_on |= Q(ECC_PRVKEY_DECRYPT);
	if (!s->f.SKF_GenRandom)
		q->probed |= Q(NO_GEN_RANDOM);
	if (!s->f.SKF_EnumFiles)
		q->probed |= Q(NO_ENUM_FILES);
	if (!s->f.SKF_ClearSecureState)
		q->probed |= Q(NO_CLEAR_SECURE_STATE);
	if (!s->f.SKF_GetContainerType)
		q->probed |= Q(NO_CONTAINER_TYPE);
	/* A wait that C_Finalize cannot cancel would keep the library busy
	 * forever: both functions or neither. */
	if (!s->f.SKF_WaitForDevEvent || !s->f.SKF_CancelWaitForDevEvent)
		q->probed |= Q(NO_WAIT_FOR_DEV_EVENT);
	if (ukey_skf_quirks_resolve(q, err, sizeof(err)) != 0)
		goto bad;
	/* What the driver may call, settled once: the code that copes with
	 * a missing function (SKF_HAS) needs to know no more. */
	if (ukey_skf_quirk(q, UKEY_SKF_Q_ECC_PRVKEY_DECRYPT))
		s->f.SKF_ECCDecrypt = (__typeof__(s->f.SKF_ECCDecrypt))alias;
	if (ukey_skf_quirk(q, UKEY_SKF_Q_NO_ECC_DECRYPT))
		s->f.SKF_ECCDecrypt = NULL;
	if (ukey_skf_quirk(q, UKEY_SKF_Q_NO_GEN_RANDOM))
		s->f.SKF_GenRandom = NULL;
	if (ukey_skf_quirk(q, UKEY_SKF_Q_NO_ENUM_FILES))
		s->f.SKF_EnumFiles = NULL;
	if (ukey_skf_quirk(q, UKEY_SKF_Q_NO_CLEAR_SECURE_STATE))
		s->f.SKF_ClearSecureState = NULL;
	if (ukey_skf_quirk(q, UKEY_SKF_Q_NO_CONTAINER_TYPE))
		s->f.SKF_GetContainerType = NULL;
	if (ukey_skf_quirk(q, UKEY_SKF_Q_NO_WAIT_FOR_DEV_EVENT)) {
		s->f.SKF_WaitForDevEvent = NULL;
		s->f.SKF_CancelWaitForDevEvent = NULL;
	}
	ukey_skf_quirks_describe(q, line, sizeof(line));
	ukey_debug("[backend %s]: SKF quirks in effect: %s", conf->name, line);
	return CKR_OK;
bad:
	ukey_error("%s: [backend %s]: quirks: %s", conf->file ? conf->file : "configuration", conf->name, err);
	return CKR_GENERAL_ERROR;
}
