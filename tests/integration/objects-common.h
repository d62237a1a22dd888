/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by test-objects.c and test-objects-write.c (one program
 * each; static inline so a helper one program does not use costs nothing). */
#ifndef UKEY_OBJECTS_COMMON_H
#define UKEY_OBJECTS_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"

static CK_FUNCTION_LIST *p11;
static struct ukt_token tok; /* rsa, shared by tests that write nothing */
static char xdg_dir[64];
/* The signing and encryption pairs' CKA_IDs of a token (read from it). */
#define SIGN_ID_OF(t) (t).sign_id, (t).sign_id_len
#define ENC_ID_OF(t) (t).enc_id, (t).enc_id_len
#define SIGN_ID SIGN_ID_OF(tok)
#define ENC_ID ENC_ID_OF(tok)

static inline void use_token(const struct ukt_token *t)
{
	assert_int_equal(ukt_vkey_use(t), 0);
}

/* The generation files live in $XDG_RUNTIME_DIR/ukey/: keep ours apart. */
static inline int xdg_make(void)
{
	snprintf(xdg_dir, sizeof(xdg_dir), "/tmp/ukt-xdg-XXXXXX");
	if (mkdtemp(xdg_dir) == NULL)
		return -1;
	return setenv("XDG_RUNTIME_DIR", xdg_dir, 1);
}

static inline void xdg_remove(void)
{
	ukt_system("rm -rf '%s'", xdg_dir);
}

static inline int shared_setup(void **state)
{
	(void)state;
	use_token(&tok);
	return 0;
}

static inline int fin_teardown(void **state)
{
	(void)state;
	p11->C_Finalize(NULL);
	return 0;
}

static inline CK_SESSION_HANDLE open_on(const struct ukt_token *t, bool rw, bool login)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_SLOT_ID slot;

	assert_int_equal(ukt_open(p11, t, rw, login, &slot, &s), CKR_OK);
	return s;
}

/* All matches (up to max) in one C_FindObjects call. */
static inline CK_ULONG find(CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out,
		     CK_ULONG max)
{
	CK_ULONG got = 0;

	assert_int_equal(p11->C_FindObjectsInit(s, t, n), CKR_OK);
	assert_int_equal(p11->C_FindObjects(s, out, max, &got), CKR_OK);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
	return got;
}

static inline CK_ULONG count_class_id(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const void *id, size_t idlen)
{
	CK_OBJECT_HANDLE h[32];
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, idlen } };

	return find(s, t, id != NULL ? 2 : 1, h, 32);
}

/* Reads one attribute into a new buffer; *len receives its length. */
static inline unsigned char *get_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
			       CK_ULONG *len)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	unsigned char *v;

	assert_int_equal(p11->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
	assert_true(a.ulValueLen != CK_UNAVAILABLE_INFORMATION);
	v = malloc(a.ulValueLen + 1);
	assert_non_null(v);
	a.pValue = v;
	assert_int_equal(p11->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
	v[a.ulValueLen] = '\0';
	*len = a.ulValueLen;
	return v;
}

static inline void assert_attr_str(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
				   const char *want);

static inline void assert_attr_eq(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
			   const void *want, size_t wlen)
{
	CK_ULONG len;
	unsigned char *v = get_attr(s, h, type, &len);

	assert_int_equal(len, wlen);
	assert_memory_equal(v, want, wlen);
	free(v);
}

static inline void assert_attr_str(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
				   const char *want)
{
	assert_attr_eq(s, h, type, want, strlen(want));
}

static inline unsigned char *read_file(const char *dir, const char *name, size_t *len)
{
	char path[700];
	unsigned char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static inline CK_OBJECT_HANDLE one(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const unsigned char *id,
				    size_t idlen)
{
	CK_OBJECT_HANDLE h;

	assert_int_equal(ukt_find_one(p11, s, cls, id, idlen, &h), CKR_OK);
	return h;
}


static inline int wait_child(pid_t pid)
{
	int st = 0;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

#endif
