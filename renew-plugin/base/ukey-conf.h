/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plugin's configuration: ~/.config/ukey/ukey.conf (INI), then the
 * environment, then the command line.
 *
 *   [module]
 *   path = /usr/lib/x86_64-linux-gnu/pkcs11/ukey-pkcs11.so
 *   [service]
 *   url = https://ca.example.cn
 *   ca = /etc/ukey/service-ca.pem
 *
 * Environment: UKEY_CONFIG (the file), UKEY_MODULE, UKEY_SERVICE_URL,
 * UKEY_SERVICE_CA. */
#ifndef UKEY_RENEW_CONF_H
#define UKEY_RENEW_CONF_H

#include <limits.h>
#include <stddef.h>

#include "err.h"

struct ukey_conf {
	char module[PATH_MAX];
	char service_url[1024];
	char service_ca[PATH_MAX];
};

/* The file: $UKEY_CONFIG, else $XDG_CONFIG_HOME/ukey/ukey.conf, else
 * ~/.config/ukey/ukey.conf ("" without a home). Returns path. */
const char *ukey_conf_path(char *path, size_t len);
/* Loads defaults, the file (a missing file is fine), then the environment. */
int ukey_conf_load(struct ukey_conf *c, struct ukey_err *e);

#endif
