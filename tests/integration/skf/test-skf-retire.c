#include "config.h"

/* Destroy semantics of the SKF driver for a container that holds both a
 * signing and an encryption pair (docs/skf.md, Destroy). SKF can delete
 * only whole containers and the encryption pair must stay, so destroying
 * the signing certificate retires the signing pair: certificate, public
 * and private key are no longer listed and their handles are invalid; the
 * encryption pair still decrypts and cannot be destroyed; a fresh module
 * instance in another process sees the same; the bookkeeping file
 * "ukey-retired" is on the device but is no data object and cannot be made
 * one; a damaged or oversized file is ignored with a warning naming it, and
 * the next retirement replaces it. The tests run in order on one token. */

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../crypto-check.h"
#include "testlib.h"
#include "ukey-pkcs11.h"

/* The driver's bookkeeping file (UKEY_SKF_RETIRED_FILE, module/drivers/skf.h). */
#define UKEY_SKF_RETIRED_NAME "ukey-retired"

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok;
static char files[800];   /* the device application's files directory */

static int group_setup(void **state)
{
	(void)state;
	setenv("UKEY_TEST_BACKEND", "skf", 1);
	if (ukt_vkey_create("sm2", &tok) != 0)
		return -1;
	snprintf(files, sizeof(files), "%s/apps/UKEY/files", tok.device);
	p11 = ukt_module_load(&dl);
	return p11 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	ukt_vkey_destroy(&tok);
	if (dl)
		dlclose(dl);
	return 0;
}

/* Objects of class cls (any class when cls is -1) with CKA_ID id. */
static CK_ULONG count_id(CK_SESSION_HANDLE s, long cls, const unsigned char *id, size_t idlen)
{
	CK_OBJECT_CLASS c = (CK_OBJECT_CLASS)cls;
	CK_ATTRIBUTE t[2] = { { CKA_ID, (void *)id, idlen }, { CKA_CLASS, &c, sizeof(c) } };
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0;

	if (p11->C_FindObjectsInit(s, t, cls < 0 ? 1 : 2) != CKR_OK || p11->C_FindObjects(s, h, 16, &n) != CKR_OK ||
	    p11->C_FindObjectsFinal(s) != CKR_OK)
		return 99;
	return n;
}

static CK_ULONG count_label(CK_SESSION_HANDLE s, const char *label)
{
	CK_ATTRIBUTE t = { CKA_LABEL, (void *)label, strlen(label) };
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = 0;

	if (p11->C_FindObjectsInit(s, &t, 1) != CKR_OK || p11->C_FindObjects(s, h, 4, &n) != CKR_OK ||
	    p11->C_FindObjectsFinal(s) != CKR_OK)
		return 99;
	return n;
}

/* Encrypts to the encryption public key in software (token/) and decrypts
 * with the encryption private key on the device. 0 when the plaintext
 * comes back. */
static int enc_round_trip(CK_SESSION_HANDLE s)
{
	CK_MECHANISM m = { CKM_SM2_ENCRYPT, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	unsigned char pt[48], ct[512], out[512];
	CK_ULONG cl = sizeof(ct), ol = sizeof(out);

	ukc_random(pt, sizeof(pt));
	if (ukt_find_one(p11, s, CKO_PUBLIC_KEY, tok.enc_id, tok.enc_id_len, &pub) != CKR_OK ||
	    ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.enc_id, tok.enc_id_len, &priv) != CKR_OK ||
	    p11->C_EncryptInit(s, &m, pub) != CKR_OK || p11->C_Encrypt(s, pt, sizeof(pt), ct, &cl) != CKR_OK ||
	    p11->C_DecryptInit(s, &m, priv) != CKR_OK || p11->C_Decrypt(s, ct, cl, out, &ol) != CKR_OK)
		return -1;
	return ol == sizeof(pt) && memcmp(out, pt, ol) == 0 ? 0 : -1;
}

/* In a forked child, a fresh module instance (its own C_Initialize, the
 * device read afresh): the signing objects listed, the encryption objects
 * listed, and the encryption pair decrypts? Exit status 0 when it sees
 * want_sign signing objects and 3 encryption objects that decrypt; the
 * child's stderr (the module's log) goes to log. */
