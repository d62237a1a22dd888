/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* libFuzzer target for the envelope parser (common/envelope.c): an
 * envelope comes from the CA service, so the module checks it before the
 * token sees it. The first input byte picks the format (1-4, and 0, which
 * the parser does not know), the rest is the envelope. Besides "no crash,
 * no leak, no sanitizer report", what a successful parse gives must hold
 * (abort() otherwise, which libFuzzer reports as a crash). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

/* Reads every byte of a part (ASan reports a part that runs past its
 * buffer). */
static unsigned touch(const uint8_t *p, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ukc_envelope e;
	const char *why = NULL;
	volatile unsigned sink = 0;
	int format, rc;

	if (size < 1)
		return 0;
	format = data[0] % 5;
	rc = ukc_envelope_parse(format, data + 1, size - 1, &e, &why);
	check(rc == 0 || rc == 1 || rc == -1);
	check(rc == 0 || why != NULL);
	if (rc == 0) {
		check(format != 0 && e.format == format && e.pub != NULL);
		if (format == UKC_ENVELOPE_SM2_V1)
			check(size - 1 == UKC_SKF_ENVELOPE_LEN && e.point[0] == 0x04 && !e.key && !e.data);
		else
			check(e.key != NULL && e.key_len > 0 && e.data != NULL && e.data_len > 0);
		if (format == UKC_ENVELOPE_ECDH_AES_V1)
			check(e.key_len == UKC_SKF_POINT_LEN && e.key[0] == 0x04);
		if (format == UKC_ENVELOPE_SKF_RSA_V1)
			check(e.data_len % 16 == 0 && e.key_len >= 64);
		if (e.key)
			sink += touch(e.key, e.key_len);
		if (e.data)
			sink += touch(e.data, e.data_len);
	}
	(void)sink;
	ukc_envelope_clear(&e);
	return 0;
}
