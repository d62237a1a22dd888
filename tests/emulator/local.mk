# SPDX-License-Identifier: LGPL-2.1-or-later
# SKF emulator (tests/skf-emu/README.md), included by tests/Makefile.am.
# libukey-skf-emu.so is built by plain `make` (the demo and ukey-vkey use
# it); it links libcrypto only and exports only the SKF_* functions.
noinst_LTLIBRARIES += skf-emu/libukey-skf-emu.la
skf_emu_libukey_skf_emu_la_SOURCES = \
	skf-emu/emu.h \
	skf-emu/emu-rename.h \
	skf-emu/emu-cost.c \
	skf-emu/emu-handle.c \
	skf-emu/emu-util.c \
	skf-emu/emu-dev.c \
	skf-emu/emu-event.c \
	skf-emu/emu-app.c \
	skf-emu/emu-file.c \
	skf-emu/emu-limits.c \
	skf-emu/emu-cont.c \
	skf-emu/emu-key.c \
	skf-emu/emu-crypto.c
# UKEY_SKF_EMU_IMPL: the implementations are named emu_SKF_*; emu-cost.c
# exports the metered SKF_* wrappers (the cost model, README.md).
skf_emu_libukey_skf_emu_la_CPPFLAGS = $(AM_CPPFLAGS) -DUKEY_SKF_EMU_IMPL
skf_emu_libukey_skf_emu_la_LDFLAGS = -module -avoid-version -shared \
	-rpath $(abs_builddir)/skf-emu -export-symbols-regex '^SKF_' -no-undefined
skf_emu_libukey_skf_emu_la_LIBADD = $(OPENSSL_LIBS) $(PTHREAD_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += skf-emu/test-skf-emu
skf_emu_test_skf_emu_SOURCES = skf-emu/test-skf-emu.c skf-emu/test-skf-emu-util.c \
	skf-emu/test-skf-emu.h skf-emu/emu-key.c skf-emu/emu-util.c \
	skf-emu/emu.h
skf_emu_test_skf_emu_CFLAGS = $(AM_CFLAGS)
skf_emu_test_skf_emu_LDADD = $(CMOCKA_LIBS) $(OPENSSL_LIBS) $(DL_LIBS) $(PTHREAD_LIBS)
TESTS += skf-emu/test-skf-emu
endif

# Every exported SKF_* is metered (README.md, cost model); reads the
# library's symbol tables with <elf.h>, so it needs no tool.
check_PROGRAMS += skf-emu/test-skf-emu-metered
skf_emu_test_skf_emu_metered_SOURCES = skf-emu/test-skf-emu-metered.c
TESTS += skf-emu/test-skf-emu-metered

EXTRA_DIST += skf-emu/README.md
