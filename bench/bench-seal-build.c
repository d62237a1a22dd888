/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seal tests' builder, compiled into bench-seals as it is: one builder
 * for the tests and the bench (a source in another directory would put its
 * object there, next to the tests' own). */
#include "../tests/unit/seal-build.c"
