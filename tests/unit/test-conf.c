/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the module's INI configuration loader (module/util/conf.c):
 * what a valid file yields, and that every kind of bad file is refused with
 * one message naming the file and the problem, leaving the config empty. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/conf.h"
#include "util/log.h"

struct fixture {
	char dir[64];
	char path[128];
	char err[512];
	struct ukey_conf conf;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ukey-test-conf.XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/ukey-pkcs11.conf", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	DIR *d = opendir(fx->dir);
	struct dirent *e;
	char p[400];
	ukey_config_free(&fx->conf);
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(p, sizeof(p), "%s/%s", fx->dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	alarm(0);
	free(fx);
	return 0;
}

static void write_file(struct fixture *fx, const char *text)
{
	FILE *f = fopen(fx->path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Loads fx->path; on failure also checks the contract that the message
 * starts with the file's path and the config is left empty. */
static int load(struct fixture *fx)
{
	memset(fx->err, 'x', sizeof(fx->err));
	int rc = ukey_config_load(fx->path, &fx->conf, fx->err, sizeof(fx->err));
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_int_equal(strncmp(fx->err, fx->path, strlen(fx->path)), 0);
		assert_int_equal(fx->conf.nbackends, 0);
		assert_null(fx->conf.path);
		assert_null(fx->conf.log);
	}
	return rc;
}

static void assert_err_has(const struct fixture *fx, const char *needle)
{
	if (!strstr(fx->err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", fx->err, needle);
}

static void valid_file_gives_module_options_and_backends_in_order(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "; a comment\n"
		       "[module]\n"
		       "log = debug\n"
		       "pin_prompt = none\n"
		       "\n"
		       "[backend gdca]\n"
		       "driver = skf\n"
		       "library = /usr/lib/libvendor_skf.so\n"
		       "application = GDCA_APP   ; inline comment\n"
		       "[backend softhsm]\n"
		       "driver = p11\n"
		       "library = /usr/lib/softhsm/libsofthsm2.so\n");
	assert_int_equal(load(fx), 0);
	assert_string_equal(fx->err, "");
	assert_string_equal(fx->conf.path, fx->path);
	assert_string_equal(fx->conf.log, "debug");
	assert_string_equal(fx->conf.pin_prompt, "none");
	assert_int_equal(fx->conf.nbackends, 2);
	assert_string_equal(fx->conf.backends[0].name, "gdca");
	assert_string_equal(fx->conf.backends[0].driver, "skf");
	assert_string_equal(fx->conf.backends[0].library, "/usr/lib/libvendor_skf.so");
	assert_string_equal(fx->conf.backends[0].application, "GDCA_APP");
	assert_string_equal(fx->conf.backends[1].name, "softhsm");
	assert_string_equal(fx->conf.backends[1].driver, "p11");
	assert_string_equal(fx->conf.backends[1].library, "/usr/lib/softhsm/libsofthsm2.so");
	assert_null(fx->conf.backends[1].application);
}

static void module_section_is_optional(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[backend only]\ndriver = p11\nlibrary = /x.so\n");
	assert_int_equal(load(fx), 0);
	assert_null(fx->conf.log);
	assert_null(fx->conf.pin_prompt);
	assert_int_equal(fx->conf.nbackends, 1);
}

static void missing_file_is_an_error_naming_it(void **state)
{
	struct fixture *fx = *state;
	/* fx->path was never written. */
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "No such file");
}

static void syntax_error_names_the_line(void **state)
{
	struct fixture *fx = *state;
	char want[160];
	write_file(fx, "[backend a]\n"
		       "driver = p11\n"
		       "this line has no equals sign\n"
		       "library = /x.so\n");
	assert_int_equal(load(fx), -1);
	snprintf(want, sizeof(want), "%s:3:", fx->path);
	assert_err_has(fx, want);
	assert_err_has(fx, "syntax error");
}

/* inih keeps parsing after the bad header and hands the keys over with an
 * empty section name, so the message may name either problem. */
static void unterminated_section_header_is_refused(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[backend a\ndriver = p11\nlibrary = /x.so\n");
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "outside any [section]");
}

static void deepbind_is_off_unless_asked_and_must_be_yes_or_no(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[backend a]\ndriver = p11\nlibrary = /a.so\n"
		       "[backend b]\ndriver = skf\nlibrary = /b.so\ndeepbind = yes\n");
	assert_int_equal(load(fx), 0);
	assert_false(fx->conf.backends[0].deepbind);
	assert_true(fx->conf.backends[1].deepbind);
	ukey_config_free(&fx->conf);
	write_file(fx, "[backend a]\ndriver = p11\nlibrary = /a.so\ndeepbind = maybe\n");
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "deepbind must be yes or no");
}

