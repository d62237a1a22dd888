# SKF emulator (tests/skf-emu/README.md), included by tests/Makefile.am.
# libukey-skf-emu.so is built by plain `make` (the demo and ukey-vkey use
# it); it links libcrypto only and exports only the SKF_* functions.
noinst_LTLIBRARIES += skf-emu/libukey-skf-emu.la
skf_emu_libukey_skf_emu_la_SOURCES = \
	skf-emu/emu.h \
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

EXTRA_DIST += skf-emu/README.md
