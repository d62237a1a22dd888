/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Retired signing pairs (docs/skf.md, "Destroy"). SKF deletes only whole
 * containers, and a container's encryption pair must outlive its signing
 * pair: old documents need the old encryption key. So destroying the
 * signing pair of a container that holds an encryption pair records it in
 * the application's files "ukey-retired", "ukey-retired.1", ... (one
 * record a line; read rights anyone, write rights user), and the scan no
 * longer lists that pair.
 *
 * The records are append-only: a file is created once and only ever
 * appended to (one short write at the end of its complete lines), never
 * rewritten or shortened, so a program killed in the middle leaves at worst
 * a cut-short last line (not taken as a record) or an empty new file. When
 * the last file is full, the next one is created. A record names the pair
 * by its container and the fingerprint of its signing public key
 * ("name\tFP"), so a new container that reuses the name is not hidden and
 * nothing ever needs removing. A bare "name" line (written by earlier
 * versions) retires whatever pair the container holds, until a later
 * "name\t-" line (appended when a new pair is generated there) ends it.
 * The files are the driver's bookkeeping, never data objects. A damaged
 * or oversized file is ignored with one warning naming it, and deleted at
 * the next retirement (it holds no record anyone can trust). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "hex.h"
#include "util/log.h"

#define SKF_RETIRED_MAX 4096u   /* the most a list file may hold */
#define SKF_RETIRED_SIZE 1024u  /* what a new file is created with */
#define SKF_RETIRED_CHUNK 2048u
#define SKF_RETIRED_FILES 16    /* "ukey-retired" and .1 ... .15 */
#define SKF_FP_HEX 16

int ukey_skf_retired_index(const char *name)
{
	size_t bl = strlen(UKEY_SKF_RETIRED_FILE);
	char *end;
	long k;

	if (strncmp(name, UKEY_SKF_RETIRED_FILE, bl) != 0)
		return -1;
	if (name[bl] == '\0')
		return 0;
	if (name[bl] != '.' || name[bl + 1] < '1' || name[bl + 1] > '9')
		return -1;
	k = strtol(name + bl + 1, &end, 10);
	return *end == '\0' && k < SKF_RETIRED_FILES ? (int)k : -1;
}

bool ukey_skf_retired_file(const char *name)
{
	return ukey_skf_retired_index(name) >= 0;
}

static void file_name(int k, char *out, size_t len)
{
	if (k == 0)
		snprintf(out, len, "%s", UKEY_SKF_RETIRED_FILE);
	else
		snprintf(out, len, "%s.%d", UKEY_SKF_RETIRED_FILE, k);
}

void ukey_skf_pair_fp(const struct skf_container *c, int usage, char out[SKF_FP_HEX + 1])
{
	const struct skf_pair *p = &c->pair[usage];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

	if (c->rsa)
		ok = ok && EVP_DigestUpdate(ctx, p->modulus, p->modlen) == 1 &&
		     EVP_DigestUpdate(ctx, p->exponent, p->explen) == 1;
	else
		ok = ok && EVP_DigestUpdate(ctx, p->point, sizeof(p->point)) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		memset(md, 0, sizeof(md));
	ukc_hex_encode(md, SKF_FP_HEX / 2, out, false);
}