/* The names belong to the skf driver (drivers/skf/quirks.c, which parses
 * them: test-skf-quirks); the file keeps the value as written, one list
 * however many lines it takes, and the section knows its file for the
 * driver's messages. */
static void quirks_are_kept_as_one_list_for_the_driver(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[backend a]\ndriver = skf\nlibrary = /a.so\n"
		       "quirks = ulong32, sm2-id-0x20100   # the vendor's header says so\n"
		       "  no-ecc-decrypt\n"
		       "quirks = !no-enum-files\n"
		       "[backend b]\ndriver = skf\nlibrary = /b.so\n");
	assert_int_equal(load(fx), 0);
	assert_string_equal(fx->conf.backends[0].quirks, "ulong32, sm2-id-0x20100, no-ecc-decrypt, !no-enum-files");
	assert_null(fx->conf.backends[1].quirks);
	assert_ptr_equal(fx->conf.backends[0].file, fx->conf.path);
	assert_ptr_equal(fx->conf.backends[1].file, fx->conf.path);
}

static void hash_comment_after_a_value_is_stripped(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[backend a]\n"
		       "driver = p11   # the PKCS#11 driver\n"
		       "library = /usr/lib/x#y.so\t# a path with a hash inside stays whole\n");
	assert_int_equal(load(fx), 0);
	assert_string_equal(fx->conf.backends[0].driver, "p11");
	assert_string_equal(fx->conf.backends[0].library, "/usr/lib/x#y.so");
}

static void backend_without_driver_is_refused(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[backend good]\ndriver = p11\nlibrary = /a.so\n"
		       "[backend nodrv]\nlibrary = /b.so\n");
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "nodrv");
	assert_err_has(fx, "'driver'");
}

static void backend_without_library_is_refused(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[backend nolib]\ndriver = skf\napplication = X\n");
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "nolib");
	assert_err_has(fx, "'library'");
}

static void file_without_backends_is_refused(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[module]\nlog = warn\n");
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "no [backend");
}

static void unknown_section_is_refused(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[backend a]\ndriver = p11\nlibrary = /a.so\n"
		       "[backends]\nfoo = bar\n");
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "unknown section [backends]");
}

static void backend_section_needs_a_name(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[backend ]\ndriver = p11\nlibrary = /a.so\n");
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "unknown section");
}

/* Reads what the loader wrote to stderr while loading fx->path. */
static int load_capturing_stderr(struct fixture *fx, char *out, size_t outlen)
{
	char logpath[160];
	snprintf(logpath, sizeof(logpath), "%s/stderr.txt", fx->dir);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	int rc = load(fx);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	FILE *f = fopen(logpath, "r");
	assert_non_null(f);
	size_t n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(logpath);
	return rc;
}

static void unknown_key_is_only_a_warning(void **state)
{
	struct fixture *fx = *state;
	char logged[4096];
	setenv("UKEY_LOG", "warn", 1);
	ukey_log_init();
	write_file(fx, "[module]\ncolour = blue\n"
		       "[backend a]\ndriver = p11\nlibrary = /a.so\nspeed = fast\n");
	assert_int_equal(load_capturing_stderr(fx, logged, sizeof(logged)), 0);
	assert_int_equal(fx->conf.nbackends, 1);
	assert_string_equal(fx->conf.backends[0].library, "/a.so");
	if (!strstr(logged, "unknown key 'colour'") || !strstr(logged, "unknown key 'speed'"))
		fail_msg("expected two unknown-key warnings, stderr was: %s", logged);
	assert_non_null(strstr(logged, fx->path));
}

static void more_than_max_backends_is_refused(void **state)
{
	struct fixture *fx = *state;
	char text[2048] = "";
	size_t used = 0;
	for (int i = 0; i <= UKEY_MAX_BACKENDS; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "[backend b%d]\ndriver = p11\nlibrary = /lib%d.so\n", i, i);
	assert_true(used < sizeof(text));
	write_file(fx, text);
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "too many backends");
}

