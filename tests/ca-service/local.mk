# SPDX-License-Identifier: LGPL-2.1-or-later
# The reference CA service's tests (the service: ca-service/, README.md),
# included by tests/Makefile.am: a software-key client that signs requests,
# a seal checker, a decryptor on a token with any mechanism (the renewal
# tests' SM2 check), and the TAP tests that drive the service with them.
# Built by `make`, like the service: scripts outside `make check` use them
# (tests/fuzz/capture-renew-answer.sh).
noinst_PROGRAMS =
if HAVE_CA_SERVICE
noinst_PROGRAMS += ca-service/ca-test-client ca-service/ca-test-seal ca-service/ca-test-decrypt \
	ca-service/ca-test-cmpreq

CA_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ca-service $(JSONC_CFLAGS)

# https.c is the operator CLI's HTTPS client (ca-service/).
ca_service_ca_test_client_SOURCES = ca-service/ca-test-client.c ../ca-service/https.c ../ca-service/https.h
ca_service_ca_test_client_CPPFLAGS = $(CA_TEST_CPPFLAGS)
ca_service_ca_test_client_LDADD = $(CODEC_LIBS) $(LIBSSL_LIBS) $(JSONC_LIBS) $(OPENSSL_LIBS)

ca_service_ca_test_seal_SOURCES = ca-service/ca-test-seal.c ../ca-service/https.c ../ca-service/https.h
ca_service_ca_test_seal_CPPFLAGS = $(CA_TEST_CPPFLAGS)
ca_service_ca_test_seal_LDADD = $(CODEC_LIBS) $(LIBSSL_LIBS) $(OPENSSL_LIBS)

ca_service_ca_test_decrypt_SOURCES = ca-service/ca-test-decrypt.c
ca_service_ca_test_decrypt_CPPFLAGS = $(CA_TEST_CPPFLAGS)
ca_service_ca_test_decrypt_LDADD = $(CODEC_LIBS) $(OPENSSL_LIBS) $(DL_LIBS)

# Key update requests under a chosen transaction ID (test-cmp.sh).
ca_service_ca_test_cmpreq_SOURCES = ca-service/ca-test-cmpreq.c
ca_service_ca_test_cmpreq_CPPFLAGS = $(CA_TEST_CPPFLAGS)
ca_service_ca_test_cmpreq_LDADD = $(CODEC_LIBS) $(OPENSSL_LIBS)

TESTS += ca-service/test-ca-service.sh ca-service/test-ca-renew-enc.sh ca-service/test-cmp.sh
endif

EXTRA_DIST += ca-service/test-ca-service.sh ca-service/test-ca-renew-enc.sh ca-service/ca-lib.sh \
	ca-service/test-cmp.sh
