/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pdf.c: the invoice document, a small valid PDF 1.4 written by hand: one
 * page of Helvetica text and an Info dictionary (title in UTF-16BE, so a
 * Chinese title survives), with a correct cross-reference table.
 */
#include "config.h"

#include "svc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	if (b->p == NULL) {
		b->cap = 1024;
		b->p = malloc(b->cap);
		if (b->p == NULL) {
			b->err = 1;
			return;
		}
	}
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL) {
			b->err = 1;
			return;
		}
	}
}

/* A PDF literal string body: ASCII printable only, with escapes; other
 * bytes become '?' (the Info dictionary carries the exact text). */
static void put_literal(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '(' || c == ')' || c == '\\')
			put(b, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			put(b, "%c", c);
		else if ((c & 0xc0) != 0x80)
			put(b, "?");
	}
}

/* UTF-8 → UTF-16BE hex string with BOM, for the Info dictionary. */
static void put_utf16(struct buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp;

	put(b, "<FEFF");
	while (*u) {
		if (*u < 0x80) {
			cp = *u++;
		} else if ((*u & 0xe0) == 0xc0 && u[1]) {
			cp = ((u[0] & 0x1fu) << 6) | (u[1] & 0x3fu);
			u += 2;
		} else if ((*u & 0xf0) == 0xe0 && u[1] && u[2]) {
			cp = ((u[0] & 0x0fu) << 12) | ((u[1] & 0x3fu) << 6) | (u[2] & 0x3fu);
			u += 3;
		} else if ((*u & 0xf8) == 0xf0 && u[1] && u[2] && u[3]) {
			cp = ((u[0] & 0x07u) << 18) | ((u[1] & 0x3fu) << 12) |
			     ((u[2] & 0x3fu) << 6) | (u[3] & 0x3fu);
			u += 4;
		} else {
			cp = '?';
			u++;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put(b, "%04X%04X", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3ff));
		} else {
			put(b, "%04X", cp);
		}
	}
	put(b, ">");
}

char *svc_pdf_invoice(const char *id, const char *title, const char *tax, int64_t amount,
		      time_t issued, size_t *len)
{
	struct buf b = { 0 }, c = { 0 };
	size_t off[7];
	char date[32];
	struct tm tm;
	int i;

	gmtime_r(&issued, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	/* Page content stream. */
	put(&c, "BT /F1 18 Tf 72 760 Td (Invoice ");
	put_literal(&c, id);
	put(&c, ") Tj ET\nBT /F1 12 Tf 72 720 Td (Buyer: ");
	put_literal(&c, title);
	put(&c, ") Tj ET\nBT /F1 12 Tf 72 700 Td (Tax number: ");
	put_literal(&c, tax);
	put(&c, ") Tj ET\nBT /F1 12 Tf 72 680 Td (Amount: CNY %lld.%02lld) Tj ET\n",
	    (long long)(amount / 100), (long long)(amount % 100));
	put(&c, "BT /F1 12 Tf 72 660 Td (Issued: %s) Tj ET\n", date);
	put(&c, "BT /F1 10 Tf 72 620 Td (ukey-pkcs11 reference CA service - test document) Tj ET\n");
	if (c.err)
		goto fail;

	put(&b, "%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n");
	off[1] = b.len;
	put(&b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = b.len;
	put(&b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	off[3] = b.len;
	put(&b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
		" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>\nendobj\n");
	off[4] = b.len;
	put(&b, "4 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
		" /Encoding /WinAnsiEncoding >>\nendobj\n");
	off[5] = b.len;
	put(&b, "5 0 obj\n<< /Length %zu >>\nstream\n", c.len);
	if (!b.err) {
		put(&b, "%s", c.p);
		put(&b, "endstream\nendobj\n");
	}
	off[6] = b.len;
	put(&b, "6 0 obj\n<< /Title ");
	put_utf16(&b, title);
	put(&b, " /Subject (Invoice ");
	put_literal(&b, id);
	put(&b, ") /Producer (ukey-pkcs11 ca-service) >>\nendobj\n");
	{
		size_t xref = b.len;
		put(&b, "xref\n0 7\n0000000000 65535 f \n");
		for (i = 1; i <= 6; i++)
			put(&b, "%010zu 00000 n \n", off[i]);
		put(&b, "trailer\n<< /Size 7 /Root 1 0 R /Info 6 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
		    xref);
	}
	if (b.err)
		goto fail;
	free(c.p);
	*len = b.len;
	return b.p;
fail:
	free(b.p);
	free(c.p);
	return NULL;
}
