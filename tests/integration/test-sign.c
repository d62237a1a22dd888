/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Signing and verification through the module on an RSA-2048 and a P-256
 * virtual U-KEY (both slots of one SoftHSM): every mechanism one-shot and
 * multi-part, each signature checked by OpenSSL against the certificate read
 * through the module and by the module's own C_Verify; then the error rules
 * consumers depend on (sizing, operation state, login, key type, params). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "crypto-check.h"
#include "testlib.h"

struct fx {
	struct ukt_token tok;
	bool rsa;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE base;  /* keeps the login alive between tests */
	CK_SESSION_HANDLE s;     /* fresh per test: no operation leaks over */
	CK_OBJECT_HANDLE priv, pub;
	EVP_PKEY *pk;            /* from the signing certificate */
	size_t siglen;           /* expected signature length */
};

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct fx fx_rsa = { .rsa = true }, fx_ec = { .rsa = false };
static const char *ctx_name = "";

#undef RV /* testlib.h's, with the case's name */
#define RV(call, want) UKT_RV_IN(ctx_name, call, want)

static int fx_open(struct fx *f)
{
	if (ukt_open(p11, &f->tok, false, true, &f->slot, &f->base) != CKR_OK)
		return -1;
	f->pk = ukc_cert_pubkey(p11, f->base, &f->tok, true);
	if (!f->pk)
		return -1;
	f->siglen = (size_t)EVP_PKEY_get_size(f->pk);
	if (!f->rsa) /* r||s, each as long as the group order (P-256: 32) */
		f->siglen = 2 * (size_t)((EVP_PKEY_get_bits(f->pk) + 7) / 8);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (ukt_vkey_create("rsa", &fx_rsa.tok) != 0 || ukt_vkey_add(&fx_rsa.tok, "ec", &fx_ec.tok) != 0)
		return -1;
	p11 = ukt_module_load(&dl);
	if (!p11)
		return -1;
	return fx_open(&fx_rsa) == 0 && fx_open(&fx_ec) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	EVP_PKEY_free(fx_rsa.pk);
	EVP_PKEY_free(fx_ec.pk);
	ukt_vkey_destroy(&fx_ec.tok);
	ukt_vkey_destroy(&fx_rsa.tok);
	return 0;
}

static int test_setup(void **state)
{
	struct fx *f = *state;
	const unsigned char *id = f->tok.sign_id;
	size_t idlen = f->tok.sign_id_len;

	if (p11->C_OpenSession(f->slot, CKF_SERIAL_SESSION, NULL, NULL, &f->s) != CKR_OK)
		return -1;
	/* Looked up per test: handles of private objects die on logout. */
	if (ukt_find_one(p11, f->s, CKO_PRIVATE_KEY, id, idlen, &f->priv) != CKR_OK ||
	    ukt_find_one(p11, f->s, CKO_PUBLIC_KEY, id, idlen, &f->pub) != CKR_OK)
		return -1;
	return 0;
}

static int test_teardown(void **state)
{
	struct fx *f = *state;

	p11->C_CloseSession(f->s);
	return 0;
}

static CK_RV sign(struct fx *f, CK_MECHANISM *m, const unsigned char *d, size_t dl_,
		  unsigned char *sig, CK_ULONG *sl, bool multi)
{
	static const size_t chunks[] = { 1, 63, 200, 17 };
	size_t off = 0, i = 0, n;
	CK_RV rv = p11->C_SignInit(f->s, m, f->priv);

	if (rv != CKR_OK || !multi)
		return rv != CKR_OK ? rv : p11->C_Sign(f->s, (CK_BYTE_PTR)d, dl_, sig, sl);
	for (; off < dl_; off += n, i++) {
		n = chunks[i % 4] < dl_ - off ? chunks[i % 4] : dl_ - off;
		rv = p11->C_SignUpdate(f->s, (CK_BYTE_PTR)d + off, n);
		if (rv != CKR_OK)
			return rv;
	}
	return p11->C_SignFinal(f->s, sig, sl);
}

