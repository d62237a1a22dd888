/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * der.h: a bounds-checked DER TLV reader. The seal decoder walks the raw
 * bytes with it (instead of OpenSSL templates) so it can keep the signed
 * bytes exactly as written, tolerate the deviations of real seals and name
 * the element that is broken.
 */
#ifndef UKEY_SEAL_DER_H
#define UKEY_SEAL_DER_H

#include <stddef.h>

#define UKEY_DER_SEQUENCE 0x30
#define UKEY_DER_BOOLEAN 0x01
#define UKEY_DER_INTEGER 0x02
#define UKEY_DER_BIT_STRING 0x03
#define UKEY_DER_OCTET_STRING 0x04
#define UKEY_DER_NULL 0x05
#define UKEY_DER_OID 0x06
#define UKEY_DER_UTF8STRING 0x0c
#define UKEY_DER_PRINTABLESTRING 0x13
#define UKEY_DER_IA5STRING 0x16
#define UKEY_DER_UTCTIME 0x17
#define UKEY_DER_GENERALIZEDTIME 0x18

/* A cursor over the content of a constructed element. */
struct ukey_der {
	const unsigned char *p;
	size_t len;
};

struct ukey_der_tlv {
	unsigned int tag; /* the identifier octet (class, constructed bit, number) */
	const unsigned char *tlv; /* the whole element as written */
	size_t tlv_len;
	const unsigned char *val; /* its content */
	size_t len;
};

/* Reads the next element. 1 read, 0 no element left, -1 malformed (*why:
 * a static English phrase such as "truncated"). */
int ukey_der_next(struct ukey_der *cur, struct ukey_der_tlv *out, const char **why);

/* The content of tlv as a cursor. */
void ukey_der_enter(const struct ukey_der_tlv *tlv, struct ukey_der *cur);

/* A non-negative INTEGER that fits a long; -1 if not (negative or too big). */
int ukey_der_long(const struct ukey_der_tlv *tlv, long *out);

#endif
