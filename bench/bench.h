/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-module: the same PKCS#11 operations timed through ukey-pkcs11.so and
 * through its backend (SoftHSM2) called directly, on one virtual U-KEY.
 *
 * Each side runs in its own forked child that dlopens only its library:
 * ukey-pkcs11.so loads SoftHSM itself, and one process cannot hold two
 * independent SoftHSM states (it is the same .so), so putting both sides in
 * one process would make them share, or fight over, one backend. Children
 * of the two sides alternate round by round, so slow drift of the machine
 * (frequency, other load) hits both sides alike. The parent never loads a
 * PKCS#11 library, so every child starts from the same clean state. */
#ifndef UKEY_BENCH_H
#define UKEY_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <p11-kit/pkcs11.h>

/* The timed cells. BENCH_THREADS is scheduled as one unit: a 1-thread run
 * then a 2-thread run, back to back, so their ratio sees the same load. */
enum bench_cell {
	BENCH_RSA_SHA256,   /* CKM_SHA256_RSA_PKCS over a message */
	BENCH_RSA_RAW,      /* CKM_RSA_PKCS over a SHA-256 DigestInfo */
	BENCH_ECDSA,        /* CKM_ECDSA over a 32-byte hash, P-256 */
	BENCH_GETATTR,      /* C_GetAttributeValue(CKA_LABEL, CKA_ID) of a certificate */
	BENCH_FIND,         /* FindObjectsInit(CKO_DATA) + FindObjects(all) + Final */
	BENCH_THREADS1,     /* CKM_SHA256_RSA_PKCS, 1 thread, own session */
	BENCH_THREADS2,     /* the same, 2 threads, a session each */
	BENCH_NCELLS
};
#define BENCH_THREADS BENCH_THREADS1

#define BENCH_MAX_SLICES 64
#define BENCH_SIG_MAX 512
#define BENCH_MSG_LEN 256
#define BENCH_DIGESTINFO_LEN 51

/* CKA_ID of the P-256 key pair the setup adds to the vkey's RSA token. */
#define BENCH_EC_ID 0x03
/* CKA_APPLICATION of the setup's data objects (diagnostic only: the find
 * cell matches on CKA_CLASS alone). */
#define BENCH_DATA_APP "ukey-bench"

struct bench_params {
	const char *module_path;
	const char *softhsm_path;
	const char *vkey_tool;
	double cell_seconds;    /* timed run per cell and side, over all slices */
	int slices;             /* alternating slices per cell and side */
	int objects;            /* CKO_DATA objects for the find cell */
	bool json;
	bool wall;              /* compare single-thread cells by wall clock too */
	bool quick;
	bool keep;              /* keep the temporary vkey directory */
};

/* What the vkey tool wrote to DIR/vkey.info, the parts we use. */
struct bench_vkey {
	char dir[512];
	char serial[17];
	char user_pin[64];
	char softhsm_conf[600];
	char conf[600];
};

/* Inputs both sides sign, so their signatures can be compared. */
struct bench_input {
	unsigned char msg[BENCH_MSG_LEN];
	unsigned char digestinfo[BENCH_DIGESTINFO_LEN];
	unsigned char hash[32];
};

/* What a side's child says once it is ready to measure. */
struct bench_result {
	CK_RV rv;                      /* CKR_OK, or the first failure */
	char what[96];                 /* the failing call, for the message */
	unsigned long rsa_sig_len;
	unsigned char rsa_sha256_sig[BENCH_SIG_MAX];
	unsigned char rsa_raw_sig[BENCH_SIG_MAX];
	unsigned long ec_sig_len;
};

/* One timed slice of one cell. */
struct bench_slice {
	CK_RV rv;
	double rate[2];                /* ops per wall second; [1]: BENCH_THREADS' 2 threads */
	double cpu_rate;               /* ops per CPU second of the child (1-thread cells) */
	unsigned long found;           /* objects the find cell saw */
};

/* A side's measuring child, alive for the whole run. */
struct bench_child {
	pid_t pid;
	int to, from;                  /* command and result pipes */
	const char *lib;
	struct bench_result ready;
};

/* All measurements: side 0 is direct, side 1 the module. */
struct bench_data {
	int n;                         /* slices per cell */
	struct bench_result ready[2];
	double rate[2][BENCH_NCELLS][BENCH_MAX_SLICES];     /* wall clock */
	double cpu_rate[2][BENCH_NCELLS][BENCH_MAX_SLICES]; /* CPU clock, cells < BENCH_THREADS */
	unsigned long found[2];
	char error[200];               /* empty, or why the run stopped */
	double loadavg;                /* 1-minute load average before measuring */
};

/* bench-setup.c */
/* Makes the virtual U-KEY under workdir with the vkey tool and reads its
 * vkey.info. Returns 0, or -1 after printing why. */
int bench_vkey_make(const struct bench_params *p, const char *workdir, struct bench_vkey *vk);
/* Adds, directly on SoftHSM in a child process, a P-256 key pair (CKA_ID
 * BENCH_EC_ID) and p->objects public CKO_DATA token objects. Returns 0, or
 * -1 after printing why. */
int bench_setup_token(const struct bench_params *p, const struct bench_vkey *vk);
/* Builds the message, its SHA-256 DigestInfo and a hash to sign. */
int bench_input_make(struct bench_input *in);
/* Removes a directory tree. */
void bench_rmtree(const char *dir);

/* bench-p11.c: helpers over any loaded PKCS#11 library. */
CK_FUNCTION_LIST *bench_p11_load(const char *path, void **handle, char *err, size_t errlen);
/* Initialises with CKF_OS_LOCKING_OK and finds the slot whose token serial
 * is `serial`. */
CK_RV bench_p11_init_slot(CK_FUNCTION_LIST *f, const char *serial, CK_SLOT_ID *slot);
CK_RV bench_p11_find_one(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
			 CK_KEY_TYPE ktype, unsigned char id, CK_OBJECT_HANDLE *out);
CK_RV bench_p11_login(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, const char *pin);
double bench_now(void);
/* CPU seconds used by this process, all threads. */
double bench_cpu_now(void);

/* bench-run.c */
/* Forks a child that loads lib, logs in and finds the keys, and waits for
 * its ready report (c->ready.rv says whether it is usable). Returns 0 when
 * the child reported, -1 when it died. */
int bench_child_start(const struct bench_params *p, const struct bench_vkey *vk,
		      const struct bench_input *in, const char *lib, struct bench_child *c);
/* Has the child time one slice of cell for secs seconds. */
int bench_child_slice(struct bench_child *c, int cell, double secs, struct bench_slice *out);
/* Tells the child to finalize and exit, and reaps it. */
void bench_child_stop(struct bench_child *c);

/* bench-report.c */
/* Prints the table (or JSON); returns 0 when both sides ran every cell
 * and agree on signatures and the objects found, else 1. */
int bench_report(const struct bench_params *p, const struct bench_data *d);

#endif
