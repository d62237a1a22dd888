/* Retired signing pairs (docs/skf.md, "Destroy"). SKF deletes only whole
 * containers, and a container's encryption pair must outlive its signing
 * pair: old documents need the old encryption key. So destroying the
 * signing pair of a container that holds an encryption pair records the
 * container's name in the application's file "ukey-retired" (one name a
 * line; read rights anyone, write rights user), and the scan no longer
 * lists that container's signing certificate and keys. The file is the
 * driver's bookkeeping, never a data object. A damaged or oversized file
 * is ignored with one warning naming it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf.h"
#include "util/log.h"

#define SKF_RETIRED_MAX 4096u   /* some 60 names of the longest kind */
#define SKF_RETIRED_MIN 512u    /* the least a new file is created with */
#define SKF_RETIRED_CHUNK 2048u

bool ukey_skf_retired_file(const char *name)
{
	return strcmp(name, UKEY_SKF_RETIRED_FILE) == 0;
}

/* Why text (len bytes as read) is not a list of names, or NULL if it is:
 * names of 1..64 bytes without control characters, each ended by '\n',
 * then only NUL bytes (files are created larger than their content). A
 * last name without its '\n' is an append cut short: not a name, but no
 * reason to distrust the names before it (see complete()). */
static const char *bad_text(const char *text, size_t len)
{
	size_t used = strnlen(text, len), start = 0;
	for (size_t i = used; i < len; i++)
		if (text[i] != '\0')
			return "bytes after the list";
	for (size_t i = 0; i < used; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			if (i == start || i - start > SKF_NAME_MAX)
				return "a name is empty or longer than 64 bytes";
			start = i + 1;
		} else if (ch < 0x20 || ch == 0x7f) {
			return "a control character";
		}
	}
	return used - start > SKF_NAME_MAX ? "a name is longer than 64 bytes" : NULL;
}

/* The length of text's complete lines (up to its last '\n'). */
static size_t complete(const char *text)
{
	const char *e = strrchr(text, '\n');
	return e ? (size_t)(e - text) + 1 : 0;
}

/* Warns about the file once until it reads well again (a scan runs at
 * every object listing, and one line says enough). */
static void warn_bad(struct skf_dev *d, const char *why, unsigned long size)
{
	if (d->retired_warned)
		return;
	d->retired_warned = true;
	ukey_warn("SKF device %s: file %s (%lu bytes) ignored: %s; the signing pairs it retired are listed again",
		  d->name, UKEY_SKF_RETIRED_FILE, size, why);
}

/* The file as it is: *text (its complete lines, NUL-terminated,
 * malloc'ed; *torn = the bytes of a cut-short last line after them) and
 * *size (its SKF size), *text NULL when there is no file. *usable false
 * (and warned) when it cannot be read or is not a list. Only removal and
 * memory are errors. */
static CK_RV load(struct ukey_skf *s, struct skf_dev *d, char **text, SKF_ULONG *size, bool *usable,
		  size_t *torn)
{
	SKF_FILEATTRIBUTE fa;
	SKF_ULONG raw;
	size_t len = 0;
	const char *why = NULL;
	*text = NULL;
	*size = 0;
	*usable = false;
	*torn = 0;
	memset(&fa, 0, sizeof(fa));
	raw = SKF_RAW(s, SKF_GetFileInfo, d->happ, UKEY_SKF_RETIRED_FILE, &fa);
	if (raw == SAR_DEVICE_REMOVED)
		return ukey_skf_note_inlock(d, "SKF_GetFileInfo", raw);
	if (raw != SAR_OK) {
		if (raw != SAR_FILE_NOT_EXIST)
			ukey_debug("SKF_GetFileInfo(%s): SAR 0x%08x", UKEY_SKF_RETIRED_FILE, (unsigned)raw);
		d->retired_warned = false;
		return CKR_OK;
	}
	*size = fa.FileSize;
	*text = calloc(1, (fa.FileSize <= SKF_RETIRED_MAX ? fa.FileSize : 0) + 1);
	if (!*text)
		return CKR_HOST_MEMORY;
	if (fa.FileSize > SKF_RETIRED_MAX)
		why = "larger than the 4096 bytes a list may hold";
	while (!why && len < fa.FileSize) {
		SKF_ULONG want = fa.FileSize - (SKF_ULONG)len, got;
		if (want > SKF_RETIRED_CHUNK)
			want = SKF_RETIRED_CHUNK;
		got = want;
		raw = SKF_RAW(s, SKF_ReadFile, d->happ, UKEY_SKF_RETIRED_FILE, (SKF_ULONG)len, want,
			      (SKF_BYTE *)*text + len, &got);
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
		why = bad_text(*text, len);
	if (why) {
		warn_bad(d, why, (unsigned long)fa.FileSize);
		(*text)[0] = '\0';
		return CKR_OK;
	}
	d->retired_warned = false;
	*usable = true;
	len = complete(*text);
	*torn = strlen(*text) - len;
	if (*torn)
		ukey_debug("SKF device %s: file %s ends in a cut-short name, ignored", d->name,
			   UKEY_SKF_RETIRED_FILE);
	(*text)[len] = '\0';
	return CKR_OK;
}

/* The offset of name's line in text, or -1. */
static long line_of(const char *text, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		size_t ll = e ? (size_t)(e - p) : strlen(p);
		if (ll == nl && memcmp(p, name, nl) == 0)
			return (long)(p - text);
		p += ll + (e ? 1 : 0);
	}
	return -1;
}

