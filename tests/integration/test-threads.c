/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Concurrency through the module, initialised with CKF_OS_LOCKING_OK as
 * browsers do. Test 1: 8 workers, each with its own sessions on an RSA and an EC
 * virtual U-KEY, mix C_Sign, C_FindObjects and C_GetAttributeValue while one
 * more thread opens and closes sessions, for UKEY_THREAD_TEST_SECONDS
 * (default 10). Every result is checked; signatures are verified with
 * OpenSSL every VERIFY_EVERY-th signature. Test 2: 60 rounds of C_Login,
 * C_Logout (or a second C_Login) and C_OpenSession/C_CloseSession at once in
 * three threads; after each round the login state and the visible private
 * objects must agree. Meant to run under TSan too
 * (tests/integration/threads-tsan.sh). */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "crypto-check.h"
#include "testlib.h"
#include "ukey-pkcs11.h"

#define WORKERS 8
#define VERIFY_EVERY 4

struct tokfx {
	struct ukt_token tok;
	bool rsa;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE base;
	EVP_PKEY *pk;
	unsigned char *cert;     /* CKA_VALUE of the signing certificate */
	CK_ULONG certlen;
	CK_ULONG nobjects;       /* objects visible to a logged-in session */
};

struct worker {
	pthread_t th;
	int idx;
	unsigned long signs, verified, finds, attrs, sessions, errors;
	char first_error[160];
};

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct tokfx toks[2] = { { .rsa = true }, { .rsa = false } };
static atomic_bool stop;

static void note_error(struct worker *w, const char *what, CK_RV rv)
{
	if (w->errors++ == 0)
		snprintf(w->first_error, sizeof(w->first_error), "%s: 0x%lx", what, (unsigned long)rv);
}

static CK_RV count_objects(CK_SESSION_HANDLE s, CK_ULONG *n)
{
	CK_OBJECT_HANDLE h[64];
	CK_ULONG got = 0;
	CK_RV rv = p11->C_FindObjectsInit(s, NULL, 0), rv2;

	*n = 0;
	if (rv != CKR_OK)
		return rv;
	do {
		rv = p11->C_FindObjects(s, h, 64, &got);
		*n += got;
	} while (rv == CKR_OK && got > 0);
	rv2 = p11->C_FindObjectsFinal(s);
	return rv != CKR_OK ? rv : rv2;
}

static int tok_open(struct tokfx *t)
{
	CK_OBJECT_HANDLE h;

	if (ukt_open(p11, &t->tok, false, true, &t->slot, &t->base) != CKR_OK)
		return -1;
	t->pk = ukc_cert_pubkey(p11, t->base, &t->tok, true);
	if (!t->pk || ukt_find_one(p11, t->base, CKO_CERTIFICATE, t->tok.sign_id, t->tok.sign_id_len, &h) != CKR_OK ||
	    ukc_get_attr(p11, t->base, h, CKA_VALUE, &t->cert, &t->certlen) != CKR_OK)
		return -1;
	/* Two pairs with certificates at least; seals or a profile may add more. */
	return count_objects(t->base, &t->nobjects) == CKR_OK && t->nobjects >= 6 ? 0 : -1;
}

static int group_setup(void **state)
{
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };

	(void)state;
	if (ukt_vkey_create("rsa", &toks[0].tok) != 0 || ukt_vkey_add(&toks[0].tok, "ec", &toks[1].tok) != 0)
		return -1;
	if (!(p11 = ukt_module_load(&dl)) || p11->C_Initialize(&args) != CKR_OK)
		return -1;
	return tok_open(&toks[0]) == 0 && tok_open(&toks[1]) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	for (int i = 1; i >= 0; i--) {
		EVP_PKEY_free(toks[i].pk);
		free(toks[i].cert);
		ukt_vkey_destroy(&toks[i].tok);
	}
	return 0;
}

static void do_sign(struct worker *w, struct tokfx *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv)
{
	static const struct ukc_sigmech rsa = { CKM_SHA256_RSA_PKCS, "", UKC_RSA_PKCS, "SHA256", 0, 0, 0 };
	static const struct ukc_sigmech ecdsa = { CKM_ECDSA, "", UKC_ECDSA, NULL, 0, 0, 0 };
	static const struct ukc_sigmech sm2 = { CKM_SM2, "", UKC_SM2, NULL, 0, 0, 0 };
	/* skf: the "ec" token holds SM2 keys: raw SM2 over a 32-byte e */
	const struct ukc_sigmech *ec = ukt_is_skf() ? &sm2 : &ecdsa;
	CK_MECHANISM m = { t->rsa ? CKM_SHA256_RSA_PKCS : ec->mech, NULL, 0 };
	unsigned char data[64], sig[512];
	CK_ULONG sl = sizeof(sig);
	size_t dlen = t->rsa ? sizeof(data) : 32;
	CK_RV rv;

	ukc_random(data, sizeof(data));
	rv = p11->C_SignInit(s, &m, priv);
	if (rv == CKR_OK)
		rv = p11->C_Sign(s, data, dlen, sig, &sl);
	if (rv != CKR_OK) {
		note_error(w, t->rsa ? "RSA sign" : "EC sign", rv);
		return;
	}
	if (w->signs++ % VERIFY_EVERY)
		return;
	if (ukc_verify(t->pk, t->rsa ? &rsa : ec, NULL, data, dlen, sig, sl) != 1)
		note_error(w, "OpenSSL rejected a signature", 0);
	else
		w->verified++;
}

