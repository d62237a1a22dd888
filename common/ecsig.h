/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ECDSA and SM2 signatures: PKCS#11 tokens and some seal makers give r||s,
 * OpenSSL and the certificates want the DER ECDSA-Sig-Value
 * SEQUENCE { r INTEGER, s INTEGER }. */
#ifndef UKC_ECSIG_H
#define UKC_ECSIG_H

#include <stddef.h>

/* r||s (two halves of equal, non-zero length) as DER: its length
 * (OPENSSL_free *der), or -1 with *der NULL. */
int ukc_ecsig_raw_to_der(const unsigned char *rs, size_t len, unsigned char **der);

/* A signature as files carry it, as DER: kept when it is exactly one
 * ECDSA-Sig-Value, else read as r||s of a 256-, 384- or 521-bit curve (64,
 * 96 or 132 bytes). Its DER length (OPENSSL_free *der), 0 when it is
 * neither, -1 when out of memory. */
int ukc_ecsig_to_der(const unsigned char *sig, size_t len, unsigned char **der);

#endif
