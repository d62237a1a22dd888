/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal-picture.c: the pictures of the reference service's seals, drawn by
 * code so that every run makes the same bytes: a round red seal (an outer
 * ring, a thin inner ring, a five-pointed star). Real seals carry pictures of
 * 5-200 KB; an organisation's seal here is a 24-bit BMP of 260 x 260 pixels
 * (202,854 bytes, the size of a bank receipt seal's BMP), any other an RGBA
 * PNG of 120 x 120 pixels with a transparent background (about 58 KB: its
 * zlib stream uses stored blocks, so no compressor is needed).
 */
#include "config.h"

#include "svc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BMP_SIDE 260
#define PNG_SIDE 120

/* Whether pixel (x, y) of a side x side picture is red. */
static int inked(int x, int y, int side)
{
	const double c = (side - 1) / 2.0, r = side / 2.0 - 2, pi = 3.14159265358979323846;
	double dx = x - c, dy = c - y, d = sqrt(dx * dx + dy * dy), px[10], py[10];
	int in = 0;

	if ((d <= r && d >= r * 0.9) || (d <= r * 0.82 && d >= r * 0.8))
		return 1;
	/* The star: a 10-vertex polygon, point inside by the even-odd rule. */
	for (int i = 0; i < 10; i++) {
		double a = pi / 2 + i * pi / 5, k = i % 2 ? r * 0.16 : r * 0.42;
		px[i] = k * cos(a);
		py[i] = k * sin(a);
	}
	for (int i = 0, j = 9; i < 10; j = i++)
		if ((py[i] > dy) != (py[j] > dy) &&
		    dx < (px[j] - px[i]) * (dy - py[i]) / (py[j] - py[i]) + px[i])
			in = !in;
	return in;
}

static void le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void be32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * (3 - i)));
}

static unsigned char *bmp(size_t *len)
{
	const size_t row = BMP_SIDE * 3, size = 54 + row * BMP_SIDE;
	unsigned char *b = calloc(1, size), *p;

	if (b == NULL)
		return NULL;
	b[0] = 'B';
	b[1] = 'M';
	le32(b + 2, (uint32_t)size);
	le32(b + 10, 54);
	le32(b + 14, 40); /* BITMAPINFOHEADER */
	le32(b + 18, BMP_SIDE);
	le32(b + 22, BMP_SIDE); /* positive: rows bottom-up */
	b[26] = 1;
	b[28] = 24;
	le32(b + 34, (uint32_t)(row * BMP_SIDE));
	le32(b + 38, 6500); /* 260 pixels over 40 mm */
	le32(b + 42, 6500);
	for (int y = 0; y < BMP_SIDE; y++) {
		p = b + 54 + row * (size_t)(BMP_SIDE - 1 - y);
		for (int x = 0; x < BMP_SIDE; x++, p += 3) {
			int red = inked(x, y, BMP_SIDE);
			p[0] = red ? 0x1a : 0xff; /* B, G, R */
			p[1] = red ? 0x1a : 0xff;
			p[2] = red ? 0xe6 : 0xff;
		}
	}
	*len = size;
	return b;
}

static uint32_t crc32_of(const unsigned char *p, size_t n, uint32_t crc)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

/* A PNG chunk at p: length, type, data, CRC over type and data. */
static size_t chunk(unsigned char *p, const char *type, const unsigned char *data, size_t n)
{
	be32(p, (uint32_t)n);
	memcpy(p + 4, type, 4);
	if (n)
		memcpy(p + 8, data, n);
	be32(p + 8 + n, crc32_of(p + 4, n + 4, 0));
	return n + 12;
}

