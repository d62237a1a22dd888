# SPDX-License-Identifier: LGPL-2.1-or-later
# The integration suite over the skf backend, and the SKF-specific tests
# (included by tests/Makefile.am).
#
# Each integration/skf/test-NAME.skf names the program integration/test-NAME;
# lib/run-skf runs it with UKEY_TEST_BACKEND=skf, so one set of test sources
# checks both backends and each backend's results are counted separately
# (integration/test-NAME.trs for p11, integration/skf/test-NAME.trs for skf).
TEST_EXTENSIONS += .skf
SKF_LOG_DRIVER = $(LOG_DRIVER)
SKF_LOG_COMPILER = $(SHELL) $(srcdir)/lib/run-skf

SKF_SUITE = \
	integration/skf/test-init.skf \
	integration/skf/test-slots.skf \
	integration/skf/test-sessions.skf \
	integration/skf/test-objects.skf \
	integration/skf/test-objects-write.skf \
	integration/skf/test-sign.skf \
	integration/skf/test-cipher.skf \
	integration/skf/test-keygen.skf \
	integration/skf/test-threads.skf \
	integration/skf/test-pinentry.skf \
	integration/skf/test-pin-dialog.skf \
	integration/skf/test-unwrap.skf \
	integration/skf/test-vendor.skf \
	integration/skf/test-hostile.skf \
	integration/skf/test-secret.skf \
	integration/skf/test-passthrough.skf \
	integration/skf/test-hotplug.skf

SKF_SHELL_TESTS = integration/skf/pkcs11-tool-skf.sh

if HAVE_CMOCKA
SKF_CHECK_PROGS = \
	integration/skf/test-skf-dual \
	integration/skf/test-skf-retire \
	integration/skf/test-skf-converge \
	integration/skf/test-skf-sm2 \
	integration/skf/test-skf-pin \
	integration/skf/test-skf-plug \
	integration/skf/test-skf-cost \
	integration/skf/test-skf-quirks

check_PROGRAMS += $(SKF_CHECK_PROGS)
integration_skf_test_skf_dual_SOURCES = integration/skf/test-skf-dual.c integration/crypto-check.c \
	integration/crypto-check.h
integration_skf_test_skf_dual_LDADD = $(TEST_LIBS)
integration_skf_test_skf_retire_SOURCES = integration/skf/test-skf-retire.c integration/skf/skf-fixture.h integration/crypto-check.c \
	integration/crypto-check.h
integration_skf_test_skf_retire_LDADD = $(TEST_LIBS)
integration_skf_test_skf_converge_SOURCES = integration/skf/test-skf-converge.c integration/skf/skf-fixture.h
integration_skf_test_skf_converge_LDADD = $(TEST_LIBS)
integration_skf_test_skf_sm2_SOURCES = integration/skf/test-skf-sm2.c integration/crypto-check.c \
	integration/crypto-check.h
integration_skf_test_skf_sm2_LDADD = $(TEST_LIBS)
integration_skf_test_skf_pin_SOURCES = integration/skf/test-skf-pin.c integration/crypto-check.c \
	integration/crypto-check.h
integration_skf_test_skf_pin_LDADD = $(TEST_LIBS)
integration_skf_test_skf_plug_SOURCES = integration/skf/test-skf-plug.c integration/crypto-check.c \
	integration/crypto-check.h
integration_skf_test_skf_plug_LDADD = $(TEST_LIBS)
# What the module makes the key read (issue 13); its seals come from
# bench/bench-seals, built before tests/.
integration_skf_test_skf_cost_SOURCES = integration/skf/test-skf-cost.c
integration_skf_test_skf_cost_LDADD = $(TEST_LIBS)
# The vendor quirks (drivers/skf/quirks.c) seen through the emulator's meter.
integration_skf_test_skf_quirks_SOURCES = integration/skf/test-skf-quirks.c
integration_skf_test_skf_quirks_LDADD = $(TEST_LIBS)

TESTS += $(SKF_SUITE) $(SKF_CHECK_PROGS)
endif
TESTS += $(SKF_SHELL_TESTS)

EXTRA_DIST += lib/run-skf $(SKF_SUITE) $(SKF_SHELL_TESTS) integration/skf/local.mk

# The SKF blob and envelope fuzz targets: built and run by tests/run-all
# (clang, libFuzzer), not by make check.
EXTRA_DIST += fuzz/run-fuzz.sh fuzz/fuzz-skf-blob.c fuzz/fuzz-envelope.c fuzz/corpus
