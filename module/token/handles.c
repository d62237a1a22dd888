/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Handles are appended in increasing order, so the table stays sorted and
 * lookup is a binary search. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "token/handles.h"

struct entry {
	CK_ULONG handle;
	enum ukey_handle_kind kind;
	void *ptr;
};

static struct entry *table;
static size_t used, cap;
static CK_ULONG next_handle = 0x100;

static struct entry *lookup(CK_ULONG h)
{
	size_t lo = 0, hi = used;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (table[mid].handle == h)
			return &table[mid];
		if (table[mid].handle < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

CK_ULONG ukey_handle_new_inlock(enum ukey_handle_kind kind, void *ptr)
{
	if (used == cap) {
		size_t ncap = cap ? cap * 2 : 64;
		struct entry *grown = realloc(table, ncap * sizeof(*grown));
		if (!grown)
			return 0;
		table = grown;
		cap = ncap;
	}
	table[used].handle = next_handle++;
	table[used].kind = kind;
	table[used].ptr = ptr;
	return table[used++].handle;
}

void *ukey_handle_get_inlock(CK_ULONG h, enum ukey_handle_kind kind)
{
	struct entry *e = lookup(h);
	return e && e->kind == kind ? e->ptr : NULL;
}

void ukey_handle_rebind_inlock(CK_ULONG h, void *ptr)
{
	struct entry *e = lookup(h);
	if (e)
		e->ptr = ptr;
}

void ukey_handle_drop_inlock(CK_ULONG h)
{
	struct entry *e = lookup(h);
	if (!e)
		return;
	size_t i = (size_t)(e - table);
	memmove(&table[i], &table[i + 1], (used - i - 1) * sizeof(*table));
	used--;
}

void ukey_handle_reset_inlock(void)
{
	free(table);
	table = NULL;
	used = cap = 0;
	/* Numbers keep increasing across re-initialisation: a handle from
	 * before C_Finalize never names something new. */
}
