/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Comparing the targets' transcripts against the list of documented
 * differences (expected-differences.txt, reasons in docs/conformance.md). */
#ifndef UKEY_CONFORM_DIFF_H
#define UKEY_CONFORM_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conform.h"

struct cf_opts {
	unsigned runs, steps;        /* random sequences and their length */
	uint64_t seed;
	const char *only;            /* run only cases whose name starts so */
	bool strict;                 /* a documented difference that no longer shows fails */
	bool keep;                   /* keep the transcripts */
};

#define CF_MAX_CRASHES 64
struct cf_crashes {
	struct {
		enum cf_target target;
		char name[96];
		int sig, status;
	} c[CF_MAX_CRASHES];
	int n;
};

/* The name of the last case a transcript started. */
int cf_tr_last_case(const char *path, char *name, size_t cap);
void cf_crash_note(struct cf_crashes *cr, enum cf_target t, const char *name, int sig, int status);
/* Prints the TAP report; returns the number of failed points. direct is
 * NULL on skf (rules only). */
int cf_report(const struct cf_opts *o, const char *direct, const char *module, const struct cf_crashes *cr);

#endif
