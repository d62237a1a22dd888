/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bench.h"

static int copy_value(const char *line, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	size_t vlen;

	if (strncmp(line, key, klen) != 0 || line[klen] != '=')
		return 0;
	vlen = strcspn(line + klen + 1, "\r\n");
	if (vlen >= outlen)
		return -1;
	memcpy(out, line + klen + 1, vlen);
	out[vlen] = '\0';
	return 1;
}

static int read_info(struct bench_vkey *vk)
{
	char path[600], line[700];
	int got = 0, ret = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/vkey.info", vk->dir);
	fp = fopen(path, "r");
	if (!fp) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		int r = copy_value(line, "serial", vk->serial, sizeof(vk->serial));

		if (r == 0)
			r = copy_value(line, "user_pin", vk->user_pin, sizeof(vk->user_pin));
		if (r == 0)
			r = copy_value(line, "softhsm_conf", vk->softhsm_conf, sizeof(vk->softhsm_conf));
		if (r == 0)
			r = copy_value(line, "conf", vk->conf, sizeof(vk->conf));
		if (r < 0) {
			fprintf(stderr, "bench-module: value too long in %s\n", path);
			goto out;
		}
		got += r;
	}
	if (got != 4) {
		fprintf(stderr, "bench-module: %s lacks serial/user_pin/softhsm_conf/conf\n", path);
		goto out;
	}
	ret = 0;
out:
	fclose(fp);
	return ret;
}

int bench_vkey_make(const struct bench_params *p, const char *workdir, struct bench_vkey *vk)
{
	int status;
	pid_t pid;

	snprintf(vk->dir, sizeof(vk->dir), "%s/vkey", workdir);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		/* Its chatter would mix with our table; errors still go to stderr. */
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execl(p->vkey_tool, p->vkey_tool, "create", vk->dir, "--key-type", "rsa",
		      "--label", "ukey bench", (char *)NULL);
		perror(p->vkey_tool);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-module: %s create %s failed\n", p->vkey_tool, vk->dir);
		return -1;
	}
	return read_info(vk);
}

static CK_RV gen_ec_key(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s)
{
	/* DER OID 1.2.840.10045.3.1.7, prime256v1 */
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE id = BENCH_EC_ID;
	char label[] = "Bench P-256 key";
	CK_ATTRIBUTE pub[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		{ CKA_ID, &id, 1 },
		{ CKA_LABEL, label, sizeof(label) - 1 },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_ID, &id, 1 },
		{ CKA_LABEL, label, sizeof(label) - 1 },
	};
	CK_OBJECT_HANDLE hpub, hpriv;

	return f->C_GenerateKeyPair(s, &mech, pub, sizeof(pub) / sizeof(pub[0]), priv,
				    sizeof(priv) / sizeof(priv[0]), &hpub, &hpriv);
}

static CK_RV make_data(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, int i)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	char label[32], value[64];
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_APPLICATION, (void *)BENCH_DATA_APP, sizeof(BENCH_DATA_APP) - 1 },
		{ CKA_LABEL, label, 0 },
		{ CKA_VALUE, value, 0 },
	};
	CK_OBJECT_HANDLE h;

	t[4].ulValueLen = (CK_ULONG)snprintf(label, sizeof(label), "bench data %04d", i);
	t[5].ulValueLen = (CK_ULONG)snprintf(value, sizeof(value), "benchmark payload %d", i);
	return f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h);
}

/* Runs in the setup child: SoftHSM directly, as any other tool would. */
static int setup_child(const struct bench_params *p, const struct bench_vkey *vk)
{
	const char *step = "load";
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	char err[256];
	void *h;
	CK_RV rv;

	f = bench_p11_load(p->softhsm_path, &h, err, sizeof(err));
	if (!f) {
		fprintf(stderr, "bench-module: setup: %s\n", err);
		return 1;
	}
	step = "C_Initialize/find slot";
	rv = bench_p11_init_slot(f, vk->serial, &slot);
	if (rv != CKR_OK)
		goto out;
	step = "C_OpenSession";
	rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK)
		goto out;
	step = "C_Login";
	rv = bench_p11_login(f, s, vk->user_pin);
	if (rv != CKR_OK)
		goto out;
	step = "C_GenerateKeyPair(P-256)";
	rv = gen_ec_key(f, s);
	if (rv != CKR_OK)
		goto out;
	step = "C_CreateObject(CKO_DATA)";
	for (int i = 0; i < p->objects && rv == CKR_OK; i++)
		rv = make_data(f, s, i);
out:
	if (rv != CKR_OK)
		fprintf(stderr, "bench-module: setup: %s failed: CKR 0x%lx\n", step, (unsigned long)rv);
	f->C_Finalize(NULL);
	return rv == CKR_OK ? 0 : 1;
}

int bench_setup_token(const struct bench_params *p, const struct bench_vkey *vk)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0)
		_exit(setup_child(p, vk));
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

int bench_input_make(struct bench_input *in)
{
	/* DER prefix of DigestInfo { sha256, NULL params, OCTET STRING(32) } */
	static const unsigned char prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
						  0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
						  0x01, 0x05, 0x00, 0x04, 0x20 };
	unsigned int len = 0;

	if (RAND_bytes(in->msg, sizeof(in->msg)) != 1)
		return -1;
	if (EVP_Digest(in->msg, sizeof(in->msg), in->hash, &len, EVP_sha256(), NULL) != 1 ||
	    len != sizeof(in->hash))
		return -1;
	memcpy(in->digestinfo, prefix, sizeof(prefix));
	memcpy(in->digestinfo + sizeof(prefix), in->hash, sizeof(in->hash));
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		perror(path);
	return 0;
}

void bench_rmtree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
