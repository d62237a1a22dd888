/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#ifndef UKEY_TOP_BUILDDIR
#define UKEY_TOP_BUILDDIR "."
#endif
#ifndef UKEY_TOP_SRCDIR
#define UKEY_TOP_SRCDIR "."
#endif
#ifndef UKEY_SOFTHSM_LIB
#define UKEY_SOFTHSM_LIB ""
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bench-module [options] [MODULE]\n"
		"Times the same PKCS#11 operations through ukey-pkcs11 (MODULE) and through\n"
		"SoftHSM2 directly, on one fresh virtual U-KEY, and prints module/direct ratios.\n"
		"  --module PATH     module under test (default %s/module/.libs/ukey-pkcs11.so)\n"
		"  --softhsm PATH    SoftHSM2 library (default %s)\n"
		"  --vkey-tool PATH  virtual U-KEY maker (default %s/tools/ukey-vkey)\n"
		"  --time SECS       timed run per cell and side (default 2.0)\n"
		"  --slices N        alternating slices the time is cut into (default 10, max %d)\n"
		"  --objects N       CKO_DATA objects for the find cell (default 1000)\n"
		"  --quick           smoke run: --time 0.1 --slices 2 --objects 100\n"
		"  --json            machine-readable output\n"
		"  --wall            rate single-thread cells per wall second, not per CPU second\n"
		"  --keep            keep the temporary virtual U-KEY directory\n",
		UKEY_TOP_BUILDDIR, UKEY_SOFTHSM_LIB[0] ? UKEY_SOFTHSM_LIB : "/usr/lib/softhsm/libsofthsm2.so",
		UKEY_TOP_SRCDIR, BENCH_MAX_SLICES);
}

