/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The skf driver's file contents, read only when a caller asks for them.
 * A scan knows a file by SKF_GetFileInfo alone (name, size, rights). Its
 * CKA_APPLICATION says whether it is a GM/T 0031 seal, which only the
 * content tells: for that, its first UKEY_SKF_SEAL_HEAD bytes are read (one
 * APDU on a real key), and only when CKA_APPLICATION is asked for. Its
 * CKA_VALUE is read whole when asked for, starting after the head if that
 * was read already. Both stay in memory until the next scan (token/ caches
 * them too); a private file's, until logout. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "util/log.h"

/* Vendor libraries cap one read; 2 KiB is under every cap seen (docs/skf.md). */
#define SKF_FILE_CHUNK 2048

/* Reads [off, off + len) of f into buf, in chunks. */
static CK_RV read_range(struct ukey_skf *s, struct skf_dev *d, struct skf_file *f, size_t off, size_t len,
			uint8_t *buf, size_t *got)
{
	*got = 0;
	while (*got < len) {
		SKF_ULONG want = (SKF_ULONG)(len - *got), n;
		CK_RV rv;
		if (want > SKF_FILE_CHUNK)
			want = SKF_FILE_CHUNK;
		n = want;
		rv = ukey_skf_note_inlock(d, "SKF_ReadFile",
					  SKF_RAW(s, SKF_ReadFile, d->happ, f->name, (SKF_ULONG)(off + *got), want,
						  buf + *got, &n));
		if (rv != CKR_OK)
			return rv;
		if (n == 0 || n > want)
			break;   /* shorter than its size said: what there is */
		*got += n;
	}
	return CKR_OK;
}

static void classify(struct skf_file *f, const uint8_t *first, size_t n)
{
	f->seal = ukey_skf_is_seal_prefix(first, n < UKEY_SKF_SEAL_HEAD ? n : UKEY_SKF_SEAL_HEAD);
	f->sniffed = true;
}

CK_RV ukey_skf_file_sniff_inlock(struct ukey_skf *s, struct skf_dev *d, struct skf_file *f)
{
	size_t want = f->size < UKEY_SKF_SEAL_HEAD ? f->size : UKEY_SKF_SEAL_HEAD;
	CK_RV rv;
	if (f->sniffed)
		return CKR_OK;
	if (f->value) {
		classify(f, f->value, f->len);
		return CKR_OK;
	}
	rv = read_range(s, d, f, 0, want, f->head, &f->headlen);
	if (rv != CKR_OK) {
		f->headlen = 0;
		return rv;
	}
	classify(f, f->head, f->headlen);
	return CKR_OK;
}

CK_RV ukey_skf_file_load_inlock(struct ukey_skf *s, struct skf_dev *d, struct skf_file *f)
{
	uint8_t *v;
	size_t got = 0;
	CK_RV rv;
	if (f->value)
		return CKR_OK;
	v = calloc(1, f->size ? f->size : 1);
	if (!v)
		return CKR_HOST_MEMORY;
	memcpy(v, f->head, f->headlen);
	rv = f->headlen < f->size || !f->sniffed
		     ? read_range(s, d, f, f->headlen, f->size - f->headlen, v + f->headlen, &got)
		     : CKR_OK;
	if (rv != CKR_OK) {
		OPENSSL_clear_free(v, f->size ? f->size : 1);
		return rv;
	}
	f->value = v;
	/* Files are often created larger than what was written into them. */
	f->len = ukey_skf_der_trim(v, f->headlen + got);
	if (!f->sniffed)
		classify(f, f->value, f->len);
	return CKR_OK;
}

void ukey_skf_file_forget(struct skf_file *f)
{
	if (f->value)
		OPENSSL_clear_free(f->value, f->size ? f->size : 1);
	f->value = NULL;
	f->len = 0;
	OPENSSL_cleanse(f->head, sizeof(f->head));
	f->headlen = 0;
	f->sniffed = false;
	f->seal = false;
}
