/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal-build.h: hand-built seals for the seal tests: raw DER written byte by
 * byte so each deviation seen in real seals (docs/seals.md) can be produced
 * exactly, signed by a real maker key (SM2, EC or RSA).
 */
#ifndef UKEY_TEST_SEAL_BUILD_H
#define UKEY_TEST_SEAL_BUILD_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum sb_time { SB_GEN_Z, SB_UTC, SB_GEN_NO_Z, SB_GEN_2DIGIT };
enum sb_alg { SB_ALG_OID, SB_ALG_ID_NULL, SB_ALG_ID };

struct sb_opts {
	int shape; /* 1 (2014) or 4 (2020) */
	long version; /* header version as written */
	enum sb_time times;
	long type;
	long cert_list_type; /* 0: not written */
	int pad_name; /* NUL bytes after the name */
	int ext_critical_false; /* an ExtData with critical written as FALSE */
	enum sb_alg alg;
	int raw_sig; /* r||s instead of DER */
	int unused_bits; /* BIT STRING unused-bits count as written */
	int sign_other_form; /* sign the other shape's bytes (2020 over the 2014 SEQUENCE) */
	size_t cut_sig; /* drop this many bytes from the end of the signature */
	int no_cert_in_list; /* certList without the certificate */
	const unsigned char *cert_list_extra; /* DER entries appended to certList as written */
	size_t cert_list_extra_len;
	const char *label; /* picture type label */
	const unsigned char *pic;
	size_t pic_len;
	time_t created, from, to;
	EVP_PKEY *maker;
	X509 *maker_cert;
};

/* Defaults: shape 4, version 4, GeneralizedTime Z, type 1, a PNG picture,
 * valid from now - 1 day to now + 30 days; maker and maker_cert unset. */
void sb_defaults(struct sb_opts *o);
/* The 2014 shape seen in the wild: UTCTime, header version 1, and a
 * certList holding only entry (DER, e.g. an IA5String placeholder) instead
 * of the certificate. */
void sb_wild_2014(struct sb_opts *o, const unsigned char *entry, size_t len);
/* The seal DER (free()), NULL on failure. */
unsigned char *sb_build(const struct sb_opts *o, size_t *len);
/* "SM2", "EC" (P-256) or "RSA" (2048). */
EVP_PKEY *sb_key(const char *alg);
/* A self-signed maker certificate valid from not_before to not_after. */
X509 *sb_cert(EVP_PKEY *key, time_t not_before, time_t not_after);

#endif
