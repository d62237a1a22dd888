/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading transcripts, matching differences and broken rules against
 * expected-differences.txt, and the TAP report.
 *
 * expected-differences.txt: one entry a line, "KIND BACKEND CASE REASON":
 * KIND is diff (the module answers otherwise than SoftHSM) or rule (the
 * module's answer breaks a rule of the standard); BACKEND p11, skf or any;
 * CASE a case name or fnmatch(3) pattern (a random sequence's difference is
 * named random/FUNCTION/DIRECT-RV/MODULE-RV after its first differing call);
 * REASON a word that docs/conformance.md explains. */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform-diff.h"

struct tr_case {
	char *name;
	char **rec;
	size_t nrec;
	char **viol;
	size_t nviol;
	bool ended;
};

struct transcript {
	struct tr_case *c;
	size_t n;
};

struct allow {
	char kind[8], backend[8], glob[128], reason[64];
	bool used;
};

static void push(char ***v, size_t *n, const char *s)
{
	char **g = realloc(*v, (*n + 1) * sizeof(**v));
	if (!g || !(g[*n] = strdup(s))) {
		perror("conformance");
		exit(99);
	}
	*v = g;
	(*n)++;
}

static int tr_load(const char *path, struct transcript *t)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	memset(t, 0, sizeof(*t));
	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == 'C' && line[1] == ' ') {
			struct tr_case *g = realloc(t->c, (t->n + 1) * sizeof(*g));
			if (!g)
				exit(99);
			t->c = g;
			memset(&t->c[t->n], 0, sizeof(t->c[t->n]));
			t->c[t->n++].name = strdup(line + 2);
		} else if (t->n && line[0] == 'R') {
			push(&t->c[t->n - 1].rec, &t->c[t->n - 1].nrec, line + 2);
		} else if (t->n && line[0] == 'V') {
			push(&t->c[t->n - 1].viol, &t->c[t->n - 1].nviol, line + 2);
		} else if (t->n && line[0] == 'E') {
			t->c[t->n - 1].ended = true;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

static void tr_free(struct transcript *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->c[i].nrec; k++)
			free(t->c[i].rec[k]);
		for (size_t k = 0; k < t->c[i].nviol; k++)
			free(t->c[i].viol[k]);
		free(t->c[i].rec);
		free(t->c[i].viol);
		free(t->c[i].name);
	}
	free(t->c);
	memset(t, 0, sizeof(*t));
}

int cf_tr_last_case(const char *path, char *name, size_t cap)
{
	struct transcript t;
	int rc = -1;
	if (tr_load(path, &t) == 0 && t.n > 0) {
		snprintf(name, cap, "%s", t.c[t.n - 1].name);
		rc = 0;
	}
	tr_free(&t);
	return rc;
}

void cf_crash_note(struct cf_crashes *cr, enum cf_target t, const char *name, int sig, int status)
{
	if (cr->n >= CF_MAX_CRASHES)
		return;
	cr->c[cr->n].target = t;
	snprintf(cr->c[cr->n].name, sizeof(cr->c[cr->n].name), "%s", name);
	cr->c[cr->n].sig = sig;
	cr->c[cr->n].status = status;
	cr->n++;
}

static size_t load_allow(struct allow **out)
{
	char path[700], line[512];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/tests/conformance/expected-differences.txt", ukt_srcdir());
	FILE *f = fopen(path, "r");
	*out = NULL;
	if (!f) {
		printf("# cannot read %s\n", path);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		struct allow a = { 0 };
		if (line[0] == '#' || sscanf(line, "%7s %7s %127s %63s", a.kind, a.backend, a.glob, a.reason) != 4)
			continue;
		struct allow *g = realloc(*out, (n + 1) * sizeof(*g));
		if (!g)
			exit(99);
		*out = g;
		g[n++] = a;
	}
	fclose(f);
	return n;
}

static struct allow *allowed(struct allow *al, size_t n, const char *kind, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(al[i].kind, kind) == 0 &&
		    (strcmp(al[i].backend, "any") == 0 || strcmp(al[i].backend, ukt_backend()) == 0) &&
		    fnmatch(al[i].glob, key, 0) == 0) {
			al[i].used = true;
			return &al[i];
		}
	return NULL;
}

