/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* qr.c: the binding's QR code as an SVG made here (libqrencode, as `ukey
 * bind` prints it in the terminal): the page shows it as an image, with no
 * script and nothing fetched from elsewhere. One path of unit squares,
 * dark on white, with the standard quiet zone of 4 modules. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "assistant.h"

#define QUIET 4

char *asst_qr_svg(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	char *svg, *p;
	size_t cap;
	int w, size;

	if (q == NULL)
		return NULL;
	w = q->width;
	size = w + 2 * QUIET;
	/* Each dark module is "M%d %dh1v1h-1z" (at most 24 bytes). */
	cap = (size_t)w * (size_t)w * 24 + 512;
	svg = malloc(cap);
	if (svg == NULL) {
		QRcode_free(q);
		return NULL;
	}
	p = svg;
	p += snprintf(p, 512, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		      "shape-rendering=\"crispEdges\" role=\"img\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
		      "<path fill=\"#000\" d=\"", size, size, size, size);
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (q->data[y * w + x] & 1)
				p += snprintf(p, 32, "M%d %dh1v1h-1z", x + QUIET, y + QUIET);
	snprintf(p, 32, "\"/></svg>");
	QRcode_free(q);
	return svg;
}
