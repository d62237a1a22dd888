/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Writing objects through the module: C_SetAttributeValue, C_CreateObject,
 * C_CopyObject and C_DestroyObject, the refusals of read-only and public sessions, and
 * that a write made by another process is seen without re-login (the
 * generation file under $XDG_RUNTIME_DIR/ukey/). Each writing test has a
 * virtual U-KEY of its own. */

#include <dlfcn.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "objects-common.h"

static struct ukt_token own; /* one per writing test */

static int group_setup(void **state)
{
	(void)state;
	if (xdg_make() != 0)
		return -1;
	return ukt_vkey_create("rsa", &tok) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ukt_vkey_destroy(&tok);
	xdg_remove();
	return 0;
}

static int own_setup(void **state)
{
	(void)state;
	return ukt_vkey_create("rsa", &own) == 0 ? 0 : -1;
}

static int own_teardown(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	ukt_vkey_destroy(&own);
	return 0;
}

/* Another process started after the change sees the new label and id. */
static int child_sees_renamed_cert(const unsigned char *newid, size_t idlen, const char *label)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_OBJECT_HANDLE h;
	char buf[64];
	CK_ATTRIBUTE a = { CKA_LABEL, buf, sizeof(buf) };

	if (p11->C_Initialize(NULL) != CKR_OK)
		return 2;
	if (ukt_open(p11, &own, false, false, &slot, &s) != CKR_OK)
		return 3;
	if (ukt_find_one(p11, s, CKO_CERTIFICATE, newid, idlen, &h) != CKR_OK)
		return 4;
	if (p11->C_GetAttributeValue(s, h, &a, 1) != CKR_OK)
		return 5;
	if (a.ulValueLen != strlen(label) || memcmp(buf, label, a.ulValueLen) != 0)
		return 6;
	if (ukt_find_one(p11, s, CKO_CERTIFICATE, ENC_ID_OF(own), &h) != CKR_OBJECT_HANDLE_INVALID)
		return 7;
	return p11->C_Finalize(NULL) == CKR_OK ? 0 : 8;
}

static void test_set_label_and_id_read_back_and_seen_by_another_process(void **state)
{
	static const unsigned char newid[] = { 0xab, 0xcd };
	static const char label[] = "Renamed certificate";
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE cert;
	CK_ATTRIBUTE t[] = { { CKA_LABEL, (void *)label, sizeof(label) - 1 },
			     { CKA_ID, (void *)newid, sizeof(newid) } };
	pid_t pid;

	(void)state;
	ukt_skip_if(ukt_is_skf(), "SKF has no labels or ids to change (C_SetAttributeValue is read-only)");
	s = open_on(&own, true, true);
	cert = one(s, CKO_CERTIFICATE, ENC_ID_OF(own));
	assert_int_equal(p11->C_SetAttributeValue(s, cert, t, 2), CKR_OK);
	assert_attr_eq(s, cert, CKA_LABEL, label, sizeof(label) - 1);
	assert_attr_eq(s, cert, CKA_ID, newid, sizeof(newid));
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, newid, sizeof(newid)), 1);
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, ENC_ID_OF(own)), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_sees_renamed_cert(newid, sizeof(newid), label));
	assert_int_equal(wait_child(pid), 0);
}

static void test_set_attribute_in_ro_session_is_session_read_only(void **state)
{
	CK_SESSION_HANDLE s = open_on(&tok, false, true);
	CK_OBJECT_HANDLE cert = one(s, CKO_CERTIFICATE, SIGN_ID);
	CK_ATTRIBUTE t = { CKA_LABEL, tok.sign_cert_label, strlen(tok.sign_cert_label) }; /* unchanged */

	(void)state;
	assert_int_equal(p11->C_SetAttributeValue(s, cert, &t, 1), CKR_SESSION_READ_ONLY);
}