static const struct tr_case *by_name(const struct transcript *t, const char *name, size_t hint)
{
	if (hint < t->n && strcmp(t->c[hint].name, name) == 0)
		return &t->c[hint];
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->c[i].name, name) == 0)
			return &t->c[i];
	return NULL;
}

/* "FUNCTION RV ..." of a record, into fn and rv. */
static void rec_fields(const char *r, char *fn, char *rv)
{
	fn[0] = rv[0] = '\0';
	if (r)
		sscanf(r, "%63s %63s", fn, rv);
}

static void diff_key(const struct tr_case *m, const char *rd, const char *rm, char *key, size_t cap)
{
	char fd[64], vd[64], fm[64], vm[64];
	if (strncmp(m->name, "random/", 7) != 0) {
		snprintf(key, cap, "%s", m->name);
		return;
	}
	rec_fields(rd, fd, vd);
	rec_fields(rm, fm, vm);
	snprintf(key, cap, "random/%s/%s/%s", fm[0] ? fm : fd, vd[0] ? vd : "none", vm[0] ? vm : "none");
}

struct tally {
	unsigned long compared, cases, differing, documented, undocumented, rules, rules_documented;
};

/* A random sequence goes on past a documented difference where both
 * targets refused the call (their states did not part). */
static bool both_refused(const char *rd, const char *rm)
{
	char fd[64], vd[64], fm[64], vm[64];
	rec_fields(rd, fd, vd);
	rec_fields(rm, fm, vm);
	return strcmp(fd, fm) == 0 && strcmp(vd, "CKR_OK") != 0 && strcmp(vm, "CKR_OK") != 0;
}

static int compare(const struct transcript *d, const struct transcript *m, struct allow *al, size_t nal,
		   struct tally *t)
{
	int bad = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct tr_case *mc = &m->c[i], *dc = by_name(d, mc->name, i);
		size_t nd = dc ? dc->nrec : 0, k = 0, common = nd < mc->nrec ? nd : mc->nrec;
		bool random = strncmp(mc->name, "random/", 7) == 0;
		unsigned counted = 0;
		char key[300];
		t->cases++;
		t->compared += common;
		for (;;) {
			while (k < common && strcmp(dc->rec[k], mc->rec[k]) == 0)
				k++;
			if (k == common && nd == mc->nrec)
				break;
			if (!counted++)
				t->differing++;
			const char *rd = k < nd ? dc->rec[k] : NULL, *rm = k < mc->nrec ? mc->rec[k] : NULL;
			diff_key(mc, rd, rm, key, sizeof(key));
			if (allowed(al, nal, "diff", key)) {
				t->documented++;
				if (random && k < common && both_refused(rd, rm)) {
					k++;
					continue;
				}
				break;
			}
			t->undocumented++;
			bad++;
			printf("# undocumented difference: %s (call %zu)\n#   softhsm: %.300s\n#   module:  %.300s\n", key,
			       k + 1, rd ? rd : "(no call)", rm ? rm : "(no call)");
			break;
		}
	}
	return bad;
}

static int rules(const struct transcript *m, struct allow *al, size_t nal, struct tally *t)
{
	int bad = 0;
	for (size_t i = 0; i < m->n; i++)
		for (size_t k = 0; k < m->c[i].nviol; k++) {
			t->rules++;
			if (allowed(al, nal, "rule", m->c[i].name)) {
				t->rules_documented++;
				continue;
			}
			bad++;
			printf("# rule broken in %s: %.300s\n", m->c[i].name, m->c[i].viol[k]);
		}
	return bad;
}

/* Every reason must be explained in docs/conformance.md (as `reason`). */
static int reasons_documented(const struct allow *al, size_t nal)
{
	char path[700], *doc = NULL;
	size_t cap = 0;
	int bad = 0;
	snprintf(path, sizeof(path), "%s/docs/conformance.md", ukt_srcdir());
	FILE *f = fopen(path, "r");
	if (!f || getdelim(&doc, &cap, '\0', f) < 0) {
		printf("# cannot read %s\n", path);
		if (f)
			fclose(f);
		free(doc);
		return 1;
	}
	fclose(f);
	for (size_t i = 0; i < nal; i++) {
		char needle[80];
		snprintf(needle, sizeof(needle), "`%s`", al[i].reason);
		if (!strstr(doc, needle)) {
			printf("# %s %s %s: reason %s is not explained in docs/conformance.md\n", al[i].kind,
			       al[i].backend, al[i].glob, al[i].reason);
			bad++;
		}
	}
	free(doc);
	return bad;
}