static int parse_args(int argc, char **argv, struct bench_params *p)
{
	static const struct option opts[] = {
		{ "module", required_argument, NULL, 'm' }, { "softhsm", required_argument, NULL, 's' },
		{ "vkey-tool", required_argument, NULL, 'v' }, { "time", required_argument, NULL, 't' },
		{ "slices", required_argument, NULL, 'n' }, { "objects", required_argument, NULL, 'o' },
		{ "quick", no_argument, NULL, 'q' },           { "json", no_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, 'k' },            { "wall", no_argument, NULL, 'w' },            { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char module_default[600], tool_default[600];
	double secs = -1;
	int c, slices = -1, objects = -1;

	snprintf(module_default, sizeof(module_default), "%s/module/.libs/ukey-pkcs11.so",
		 UKEY_TOP_BUILDDIR);
	snprintf(tool_default, sizeof(tool_default), "%s/tools/ukey-vkey", UKEY_TOP_SRCDIR);
	p->module_path = module_default;
	p->softhsm_path = UKEY_SOFTHSM_LIB[0] ? UKEY_SOFTHSM_LIB : "/usr/lib/softhsm/libsofthsm2.so";
	p->vkey_tool = tool_default;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': p->module_path = optarg; break;
		case 's': p->softhsm_path = optarg; break;
		case 'v': p->vkey_tool = optarg; break;
		case 't': secs = atof(optarg); break;
		case 'n': slices = atoi(optarg); break;
		case 'o': objects = atoi(optarg); break;
		case 'q': p->quick = true; break;
		case 'j': p->json = true; break;
		case 'k': p->keep = true; break;
		case 'w': p->wall = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc)
		p->module_path = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	p->cell_seconds = secs > 0 ? secs : p->quick ? 0.1 : 2.0;
	p->slices = slices > 0 ? slices : p->quick ? 2 : 10;
	p->objects = objects >= 0 ? objects : p->quick ? 100 : 1000;
	if (p->slices > BENCH_MAX_SLICES || p->cell_seconds > 60 || p->objects > 100000) {
		fprintf(stderr, "bench-module: --slices at most %d, --time at most 60, --objects at most 100000\n",
			BENCH_MAX_SLICES);
		return -1;
	}
	return 0;
}

static const char *const side_name[2] = { "direct", "module" };

static int start_children(const struct bench_params *p, const struct bench_vkey *vk,
			  const struct bench_input *in, struct bench_child ch[2], struct bench_data *d)
{
	const char *libs[2] = { p->softhsm_path, p->module_path };

	for (int i = 0; i < 2; i++) {
		if (bench_child_start(p, vk, in, libs[i], &ch[i]) != 0) {
			snprintf(d->error, sizeof(d->error), "%s side: %s did not start", side_name[i],
				 libs[i]);
			return -1;
		}
		d->ready[i] = ch[i].ready;
		if (ch[i].ready.rv != CKR_OK) {
			snprintf(d->error, sizeof(d->error), "%s side (%s): %s failed: CKR 0x%lx",
				 side_name[i], libs[i], ch[i].ready.what, (unsigned long)ch[i].ready.rv);
			return -1;
		}
	}
	return 0;
}

/* Both children stay alive and take turns, slice by slice, in the order
 * direct-module, module-direct, ...: load from anything else on the machine
 * then lands on both sides alike, and each adjacent pair gives one ratio. */
static int run_cells(const struct bench_params *p, struct bench_child ch[2], struct bench_data *d)
{
	static const char *const names[] = { "RSA SHA256_RSA_PKCS", "RSA RSA_PKCS", "ECDSA P-256",
					     "GetAttributeValue", "Find", "threads 1 vs 2" };
	double slice = p->cell_seconds / p->slices;

	d->n = p->slices;
	for (int cell = 0; cell <= BENCH_THREADS; cell++) {
		double t0 = bench_now();

		for (int k = 0; k < p->slices; k++) {
			for (int j = 0; j < 2; j++) {
				int side = (k + j) % 2;
				struct bench_slice sl;

				if (bench_child_slice(&ch[side], cell, slice, &sl) != 0) {
					snprintf(d->error, sizeof(d->error), "%s side died in %s",
						 side_name[side], names[cell]);
					return -1;
				}
				if (sl.rv != CKR_OK) {
					snprintf(d->error, sizeof(d->error), "%s side: %s failed: CKR 0x%lx",
						 side_name[side], names[cell], (unsigned long)sl.rv);
					return -1;
				}
				d->rate[side][cell][k] = sl.rate[0];
				d->cpu_rate[side][cell][k] = sl.cpu_rate;
				if (cell == BENCH_THREADS)
					d->rate[side][BENCH_THREADS2][k] = sl.rate[1];
				if (cell == BENCH_FIND)
					d->found[side] = sl.found;
			}
		}
		/* Progress goes to stderr: stdout carries only the table or the JSON. */
		fprintf(stderr, "measured %s in %.1f s\n", names[cell], bench_now() - t0);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_params p = { 0 };
	struct bench_vkey vk = { 0 };
	struct bench_input in;
	struct bench_child ch[2] = { { .pid = -1, .to = -1, .from = -1 },
				     { .pid = -1, .to = -1, .from = -1 } };
	struct bench_data *d = NULL;
	char workdir[512];
	const char *tmp = getenv("TMPDIR");
	double t0;
	int ret = 2;

	if (parse_args(argc, argv, &p) != 0)
		return 2;
	if (access(p.module_path, R_OK) != 0) {
		fprintf(stderr, "bench-module: cannot read the module %s (build it, or --module)\n",
			p.module_path);
		return 2;
	}
	if (access(p.softhsm_path, R_OK) != 0) {
		fprintf(stderr, "bench-module: cannot read SoftHSM %s (--softhsm)\n", p.softhsm_path);
		return 2;
	}
	snprintf(workdir, sizeof(workdir), "%s/ukey-bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(workdir)) {
		perror(workdir);
		return 2;
	}
	d = calloc(1, sizeof(*d));
	if (!d || bench_input_make(&in) != 0) {
		fprintf(stderr, "bench-module: out of memory or no randomness\n");
		goto out;
	}
	t0 = bench_now();
	if (bench_vkey_make(&p, workdir, &vk) != 0)
		goto out;
	/* Both sides, and the module's own SoftHSM, read these at C_Initialize. */
	if (setenv("SOFTHSM2_CONF", vk.softhsm_conf, 1) != 0 ||
	    setenv("UKEY_PKCS11_CONF", vk.conf, 1) != 0) {
		perror("setenv");
		goto out;
	}
	fprintf(stderr, "setup: virtual U-KEY in %.1f s", bench_now() - t0);
	t0 = bench_now();
	if (bench_setup_token(&p, &vk) != 0)
		goto out;
	fprintf(stderr, ", P-256 key and %d data objects in %.1f s\n", p.objects, bench_now() - t0);
	/* Other processes on the machine skew the thread speed-up most: say so. */
	if (getloadavg(&d->loadavg, 1) != 1)
		d->loadavg = -1;
	if (start_children(&p, &vk, &in, ch, d) == 0)
		run_cells(&p, ch, d);
	bench_child_stop(&ch[0]);
	bench_child_stop(&ch[1]);
	ret = bench_report(&p, d);
out:
	if (p.keep)
		fprintf(stderr, "bench-module: kept %s\n", workdir);
	else
		bench_rmtree(workdir);
	free(d);
	return ret;
}
