/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The token inventory: which U-KEYs are present, choosing exactly one, the
 * PIN state its flags tell, and its certificates. */
#ifndef UKEY_RENEW_TOKEN_H
#define UKEY_RENEW_TOKEN_H

#include <stddef.h>
#include <time.h>

#include "p11.h"

struct ukey_token_info {
	CK_SLOT_ID slot;
	char label[33];
	char serial[17]; /* the medium number (介质编号) */
	char manufacturer[33];
	char model[17];
	CK_FLAGS flags;
	/* The user PIN's exact tries where the module tells them (the vendor
	 * interface, SKF backends); -1 when unknown (only flags then). */
	long tries_left, tries_max;
};

struct ukey_cert {
	unsigned char *der;
	size_t der_len;
	unsigned char id[64]; /* CKA_ID: pairs the certificate with its key */
	size_t id_len;
	char label[128];
	char subject[512], issuer[512];
	char serial_hex[80]; /* lower case, no leading zeros */
	time_t not_before, not_after;
	char trust_number[64]; /* extension 1.2.86.21.1.3, or "" */
	int sign, encrypt;     /* from keyUsage (both when it is absent) */
	char key_type[8];      /* "RSA", "EC", "SM2" or "?" */
};

/* Tokens present (malloc'd array). */
int ukey_token_list(struct ukey_conn *p, struct ukey_token_info **out, size_t *n, struct ukey_err *e);
/* Exactly one token: the one whose medium number is serial, or ends with
 * serial when that is 4 (hex) digits and matches one token only (the
 * guide's "last four digits"), else the only one present. None, several (listed
 * in the message) or no match: UKEY_E_TOKEN; no token because the module
 * has no working backend: UKEY_E_ERROR (ukey_token_no_backend). */
int ukey_token_select(struct ukey_conn *p, const char *serial, struct ukey_token_info *out,
		      struct ukey_err *e);
/* Appends "\n  <medium number>  <label>" to e->msg for each token of
 * list (those ending in last4 when it is not NULL); returns UKEY_E_TOKEN. */
int ukey_token_list_into(const struct ukey_token_info *list, size_t n, const char *last4, struct ukey_err *e);
/* For when no token is present. When the module is ukey-pkcs11 and none
 * of its backends is working (no or a broken configuration, no backend
 * library loads): UKEY_E_ERROR with "the module found no backend: <reason>;
 * see ukey-pkcs11.conf(5)". When only some did not load: UKEY_E_TOKEN, no
 * U-KEY inserted, naming those. Otherwise UKEY_E_OK: none is inserted. */
int ukey_token_no_backend(struct ukey_conn *p, struct ukey_err *e);
/* Re-reads the token's flags and tries. */
int ukey_token_refresh(struct ukey_conn *p, struct ukey_token_info *t, struct ukey_err *e);
/* "ok", "count_low", "final_try" or "locked": from the exact tries when
 * known, else from the CKF_USER_PIN_* flags. */
const char *ukey_token_pin_state(const struct ukey_token_info *t);
/* The sentence for that state with the tries left when known ("9 tries
 * left of 10"), translated, in buf. */
const char *ukey_token_pin_text(const struct ukey_token_info *t, char *buf, size_t len);

/* Certificates on the token (public objects: no login needed), signing
 * ones first, then by label and serial: a stable order. */
int ukey_token_certs(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_cert **out, size_t *n,
		     struct ukey_err *e);
void ukey_certs_free(struct ukey_cert *c, size_t n);
/* The signing certificate: has digitalSignature; the latest notAfter wins. */
const struct ukey_cert *ukey_certs_signing(const struct ukey_cert *c, size_t n);

/* cert.c: fills the parsed fields of c from c->der. */
int ukey_cert_parse(struct ukey_cert *c, struct ukey_err *e);

#endif
