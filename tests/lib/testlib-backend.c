/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Backend awareness for the integration tests: which backend a run uses,
 * what a slot can do, and the key pairs' CKA_IDs as the token reports them. */

#include "testlib.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *ukt_backend(void)
{
	const char *env = getenv("UKEY_TEST_BACKEND");

	return (env != NULL && strcmp(env, "skf") == 0) ? "skf" : "p11";
}

bool ukt_is_skf(void)
{
	return strcmp(ukt_backend(), "skf") == 0;
}

bool ukt_has_mechanism(CK_FUNCTION_LIST *p11, CK_SLOT_ID slot, CK_MECHANISM_TYPE mech)
{
	CK_MECHANISM_TYPE *list = NULL;
	CK_ULONG n = 0, i;
	bool found = false;

	if (p11->C_GetMechanismList(slot, NULL, &n) != CKR_OK || n == 0)
		return false;
	list = calloc(n, sizeof(*list));
	if (list == NULL)
		return false;
	if (p11->C_GetMechanismList(slot, list, &n) == CKR_OK)
		for (i = 0; i < n && !found; i++)
			found = list[i] == mech;
	free(list);
	return found;
}

static unsigned char *ukt_slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)n);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = (size_t)n;
out:
	fclose(f);
	return buf;
}

/* In a forked child: matches the token's certificates with DIR/keys/sign.der
 * and enc.der and writes "s"/"e", the id length and the id to fd. */
static int ukt_ids_child(const struct ukt_token *tok, int fd)
{
	static const char *const names[2] = { "sign", "enc" };
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE want = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[16];
	CK_SESSION_HANDLE s;
	CK_FUNCTION_LIST *p11;
	CK_ULONG n = 0, i;
	void *dl;
	int k, found = 0;

	p11 = ukt_module_load(&dl);
	if (p11 == NULL || ukt_open(p11, tok, false, false, NULL, &s) != CKR_OK ||
	    p11->C_FindObjectsInit(s, &want, 1) != CKR_OK || p11->C_FindObjects(s, h, 16, &n) != CKR_OK ||
	    p11->C_FindObjectsFinal(s) != CKR_OK)
		return 1;
	for (k = 0; k < 2; k++) {
		char path[700];
		size_t flen = 0;
		unsigned char *file;

		snprintf(path, sizeof(path), "%s/keys/%s.der", tok->dir, names[k]);
		file = ukt_slurp(path, &flen);
		for (i = 0; file != NULL && i < n; i++) {
			unsigned char val[8192], id[32], rec[34];
			CK_ATTRIBUTE a[2] = { { CKA_VALUE, val, sizeof(val) }, { CKA_ID, id, sizeof(id) } };

			if (p11->C_GetAttributeValue(s, h[i], a, 2) != CKR_OK || a[0].ulValueLen != flen ||
			    memcmp(val, file, flen) != 0 || a[1].ulValueLen == 0)
				continue;
			rec[0] = (unsigned char)names[k][0];
			rec[1] = (unsigned char)a[1].ulValueLen;
			memcpy(rec + 2, id, a[1].ulValueLen);
			if (write(fd, rec, 2 + a[1].ulValueLen) == (ssize_t)(2 + a[1].ulValueLen))
				found++;
			break;
		}
		free(file);
	}
	return found == 2 ? 0 : 1;
}

/* The signing and encryption pairs' CKA_IDs, read through the module in a
 * child process, so the test's own module state (loaded, initialised or
 * not) stays untouched. */
int ukt_vkey_read_ids(struct ukt_token *tok)
{
	unsigned char buf[80];
	size_t got = 0, off = 0;
	int fds[2], st = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		/* _exit: no atexit handlers (and no leak report) in the child. */
		_exit(ukt_ids_child(tok, fds[1]));
	}
	close(fds[1]);
	while (got < sizeof(buf) && (r = read(fds[0], buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)r;
	close(fds[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "cannot read the key pairs' CKA_IDs of %s through the module\n", tok->dir);
		return -1;
	}
	while (off + 2 <= got && off + 2 + buf[off + 1] <= got && buf[off + 1] <= 32) {
		if (buf[off] == 's')
			memcpy(tok->sign_id, buf + off + 2, tok->sign_id_len = buf[off + 1]);
		else
			memcpy(tok->enc_id, buf + off + 2, tok->enc_id_len = buf[off + 1]);
		off += 2 + (size_t)buf[off + 1];
	}
	return (tok->sign_id_len != 0 && tok->enc_id_len != 0) ? 0 : -1;
}
