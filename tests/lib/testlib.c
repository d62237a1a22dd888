/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "testlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hex.h"

#ifndef UKEY_TOP_SRCDIR
#define UKEY_TOP_SRCDIR "."
#endif
#ifndef UKEY_TOP_BUILDDIR
#define UKEY_TOP_BUILDDIR "."
#endif
#ifndef UKEY_SOFTHSM_LIB
#define UKEY_SOFTHSM_LIB "/usr/lib/softhsm/libsofthsm2.so"
#endif

const char *ukt_srcdir(void)
{
	const char *env = getenv("UKEY_TOP_SRCDIR");

	return (env != NULL && *env != '\0') ? env : UKEY_TOP_SRCDIR;
}

const char *ukt_softhsm_path(void)
{
	const char *env = getenv("UKEY_TEST_SOFTHSM");

	return (env != NULL && *env != '\0') ? env : UKEY_SOFTHSM_LIB;
}

int ukt_system(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n, status;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd)) {
		fprintf(stderr, "ukt_system: command too long\n");
		return -1;
	}
	/* Test output is TAP on stdout: flush it so child output cannot interleave
	 * inside a half-written line. */
	fflush(stdout);
	fflush(stderr);
	status = system(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int ukt_copy_field(char *dst, size_t dstlen, const char *key, const char *val)
{
	size_t n = strlen(val);

	if (n >= dstlen) {
		fprintf(stderr, "vkey.info: value of %s is too long (%zu bytes)\n", key, n);
		return -1;
	}
	memcpy(dst, val, n + 1);
	return 0;
}

/* A hex CKA_ID from vkey.info (if a maker writes one). */
static int ukt_unhex_field(unsigned char *dst, size_t cap, size_t *len, const char *val)
{
	long n = val[0] ? ukc_hex_decode(val, strlen(val), dst, cap, NULL) : -1;

	if (n < 0) {
		fprintf(stderr, "vkey.info: bad hex id '%s'\n", val);
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* Reads DIR/vkey.info (key=value lines written by tools/ukey-vkey). */
static int ukt_info_parse(struct ukt_token *tok)
{
	char path[600], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc = -1, seen = 0;

	snprintf(path, sizeof(path), "%s/vkey.info", tok->dir);
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *eq, *val;
		int r = 0;

		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		val = eq + 1;
		if (strcmp(line, "serial") == 0)
			r = ukt_copy_field(tok->serial, sizeof(tok->serial), line, val), seen |= 1;
		else if (strcmp(line, "label") == 0)
			r = ukt_copy_field(tok->label, sizeof(tok->label), line, val), seen |= 2;
		else if (strcmp(line, "user_pin") == 0)
			r = ukt_copy_field(tok->user_pin, sizeof(tok->user_pin), line, val), seen |= 4;
		else if (strcmp(line, "so_pin") == 0)
			r = ukt_copy_field(tok->so_pin, sizeof(tok->so_pin), line, val), seen |= 8;
		else if (strcmp(line, "key_type") == 0)
			r = ukt_copy_field(tok->key_type, sizeof(tok->key_type), line, val), seen |= 16;
		else if (strcmp(line, "conf") == 0)
			r = ukt_copy_field(tok->conf, sizeof(tok->conf), line, val), seen |= 32;
		else if (strcmp(line, "softhsm_conf") == 0)
			r = ukt_copy_field(tok->softhsm_conf, sizeof(tok->softhsm_conf), line, val), seen |= 64;
		else if (strcmp(line, "ca_cert") == 0)
			r = ukt_copy_field(tok->ca_cert, sizeof(tok->ca_cert), line, val), seen |= 128;
		else if (strcmp(line, "backend") == 0)
			r = ukt_copy_field(tok->backend, sizeof(tok->backend), line, val);
		else if (strcmp(line, "skf_devices") == 0)
			r = ukt_copy_field(tok->skf_devices, sizeof(tok->skf_devices), line, val);
		else if (strcmp(line, "device") == 0)
			r = ukt_copy_field(tok->device, sizeof(tok->device), line, val);
		else if (strcmp(line, "sign_id") == 0)
			r = ukt_unhex_field(tok->sign_id, sizeof(tok->sign_id), &tok->sign_id_len, val);
		else if (strcmp(line, "enc_id") == 0)
			r = ukt_unhex_field(tok->enc_id, sizeof(tok->enc_id), &tok->enc_id_len, val);
		if (r != 0)
			goto out;
	}
	if (seen != 255) {
		fprintf(stderr, "%s lacks some keys (mask 0x%x)\n", path, seen);
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	return rc;
}

static int ukt_make_dir(struct ukt_token *tok)
{
	const char *tmp = getenv("TMPDIR");

	memset(tok, 0, sizeof(*tok));
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(tok->dir, sizeof(tok->dir), "%s/ukt-XXXXXX", tmp) >= sizeof(tok->dir)) {
		fprintf(stderr, "TMPDIR too long\n");
		return -1;
	}
	if (mkdtemp(tok->dir) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", tok->dir, strerror(errno));
		tok->dir[0] = '\0';
		return -1;
	}
	return 0;
}

int ukt_vkey_use(const struct ukt_token *tok)
{
	static struct ukt_token fresh; /* tests are single-threaded here */
	int r;

	if (strcmp(tok->backend, "skf") == 0) {
		/* A later --share-with adds devices to this token's list in its
		 * vkey.info: read the list again. */
		memcpy(&fresh, tok, sizeof(fresh));
		if (ukt_info_parse(&fresh) != 0)
			return -1;
		r = setenv("UKEY_SKF_EMU_DEVICES", fresh.skf_devices, 1);
	} else {
		r = setenv("SOFTHSM2_CONF", tok->softhsm_conf, 1);
	}
	if (r != 0 || setenv("UKEY_PKCS11_CONF", tok->conf, 1) != 0) {
		fprintf(stderr, "setenv: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* The --key-type argument of ukey-vkey for a test's key type. */
static const char *ukt_vkey_type(const char *key_type, bool skf)
{
	if (key_type == NULL)
		return NULL;
	if (strcmp(key_type, "rsa") == 0)
		return "rsa";
	if (strcmp(key_type, "ec") == 0)
		return skf ? "sm2" : "ec";
	if (strcmp(key_type, "sm2") == 0 && skf)
		return "sm2";
	return NULL;
}

static void ukt_labels(struct ukt_token *tok)
{
	bool skf = strcmp(tok->backend, "skf") == 0;

	/* ukey-vkey --help; docs/skf.md "Labels" for its container "ukey". */
	snprintf(tok->sign_cert_label, sizeof(tok->sign_cert_label), "%s",
		 skf ? "ukey sign cert" : "Signing certificate");
	snprintf(tok->enc_cert_label, sizeof(tok->enc_cert_label), "%s",
		 skf ? "ukey enc cert" : "Encryption certificate");
	snprintf(tok->sign_key_label, sizeof(tok->sign_key_label), "%s", skf ? "ukey sign key" : "Signing key");
	snprintf(tok->enc_key_label, sizeof(tok->enc_key_label), "%s", skf ? "ukey enc key" : "Encryption key");
}

/* Makes the token (share_dir == NULL: its own SoftHSM or device list), reads
 * its facts and points the environment at it. ukey-vkey's chatter goes to
 * stderr so the test's stdout stays pure TAP. */
static int ukt_vkey_make(const char *key_type, const char *share_dir, struct ukt_token *tok)
{
	bool skf = ukt_is_skf();
	const char *vt = ukt_vkey_type(key_type, skf);
	char share[700] = "";
	int st;

	if (vt == NULL) {
		fprintf(stderr, "ukt_vkey: key type \"%s\" is not one of rsa, ec%s\n",
			key_type ? key_type : "(null)", skf ? ", sm2" : "");
		return -1;
	}
	if (ukt_make_dir(tok) != 0)
		return -1;
	if (share_dir != NULL)
		snprintf(share, sizeof(share), "--share-with '%s'", share_dir);
	st = ukt_system("'%s/tools/ukey-vkey' create '%s' --backend %s --key-type %s %s 1>&2",
			ukt_srcdir(), tok->dir, skf ? "skf" : "softhsm", vt, share);
	if (st != 0) {
		fprintf(stderr, "ukey-vkey create %s failed (status %d)\n", tok->dir, st);
		goto fail;
	}
	if (ukt_info_parse(tok) != 0)
		goto fail;
	if (tok->backend[0] == '\0')
		memcpy(tok->backend, "p11", 4);
	else if (strcmp(tok->backend, "skf") != 0) {
		fprintf(stderr, "vkey.info: unknown backend %s\n", tok->backend);
		goto fail;
	}
	if (ukt_vkey_use(tok) != 0)
		goto fail;
	ukt_labels(tok);
	if (tok->sign_id_len == 0 || tok->enc_id_len == 0) {
		if (!skf) {
			/* ukey-vkey's SoftHSM tokens: CKA_ID 01 and 02 (its --help). */
			tok->sign_id[0] = 0x01;
			tok->enc_id[0] = 0x02;
			tok->sign_id_len = tok->enc_id_len = 1;
		} else if (ukt_vkey_read_ids(tok) != 0) {
			goto fail;
		}
	}
	return 0;
fail:
	ukt_vkey_destroy(tok);
	return -1;
}

int ukt_vkey_create(const char *key_type, struct ukt_token *tok)
{
	return ukt_vkey_make(key_type, NULL, tok);
}

int ukt_vkey_add(const struct ukt_token *first, const char *key_type, struct ukt_token *second)
{
	if (first == NULL || first->dir[0] == '\0') {
		fprintf(stderr, "ukt_vkey_add: no first token\n");
		return -1;
	}
	return ukt_vkey_make(key_type, first->dir, second);
}

static int ukt_rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "remove %s: %s\n", path, strerror(errno));
	return 0;
}

void ukt_vkey_destroy(struct ukt_token *tok)
{
	if (tok == NULL || tok->dir[0] == '\0')
		return;
	if (nftw(tok->dir, ukt_rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cannot remove %s: %s\n", tok->dir, strerror(errno));
	tok->dir[0] = '\0';
}

CK_FUNCTION_LIST *ukt_module_load(void **handle)
{
	const char *path = getenv("UKEY_TEST_MODULE");
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST *list = NULL;
	void *h;
	CK_RV rv;

	*handle = NULL;
	if (path == NULL || *path == '\0')
		path = UKEY_TOP_BUILDDIR "/module/.libs/ukey-pkcs11.so";
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return NULL;
	}
	*(void **)&get = dlsym(h, "C_GetFunctionList");
	if (get == NULL) {
		fprintf(stderr, "%s has no C_GetFunctionList\n", path);
		goto fail;
	}
	rv = get(&list);
	if (rv != CKR_OK || list == NULL) {
		fprintf(stderr, "C_GetFunctionList of %s: 0x%lx\n", path, (unsigned long)rv);
		goto fail;
	}
	*handle = h;
	return list;
fail:
	dlclose(h);
	return NULL;
}

/* Compares a blank-padded PKCS#11 field with a C string. */
static bool ukt_padded_eq(const CK_UTF8CHAR *field, size_t flen, const char *s)
{
	size_t n = strlen(s), i;

	if (n > flen || memcmp(field, s, n) != 0)
		return false;
	for (i = n; i < flen; i++)
		if (field[i] != ' ')
			return false;
	return true;
}

static CK_RV ukt_find_slot(CK_FUNCTION_LIST *p11, const struct ukt_token *tok, CK_SLOT_ID *found)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG count = 0, i;
	CK_TOKEN_INFO ti;
	CK_RV rv;

	rv = p11->C_GetSlotList(CK_TRUE, NULL, &count);
	if (rv != CKR_OK)
		goto out;
	slots = calloc(count ? count : 1, sizeof(*slots));
	if (slots == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	rv = p11->C_GetSlotList(CK_TRUE, slots, &count);
	if (rv != CKR_OK)
		goto out;
	rv = CKR_TOKEN_NOT_PRESENT;
	for (i = 0; i < count; i++) {
		if (p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if (ukt_padded_eq(ti.serialNumber, sizeof(ti.serialNumber), tok->serial)) {
			*found = slots[i];
			rv = CKR_OK;
			break;
		}
	}
	if (rv != CKR_OK)
		fprintf(stderr, "no slot holds the token with serial %s (%lu slots)\n", tok->serial,
			(unsigned long)count);
out:
	free(slots);
	return rv;
}

CK_RV ukt_open(CK_FUNCTION_LIST *p11, const struct ukt_token *tok, bool rw, bool login,
	       CK_SLOT_ID *slot, CK_SESSION_HANDLE *session)
{
	CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_SLOT_ID id = 0;
	CK_RV rv;

	rv = p11->C_Initialize(NULL);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return rv;
	rv = ukt_find_slot(p11, tok, &id);
	if (rv != CKR_OK)
		return rv;
	rv = p11->C_OpenSession(id, flags, NULL, NULL, &s);
	if (rv != CKR_OK)
		return rv;
	if (login) {
		rv = p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)tok->user_pin,
				  (CK_ULONG)strlen(tok->user_pin));
		if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
			p11->C_CloseSession(s);
			return rv;
		}
	}
	if (slot != NULL)
		*slot = id;
	if (session != NULL)
		*session = s;
	return CKR_OK;
}

/* Returns CKR_OBJECT_HANDLE_INVALID (and *out = CK_INVALID_HANDLE) when
 * nothing matches. */
CK_RV ukt_find_one(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
		   const unsigned char *id, size_t idlen, CK_OBJECT_HANDLE *out)
{
	CK_ATTRIBUTE tmpl[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, (CK_ULONG)idlen },
	};
	CK_ULONG n = 0;
	CK_RV rv, rv2;

	*out = CK_INVALID_HANDLE;
	rv = p11->C_FindObjectsInit(s, tmpl, id != NULL ? 2 : 1);
	if (rv != CKR_OK)
		return rv;
	rv = p11->C_FindObjects(s, out, 1, &n);
	rv2 = p11->C_FindObjectsFinal(s);
	if (rv == CKR_OK)
		rv = rv2;
	if (rv == CKR_OK && n == 0) {
		*out = CK_INVALID_HANDLE;
		rv = CKR_OBJECT_HANDLE_INVALID;
	}
	return rv;
}

CK_RV ukt_slot_of(CK_FUNCTION_LIST *p11, const struct ukt_token *tok, CK_SLOT_ID *slot)
{
	CK_RV rv = p11->C_Initialize(NULL);

	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return rv;
	return ukt_find_slot(p11, tok, slot);
}
