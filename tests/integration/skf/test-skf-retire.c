/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Destroy semantics of the SKF driver for a container that holds both a
 * signing and an encryption pair (docs/skf.md, Destroy). SKF can delete
 * only whole containers and the encryption pair must stay, so destroying
 * the signing certificate retires the signing pair: certificate, public
 * and private key are no longer listed and their handles are invalid; the
 * encryption pair still decrypts and cannot be destroyed; a fresh module
 * instance in another process sees the same. The record of it is
 * append-only ("ukey-retired", then "ukey-retired.1"...: created once,
 * appended to, never rewritten), names the pair by its container and the
 * fingerprint of its public key (a record for another key of that name
 * hides nothing), is on the device but is no data object and cannot be
 * made one; a damaged or oversized file is ignored with a warning naming
 * it and deleted by the next retirement; a record cut short is ignored.
 * The tests run in order on one token. */

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
#include "hex.h"
#include "testlib.h"
#include "ukey-pkcs11.h"

/* The driver's bookkeeping file (UKEY_SKF_RETIRED_FILE, module/drivers/skf/skf.h). */
#define UKEY_SKF_RETIRED_NAME "ukey-retired"

#include "skf-fixture.h"

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

/* files/<name>/data of the device (malloc'd, NUL-terminated after *len
 * bytes), or NULL when the file is not there. */
