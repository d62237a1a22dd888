/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* One side's state inside its child. */
struct side {
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE rsa, ec, cert;
	const struct bench_input *in;
	double secs;
	unsigned long found;           /* what the last find saw */
	struct bench_result *res;
};

typedef CK_RV (*bench_op)(struct side *sd, CK_SESSION_HANDLE s);

static CK_RV sign_with(struct side *sd, CK_SESSION_HANDLE s, CK_MECHANISM_TYPE m,
		       CK_OBJECT_HANDLE key, const unsigned char *in, CK_ULONG inlen,
		       unsigned char *out, CK_ULONG *outlen)
{
	CK_MECHANISM mech = { m, NULL, 0 };
	CK_RV rv;

	rv = sd->f->C_SignInit(s, &mech, key);
	if (rv != CKR_OK)
		return rv;
	return sd->f->C_Sign(s, (CK_BYTE_PTR)in, inlen, out, outlen);
}

static CK_RV op_rsa_sha256(struct side *sd, CK_SESSION_HANDLE s)
{
	unsigned char sig[BENCH_SIG_MAX];
	CK_ULONG len = sizeof(sig);

	return sign_with(sd, s, CKM_SHA256_RSA_PKCS, sd->rsa, sd->in->msg, sizeof(sd->in->msg), sig,
			 &len);
}

static CK_RV op_rsa_raw(struct side *sd, CK_SESSION_HANDLE s)
{
	unsigned char sig[BENCH_SIG_MAX];
	CK_ULONG len = sizeof(sig);

	return sign_with(sd, s, CKM_RSA_PKCS, sd->rsa, sd->in->digestinfo,
			 sizeof(sd->in->digestinfo), sig, &len);
}

static CK_RV op_ecdsa(struct side *sd, CK_SESSION_HANDLE s)
{
	unsigned char sig[BENCH_SIG_MAX];
	CK_ULONG len = sizeof(sig);

	return sign_with(sd, s, CKM_ECDSA, sd->ec, sd->in->hash, sizeof(sd->in->hash), sig, &len);
}

static CK_RV op_getattr(struct side *sd, CK_SESSION_HANDLE s)
{
	unsigned char label[128], id[64];
	CK_ATTRIBUTE t[] = {
		{ CKA_LABEL, label, sizeof(label) },
		{ CKA_ID, id, sizeof(id) },
	};
	CK_RV rv = sd->f->C_GetAttributeValue(s, sd->cert, t, 2);

	/* A cache that lost the ID would be fast and wrong. */
	if (rv == CKR_OK && (t[1].ulValueLen != 1 || id[0] != 0x01))
		rv = CKR_GENERAL_ERROR;
	return rv;
}

static CK_RV op_find(struct side *sd, CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[256];
	CK_ULONG got, total = 0;
	CK_RV rv, rv2;

	rv = sd->f->C_FindObjectsInit(s, &t, 1);
	if (rv != CKR_OK)
		return rv;
	do {
		rv = sd->f->C_FindObjects(s, h, 256, &got);
		total += got;
	} while (rv == CKR_OK && got > 0);
	rv2 = sd->f->C_FindObjectsFinal(s);
	if (rv == CKR_OK)
		rv = rv2;
	sd->found = total;
	return rv;
}

/* Runs op until secs of wall time have passed, after one warm-up call, and
 * gives ops per wall second and per CPU second of this process. */
static CK_RV timed(struct side *sd, bench_op op, CK_SESSION_HANDLE s, double secs,
		   struct bench_slice *sl)
{
	unsigned long n = 0;
	double t0, t, c0;
	CK_RV rv;

	rv = op(sd, s);
	c0 = bench_cpu_now();
	t0 = bench_now();
	t = t0;
	while (rv == CKR_OK && t - t0 < secs) {
		rv = op(sd, s);
		n++;
		t = bench_now();
	}
	sl->rate[0] = (double)n / (t - t0);
	sl->cpu_rate = (double)n / (bench_cpu_now() - c0);
	return rv;
}

struct worker {
	struct side *sd;
	CK_SESSION_HANDLE s;
	pthread_barrier_t *start;
	unsigned long ops;
	double end;
	CK_RV rv;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	double stop;

	w->rv = op_rsa_sha256(w->sd, w->s);
	pthread_barrier_wait(w->start);
	stop = bench_now() + w->sd->secs;
	while (w->rv == CKR_OK && bench_now() < stop) {
		w->rv = op_rsa_sha256(w->sd, w->s);
		w->ops++;
	}
	w->end = bench_now();
	return NULL;
}

