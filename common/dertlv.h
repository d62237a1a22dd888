/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dertlv.h: DER elements one by one, read with OpenSSL's ASN1_get_object.
 * For readers that must keep the bytes exactly as written (what a seal's
 * maker signed), tolerate what real files get wrong and name the element
 * that is broken, where a d2i_ template would only say "no"; and for the
 * length of the element at the start of a buffer.
 */
#ifndef UKC_DERTLV_H
#define UKC_DERTLV_H

#include <stddef.h>

#include <openssl/asn1.h>

/* Identifier octets (class, constructed bit and number) of the universal
 * types the readers meet. */
#define UKC_DER_BOOLEAN V_ASN1_BOOLEAN
#define UKC_DER_INTEGER V_ASN1_INTEGER
#define UKC_DER_BIT_STRING V_ASN1_BIT_STRING
#define UKC_DER_OCTET_STRING V_ASN1_OCTET_STRING
#define UKC_DER_NULL V_ASN1_NULL
#define UKC_DER_OID V_ASN1_OBJECT
#define UKC_DER_UTF8STRING V_ASN1_UTF8STRING
#define UKC_DER_PRINTABLESTRING V_ASN1_PRINTABLESTRING
#define UKC_DER_T61STRING V_ASN1_T61STRING
#define UKC_DER_IA5STRING V_ASN1_IA5STRING
#define UKC_DER_UTCTIME V_ASN1_UTCTIME
#define UKC_DER_GENERALIZEDTIME V_ASN1_GENERALIZEDTIME
#define UKC_DER_VISIBLESTRING V_ASN1_VISIBLESTRING
#define UKC_DER_SEQUENCE (V_ASN1_CONSTRUCTED | V_ASN1_SEQUENCE)

/* Bytes as written, borrowed. */
struct ukc_bytes {
	const unsigned char *p;
	size_t len;
};

/* A cursor over the content of a constructed element. */
struct ukc_der {
	const unsigned char *p;
	size_t len;
};

struct ukc_der_tlv {
	unsigned int tag; /* the identifier octet */
	const unsigned char *tlv; /* the whole element as written */
	size_t tlv_len;
	const unsigned char *val; /* its content */
	size_t len;
};

/* Reads the next element. 1 read, 0 no element left, -1 malformed (*why: a
 * static English phrase such as "truncated (in the length)"). Refuses what
 * DER does not allow and what no token holds: multi-byte tags, indefinite
 * lengths, more than four length octets. */
int ukc_der_next(struct ukc_der *cur, struct ukc_der_tlv *out, const char **why);

/* The content of tlv as a cursor. */
void ukc_der_enter(const struct ukc_der_tlv *tlv, struct ukc_der *cur);

/* How many elements cur holds (cur itself is not moved): 0 with *n, or -1
 * (*why) when one of them is malformed. */
int ukc_der_count(struct ukc_der cur, size_t *n, const char **why);

/* An INTEGER's content as a long in 0..2^31-1 (leading zero octets
 * tolerated); -1 when negative, empty or larger. */
int ukc_der_uint31(const struct ukc_der_tlv *tlv, long *out);

/* The length (header and content) of the DER element at the start of buf,
 * whatever its size: -1 unless buf starts with a whole element of definite
 * length. Bytes after it are not looked at. */
long ukc_der_elem_len(const unsigned char *buf, size_t len);

/* A SEQUENCE of the n elements given as written: its DER, malloc'd (*len
 * bytes), or NULL. */
unsigned char *ukc_der_sequence(const struct ukc_bytes *parts, size_t n, size_t *len);

#endif