/* Why line (len bytes, no '\n') is not a record, or NULL. */
static const char *bad_line(const char *line, size_t len)
{
	const char *tab = memchr(line, '\t', len);
	size_t nl = tab ? (size_t)(tab - line) : len;

	if (nl == 0 || nl > SKF_NAME_MAX)
		return "a name is empty or longer than 64 bytes";
	for (size_t i = 0; i < nl; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return "a control character";
	if (!tab)
		return NULL;
	if (len - nl - 1 == 1 && tab[1] == '-')
		return NULL;
	if (len - nl - 1 != SKF_FP_HEX)
		return "a bad fingerprint";
	return ukc_hex_is_lower(line + nl + 1, SKF_FP_HEX) ? NULL : "a bad fingerprint";
}

/* Why text (len bytes as read) is not a list, or NULL if it is: records
 * each ended by '\n', then only NUL bytes (files are created larger than
 * their content). A last line without its '\n' is an append cut short:
 * not a record, but no reason to distrust the records before it. */
static const char *bad_text(const char *text, size_t len)
{
	size_t used = strnlen(text, len), start = 0;

	for (size_t i = used; i < len; i++)
		if (text[i] != '\0')
			return "bytes after the list";
	for (size_t i = 0; i < used; i++)
		if (text[i] == '\n') {
			const char *why = bad_line(text + start, i - start);
			if (why)
				return why;
			start = i + 1;
		}
	for (size_t i = start; i < used; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\t')
			return "a control character";
	return used - start > SKF_NAME_MAX + 1 + SKF_FP_HEX ? "a name is longer than 64 bytes" : NULL;
}

/* Warns about a file once until the files read well again (a scan runs at
 * every object listing, and one line says enough). */
static void warn_bad(struct skf_dev *d, const char *name, const char *why, unsigned long size)
{
	if (d->retired_warned)
		return;
	d->retired_warned = true;
	ukey_warn("SKF device %s: file %s (%lu bytes) ignored: %s; the signing pairs it retired are listed again",
		  d->name, name, size, why);
}

struct rfile {
	bool present, usable;
	SKF_ULONG size;
	char *text;   /* its complete lines, NUL-terminated */
	size_t used;  /* strlen(text) */
	size_t torn;  /* bytes of a cut-short last line after them */
};

/* One file as it is. Only removal and memory are errors; a file that
 * cannot be read or is no list is present but not usable (warned). */
static CK_RV load_one(struct ukey_skf *s, struct skf_dev *d, int k, struct rfile *f, bool *bad)
{
	SKF_FILEATTRIBUTE fa;
	SKF_ULONG raw;
	size_t len = 0;
	const char *why = NULL;
	char name[40];

	memset(f, 0, sizeof(*f));
	memset(&fa, 0, sizeof(fa));
	file_name(k, name, sizeof(name));
	raw = SKF_RAW(s, SKF_GetFileInfo, d->happ, name, &fa);
	if (raw == SAR_DEVICE_REMOVED)
		return ukey_skf_note_inlock(d, "SKF_GetFileInfo", raw);
	if (raw != SAR_OK) {
		if (raw != SAR_FILE_NOT_EXIST)
			ukey_debug("SKF_GetFileInfo(%s): SAR 0x%08x", name, (unsigned)raw);
		return CKR_OK;
	}
	f->present = true;
	f->size = fa.FileSize;
	f->text = calloc(1, (fa.FileSize <= SKF_RETIRED_MAX ? fa.FileSize : 0) + 1);
	if (!f->text)
		return CKR_HOST_MEMORY;
	if (fa.FileSize > SKF_RETIRED_MAX)
		why = "larger than the 4096 bytes a list may hold";
	while (!why && len < fa.FileSize) {
		SKF_ULONG want = fa.FileSize - (SKF_ULONG)len, got;
		if (want > SKF_RETIRED_CHUNK)
			want = SKF_RETIRED_CHUNK;
		got = want;
		raw = SKF_RAW(s, SKF_ReadFile, d->happ, name, (SKF_ULONG)len, want, (SKF_BYTE *)f->text + len, &got);
		if (raw == SAR_DEVICE_REMOVED)
			return ukey_skf_note_inlock(d, "SKF_ReadFile", raw);
		if (raw != SAR_OK)
			why = "it cannot be read (read rights other than anyone?)";
		else if (got == 0 || got > want)
			why = "it reads shorter than its size";
		else
			len += got;
	}
	if (!why)
		why = bad_text(f->text, len);
	if (why) {
		warn_bad(d, name, why, (unsigned long)fa.FileSize);
		*bad = true;
		f->text[0] = '\0';
		return CKR_OK;
	}
	f->usable = true;
	f->used = strlen(f->text);
	{
		const char *e = strrchr(f->text, '\n');
		size_t complete = e ? (size_t)(e - f->text) + 1 : 0;
		f->torn = f->used - complete;
		f->used = complete;
		f->text[complete] = '\0';
	}
	if (f->torn)
		ukey_debug("SKF device %s: file %s ends in a cut-short record, ignored", d->name, name);
	return CKR_OK;
}

static void free_all(struct rfile *f)
{
	for (int k = 0; k < SKF_RETIRED_FILES; k++)
		free(f[k].text);
}

static void note_file(const char *name, void *arg)
{
	int k = ukey_skf_retired_index(name);
	if (k >= 0)
		((bool *)arg)[k] = true;
}

/* Every list file on the device (found by SKF_EnumFiles when the library
 * has it, else by name). */
static CK_RV load_all(struct ukey_skf *s, struct skf_dev *d, struct rfile *f)
{
	bool listed[SKF_RETIRED_FILES], bad = false;
	char *flist = NULL;
	size_t fsize = 0;
	CK_RV rv = CKR_OK;

	memset(f, 0, SKF_RETIRED_FILES * sizeof(*f));
	memset(listed, !SKF_HAS(s, SKF_EnumFiles), sizeof(listed));
	if (SKF_HAS(s, SKF_EnumFiles)) {
		rv = ukey_skf_enum_inlock(s, d, SKF_ENUM_FILE, &flist, &fsize);
		if (rv == CKR_OK)
			ukc_skf_names_walk(flist, fsize, note_file, listed);
		free(flist);
	}
	for (int k = 0; rv == CKR_OK && k < SKF_RETIRED_FILES; k++)
		if (listed[k])
			rv = load_one(s, d, k, &f[k], &bad);
	if (rv == CKR_OK && !bad)
		d->retired_warned = false;
	return rv;
}

CK_RV ukey_skf_retired_load_inlock(struct ukey_skf *s, struct skf_dev *d, char **records)
{
	struct rfile f[SKF_RETIRED_FILES];
	size_t total = 0;
	CK_RV rv = load_all(s, d, f);

	*records = NULL;
	for (int k = 0; rv == CKR_OK && k < SKF_RETIRED_FILES; k++)
		total += f[k].used;
	if (rv == CKR_OK && total > 0) {
		*records = calloc(1, total + 1);
		if (!*records)
			rv = CKR_HOST_MEMORY;
		for (int k = 0; *records && k < SKF_RETIRED_FILES; k++)
			if (f[k].used)
				strcat(*records, f[k].text);
	}
	free_all(f);
	return rv;
}

/* The last record for name in records: its fingerprint ("" for a bare
 * name, "-" for an ended one) copied to fp; false when there is none. */
static bool latest(const char *records, const char *name, char fp[SKF_FP_HEX + 1])
{
	size_t nl = strlen(name);
	bool found = false;

	for (const char *p = records; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t ll = e ? (size_t)(e - p) : strlen(p);
		if (ll >= nl && memcmp(p, name, nl) == 0 && (ll == nl || p[nl] == '\t')) {
			size_t fl = ll > nl ? ll - nl - 1 : 0;
			snprintf(fp, SKF_FP_HEX + 1, "%.*s", (int)fl, p + nl + 1);
			if (ll == nl)
				fp[0] = '\0';
			found = true;
		}
		p += ll + (e ? 1 : 0);
	}
	return found;
}

bool ukey_skf_retired_has(const char *records, const struct skf_container *c)
{
	char fp[SKF_FP_HEX + 1], mine[SKF_FP_HEX + 1];

	if (!latest(records, c->name, fp))
		return false;
	if (fp[0] == '\0')
		return true;   /* a bare name: the container's pair, whichever */
	ukey_skf_pair_fp(c, SKF_SIGN, mine);
	return strcmp(fp, mine) == 0;
}

static CK_RV write_at(struct ukey_skf *s, struct skf_dev *d, const char *name, SKF_ULONG off, const char *data,
		      size_t len)
{
	CK_RV rv = CKR_OK;
	for (size_t done = 0; rv == CKR_OK && done < len; done += SKF_RETIRED_CHUNK) {
		size_t chunk = len - done < SKF_RETIRED_CHUNK ? len - done : SKF_RETIRED_CHUNK;
		rv = ukey_skf_note_inlock(d, "SKF_WriteFile",
					  SKF_RAW(s, SKF_WriteFile, d->happ, name, off + (SKF_ULONG)done,
						  (const SKF_BYTE *)data + done, (SKF_ULONG)chunk));
	}
	return rv;
}

/* Appends line (ended by '\n') after the records of the last list file,
 * NUL-padded over a cut-short line; when it does not fit, into a new file
 * created for it. Damaged files are deleted first. */
static CK_RV append(struct ukey_skf *s, struct skf_dev *d, struct rfile *f, const char *line)
{
	size_t ll = strlen(line), wlen;
	int last = -1;
	char name[40], *buf;
	CK_RV rv = CKR_OK;

	for (int k = 0; rv == CKR_OK && k < SKF_RETIRED_FILES; k++) {
		if (f[k].present && !f[k].usable) {
			file_name(k, name, sizeof(name));
			rv = ukey_skf_note_inlock(d, "SKF_DeleteFile", SKF_RAW(s, SKF_DeleteFile, d->happ, name));
			if (rv == CKR_OK)
				ukey_info("SKF device %s: damaged file %s deleted", d->name, name);
			f[k].present = false;
		}
		if (f[k].present)
			last = k;
	}
	if (rv != CKR_OK)
		return rv;
	if (last < 0 || f[last].used + (ll > f[last].torn ? ll : f[last].torn) > f[last].size) {
		if (++last >= SKF_RETIRED_FILES) {
			ukey_warn("SKF device %s: the files %s are full", d->name, UKEY_SKF_RETIRED_FILE);
			return CKR_DEVICE_MEMORY;
		}
		file_name(last, name, sizeof(name));
		/* Created, then written: a kill between leaves an empty list. */
		rv = ukey_skf_note_inlock(d, "SKF_CreateFile",
					  SKF_RAW(s, SKF_CreateFile, d->happ, name, SKF_RETIRED_SIZE,
						  SKF_SECURE_ANYONE_ACCOUNT, SKF_SECURE_USER_ACCOUNT));
		if (rv != CKR_OK)
			return rv;
		free(f[last].text);   /* a damaged file's, deleted above */
		memset(&f[last], 0, sizeof(f[last]));
		f[last].present = f[last].usable = true;
		f[last].size = SKF_RETIRED_SIZE;
	}
	file_name(last, name, sizeof(name));
	wlen = ll > f[last].torn ? ll : f[last].torn;
	buf = calloc(1, wlen + 1);
	if (!buf)
		return CKR_HOST_MEMORY;
	memcpy(buf, line, ll);
	rv = write_at(s, d, name, (SKF_ULONG)f[last].used, buf, wlen);
	free(buf);
	return rv;
}

CK_RV ukey_skf_retire_inlock(struct ukey_skf *s, struct skf_dev *d, const struct skf_container *c)
{
	struct rfile f[SKF_RETIRED_FILES];
	char line[SKF_NAME_MAX + SKF_FP_HEX + 4], fp[SKF_FP_HEX + 1], *records = NULL;
	CK_RV rv = ukey_skf_retired_load_inlock(s, d, &records);

	if (rv == CKR_OK && ukey_skf_retired_has(records, c)) {
		free(records);
		return CKR_OK;   /* retired before (a run interrupted after this) */
	}
	free(records);
	if (rv == CKR_OK)
		rv = load_all(s, d, f);
	else
		memset(f, 0, sizeof(f));
	ukey_skf_pair_fp(c, SKF_SIGN, fp);
	snprintf(line, sizeof(line), "%s\t%s\n", c->name, fp);
	if (rv == CKR_OK)
		rv = append(s, d, f, line);
	d->retired_known = false;   /* the next scan reads the records again */
	if (rv == CKR_OK)
		ukey_info("SKF device %s: signing pair of container %s retired (its encryption pair stays)", d->name,
			  c->name);
	free_all(f);
	return rv;
}

CK_RV ukey_skf_retired_forget_inlock(struct ukey_skf *s, struct skf_dev *d, const char *name)
{
	struct rfile f[SKF_RETIRED_FILES];
	char fp[SKF_FP_HEX + 1], line[SKF_NAME_MAX + 4], *records = NULL;
	CK_RV rv;

	/* Only a bare name hides a new pair; a fingerprint never matches it.
	 * The records as the last scan read them (scan.c) hold none for
	 * name: nothing to read or write. */
	if (d->scanned && d->retired_known && (!latest(d->retired_names, name, fp) || fp[0] != '\0'))
		return CKR_OK;
	rv = ukey_skf_retired_load_inlock(s, d, &records);
	if (rv != CKR_OK || !latest(records, name, fp) || fp[0] != '\0') {
		free(records);
		return rv;
	}
	free(records);
	rv = load_all(s, d, f);
	snprintf(line, sizeof(line), "%s\t-\n", name);
	if (rv == CKR_OK)
		rv = append(s, d, f, line);
	d->retired_known = false;
	free_all(f);
	return rv;
}