static void do_find(struct worker *w, struct tokfx *t, CK_SESSION_HANDLE s)
{
	CK_ULONG n;
	CK_RV rv = count_objects(s, &n);

	if (rv != CKR_OK || n != t->nobjects)
		note_error(w, "find objects (rv, or count changed)", rv);
	else
		w->finds++;
}

static void do_attr(struct worker *w, struct tokfx *t, CK_SESSION_HANDLE s)
{
	unsigned char *v = NULL;
	CK_ULONG len = 0;
	CK_OBJECT_HANDLE h;
	CK_RV rv = ukt_find_one(p11, s, CKO_CERTIFICATE, t->tok.sign_id, t->tok.sign_id_len, &h);

	if (rv == CKR_OK)
		rv = ukc_get_attr(p11, s, h, CKA_VALUE, &v, &len);
	if (rv != CKR_OK || len != t->certlen || memcmp(v, t->cert, len) != 0)
		note_error(w, "certificate value", rv);
	else
		w->attrs++;
	free(v);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	CK_SESSION_HANDLE s[2];
	CK_OBJECT_HANDLE priv[2];
	unsigned long it;

	for (int i = 0; i < 2; i++) {
		CK_RV rv = p11->C_OpenSession(toks[i].slot, CKF_SERIAL_SESSION, NULL, NULL, &s[i]);

		if (rv == CKR_OK)
			rv = ukt_find_one(p11, s[i], CKO_PRIVATE_KEY, toks[i].tok.sign_id, toks[i].tok.sign_id_len,
					  &priv[i]);
		if (rv != CKR_OK) {
			note_error(w, "open session / find key", rv);
			return NULL;
		}
	}
	for (it = (unsigned long)w->idx; !atomic_load(&stop); it++) {
		struct tokfx *t = &toks[it % 2];
		CK_SESSION_HANDLE ss = s[it % 2];

		switch ((it / 2) % 4) {
		case 0:
		case 1:
			do_sign(w, t, ss, priv[it % 2]);
			break;
		case 2:
			do_find(w, t, ss);
			break;
		default:
			do_attr(w, t, ss);
		}
	}
	p11->C_CloseSession(s[0]);
	p11->C_CloseSession(s[1]);
	return NULL;
}

/* Sessions come and go while the workers use theirs; a logged-in token
 * must show every new session as logged in. */
static void *session_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned long it = 0; !atomic_load(&stop); it++) {
		struct tokfx *t = &toks[it % 2];
		CK_SESSION_HANDLE s;
		CK_SESSION_INFO si;
		CK_RV rv = p11->C_OpenSession(t->slot, CKF_SERIAL_SESSION | (it & 2 ? CKF_RW_SESSION : 0),
					      NULL, NULL, &s);

		if (rv != CKR_OK) {
			note_error(w, "C_OpenSession", rv);
			continue;
		}
		rv = p11->C_GetSessionInfo(s, &si);
		if (rv != CKR_OK || si.slotID != t->slot ||
		    si.state != (it & 2 ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS))
			note_error(w, "C_GetSessionInfo", rv);
		rv = p11->C_CloseSession(s);
		if (rv != CKR_OK)
			note_error(w, "C_CloseSession", rv);
		else
			w->sessions++;
	}
	return NULL;
}

static double seconds(void)
{
	const char *env = getenv("UKEY_THREAD_TEST_SECONDS");
	double v = env ? atof(env) : 0;

	return v > 0 ? v : 10.0;
}

