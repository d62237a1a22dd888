/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NSS databases driven through NSS's own tools (modutil, certutil from
 * libnss3-tools), never by editing pkcs11.txt: the tools know every
 * database format and lock the database as NSS itself does. */
#ifndef UKEY_TOOL_NSSDB_H
#define UKEY_TOOL_NSSDB_H

#include <stddef.h>

#define UKEY_NSS_MODULE_NAME "ukey-pkcs11"

/* Runs argv[0] from PATH with argv (no shell), stdin from /dev/null, and
 * stdout+stderr collected into out (NUL-terminated, truncated to outlen).
 * Returns the exit status, 128+N for a signal, or -1 when the program could
 * not be started (out then says why). */
int ukey_run_capture(char *const argv[], char *out, size_t outlen);

/* Is our module in the database at DIR (a "sql:" database)? 1 with its
 * library path in lib, 0 when not, -1 on error (err says why). */
int ukey_nssdb_query(const char *dir, char *lib, size_t liblen, char *err, size_t errlen);

/* Adds our module with library MODULE; 0 or -1 with err. */
int ukey_nssdb_add(const char *dir, const char *module, char *err, size_t errlen);

/* Deletes our module; 0 or -1 with err. */
int ukey_nssdb_delete(const char *dir, char *err, size_t errlen);

/* Creates an empty-password database in the existing directory DIR;
 * 0 or -1 with err. */
int ukey_nssdb_create(const char *dir, char *err, size_t errlen);

#endif
