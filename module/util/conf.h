/* The module's configuration file (INI, parsed with libinih):
 *
 *   [module]
 *   log = warn
 *   pin_prompt = none
 *
 *   [backend NAME]
 *   driver = p11 | skf
 *   library = /path/to/backend.so
 *   application = NAME        (skf only: which application to open)
 *
 * Several backend sections give several slot ranges, in file order. */
#ifndef UKEY_CONF_H
#define UKEY_CONF_H

#include <stddef.h>

#define UKEY_MAX_BACKENDS 8

struct ukey_backend_conf {
	char *name;
	char *driver;
	char *library;
	char *application;
};

struct ukey_conf {
	char *path;
	char *log;
	char *pin_prompt;
	struct ukey_backend_conf backends[UKEY_MAX_BACKENDS];
	size_t nbackends;
};

/* Path from UKEY_PKCS11_CONF, else $sysconfdir/ukey/ukey-pkcs11.conf. */
const char *ukey_config_default_path(void);
/* Loads and checks the file. On error returns -1 with a one-line reason in
 * err (naming the file and line) and leaves *conf empty. */
int ukey_config_load(const char *path, struct ukey_conf *conf, char *err, size_t errlen);
void ukey_config_free(struct ukey_conf *conf);

#endif
