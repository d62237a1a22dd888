/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict reading of the service's JSON: malformed text, a missing member or
 * a member of the wrong type is an error naming the member. */
#ifndef UKEY_RENEW_JSON_H
#define UKEY_RENEW_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "ukey-base.h"

int ukey_json_parse(const char *text, size_t len, json_object **out, struct ukey_err *e);
/* nullable: JSON null is accepted and gives NULL / *is_null = 1. */
int ukey_json_str(json_object *o, const char *name, int nullable, const char **out, struct ukey_err *e);
int ukey_json_int(json_object *o, const char *name, int nullable, int64_t *out, int *is_null,
		  struct ukey_err *e);
int ukey_json_bool(json_object *o, const char *name, int *out, struct ukey_err *e);
int ukey_json_obj(json_object *o, const char *name, int nullable, json_object **out, struct ukey_err *e);
int ukey_json_arr(json_object *o, const char *name, json_object **out, struct ukey_err *e);
/* The value must be one of the NULL-terminated list. */
int ukey_json_enum(json_object *o, const char *name, const char *const *allowed, const char **out,
		   struct ukey_err *e);

/* Strict UTF-8 (RFC 3629: no overlong forms, no surrogates): 1 when p[0..n) is. */
int ukey_utf8_ok(const unsigned char *p, size_t n);

#endif
