/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-seal.c: libFuzzer target for the seal decoder and verifier
 * (renew-plugin/seal): arbitrary bytes must be decoded or refused with a
 * message, never crash, and whatever decodes must verify without crashing. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seal/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ukey_seal *s = NULL;
	struct ukey_seal_result r;
	struct ukey_err e;

	if (ukey_seal_decode(data, size, &s, &e) != 0) {
		if (s != NULL || e.msg[0] == '\0')
			abort(); /* a refusal must say why and return nothing */
		return 0;
	}
	ukey_seal_verify(s, s->valid_start, &r);
	if (r.valid && r.problems != 0)
		abort();
	(void)ukey_seal_pic_ext(s->picture.sniffed);
	ukey_seal_free(s);
	return 0;
}
