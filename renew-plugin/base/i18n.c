/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* i18n.c: gettext set-up. The library uses dgettext with its own domain so
 * its strings are translated whatever textdomain the program chose. */

#include <locale.h>
#include <stdlib.h>

#include "ukey-base.h"

#ifndef LOCALEDIR
#error "LOCALEDIR must be defined by the build"
#endif

void ukey_i18n_init(void)
{
	const char *dir = getenv("UKEY_LOCALEDIR");

	setlocale(LC_ALL, "");
	bindtextdomain(UKEY_TEXTDOMAIN, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
	bind_textdomain_codeset(UKEY_TEXTDOMAIN, "UTF-8");
}