static CK_RV verify(struct fx *f, CK_MECHANISM *m, const unsigned char *d, size_t dl_,
		    const unsigned char *sig, size_t sl, bool multi)
{
	size_t off = 0, n;
	CK_RV rv = p11->C_VerifyInit(f->s, m, f->pub);

	if (rv != CKR_OK || !multi)
		return rv != CKR_OK ? rv : p11->C_Verify(f->s, (CK_BYTE_PTR)d, dl_, (CK_BYTE_PTR)sig, sl);
	for (; off < dl_; off += n) {
		n = 77 < dl_ - off ? 77 : dl_ - off;
		rv = p11->C_VerifyUpdate(f->s, (CK_BYTE_PTR)d + off, n);
		if (rv != CKR_OK)
			return rv;
	}
	return p11->C_VerifyFinal(f->s, (CK_BYTE_PTR)sig, sl);
}

/* Signs one-shot (and multi-part for hash-and-sign mechanisms), checks each
 * signature with OpenSSL and with C_Verify both ways, and checks that OpenSSL
 * rejects it for other data (so the check itself can fail). */
static void sign_and_check(struct fx *f, CK_MECHANISM *m, const struct ukc_sigmech *sm,
			   const char *raw_md, const unsigned char *d, size_t dl_)
{
	unsigned char sig[2][1024], other[1024];
	CK_ULONG sl[2];
	int k, nk = sm->md ? 2 : 1;

	assert_true(dl_ <= sizeof(other));
	for (k = 0; k < nk; k++) {
		sl[k] = sizeof(sig[k]);
		RV(sign(f, m, d, dl_, sig[k], &sl[k], k == 1), CKR_OK);
		assert_int_equal(sl[k], f->siglen);
		assert_int_equal(ukc_verify(f->pk, sm, raw_md, d, dl_, sig[k], sl[k]), 1);
		memcpy(other, d, dl_);
		other[0] ^= 0x01;
		assert_int_equal(ukc_verify(f->pk, sm, raw_md, other, dl_, sig[k], sl[k]), 0);
		RV(verify(f, m, d, dl_, sig[k], sl[k], false), CKR_OK);
		if (sm->md)
			RV(verify(f, m, d, dl_, sig[k], sl[k], true), CKR_OK);
	}
	/* PKCS#1 v1.5 is deterministic: both paths must give the same bytes. */
	if (nk == 2 && sm->kind == UKC_RSA_PKCS)
		assert_memory_equal(sig[0], sig[1], sl[0]);
}

static void test_rsa_sha_pkcs1_sign_verifies_with_openssl_and_module(void **state)
{
	unsigned char msg[700];

	ukc_random(msg, sizeof(msg));
	for (const struct ukc_sigmech *sm = ukc_rsa_pkcs_mechs; sm->name; sm++) {
		CK_MECHANISM m = { sm->mech, NULL, 0 };

		ctx_name = sm->name;
		sign_and_check(*state, &m, sm, NULL, msg, sizeof(msg));
	}
}

/* Skips a test whose mechanism the slot does not offer (SKF: no PSS, no
 * ECDSA; SoftHSM: no SM2). */
static void need_mech(void **state, CK_MECHANISM_TYPE mech, const char *why)
{
	struct fx *f = *state;

	ukt_skip_if(!ukt_has_mechanism(p11, f->slot, mech), why);
}

static void test_rsa_sha_pss_sign_verifies_with_openssl_and_module(void **state)
{
	unsigned char msg[513];

	need_mech(state, CKM_RSA_PKCS_PSS, "the device has no RSA-PSS");
	ukc_random(msg, sizeof(msg));
	for (const struct ukc_sigmech *sm = ukc_rsa_pss_mechs; sm->name; sm++) {
		CK_RSA_PKCS_PSS_PARAMS pp = { sm->hash, sm->mgf, sm->hlen };
		CK_MECHANISM m = { sm->mech, &pp, sizeof(pp) };

		ctx_name = sm->name;
		sign_and_check(*state, &m, sm, NULL, msg, sizeof(msg));
	}
}

static void test_rsa_pkcs_raw_over_digest_info_verifies(void **state)
{
	static const struct ukc_sigmech raw = { CKM_RSA_PKCS, "CKM_RSA_PKCS", UKC_RSA_PKCS, NULL, 0, 0, 0 };
	unsigned char msg[100], di[128];
	CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };

	ukc_random(msg, sizeof(msg));
	for (const struct ukc_sigmech *sm = ukc_rsa_pkcs_mechs; sm->name; sm++) {
		size_t n = ukc_digest_info(sm->md, msg, sizeof(msg), di, sizeof(di));

		ctx_name = sm->md;
		assert_true(n > sm->hlen);
		sign_and_check(*state, &m, &raw, NULL, di, n);
	}
}