static void exactly_max_backends_is_accepted(void **state)
{
	struct fixture *fx = *state;
	char text[2048] = "";
	size_t used = 0;
	for (int i = 0; i < UKEY_MAX_BACKENDS; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "[backend b%d]\ndriver = p11\nlibrary = /lib%d.so\n", i, i);
	write_file(fx, text);
	assert_int_equal(load(fx), 0);
	assert_int_equal(fx->conf.nbackends, UKEY_MAX_BACKENDS);
	assert_string_equal(fx->conf.backends[UKEY_MAX_BACKENDS - 1].library, "/lib7.so");
}

static void repeated_section_extends_the_same_backend(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, "[backend a]\ndriver = p11\n"
		       "[backend b]\ndriver = skf\nlibrary = /b.so\n"
		       "[backend a]\nlibrary = /a.so\n");
	assert_int_equal(load(fx), 0);
	assert_int_equal(fx->conf.nbackends, 2);
	assert_string_equal(fx->conf.backends[0].name, "a");
	assert_string_equal(fx->conf.backends[0].library, "/a.so");
}

static void default_path_comes_from_the_environment(void **state)
{
	(void)state;
	setenv("UKEY_PKCS11_CONF", "/somewhere/else.conf", 1);
	assert_string_equal(ukey_config_default_path(), "/somewhere/else.conf");
	unsetenv("UKEY_PKCS11_CONF");
	const char *p = ukey_config_default_path();
	const char *tail = "/ukey/ukey-pkcs11.conf";
	assert_true(strlen(p) > strlen(tail));
	assert_string_equal(p + strlen(p) - strlen(tail), tail);
}


/* ---- the file as an attack surface (conf-check.c) ---- */

/* Loads `path` instead of fx->path, under a 10 s alarm: a read that waits
 * for ever (a FIFO, /dev/zero) kills the test instead of hanging the run. */
static int load_path(struct fixture *fx, const char *path)
{
	alarm(10);
	int rc = ukey_config_load(path, &fx->conf, fx->err, sizeof(fx->err));
	alarm(0);
	if (rc != 0) {
		assert_int_equal(strncmp(fx->err, path, strlen(path)), 0);
		assert_int_equal(fx->conf.nbackends, 0);
	}
	return rc;
}

static const char good[] = "[backend a]\ndriver = p11\nlibrary = /a.so\n";

static void fifo_is_refused_without_waiting_for_a_writer(void **state)
{
	struct fixture *fx = *state;
	char fifo[160];
	snprintf(fifo, sizeof(fifo), "%s/fifo.conf", fx->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(load_path(fx, fifo), -1);
	assert_err_has(fx, "a FIFO");
}

static void dev_zero_is_refused_without_reading_it(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(load_path(fx, "/dev/zero"), -1);
	assert_err_has(fx, "a character device");
}

static void directory_is_refused(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(load_path(fx, fx->dir), -1);
	assert_err_has(fx, "a directory");
}

static void file_writable_by_others_is_refused_saying_why(void **state)
{
	struct fixture *fx = *state;
	write_file(fx, good);
	assert_int_equal(chmod(fx->path, 0666), 0);
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "writable by others (mode 0666)");
	/* Group-writable stays accepted: Debian's user groups are private. */
	assert_int_equal(chmod(fx->path, 0664), 0);
	assert_int_equal(load(fx), 0);
}

static void oversized_file_is_refused(void **state)
{
	struct fixture *fx = *state;
	size_t n = UKEY_CONF_MAX_BYTES + 10;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, ';', n);
	memcpy(big, good, strlen(good));
	big[strlen(good)] = '\n';
	big[n] = '\0';
	write_file(fx, big);
	free(big);
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "larger than 65536 bytes");
}

static void nul_byte_is_refused(void **state)
{
	struct fixture *fx = *state;
	FILE *f = fopen(fx->path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite("[module]\n\0log = x\n", 1, 18, f), 18);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(load(fx), -1);
	assert_err_has(fx, "NUL byte");
}

/* Writes a stand-in library file (the check never loads it). */
static void make_lib(struct fixture *fx, const char *name, mode_t mode, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", fx->dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Loads a config with the given [backend] libraries, in order. */
static void load_libs(struct fixture *fx, int n, const char *const *libs)
{
	char text[2048] = "";
	size_t used = 0;
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "[backend b%d]\ndriver = p11\nlibrary = %s\n",
					 i, libs[i]);
	write_file(fx, text);
	assert_int_equal(load(fx), 0);
}