static int fresh_instance_sees(CK_ULONG want_sign, const char *log)
{
	pid_t pid;
	int st = -1;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		CK_SESSION_HANDLE s;
		CK_SLOT_ID slot;
		if (log && !freopen(log, "w", stderr))
			_exit(9);
		setvbuf(stderr, NULL, _IONBF, 0);   /* _exit flushes nothing */
		if (ukt_open(p11, &tok, false, true, &slot, &s) != CKR_OK)
			_exit(2);
		if (count_id(s, -1, tok.sign_id, tok.sign_id_len) != want_sign)
			_exit(3);
		if (count_id(s, -1, tok.enc_id, tok.enc_id_len) != 3 || enc_round_trip(s) != 0)
			_exit(4);
		_exit(p11->C_Finalize(NULL) == CKR_OK ? 0 : 5);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_destroying_the_signing_certificate_retires_the_signing_pair_and_keeps_the_encryption_pair(
	void **state)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_OBJECT_HANDLE cert, pub, priv, enc_priv, enc_cert;
	CK_MECHANISM sm2 = { CKM_SM3_SM2, NULL, 0 };
	CK_BYTE buf[64];
	CK_ATTRIBUTE a = { CKA_LABEL, buf, sizeof(buf) };

	(void)state;
	assert_int_equal(ukt_open(p11, &tok, true, true, &slot, &s), CKR_OK);
	assert_int_equal(count_id(s, -1, tok.sign_id, tok.sign_id_len), 3);
	assert_int_equal(ukt_find_one(p11, s, CKO_CERTIFICATE, tok.sign_id, tok.sign_id_len, &cert), CKR_OK);
	assert_int_equal(ukt_find_one(p11, s, CKO_PUBLIC_KEY, tok.sign_id, tok.sign_id_len, &pub), CKR_OK);
	assert_int_equal(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.sign_id, tok.sign_id_len, &priv), CKR_OK);

	assert_int_equal(p11->C_DestroyObject(s, cert), CKR_OK);
	/* certificate and both keys gone from listings, their handles invalid */
	assert_int_equal(count_id(s, -1, tok.sign_id, tok.sign_id_len), 0);
	assert_int_equal(p11->C_GetAttributeValue(s, cert, &a, 1), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(p11->C_GetAttributeValue(s, pub, &a, 1), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(p11->C_SignInit(s, &sm2, priv), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(p11->C_DestroyObject(s, priv), CKR_OBJECT_HANDLE_INVALID);

	/* the encryption pair stays, decrypts, and cannot be destroyed */
	assert_int_equal(count_id(s, -1, tok.enc_id, tok.enc_id_len), 3);
	assert_int_equal(enc_round_trip(s), 0);
	assert_int_equal(ukt_find_one(p11, s, CKO_PRIVATE_KEY, tok.enc_id, tok.enc_id_len, &enc_priv), CKR_OK);
	assert_int_equal(ukt_find_one(p11, s, CKO_CERTIFICATE, tok.enc_id, tok.enc_id_len, &enc_cert), CKR_OK);
	assert_int_equal(p11->C_DestroyObject(s, enc_priv), CKR_ACTION_PROHIBITED);
	assert_int_equal(p11->C_DestroyObject(s, enc_cert), CKR_ACTION_PROHIBITED);
	assert_int_equal(count_id(s, -1, tok.enc_id, tok.enc_id_len), 3);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);

	/* another process, a fresh instance: the same */
	assert_int_equal(fresh_instance_sees(0, NULL), 0);
}

static void test_the_retired_file_is_on_the_device_but_no_data_object(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_BBOOL yes = CK_TRUE;
	static const char name[] = UKEY_SKF_RETIRED_NAME;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &data, sizeof(data) }, { CKA_TOKEN, &yes, sizeof(yes) },
			     { CKA_LABEL, (void *)name, sizeof(name) - 1 }, { CKA_VALUE, "x", 1 } };
	CK_OBJECT_HANDLE h;
	char path[900], *text;

	(void)state;
	snprintf(path, sizeof(path), "%s/%s/data", files, name);
	text = read_text(path);
	assert_string_equal(text, "ukey\n");   /* ukey-vkey's container, one line */
	free(text);
	assert_int_equal(ukt_open(p11, &tok, true, true, &slot, &s), CKR_OK);
	assert_int_equal(count_label(s, name), 0);
	assert_int_equal(p11->C_CreateObject(s, t, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

/* Overwrites the retired file's data (and its size in attr) as a damaged
 * device or another program might. */
static void damage(const char *content, size_t len)
{
	char path[900];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/data", files, UKEY_SKF_RETIRED_NAME);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(content, 1, len, f), len);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s/attr", files, UKEY_SKF_RETIRED_NAME);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "size=%zu\nread=0xff\nwrite=0x10\n", len);
	fclose(f);
}

static void test_a_damaged_or_oversized_retired_file_is_ignored_with_a_warning(void **state)
{
	char log[900], body[600], *big, *text;
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_OBJECT_HANDLE cert;

	(void)state;
	snprintf(log, sizeof(log), "%s/retired.log", tok.dir);
	/* a control character: the whole list is not trusted */
	memset(body, 0, sizeof(body));
	memcpy(body, "ukey\n\001garbage\n", 14);
	damage(body, sizeof(body));
	assert_int_equal(fresh_instance_sees(3, log), 0);
	text = read_text(log);
	assert_non_null(strstr(text, "file " UKEY_SKF_RETIRED_NAME " (600 bytes) ignored: a control character"));
	free(text);
	/* larger than any list */
	big = malloc(5000);
	assert_non_null(big);
	memset(big, 'a', 5000);
	damage(big, 5000);
	free(big);
	assert_int_equal(fresh_instance_sees(3, log), 0);
	text = read_text(log);
	assert_non_null(strstr(text, "file " UKEY_SKF_RETIRED_NAME " (5000 bytes) ignored: larger than"));
	free(text);
	/* the next retirement replaces the damaged file with a good one */
	assert_int_equal(ukt_open(p11, &tok, true, true, &slot, &s), CKR_OK);
	assert_int_equal(ukt_find_one(p11, s, CKO_CERTIFICATE, tok.sign_id, tok.sign_id_len, &cert), CKR_OK);
	assert_int_equal(p11->C_DestroyObject(s, cert), CKR_OK);
	assert_int_equal(count_id(s, -1, tok.sign_id, tok.sign_id_len), 0);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
	assert_int_equal(fresh_instance_sees(0, log), 0);
	text = read_text(log);
	assert_null(strstr(text, UKEY_SKF_RETIRED_NAME));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_destroying_the_signing_certificate_retires_the_signing_pair_and_keeps_the_encryption_pair),
		cmocka_unit_test(test_the_retired_file_is_on_the_device_but_no_data_object),
		cmocka_unit_test(test_a_damaged_or_oversized_retired_file_is_ignored_with_a_warning),
	};

	return cmocka_run_group_tests_name("skf-retire", tests, group_setup, group_teardown);
}