static void test_rsa_pss_raw_over_hash_verifies(void **state)
{
	static const struct ukc_sigmech raw = { CKM_RSA_PKCS_PSS, "CKM_RSA_PKCS_PSS", UKC_RSA_PSS, NULL, 0, 0, 0 };
	unsigned char msg[100], h[EVP_MAX_MD_SIZE];
	unsigned int hl;

	need_mech(state, CKM_RSA_PKCS_PSS, "the device has no RSA-PSS");
	ukc_random(msg, sizeof(msg));
	for (const struct ukc_sigmech *sm = ukc_rsa_pss_mechs; sm->name; sm++) {
		CK_RSA_PKCS_PSS_PARAMS pp = { sm->hash, sm->mgf, sm->hlen };
		CK_MECHANISM m = { CKM_RSA_PKCS_PSS, &pp, sizeof(pp) };

		ctx_name = sm->md;
		assert_int_equal(EVP_Digest(msg, sizeof(msg), h, &hl, EVP_get_digestbyname(sm->md), NULL), 1);
		sign_and_check(*state, &m, &raw, sm->md, h, hl);
	}
}

static void test_ecdsa_raw_over_hash_verifies(void **state)
{
	static const struct ukc_sigmech raw = { CKM_ECDSA, "CKM_ECDSA", UKC_ECDSA, NULL, 0, 0, 0 };
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	unsigned char msg[100], h[EVP_MAX_MD_SIZE];
	unsigned int hl;

	need_mech(state, CKM_ECDSA, "the device has no ECDSA (its EC keys are SM2)");
	ukc_random(msg, sizeof(msg));
	/* Hashes longer than the order are truncated to its bit length by both sides. */
	for (const struct ukc_sigmech *sm = ukc_ecdsa_mechs; sm->name; sm++) {
		ctx_name = sm->md;
		assert_int_equal(EVP_Digest(msg, sizeof(msg), h, &hl, EVP_get_digestbyname(sm->md), NULL), 1);
		sign_and_check(*state, &m, &raw, NULL, h, hl);
	}
}

static void test_ecdsa_sha_sign_verifies_with_openssl_and_module(void **state)
{
	unsigned char msg[1000];

	need_mech(state, CKM_ECDSA, "the device has no ECDSA (its EC keys are SM2)");
	ukc_random(msg, sizeof(msg));
	for (const struct ukc_sigmech *sm = ukc_ecdsa_mechs; sm->name; sm++) {
		CK_MECHANISM m = { sm->mech, NULL, 0 };

		ctx_name = sm->name;
		sign_and_check(*state, &m, sm, NULL, msg, sizeof(msg));
	}
}

/* The EC mechanism of the state tests: raw ECDSA, or raw SM2 where the EC
 * keys are SM2 (skf). */
static CK_MECHANISM_TYPE ec_raw(void)
{
	return ukt_is_skf() ? CKM_SM2 : CKM_ECDSA;
}

/* The mechanism used by the state tests: multi-part capable for RSA; the EC
 * one is raw ECDSA (SM2 on skf), which the backend itself also has. */
static void basic_mech(struct fx *f, CK_MECHANISM *m, const unsigned char **d, size_t *dl_)
{
	static unsigned char data[300];

	ukc_random(data, sizeof(data));
	m->mechanism = f->rsa ? CKM_SHA256_RSA_PKCS : ec_raw();
	m->pParameter = NULL;
	m->ulParameterLen = 0;
	*d = data;
	*dl_ = f->rsa ? sizeof(data) : 32;
	ctx_name = f->rsa ? "rsa" : "ec";
}

static void test_corrupted_signature_returns_signature_invalid(void **state)
{
	struct fx *f = *state;
	CK_MECHANISM m;
	const unsigned char *d;
	unsigned char sig[1024];
	size_t dl_;
	CK_ULONG sl = sizeof(sig);

	basic_mech(f, &m, &d, &dl_);
	RV(sign(f, &m, d, dl_, sig, &sl, false), CKR_OK);
	sig[sl / 4] ^= 0x10;
	RV(verify(f, &m, d, dl_, sig, sl, false), CKR_SIGNATURE_INVALID);
	if (f->rsa)
		RV(verify(f, &m, d, dl_, sig, sl, true), CKR_SIGNATURE_INVALID);
	/* C_Verify ended the operation even though it failed. */
	RV(p11->C_Verify(f->s, (CK_BYTE_PTR)d, dl_, sig, sl), CKR_OPERATION_NOT_INITIALIZED);
}

