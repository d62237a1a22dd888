/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey-vkey-seal: writes GM/T 0031 seal files on a token as a CA does (the
 * helper of `ukey-vkey add-seals`): each file becomes one public CKO_DATA
 * object (CKA_APPLICATION "GM/T 0031 seal", CKA_LABEL the seal's name)
 * made with C_CreateObject through a PKCS#11 module -- ukey-pkcs11, so an
 * SKF token gets SKF_CreateFile at the seal's size and chunked writes from
 * the module's driver -- then read back and compared byte for byte. Seals
 * of 200 KB and more are common; nothing here cuts them short (pkcs11-tool
 * 0.23 silently writes only the first 5,000 bytes of a data object).
 *
 *   ukey-vkey-seal [--module PATH] --serial MEDIUM [--pin-fd N]
 *                  [--unique-labels] FILE...
 *
 * The user PIN is read from file descriptor N (default 0), never argv.
 * --unique-labels gives each object a label no other data object has,
 * usable as an SKF file name (at most 32 bytes, no '/', no leading '.').
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ukey-renew.h"

#define SEAL_FILE_MAX (16u << 20)
#define LABEL_MAX 32
#define LABEL_ROOT 28 /* leaves room for "-NN" */

static int usage(void)
{
	fprintf(stderr, "Usage: ukey-vkey-seal [--module PATH] --serial MEDIUM [--pin-fd N] "
			"[--unique-labels] FILE...\n");
	return 2;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && (unsigned long)n <= SEAL_FILE_MAX &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n)) != NULL &&
	    fread(b, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	fclose(f);
	if (*len == 0) {
		free(b);
		return NULL;
	}
	return b;
}

/* The seal's name as decoded from its DER, else the file's base name
 * without ".der"; control characters (a name comes from outside) become
 * '?'. */
static void seal_name(const unsigned char *der, size_t len, const char *path, char *out, size_t max)
{
	struct ukey_seal *s = NULL;
	const char *base = strrchr(path, '/');
	size_t n;

	if (ukey_seal_decode(der, len, &s, NULL) == 0 && s->name[0] != '\0') {
		snprintf(out, max, "%s", s->name);
	} else {
		base = base ? base + 1 : path;
		n = strlen(base);
		if (n > 4 && strcmp(base + n - 4, ".der") == 0)
			n -= 4;
		snprintf(out, max, "%.*s", (int)n, base);
	}
	ukey_seal_free(s);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* out = at most max bytes of in, cut at a UTF-8 character boundary (out
 * holds max + 1 bytes). */
static void utf8_cut(char *out, const char *in, size_t max)
{
	size_t n = strlen(in);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)in[n] & 0xc0) == 0x80)
			n--;
	}
	memmove(out, in, n);
	out[n] = '\0';
}

static int label_taken(struct ukey_conn *p, CK_SESSION_HANDLE s, const char *label)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_LABEL, (void *)label, strlen(label) } };
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;
	int ok = p->f->C_FindObjectsInit(s, t, 2) == CKR_OK;

	if (ok && p->f->C_FindObjects(s, &h, 1, &n) != CKR_OK)
		n = 0;
	if (ok)
		p->f->C_FindObjectsFinal(s);
	return n > 0;
}

/* name as a label no data object has yet: '/' -> '_', no leading '.',
 * LABEL_ROOT bytes, "-N" appended until free. */
static int unique_label(struct ukey_conn *p, CK_SESSION_HANDLE s, const char *name, char *out)
{
	char root[LABEL_MAX + 1];
	int i;

	utf8_cut(root, name + strspn(name, "."), LABEL_ROOT);
	for (char *c = root; *c; c++)
		if (*c == '/')
			*c = '_';
	if (root[0] == '\0')
		snprintf(root, sizeof(root), "seal");
	snprintf(out, LABEL_MAX + 1, "%s", root);
	for (i = 1; i < 100 && label_taken(p, s, out); i++)
		snprintf(out, LABEL_MAX + 1, "%.*s-%d", LABEL_ROOT, root, i);
	return i < 100 ? 0 : -1;
}

