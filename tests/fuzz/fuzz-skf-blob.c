/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* libFuzzer target for the SKF blob codecs (module/drivers/skf/blob.c): the
 * bytes a vendor library hands back are untrusted. The first input byte picks
 * the decoder, the rest is its input. Besides "no crash, no sanitizer report"
 * every successful decode is re-encoded and decoded again, and both results
 * must be equal (abort() otherwise, which libFuzzer reports as a crash). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/skf/blob.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Decoders log one line per rejected input: keep the fuzzer quiet. */
	setenv("UKEY_LOG", "off", 1);
	ukey_log_init();
	return 0;
}

static void check(int cond)
{
	if (!cond)
		abort();
}

static void fuzz_ecc_pub(const uint8_t *d, size_t n)
{
	uint8_t point[UKEY_SKF_POINT_LEN], again[UKEY_SKF_POINT_LEN], der[UKEY_SKF_EC_POINT_DER_LEN];
	SKF_ECCPUBLICKEYBLOB blob;

	if (ukey_skf_blob_ecc_pub_decode(d, n, point) != 0)
		return;
	ukey_skf_ec_point_der(point, der);
	check(der[0] == 0x04 && der[1] == 0x41 && memcmp(der + 2, point, sizeof(point)) == 0);
	check(ukey_skf_blob_ecc_pub_encode(point, sizeof(point), &blob) == 0);
	check(ukey_skf_blob_ecc_pub_decode((const uint8_t *)&blob, sizeof(blob), again) == 0);
	check(memcmp(point, again, sizeof(point)) == 0);
}

static void fuzz_ecc_sig(const uint8_t *d, size_t n)
{
	SKF_ECCSIGNATUREBLOB sig;
	uint8_t rs[64];

	if (n < sizeof(sig))
		return;
	memcpy(&sig, d, sizeof(sig));
	if (ukey_skf_blob_ecc_sig_decode(&sig, rs) != 0)
		return;
	/* r and s sit right-aligned in their 64-byte fields */
	check(memcmp(rs, sig.r + 32, 32) == 0 && memcmp(rs + 32, sig.s + 32, 32) == 0);
}

static void fuzz_cipher_der(const uint8_t *d, size_t n)
{
	SKF_ECCCIPHERBLOB *blob = NULL, *blob2 = NULL;
	uint8_t *der = NULL;
	size_t bloblen = 0, bloblen2 = 0, derlen = 0;

	if (ukey_skf_blob_cipher_from_der(d, n, &blob, &bloblen) != 0)
		return;
	check(bloblen >= SKF_ECCCIPHERBLOB_HEADER);
	check(ukey_skf_blob_cipher_to_der(blob, bloblen, &der, &derlen) == 0);
	check(ukey_skf_blob_cipher_from_der(der, derlen, &blob2, &bloblen2) == 0);
	check(bloblen == bloblen2 && memcmp(blob, blob2, bloblen) == 0);
	free(blob);
	free(blob2);
	free(der);
}

static void fuzz_cipher_blob(const uint8_t *d, size_t n)
{
	SKF_ECCCIPHERBLOB *blob = NULL;
	uint8_t *der = NULL, *copy;
	size_t bloblen = 0, derlen = 0;

	/* an aligned copy: the decoder reads the struct's fields */
	copy = malloc(n ? n : 1);
	if (copy == NULL)
		return;
	memcpy(copy, d, n);
	if (ukey_skf_blob_cipher_to_der((const SKF_ECCCIPHERBLOB *)copy, n, &der, &derlen) == 0) {
		check(ukey_skf_blob_cipher_from_der(der, derlen, &blob, &bloblen) == 0);
		free(blob);
		free(der);
	}
	free(copy);
}

static void fuzz_rsa_pub(const uint8_t *d, size_t n)
{
	uint8_t mod[256], e[4];
	size_t modlen = 0, elen = 0;

	if (ukey_skf_blob_rsa_pub_decode(d, n, mod, &modlen, e, &elen) != 0)
		return;
	check(modlen >= 64 && modlen <= 256 && (mod[0] & 0x80) && elen >= 1 && elen <= 4);
}

static void name_cb(const char *name, void *arg)
{
	size_t *total = arg;

	check(name[0] != '\0');
	*total += strlen(name);
}

static void fuzz_misc(const uint8_t *d, size_t n)
{
	char *buf = malloc(n + 1);
	size_t total = 0, trimmed;

	(void)ukey_skf_is_seal(d, n);
	(void)ukey_skf_is_seal_prefix(d, n);
	trimmed = ukey_skf_der_trim(d, n);
	check(trimmed <= n);
	if (buf == NULL)
		return;
	memcpy(buf, d, n);
	buf[n] = '\0';
	(void)ukey_skf_names_walk(buf, n, name_cb, &total);
	check(total <= n);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 6) {
	case 0: fuzz_ecc_pub(data + 1, size - 1); break;
	case 1: fuzz_ecc_sig(data + 1, size - 1); break;
	case 2: fuzz_cipher_der(data + 1, size - 1); break;
	case 3: fuzz_cipher_blob(data + 1, size - 1); break;
	case 4: fuzz_rsa_pub(data + 1, size - 1); break;
	default: fuzz_misc(data + 1, size - 1); break;
	}
	return 0;
}