/* PKCS#11 2.40 C_Verify: "If the signature can be seen to be invalid purely
 * on the basis of its length, then CKR_SIGNATURE_LEN_RANGE should be
 * returned." */
static void test_wrong_length_signature_returns_signature_len_range(void **state)
{
	struct fx *f = *state;
	CK_MECHANISM m;
	const unsigned char *d;
	unsigned char sig[1024];
	size_t dl_;
	CK_ULONG sl = sizeof(sig);

	basic_mech(f, &m, &d, &dl_);
	RV(sign(f, &m, d, dl_, sig, &sl, false), CKR_OK);
	RV(verify(f, &m, d, dl_, sig, sl - 1, false), CKR_SIGNATURE_LEN_RANGE);
	RV(verify(f, &m, d, dl_, sig, sl + 1, false), CKR_SIGNATURE_LEN_RANGE);
	if (f->rsa)
		RV(verify(f, &m, d, dl_, sig, sl - 1, true), CKR_SIGNATURE_LEN_RANGE);
}

static void test_sign_size_query_gives_length_and_keeps_operation(void **state)
{
	struct fx *f = *state;
	CK_MECHANISM m;
	const unsigned char *d;
	unsigned char sig[1024];
	size_t dl_;
	CK_ULONG sl = 0;

	basic_mech(f, &m, &d, &dl_);
	RV(p11->C_SignInit(f->s, &m, f->priv), CKR_OK);
	RV(p11->C_Sign(f->s, (CK_BYTE_PTR)d, dl_, NULL, &sl), CKR_OK);
	assert_int_equal(sl, f->siglen);
	RV(p11->C_Sign(f->s, (CK_BYTE_PTR)d, dl_, sig, &sl), CKR_OK);
	assert_int_equal(sl, f->siglen);
	RV(verify(f, &m, d, dl_, sig, sl, false), CKR_OK);
	if (!f->rsa)
		return;
	RV(p11->C_SignInit(f->s, &m, f->priv), CKR_OK);
	RV(p11->C_SignUpdate(f->s, (CK_BYTE_PTR)d, dl_), CKR_OK);
	sl = 0;
	RV(p11->C_SignFinal(f->s, NULL, &sl), CKR_OK);
	assert_int_equal(sl, f->siglen);
	RV(p11->C_SignFinal(f->s, sig, &sl), CKR_OK);
	RV(verify(f, &m, d, dl_, sig, sl, true), CKR_OK);
}

