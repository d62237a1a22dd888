/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-seals: the realistic seals bench-cost.sh puts on its U-KEYs.
 *
 *   bench-seals make DIR            writes DIR/seal-{1,2,3}.der: GM/T 0031
 *                                   seals (tests/unit/seal-build.c, signed by
 *                                   an SM2 maker key) whose pictures are a
 *                                   4,000-byte PNG, a 45,000-byte JPEG and a
 *                                   256x256 24-bit BMP (196,662 bytes): about
 *                                   250 KB together, what a CA's seal set on a
 *                                   real U-KEY weighs
 *   bench-seals put LIB SERIAL DIR  writes each .der file in DIR as a public
 *                                   CKO_DATA token object (CKA_APPLICATION
 *                                   "GM/T 0031 seal") on the token SERIAL of
 *                                   the PKCS#11 library LIB, logged in with
 *                                   the PIN in $BENCH_PIN (a test PIN)
 *
 * `put` exists because pkcs11-tool 0.23's --write-object cuts data objects
 * at 5,000 bytes; the SKF emulator's devices take the files as they are
 * (tools/ukey-vkey add-seals). */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "bench.h"
#include "ukey-pkcs11.h"
#include "../tests/unit/seal-build.h"

#define BMP_SIDE 256

/* A red ring on white, as a seal's picture looks. */
static unsigned char *bmp_make(size_t *len)
{
	size_t row = BMP_SIDE * 3, size = 54 + row * BMP_SIDE;
	unsigned char *b = calloc(1, size);
	if (!b)
		return NULL;
	b[0] = 'B';
	b[1] = 'M';
	for (int i = 0; i < 4; i++) {
		b[2 + i] = (unsigned char)(size >> (8 * i));
		b[18 + i] = (unsigned char)(BMP_SIDE >> (8 * i));
		b[22 + i] = (unsigned char)(BMP_SIDE >> (8 * i));
	}
	b[10] = 54;
	b[14] = 40;
	b[26] = 1;
	b[28] = 24;
	for (int y = 0; y < BMP_SIDE; y++)
		for (int x = 0; x < BMP_SIDE; x++) {
			long dx = x - BMP_SIDE / 2, dy = y - BMP_SIDE / 2, r2 = dx * dx + dy * dy;
			unsigned char *px = b + 54 + (size_t)y * row + (size_t)x * 3;
			bool ring = r2 >= 100L * 100 && r2 <= 116L * 116;
			px[0] = ring ? 0x20 : 0xff; /* B, G, R */
			px[1] = ring ? 0x20 : 0xff;
			px[2] = 0xff;
		}
	*len = size;
	return b;
}

/* A picture of `size` bytes starting with the format's magic: the seal
 * decoder only sniffs it. */
static unsigned char *pic_make(const unsigned char *magic, size_t mlen, size_t size)
{
	unsigned char *p = malloc(size);
	if (!p || RAND_bytes(p, (int)size) != 1) {
		free(p);
		return NULL;
	}
	memcpy(p, magic, mlen);
	return p;
}

static int make(const char *dir)
{
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a };
	static const unsigned char jpg[] = { 0xff, 0xd8, 0xff, 0xe0 };
	EVP_PKEY *key = sb_key("SM2");
	X509 *cert = key ? sb_cert(key, time(NULL) - 86400, time(NULL) + 365 * 86400) : NULL;
	int ret = cert ? 0 : -1;
	for (int i = 1; i <= 3 && ret == 0; i++) {
		struct sb_opts o;
		unsigned char *pic, *der;
		size_t plen = i == 1 ? 4000 : 45000, dlen = 0;
		char path[4096];
		FILE *f;
		sb_defaults(&o);
		o.maker = key;
		o.maker_cert = cert;
		o.to = time(NULL) + 365 * 86400;
		if (i == 3) {
			pic = bmp_make(&plen);
			o.label = "BMP";
		} else {
			pic = i == 1 ? pic_make(png, sizeof(png), plen) : pic_make(jpg, sizeof(jpg), plen);
			o.label = i == 1 ? "PNG" : "JPG";
		}
		o.pic = pic;
		o.pic_len = plen;
		der = pic ? sb_build(&o, &dlen) : NULL;
		snprintf(path, sizeof(path), "%s/seal-%d.der", dir, i);
		f = der ? fopen(path, "wb") : NULL;
		if (!f || fwrite(der, 1, dlen, f) != dlen || fclose(f) != 0) {
			fprintf(stderr, "bench-seals: cannot write %s\n", path);
			ret = -1;
		} else {
			printf("%s %zu\n", path, dlen);
		}
		free(pic);
		free(der);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return ret;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n)) && fread(b, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static int put(const char *lib, const char *serial, const char *dir)
{
	static const CK_OBJECT_CLASS cls = CKO_DATA;
	static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	const char *pin = getenv("BENCH_PIN");
	char err[512], path[4096];
	void *h = NULL;
	CK_FUNCTION_LIST *f = bench_p11_load(lib, &h, err, sizeof(err));
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	struct dirent *e;
	DIR *d = opendir(dir);
	CK_RV rv = CKR_GENERAL_ERROR;
	if (!f || !pin || !d) {
		fprintf(stderr, "bench-seals put: %s\n", !f ? err : !pin ? "BENCH_PIN is not set" : "no such directory");
		goto out;
	}
	rv = bench_p11_init_slot(f, serial, &slot);
	if (rv == CKR_OK)
		rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
	if (rv == CKR_OK)
		rv = bench_p11_login(f, s, pin);
	while (rv == CKR_OK && (e = readdir(d))) {
		size_t n = strlen(e->d_name), len = 0;
		unsigned char *v;
		CK_OBJECT_HANDLE o;
		if (n < 5 || strcmp(e->d_name + n - 4, ".der") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!(v = slurp(path, &len))) {
			rv = CKR_GENERAL_ERROR;
			break;
		}
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, (void *)&cls, sizeof(cls) },
			{ CKA_TOKEN, (void *)&yes, 1 },
			{ CKA_PRIVATE, (void *)&no, 1 },
			{ CKA_APPLICATION, (void *)UKEY_SEAL_APPLICATION, strlen(UKEY_SEAL_APPLICATION) },
			{ CKA_LABEL, e->d_name, n - 4 },
			{ CKA_VALUE, v, len },
		};
		rv = f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &o);
		free(v);
		if (rv == CKR_OK)
			printf("%s: %zu bytes\n", path, len);
	}
	if (rv != CKR_OK)
		fprintf(stderr, "bench-seals put: PKCS#11 error 0x%08lx\n", (unsigned long)rv);
	f->C_Finalize(NULL);
out:
	if (d)
		closedir(d);
	return rv == CKR_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "make") == 0)
		return make(argv[2]) == 0 ? 0 : 1;
	if (argc == 5 && strcmp(argv[1], "put") == 0)
		return put(argv[2], argv[3], argv[4]) == 0 ? 0 : 1;
	fprintf(stderr, "usage: bench-seals make DIR | put LIBRARY SERIAL DIR (PIN in $BENCH_PIN)\n");
	return 2;
}