/* nthreads threads, each in its own session, all signing with the RSA key. */
static CK_RV threaded(struct side *sd, int nthreads, double *rate)
{
	struct worker w[2];
	pthread_t tid[2];
	pthread_barrier_t start;
	double t0, end = 0;
	unsigned long ops = 0;
	int started = 0;
	CK_RV rv = CKR_OK;

	memset(w, 0, sizeof(w));
	if (pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1) != 0)
		return CKR_HOST_MEMORY;
	for (int i = 0; i < nthreads; i++) {
		w[i].sd = sd;
		w[i].start = &start;
		rv = sd->f->C_OpenSession(sd->slot, CKF_SERIAL_SESSION, NULL, NULL, &w[i].s);
		if (rv != CKR_OK)
			goto out;
	}
	for (; started < nthreads; started++) {
		if (pthread_create(&tid[started], NULL, worker_main, &w[started]) != 0) {
			rv = CKR_HOST_MEMORY;
			/* The barrier would never open: stop here, loudly. */
			fprintf(stderr, "bench-module: pthread_create failed\n");
			abort();
		}
	}
	pthread_barrier_wait(&start);
	t0 = bench_now();
	for (int i = 0; i < nthreads; i++) {
		pthread_join(tid[i], NULL);
		ops += w[i].ops;
		if (w[i].end > end)
			end = w[i].end;
		if (w[i].rv != CKR_OK && rv == CKR_OK)
			rv = w[i].rv;
	}
	*rate = (double)ops / (end - t0);
out:
	for (int i = 0; i < nthreads; i++)
		if (w[i].s)
			sd->f->C_CloseSession(w[i].s);
	pthread_barrier_destroy(&start);
	return rv;
}

/* The signatures both sides must agree on (RSA PKCS#1 v1.5 is deterministic). */
static CK_RV reference_sigs(struct side *sd)
{
	struct bench_result *r = sd->res;
	unsigned char ec[BENCH_SIG_MAX];
	CK_ULONG a = BENCH_SIG_MAX, b = BENCH_SIG_MAX, e = sizeof(ec);
	CK_RV rv;

	rv = sign_with(sd, sd->s, CKM_SHA256_RSA_PKCS, sd->rsa, sd->in->msg, sizeof(sd->in->msg),
		       r->rsa_sha256_sig, &a);
	if (rv == CKR_OK)
		rv = sign_with(sd, sd->s, CKM_RSA_PKCS, sd->rsa, sd->in->digestinfo,
			       sizeof(sd->in->digestinfo), r->rsa_raw_sig, &b);
	if (rv == CKR_OK)
		rv = sign_with(sd, sd->s, CKM_ECDSA, sd->ec, sd->in->hash, sizeof(sd->in->hash), ec, &e);
	if (rv == CKR_OK && a != b)
		rv = CKR_GENERAL_ERROR;
	r->rsa_sig_len = a;
	r->ec_sig_len = e;
	return rv;
}

