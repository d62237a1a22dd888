/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* seen.c: the expiry dates the reminder remembers. A U-KEY is plugged in
 * to sign and taken out again, so the daily check would mostly find none;
 * what it read the last time the key was in ($XDG_STATE_HOME/ukey/
 * reminder.json) keeps the reminder going. Only the reminder starts
 * remembering a key; status --when-due and a renewal keep the date true. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "reminder.h"

#define SEEN_MAX 64

int ukey_seen_path(char *out, size_t len, struct ukey_err *e)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (x != NULL && x[0] == '/')
		n = snprintf(out, len, "%s/ukey/reminder.json", x);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(out, len, "%s/.local/state/ukey/reminder.json", home);
	else
		return ukey_err_set(e, UKEY_E_ERROR, _("neither XDG_STATE_HOME nor HOME is set: no place for the "
						       "reminder's state"));
	if (n < 0 || (size_t)n >= len)
		return ukey_err_set(e, UKEY_E_ERROR, _("the reminder's state file name is too long"));
	return UKEY_E_OK;
}

static void copy_str(json_object *o, const char *key, char *dst, size_t len)
{
	json_object *v;

	dst[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		snprintf(dst, len, "%s", json_object_get_string(v));
}

static time_t get_time(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
		       ? (time_t)json_object_get_int64(v) : 0;
}

int ukey_seen_load(struct ukey_seen **out, size_t *n, struct ukey_err *e)
{
	char path[4096];
	json_object *j, *arr;
	size_t len, i;
	int ret = ukey_seen_path(path, sizeof(path), e);

	*out = NULL;
	*n = 0;
	if (ret != UKEY_E_OK)
		return ret;
	if (access(path, F_OK) != 0)
		return UKEY_E_OK;
	j = json_object_from_file(path);
	if (j == NULL || !json_object_object_get_ex(j, "tokens", &arr) || !json_object_is_type(arr, json_type_array)) {
		json_object_put(j);
		return ukey_err_set(e, UKEY_E_ERROR, _("the reminder's state %s is not readable; remove it, or run "
						       "'ukey reminder enable' again"), path);
	}
	len = json_object_array_length(arr);
	*out = calloc(len > 0 ? len : 1, sizeof(**out));
	if (*out == NULL) {
		json_object_put(j);
		return ukey_err_set(e, UKEY_E_ERROR, "%s", strerror(ENOMEM));
	}
	for (i = 0; i < len && *n < SEEN_MAX; i++) {
		json_object *t = json_object_array_get_idx(arr, i);
		struct ukey_seen *s = &(*out)[*n];
		copy_str(t, "medium", s->medium, sizeof(s->medium));
		copy_str(t, "label", s->label, sizeof(s->label));
		copy_str(t, "certificate_serial", s->serial_hex, sizeof(s->serial_hex));
		s->not_after = get_time(t, "not_after");
		s->seen = get_time(t, "seen");
		if (s->medium[0] != '\0' && s->not_after != 0)
			(*n)++;
	}
	json_object_put(j);
	return UKEY_E_OK;
}

static json_object *seen_json(const struct ukey_seen *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "medium", json_object_new_string(s->medium));
	json_object_object_add(o, "label", json_object_new_string(s->label));
	json_object_object_add(o, "certificate_serial", json_object_new_string(s->serial_hex));
	json_object_object_add(o, "not_after", json_object_new_int64(s->not_after));
	json_object_object_add(o, "seen", json_object_new_int64(s->seen));
	return o;
}

int ukey_seen_put(const struct ukey_seen *s, int update_only, struct ukey_err *e)
{
	struct ukey_seen *list = NULL;
	size_t n = 0, i;
	char path[4096], *slash;
	json_object *top, *arr;
	int found = 0, ret = ukey_seen_load(&list, &n, e);

	if (ret == UKEY_E_OK)
		ret = ukey_seen_path(path, sizeof(path), e);
	if (ret != UKEY_E_OK)
		goto out;
	for (i = 0; i < n; i++)
		found |= strcmp(list[i].medium, s->medium) == 0;
	if (!found && update_only)
		goto out;
	top = json_object_new_object();
	arr = json_object_new_array();
	json_object_array_add(arr, seen_json(s));
	for (i = 0; i < n && i + 1 < SEEN_MAX; i++)
		if (strcmp(list[i].medium, s->medium) != 0)
			json_object_array_add(arr, seen_json(&list[i]));
	json_object_object_add(top, "tokens", arr);
	slash = strrchr(path, '/');
	*slash = '\0';
	/* Private: it names the media one owns. */
	ret = ukey_mkdirs(path, 0700, e);
	*slash = '/';
	if (ret == UKEY_E_OK) {
		char *text = NULL;
		if (asprintf(&text, "%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY)) < 0)
			ret = ukey_err_set(e, UKEY_E_ERROR, "%s", strerror(ENOMEM));
		else
			ret = ukey_write_atomic(path, text, 0600, e);
		free(text);
	}
	json_object_put(top);
out:
	free(list);
	return ret;
}

int ukey_seen_forget(struct ukey_err *e)
{
	char path[4096];
	int ret = ukey_seen_path(path, sizeof(path), e);

	if (ret == UKEY_E_OK && unlink(path) != 0 && errno != ENOENT)
		ret = ukey_err_set(e, UKEY_E_ERROR, _("cannot remove %s: %s"), path, strerror(errno));
	return ret;
}
