/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
#include <stdio.h>

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
	char backend[8];        /* "p11" (SoftHSM) or "skf" (the SKF emulator) */
	char skf_devices[1300]; /* skf: UKEY_SKF_EMU_DEVICES for this token */
	char device[600];       /* skf: the emulated device's directory */
	/* CKA_IDs of the signing and the encryption pair, read from the token
	 * (skf: the driver derives them from the container name). */
	unsigned char sign_id[32], enc_id[32];
	size_t sign_id_len, enc_id_len;
	/* The labels the token shows (p11: ukey-vkey's; skf: the driver's
	 * "<container> sign cert" etc. for ukey-vkey's container "ukey"). */
	char sign_cert_label[64], enc_cert_label[64], sign_key_label[64], enc_key_label[64];
};

/* The backend the integration tests run against: "p11" (SoftHSM, default)
 * or "skf" (the SKF emulator), from $UKEY_TEST_BACKEND (tests/lib/run-skf
 * sets it for the integration/skf/NAME.skf entries of tests/Makefile.am). */
const char *ukt_backend(void);
bool ukt_is_skf(void);

/* Makes a virtual U-KEY in a new temporary directory on ukt_backend() and
 * points the environment at it (ukt_vkey_use). key_type: "rsa" (RSA-2048
 * on both backends), "ec" (p11: EC P-256; skf: SM2, the only EC keys SKF
 * has: tests needing ECDSA check ukt_has_mechanism and skip) or "sm2" (skf
 * only). Fills tok->sign_id/enc_id with the pairs' CKA_IDs. Returns 0 on
 * success; on failure prints why and returns -1. */
int ukt_vkey_create(const char *key_type, struct ukt_token *tok);
/* Adds a second, independent virtual U-KEY to the same SoftHSM config
 * (another slot), e.g. for two-token tests. */
int ukt_vkey_add(const struct ukt_token *first, const char *key_type, struct ukt_token *second);
/* Reads tok->sign_id/enc_id through the module (in a forked child, so the
 * caller's module state is untouched): the certificates whose CKA_VALUE
 * equals DIR/keys/sign.der and enc.der. Returns 0 or -1. */
int ukt_vkey_read_ids(struct ukt_token *tok);
/* Points SOFTHSM2_CONF or UKEY_SKF_EMU_DEVICES, and UKEY_PKCS11_CONF, at
 * tok (setenv). Returns 0 or -1. */
int ukt_vkey_use(const struct ukt_token *tok);
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
/* Whether the slot's C_GetMechanismList holds mech. */
bool ukt_has_mechanism(CK_FUNCTION_LIST *p11, CK_SLOT_ID slot, CK_MECHANISM_TYPE mech);
/* The first slot whose token serial is tok->serial (C_Initialize first). */
CK_RV ukt_slot_of(CK_FUNCTION_LIST *p11, const struct ukt_token *tok, CK_SLOT_ID *slot);

/* Inside a cmocka test: asserts that call returns want; when it does not,
 * prints the call and both codes first, after "[name] " unless name is ""
 * (the case of a loop that failed). RV(call, want) is the unnamed form. */
#define UKT_RV_IN(name, call, want)                                                                  \
	do {                                                                                           \
		CK_RV rv_ = (call);                                                                    \
		if (rv_ != (CK_RV)(want))                                                              \
			print_error("# %s%s%s%s = 0x%lx, want 0x%lx\n", *(name) ? "[" : "", (name),       \
				    *(name) ? "] " : "", #call, (unsigned long)rv_, (unsigned long)(want));     \
		assert_int_equal(rv_, (want));                                                         \
	} while (0)
#define RV(call, want) UKT_RV_IN("", call, want)

/* Inside a cmocka test: skip it when cond holds, with the reason as a TAP
 * comment line. Use only for what the skf backend cannot do (no ECDSA, PSS,
 * OAEP, attribute changes, chosen CKA_IDs). cmocka 1.1.5 prints a skip as
 * "not ok N # SKIP", a TAP failure: tests/lib/run-skf rewrites it to
 * "ok N # SKIP name: reason", so skip only in runs made through run-skf. */
#define ukt_skip_if(cond, reason)                                        \
	do {                                                             \
		if (cond) {                                              \
			printf("# SKIP on %s: %s\n", ukt_backend(), reason); \
			fflush(stdout);                                  \
			skip();                                          \
		}                                                        \
	} while (0)

/* Hex string of a buffer into out (NUL-terminated). */
/* Runs a shell command; returns its exit status (or -1). */
int ukt_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
