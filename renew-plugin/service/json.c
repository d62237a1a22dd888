/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* json.c: typed member access over json-c with messages naming the member. */

#include <string.h>

#include "ukey-base.h"
#include "json.h"

int ukey_json_parse(const char *text, size_t len, json_object **out, struct ukey_err *e)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = NULL;
	enum json_tokener_error je = json_tokener_error_parse_eof;
	size_t end;

	*out = NULL;
	if (tok != NULL && len <= INT32_MAX) {
		/* Strict: standard JSON only; UTF-8 checked so a bad byte sequence
		 * never reaches the terminal or a log as "text". */
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		o = json_tokener_parse_ex(tok, text, (int)len);
		je = json_tokener_get_error(tok);
		/* Trailing bytes after the value (a NUL included) mean malformed
		 * JSON; text need not be NUL-terminated, so count up to len only. */
		for (end = json_tokener_get_parse_end(tok); end < len && text[end] != '\0' && strchr(" \t\r\n", text[end]);)
			end++;
		if (je == json_tokener_success && end < len)
			je = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (o != NULL && je == json_tokener_success && json_object_is_type(o, json_type_object)) {
		*out = o;
		return UKEY_E_OK;
	}
	json_object_put(o);
	/* continue: the whole buffer was read and the value is not complete. */
	if (je == json_tokener_continue)
		return ukey_err_set(e, UKEY_E_SERVICE, _("the service's answer is not a JSON object (%s)"),
				    _("truncated"));
	return ukey_err_set(e, UKEY_E_SERVICE, _("the service's answer is not a JSON object (%s)"),
			    je == json_tokener_success ? _("another JSON type") : json_tokener_error_desc(je));
}

/* Strict UTF-8 (RFC 3629): json-c's own check lets overlong forms and
 * surrogates through. */
int ukey_utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0, k, len;
	uint32_t c;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		len = p[i] >= 0xf0 && p[i] <= 0xf4   ? 4
		      : p[i] >= 0xe0 && p[i] <= 0xef ? 3
		      : p[i] >= 0xc2 && p[i] <= 0xdf ? 2
						     : 0;
		if (len == 0 || n - i < len)
			return 0;
		c = p[i] & (0xff >> (len + 1));
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (len == 4 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		i += len;
	}
	return 1;
}

static int member(json_object *o, const char *name, json_type want, int nullable, json_object **v,
		  struct ukey_err *e)
{
	if (!json_object_object_get_ex(o, name, v))
		return ukey_err_set(e, UKEY_E_SERVICE, _("the service's answer lacks the member \"%s\""), name);
	if (*v == NULL && nullable)
		return UKEY_E_OK;
	if (*v == NULL || !json_object_is_type(*v, want))
		return ukey_err_set(e, UKEY_E_SERVICE, _("the member \"%s\" of the service's answer is not %s"),
				    name,
				    want == json_type_string    ? _("a string")
				    : want == json_type_int     ? _("an integer")
				    : want == json_type_boolean ? _("a boolean")
				    : want == json_type_array   ? _("an array")
								: _("an object"));
	return UKEY_E_OK;
}

int ukey_json_str(json_object *o, const char *name, int nullable, const char **out, struct ukey_err *e)
{
	json_object *v;
	int ret = member(o, name, json_type_string, nullable, &v, e);

	*out = ret == UKEY_E_OK && v != NULL ? json_object_get_string(v) : NULL;
	/* "\u0000" would silently cut the C string the caller sees. */
	if (*out != NULL && strlen(*out) != (size_t)json_object_get_string_len(v)) {
		*out = NULL;
		return ukey_err_set(e, UKEY_E_SERVICE,
				    _("the member \"%s\" of the service's answer contains a NUL character"), name);
	}
	return ret;
}

int ukey_json_int(json_object *o, const char *name, int nullable, int64_t *out, int *is_null,
		  struct ukey_err *e)
{
	json_object *v;
	int ret = member(o, name, json_type_int, nullable, &v, e);

	*out = ret == UKEY_E_OK && v != NULL ? json_object_get_int64(v) : 0;
	if (is_null != NULL)
		*is_null = ret == UKEY_E_OK && v == NULL;
	/* json-c saturates integers beyond 64 bits: the limits mean overflow. */
	if (*out == INT64_MAX || *out == INT64_MIN) {
		*out = 0;
		return ukey_err_set(e, UKEY_E_SERVICE, _("the member \"%s\" of the service's answer is out of range"),
				    name);
	}
	return ret;
}

int ukey_json_bool(json_object *o, const char *name, int *out, struct ukey_err *e)
{
	json_object *v;
	int ret = member(o, name, json_type_boolean, 0, &v, e);

	*out = ret == UKEY_E_OK ? json_object_get_boolean(v) : 0;
	return ret;
}

int ukey_json_obj(json_object *o, const char *name, int nullable, json_object **out, struct ukey_err *e)
{
	return member(o, name, json_type_object, nullable, out, e);
}

int ukey_json_arr(json_object *o, const char *name, json_object **out, struct ukey_err *e)
{
	return member(o, name, json_type_array, 0, out, e);
}

int ukey_json_enum(json_object *o, const char *name, const char *const *allowed, const char **out,
		   struct ukey_err *e)
{
	int ret = ukey_json_str(o, name, 0, out, e);

	if (ret != UKEY_E_OK)
		return ret;
	for (; *allowed != NULL; allowed++)
		if (strcmp(*allowed, *out) == 0)
			return UKEY_E_OK;
	return ukey_err_set(e, UKEY_E_SERVICE, _("the member \"%s\" of the service's answer has an unknown value"),
			    name);
}