static void test_create_certificate_found_read_back_then_destroyed(void **state)
{
	static const unsigned char id33[] = { 0x33 };
	static const char label[] = "Imported CA certificate";
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	unsigned char *der = NULL, *subj = NULL;
	int derlen, subjlen;
	FILE *f = fopen(own.ca_cert, "r");
	X509 *x;
	CK_SESSION_HANDLE s = open_on(&own, true, true);
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, found[4];
	CK_ATTRIBUTE a = { CKA_CLASS, &cls, sizeof(cls) };

	(void)state;
	assert_non_null(f);
	if (ukt_is_skf())
		fclose(f);
	ukt_skip_if(ukt_is_skf(), "SKF imports a certificate only into the container of its key pair's CKA_ID");
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	derlen = i2d_X509(x, &der);
	subjlen = i2d_X509_NAME(X509_get_subject_name(x), &subj);
	assert_true(derlen > 0 && subjlen > 0);
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },      { CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			{ CKA_TOKEN, &yes, sizeof(yes) },      { CKA_VALUE, der, (CK_ULONG)derlen },
			{ CKA_SUBJECT, subj, (CK_ULONG)subjlen }, { CKA_ID, (void *)id33, 1 },
			{ CKA_LABEL, (void *)label, sizeof(label) - 1 },
		};
		assert_int_equal(p11->C_CreateObject(s, t, 7, &h), CKR_OK);
	}
	assert_true(h != CK_INVALID_HANDLE);
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, NULL, 0), 3);
	assert_int_equal(ukt_find_one(p11, s, CKO_CERTIFICATE, id33, 1, &found[0]), CKR_OK);
	assert_attr_eq(s, found[0], CKA_VALUE, der, (size_t)derlen);
	assert_attr_eq(s, found[0], CKA_SUBJECT, subj, (size_t)subjlen);
	assert_attr_eq(s, found[0], CKA_LABEL, label, sizeof(label) - 1);
	assert_int_equal(p11->C_DestroyObject(s, found[0]), CKR_OK);
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, id33, 1), 0);
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, NULL, 0), 2);
	assert_int_equal(p11->C_GetAttributeValue(s, found[0], &a, 1), CKR_OBJECT_HANDLE_INVALID);
	OPENSSL_free(der);
	OPENSSL_free(subj);
	X509_free(x);
}

static CK_RV create_data_value(CK_SESSION_HANDLE s, const char *label, CK_BBOOL priv, const void *value,
				CK_ULONG len, CK_OBJECT_HANDLE *h)
{
	static const char app[] = "ukey-pkcs11 test";
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &priv, sizeof(priv) },
		{ CKA_APPLICATION, (void *)app, sizeof(app) - 1 },
		{ CKA_VALUE, (void *)value, len },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};

	return p11->C_CreateObject(s, t, 6, h);
}

static CK_RV create_data(CK_SESSION_HANDLE s, const char *label, CK_BBOOL priv, CK_OBJECT_HANDLE *h)
{
	static const unsigned char value[] = { 0x30, 0x03, 0x02, 0x01, 0x2a, 0x00, 0xff };

	return create_data_value(s, label, priv, value, sizeof(value), h);
}

static CK_ULONG count_data(CK_SESSION_HANDLE s, const char *label, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_OBJECT_HANDLE tmp[8];
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_LABEL, (void *)label, strlen(label) } };
	CK_ULONG n = find(s, t, 2, tmp, 8);

	if (h != NULL && n > 0)
		*h = tmp[0];
	return n;
}

