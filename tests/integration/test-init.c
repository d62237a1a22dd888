/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Library life cycle through the module, loaded with dlopen as a consumer
 * does: C_GetFunctionList, C_Initialize argument rules, C_Finalize,
 * re-initialisation, fork(), C_GetInfo, and what a broken configuration
 * does (no slots, no crash). */

#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "testlib.h"

static CK_FUNCTION_LIST *p11;
static void *module_handle;
static struct ukt_token tok;

static void use_token(const struct ukt_token *t)
{
	assert_int_equal(ukt_vkey_use(t), 0);
}

static int group_setup(void **state)
{
	(void)state;
	return ukt_vkey_create("rsa", &tok) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ukt_vkey_destroy(&tok);
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	use_token(&tok);
	return 0;
}

/* Each test leaves the library in whatever state; start the next clean. */
static int test_teardown(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	use_token(&tok);
	return 0;
}

/* A PKCS#11 text field: not empty, no NUL, blank padded (no trailing junk
 * after the first run of trailing blanks). */
static void assert_padded_text(const CK_UTF8CHAR *f, size_t n)
{
	size_t i, end = n;

	for (i = 0; i < n; i++)
		assert_true(f[i] != '\0');
	while (end > 0 && f[end - 1] == ' ')
		end--;
	assert_true(end > 0);
}

static CK_ULONG count_slots(CK_BBOOL present)
{
	CK_ULONG n = 12345;

	assert_int_equal(p11->C_GetSlotList(present, NULL, &n), CKR_OK);
	return n;
}

