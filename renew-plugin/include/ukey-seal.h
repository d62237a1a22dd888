/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libukey-renew's public header, first floor (front-ends include
 * ukey-renew.h, which includes this): GM/T 0031 seals as files -- decoded,
 * verified -- and the seal-cleaning rules. The seal library (libukeyseal)
 * implements it; it needs OpenSSL and json-c inside, no PKCS#11 and no
 * service, and its header needs nothing but ukey-base.h. */
#ifndef UKEY_SEAL_PUBLIC_H
#define UKEY_SEAL_PUBLIC_H

#include <stddef.h>
#include <time.h>

#include "ukey-base.h"

/* --- Seals -----------------------------------------------------------------
 * Electronic seals (GM/T 0031-2014 and GB/T 38540-2020) decoded tolerantly
 * from their DER, and the maker's signature verified.
 *
 * The shape is told by the number of top-level elements (2 = 2014, 4 =
 * 2020), never by the header version. Accepted as found in real seals
 * (docs/seals.md): UTCTime or GeneralizedTime with or without "Z", 2-digit
 * years; any seal type; certListType 1, 2 or 3; NUL padded names; explicit
 * critical FALSE; the algorithm as an OID or an AlgorithmIdentifier with or
 * without NULL; signatures DER or raw r||s in a BIT STRING with any
 * unused-bits count; picture labels as hints only; certList entries that
 * are no certificate (kept aside in odd[]). Verification works on the
 * bytes as written, never on a re-encoding. */
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

const char *ukey_seal_pic_ext(enum ukey_seal_pic pic); /* "png", "ofd"... "bin" */
/* "IA5String", "SEQUENCE"... for a DER identifier octet; "tag 0x.." else
 * (in a static buffer). */
const char *ukey_seal_tag_name(unsigned int tag);

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
 * 1234567812345678, ECDSA or RSA makers with SHA-256 or the algorithm's
 * digest), the validity window against now, and the maker certificate.
 * Returns 0; every problem found (even running out of memory) is in
 * result. */
int ukey_seal_verify(const struct ukey_seal *seal, time_t now, struct ukey_seal_result *result);

/* --- Seal cleaning ---------------------------------------------------------
 * The guide's "印章数据存在异常" page: the service's seal list, a plan (per
 * seal: keep with a type, or drop), the four rules checked exactly as
 * docs/protocol.md states them, an automatic plan, and the JSON both ways.
 * Pure: no I/O. */
struct ukey_clean_seal {
	char *id, *es_id, *sha256, *name;
	long type;
	int usable; /* "unusable": a duplicate awaiting cleaning, cannot be chosen */
	time_t valid_from, valid_to;
};

struct ukey_clean_type {
	long type;
	char *name;
};

struct ukey_clean_list {
	int abnormal; /* state "abnormal" */
	struct ukey_clean_seal *seals;
	size_t n_seals;
	struct ukey_clean_type *types;
	size_t n_types;
};

enum ukey_clean_action { UKEY_CLEAN_KEEP = 1, UKEY_CLEAN_DROP = 2 };

struct ukey_clean_decision {
	char *id;
	enum ukey_clean_action action;
	int has_type;
	long type;
};

struct ukey_clean_plan {
	struct ukey_clean_decision *d;
	size_t n;
};

/* In the order the service checks them (protocol.md). */
enum ukey_clean_rule {
	UKEY_RULE_DUPLICATE_DECISION, /* bad_request */
	UKEY_RULE_NOT_FOUND,
	UKEY_RULE_UNUSABLE_CHOSEN,
	UKEY_RULE_MISSING_DECISION,
	UKEY_RULE_MISSING_TYPE,
	UKEY_RULE_IDENTICAL_KEPT_TWICE,
	UKEY_RULE_IDENTICAL_NONE_KEPT,
	UKEY_RULE_TYPE_TAKEN,
};

struct ukey_clean_violation {
	enum ukey_clean_rule rule;
	const char *code; /* the service's error code, "rule_type_taken"... */
	char msg[1024]; /* translated; names the seals (ids and names) */
	size_t n; /* seals concerned (indexes into the list; none for not_found) */
	size_t *seals;
};

struct ukey_clean_report {
	struct ukey_clean_violation *v;
	size_t n;
};

/* Checks every rule and reports ALL violations. Returns their number, or
 * -1 when out of memory. */
int ukey_clean_check(const struct ukey_clean_list *list, const struct ukey_clean_plan *plan,
		     struct ukey_clean_report *out);
void ukey_clean_report_free(struct ukey_clean_report *r);

/* Proposes a plan that follows the rules: of each group of identical seals
 * the newest valid one is kept, kept seals keep their own type when it is
 * known and free, else get the first free type; the rest are dropped. A seal
 * with no identical twin is never dropped automatically: when the types do
 * not suffice, -1 and err says why (0 on success). */
int ukey_clean_auto(const struct ukey_clean_list *list, time_t now, struct ukey_clean_plan *out,
		    struct ukey_err *err);

/* Index of a seal in the list by id, or -1. */
long ukey_clean_find(const struct ukey_clean_list *list, const char *id);
/* The type's name, or NULL if unknown. */
const char *ukey_clean_type_name(const struct ukey_clean_list *list, long type);

/* JSON (json-c). The plan parser is strict: unknown members or actions,
 * wrong JSON types, two decisions for one seal are errors naming the
 * decision. 0 or -1 with err. */
int ukey_clean_plan_parse(const char *json, size_t len, struct ukey_clean_plan *out,
			  struct ukey_err *err);
/* {"decisions":[...]} as sent to POST /api/v1/seals/clean (free()). */
char *ukey_clean_plan_json(const struct ukey_clean_plan *plan);
/* The body of GET /api/v1/seals. */
int ukey_clean_list_parse(const char *json, size_t len, struct ukey_clean_list *out,
			  struct ukey_err *err);
void ukey_clean_plan_free(struct ukey_clean_plan *p);
void ukey_clean_list_free(struct ukey_clean_list *l);

#endif
