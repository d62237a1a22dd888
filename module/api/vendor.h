/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor interface's function list (api/vendor.c), for entry.c. */
#ifndef UKEY_API_VENDOR_H
#define UKEY_API_VENDOR_H

#include <p11-kit/pkcs11.h>

#include "ukey-pkcs11.h"

extern UKEY_VENDOR_FUNCTION_LIST ukey_vendor_function_list;

#endif