static void test_create_data_object_found_read_back_then_destroyed(void **state)
{
	static const unsigned char value[] = { 0x30, 0x03, 0x02, 0x01, 0x2a, 0x00, 0xff };
	CK_SESSION_HANDLE s = open_on(&own, true, true);
	CK_OBJECT_HANDLE h, f;
	CK_OBJECT_CLASS cls;
	CK_ATTRIBUTE a = { CKA_CLASS, &cls, sizeof(cls) };

	(void)state;
	assert_int_equal(count_data(s, "test data", NULL), 0);
	assert_int_equal(create_data(s, "test data", CK_FALSE, &h), CKR_OK);
	assert_int_equal(count_data(s, "test data", &f), 1);
	/* SKF files have no application attribute: the driver reports the
	 * file name (docs/skf.md) */
	assert_attr_str(s, f, CKA_APPLICATION, ukt_is_skf() ? "test data" : "ukey-pkcs11 test");
	assert_attr_eq(s, f, CKA_VALUE, value, sizeof(value));
	assert_attr_eq(s, f, CKA_LABEL, "test data", 9);
	assert_int_equal(p11->C_DestroyObject(s, f), CKR_OK);
	assert_int_equal(count_data(s, "test data", NULL), 0);
	assert_int_equal(p11->C_GetAttributeValue(s, f, &a, 1), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(p11->C_DestroyObject(s, f), CKR_OBJECT_HANDLE_INVALID);
}

/* Objects written one after the other are each their own (the skf driver
 * enters a file it wrote without reading the device: each gets its own
 * reference); values read through the handles C_CreateObject gave. */
static void test_data_objects_made_in_a_row_read_back_their_own_values(void **state)
{
	static const unsigned char one[] = { 0x30, 0x03, 0x02, 0x01, 0x01 }, two[] = { 0x30, 0x03, 0x02, 0x01, 0x02 };
	CK_SESSION_HANDLE s = open_on(&own, true, true);
	CK_OBJECT_HANDLE h1, h2, f;

	(void)state;
	/* Read first, as a consumer does: the writes then go into a reading. */
	assert_int_equal(count_data(s, "row one", NULL) + count_data(s, "row two", NULL), 0);
	assert_int_equal(create_data_value(s, "row one", CK_FALSE, one, sizeof(one), &h1), CKR_OK);
	assert_int_equal(create_data_value(s, "row two", CK_FALSE, two, sizeof(two), &h2), CKR_OK);
	assert_true(h1 != h2);
	assert_attr_eq(s, h1, CKA_VALUE, one, sizeof(one));
	assert_attr_eq(s, h2, CKA_VALUE, two, sizeof(two));
	assert_int_equal(count_data(s, "row two", &f), 1);
	assert_attr_eq(s, f, CKA_VALUE, two, sizeof(two));
	assert_int_equal(p11->C_DestroyObject(s, h1), CKR_OK);
	assert_attr_eq(s, h2, CKA_VALUE, two, sizeof(two));
	assert_int_equal(p11->C_DestroyObject(s, h2), CKR_OK);
	assert_int_equal(count_data(s, "row one", NULL) + count_data(s, "row two", NULL), 0);
}

static void test_create_in_ro_session_is_session_read_only(void **state)
{
	CK_SESSION_HANDLE s = open_on(&own, false, true);
	CK_OBJECT_HANDLE h;

	(void)state;
	assert_int_equal(create_data(s, "ro data", CK_FALSE, &h), CKR_SESSION_READ_ONLY);
	assert_int_equal(count_data(s, "ro data", NULL), 0);
}

static void test_create_private_data_without_login_is_user_not_logged_in(void **state)
{
	CK_SESSION_HANDLE s = open_on(&own, true, false);
	CK_OBJECT_HANDLE h;

	(void)state;
	assert_int_equal(create_data(s, "private data", CK_TRUE, &h), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)own.user_pin, strlen(own.user_pin)),
			 CKR_OK);
	assert_int_equal(count_data(s, "private data", NULL), 0);
}

static void test_destroy_invalid_handle_is_object_handle_invalid(void **state)
{
	CK_SESSION_HANDLE s = open_on(&own, true, true);
	CK_OBJECT_HANDLE cert = one(s, CKO_CERTIFICATE, SIGN_ID_OF(own)), ro_cert;
	CK_SESSION_HANDLE ro;
	CK_SLOT_ID slot;

	(void)state;
	assert_int_equal(p11->C_DestroyObject(s, CK_INVALID_HANDLE), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(p11->C_DestroyObject(s, cert + 0x100000), CKR_OBJECT_HANDLE_INVALID);
	/* token objects cannot be destroyed from a read-only session */
	assert_int_equal(ukt_open(p11, &own, false, false, &slot, &ro), CKR_OK);
	ro_cert = one(ro, CKO_CERTIFICATE, SIGN_ID_OF(own));
	assert_int_equal(p11->C_DestroyObject(ro, ro_cert), CKR_SESSION_READ_ONLY);
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, NULL, 0), 2);
}

/* C_CopyObject: the backend makes a new object under the template's
 * changes and the original stays as it was (the renewal archives old
 * encryption keys so, never rewriting them in place: docs/renewal.md); the
 * copy of a private key decrypts. SKF cannot copy a key out of its
 * container (CKA_COPYABLE FALSE): CKR_ACTION_PROHIBITED, nothing made. */
