/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text from outside -- the token (labels, serial numbers, seal names),
 * certificates (subjects, issuers), the CA service's answers (seal names,
 * types, ids, titles) -- made safe to print: a control character in it
 * would otherwise reach the terminal (an ESC sequence retitles the window,
 * recolours it, or rewrites what was printed above). Every such string is
 * printed through these, and nothing else. */
#ifndef UKEY_RENEW_TEXT_H
#define UKEY_RENEW_TEXT_H

#include <stddef.h>

/* Copies in to out (always NUL-terminated, cut at a character when out is
 * too small) with C0 controls and DEL as \xNN, C1 controls and the
 * bidirectional-override characters as \u{NNNN}, and each byte that is not
 * UTF-8 as \xNN. keep_newlines: '\n' passes (a message of ours that lists
 * lines), else it is \x0a too. Returns out. */
char *ukey_text_escape(const char *in, char *out, size_t outlen, int keep_newlines);
/* The same into one of a few per-thread buffers (1 KiB), for printf
 * arguments: the result stays valid for the next 7 calls on the thread.
 * NULL gives "". */
const char *ukey_tx(const char *in);
/* A JSON text (json-c's output) with DEL and the C1 controls as \u00NN and
 * bytes that are not UTF-8 as \ufffd: the same JSON value where it was
 * valid, and nothing a terminal would act on. json-c escapes C0 itself. */
char *ukey_text_json_safe(const char *json);

#endif