static int check_backend(struct fixture *fx, size_t i)
{
	memset(fx->err, 'x', sizeof(fx->err));
	int rc = ukey_config_check_backend(&fx->conf, i, fx->err, sizeof(fx->err));
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_int_equal(strncmp(fx->err, fx->path, strlen(fx->path)), 0);
	}
	return rc;
}

static void relative_library_is_refused(void **state)
{
	struct fixture *fx = *state;
	const char *libs[] = { "./evil.so", "lib/evil.so" };
	load_libs(fx, 2, libs);
	assert_int_equal(check_backend(fx, 0), -1);
	assert_err_has(fx, "[backend b0]: library './evil.so' is not an absolute path");
	assert_int_equal(check_backend(fx, 1), -1);
	assert_err_has(fx, "'lib/evil.so' is not an absolute path");
}

static void library_writable_by_others_is_refused(void **state)
{
	struct fixture *fx = *state;
	char ok[160], bad[160];
	make_lib(fx, "ok.so", 0755, ok, sizeof(ok));
	make_lib(fx, "bad.so", 0777, bad, sizeof(bad));
	const char *libs[] = { ok, bad };
	load_libs(fx, 2, libs);
	assert_int_equal(check_backend(fx, 0), 0);
	assert_int_equal(check_backend(fx, 1), -1);
	assert_err_has(fx, "not trusted: writable by others (mode 0777)");
	assert_err_has(fx, bad);
}

static void missing_library_names_the_path(void **state)
{
	struct fixture *fx = *state;
	const char *libs[] = { "/no/such/lib.so" };
	load_libs(fx, 1, libs);
	assert_int_equal(check_backend(fx, 0), -1);
	assert_err_has(fx, "/no/such/lib.so: No such file");
}

/* The same file under three names: the first section keeps it, the others
 * are refused with the section they repeat. */
static void same_library_twice_is_refused_by_identity(void **state)
{
	struct fixture *fx = *state;
	char lib[160], sym[160], hard[160], other[160];
	make_lib(fx, "lib.so", 0755, lib, sizeof(lib));
	make_lib(fx, "other.so", 0755, other, sizeof(other));
	snprintf(sym, sizeof(sym), "%s/link.so", fx->dir);
	snprintf(hard, sizeof(hard), "%s/hard.so", fx->dir);
	assert_int_equal(symlink(lib, sym), 0);
	assert_int_equal(link(lib, hard), 0);
	const char *libs[] = { lib, other, sym, hard, lib };
	load_libs(fx, 5, libs);
	assert_int_equal(check_backend(fx, 0), 0);
	assert_int_equal(check_backend(fx, 1), 0);
	for (size_t i = 2; i < 5; i++) {
		assert_int_equal(check_backend(fx, i), -1);
		assert_err_has(fx, "is the same file as [backend b0]'s");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(valid_file_gives_module_options_and_backends_in_order),
		T(module_section_is_optional),
		T(missing_file_is_an_error_naming_it),
		T(syntax_error_names_the_line),
		T(unterminated_section_header_is_refused),
		T(hash_comment_after_a_value_is_stripped),
		T(deepbind_is_off_unless_asked_and_must_be_yes_or_no),
		T(quirks_are_kept_as_one_list_for_the_driver),
		T(backend_without_driver_is_refused),
		T(backend_without_library_is_refused),
		T(file_without_backends_is_refused),
		T(unknown_section_is_refused),
		T(backend_section_needs_a_name),
		T(unknown_key_is_only_a_warning),
		T(more_than_max_backends_is_refused),
		T(exactly_max_backends_is_accepted),
		T(repeated_section_extends_the_same_backend),
		T(default_path_comes_from_the_environment),
		T(fifo_is_refused_without_waiting_for_a_writer),
		T(dev_zero_is_refused_without_reading_it),
		T(directory_is_refused),
		T(file_writable_by_others_is_refused_saying_why),
		T(oversized_file_is_refused),
		T(nul_byte_is_refused),
		T(relative_library_is_refused),
		T(library_writable_by_others_is_refused),
		T(missing_library_names_the_path),
		T(same_library_twice_is_refused_by_identity),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