static void test_sign_small_buffer_returns_buffer_too_small_and_keeps_operation(void **state)
{
	struct fx *f = *state;
	CK_MECHANISM m;
	const unsigned char *d;
	unsigned char sig[1024];
	size_t dl_;
	CK_ULONG sl = f->siglen - 1;

	basic_mech(f, &m, &d, &dl_);
	RV(p11->C_SignInit(f->s, &m, f->priv), CKR_OK);
	RV(p11->C_Sign(f->s, (CK_BYTE_PTR)d, dl_, sig, &sl), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(sl, f->siglen);
	RV(p11->C_Sign(f->s, (CK_BYTE_PTR)d, dl_, sig, &sl), CKR_OK);
	assert_int_equal(ukc_verify(f->pk, &(struct ukc_sigmech){ 0, "", f->rsa ? UKC_RSA_PKCS : ukt_is_skf() ? UKC_SM2 : UKC_ECDSA,
						 f->rsa ? "SHA256" : NULL, 0, 0, 0 },
				   NULL, d, dl_, sig, sl), 1);
	if (!f->rsa)
		return;
	RV(p11->C_SignInit(f->s, &m, f->priv), CKR_OK);
	RV(p11->C_SignUpdate(f->s, (CK_BYTE_PTR)d, dl_), CKR_OK);
	sl = 1;
	RV(p11->C_SignFinal(f->s, sig, &sl), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(sl, f->siglen);
	RV(p11->C_SignFinal(f->s, sig, &sl), CKR_OK);
	RV(verify(f, &m, d, dl_, sig, sl, false), CKR_OK);
}

static void test_sign_init_twice_returns_operation_active(void **state)
{
	struct fx *f = *state;
	CK_MECHANISM m;
	const unsigned char *d;
	unsigned char sig[1024];
	size_t dl_;
	CK_ULONG sl = sizeof(sig);

	basic_mech(f, &m, &d, &dl_);
	RV(p11->C_SignInit(f->s, &m, f->priv), CKR_OK);
	RV(p11->C_SignInit(f->s, &m, f->priv), CKR_OPERATION_ACTIVE);
	/* The first operation is still there and still works. */
	RV(p11->C_Sign(f->s, (CK_BYTE_PTR)d, dl_, sig, &sl), CKR_OK);
	RV(verify(f, &m, d, dl_, sig, sl, false), CKR_OK);
}

static void test_sign_without_init_returns_operation_not_initialized(void **state)
{
	struct fx *f = *state;
	CK_MECHANISM m;
	const unsigned char *d;
	unsigned char sig[1024];
	size_t dl_;
	CK_ULONG sl = sizeof(sig);

	basic_mech(f, &m, &d, &dl_);
	RV(p11->C_Sign(f->s, (CK_BYTE_PTR)d, dl_, sig, &sl), CKR_OPERATION_NOT_INITIALIZED);
	RV(p11->C_SignUpdate(f->s, (CK_BYTE_PTR)d, dl_), CKR_OPERATION_NOT_INITIALIZED);
	sl = sizeof(sig);
	RV(p11->C_SignFinal(f->s, sig, &sl), CKR_OPERATION_NOT_INITIALIZED);
	/* A completed C_Sign ends the operation. */
	sl = sizeof(sig);
	RV(sign(f, &m, d, dl_, sig, &sl, false), CKR_OK);
	sl = sizeof(sig);
	RV(p11->C_Sign(f->s, (CK_BYTE_PTR)d, dl_, sig, &sl), CKR_OPERATION_NOT_INITIALIZED);
}

/* PKCS#11 2.40 C_Logout: "any of the application's handles to private
 * objects become invalid", so the stale handle is CKR_KEY_HANDLE_INVALID;
 * without login no private key handle can be obtained at all. */
static void test_sign_init_after_logout_returns_key_handle_invalid(void **state)
{
	struct fx *f = *state;
	CK_MECHANISM m;
	const unsigned char *d;
	size_t dl_;
	CK_OBJECT_HANDLE h;
	CK_RV init_rv, find_rv;

	basic_mech(f, &m, &d, &dl_);
	RV(p11->C_Logout(f->s), CKR_OK);
	init_rv = p11->C_SignInit(f->s, &m, f->priv);
	find_rv = ukt_find_one(p11, f->s, CKO_PRIVATE_KEY, f->tok.sign_id, f->tok.sign_id_len, &h);
	/* Log back in before asserting so later tests keep their state. */
	RV(p11->C_Login(f->s, CKU_USER, (CK_UTF8CHAR_PTR)f->tok.user_pin, strlen(f->tok.user_pin)), CKR_OK);
	RV(find_rv, CKR_OBJECT_HANDLE_INVALID); /* ukt_find_one: nothing found */
	RV(init_rv, CKR_KEY_HANDLE_INVALID);
}

static void test_wrong_key_type_mechanism_returns_key_type_inconsistent(void **state)
{
	struct fx *f = *state;
	CK_MECHANISM ec = { ec_raw(), NULL, 0 }, rsa = { CKM_SHA256_RSA_PKCS, NULL, 0 };

	ctx_name = f->rsa ? "rsa" : "ec";
	RV(p11->C_SignInit(f->s, f->rsa ? &ec : &rsa, f->priv), CKR_KEY_TYPE_INCONSISTENT);
	RV(p11->C_VerifyInit(f->s, f->rsa ? &ec : &rsa, f->pub), CKR_KEY_TYPE_INCONSISTENT);
}

/* PKCS#11 2.40 requires hashAlg to match the mechanism's hash and the
 * structure to be present; the MGF hash may differ, so it is not tested. */
static void test_pss_wrong_params_return_mechanism_param_invalid(void **state)
{
	struct fx *f = *state;
	CK_RSA_PKCS_PSS_PARAMS good = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_RSA_PKCS_PSS_PARAMS badhash = { CKM_SHA_1, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM cases[] = {
		{ CKM_SHA256_RSA_PKCS_PSS, NULL, 0 },
		{ CKM_SHA256_RSA_PKCS_PSS, &good, sizeof(good) - 1 },
		{ CKM_SHA256_RSA_PKCS_PSS, &badhash, sizeof(badhash) },
		{ CKM_RSA_PKCS_PSS, NULL, 0 },
	};

	need_mech(state, CKM_RSA_PKCS_PSS, "the device has no RSA-PSS");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "case %zu", i);
		ctx_name = name;
		RV(p11->C_SignInit(f->s, &cases[i], f->priv), CKR_MECHANISM_PARAM_INVALID);
	}
}

static void test_rsa_pkcs_input_over_k_minus_11_returns_data_len_range(void **state)
{
	struct fx *f = *state;
	CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };
	static const struct ukc_sigmech raw = { CKM_RSA_PKCS, "CKM_RSA_PKCS", UKC_RSA_PKCS, NULL, 0, 0, 0 };
	unsigned char in[1024], sig[1024];
	CK_ULONG sl = sizeof(sig);
	size_t k = f->siglen;

	ctx_name = "rsa";
	ukc_random(in, sizeof(in));
	RV(sign(f, &m, in, k - 11, sig, &sl, false), CKR_OK);
	assert_int_equal(ukc_verify(f->pk, &raw, NULL, in, k - 11, sig, sl), 1);
	sl = sizeof(sig);
	RV(sign(f, &m, in, k - 10, sig, &sl, false), CKR_DATA_LEN_RANGE);
}

