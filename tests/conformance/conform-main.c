/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The harness's parent: makes the tokens, reads the backend's mechanism
 * list, runs each target in its own child process over its own copy of the
 * tokens, restarts a target after the case it crashed in, then compares
 * (conform-diff.c). Usage: tests/conformance/README.md. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conform.h"
#include "conform-diff.h"

#define MAX_MECHS 256
#define MAX_RESTARTS 64

enum item_kind { ITEM_SCRIPTED, ITEM_MECH, ITEM_RANDOM };

struct item {
	char name[96];
	enum item_kind kind;
	const struct cf_case *sc;
	CK_MECHANISM_TYPE mech;
	CK_MECHANISM_INFO info;
	uint64_t seed;
};

static struct item *items;
static size_t nitems;
static struct ukt_token tok_a, tok_b;
static struct cf_opts opts = { .runs = 20, .steps = 30 };
static char work[512];

static void add_item(const struct item *it)
{
	struct item *grown = realloc(items, (nitems + 1) * sizeof(*items));
	if (!grown) {
		perror("realloc");
		exit(99);
	}
	items = grown;
	items[nitems++] = *it;
}

static bool wanted(const char *name)
{
	return !opts.only || strncmp(name, opts.only, strlen(opts.only)) == 0;
}

static void add_scripted(const struct cf_case *table)
{
	for (const struct cf_case *k = table; k->name; k++) {
		struct item it = { .kind = ITEM_SCRIPTED, .sc = k };
		snprintf(it.name, sizeof(it.name), "%s", k->name);
		if (wanted(it.name))
			add_item(&it);
	}
}

/* ---- in a target's child process ---- */

static CK_SLOT_ID slot_of(CK_FUNCTION_LIST *f, const char *serial)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 16;
	if (f->C_GetSlotList(CK_TRUE, ids, &n) != CKR_OK)
		return (CK_SLOT_ID)-1;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		char s[17];
		size_t len = strlen(serial);
		if (f->C_GetTokenInfo(ids[i], &ti) != CKR_OK)
			continue;
		memcpy(s, ti.serialNumber, 16);
		s[16] = '\0';
		if (strncmp(s, serial, len) == 0 && (len == 16 || s[len] == ' '))
			return ids[i];
	}
	return (CK_SLOT_ID)-1;
}

static CK_FUNCTION_LIST *load(enum cf_target t)
{
	CK_FUNCTION_LIST *f = NULL;
	void *dl;
	if (t == CF_MODULE)
		return ukt_module_load(&dl);
	dl = dlopen(ukt_softhsm_path(), RTLD_NOW | RTLD_LOCAL);
	CK_C_GetFunctionList get = dl ? (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList") : NULL;
	if (!get || get(&f) != CKR_OK)
		return NULL;
	return f;
}

static int init_target(struct cf_ctx *c)
{
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_RV rv = c->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return -1;
	c->slot_a = slot_of(c->f, tok_a.serial);
	c->slot_b = slot_of(c->f, tok_b.serial);
	return c->slot_a == (CK_SLOT_ID)-1 || c->slot_b == (CK_SLOT_ID)-1 ? -1 : 0;
}

static int target_main(enum cf_target t, const char *dir, const char *trpath, size_t start)
{
	struct cf_ctx c = { .target = t, .skf = ukt_is_skf(), .tok_a = &tok_a, .tok_b = &tok_b };
	char conf[600];
	if (!c.skf) {
		snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
		setenv("SOFTHSM2_CONF", conf, 1);
	}
	c.out = fopen(trpath, "a");
	c.f = load(t);
	if (!c.out || !c.f || init_target(&c) != 0) {
		fprintf(stderr, "target %s: cannot load, initialise or find the tokens\n",
			t == CF_MODULE ? "module" : "direct");
		return 2;
	}
	for (size_t i = start; i < nitems; i++) {
		const struct item *it = &items[i];
		cf_case_begin(&c, it->name);
		if (it->kind == ITEM_SCRIPTED)
			it->sc->run(&c);
		else if (it->kind == ITEM_MECH)
			cf_mech_case(&c, it->mech, &it->info);
		else
			cf_random_case(&c, it->seed, opts.steps);
		/* A case may finalise the library: start the next one afresh. */
		if (init_target(&c) != 0) {
			cf_violation(&c, "the library cannot be initialised again after this case");
			cf_case_end(&c);
			return 3;
		}
		cf_reset(&c);
		cf_case_end(&c);
	}
	c.f->C_Finalize(NULL);
	fclose(c.out);
	return 0;
}

/* ---- in the parent ---- */

/* Runs one target to the end, restarting after each case it crashed in. */
static int run_target(enum cf_target t, const char *dir, const char *trpath, struct cf_crashes *crashes)
{
	size_t start = 0;
	unlink(trpath);
	for (int round = 0; round < MAX_RESTARTS && start < nitems; round++) {
		int st = 0;
		fflush(stdout);
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0)
			_exit(target_main(t, dir, trpath, start));
		if (waitpid(pid, &st, 0) != pid)
			return -1;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			return 0;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 2)
			return -1;
		/* Crashed (or could not go on): note the case, skip past it. */
		char last[96] = "";
		if (cf_tr_last_case(trpath, last, sizeof(last)) != 0)
			return -1;
		size_t k = 0;
		while (k < nitems && strcmp(items[k].name, last) != 0)
			k++;
		cf_crash_note(crashes, t, last, WIFSIGNALED(st) ? WTERMSIG(st) : 0,
			      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		start = k + 1;
	}
	return 0;
}

