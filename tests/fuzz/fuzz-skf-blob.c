/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* libFuzzer target for the SKF blob codecs (common/skfblob.c,
 * common/sm2cipher.c) and what the skf driver reads in device files
 * (module/drivers/skf/blob.c): the bytes a vendor library hands back are
 * untrusted. The first input byte picks the decoder, the rest is its input.
 * Besides "no crash, no sanitizer report" every successful decode is
 * encoded again and decoded again, and the results must agree (abort()
 * otherwise, which libFuzzer reports as a crash). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drivers/skf/blob.h"
#include "skfblob.h"
#include "sm2cipher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void fuzz_ecc_pub(const uint8_t *d, size_t n)
{
	uint8_t point[UKC_SKF_POINT_LEN], again[UKC_SKF_POINT_LEN], der[UKEY_SKF_EC_POINT_DER_LEN];
	SKF_ECCPUBLICKEYBLOB blob;
	bool left = false;
	const char *why = NULL;

	if (ukc_skf_ecc_pub_unpack(d, n, point, &left, &why) != 0) {
		check(why != NULL);
		return;
	}
	ukey_skf_ec_point_der(point, der);
	check(der[0] == 0x04 && der[1] == 0x41 && memcmp(der + 2, point, sizeof(point)) == 0);
	check(ukc_skf_ecc_pub_pack(point, sizeof(point), &blob) == 0);
	check(ukc_skf_ecc_pub_unpack((const uint8_t *)&blob, sizeof(blob), again, &left, NULL) == 0 && !left);
	check(memcmp(point, again, sizeof(point)) == 0);
}

static void fuzz_ecc_sig(const uint8_t *d, size_t n)
{
	SKF_ECCSIGNATUREBLOB sig, again;
	uint8_t rs[64];

	if (n < sizeof(sig))
		return;
	memcpy(&sig, d, sizeof(sig));
	if (ukc_skf_ecc_sig_unpack(&sig, rs, NULL) != 0)
		return;
	/* r and s sit right-aligned in their 64-byte fields, the rest is zero */
	ukc_skf_ecc_sig_pack(rs, &again);
	check(memcmp(&sig, &again, sizeof(sig)) == 0);
}

/* DER is canonical: the blob of a ciphertext gives back the same bytes. */
static void fuzz_cipher_der(const uint8_t *d, size_t n)
{
	SKF_ECCCIPHERBLOB *blob = NULL;
	uint8_t *der = NULL;
	size_t bloblen = 0, derlen = 0, plen = 0;
	int ok = ukc_sm2cipher_plain_len(d, n, &plen, NULL) == 0;

	if (ukc_sm2cipher_to_skf(d, n, &blob, &bloblen, NULL) != 0) {
		check(!ok || plen > 0xffffff);
		return;
	}
	check(ok && bloblen == SKF_ECCCIPHERBLOB_HEADER + plen && blob->CipherLen == plen);
	check(ukc_sm2cipher_from_skf(blob, bloblen, &der, &derlen, NULL) == 0);
	check(derlen == n && memcmp(der, d, n) == 0);
	OPENSSL_free(blob);
	OPENSSL_free(der);
}

static void fuzz_cipher_blob(const uint8_t *d, size_t n)
{
	SKF_ECCCIPHERBLOB *blob = NULL;
	uint8_t *der = NULL, *copy;
	size_t bloblen = 0, derlen = 0;

	/* an aligned copy: the encoder reads the struct's fields */
	copy = malloc(n ? n : 1);
	if (copy == NULL)
		return;
	memcpy(copy, d, n);
	if (ukc_sm2cipher_from_skf((const SKF_ECCCIPHERBLOB *)copy, n, &der, &derlen, NULL) == 0) {
		check(ukc_sm2cipher_to_skf(der, derlen, &blob, &bloblen, NULL) == 0);
		check(bloblen <= n && memcmp(blob, copy, bloblen) == 0);
		OPENSSL_free(blob);
		OPENSSL_free(der);
	}
	free(copy);
}

static void fuzz_rsa_pub(const uint8_t *d, size_t n)
{
	uint8_t mod[256], e[4], mod2[256], e2[4];
	size_t modlen = 0, elen = 0, modlen2 = 0, elen2 = 0;
	SKF_RSAPUBLICKEYBLOB blob;

	if (ukc_skf_rsa_pub_unpack(d, n, mod, &modlen, e, &elen, NULL, NULL) != 0)
		return;
	check(modlen >= 64 && modlen <= 256 && (mod[0] & 0x80) && elen >= 1 && elen <= 4);
	check(ukc_skf_rsa_pub_pack(mod, modlen, e, elen, &blob) == 0 && blob.BitLen == modlen * 8);
	check(ukc_skf_rsa_pub_unpack((const uint8_t *)&blob, sizeof(blob), mod2, &modlen2, e2, &elen2, NULL,
				     NULL) == 0);
	check(modlen2 == modlen && elen2 == elen && memcmp(mod, mod2, modlen) == 0 && memcmp(e, e2, elen) == 0);
}

static void fuzz_envelope_blob(const uint8_t *d, size_t n)
{
	uint8_t point[UKC_SKF_POINT_LEN], again[UKC_SKF_POINT_LEN], *out;
	const size_t at = offsetof(SKF_ENVELOPEDKEYBLOB, ECCCipherBlob);
	int rc = ukc_skf_envelope_unpack(d, n, point, NULL);

	check(rc == 0 || rc == 1 || rc == -1);
	if (rc != 0)
		return;
	check(n == UKC_SKF_ENVELOPE_LEN);
	out = malloc(2 * UKC_SKF_ENVELOPE_LEN);
	if (out == NULL)
		return;
	/* packed again from its parts, it unpacks to the same point */
	memcpy(out + UKC_SKF_ENVELOPE_LEN, d + at, n - at);
	check(ukc_skf_envelope_pack(d + offsetof(SKF_ENVELOPEDKEYBLOB, cbEncryptedPriKey), point,
				    (const SKF_ECCCIPHERBLOB *)(out + UKC_SKF_ENVELOPE_LEN), n - at, out) == 0);
	check(ukc_skf_envelope_unpack(out, n, again, NULL) == 0 && memcmp(point, again, sizeof(point)) == 0);
	check(memcmp(out + at, d + at, n - at) == 0);
	free(out);
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
	(void)ukc_skf_names_walk(buf, n, name_cb, &total);
	check(total <= n);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 7) {
	case 0: fuzz_ecc_pub(data + 1, size - 1); break;
	case 1: fuzz_ecc_sig(data + 1, size - 1); break;
	case 2: fuzz_cipher_der(data + 1, size - 1); break;
	case 3: fuzz_cipher_blob(data + 1, size - 1); break;
	case 4: fuzz_rsa_pub(data + 1, size - 1); break;
	case 6: fuzz_envelope_blob(data + 1, size - 1); break;
	default: fuzz_misc(data + 1, size - 1); break;
	}
	return 0;
}
