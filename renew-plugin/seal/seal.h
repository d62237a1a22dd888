/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seal decoder's own declarations, beyond what ukey-seal.h makes
 * public (the decoded seal, its verification, the cleaning rules). */
#ifndef UKEY_SEAL_H
#define UKEY_SEAL_H

#include <stddef.h>
#include <time.h>

#include "ukey-seal.h"

/* Fills err (code UKEY_E_ERROR unless code given; NULL err allowed) and
 * returns -1: the seal code does not depend on libukey-renew's err.c. */
int ukey_seal_err_set(struct ukey_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

enum ukey_seal_pic ukey_seal_pic_sniff(const unsigned char *p, size_t len);

/* Seal dates: UTCTime or GeneralizedTime, with or without Z, 2- or 4-digit
 * years, optional seconds and fraction. 0 ok, -1 not a date. */
int ukey_seal_time_parse(const unsigned char *s, size_t len, int generalized, time_t *out);

#endif
