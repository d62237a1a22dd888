/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * db.c: the service's SQLite store (WAL) and small query helpers. Handlers
 * run one at a time under svc->lock, each between svc_db_begin and
 * svc_db_end, so a failed request leaves nothing half-written.
 */
#include "config.h"

#include "svc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA foreign_keys=ON;"
	"CREATE TABLE IF NOT EXISTS media(medium TEXT PRIMARY KEY, trust_number TEXT,"
	" identity_checked INTEGER NOT NULL DEFAULT 0, seals_state TEXT NOT NULL DEFAULT 'clean');"
	"CREATE TABLE IF NOT EXISTS certificates(id INTEGER PRIMARY KEY, serial TEXT NOT NULL,"
	" issuer TEXT NOT NULL, medium TEXT NOT NULL REFERENCES media(medium), der BLOB NOT NULL,"
	" revoked INTEGER NOT NULL DEFAULT 0, UNIQUE(serial, issuer));"
	"CREATE TABLE IF NOT EXISTS bindings(medium TEXT PRIMARY KEY REFERENCES media(medium),"
	" code TEXT, expires INTEGER, state TEXT NOT NULL, confirmed_at INTEGER);"
	"CREATE TABLE IF NOT EXISTS orders(n INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,"
	" medium TEXT NOT NULL REFERENCES media(medium), state TEXT NOT NULL, covers TEXT NOT NULL,"
	" price INTEGER NOT NULL, encryption INTEGER NOT NULL DEFAULT 0, pay_method TEXT,"
	" paid_at INTEGER, renewal TEXT);"
	"CREATE TABLE IF NOT EXISTS payments(id INTEGER PRIMARY KEY, order_id TEXT NOT NULL,"
	" method TEXT NOT NULL, amount INTEGER NOT NULL, state TEXT NOT NULL, at INTEGER);"
	"CREATE TABLE IF NOT EXISTS invoices(n INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,"
	" order_id TEXT UNIQUE NOT NULL, medium TEXT NOT NULL, title TEXT NOT NULL,"
	" tax_number TEXT NOT NULL, amount INTEGER NOT NULL, state TEXT NOT NULL, issued_at INTEGER);"
	"CREATE TABLE IF NOT EXISTS seals(n INTEGER PRIMARY KEY, medium TEXT NOT NULL, es_id TEXT,"
	" name TEXT, type INTEGER, status TEXT NOT NULL, der BLOB NOT NULL, sha256 TEXT NOT NULL,"
	" valid_from INTEGER, valid_to INTEGER);"
	"CREATE TABLE IF NOT EXISTS nonces(nonce TEXT PRIMARY KEY, expires INTEGER NOT NULL,"
	" used INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS renewals(request_id TEXT PRIMARY KEY, medium TEXT NOT NULL,"
	" body_sha256 TEXT NOT NULL, order_id TEXT, response TEXT NOT NULL, cert_serial TEXT,"
	" state TEXT NOT NULL, created INTEGER);"
	/* The key-management role: each issued encryption pair, kept for
	 * recovery (the renewal's stored response replays its envelope). */
	"CREATE TABLE IF NOT EXISTS escrow(request_id TEXT PRIMARY KEY, medium TEXT NOT NULL,"
	" cert_serial TEXT NOT NULL, certificate TEXT NOT NULL, key_pem TEXT NOT NULL,"
	" envelope_format TEXT NOT NULL, created INTEGER);"
	/* The CMP endpoint's renewals (request_id "cmp-" and the hex transaction
	 * ID): the kur that asked, to answer a certConf or pollReq of a
	 * transaction this process no longer holds (cmp-route.c). */
	"CREATE TABLE IF NOT EXISTS cmp_requests(request_id TEXT PRIMARY KEY, kur BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);";

int svc_db_open(struct svc *s, const char *path)
{
	char *err = NULL;

	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				      SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		fprintf(stderr, "ca-service: %s: %s\n", path, sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, schema, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "ca-service: schema: %s\n", err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int svc_db_begin(struct svc *s)
{
	return sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int svc_db_end(struct svc *s, int commit)
{
	return sqlite3_exec(s->db, commit ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK
		       ? 0
		       : -1;
}

static sqlite3_stmt *vprep(struct svc *s, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *st = NULL;
	int i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "ca-service: sql: %s: %s\n", sqlite3_errmsg(s->db), sql);
		return NULL;
	}
	for (i = 0; fmt && fmt[i] && rc == SQLITE_OK; i++) {
		if (fmt[i] == 's') {
			const char *v = va_arg(ap, const char *);
			rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(st, i + 1);
		} else if (fmt[i] == 'i') {
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else {
			const void *p = va_arg(ap, const void *);
			int n = va_arg(ap, int);
			rc = sqlite3_bind_blob(st, i + 1, p, n, SQLITE_TRANSIENT);
		}
	}
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

sqlite3_stmt *svc_db_prep(struct svc *s, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *st;

	va_start(ap, fmt);
	st = vprep(s, sql, fmt, ap);
	va_end(ap);
	return st;
}

int svc_db_run(struct svc *s, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *st;
	int rc;

	va_start(ap, fmt);
	st = vprep(s, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "ca-service: sql step: %s\n", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

char *svc_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? strdup((const char *)t) : NULL;
}

char *svc_db_text(struct svc *s, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *st;
	char *out = NULL;

	va_start(ap, fmt);
	st = vprep(s, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		out = svc_col_text(st, 0);
	sqlite3_finalize(st);
	return out;
}

int64_t svc_db_int(struct svc *s, int64_t def, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *st;
	int64_t out = def;

	va_start(ap, fmt);
	st = vprep(s, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return def;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return out;
}

/* A per-name counter for human-readable ids (orders, invoices, seals). */
int64_t svc_next_id(struct svc *s, const char *name)
{
	if (svc_db_run(s, "INSERT INTO counters(name, value) VALUES(?, 1)"
			  " ON CONFLICT(name) DO UPDATE SET value = value + 1", "s", name) != 0)
		return -1;
	return svc_db_int(s, -1, "SELECT value FROM counters WHERE name = ?", "s", name);
}
