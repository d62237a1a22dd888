# SPDX-License-Identifier: LGPL-2.1-or-later
# The differential conformance harness (tests/conformance/README.md),
# included by tests/Makefile.am. It prints TAP itself; it is built with the
# other test programs (which need cmocka).
if HAVE_CMOCKA
check_PROGRAMS += conformance/conformance
conformance_conformance_SOURCES = \
	conformance/conform.h conformance/conform-diff.h \
	conformance/conform-main.c conformance/conform-diff.c conformance/conform-rec.c \
	conformance/conform-rules.c conformance/conform-util.c conformance/conform-mech.c \
	conformance/conform-random.c conformance/cases-objects.c conformance/cases-templates.c \
	conformance/cases-args.c conformance/cases-login.c conformance/cases-sizes.c
conformance_conformance_LDADD = $(TEST_LIBS)

TESTS += conformance/conformance conformance/skf/conformance.skf
endif
EXTRA_DIST += conformance/README.md conformance/expected-differences.txt conformance/skf/conformance.skf