static void test_get_function_list_rejects_null(void **state)
{
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST *list = NULL;

	(void)state;
	*(void **)&get = dlsym(module_handle, "C_GetFunctionList");
	assert_non_null(get);
	assert_int_equal(get(NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(get(&list), CKR_OK);
	assert_ptr_equal(list, p11);
	assert_int_equal(list->version.major, 2);
	assert_int_equal(list->version.minor, 40);
}

static void test_calls_before_initialize_are_not_initialized(void **state)
{
	CK_INFO info;
	CK_SLOT_INFO si;
	CK_SESSION_INFO ss;
	CK_SESSION_HANDLE s;
	CK_ULONG n = 0;

	(void)state;
	assert_int_equal(p11->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(p11->C_GetSlotList(CK_TRUE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(p11->C_GetSlotInfo(0, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &s),
			 CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(p11->C_GetSessionInfo(1, &ss), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(p11->C_CloseAllSessions(0), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_initialize_null_lists_the_token(void **state)
{
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;

	(void)state;
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_true(count_slots(CK_TRUE) >= 1);
	assert_int_equal(ukt_open(p11, &tok, false, false, &slot, &s), CKR_OK);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

static void test_initialize_os_locking_ok_is_accepted(void **state)
{
	CK_C_INITIALIZE_ARGS args;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;

	(void)state;
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	assert_int_equal(p11->C_Initialize(&args), CKR_OK);
	assert_int_equal(ukt_open(p11, &tok, false, true, &slot, &s), CKR_OK);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

/* Real mutex callbacks, so a library that does use them would work. */
static CK_RV mx_create(CK_VOID_PTR_PTR out)
{
	pthread_mutex_t *m = malloc(sizeof(*m));

	if (m == NULL)
		return CKR_HOST_MEMORY;
	pthread_mutex_init(m, NULL);
	*out = m;
	return CKR_OK;
}

static CK_RV mx_destroy(CK_VOID_PTR m)
{
	pthread_mutex_destroy(m);
	free(m);
	return CKR_OK;
}

static CK_RV mx_lock(CK_VOID_PTR m)
{
	return pthread_mutex_lock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}

static CK_RV mx_unlock(CK_VOID_PTR m)
{
	return pthread_mutex_unlock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}

static void test_initialize_callbacks_without_os_flag_cant_lock(void **state)
{
	CK_C_INITIALIZE_ARGS args;

	(void)state;
	memset(&args, 0, sizeof(args));
	args.CreateMutex = mx_create;
	args.DestroyMutex = mx_destroy;
	args.LockMutex = mx_lock;
	args.UnlockMutex = mx_unlock;
	assert_int_equal(p11->C_Initialize(&args), CKR_CANT_LOCK);
	/* refused means not initialised */
	assert_int_equal(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_initialize_some_callbacks_is_arguments_bad(void **state)
{
	CK_C_INITIALIZE_ARGS args;

	(void)state;
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	args.CreateMutex = mx_create;
	args.LockMutex = mx_lock;
	assert_int_equal(p11->C_Initialize(&args), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_initialize_reserved_non_null_is_arguments_bad(void **state)
{
	CK_C_INITIALIZE_ARGS args;
	int dummy = 0;

	(void)state;
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = &dummy;
	assert_int_equal(p11->C_Initialize(&args), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_initialize_twice_is_already_initialized(void **state)
{
	CK_C_INITIALIZE_ARGS args;

	(void)state;
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(p11->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	assert_int_equal(p11->C_Initialize(&args), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	/* the failed calls did not disturb the first initialisation */
	assert_true(count_slots(CK_TRUE) >= 1);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

static void test_finalize_non_null_is_arguments_bad(void **state)
{
	int dummy = 0;

	(void)state;
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(p11->C_Finalize(&dummy), CKR_ARGUMENTS_BAD);
	/* still initialised */
	assert_true(count_slots(CK_TRUE) >= 1);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	assert_int_equal(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_reinitialize_after_finalize_sees_token(void **state)
{
	CK_SLOT_ID slot1, slot2;
	CK_SESSION_HANDLE s1, s2;
	CK_SESSION_INFO si;
	CK_TOKEN_INFO ti;
	int round;

	(void)state;
	assert_int_equal(ukt_open(p11, &tok, false, true, &slot1, &s1), CKR_OK);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	/* a session of the old initialisation is gone after finalize */
	assert_int_equal(p11->C_GetSessionInfo(s1, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
	for (round = 0; round < 3; round++) {
		assert_int_equal(ukt_open(p11, &tok, false, false, &slot2, &s2), CKR_OK);
		assert_int_equal(p11->C_GetTokenInfo(slot2, &ti), CKR_OK);
		assert_memory_equal(ti.serialNumber, tok.serial, strlen(tok.serial));
		/* a fresh initialisation starts logged out */
		assert_int_equal(p11->C_GetSessionInfo(s2, &si), CKR_OK);
		assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
		assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	}
}

/* Checks a SHA256-RSA PKCS#1 signature with the signing certificate's key
 * (from the virtual U-KEY's files, not from the module). */
static int verify_with_sign_cert(const unsigned char *data, size_t dlen, const unsigned char *sig,
				 size_t slen)
{
	char path[700];
	FILE *f;
	X509 *cert = NULL;
	EVP_MD_CTX *md = NULL;
	int ok = 0;

	snprintf(path, sizeof(path), "%s/keys/sign.pem", tok.dir);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	md = EVP_MD_CTX_new();
	if (cert == NULL || md == NULL)
		goto out;
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)) != 1)
		goto out;
	ok = EVP_DigestVerify(md, sig, slen, data, dlen) == 1;
out:
	EVP_MD_CTX_free(md);
	X509_free(cert);
	return ok;
}

/* Logs in (via ukt_open) and signs with the signing key; 0 or a step number. */
static int sign_and_verify(CK_SESSION_HANDLE s)
{
	static const unsigned char msg[] = "fork test message";
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	unsigned char sig[512];
	CK_ULONG slen = sizeof(sig);
	CK_OBJECT_HANDLE key;

	if (ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.sign_id, tok.sign_id_len, &key) != CKR_OK)
		return 1;
	if (p11->C_SignInit(s, &mech, key) != CKR_OK)
		return 2;
	if (p11->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, &slen) != CKR_OK)
		return 3;
	if (slen != 256 || !verify_with_sign_cert(msg, sizeof(msg) - 1, sig, slen))
		return 4;
	return 0;
}

/* The child's checks, reported by exit status (a cmocka assert cannot
 * cross fork). */
static int fork_child(CK_SLOT_ID parent_slot, CK_SESSION_HANDLE parent_session)
{
	CK_INFO info;
	CK_SESSION_INFO si;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_ULONG n = 0;
	int r;

	if (p11->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED)
		return 10;
	if (p11->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_CRYPTOKI_NOT_INITIALIZED)
		return 11;
	if (p11->C_GetSessionInfo(parent_session, &si) != CKR_CRYPTOKI_NOT_INITIALIZED)
		return 12;
	if (p11->C_OpenSession(parent_slot, CKF_SERIAL_SESSION, NULL, NULL, &s) !=
	    CKR_CRYPTOKI_NOT_INITIALIZED)
		return 13;
	if (p11->C_Finalize(NULL) != CKR_CRYPTOKI_NOT_INITIALIZED)
		return 14;
	if (p11->C_Initialize(NULL) != CKR_OK)
		return 20;
	if (ukt_open(p11, &tok, false, true, &slot, &s) != CKR_OK)
		return 21;
	r = sign_and_verify(s);
	if (r != 0)
		return 30 + r;
	if (p11->C_Finalize(NULL) != CKR_OK)
		return 40;
	return 0;
}

static void test_fork_child_must_reinitialize_then_signs(void **state)
{
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;
	pid_t pid;
	int status = 0;

	(void)state;
	assert_int_equal(ukt_open(p11, &tok, false, true, &slot, &s), CKR_OK);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fork_child(slot, s));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the child's life (and its C_Finalize) left the parent's session intact */
	assert_int_equal(p11->C_GetSessionInfo(s, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_USER_FUNCTIONS);
	assert_int_equal(sign_and_verify(s), 0);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

static void test_get_info_reports_240_and_padded_text(void **state)
{
	CK_INFO info;

	(void)state;
	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(p11->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
	memset(&info, 0, sizeof(info));
	assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
	assert_int_equal(info.cryptokiVersion.major, 2);
	assert_int_equal(info.cryptokiVersion.minor, 40);
	assert_padded_text(info.manufacturerID, sizeof(info.manufacturerID));
	assert_padded_text(info.libraryDescription, sizeof(info.libraryDescription));
	assert_int_equal(info.flags, 0);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

/* Writes text to DIR/name and points UKEY_PKCS11_CONF at it. */
static void use_conf_text(const char *name, const char *text)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tok.dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	setenv("UKEY_PKCS11_CONF", path, 1);
}

/* A broken config must give a module that loads and shows no slot. */
static void assert_initializes_with_no_slots(void)
{
	CK_INFO info;

	assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
	assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
	assert_int_equal(count_slots(CK_FALSE), 0);
	assert_int_equal(count_slots(CK_TRUE), 0);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

static void test_missing_config_gives_no_slots_then_good_config_works(void **state)
{
	char path[700];
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;

	(void)state;
	snprintf(path, sizeof(path), "%s/no-such-dir/ukey-pkcs11.conf", tok.dir);
	setenv("UKEY_PKCS11_CONF", path, 1);
	assert_initializes_with_no_slots();
	use_token(&tok);
	assert_int_equal(ukt_open(p11, &tok, false, false, &slot, &s), CKR_OK);
}

static void test_garbage_config_gives_no_slots(void **state)
{
	(void)state;
	use_conf_text("garbage.conf", "this is [not an ini\n\x01\x02\x03 = =\n[backend\n=x\n");
	assert_initializes_with_no_slots();
}

static void test_unknown_driver_config_gives_no_slots(void **state)
{
	char text[900];

	(void)state;
	snprintf(text, sizeof(text), "[backend x]\ndriver = no-such-driver\nlibrary = %s\n",
		 ukt_softhsm_path());
	use_conf_text("bad-driver.conf", text);
	assert_initializes_with_no_slots();
}

static void test_missing_backend_library_gives_no_slots(void **state)
{
	(void)state;
	use_conf_text("no-lib.conf",
		      "[backend x]\ndriver = p11\nlibrary = /nonexistent/libnothing-pkcs11.so\n");
	assert_initializes_with_no_slots();
}

static void test_non_pkcs11_backend_library_gives_no_slots(void **state)
{
	(void)state;
	/* loads fine but has no C_GetFunctionList */
	use_conf_text("not-p11.conf", "[backend x]\ndriver = p11\nlibrary = libm.so.6\n");
	assert_initializes_with_no_slots();
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_get_function_list_rejects_null),
		T(test_calls_before_initialize_are_not_initialized),
		T(test_initialize_null_lists_the_token),
		T(test_initialize_os_locking_ok_is_accepted),
		T(test_initialize_callbacks_without_os_flag_cant_lock),
		T(test_initialize_some_callbacks_is_arguments_bad),
		T(test_initialize_reserved_non_null_is_arguments_bad),
		T(test_initialize_twice_is_already_initialized),
		T(test_finalize_non_null_is_arguments_bad),
		T(test_reinitialize_after_finalize_sees_token),
		T(test_fork_child_must_reinitialize_then_signs),
		T(test_get_info_reports_240_and_padded_text),
		T(test_missing_config_gives_no_slots_then_good_config_works),
		T(test_garbage_config_gives_no_slots),
		T(test_unknown_driver_config_gives_no_slots),
		T(test_missing_backend_library_gives_no_slots),
		T(test_non_pkcs11_backend_library_gives_no_slots),
	};
	int rc;

	p11 = ukt_module_load(&module_handle);
	if (p11 == NULL)
		return 1;
	rc = cmocka_run_group_tests_name("init", tests, group_setup, group_teardown);
	dlclose(module_handle);
	return rc;
}