static char *file_data(const char *name, size_t *len)
{
	char path[900];
	FILE *f;
	char *buf = calloc(1, 8192);
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/files/%s/data", skf_app, name);
	f = fopen(path, "rb");
	if (f && buf)
		n = fread(buf, 1, 8191, f);
	if (f)
		fclose(f);
	if (!f) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Whether text starts with "<name>\t" and 16 lower-case hex digits and '\n'. */
static int is_record(const char *text, const char *name)
{
	size_t nl = strlen(name);

	return strncmp(text, name, nl) == 0 && text[nl] == '\t' && text[nl + 17] == '\n' &&
	       ukc_hex_is_lower(text + nl + 1, 16);
}

/* Writes a list file as another program (or an earlier version), or a
 * damaged device, would: len bytes of content, NUL-padded to size. */
static void put_bytes(const char *name, const char *content, size_t len, size_t size)
{
	char path[900];
	FILE *f;
	char *buf = calloc(1, size);

	assert_non_null(buf);
	memcpy(buf, content, len);
	assert_int_equal(ukt_system("mkdir -p '%s/files/%s'", skf_app, name), 0);
	snprintf(path, sizeof(path), "%s/files/%s/data", skf_app, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(buf, 1, size, f), size);
	fclose(f);
	snprintf(path, sizeof(path), "%s/files/%s/attr", skf_app, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "size=%zu\nread=0xff\nwrite=0x10\n", size);
	fclose(f);
	free(buf);
}

static void put_list(const char *name, const char *content, size_t size)
{
	put_bytes(name, content, strlen(content), size);
}

static void remove_list(const char *name)
{
	assert_int_equal(ukt_system("rm -rf '%s/files/%s'", skf_app, name), 0);
}

/* Destroys the signing certificate of the vkey's container "ukey". */
static void retire_again(void)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_OBJECT_HANDLE cert;

	assert_int_equal(ukt_open(p11, &tok, true, true, &slot, &s), CKR_OK);
	assert_int_equal(ukt_find_one(p11, s, CKO_CERTIFICATE, tok.sign_id, tok.sign_id_len, &cert), CKR_OK);
	assert_int_equal(p11->C_DestroyObject(s, cert), CKR_OK);
	assert_int_equal(count_id(s, -1, tok.sign_id, tok.sign_id_len), 0);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

static void test_the_retired_record_is_on_the_device_but_no_data_object(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_BBOOL yes = CK_TRUE;
	static const char name[] = UKEY_SKF_RETIRED_NAME, cont[] = UKEY_SKF_RETIRED_NAME ".1";
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &data, sizeof(data) }, { CKA_TOKEN, &yes, sizeof(yes) },
			     { CKA_LABEL, (void *)name, sizeof(name) - 1 }, { CKA_VALUE, "x", 1 } };
	CK_OBJECT_HANDLE h;
	size_t len = 0;
	char *text;

	(void)state;
	text = file_data(name, &len);
	assert_non_null(text);
	/* ukey-vkey's container, one record; the file made once, big
	 * enough for the records of many renewals */
	assert_int_equal(len, 1024);
	assert_true(is_record(text, "ukey"));
	assert_int_equal(strlen(text), strlen("ukey\t") + 17);
	free(text);
	assert_int_equal(ukt_open(p11, &tok, true, true, &slot, &s), CKR_OK);
	assert_int_equal(count_label(s, name), 0);
	assert_int_equal(p11->C_CreateObject(s, t, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	t[2].pValue = (void *)cont;
	t[2].ulValueLen = sizeof(cont) - 1;
	assert_int_equal(p11->C_CreateObject(s, t, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

static void test_a_record_names_one_key_and_a_bare_name_is_ended_by_a_later_record(void **state)
{
	size_t len = 0;
	char *saved = file_data(UKEY_SKF_RETIRED_NAME, &len), *text;

	(void)state;
	assert_non_null(saved);
	/* another key of that name (a container made again): hides nothing */
	put_list(UKEY_SKF_RETIRED_NAME, "ukey\t0000000000000000\n", 1024);
	assert_int_equal(fresh_instance_sees(3, NULL), 0);
	/* a bare name (earlier versions): the container's pair, whichever */
	put_list(UKEY_SKF_RETIRED_NAME, "ukey\n", 1024);
	assert_int_equal(fresh_instance_sees(0, NULL), 0);
	/* ... until a later "name\t-" ends it */
	put_list(UKEY_SKF_RETIRED_NAME, "ukey\nukey\t-\n", 1024);
	assert_int_equal(fresh_instance_sees(3, NULL), 0);
	/* a record cut short (a kill inside the append) is no record */
	put_list(UKEY_SKF_RETIRED_NAME, "ukey\t0123", 1024);
	assert_int_equal(fresh_instance_sees(3, NULL), 0);
	/* the next retirement writes over the cut-short bytes only */
	retire_again();
	text = file_data(UKEY_SKF_RETIRED_NAME, &len);
	assert_non_null(text);
	assert_true(is_record(text, "ukey"));
	assert_int_equal(strlen(text), strlen("ukey\t") + 17);
	assert_int_equal(memcmp(text, saved, 1024), 0);
	assert_int_equal(fresh_instance_sees(0, NULL), 0);
	free(text);
	free(saved);
}

static void test_a_full_list_is_continued_in_a_new_file_never_rewritten(void **state)
{
	char full[1024], *before, *after;
	size_t len = 0, blen = 0;

	(void)state;
	/* other containers' records up to the last 10 bytes: no room */
	memset(full, 0, sizeof(full));
	while (strlen(full) + 23 < sizeof(full) - 10)
		snprintf(full + strlen(full), sizeof(full) - strlen(full), "x%04zu\t0123456789abcdef\n", strlen(full));
	put_list(UKEY_SKF_RETIRED_NAME, full, 1024);
	assert_int_equal(fresh_instance_sees(3, NULL), 0);
	before = file_data(UKEY_SKF_RETIRED_NAME, &blen);
	retire_again();
	after = file_data(UKEY_SKF_RETIRED_NAME, &len);
	assert_non_null(before);
	assert_non_null(after);
	assert_int_equal(len, blen);
	assert_int_equal(memcmp(before, after, len), 0);
	free(before);
	free(after);
	after = file_data(UKEY_SKF_RETIRED_NAME ".1", &len);
	assert_non_null(after);
	assert_true(is_record(after, "ukey"));
	free(after);
	assert_int_equal(fresh_instance_sees(0, NULL), 0);
	remove_list(UKEY_SKF_RETIRED_NAME ".1");
}

static void damage(const char *content, size_t len)
{
	put_bytes(UKEY_SKF_RETIRED_NAME, content, len, len);
}

static void test_a_damaged_or_oversized_retired_file_is_ignored_with_a_warning(void **state)
{
	char log[900], body[600], *big, *text;
	size_t len = 0;

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
	/* the next retirement deletes the damaged file and records anew */
	retire_again();
	assert_int_equal(fresh_instance_sees(0, log), 0);
	text = read_text(log);
	assert_null(strstr(text, UKEY_SKF_RETIRED_NAME));
	free(text);
	text = file_data(UKEY_SKF_RETIRED_NAME, &len);
	assert_non_null(text);
	assert_int_equal(len, 1024);
	assert_true(is_record(text, "ukey"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_destroying_the_signing_certificate_retires_the_signing_pair_and_keeps_the_encryption_pair),
		cmocka_unit_test(test_the_retired_record_is_on_the_device_but_no_data_object),
		cmocka_unit_test(test_a_record_names_one_key_and_a_bare_name_is_ended_by_a_later_record),
		cmocka_unit_test(test_a_full_list_is_continued_in_a_new_file_never_rewritten),
		cmocka_unit_test(test_a_damaged_or_oversized_retired_file_is_ignored_with_a_warning),
	};

	return cmocka_run_group_tests_name("skf-retire", tests, group_setup, group_teardown);
}