static void test_copy_object_makes_a_new_object_and_leaves_the_original(void **state)
{
	static const char label[] = "Encryption key (archived 2025-01-01)";
	CK_SESSION_HANDLE s = open_on(&own, true, true), ro;
	CK_OBJECT_HANDLE priv = one(s, CKO_PRIVATE_KEY, ENC_ID_OF(own)), pub = one(s, CKO_PUBLIC_KEY, ENC_ID_OF(own));
	CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
	CK_ATTRIBUTE l = { CKA_LABEL, (void *)label, sizeof(label) - 1 };
	CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };
	unsigned char pt[32], ct[512], out[512], *before, *after, *orig_label;
	CK_ULONG cl = sizeof(ct), ol = sizeof(out), bl, al, ll;
	CK_SLOT_ID slot;

	(void)state;
	assert_int_equal(p11->C_CopyObject(s, priv, &l, 1, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_CopyObject(s, priv, NULL, 1, &copy), CKR_ARGUMENTS_BAD);
	assert_int_equal(p11->C_CopyObject(s, CK_INVALID_HANDLE, &l, 1, &copy), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(ukt_open(p11, &own, false, false, &slot, &ro), CKR_OK);
	/* an object that cannot be copied says so before the session's mode */
	assert_int_equal(p11->C_CopyObject(ro, one(ro, CKO_PUBLIC_KEY, ENC_ID_OF(own)), &l, 1, &copy),
			 ukt_is_skf() ? CKR_ACTION_PROHIBITED : CKR_SESSION_READ_ONLY);
	orig_label = get_attr(s, priv, CKA_LABEL, &ll);
	if (ukt_is_skf()) {
		assert_int_equal(p11->C_CopyObject(s, priv, &l, 1, &copy), CKR_ACTION_PROHIBITED);
		assert_int_equal(count_class_id(s, CKO_PRIVATE_KEY, ENC_ID_OF(own)), 1);
		free(orig_label);
		return;
	}
	assert_int_equal(p11->C_CopyObject(s, priv, &l, 1, &copy), CKR_OK);
	assert_int_not_equal(copy, priv);
	assert_int_equal(count_class_id(s, CKO_PRIVATE_KEY, ENC_ID_OF(own)), 2);
	assert_attr_str(s, copy, CKA_LABEL, label);
	assert_attr_eq(s, priv, CKA_LABEL, orig_label, ll);
	before = get_attr(s, priv, CKA_MODULUS, &bl);
	after = get_attr(s, copy, CKA_MODULUS, &al);
	assert_int_equal(al, bl);
	assert_memory_equal(after, before, bl);
	/* the copy is the key: it decrypts what the public key encrypts */
	assert_int_equal(RAND_bytes(pt, sizeof(pt)), 1);
	assert_int_equal(p11->C_EncryptInit(s, &m, pub), CKR_OK);
	assert_int_equal(p11->C_Encrypt(s, pt, sizeof(pt), ct, &cl), CKR_OK);
	assert_int_equal(p11->C_DecryptInit(s, &m, copy), CKR_OK);
	assert_int_equal(p11->C_Decrypt(s, ct, cl, out, &ol), CKR_OK);
	assert_int_equal(ol, sizeof(pt));
	assert_memory_equal(out, pt, sizeof(pt));
	free(before);
	free(after);
	free(orig_label);
}

/* Process B: its own C_Initialize, logs in, creates or destroys "from B". */
static int process_b(bool create)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_OBJECT_HANDLE h;

	if (p11->C_Initialize(NULL) != CKR_OK)
		return 2;
	if (ukt_open(p11, &own, true, true, &slot, &s) != CKR_OK)
		return 3;
	if (create && create_data(s, "from B", CK_FALSE, &h) != CKR_OK)
		return 4;
	if (!create) {
		CK_OBJECT_CLASS cls = CKO_DATA;
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_LABEL, "from B", 6 } };
		CK_ULONG n = 0;

		if (p11->C_FindObjectsInit(s, t, 2) != CKR_OK || p11->C_FindObjects(s, &h, 1, &n) != CKR_OK ||
		    p11->C_FindObjectsFinal(s) != CKR_OK || n != 1)
			return 5;
		if (p11->C_DestroyObject(s, h) != CKR_OK)
			return 6;
	}
	return p11->C_Finalize(NULL) == CKR_OK ? 0 : 7;
}

static void test_object_created_by_another_process_is_seen_without_relogin(void **state)
{
	static const unsigned char value[] = { 0x30, 0x03, 0x02, 0x01, 0x2a, 0x00, 0xff };
	CK_SESSION_HANDLE s = open_on(&own, false, false);
	CK_OBJECT_HANDLE h;
	pid_t pid;

	(void)state;
	assert_int_equal(count_data(s, "from B", NULL), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(process_b(true));
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(count_data(s, "from B", &h), 1);
	assert_attr_eq(s, h, CKA_VALUE, value, sizeof(value));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(process_b(false));
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(count_data(s, "from B", NULL), 0);
}

/* Process C: makes a signing key pair (skf: in a new container named by its
 * label) and writes its CKA_ID to fd. */
static int process_c(int fd)
{
	static const CK_BYTE f4[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM m = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG bits = 2048;
	unsigned char id[64];
	CK_ATTRIBUTE pubt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_VERIFY, &yes, 1 }, { CKA_ID, "\x77", 1 },
				{ CKA_LABEL, "key of C", 8 }, { CKA_MODULUS_BITS, &bits, sizeof(bits) },
				{ CKA_PUBLIC_EXPONENT, (void *)f4, sizeof(f4) } };
	CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 }, { CKA_SIGN, &yes, 1 },
				 { CKA_ID, "\x77", 1 }, { CKA_LABEL, "key of C", 8 } };
	CK_ATTRIBUTE ida = { CKA_ID, id, sizeof(id) };
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_OBJECT_HANDLE pub, priv;

	if (p11->C_Initialize(NULL) != CKR_OK || ukt_open(p11, &own, true, true, &slot, &s) != CKR_OK)
		return 2;
	if (p11->C_GenerateKeyPair(s, &m, pubt, 6, privt, 5, &pub, &priv) != CKR_OK)
		return 3;
	if (p11->C_GetAttributeValue(s, pub, &ida, 1) != CKR_OK ||
	    write(fd, id, ida.ulValueLen) != (ssize_t)ida.ulValueLen)
		return 4;
	return p11->C_Finalize(NULL) == CKR_OK ? 0 : 5;
}