static unsigned char *png(size_t *len)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a };
	const size_t row = 1 + PNG_SIDE * 4, raw_len = row * PNG_SIDE;
	const size_t blocks = (raw_len + 65534) / 65535, z_len = 2 + raw_len + 5 * blocks + 4;
	unsigned char *raw = calloc(1, raw_len), *z = malloc(z_len), *out = malloc(8 + 25 + z_len + 12 + 12);
	unsigned char ihdr[13] = { 0 }, *q;
	uint32_t a = 1, b = 0;
	size_t off = 0;

	if (raw == NULL || z == NULL || out == NULL) {
		free(raw);
		free(z);
		free(out);
		return NULL;
	}
	for (int y = 0; y < PNG_SIDE; y++) /* filter byte 0, then RGBA */
		for (int x = 0; x < PNG_SIDE; x++)
			if (inked(x, y, PNG_SIDE))
				memcpy(raw + row * (size_t)y + 1 + 4 * (size_t)x, "\xe6\x1a\x1a\xff", 4);
	q = z;
	*q++ = 0x78; /* zlib: deflate, 32 KiB window, no dictionary */
	*q++ = 0x01;
	while (off < raw_len) {
		size_t n = raw_len - off < 65535 ? raw_len - off : 65535;
		*q++ = off + n == raw_len; /* BFINAL, BTYPE 00: stored */
		*q++ = (unsigned char)n;
		*q++ = (unsigned char)(n >> 8);
		*q++ = (unsigned char)~n;
		*q++ = (unsigned char)(~n >> 8);
		memcpy(q, raw + off, n);
		q += n;
		off += n;
	}
	for (size_t i = 0; i < raw_len; i++) { /* Adler-32 of the raw data */
		a = (a + raw[i]) % 65521;
		b = (b + a) % 65521;
	}
	be32(q, b << 16 | a);
	be32(ihdr, PNG_SIDE);
	be32(ihdr + 4, PNG_SIDE);
	ihdr[8] = 8; /* bit depth */
	ihdr[9] = 6; /* RGBA */
	memcpy(out, sig, 8);
	off = 8 + chunk(out + 8, "IHDR", ihdr, sizeof(ihdr));
	off += chunk(out + off, "IDAT", z, z_len);
	off += chunk(out + off, "IEND", NULL, 0);
	free(raw);
	free(z);
	*len = off;
	return out;
}

static void le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

/* An OFD package: a zip (one stored entry, OFD.xml). Only its kind matters:
 * readers tell an OFD picture by its zip magic and cannot draw it. */
static unsigned char *ofd(size_t *len)
{
	static const char name[] = "OFD.xml";
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				  "<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\" Version=\"1.0\" DocType=\"OFD\"/>\n";
	const size_t nl = sizeof(name) - 1, dl = sizeof(xml) - 1, local = 30 + nl + dl, central = 46 + nl;
	unsigned char *b = calloc(1, local + central + 22), *c, *e;
	uint32_t crc = crc32_of((const unsigned char *)xml, dl, 0);

	if (b == NULL)
		return NULL;
	le32(b, 0x04034b50); /* version 1.0, stored, 1980-01-01 00:00 */
	le16(b + 4, 10);
	le16(b + 12, 0x21);
	le32(b + 14, crc);
	le32(b + 18, (uint32_t)dl);
	le32(b + 22, (uint32_t)dl);
	le16(b + 26, (uint16_t)nl);
	memcpy(b + 30, name, nl);
	memcpy(b + 30 + nl, xml, dl);
	c = b + local;
	le32(c, 0x02014b50);
	le16(c + 4, 20);
	le16(c + 6, 10);
	le16(c + 14, 0x21);
	le32(c + 16, crc);
	le32(c + 20, (uint32_t)dl);
	le32(c + 24, (uint32_t)dl);
	le16(c + 28, (uint16_t)nl);
	memcpy(c + 46, name, nl);
	e = c + central;
	le32(e, 0x06054b50);
	le16(e + 8, 1);
	le16(e + 10, 1);
	le32(e + 12, (uint32_t)central);
	le32(e + 16, (uint32_t)local);
	*len = local + central + 22;
	return b;
}

/* UKEY_CA_OFD_SEALS=1 (a test's choice): the seals of type 2 carry an OFD
 * package instead of a PNG, as some CAs' seals do. */
unsigned char *svc_seal_picture(long type, const char **label, size_t *len)
{
	const char *o = getenv("UKEY_CA_OFD_SEALS");

	*len = 0;
	if (type == 2 && o && strcmp(o, "1") == 0) {
		*label = "OFD";
		return ofd(len);
	}
	*label = type == 1 ? "BMP" : "PNG";
	return type == 1 ? bmp(len) : png(len);
}