CK_RV ukey_skf_retired_load_inlock(struct ukey_skf *s, struct skf_dev *d, char **names)
{
	SKF_ULONG size;
	bool usable;
	size_t torn;
	CK_RV rv = load(s, d, names, &size, &usable, &torn);
	if (rv != CKR_OK || !usable) {
		free(*names);
		*names = NULL;
	}
	return rv;
}

bool ukey_skf_retired_has(const char *names, const char *name)
{
	return names && line_of(names, name) >= 0;
}

static CK_RV write_at(struct ukey_skf *s, struct skf_dev *d, SKF_ULONG off, const char *data, size_t len)
{
	CK_RV rv = CKR_OK;
	d->retired_known = false;   /* the next scan reads the list again */
	for (size_t done = 0; rv == CKR_OK && done < len; done += SKF_RETIRED_CHUNK) {
		size_t chunk = len - done < SKF_RETIRED_CHUNK ? len - done : SKF_RETIRED_CHUNK;
		rv = ukey_skf_note_inlock(d, "SKF_WriteFile",
					  SKF_RAW(s, SKF_WriteFile, d->happ, UKEY_SKF_RETIRED_FILE,
						  off + (SKF_ULONG)done, (const SKF_BYTE *)data + done,
						  (SKF_ULONG)chunk));
	}
	return rv;
}

/* A new file holding text: the old one (damaged, or too small) deleted
 * first, since SKF files cannot grow. */
static CK_RV recreate(struct ukey_skf *s, struct skf_dev *d, bool exists, const char *text)
{
	size_t len = strlen(text);
	SKF_ULONG size = (SKF_ULONG)(len * 2 > SKF_RETIRED_MIN ? len * 2 : SKF_RETIRED_MIN);
	CK_RV rv = CKR_OK;
	d->retired_known = false;
	if (size > SKF_RETIRED_MAX)
		size = SKF_RETIRED_MAX;
	if (exists)
		rv = ukey_skf_note_inlock(d, "SKF_DeleteFile",
					  SKF_RAW(s, SKF_DeleteFile, d->happ, UKEY_SKF_RETIRED_FILE));
	if (rv == CKR_OK)
		rv = ukey_skf_note_inlock(d, "SKF_CreateFile",
					  SKF_RAW(s, SKF_CreateFile, d->happ, UKEY_SKF_RETIRED_FILE, size,
						  SKF_SECURE_ANYONE_ACCOUNT, SKF_SECURE_USER_ACCOUNT));
	if (rv == CKR_OK)
		rv = write_at(s, d, 0, text, len);
	return rv;
}

CK_RV ukey_skf_retire_inlock(struct ukey_skf *s, struct skf_dev *d, const char *name)
{
	char *text = NULL, *next = NULL;
	SKF_ULONG size = 0;
	bool usable = false;
	size_t used, nl = strlen(name), torn = 0, wlen;
	CK_RV rv = load(s, d, &text, &size, &usable, &torn);
	if (rv != CKR_OK)
		goto out;
	if (usable && line_of(text, name) >= 0)
		goto out;   /* retired before (a run interrupted after this) */
	used = usable ? strlen(text) : 0;
	if (used + nl + 1 > SKF_RETIRED_MAX) {
		ukey_warn("SKF device %s: file %s is full; the signing pair of %s is not retired", d->name,
			  UKEY_SKF_RETIRED_FILE, name);
		rv = CKR_DEVICE_MEMORY;
		goto out;
	}
	/* The new line, NUL-padded over a cut-short one. */
	wlen = nl + 1 > torn ? nl + 1 : torn;
	next = calloc(1, used + wlen + 1);
	if (!next) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	memcpy(next, usable ? text : "", used);
	memcpy(next + used, name, nl);
	next[used + nl] = '\n';
	/* Appending in place is one short write: a run killed in it leaves
	 * at worst a cut-short last line, which is not taken as a name. */
	if (usable && used + wlen <= size)
		rv = write_at(s, d, (SKF_ULONG)used, next + used, wlen);
	else
		rv = recreate(s, d, text != NULL, next);
	if (rv == CKR_OK)
		ukey_info("SKF device %s: signing pair of container %s retired (its encryption pair stays)",
			  d->name, name);
out:
	free(text);
	free(next);
	return rv;
}

CK_RV ukey_skf_retired_forget_inlock(struct ukey_skf *s, struct skf_dev *d, const char *name)
{
	char *text = NULL;
	SKF_ULONG size = 0;
	bool usable = false;
	long at;
	size_t used, nl = strlen(name), torn = 0;
	CK_RV rv;
	/* Not in the list as the last scan read it (skf-scan.c): nothing to do. */
	if (d->scanned && d->retired_known && !ukey_skf_retired_has(d->retired_names, name))
		return CKR_OK;
	rv = load(s, d, &text, &size, &usable, &torn);
	if (rv != CKR_OK || !usable || (at = line_of(text, name)) < 0)
		goto out;
	/* The list without that line, NUL-padded over the old length. */
	used = strlen(text);
	memmove(text + at, text + at + (long)nl + 1, used - (size_t)at - nl - 1);
	memset(text + used - nl - 1, 0, nl + 1);
	rv = write_at(s, d, 0, text, used);
out:
	free(text);
	return rv;
}