static CK_RV prepare(struct side *sd, const struct bench_vkey *vk)
{
	struct bench_result *r = sd->res;
	CK_RV rv;

	snprintf(r->what, sizeof(r->what), "C_Initialize / slot of serial %s", vk->serial);
	rv = bench_p11_init_slot(sd->f, vk->serial, &sd->slot);
	if (rv != CKR_OK)
		return rv;
	snprintf(r->what, sizeof(r->what), "C_OpenSession");
	rv = sd->f->C_OpenSession(sd->slot, CKF_SERIAL_SESSION, NULL, NULL, &sd->s);
	if (rv != CKR_OK)
		return rv;
	snprintf(r->what, sizeof(r->what), "C_Login");
	rv = bench_p11_login(sd->f, sd->s, vk->user_pin);
	if (rv != CKR_OK)
		return rv;
	snprintf(r->what, sizeof(r->what), "find RSA private key (CKA_ID 01)");
	rv = bench_p11_find_one(sd->f, sd->s, CKO_PRIVATE_KEY, CKK_RSA, 0x01, &sd->rsa);
	if (rv != CKR_OK)
		return rv;
	snprintf(r->what, sizeof(r->what), "find P-256 private key (CKA_ID 03)");
	rv = bench_p11_find_one(sd->f, sd->s, CKO_PRIVATE_KEY, CKK_EC, BENCH_EC_ID, &sd->ec);
	if (rv != CKR_OK)
		return rv;
	snprintf(r->what, sizeof(r->what), "find certificate (CKA_ID 01)");
	rv = bench_p11_find_one(sd->f, sd->s, CKO_CERTIFICATE, (CK_KEY_TYPE)-1, 0x01, &sd->cert);
	if (rv != CKR_OK)
		return rv;
	snprintf(r->what, sizeof(r->what), "reference signatures");
	return reference_sigs(sd);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *b = buf;

	while (len > 0) {
		ssize_t w = write(fd, b, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *b = buf;

	while (len > 0) {
		ssize_t r = read(fd, b, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		len -= (size_t)r;
	}
	return 0;
}

struct bench_cmd {
	int cell;                      /* -1: finalize and exit */
	double secs;
};

static CK_RV run_slice(struct side *sd, const struct bench_cmd *cmd, struct bench_slice *sl)
{
	static const bench_op ops[] = { op_rsa_sha256, op_rsa_raw, op_ecdsa, op_getattr, op_find };
	CK_RV rv;

	sd->secs = cmd->secs;
	if (cmd->cell < 0 || cmd->cell > BENCH_THREADS)
		return CKR_ARGUMENTS_BAD;
	if (cmd->cell < BENCH_THREADS)
		return timed(sd, ops[cmd->cell], sd->s, cmd->secs, sl);
	rv = threaded(sd, 1, &sl->rate[0]);
	if (rv == CKR_OK)
		rv = threaded(sd, 2, &sl->rate[1]);
	return rv;
}

/* The child: one library, one login, then slices on command until told to stop. */
static int child_main(const struct bench_vkey *vk, const struct bench_input *in, const char *lib,
		      int cmd_fd, int res_fd)
{
	struct bench_result ready;
	struct bench_cmd cmd;
	struct side sd = { .in = in, .res = &ready };
	void *h = NULL;
	int ret = 1;

	memset(&ready, 0, sizeof(ready));
	sd.f = bench_p11_load(lib, &h, ready.what, sizeof(ready.what));
	if (!sd.f) {
		ready.rv = CKR_GENERAL_ERROR;
		return write_all(res_fd, &ready, sizeof(ready)) == 0 ? 0 : 1;
	}
	ready.rv = prepare(&sd, vk);
	if (ready.rv == CKR_OK)
		ready.what[0] = '\0';
	if (write_all(res_fd, &ready, sizeof(ready)) != 0 || ready.rv != CKR_OK)
		goto out;
	while (read_all(cmd_fd, &cmd, sizeof(cmd)) == 0 && cmd.cell >= 0) {
		struct bench_slice sl = { 0 };

		sl.rv = run_slice(&sd, &cmd, &sl);
		sl.found = sd.found;
		if (write_all(res_fd, &sl, sizeof(sl)) != 0)
			goto out;
	}
	ret = 0;
out:
	/* Not timed; a crash here still shows in the exit status. */
	sd.f->C_Finalize(NULL);
	return ret;
}

int bench_child_start(const struct bench_params *p, const struct bench_vkey *vk,
		      const struct bench_input *in, const char *lib, struct bench_child *c)
{
	int cmd[2], res[2];

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->lib = lib;
	if (pipe(cmd) != 0) {
		perror("pipe");
		return -1;
	}
	if (pipe(res) != 0) {
		perror("pipe");
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0) {
		close(cmd[1]);
		close(res[0]);
		/* A hung library must not hang the benchmark (or make check). */
		alarm((unsigned)(p->cell_seconds * 2 * BENCH_NCELLS * 3) + 120);
		_exit(child_main(vk, in, lib, cmd[0], res[1]));
	}
	close(cmd[0]);
	close(res[1]);
	c->to = cmd[1];
	c->from = res[0];
	if (c->pid < 0) {
		perror("fork");
		bench_child_stop(c);
		return -1;
	}
	if (read_all(c->from, &c->ready, sizeof(c->ready)) != 0) {
		fprintf(stderr, "bench-module: %s: child died before it was ready\n", lib);
		bench_child_stop(c);
		return -1;
	}
	return 0;
}

int bench_child_slice(struct bench_child *c, int cell, double secs, struct bench_slice *out)
{
	struct bench_cmd cmd = { .cell = cell, .secs = secs };

	if (write_all(c->to, &cmd, sizeof(cmd)) != 0 || read_all(c->from, out, sizeof(*out)) != 0) {
		fprintf(stderr, "bench-module: %s: child died during a measurement\n", c->lib);
		return -1;
	}
	return 0;
}

void bench_child_stop(struct bench_child *c)
{
	struct bench_cmd quit = { .cell = -1 };
	int status;

	if (c->to > 0) {
		/* SIGPIPE would kill us if the child is already gone. */
		signal(SIGPIPE, SIG_IGN);
		(void)write_all(c->to, &quit, sizeof(quit));
		close(c->to);
	}
	if (c->from > 0)
		close(c->from);
	c->to = c->from = -1;
	if (c->pid <= 0)
		return;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "bench-module: %s: child ended with %s %d\n", c->lib,
			WIFSIGNALED(status) ? "signal" : "status",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	c->pid = -1;
}
