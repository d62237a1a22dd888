/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* journal.c: the renewal journal, one JSON file per medium number under
 * $XDG_STATE_HOME/ukey/ (default ~/.local/state/ukey/). Every save is
 * atomic and durable (temp file, fsync, rename, fsync of the directory),
 * so after a crash the file holds either the previous or the new state. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "base/failpoint.h"
#include "hex.h"
#include "ukey-base.h"
#include "renew.h"

static int state_dir(char *out, size_t len, int create, struct ukey_err *e)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char base[PATH_MAX];

	if (x != NULL && x[0] == '/')
		snprintf(base, sizeof(base), "%s", x);
	else if (home != NULL && home[0] != '\0')
		snprintf(base, sizeof(base), "%s/.local/state", home);
	else
		return ukey_err_set(e, UKEY_E_ERROR, _("neither XDG_STATE_HOME nor HOME is set: no place for the journal"));
	if ((size_t)snprintf(out, len, "%s/ukey", base) >= len)
		return ukey_err_set(e, UKEY_E_ERROR, _("the journal directory name is too long"));
	if (!create)
		return UKEY_E_OK;
	/* mkdir -p, private: the journal names the medium and the request. */
	for (char *q = out + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			if (mkdir(out, 0700) != 0 && errno != EEXIST) {
				*q = '/';
				goto fail;
			}
			*q = '/';
		}
	if (mkdir(out, 0700) == 0 || errno == EEXIST)
		return UKEY_E_OK;
fail:
	return ukey_err_set(e, UKEY_E_ERROR, _("cannot create the journal directory %s: %s"), out, strerror(errno));
}

/* What every journal written by begin() holds; a journal without one of
 * them was not written by us (or was cut), and resuming from it would
 * guess. */
static int check_members(const struct ukey_journal *jn, struct ukey_err *e)
{
	static const char *const strs[] = { "medium", "state", "request_id", "old_certificate" };
	const char *state = ukey_journal_str(jn, "state");
	json_object *v;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (ukey_journal_str(jn, strs[i])[0] == '\0')
			return ukey_err_set(e, UKEY_E_ERROR, _("the renewal journal %s has no \"%s\"; move it away to "
							       "start over"), jn->path, strs[i]);
	if (!json_object_object_get_ex(jn->j, "step", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0 || json_object_get_int64(v) > UKEY_RENEW_STEPS)
		return ukey_err_set(e, UKEY_E_ERROR, _("the renewal journal %s has no valid \"%s\"; move it away "
						       "to start over"), jn->path, "step");
	/* Step 7 reads it as a list of strings. */
	if (json_object_object_get_ex(jn->j, "old_seals", &v)) {
		size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
		for (size_t i = 0; i < n && v != NULL; i++)
			if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
				v = NULL;
		if (v == NULL || !json_object_is_type(v, json_type_array))
			return ukey_err_set(e, UKEY_E_ERROR, _("the renewal journal %s has no valid \"%s\"; move it away "
							       "to start over"), jn->path, "old_seals");
	}
	if (strcmp(state, "in_progress") != 0 && strcmp(state, "done") != 0)
		return ukey_err_set(e, UKEY_E_ERROR, _("the renewal journal %s has an unknown state \"%s\"; move it "
						       "away to start over"), jn->path, state);
	return UKEY_E_OK;
}

int ukey_journal_open(struct ukey_journal *jn, const char *medium, struct ukey_err *e)
{
	char dir[PATH_MAX - 64];
	int ret;

	memset(jn, 0, sizeof(*jn));
	for (const char *m = medium; *m; m++)
		if (*m == '/' || *m == '.')
			return ukey_err_set(e, UKEY_E_TOKEN, _("the medium number %s cannot name a journal"), medium);
	ret = state_dir(dir, sizeof(dir), 1, e);
	if (ret != UKEY_E_OK)
		return ret;
	snprintf(jn->path, sizeof(jn->path), "%s/renew-%s.json", dir, medium);
	if (access(jn->path, F_OK) != 0)
		return UKEY_E_OK;
	jn->j = json_object_from_file(jn->path);
	if (jn->j == NULL || !json_object_is_type(jn->j, json_type_object)) {
		json_object_put(jn->j);
		jn->j = NULL;
		return ukey_err_set(e, UKEY_E_ERROR, _("the renewal journal %s is unreadable; move it away to start over"),
				    jn->path);
	}
	ret = check_members(jn, e);
	if (ret == UKEY_E_OK && strcmp(ukey_journal_str(jn, "medium"), medium) != 0)
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("the journal %s belongs to medium number %s; re-insert the key with "
						      "medium number %s"), jn->path, ukey_journal_str(jn, "medium"),
				   ukey_journal_str(jn, "medium"));
	return ret;
}