static void test_parallel_sign_find_attributes_and_sessions_give_no_errors(void **state)
{
	static struct worker w[WORKERS + 1];
	struct timespec ts = { 0 };
	double secs = seconds();
	unsigned long errors = 0, signs = 0, verified = 0, finds = 0, attrs = 0;

	(void)state;
	atomic_store(&stop, false);
	for (int i = 0; i <= WORKERS; i++) {
		w[i].idx = i;
		assert_int_equal(pthread_create(&w[i].th, NULL, i < WORKERS ? worker_main : session_main, &w[i]), 0);
	}
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	atomic_store(&stop, true);
	for (int i = 0; i <= WORKERS; i++) {
		assert_int_equal(pthread_join(w[i].th, NULL), 0);
		if (w[i].errors)
			print_message("# thread %d: %lu errors, first: %s\n", i, w[i].errors, w[i].first_error);
		errors += w[i].errors;
		signs += w[i].signs;
		verified += w[i].verified;
		finds += w[i].finds;
		attrs += w[i].attrs;
	}
	print_message("# %.1f s, %d workers: %lu signatures (%lu verified by OpenSSL), %lu finds, "
		      "%lu attribute reads, %lu sessions opened/closed, %lu errors\n",
		      secs, WORKERS, signs, verified, finds, attrs, w[WORKERS].sessions, errors);
	assert_int_equal(errors, 0);
	for (int i = 0; i < WORKERS; i++)
		assert_true(w[i].signs > 0 && w[i].finds > 0 && w[i].attrs > 0);
	assert_true(w[WORKERS].sessions > 0);
	assert_true(verified > 0);
}

/* ---- login and logout churn (issue 12, defect 2) ---- */

#define CHURN_ROUNDS 60

struct churn {
	pthread_barrier_t start, end;
	struct tokfx *t;
	CK_SESSION_HANDLE s[2];
	CK_RV rv[3];
	int round;
	atomic_bool quit;
};

static CK_RV private_keys(CK_SESSION_HANDLE s, CK_ULONG *n)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE a = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[16];
	CK_RV rv = p11->C_FindObjectsInit(s, &a, 1);
	*n = 0;
	if (rv == CKR_OK)
		rv = p11->C_FindObjects(s, h, 16, n);
	p11->C_FindObjectsFinal(s);
	return rv;
}

/* Thread 0 logs in; thread 1 logs out on even rounds and logs in on odd
 * ones (two logins at once); thread 2 opens, reads and closes a session. */
static void *churn_main(void *arg)
{
	struct churn *c = ((void **)arg)[0];
	int idx = (int)(intptr_t)((void **)arg)[1];
	const char *pin = c->t->tok.user_pin;
	for (;;) {
		pthread_barrier_wait(&c->start);
		if (atomic_load(&c->quit))
			return NULL;
		if (idx == 0 || (idx == 1 && c->round % 2))
			c->rv[idx] = p11->C_Login(c->s[idx], CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		else if (idx == 1)
			c->rv[idx] = p11->C_Logout(c->s[idx]);
		else {
			CK_SESSION_HANDLE s;
			CK_SESSION_INFO si;
			CK_ULONG n;
			c->rv[2] = p11->C_OpenSession(c->t->slot, CKF_SERIAL_SESSION | (c->round & 2 ? CKF_RW_SESSION : 0),
						      NULL, NULL, &s);
			if (c->rv[2] == CKR_OK) {
				if (p11->C_GetSessionInfo(s, &si) != CKR_OK || private_keys(s, &n) != CKR_OK)
					c->rv[2] = CKR_GENERAL_ERROR;
				p11->C_CloseSession(s);
			}
		}
		pthread_barrier_wait(&c->end);
	}
}

static void test_login_logout_and_sessions_in_three_threads_keep_one_login_state(void **state)
{
	static struct churn c;
	pthread_t th[3];
	void *args[3][2];
	struct tokfx *t = &toks[0];
	const char *pin = t->tok.user_pin;
	CK_SESSION_INFO si;
	CK_ULONG n, want = 0;
	(void)state;
	memset(&c, 0, sizeof(c));
	c.t = t;
	assert_int_equal(private_keys(t->base, &want), CKR_OK);
	assert_true(want >= 2);
	for (int i = 0; i < 2; i++)
		assert_int_equal(p11->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL, &c.s[i]), CKR_OK);
	assert_int_equal(pthread_barrier_init(&c.start, NULL, 4), 0);
	assert_int_equal(pthread_barrier_init(&c.end, NULL, 4), 0);
	for (int i = 0; i < 3; i++) {
		args[i][0] = &c;
		args[i][1] = (void *)(intptr_t)i;
		assert_int_equal(pthread_create(&th[i], NULL, churn_main, args[i]), 0);
	}
	for (c.round = 0; c.round < CHURN_ROUNDS; c.round++) {
		/* Odd rounds start logged out: exactly one of the two logins
		 * may reach the device and succeed. */
		if (c.round % 2) {
			CK_RV rv = p11->C_Logout(t->base);
			assert_true(rv == CKR_OK || rv == CKR_USER_NOT_LOGGED_IN);
		}
		pthread_barrier_wait(&c.start);
		pthread_barrier_wait(&c.end);
		assert_true(c.rv[0] == CKR_OK || c.rv[0] == CKR_USER_ALREADY_LOGGED_IN);
		if (c.round % 2) {
			assert_true(c.rv[1] == CKR_OK || c.rv[1] == CKR_USER_ALREADY_LOGGED_IN);
			assert_true((c.rv[0] == CKR_OK) != (c.rv[1] == CKR_OK));
		} else {
			assert_true(c.rv[1] == CKR_OK || c.rv[1] == CKR_USER_NOT_LOGGED_IN);
		}
		assert_int_equal(c.rv[2], CKR_OK);
		/* The state and the objects agree: logged in shows the private
		 * keys, logged out shows none. */
		assert_int_equal(p11->C_GetSessionInfo(t->base, &si), CKR_OK);
		assert_int_equal(private_keys(t->base, &n), CKR_OK);
		if (si.state == CKS_RO_USER_FUNCTIONS)
			assert_int_equal(n, want);
		else
			assert_int_equal(n, 0);
	}
	atomic_store(&c.quit, true);
	pthread_barrier_wait(&c.start);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&c.start);
	pthread_barrier_destroy(&c.end);
	p11->C_CloseSession(c.s[0]);
	p11->C_CloseSession(c.s[1]);
	/* Leave the token logged in for whatever runs next. */
	CK_RV rv = p11->C_Login(t->base, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	assert_true(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN);
}

