/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict DER decoding through an OpenSSL ASN.1 template, for this
 * library's parsers. OpenSSL's decoder also takes some BER (a long-form
 * length that could be short, an indefinite length); re-encoding what it
 * read and comparing with the input makes the check DER's: one encoding
 * per value. */
#ifndef UKC_DER_STRICT_H
#define UKC_DER_STRICT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>

/* The value of type `it` that der holds, exactly len bytes of DER; NULL
 * with *why (when why is not NULL) otherwise. The caller's OpenSSL error
 * queue is left as it was: refusing bad input is not an error here. Free
 * with ASN1_item_free. */
ASN1_VALUE *ukc_der_decode(const ASN1_ITEM *it, const uint8_t *der, size_t len, const char **why);

#endif
