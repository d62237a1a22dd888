/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* generation.c: the cross-process change notice of a token's inventory
 * (docs/architecture.md, "The inventory cache"). */
#ifndef UKEY_TOKEN_GENERATION_H
#define UKEY_TOKEN_GENERATION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Identity of the generation file. */
struct ukey_gen_stamp {
	dev_t dev;
	ino_t ino;
	int64_t sec;
	long nsec;
	bool valid;
};

struct ukey_slot;

/* The generation file's identity now; valid false when it is absent. */
void ukey_generation_read(const char *serial, struct ukey_gen_stamp *g);
/* After a write through this process: replaces the file and records the new
 * stamp, unless another process changed the token since the cache was
 * loaded (then the next check reloads). */
void ukey_generation_note_write_unlocked(struct ukey_slot *slot);
/* True when the stamp moved since `slot`'s last load (updates nothing);
 * table lock held. */
bool ukey_generation_changed(struct ukey_slot *slot);

#endif