int ukey_journal_other(const char *medium, char *other, size_t len, struct ukey_err *e)
{
	char dir[PATH_MAX - 300], path[PATH_MAX];
	struct dirent *d;
	DIR *dp;
	int ret = state_dir(dir, sizeof(dir), 0, e);

	other[0] = '\0';
	if (ret != UKEY_E_OK || (dp = opendir(dir)) == NULL)
		return ret;
	while ((d = readdir(dp)) != NULL && other[0] == '\0') {
		size_t n = strlen(d->d_name);
		struct ukey_journal jn = { "", NULL };
		if (strncmp(d->d_name, "renew-", 6) != 0 || n < 12 || strcmp(d->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		jn.j = json_object_from_file(path);
		if (jn.j != NULL && strcmp(ukey_journal_str(&jn, "medium"), medium) != 0 &&
		    strcmp(ukey_journal_str(&jn, "state"), "done") != 0)
			snprintf(other, len, "%s", ukey_journal_str(&jn, "medium"));
		json_object_put(jn.j);
	}
	closedir(dp);
	return UKEY_E_OK;
}

int ukey_renew_pending(const char *medium, int *pending, int *step, struct ukey_err *e)
{
	struct ukey_journal jn;
	int ret = ukey_journal_open(&jn, medium, e);

	*pending = ret == UKEY_E_OK && jn.j != NULL && strcmp(ukey_journal_str(&jn, "state"), "done") != 0;
	if (step != NULL)
		*step = *pending ? (int)ukey_journal_int(&jn, "step") : 0;
	ukey_journal_close(&jn);
	return ret;
}

#ifdef UKEY_FAILPOINTS
/* Fault tests: "journal-<step>-before" (the step's work is done on the
 * token and at the service, not yet recorded) and "journal-<step>-after"
 * (recorded, the next step not begun). */
static void failpoint(const struct ukey_journal *jn, const char *when)
{
	char name[64];

	snprintf(name, sizeof(name), "journal-%lld-%s", (long long)ukey_journal_int(jn, "step"), when);
	UKEY_FAILPOINT(name);
}
#else
#define failpoint(jn, when) ((void)0)
#endif

int ukey_journal_save(struct ukey_journal *jn, struct ukey_err *e)
{
	char tmp[PATH_MAX + 8], dir[PATH_MAX], *slash;
	const char *text = json_object_to_json_string_ext(jn->j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text), off = 0;
	int fd, dfd, ok = 0;

	failpoint(jn, "before");
	snprintf(tmp, sizeof(tmp), "%s.tmp", jn->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	ok = off == len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	ok = ok && rename(tmp, jn->path) == 0;
	if (!ok) {
		int err = errno;
		unlink(tmp);
		errno = err;
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s", jn->path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	/* The rename is durable only once the directory is on disk too. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok = dfd >= 0 && fsync(dfd) == 0;
	if (dfd >= 0)
		close(dfd);
out:
	if (!ok)
		return ukey_err_set(e, UKEY_E_ERROR, _("cannot write the renewal journal %s: %s"), jn->path,
				    strerror(errno));
	failpoint(jn, "after");
	return UKEY_E_OK;
}

void ukey_journal_close(struct ukey_journal *jn)
{
	json_object_put(jn->j);
	jn->j = NULL;
}

const char *ukey_journal_str(const struct ukey_journal *jn, const char *key)
{
	json_object *v;

	if (jn->j == NULL || !json_object_object_get_ex(jn->j, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

int64_t ukey_journal_int(const struct ukey_journal *jn, const char *key)
{
	json_object *v;

	if (jn->j == NULL || !json_object_object_get_ex(jn->j, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

void ukey_journal_set_str(struct ukey_journal *jn, const char *key, const char *val)
{
	json_object_object_add(jn->j, key, val ? json_object_new_string(val) : NULL);
}

void ukey_journal_set_int(struct ukey_journal *jn, const char *key, int64_t val)
{
	json_object_object_add(jn->j, key, json_object_new_int64(val));
}

void ukey_journal_note(struct ukey_journal *jn, const char *note)
{
	json_object *a;

	if (!json_object_object_get_ex(jn->j, "notes", &a) || !json_object_is_type(a, json_type_array)) {
		a = json_object_new_array();
		json_object_object_add(jn->j, "notes", a);
	}
	json_object_array_add(a, json_object_new_string(note));
}

/* The members of the renewal answer the journal keeps (at the top level,
 * where step 4 reads them on a resume and steps 5-7 use them). */
static const char *const answer_members[] = { "certificate", "chain", "seals", "encryption", NULL };

json_object *ukey_journal_answer(const struct ukey_journal *jn)
{
	json_object *j, *v;

	if (jn->j == NULL || !json_object_object_get_ex(jn->j, "certificate", &v) || v == NULL)
		return NULL;
	j = json_object_new_object();
	json_object_object_add(j, "request_id", json_object_new_string(ukey_journal_str(jn, "request_id")));
	for (const char *const *m = answer_members; *m != NULL; m++)
		if (json_object_object_get_ex(jn->j, *m, &v))
			json_object_object_add(j, *m, json_object_get(v));
	return j;
}

void ukey_journal_set_answer(struct ukey_journal *jn, json_object *answer)
{
	json_object *v;

	for (const char *const *m = answer_members; *m != NULL; m++)
		if (answer == NULL)
			json_object_object_del(jn->j, *m);
		else
			json_object_object_add(jn->j, *m,
					       json_object_object_get_ex(answer, *m, &v) ? json_object_get(v) : NULL);
}

int ukey_journal_uuid(char out[37])
{
	static const size_t group[5] = { 4, 2, 2, 2, 6 };
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	/* 8-4-4-4-12 digits */
	for (size_t k = 0, i = 0; k < 5; i += group[k++]) {
		ukc_hex_encode(r + i, group[k], out, false);
		out += 2 * group[k];
		*out++ = k < 4 ? '-' : '\0';
	}
	return 0;
}

