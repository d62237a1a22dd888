/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The differential conformance harness (tests/conformance/README.md).
 *
 * One program runs the same scripted PKCS#11 call sequences ("cases") in
 * two child processes over two copies of one SoftHSM token directory: one
 * child calls SoftHSM directly, the other calls it through the module. Each
 * child writes a transcript (every call's return code and a description of
 * its output that does not depend on handle numbers); the parent compares
 * them case by case against tests/conformance/expected-differences.txt.
 * On the skf backend there is no twin: the module's transcript is checked
 * against the standard's rules alone (legal return codes per function,
 * length-query conventions, no crash). */
#ifndef UKEY_CONFORM_H
#define UKEY_CONFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <p11-kit/pkcs11.h>

#include "testlib.h"

enum cf_target { CF_DIRECT, CF_MODULE };

/* What every case gets. Slots are found by token serial, so slot numbers
 * (which differ between SoftHSM and the module) never reach a transcript. */
struct cf_ctx {
	CK_FUNCTION_LIST *f;
	enum cf_target target;
	bool skf;                    /* the module over the SKF emulator, no twin */
	CK_SLOT_ID slot_a;           /* token A: RSA (skf: SM2) key pairs */
	CK_SLOT_ID slot_b;           /* token B: EC P-256 (skf: RSA) key pairs */
	const struct ukt_token *tok_a, *tok_b;
	FILE *out;                   /* the transcript */
	char line[2048];             /* the record being written */
	size_t len;
	unsigned long calls;
};

/* ---- conform-rec.c: the transcript ---- */
void cf_case_begin(struct cf_ctx *c, const char *name);
void cf_case_end(struct cf_ctx *c);
/* Records one call's return code and, when `fn` is a PKCS#11 function,
 * checks it is one the standard allows that function to return (a
 * violation is written as its own "V" line). Returns rv. */
CK_RV cf_rec(struct cf_ctx *c, const char *fn, CK_RV rv);
/* Appends a description of the last call's output to its record. */
void cf_out(struct cf_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A broken convention the standard requires (length queries...). */
void cf_violation(struct cf_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Calls c->f->fn(args...) and records it under its name. */
#define CF(c, fn, ...) cf_rec((c), #fn, (c)->f->fn(__VA_ARGS__))

const char *cf_rv_name(CK_RV rv);
/* Short mechanism name (CKM_ prefix kept), or hex. */
const char *cf_mech_name(CK_MECHANISM_TYPE m, char *buf, size_t len);
/* Whether rv is one PKCS#11 2.40 lists for the function. */
bool cf_rv_legal(const char *fn, CK_RV rv);

/* Output descriptions that name objects, not handle numbers. */
void cf_out_object(struct cf_ctx *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h);
/* Every handle C_FindObjects gives until it runs dry, as a sorted set. */
void cf_out_find(struct cf_ctx *c, CK_SESSION_HANDLE s, const CK_OBJECT_HANDLE *h, CK_ULONG n);
/* Bytes: exact (hex of a SHA-256 prefix) or, for random output, the length. */
void cf_out_bytes(struct cf_ctx *c, const void *p, CK_ULONG len);
void cf_out_len(struct cf_ctx *c, CK_ULONG len);

/* ---- conform-util.c: helpers the cases share ---- */
/* A session on slot (flags | CKF_SERIAL_SESSION), recorded; 0 on failure. */
CK_SESSION_HANDLE cf_open(struct cf_ctx *c, CK_SLOT_ID slot, bool rw);
CK_RV cf_login(struct cf_ctx *c, CK_SESSION_HANDLE s, const struct ukt_token *t);
/* Closes every session of both tokens (logs out), unrecorded. */
void cf_reset(struct cf_ctx *c);
/* The first object matching class and label (unrecorded); 0 if none. */
CK_OBJECT_HANDLE cf_find(struct cf_ctx *c, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label);
/* The token's signing (or encryption) private/public key. */
CK_OBJECT_HANDLE cf_key(struct cf_ctx *c, CK_SESSION_HANDLE s, const struct ukt_token *t,
			CK_OBJECT_CLASS cls, bool sign);
/* Runs a search with the template and records what it finds. */
void cf_search(struct cf_ctx *c, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n);
/* Destroys every object labelled `label` a logged-in RW session sees. */
void cf_cleanup_label(struct cf_ctx *c, CK_SLOT_ID slot, const struct ukt_token *t, const char *label);

/* ---- the cases ---- */
typedef void cf_case_fn(struct cf_ctx *c);
struct cf_case {
	const char *name;
	cf_case_fn *run;
};
/* Each file's table, ended by { NULL, NULL }. */
extern const struct cf_case cf_cases_objects[];
extern const struct cf_case cf_cases_templates[];
extern const struct cf_case cf_cases_args[];
extern const struct cf_case cf_cases_login[];
extern const struct cf_case cf_cases_sizes[];
/* conform-mech.c: every operation the backend's C_GetMechanismInfo gives
 * a mechanism (the parent reads the list before the targets start), with
 * length queries, a bad argument in the middle of a multi-part operation,
 * and key generation where the mechanism makes keys. */
void cf_mech_case(struct cf_ctx *c, CK_MECHANISM_TYPE m, const CK_MECHANISM_INFO *info);
/* conform-random.c: one random call sequence from `seed`; the same seed
 * makes the same calls on every target. */
void cf_random_case(struct cf_ctx *c, uint64_t seed, unsigned steps);

#endif