/* Creates the object, then reads its value back: what the token holds must
 * be the file, whole. */
static int write_seal(struct ukey_conn *p, CK_SESSION_HANDLE s, const char *label,
		      const unsigned char *der, size_t len, struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_APPLICATION, (void *)UKEY_SEAL_APPLICATION, strlen(UKEY_SEAL_APPLICATION) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_VALUE, (void *)der, len },
	};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	unsigned char *back = NULL;
	size_t blen = 0;
	CK_RV rv = p->f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h);
	int ret;

	if (rv != CKR_OK)
		return ukey_err_set(e, UKEY_E_TOKEN, "cannot write seal %s (%zu bytes): %s", label, len,
				    ukey_p11_rv_name(rv));
	ret = ukey_conn_attr(p, s, h, CKA_VALUE, &back, &blen, e);
	if (ret == UKEY_E_OK && (blen != len || memcmp(back, der, len) != 0))
		ret = ukey_err_set(e, UKEY_E_TOKEN,
				   "seal %s reads back as %zu bytes that differ from the %zu written", label,
				   blen, len);
	free(back);
	return ret;
}

int main(int argc, char **argv)
{
	const char *module = UKEY_MODULE_PATH, *serial = NULL;
	struct ukey_pin_opts pin = { .fd = 0, .accept_final_try = 0 };
	struct ukey_token_info tok;
	struct ukey_conn p;
	struct ukey_err e;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	int unique = 0, i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--unique-labels") == 0)
			unique = 1;
		else if (strcmp(argv[i], "--module") == 0 && i + 1 < argc)
			module = argv[++i];
		else if (strcmp(argv[i], "--serial") == 0 && i + 1 < argc)
			serial = argv[++i];
		else if (strcmp(argv[i], "--pin-fd") == 0 && i + 1 < argc)
			pin.fd = atoi(argv[++i]);
		else
			return usage();
	}
	if (serial == NULL || i == argc)
		return usage();
	ukey_err_clear(&e);
	ret = ukey_conn_open(&p, module, &e);
	if (ret == UKEY_E_OK)
		ret = ukey_token_select(&p, serial, &tok, &e);
	if (ret == UKEY_E_OK && p.f->C_OpenSession(tok.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
						   &s) != CKR_OK)
		ret = ukey_err_set(&e, UKEY_E_TOKEN, "cannot open a session on token %s", serial);
	if (ret == UKEY_E_OK)
		ret = ukey_pin_login(&p, s, &tok, &pin, &e);
	for (; ret == UKEY_E_OK && i < argc; i++) {
		char name[256], label[LABEL_MAX + 1];
		size_t len;
		unsigned char *der;
		errno = 0;
		der = slurp(argv[i], &len);
		if (der == NULL) {
			ret = ukey_err_set(&e, UKEY_E_ERROR, "cannot read %s: %s", argv[i],
					   errno ? strerror(errno) : "empty or larger than 16 MiB");
			break;
		}
		seal_name(der, len, argv[i], name, sizeof(name));
		utf8_cut(label, name, LABEL_MAX);
		if (unique && unique_label(&p, s, name, label) != 0)
			ret = ukey_err_set(&e, UKEY_E_ERROR, "no free label for seal %s", name);
		if (ret == UKEY_E_OK)
			ret = write_seal(&p, s, label, der, len, &e);
		if (ret == UKEY_E_OK)
			printf("seal: %s (%s, %zu bytes)\n", name, label, len);
		free(der);
	}
	if (s != CK_INVALID_HANDLE) {
		p.f->C_Logout(s);
		p.f->C_CloseSession(s);
	}
	if (p.f != NULL)
		ukey_conn_close(&p);
	if (ret != UKEY_E_OK)
		fprintf(stderr, "ukey-vkey-seal: error: %s\n", e.msg);
	return ret;
}
