/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The transcript a target writes: one "C name" line per case, one
 * "R n function rv output" line per call, "V text" for a broken rule of the
 * standard, "E" at the end of a case. Lines are written with write(2) as
 * they complete, so a crash leaves the case it happened in on record. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "conform.h"
#include "hex.h"

static void put_line(struct cf_ctx *c, const char *s, size_t n)
{
	fwrite(s, 1, n, c->out);
	fputc('\n', c->out);
	fflush(c->out);
}

static void flush_record(struct cf_ctx *c)
{
	if (c->len) {
		put_line(c, c->line, c->len);
		c->len = 0;
	}
}

static void appendv(struct cf_ctx *c, const char *fmt, va_list ap)
{
	size_t room = sizeof(c->line) - c->len;
	int n = vsnprintf(c->line + c->len, room, fmt, ap);
	if (n < 0)
		return;
	c->len += (size_t)n < room ? (size_t)n : room - 1;
	/* The transcript is line-based: keep the record on one line. */
	for (size_t i = 0; i < c->len; i++)
		if (c->line[i] == '\n')
			c->line[i] = ' ';
}

static void append(struct cf_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	appendv(c, fmt, ap);
	va_end(ap);
}

void cf_case_begin(struct cf_ctx *c, const char *name)
{
	flush_record(c);
	append(c, "C %s", name);
	flush_record(c);
}

void cf_case_end(struct cf_ctx *c)
{
	flush_record(c);
	put_line(c, "E", 1);
}

CK_RV cf_rec(struct cf_ctx *c, const char *fn, CK_RV rv)
{
	flush_record(c);
	c->calls++;
	append(c, "R %s %s", fn, cf_rv_name(rv));
	if (strncmp(fn, "C_", 2) == 0 && !cf_rv_legal(fn, rv)) {
		char save[sizeof(c->line)];
		size_t len = c->len;
		memcpy(save, c->line, len);
		c->len = 0;
		append(c, "V %s returned %s, which PKCS#11 2.40 does not list for it", fn, cf_rv_name(rv));
		flush_record(c);
		memcpy(c->line, save, len);
		c->len = len;
	}
	return rv;
}

void cf_out(struct cf_ctx *c, const char *fmt, ...)
{
	va_list ap;
	append(c, " ");
	va_start(ap, fmt);
	appendv(c, fmt, ap);
	va_end(ap);
}

void cf_violation(struct cf_ctx *c, const char *fmt, ...)
{
	char save[sizeof(c->line)];
	size_t len = c->len;
	va_list ap;
	memcpy(save, c->line, len);
	c->len = 0;
	append(c, "V ");
	va_start(ap, fmt);
	appendv(c, fmt, ap);
	va_end(ap);
	flush_record(c);
	memcpy(c->line, save, len);
	c->len = len;
}

void cf_out_len(struct cf_ctx *c, CK_ULONG len)
{
	if (len == CK_UNAVAILABLE_INFORMATION)
		cf_out(c, "len=unavailable");
	else
		cf_out(c, "len=%lu", (unsigned long)len);
}

void cf_out_bytes(struct cf_ctx *c, const void *p, CK_ULONG len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[17];
	if (len == CK_UNAVAILABLE_INFORMATION || !p) {
		cf_out_len(c, len);
		return;
	}
	if (!EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL))
		mdlen = 0;
	ukc_hex_encode(md, mdlen >= 8 ? 8 : 0, hex, false);
	cf_out(c, "len=%lu sha=%s", (unsigned long)len, hex);
}

/* One attribute of an object as text; "-" when it cannot be read. */
static void attr_text(struct cf_ctx *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		      bool text, char *out, size_t cap)
{
	unsigned char v[128];
	CK_ATTRIBUTE a = { type, v, sizeof(v) };
	snprintf(out, cap, "-");
	if (c->f->C_GetAttributeValue(s, h, &a, 1) != CKR_OK || a.ulValueLen > sizeof(v))
		return;
	if (text) {
		snprintf(out, cap, "'%.*s'", (int)a.ulValueLen, (const char *)v);
	} else if (a.ulValueLen == sizeof(CK_ULONG)) {
		CK_ULONG u;
		memcpy(&u, v, sizeof(u));
		snprintf(out, cap, "%lu", (unsigned long)u);
	} else if (2 * a.ulValueLen < cap) {
		ukc_hex_encode(v, a.ulValueLen, out, false);
	}
}

static void describe(struct cf_ctx *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, char *out, size_t cap)
{
	char cls[24], tok[8], priv[8], label[140], id[80];
	if (h == CK_INVALID_HANDLE) {
		snprintf(out, cap, "{none}");
		return;
	}
	attr_text(c, s, h, CKA_CLASS, false, cls, sizeof(cls));
	attr_text(c, s, h, CKA_TOKEN, false, tok, sizeof(tok));
	attr_text(c, s, h, CKA_PRIVATE, false, priv, sizeof(priv));
	attr_text(c, s, h, CKA_LABEL, true, label, sizeof(label));
	attr_text(c, s, h, CKA_ID, false, id, sizeof(id));
	snprintf(out, cap, "{class=%s token=%s private=%s label=%s id=%s}", cls, tok, priv, label, id);
}

void cf_out_object(struct cf_ctx *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h)
{
	char d[300];
	describe(c, s, h, d, sizeof(d));
	cf_out(c, "%s", d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cf_out_find(struct cf_ctx *c, CK_SESSION_HANDLE s, const CK_OBJECT_HANDLE *h, CK_ULONG n)
{
	char **d = calloc(n ? n : 1, sizeof(*d));
	cf_out(c, "found=%lu", (unsigned long)n);
	for (CK_ULONG i = 0; d && i < n; i++) {
		d[i] = malloc(300);
		if (d[i])
			describe(c, s, h[i], d[i], 300);
	}
	for (CK_ULONG i = 0; d && i < n; i++)
		if (!d[i])
			goto out;
	if (d)
		qsort(d, n, sizeof(*d), cmp_str);
	for (CK_ULONG i = 0; d && i < n; i++)
		cf_out(c, "%s", d[i]);
out:
	for (CK_ULONG i = 0; d && i < n; i++)
		free(d[i]);
	free(d);
}
