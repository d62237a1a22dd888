# SPDX-License-Identifier: LGPL-2.1-or-later
# The SKF emulator's tests (the library: emulator/, README.md), included by
# tests/Makefile.am. They load the built emulator/.libs/libukey-skf-emu.so.
EMU_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/emulator

if HAVE_CMOCKA
check_PROGRAMS += emulator/test-skf-emu
emulator_test_skf_emu_SOURCES = emulator/test-skf-emu.c emulator/test-skf-emu-util.c \
	emulator/test-skf-emu.h ../emulator/emu-key.c ../emulator/emu-util.c \
	../emulator/emu.h
emulator_test_skf_emu_CPPFLAGS = $(EMU_CPPFLAGS)
emulator_test_skf_emu_LDADD = $(CODEC_LIBS) $(CMOCKA_LIBS) $(OPENSSL_LIBS) $(DL_LIBS) $(PTHREAD_LIBS)
TESTS += emulator/test-skf-emu
endif

# Every exported SKF_* is metered (emulator/README.md, cost model); reads the
# library's symbol tables with <elf.h>, so it needs no tool.
check_PROGRAMS += emulator/test-skf-emu-metered
emulator_test_skf_emu_metered_SOURCES = emulator/test-skf-emu-metered.c
TESTS += emulator/test-skf-emu-metered