/* Secret keys passed through to the backend (module/token/pass-*.c): each
 * round makes a session key in a fresh session, encrypts in two parts, and
 * closes the session while another thread does the same, so holders and
 * running operations are opened and given up concurrently. */
#define SECRET_ROUNDS 40

static void *secret_main(void *arg)
{
	static CK_ULONG len = 32;
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	struct worker *w = arg;
	struct tokfx *t = &toks[0];
	CK_ATTRIBUTE tmpl[] = { { CKA_VALUE_LEN, &len, sizeof(len) }, { CKA_ENCRYPT, &yes, 1 },
				{ CKA_PRIVATE, &no, 1 } };
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 }, ecb = { CKM_AES_ECB, NULL, 0 };
	unsigned char in[64] = { 0 }, out[64];

	for (int r = 0; r < SECRET_ROUNDS; r++) {
		CK_SESSION_HANDLE s;
		CK_OBJECT_HANDLE k;
		CK_ULONG a = sizeof(out), b;
		CK_RV rv = p11->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
		if (rv != CKR_OK) {
			note_error(w, "C_OpenSession", rv);
			continue;
		}
		if ((rv = p11->C_GenerateKey(s, &gen, tmpl, 3, &k)) != CKR_OK)
			note_error(w, "C_GenerateKey", rv);
		else if ((rv = p11->C_EncryptInit(s, &ecb, k)) != CKR_OK ||
			 (rv = p11->C_EncryptUpdate(s, in, 32, out, &a)) != CKR_OK ||
			 (b = sizeof(out) - a, rv = p11->C_EncryptUpdate(s, in + 32, 32, out + a, &b)) != CKR_OK)
			note_error(w, "encrypt", rv);
		else
			w->signs++;
		/* Closed with the operation still running, half the time. */
		if (r % 2 == 0 && (rv = p11->C_EncryptFinal(s, out, &a)) != CKR_OK)
			note_error(w, "C_EncryptFinal", rv);
		if ((rv = p11->C_CloseSession(s)) != CKR_OK)
			note_error(w, "C_CloseSession", rv);
	}
	return NULL;
}

static void test_parallel_secret_keys_in_sessions_that_come_and_go(void **state)
{
	static struct worker w[4];
	unsigned long errors = 0;

	(void)state;
	ukt_skip_if(ukt_is_skf(), "GM/T 0016 keeps no secret-key objects (docs/skf.md)");
	for (int i = 0; i < 4; i++) {
		w[i].idx = i;
		assert_int_equal(pthread_create(&w[i].th, NULL, secret_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(w[i].th, NULL), 0);
		if (w[i].errors)
			print_message("# secret thread %d: %lu errors, first: %s\n", i, w[i].errors, w[i].first_error);
		errors += w[i].errors;
		assert_int_equal(w[i].signs, SECRET_ROUNDS);
	}
	assert_int_equal(errors, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parallel_sign_find_attributes_and_sessions_give_no_errors),
		cmocka_unit_test(test_login_logout_and_sessions_in_three_threads_keep_one_login_state),
		cmocka_unit_test(test_parallel_secret_keys_in_sessions_that_come_and_go),
	};

	return cmocka_run_group_tests_name("threads", tests, group_setup, group_teardown);
}