static void test_invalid_key_handle_returns_key_handle_invalid(void **state)
{
	struct fx *f = *state;
	CK_MECHANISM m;
	const unsigned char *d;
	size_t dl_;

	basic_mech(f, &m, &d, &dl_);
	RV(p11->C_SignInit(f->s, &m, CK_INVALID_HANDLE), CKR_KEY_HANDLE_INVALID);
	RV(p11->C_SignInit(f->s, &m, 0x7ffffff0UL), CKR_KEY_HANDLE_INVALID);
	RV(p11->C_VerifyInit(f->s, &m, 0x7ffffff0UL), CKR_KEY_HANDLE_INVALID);
}

/* PKCS#11 3.0 lets C_SignInit(NULL) cancel an active operation; a 2.40
 * module (and any module with nothing to cancel) must refuse it. */
static void test_null_mechanism_returns_arguments_bad(void **state)
{
	struct fx *f = *state;

	ctx_name = f->rsa ? "rsa" : "ec";
	RV(p11->C_SignInit(f->s, NULL, f->priv), CKR_ARGUMENTS_BAD);
	RV(p11->C_VerifyInit(f->s, NULL, f->pub), CKR_ARGUMENTS_BAD);
}

#define TN(fn, f, tag) { #fn tag, fn, test_setup, test_teardown, &f }
#define T(fn, f) TN(fn, f, "")
#define BOTH(fn) TN(fn, fx_rsa, " (rsa)"), TN(fn, fx_ec, " (ec)")

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rsa_sha_pkcs1_sign_verifies_with_openssl_and_module, fx_rsa),
		T(test_rsa_sha_pss_sign_verifies_with_openssl_and_module, fx_rsa),
		T(test_rsa_pkcs_raw_over_digest_info_verifies, fx_rsa),
		T(test_rsa_pss_raw_over_hash_verifies, fx_rsa),
		T(test_ecdsa_raw_over_hash_verifies, fx_ec),
		T(test_ecdsa_sha_sign_verifies_with_openssl_and_module, fx_ec),
		BOTH(test_corrupted_signature_returns_signature_invalid),
		BOTH(test_wrong_length_signature_returns_signature_len_range),
		BOTH(test_sign_size_query_gives_length_and_keeps_operation),
		BOTH(test_sign_small_buffer_returns_buffer_too_small_and_keeps_operation),
		BOTH(test_sign_init_twice_returns_operation_active),
		BOTH(test_sign_without_init_returns_operation_not_initialized),
		BOTH(test_sign_init_after_logout_returns_key_handle_invalid),
		BOTH(test_wrong_key_type_mechanism_returns_key_type_inconsistent),
		T(test_pss_wrong_params_return_mechanism_param_invalid, fx_rsa),
		T(test_rsa_pkcs_input_over_k_minus_11_returns_data_len_range, fx_rsa),
		BOTH(test_invalid_key_handle_returns_key_handle_invalid),
		BOTH(test_null_mechanism_returns_arguments_bad),
	};

	return cmocka_run_group_tests_name("sign", tests, group_setup, group_teardown);
}
