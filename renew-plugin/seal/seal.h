/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal.h: electronic seals (GM/T 0031-2014 and GB/T 38540-2020) decoded
 * tolerantly from their DER, and the maker's signature verified.
 *
 * The shape is told by the number of top-level elements (2 = 2014, 4 =
 * 2020), never by the header version. Accepted as found in real seals
 * (docs/seals.md): UTCTime or GeneralizedTime with or
 * without "Z", 2-digit years; any seal type; certListType 1, 2 or 3; NUL
 * padded names; explicit critical FALSE; the algorithm as an OID or an
 * AlgorithmIdentifier with or without NULL; signatures DER or raw r||s in a
 * BIT STRING with any unused-bits count; picture labels as hints only;
 * certList entries that are no certificate (kept aside in odd[]).
 * Verification works on the bytes as written, never on a re-encoding.
 */
#ifndef UKEY_SEAL_H
#define UKEY_SEAL_H

#include <stddef.h>
#include <time.h>

#include "base/err.h"

#define UKEY_SEAL_SM2_ID "1234567812345678"


enum ukey_seal_shape { UKEY_SEAL_2014 = 1, UKEY_SEAL_2020 = 4 };

enum ukey_seal_pic {
	UKEY_PIC_UNKNOWN = 0,
	UKEY_PIC_PNG,
	UKEY_PIC_GIF,
	UKEY_PIC_JPEG,
	UKEY_PIC_BMP,
	UKEY_PIC_SVG,
	UKEY_PIC_OFD, /* a zip package ("PK\3\4") */
};

struct ukey_seal_bytes {
	const unsigned char *p; /* points into the seal's own copy of the DER */
	size_t len;
};

/* A certList entry that is neither a certificate (OCTET STRING) nor a
 * digest (CertDigestObj), e.g. the IA5String placeholder of a 2014-shaped
 * seal seen in the wild. Reported, not fatal: the maker's signature does not
 * depend on it. */
struct ukey_seal_odd_entry {
	size_t index; /* 1-based position in certList */
	unsigned int tag; /* its DER identifier octet */
	char text[64]; /* a string entry's content (printable ASCII, others '?'), else "" */
};

struct ukey_seal {
	enum ukey_seal_shape shape;
	long header_version; /* as written (4 on some 2014-shaped seals) */
	char *vid; /* vendor id */
	char *es_id;
	long type; /* any value: 1 organisation, 2 personal, others seen */
	char *name; /* UTF-8, NUL padding stripped */
	time_t create_date, valid_start, valid_end;
	long cert_list_type; /* 2014 shape: 1 */
	size_t n_certs;
	struct ukey_seal_bytes *certs; /* DER certificates, or digest values */
	size_t n_odd;
	struct ukey_seal_odd_entry *odd; /* the other certList entries */
	struct {
		enum ukey_seal_pic sniffed;
		char *declared; /* the label as written, a hint */
		struct ukey_seal_bytes data;
		long width_mm, height_mm;
	} picture;
	size_t n_ext;
	struct ukey_seal_bytes maker_cert;
	char sig_alg[64]; /* dotted OID */
	struct ukey_seal_bytes signature; /* BIT STRING content, unused-bits byte skipped */
	int sig_unused_bits;
	/* The elements the maker signed, as written. */
	struct ukey_seal_bytes tbs_info, tbs_cert, tbs_alg;
	unsigned char *der;
	size_t der_len;
};

/* 0 and *out set, or -1 with err filled (code UKEY_E_ERROR, a translated
 * message naming the element; NULL err allowed). Never crashes on
 * arbitrary bytes. */
int ukey_seal_decode(const unsigned char *der, size_t len, struct ukey_seal **out,
		     struct ukey_err *err);
void ukey_seal_free(struct ukey_seal *seal);

/* Fills err (code UKEY_E_ERROR unless code given; NULL err allowed) and
 * returns -1: the seal code does not depend on libukey-renew's err.c. */
int ukey_seal_err_set(struct ukey_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

const char *ukey_seal_pic_ext(enum ukey_seal_pic pic); /* "png", "ofd"... "bin" */
/* "IA5String", "SEQUENCE"... for a DER identifier octet; "tag 0x.." else
 * (in a static buffer). */
const char *ukey_seal_tag_name(unsigned int tag);
enum ukey_seal_pic ukey_seal_pic_sniff(const unsigned char *p, size_t len);

/* Seal dates: UTCTime or GeneralizedTime, with or without Z, 2- or 4-digit
 * years, optional seconds and fraction. 0 ok, -1 not a date. */
int ukey_seal_time_parse(const unsigned char *s, size_t len, int generalized, time_t *out);

#define UKEY_SEAL_MAX_REASONS 8

enum ukey_seal_problem {
	UKEY_SEAL_BAD_SIGNATURE = 1 << 0, /* does not verify */
	UKEY_SEAL_SIG_TRUNCATED = 1 << 1, /* too short to be a signature */
	UKEY_SEAL_MAKER_CERT = 1 << 2, /* maker certificate unreadable */
	UKEY_SEAL_MAKER_EXPIRED = 1 << 3, /* expired before the seal was made */
	UKEY_SEAL_NOT_YET_VALID = 1 << 4,
	UKEY_SEAL_EXPIRED = 1 << 5,
	UKEY_SEAL_UNKNOWN_ALG = 1 << 6, /* algorithm does not match the key */
};

struct ukey_seal_result {
	int valid; /* 1 only when problems == 0 */
	int signature_ok; /* the maker's signature verified */
	unsigned int problems;
	int n_reasons;
	char reasons[UKEY_SEAL_MAX_REASONS][192]; /* translated */
};

/* Checks the maker's signature (bytes as written; SM2 with SM3 and the ID
 * above, ECDSA or RSA makers with SHA-256 or the algorithm's digest), the
 * validity window against now, and the maker certificate. Returns 0; every
 * problem found (even running out of memory) is in result. */
int ukey_seal_verify(const struct ukey_seal *seal, time_t now, struct ukey_seal_result *result);

#endif
