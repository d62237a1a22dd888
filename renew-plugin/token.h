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
int ukey_token_list(struct ukey_p11 *p, struct ukey_token_info **out, size_t *n, struct ukey_err *e);
/* Exactly one token: the one with medium number serial, else the only one
 * present. None, several (listed in the message) or no match: UKEY_E_TOKEN. */
int ukey_token_select(struct ukey_p11 *p, const char *serial, struct ukey_token_info *out,
		      struct ukey_err *e);
/* Re-reads the token's flags. */
int ukey_token_refresh(struct ukey_p11 *p, struct ukey_token_info *t, struct ukey_err *e);
/* "ok", "count_low", "final_try" or "locked" from the CKF_USER_PIN_* flags. */
const char *ukey_token_pin_state(CK_FLAGS flags);
/* The sentence for that state, translated. */
const char *ukey_token_pin_text(CK_FLAGS flags);

/* Certificates on the token (public objects: no login needed). */
int ukey_token_certs(struct ukey_p11 *p, CK_SESSION_HANDLE s, struct ukey_cert **out, size_t *n,
		     struct ukey_err *e);
void ukey_certs_free(struct ukey_cert *c, size_t n);
/* The signing certificate: has digitalSignature; the latest notAfter wins. */
const struct ukey_cert *ukey_certs_signing(const struct ukey_cert *c, size_t n);

/* cert.c: fills the parsed fields of c from c->der. */
int ukey_cert_parse(struct ukey_cert *c, struct ukey_err *e);

#endif
