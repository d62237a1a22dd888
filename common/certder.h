/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Certificate helpers every part needs the same way: PEM text <-> X509,
 * the serial number as the protocol names it, dates as time_t, the SM2
 * signer ID. */
#ifndef UKC_CERTDER_H
#define UKC_CERTDER_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* The SM2 signer ID (GM/T 0009's default) of every SM2 signature here:
 * certificates, requests, seals, the protocol's request signatures. */
#define UKC_SM2_ID "1234567812345678"

/* The first certificate of a PEM text (NUL-terminated); NULL if none. */
X509 *ukc_x509_from_pem(const char *pem);

/* The PEM text of x, malloc'd; NULL when out of memory. */
char *ukc_x509_to_pem(X509 *x);

/* The serial number in lower-case hex without leading zeros ("0" for
 * zero), as the service names certificates; malloc'd, NULL when out of
 * memory. */
char *ukc_x509_serial_hex(const X509 *x);

/* An ASN1_TIME (UTCTime or GeneralizedTime) as seconds since the epoch:
 * 0 with *out, -1 when t is NULL or no date. */
int ukc_asn1_time(const ASN1_TIME *t, time_t *out);

/* Signs x with key: SHA-256, or SM3 with UKC_SM2_ID for an SM2 key (what
 * OpenSSL 3 then verifies with the ID set as below). 1 done, 0 not. */
int ukc_x509_sign(X509 *x, EVP_PKEY *key);

/* Sets UKC_SM2_ID on x (req) so that OpenSSL 3 verifies its SM2 signature
 * over the right Z: 0, or -1 when out of memory. */
int ukc_x509_set_sm2_id(X509 *x);
int ukc_x509_req_set_sm2_id(X509_REQ *req);

#endif