/* A certificate for a key pair another process made while this one held
 * its reading of the token: the write finds the key (skf: its container)
 * because the other process's write moved the token's generation. */
static void test_certificate_for_a_key_another_process_made(void **state)
{
	CK_SESSION_HANDLE s = open_on(&own, true, true);
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	unsigned char id[64], *der = NULL, *subj = NULL;
	int fds[2], derlen, subjlen;
	ssize_t idlen;
	FILE *f = fopen(own.ca_cert, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	CK_OBJECT_HANDLE h, key;
	pid_t pid;

	(void)state;
	if (f)
		fclose(f);
	assert_non_null(x);
	derlen = i2d_X509(x, &der);
	subjlen = i2d_X509_NAME(X509_get_subject_name(x), &subj);
	X509_free(x);
	assert_true(derlen > 0 && subjlen > 0);
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, NULL, 0), 2);   /* the reading is made */
	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(process_c(fds[1]));
	close(fds[1]);
	assert_int_equal(wait_child(pid), 0);
	idlen = read(fds[0], id, sizeof(id));
	close(fds[0]);
	assert_true(idlen > 0);
	{
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
				     { CKA_TOKEN, &yes, sizeof(yes) }, { CKA_VALUE, der, (CK_ULONG)derlen },
				     { CKA_ID, id, (CK_ULONG)idlen }, { CKA_SUBJECT, subj, (CK_ULONG)subjlen } };
		assert_int_equal(p11->C_CreateObject(s, t, 6, &h), CKR_OK);
	}
	OPENSSL_free(der);
	OPENSSL_free(subj);
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, id, (size_t)idlen), 1);
	/* skf: the private key takes its container, certificate included */
	key = one(s, CKO_PRIVATE_KEY, id, (size_t)idlen);
	assert_int_equal(p11->C_DestroyObject(s, key), CKR_OK);
	if (!ukt_is_skf()) {
		assert_int_equal(p11->C_DestroyObject(s, h), CKR_OK);
		assert_int_equal(p11->C_DestroyObject(s, one(s, CKO_PUBLIC_KEY, id, (size_t)idlen)), CKR_OK);
	}
	assert_int_equal(count_class_id(s, CKO_CERTIFICATE, id, (size_t)idlen), 0);
}

#define SHARED(f) cmocka_unit_test_setup_teardown(f, shared_setup, fin_teardown)
#define OWN(f) cmocka_unit_test_setup_teardown(f, own_setup, own_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		OWN(test_set_label_and_id_read_back_and_seen_by_another_process),
		SHARED(test_set_attribute_in_ro_session_is_session_read_only),
		OWN(test_create_certificate_found_read_back_then_destroyed),
		OWN(test_create_data_object_found_read_back_then_destroyed),
		OWN(test_data_objects_made_in_a_row_read_back_their_own_values),
		OWN(test_create_in_ro_session_is_session_read_only),
		OWN(test_create_private_data_without_login_is_user_not_logged_in),
		OWN(test_destroy_invalid_handle_is_object_handle_invalid),
		OWN(test_copy_object_makes_a_new_object_and_leaves_the_original),
		OWN(test_object_created_by_another_process_is_seen_without_relogin),
		OWN(test_certificate_for_a_key_another_process_made),
	};
	void *handle;
	int rc;

	p11 = ukt_module_load(&handle);
	if (p11 == NULL)
		return 1;
	rc = cmocka_run_group_tests_name("objects-write", tests, group_setup, group_teardown);
	dlclose(handle);
	return rc;
}