/* Documented differences of scripted cases that ran and no longer show. */
static int vanished(const struct allow *al, size_t nal, const struct transcript *m, const struct cf_opts *o)
{
	int n = 0;
	for (size_t i = 0; i < nal; i++) {
		bool ran = false;
		if (al[i].used || strncmp(al[i].glob, "random/", 7) == 0 ||
		    (strcmp(al[i].backend, "any") != 0 && strcmp(al[i].backend, ukt_backend()) != 0) ||
		    (strcmp(al[i].kind, "diff") == 0 && ukt_is_skf()))
			continue;
		for (size_t k = 0; k < m->n && !ran; k++)
			ran = fnmatch(al[i].glob, m->c[k].name, 0) == 0;
		if (!ran)
			continue;
		printf("# documented %s no longer seen: %s %s (%s)%s\n", al[i].kind, al[i].backend, al[i].glob,
		       al[i].reason, o->strict ? "" : ": remove it from expected-differences.txt");
		n++;
	}
	return n;
}

int cf_report(const struct cf_opts *o, const char *direct, const char *module, const struct cf_crashes *cr)
{
	struct transcript d = { 0 }, m;
	struct allow *al;
	size_t nal = load_allow(&al);
	struct tally t = { 0 };
	int fails = 0, bad;
	if (tr_load(module, &m) != 0 || (direct && tr_load(direct, &d) != 0)) {
		printf("1..1\nnot ok 1 - transcripts readable\n");
		tr_free(&m);
		free(al);
		return 1;
	}
	printf("1..5\n");
	for (int i = 0; i < cr->n; i++)
		printf("# %s crashed in %s (signal %d, exit %d)\n", cr->c[i].target == CF_MODULE ? "module" : "softhsm",
		       cr->c[i].name, cr->c[i].sig, cr->c[i].status);
	bool module_crashed = false;
	for (int i = 0; i < cr->n; i++)
		module_crashed |= cr->c[i].target == CF_MODULE;
	printf("%s 1 - the module ran every case without crashing\n", module_crashed ? "not ok" : "ok");
	fails += module_crashed;
	if (direct) {
		bad = compare(&d, &m, al, nal, &t);
		printf("%s 2 - every difference from SoftHSM is documented (%lu undocumented)\n", bad ? "not ok" : "ok",
		       t.undocumented);
		fails += bad != 0;
	} else {
		for (size_t i = 0; i < m.n; i++)
			t.cases++, t.compared += m.c[i].nrec;
		printf("ok 2 # SKIP no SoftHSM twin on %s: checked against the standard's rules alone\n", ukt_backend());
	}
	bad = rules(&m, al, nal, &t);
	printf("%s 3 - the module's answers follow the standard's rules (%d undocumented breaks)\n",
	       bad ? "not ok" : "ok", bad);
	fails += bad != 0;
	bad = reasons_documented(al, nal);
	printf("%s 4 - every expected difference has its reason in docs/conformance.md\n", bad ? "not ok" : "ok");
	fails += bad != 0;
	bad = vanished(al, nal, &m, o);
	printf("%s 5 - every documented difference still shows (%d stale, listed above; --strict fails on them)\n",
	       bad && o->strict ? "not ok" : "ok", bad);
	fails += bad && o->strict;
	printf("# %s: %lu cases (%lu differ), %lu calls %s, %lu differences (%lu documented, %lu undocumented), "
	       "%lu rule breaks (%lu documented)\n",
	       ukt_backend(), t.cases, t.differing, t.compared, direct ? "compared" : "checked",
	       t.documented + t.undocumented, t.documented, t.undocumented, t.rules, t.rules_documented);
	tr_free(&d);
	tr_free(&m);
	free(al);
	return fails;
}
