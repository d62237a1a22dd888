/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal-util.c: the lenient parts of seal decoding that need no ASN.1: dates
 * as real seals write them, picture bytes sniffed whatever the label, and
 * DER tags by name.
 */
#include "config.h"

#include "seal.h"
#include "dertlv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int digits(const unsigned char *s, size_t n, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Fills tm from a run of n digits read with a year of ylen digits. */
static int fields(const unsigned char *s, size_t n, int ylen, struct tm *tm)
{
	int y, mo, d, h, mi = 0, sec = 0;

	if (n < (size_t)ylen + 6 || digits(s, (size_t)ylen, &y) || digits(s + ylen, 2, &mo) ||
	    digits(s + ylen + 2, 2, &d) || digits(s + ylen + 4, 2, &h))
		return -1;
	s += ylen + 6;
	n -= (size_t)ylen + 6;
	if (n >= 2 && digits(s, 2, &mi))
		return -1;
	if (n >= 4 && digits(s + 2, 2, &sec))
		return -1;
	if (n != 0 && n != 2 && n != 4)
		return -1;
	if (ylen == 2)
		y += y < 50 ? 2000 : 1900;
	/* 60 seconds: a leap second as written. */
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec;
	return 0;
}

int ukey_seal_time_parse(const unsigned char *s, size_t len, int generalized, time_t *out)
{
	struct tm tm;
	size_t n = 0, i;
	int off = 0, oh, om;

	if (s == NULL)
		return -1;
	while (n < len && s[n] >= '0' && s[n] <= '9')
		n++;
	i = n;
	if (i < len && (s[i] == '.' || s[i] == ',')) /* a fraction: ignored */
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i < len && s[i] == 'Z') {
		i++;
	} else if (i + 5 <= len && (s[i] == '+' || s[i] == '-')) {
		if (digits(s + i + 1, 2, &oh) || digits(s + i + 3, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
		i += 5;
	}
	/* No zone at all (seen in real seals): taken as UTC. */
	if (i != len)
		return -1;
	if (!generalized) {
		if (fields(s, n, 2, &tm))
			return -1;
	} else if (fields(s, n, 4, &tm) || tm.tm_year < 50 || tm.tm_year > 249) {
		/* "YYYYMMDDhhmm" and "YYMMDDhhmmss" have the same length: a
		 * 2-digit year is taken when the 4-digit reading is no date or
		 * gives a year outside 1950-2149. */
		struct tm four = tm;
		int ok4 = fields(s, n, 4, &four) == 0;
		if (fields(s, n, 2, &tm) != 0) {
			if (!ok4)
				return -1;
			tm = four;
		}
	}
	*out = timegm(&tm) - off;
	return 0;
}

enum ukey_seal_pic ukey_seal_pic_sniff(const unsigned char *p, size_t len)
{
	static const unsigned char png[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a };
	size_t i = 0, lim;

	if (p == NULL)
		return UKEY_PIC_UNKNOWN;
	if (len >= 8 && memcmp(p, png, 8) == 0)
		return UKEY_PIC_PNG;
	if (len >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return UKEY_PIC_GIF;
	if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return UKEY_PIC_JPEG;
	if (len >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
		return UKEY_PIC_OFD;
	if (len >= 14 && p[0] == 'B' && p[1] == 'M')
		return UKEY_PIC_BMP;
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i < len && p[i] == '<') {
		/* XML: SVG if an <svg element starts within the first 4 KiB. */
		lim = len - i < 4096 ? len - i : 4096;
		for (; lim >= 4; lim--, i++)
			if (memcmp(p + i, "<svg", 4) == 0)
				return UKEY_PIC_SVG;
	}
	return UKEY_PIC_UNKNOWN;
}

const char *ukey_seal_pic_ext(enum ukey_seal_pic pic)
{
	switch (pic) {
	case UKEY_PIC_PNG: return "png";
	case UKEY_PIC_GIF: return "gif";
	case UKEY_PIC_JPEG: return "jpg";
	case UKEY_PIC_BMP: return "bmp";
	case UKEY_PIC_SVG: return "svg";
	case UKEY_PIC_OFD: return "ofd";
	default: return "bin";
	}
}

const char *ukey_seal_tag_name(unsigned int tag)
{
	static __thread char buf[16];

	switch (tag) {
	case UKC_DER_SEQUENCE: return "SEQUENCE";
	case UKC_DER_BOOLEAN: return "BOOLEAN";
	case UKC_DER_INTEGER: return "INTEGER";
	case UKC_DER_BIT_STRING: return "BIT STRING";
	case UKC_DER_OCTET_STRING: return "OCTET STRING";
	case UKC_DER_NULL: return "NULL";
	case UKC_DER_OID: return "OBJECT IDENTIFIER";
	case UKC_DER_UTF8STRING: return "UTF8String";
	case UKC_DER_PRINTABLESTRING: return "PrintableString";
	case UKC_DER_IA5STRING: return "IA5String";
	case UKC_DER_UTCTIME: return "UTCTime";
	case UKC_DER_GENERALIZEDTIME: return "GeneralizedTime";
	default:
		snprintf(buf, sizeof(buf), "tag 0x%02x", tag & 0xff);
		return buf;
	}
}

int ukey_seal_err_set(struct ukey_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	err->service_code[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}
