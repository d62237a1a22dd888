/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "drivers/driver.h"

static const struct ukey_driver_ops *const drivers[] = {
	&ukey_driver_p11,
	&ukey_driver_skf,
};

const struct ukey_driver_ops *ukey_driver_find(const char *name)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}
