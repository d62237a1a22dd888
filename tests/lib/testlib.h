/* Shared helpers for the C test programs (unit and integration).
 *
 * Integration tests load the module under test with dlopen, exactly as a
 * consumer does. The module path comes from $UKEY_TEST_MODULE (set by
 * tests/Makefile.am to the freshly built module); a test can point it at
 * SoftHSM itself to compare behaviour.
 *
 * Every test group makes its own virtual U-KEY in a fresh temporary
 * directory with tools/ukey-vkey, so nothing is shared between tests. */
#ifndef UKEY_TESTLIB_H
#define UKEY_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>

struct ukt_token {
	char dir[512];          /* the virtual U-KEY's directory */
	char serial[17];        /* medium number as printed by ukey-vkey */
	char label[33];
	char user_pin[64];
	char so_pin[64];
	char key_type[8];       /* "rsa" or "ec" */
	char conf[600];         /* its ukey-pkcs11.conf */
	char softhsm_conf[600]; /* its softhsm2.conf */
	char ca_cert[600];      /* the test CA certificate (PEM) */
};

/* Makes a virtual U-KEY ("rsa" or "ec") in a new temporary directory and
 * points SOFTHSM2_CONF and UKEY_PKCS11_CONF at it (setenv). Returns 0 on
 * success; on failure prints why and returns -1. */
int ukt_vkey_create(const char *key_type, struct ukt_token *tok);
/* Adds a second, independent virtual U-KEY to the same SoftHSM config
 * (another slot), e.g. for two-token tests. */
int ukt_vkey_add(const struct ukt_token *first, const char *key_type, struct ukt_token *second);
/* Removes the directory. */
void ukt_vkey_destroy(struct ukt_token *tok);

/* dlopens the module under test ($UKEY_TEST_MODULE) and returns its
 * function list; *handle receives the dlopen handle for dlclose. */
CK_FUNCTION_LIST *ukt_module_load(void **handle);
/* The SoftHSM library path ($UKEY_TEST_SOFTHSM, from configure). */
const char *ukt_softhsm_path(void);
/* Absolute path of a tool from the source tree (tools/ukey-vkey, ...). */
const char *ukt_srcdir(void);

/* Convenience for tests: C_Initialize(NULL), find the slot whose token
 * serial matches tok->serial, open a session (rw or not), optionally log in
 * as the user. Returns CKR_* of the first failing step. */
CK_RV ukt_open(CK_FUNCTION_LIST *p11, const struct ukt_token *tok, bool rw, bool login,
	       CK_SLOT_ID *slot, CK_SESSION_HANDLE *session);
/* Finds the first object matching class (and CKA_ID when id != NULL). */
CK_RV ukt_find_one(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
		   const unsigned char *id, size_t idlen, CK_OBJECT_HANDLE *out);
/* Hex string of a buffer into out (NUL-terminated). */
void ukt_hex(const unsigned char *in, size_t len, char *out);
/* Runs a shell command; returns its exit status (or -1). */
int ukt_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
