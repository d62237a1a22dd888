/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clean.h: seal cleaning (the guide's "印章数据存在异常" page): the
 * service's seal list, a plan (per seal: keep with a type, or drop), the
 * four rules checked exactly as docs/protocol.md states them, an automatic
 * plan, and the JSON both ways. Pure: no I/O.
 */
#ifndef UKEY_SEAL_CLEAN_H
#define UKEY_SEAL_CLEAN_H

#include <stddef.h>
#include <time.h>

#include "base/err.h"

struct ukey_clean_seal {
	char *id, *es_id, *sha256, *name;
	long type;
	int usable; /* "unusable": a duplicate awaiting cleaning, cannot be chosen */
	time_t valid_from, valid_to;
};

struct ukey_clean_type {
	long type;
	char *name;
};

struct ukey_clean_list {
	int abnormal; /* state "abnormal" */
	struct ukey_clean_seal *seals;
	size_t n_seals;
	struct ukey_clean_type *types;
	size_t n_types;
};

enum ukey_clean_action { UKEY_CLEAN_KEEP = 1, UKEY_CLEAN_DROP = 2 };

struct ukey_clean_decision {
	char *id;
	enum ukey_clean_action action;
	int has_type;
	long type;
};

struct ukey_clean_plan {
	struct ukey_clean_decision *d;
	size_t n;
};

/* In the order the service checks them (protocol.md). */
enum ukey_clean_rule {
	UKEY_RULE_DUPLICATE_DECISION, /* bad_request */
	UKEY_RULE_NOT_FOUND,
	UKEY_RULE_UNUSABLE_CHOSEN,
	UKEY_RULE_MISSING_DECISION,
	UKEY_RULE_MISSING_TYPE,
	UKEY_RULE_IDENTICAL_KEPT_TWICE,
	UKEY_RULE_IDENTICAL_NONE_KEPT,
	UKEY_RULE_TYPE_TAKEN,
};

struct ukey_clean_violation {
	enum ukey_clean_rule rule;
	const char *code; /* the service's error code, "rule_type_taken"... */
	char msg[1024]; /* translated; names the seals (ids and names) */
	size_t n; /* seals concerned (indexes into the list; none for not_found) */
	size_t *seals;
};

struct ukey_clean_report {
	struct ukey_clean_violation *v;
	size_t n;
};

/* Checks every rule and reports ALL violations. Returns their number, or
 * -1 when out of memory. */
int ukey_clean_check(const struct ukey_clean_list *list, const struct ukey_clean_plan *plan,
		     struct ukey_clean_report *out);
void ukey_clean_report_free(struct ukey_clean_report *r);

/* Proposes a plan that follows the rules: of each group of identical seals
 * the newest valid one is kept, kept seals keep their own type when it is
 * known and free, else get the first free type; the rest are dropped. A seal
 * with no identical twin is never dropped automatically: when the types do
 * not suffice, -1 and err says why (0 on success). */
int ukey_clean_auto(const struct ukey_clean_list *list, time_t now, struct ukey_clean_plan *out,
		    struct ukey_err *err);

/* Index of a seal in the list by id, or -1. */
long ukey_clean_find(const struct ukey_clean_list *list, const char *id);
/* The type's name, or NULL if unknown. */
const char *ukey_clean_type_name(const struct ukey_clean_list *list, long type);

/* JSON (json-c). The plan parser is strict: unknown members or actions,
 * wrong JSON types, two decisions for one seal are errors naming the
 * decision. 0 or -1 with err. */
int ukey_clean_plan_parse(const char *json, size_t len, struct ukey_clean_plan *out,
			  struct ukey_err *err);
/* {"decisions":[...]} as sent to POST /api/v1/seals/clean (free()). */
char *ukey_clean_plan_json(const struct ukey_clean_plan *plan);
/* The body of GET /api/v1/seals. */
int ukey_clean_list_parse(const char *json, size_t len, struct ukey_clean_list *out,
			  struct ukey_err *err);
void ukey_clean_plan_free(struct ukey_clean_plan *p);
void ukey_clean_list_free(struct ukey_clean_list *l);

#endif
