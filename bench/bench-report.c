/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

enum row_kind { ROW_RATE, ROW_SPEEDUP };

struct row {
	const char *key;        /* JSON name */
	const char *name;       /* table name */
	enum row_kind kind;
	int cell;               /* ROW_RATE: the cell */
	double target;          /* minimum module/direct ratio; 0 = none */
};

static const struct row rows[] = {
	{ "rsa2048_sign_sha256_rsa_pkcs", "RSA-2048 sign CKM_SHA256_RSA_PKCS", ROW_RATE,
	  BENCH_RSA_SHA256, 0.98 },
	{ "rsa2048_sign_rsa_pkcs_digestinfo", "RSA-2048 sign CKM_RSA_PKCS(DigestInfo)", ROW_RATE,
	  BENCH_RSA_RAW, 0.98 },
	{ "p256_sign_ecdsa", "P-256 sign CKM_ECDSA (32-byte hash)", ROW_RATE, BENCH_ECDSA, 0.98 },
	{ "get_attribute_label_id", "C_GetAttributeValue cert LABEL+ID", ROW_RATE, BENCH_GETATTR,
	  10.0 },
	{ "find_all_data", "Find all CKO_DATA (init+find+final)", ROW_RATE, BENCH_FIND, 0 },
	{ "rsa_sign_1_thread", "  RSA sign, 1 thread (1 session)", ROW_RATE, BENCH_THREADS1, 0 },
	{ "rsa_sign_2_threads", "  RSA sign, 2 threads (2 sessions)", ROW_RATE, BENCH_THREADS2, 0 },
	{ "rsa_sign_2v1_speedup", "2 threads / 1 thread speed-up", ROW_SPEEDUP, 0, 0.95 },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct figures {
	double direct, module;  /* medians of each side's slices */
	double ratio;           /* median of the per-pair module/direct ratios */
	double mad;             /* median absolute deviation of those ratios */
	double dv[BENCH_MAX_SLICES], mv[BENCH_MAX_SLICES], q[BENCH_MAX_SLICES];
};

/* Per-slice values of one row for one side. */
/* Single-thread costs are compared per CPU second of each side's process:
 * on a shared machine, time the scheduler gives to other processes then
 * does not count against either side. Thread scaling needs the wall clock. */
static bool use_cpu(const struct bench_params *p, const struct row *rw)
{
	return !p->wall && rw->kind == ROW_RATE && rw->cell < BENCH_THREADS;
}

static void side_values(const struct bench_params *p, const struct row *rw,
			const struct bench_data *d, int side, double *out)
{
	for (int k = 0; k < d->n; k++) {
		if (use_cpu(p, rw))
			out[k] = d->cpu_rate[side][rw->cell][k];
		else if (rw->kind == ROW_RATE)
			out[k] = d->rate[side][rw->cell][k];
		else
			out[k] = d->rate[side][BENCH_THREADS2][k] / d->rate[side][BENCH_THREADS1][k];
	}
}

static void row_figures(const struct bench_params *p, const struct row *rw,
			const struct bench_data *d, struct figures *fg)
{
	double tmp[BENCH_MAX_SLICES];
	int n = d->n;

	side_values(p, rw, d, 0, fg->dv);
	side_values(p, rw, d, 1, fg->mv);
	memcpy(tmp, fg->dv, sizeof(tmp));
	fg->direct = median(tmp, n);
	memcpy(tmp, fg->mv, sizeof(tmp));
	fg->module = median(tmp, n);
	for (int k = 0; k < n; k++)
		fg->q[k] = fg->mv[k] / fg->dv[k];
	memcpy(tmp, fg->q, sizeof(tmp));
	fg->ratio = median(tmp, n);
	for (int k = 0; k < n; k++)
		tmp[k] = fabs(fg->q[k] - fg->ratio);
	fg->mad = median(tmp, n);
}

/* Both sides agree on what they signed and found; else the figures mean nothing. */
static int check_agreement(const struct bench_data *d, char *why, size_t whylen)
{
	const struct bench_result *a = &d->ready[0], *b = &d->ready[1];

	if (d->error[0]) {
		snprintf(why, whylen, "%s", d->error);
		return -1;
	}
	if (a->rsa_sig_len != 256 || b->rsa_sig_len != 256 ||
	    memcmp(a->rsa_sha256_sig, b->rsa_sha256_sig, 256) != 0 ||
	    memcmp(a->rsa_raw_sig, b->rsa_raw_sig, 256) != 0) {
		snprintf(why, whylen, "RSA signatures differ between direct and module");
		return -1;
	}
	if (a->ec_sig_len != 64 || b->ec_sig_len != 64) {
		snprintf(why, whylen, "ECDSA signature length %lu direct, %lu module (want 64)",
			 a->ec_sig_len, b->ec_sig_len);
		return -1;
	}
	if (d->found[0] != d->found[1]) {
		snprintf(why, whylen, "find saw %lu CKO_DATA objects direct, %lu through the module",
			 d->found[0], d->found[1]);
		return -1;
	}
	return 0;
}

static void print_list(const char *key, const double *v, int n)
{
	printf("\"%s\": [", key);
	for (int k = 0; k < n; k++)
		printf("%s%.4g", k ? ", " : "", v[k]);
	printf("]");
}

static void print_json(const struct bench_params *p, const struct bench_data *d, int ok,
		       const char *why)
{
	printf("{\n  \"cpus\": %ld,\n  \"loadavg\": %.2f,\n  \"cell_seconds\": %.3f,\n"
	       "  \"slices\": %d,\n",
	       sysconf(_SC_NPROCESSORS_ONLN), d->loadavg, p->cell_seconds, d->n);
	printf("  \"data_objects\": %d,\n  \"found\": %lu,\n", p->objects, d->found[0]);
	printf("  \"module\": \"%s\",\n  \"softhsm\": \"%s\",\n", p->module_path, p->softhsm_path);
	printf("  \"ok\": %s,\n  \"error\": \"%s\",\n  \"results\": [", ok ? "true" : "false",
	       ok ? "" : why);
	for (size_t i = 0; ok && i < NROWS; i++) {
		struct figures fg;

		row_figures(p, &rows[i], d, &fg);
		printf("%s\n    { \"op\": \"%s\", \"unit\": \"%s\", \"direct\": %.6g, \"module\": %.6g, "
		       "\"ratio\": %.4f, \"ratio_mad\": %.4f, ",
		       i ? "," : "", rows[i].key,
		       rows[i].kind != ROW_RATE    ? "speed-up"
		       : use_cpu(p, &rows[i]) ? "ops per CPU second"
					      : "ops per second",
		       fg.direct, fg.module, fg.ratio, fg.mad);
		if (rows[i].target > 0)
			printf("\"target\": %.2f, \"met\": %s,\n      ", rows[i].target,
			       fg.ratio >= rows[i].target ? "true" : "false");
		else
			printf("\"target\": null, \"met\": null,\n      ");
		print_list("direct_slices", fg.dv, d->n);
		printf(", ");
		print_list("module_slices", fg.mv, d->n);
		printf(" }");
	}
	printf("\n  ]\n}\n");
}

static void print_table(const struct bench_params *p, const struct bench_data *d)
{
	printf("ukey-pkcs11 benchmark: %ld CPUs (load average %.2f before the run), %.2f s per cell\n"
	       "and side in %d alternating slices, %lu CKO_DATA objects\n",
	       sysconf(_SC_NPROCESSORS_ONLN), d->loadavg, p->cell_seconds, d->n, d->found[0]);
	printf("%-40s %13s %13s %8s %7s  %-7s %s\n", "operation", "direct", "module", "ratio", "+-",
	       "target", "met");
	for (size_t i = 0; i < NROWS; i++) {
		struct figures fg;
		char target[16] = "-", dv[24], mv[24];
		const char *met = "";

		row_figures(p, &rows[i], d, &fg);
		if (rows[i].target > 0) {
			snprintf(target, sizeof(target), ">= %g", rows[i].target);
			met = fg.ratio >= rows[i].target ? "yes" : "NO";
		}
		if (rows[i].kind == ROW_RATE) {
			const char *unit = use_cpu(p, &rows[i]) ? "/cs" : "/s";

			snprintf(dv, sizeof(dv), "%.1f%s", fg.direct, unit);
			snprintf(mv, sizeof(mv), "%.1f%s", fg.module, unit);
		} else {
			snprintf(dv, sizeof(dv), "%.3fx", fg.direct);
			snprintf(mv, sizeof(mv), "%.3fx", fg.module);
		}
		printf("%-40s %13s %13s %8.3f %7.3f  %-7s %s\n", rows[i].name, dv, mv, fg.ratio, fg.mad,
		       target, met);
	}
	printf("/cs = ops per CPU second of the side's process, /s = per wall second\n"
	       "ratio = median of the per-slice-pair module/direct ratios; +- = their median abs. deviation\n");
}

int bench_report(const struct bench_params *p, const struct bench_data *d)
{
	char why[256] = "";
	int ok = check_agreement(d, why, sizeof(why)) == 0;

	if (p->json) {
		print_json(p, d, ok, why);
	} else if (ok) {
		print_table(p, d);
		printf("check: RSA signatures identical on both sides; both found %lu CKO_DATA objects\n",
		       d->found[0]);
	}
	if (!ok)
		fprintf(stderr, "bench-module: %s\n", why);
	return ok ? 0 : 1;
}