/* The backend's mechanisms and their info on token A, read in a child so
 * the parent never loads a PKCS#11 library. skf: the module's list. */
static int read_mechanisms(void)
{
	CK_MECHANISM_TYPE m[MAX_MECHS];
	CK_MECHANISM_INFO info[MAX_MECHS];
	CK_ULONG n = MAX_MECHS;
	int fds[2], st = 0;
	if (pipe(fds) != 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct cf_ctx c = { .tok_a = &tok_a, .tok_b = &tok_b };
		close(fds[0]);
		if (!ukt_is_skf())
			setenv("SOFTHSM2_CONF", tok_a.softhsm_conf, 1);
		c.f = load(ukt_is_skf() ? CF_MODULE : CF_DIRECT);
		if (!c.f || init_target(&c) != 0 || c.f->C_GetMechanismList(c.slot_a, m, &n) != CKR_OK)
			_exit(1);
		for (CK_ULONG i = 0; i < n; i++)
			if (c.f->C_GetMechanismInfo(c.slot_a, m[i], &info[i]) != CKR_OK)
				memset(&info[i], 0, sizeof(info[i]));
		if (write(fds[1], &n, sizeof(n)) != sizeof(n) || write(fds[1], m, n * sizeof(*m)) < 0 ||
		    write(fds[1], info, n * sizeof(*info)) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	bool ok = read(fds[0], &n, sizeof(n)) == sizeof(n) && n <= MAX_MECHS &&
		  read(fds[0], m, n * sizeof(*m)) == (ssize_t)(n * sizeof(*m)) &&
		  read(fds[0], info, n * sizeof(*info)) == (ssize_t)(n * sizeof(*info));
	close(fds[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || !ok)
		return -1;
	for (CK_ULONG i = 0; i < n; i++) {
		struct item it = { .kind = ITEM_MECH, .mech = m[i], .info = info[i] };
		char buf[32];
		snprintf(it.name, sizeof(it.name), "mech/%s", cf_mech_name(m[i], buf, sizeof(buf)));
		if (wanted(it.name))
			add_item(&it);
	}
	return 0;
}

/* Each target's copy of the SoftHSM token directory, identical bytes. */
static int copy_tokens(const char *target)
{
	return ukt_system("set -e; d='%s/%s'; mkdir -p \"$d\"; cp -a '%s/tokens' \"$d/tokens\"; "
			  "sed \"s#^directories.tokendir *=.*#directories.tokendir = $d/tokens#\" '%s' "
			  ">\"$d/softhsm2.conf\"",
			  work, target, tok_a.dir, tok_a.softhsm_conf);
}

static int setup(void)
{
	bool skf = ukt_is_skf();
	const char *tmp = getenv("TMPDIR");
	snprintf(work, sizeof(work), "%s/ukt-conform-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(work))
		return -1;
	if (ukt_vkey_create(skf ? "sm2" : "rsa", &tok_a) != 0 || ukt_vkey_add(&tok_a, skf ? "rsa" : "ec", &tok_b) != 0)
		return -1;
	/* The module's generation files go to a directory of this run. */
	char xdg[600];
	snprintf(xdg, sizeof(xdg), "%s/xdg", work);
	if (mkdir(xdg, 0700) != 0 || setenv("XDG_RUNTIME_DIR", xdg, 1) != 0)
		return -1;
	if (ukt_vkey_use(&tok_a) != 0)
		return -1;
	add_scripted(cf_cases_objects);
	add_scripted(cf_cases_templates);
	add_scripted(cf_cases_args);
	add_scripted(cf_cases_login);
	add_scripted(cf_cases_sizes);
	if (read_mechanisms() != 0) {
		fprintf(stderr, "cannot read the backend's mechanism list\n");
		return -1;
	}
	for (unsigned i = 0; i < opts.runs; i++) {
		struct item it = { .kind = ITEM_RANDOM, .seed = opts.seed + i };
		snprintf(it.name, sizeof(it.name), "random/%llu", (unsigned long long)it.seed);
		if (wanted(it.name))
			add_item(&it);
	}
	return skf ? 0 : (copy_tokens("direct") | copy_tokens("module"));
}

static void usage(void)
{
	fprintf(stderr, "usage: conformance [--long] [--seed N] [--runs N] [--steps N] [--only PREFIX]\n"
			"                   [--strict] [--keep]\n");
	exit(99);
}

static void parse_args(int argc, char **argv)
{
	bool seeded = false;
	const char *env = getenv("UKEY_CONFORM_SEED");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--long") == 0) {
			opts.runs = 1000;
			opts.steps = 80;
		} else if (strcmp(a, "--strict") == 0) {
			opts.strict = true;
		} else if (strcmp(a, "--keep") == 0) {
			opts.keep = true;
		} else if (v && strcmp(a, "--seed") == 0) {
			opts.seed = strtoull(v, NULL, 0), seeded = true, i++;
		} else if (v && strcmp(a, "--runs") == 0) {
			opts.runs = (unsigned)strtoul(v, NULL, 0), i++;
		} else if (v && strcmp(a, "--steps") == 0) {
			opts.steps = (unsigned)strtoul(v, NULL, 0), i++;
		} else if (v && strcmp(a, "--only") == 0) {
			opts.only = v, i++;
		} else {
			usage();
		}
	}
	if (!seeded && env && *env)
		opts.seed = strtoull(env, NULL, 0), seeded = true;
	/* make check: a fixed seed, so a run is the same run every time. */
	if (!seeded)
		opts.seed = 20240611;
}

int main(int argc, char **argv)
{
	struct cf_crashes crashes = { 0 };
	char tr_direct[600], tr_module[600], dir[600];
	int fails;
	parse_args(argc, argv);
	printf("# seed %llu, %u random sequences of %u steps (rerun: --seed %llu --runs %u)\n",
	       (unsigned long long)opts.seed, opts.runs, opts.steps, (unsigned long long)opts.seed, opts.runs);
	if (setup() != 0) {
		printf("1..0 # SKIP cannot make the virtual U-KEYs or read the mechanism list (see stderr)\n");
		return 0;
	}
	snprintf(tr_direct, sizeof(tr_direct), "%s/direct.tr", work);
	snprintf(tr_module, sizeof(tr_module), "%s/module.tr", work);
	snprintf(dir, sizeof(dir), "%s/module", work);
	if (run_target(CF_MODULE, dir, tr_module, &crashes) != 0) {
		printf("1..1\nnot ok 1 - the module target runs\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/direct", work);
	if (!ukt_is_skf() && run_target(CF_DIRECT, dir, tr_direct, &crashes) != 0) {
		printf("1..1\nnot ok 1 - the SoftHSM target runs\n");
		return 1;
	}
	fails = cf_report(&opts, ukt_is_skf() ? NULL : tr_direct, tr_module, &crashes);
	if (opts.keep)
		printf("# transcripts kept in %s\n", work);
	else
		ukt_system("rm -rf '%s'", work);
	ukt_vkey_destroy(&tok_b);
	ukt_vkey_destroy(&tok_a);
	return fails ? 1 : 0;
}
