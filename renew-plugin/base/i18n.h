/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Translations: every user-facing string goes through _() (domain "ukey"). */
#ifndef UKEY_RENEW_I18N_H
#define UKEY_RENEW_I18N_H

#include <libintl.h>

#define UKEY_TEXTDOMAIN "ukey"
#define _(s) dgettext(UKEY_TEXTDOMAIN, s)
#define N_(s) s

/* setlocale + bindtextdomain (LOCALEDIR, or $UKEY_LOCALEDIR for a build
 * tree); call once from main. */
void ukey_i18n_init(void);

#endif
