/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* A long-lived PKCS#11 consumer, as a browser is: it loads the module once,
 * opens one session and keeps both across a `ukey renew` run by another
 * process, so tests/plugin/ukey-renew-observer.sh can show that the module's
 * inventory cache notices the change (docs/architecture.md, "The inventory cache"; generation.c) without a
 * restart.
 *
 *   observer [MODULE]      (else $UKEY_TEST_MODULE, else the build's module)
 *
 * Slot: the first token present, or the one whose serial is
 * $UKEY_OBSERVER_SERIAL. At start it lists the signing certificates on its
 * first session; then it reads commands from stdin, one a line, and ends
 * each answer with a line "done" (or "error ..."):
 *   list               the signing certificates through C_FindObjects* on
 *                      the first session ("cert old ...") and on a new one
 *                      ("cert new ...")
 *   sign MSG SIG CERT  logs in on the first session with the PIN read from
 *                      $UKEY_PIN_FILE, signs MSG with the private key whose
 *                      CKA_ID is the newest signing certificate's (RSA:
 *                      SHA256-RSA-PKCS, EC: ECDSA-SHA256, SM2: SM3-SM2 with
 *                      the default ID), writes the signature (DER for
 *                      ECDSA/SM2) to SIG and that certificate (DER) to CERT,
 *                      logs out
 *   login              one C_Login with the PIN from $UKEY_PIN_FILE, then
 *                      C_Logout if it worked: "login rv=0x..."
 *   info               the token's PIN flags: "info flags=0x... count_low=N
 *                      final_try=N locked=N"
 *   quit
 * A certificate line: "cert TAG serial=HEX not_after=UNIX id=HEX", serial
 * lower-case without leading zeros and id lower-case hex, as `ukey show
 * --json` prints them. A signing certificate is one whose keyUsage allows
 * digitalSignature or nonRepudiation (or that has no keyUsage), the same
 * rule as renew-plugin/p11/cert.c. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certder.h"
#include "ecsig.h"
#include "hex.h"
#include "testlib.h"
#include "ukey-pkcs11.h"

#define MAX_CERTS 64

struct obs_cert {
	char serial[80];
	long long not_after;
	unsigned char id[64];
	CK_ULONG id_len;
	unsigned char *der;
	CK_ULONG der_len;
};

static CK_FUNCTION_LIST *p11;
static CK_SLOT_ID slot;

static void cert_free(struct obs_cert *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].der);
}

static void print_hex(const unsigned char *p, size_t n)
{
	char *h = ukc_hex_dup(p, n);

	printf("%s", h ? h : "");
	free(h);
}

/* Fills c from a DER certificate; 1 when it is a signing certificate,
 * 0 when not, -1 when it does not parse. */
static int cert_parse(struct obs_cert *c)
{
	const unsigned char *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
	char *hex = NULL;
	time_t na;
	int ret = -1;

	if (!x)
		return -1;
	/* The serial as `ukey show --json` prints it. */
	hex = ukc_x509_serial_hex(x);
	if (!hex || ukc_asn1_time(X509_get0_notAfter(x), &na) != 0)
		goto out;
	snprintf(c->serial, sizeof(c->serial), "%s", hex);
	c->not_after = (long long)na;
	ret = (X509_get_key_usage(x) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
out:
	free(hex);
	X509_free(x);
	return ret;
}

/* The signing certificates visible on session s (C_FindObjects*). */
static CK_RV list_certs(CK_SESSION_HANDLE s, struct obs_cert *certs, size_t *n)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[MAX_CERTS];
	CK_ULONG found = 0;
	CK_RV rv = p11->C_FindObjectsInit(s, &t, 1);

	*n = 0;
	if (rv != CKR_OK)
		return rv;
	rv = p11->C_FindObjects(s, h, MAX_CERTS, &found);
	CK_RV frv = p11->C_FindObjectsFinal(s);
	if (rv == CKR_OK)
		rv = frv;
	for (CK_ULONG i = 0; rv == CKR_OK && i < found; i++) {
		struct obs_cert *c = &certs[*n];
		CK_ATTRIBUTE a[] = { { CKA_ID, c->id, sizeof(c->id) }, { CKA_VALUE, NULL, 0 } };
		memset(c, 0, sizeof(*c));
		rv = p11->C_GetAttributeValue(s, h[i], a, 2);
		if (rv != CKR_OK || a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			break;
		c->id_len = a[0].ulValueLen;
		c->der = malloc(a[1].ulValueLen);
		if (!c->der) {
			rv = CKR_HOST_MEMORY;
			break;
		}
		a[1].pValue = c->der;
		rv = p11->C_GetAttributeValue(s, h[i], &a[1], 1);
		c->der_len = a[1].ulValueLen;
		int sign = rv == CKR_OK ? cert_parse(c) : 0;
		if (sign == 1)
			(*n)++;
		else
			free(c->der);
	}
	if (rv != CKR_OK) {
		cert_free(certs, *n);
		*n = 0;
	}
	return rv;
}

static CK_RV print_certs(CK_SESSION_HANDLE s, const char *tag)
{
	struct obs_cert certs[MAX_CERTS];
	size_t n = 0;
	CK_RV rv = list_certs(s, certs, &n);

	for (size_t i = 0; i < n; i++) {
		printf("cert %s serial=%s not_after=%lld id=", tag, certs[i].serial, certs[i].not_after);
		print_hex(certs[i].id, certs[i].id_len);
		printf("\n");
	}
	cert_free(certs, n);
	return rv;
}

static int cmd_list(CK_SESSION_HANDLE old)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_RV rv = print_certs(old, "old");

	if (rv != CKR_OK) {
		printf("error list on the first session: 0x%lx\n", (unsigned long)rv);
		return -1;
	}
	rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	if (rv == CKR_OK)
		rv = print_certs(s, "new");
	if (s != CK_INVALID_HANDLE)
		p11->C_CloseSession(s);
	if (rv != CKR_OK) {
		printf("error list on a new session: 0x%lx\n", (unsigned long)rv);
		return -1;
	}
	return 0;
}

/* C_Login(CKU_USER) with the PIN from $UKEY_PIN_FILE (first line). */
static CK_RV login(CK_SESSION_HANDLE s)
{
	const char *path = getenv("UKEY_PIN_FILE");
	char pin[128] = "";
	FILE *f = path ? fopen(path, "r") : NULL;
	CK_RV rv = CKR_ARGUMENTS_BAD;

	if (!f)
		return rv;
	if (fgets(pin, sizeof(pin), f)) {
		pin[strcspn(pin, "\r\n")] = '\0';
		rv = p11->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, (CK_ULONG)strlen(pin));
	}
	fclose(f);
	OPENSSL_cleanse(pin, sizeof(pin));
	return rv;
}

static int write_file(const char *path, const unsigned char *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(p, 1, n, f) == n;
	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static CK_RV sign_with(CK_SESSION_HANDLE s, const struct obs_cert *c, const unsigned char *msg, size_t mlen,
		       unsigned char *sig, CK_ULONG *slen, CK_KEY_TYPE *kt)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)c->id, c->id_len } };
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, kt, sizeof(*kt) };
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
	CK_ULONG found = 0;
	CK_RV rv = p11->C_FindObjectsInit(s, t, 2);

	if (rv != CKR_OK)
		return rv;
	rv = p11->C_FindObjects(s, &key, 1, &found);
	CK_RV frv = p11->C_FindObjectsFinal(s);
	if (rv == CKR_OK)
		rv = frv != CKR_OK ? frv : found == 1 ? CKR_OK : CKR_KEY_HANDLE_INVALID;
	if (rv == CKR_OK)
		rv = p11->C_GetAttributeValue(s, key, &a, 1);
	if (rv != CKR_OK)
		return rv;
	CK_MECHANISM m = { *kt == CKK_RSA ? CKM_SHA256_RSA_PKCS : *kt == CKK_SM2 ? CKM_SM3_SM2 : CKM_ECDSA_SHA256,
			   NULL, 0 };
	rv = p11->C_SignInit(s, &m, key);
	if (rv == CKR_OK)
		rv = p11->C_Sign(s, (CK_BYTE_PTR)msg, (CK_ULONG)mlen, sig, slen);
	return rv;
}

static int cmd_sign(CK_SESSION_HANDLE s, const char *msgpath, const char *sigpath, const char *certpath)
{
	struct obs_cert certs[MAX_CERTS];
	size_t n = 0, best = 0, mlen = 0;
	unsigned char msg[4096], sig[1024], *der = NULL;
	CK_ULONG slen = sizeof(sig);
	CK_KEY_TYPE kt = CKK_RSA;
	FILE *f = fopen(msgpath, "rb");
	int ret = -1;
	CK_RV rv;

	if (!f) {
		printf("error cannot read %s\n", msgpath);
		return -1;
	}
	mlen = fread(msg, 1, sizeof(msg), f);
	fclose(f);
	rv = login(s);
	if (rv != CKR_OK) {
		printf("error C_Login: 0x%lx\n", (unsigned long)rv);
		return -1;
	}
	rv = list_certs(s, certs, &n);
	if (rv != CKR_OK || n == 0) {
		printf("error no signing certificate: 0x%lx\n", (unsigned long)rv);
		goto out;
	}
	for (size_t i = 1; i < n; i++)
		if (certs[i].not_after > certs[best].not_after)
			best = i;
	rv = sign_with(s, &certs[best], msg, mlen, sig, &slen, &kt);
	if (rv != CKR_OK) {
		printf("error signing with the key of the newest certificate: 0x%lx\n", (unsigned long)rv);
		goto out;
	}
	const unsigned char *out = sig;
	size_t olen = slen;
	if (kt != CKK_RSA) { /* r||s to the DER ECDSA-Sig-Value */
		int dl = ukc_ecsig_raw_to_der(sig, slen, &der);
		olen = dl > 0 ? (size_t)dl : 0;
		out = der;
	}
	if (olen == 0 || write_file(sigpath, out, olen) != 0 ||
	    write_file(certpath, certs[best].der, certs[best].der_len) != 0) {
		printf("error writing %s or %s\n", sigpath, certpath);
		goto out;
	}
	printf("signed serial=%s id=", certs[best].serial);
	print_hex(certs[best].id, certs[best].id_len);
	printf(" key_type=%s\n", kt == CKK_RSA ? "rsa" : kt == CKK_SM2 ? "sm2" : "ec");
	ret = 0;
out:
	OPENSSL_free(der);
	cert_free(certs, n);
	p11->C_Logout(s);
	return ret;
}

static int cmd_info(void)
{
	CK_TOKEN_INFO ti;
	CK_RV rv = p11->C_GetTokenInfo(slot, &ti);

	if (rv != CKR_OK) {
		printf("error C_GetTokenInfo: 0x%lx\n", (unsigned long)rv);
		return -1;
	}
	printf("info flags=0x%lx count_low=%d final_try=%d locked=%d\n", (unsigned long)ti.flags,
	       !!(ti.flags & CKF_USER_PIN_COUNT_LOW), !!(ti.flags & CKF_USER_PIN_FINAL_TRY),
	       !!(ti.flags & CKF_USER_PIN_LOCKED));
	return 0;
}

static CK_RV find_slot(void)
{
	const char *want = getenv("UKEY_OBSERVER_SERIAL");
	CK_SLOT_ID ids[32];
	CK_ULONG n = 32;
	CK_RV rv = p11->C_GetSlotList(CK_TRUE, ids, &n);

	for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++) {
		CK_TOKEN_INFO ti;
		char serial[17];
		if (p11->C_GetTokenInfo(ids[i], &ti) != CKR_OK)
			continue;
		memcpy(serial, ti.serialNumber, 16);
		serial[16] = '\0';
		serial[strcspn(serial, " ")] = '\0';
		if (!want || !*want || strcmp(want, serial) == 0) {
			slot = ids[i];
			return CKR_OK;
		}
	}
	return rv == CKR_OK ? CKR_TOKEN_NOT_PRESENT : rv;
}

int main(int argc, char **argv)
{
	void *lib = NULL;
	CK_SESSION_HANDLE old = CK_INVALID_HANDLE;
	char line[4096];
	int status = 1;
	CK_RV rv;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && setenv("UKEY_TEST_MODULE", argv[1], 1) != 0)
		return 1;
	p11 = ukt_module_load(&lib);
	if (!p11)
		return 1;
	rv = p11->C_Initialize(NULL);
	if (rv == CKR_OK)
		rv = find_slot();
	if (rv == CKR_OK)
		rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &old);
	if (rv != CKR_OK) {
		printf("error start: 0x%lx\n", (unsigned long)rv);
		goto out;
	}
	rv = print_certs(old, "old");
	if (rv == CKR_OK)
		printf("done\n");
	else
		printf("error first list: 0x%lx\n", (unsigned long)rv);
	while (fgets(line, sizeof(line), stdin)) {
		char a[1024], b[1024], c[1024];
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "quit") == 0) {
			status = 0;
			break;
		}
		int r = -1;
		if (strcmp(line, "list") == 0) {
			r = cmd_list(old);
		} else if (sscanf(line, "sign %1023s %1023s %1023s", a, b, c) == 3) {
			r = cmd_sign(old, a, b, c);
		} else if (strcmp(line, "info") == 0) {
			r = cmd_info();
		} else if (strcmp(line, "login") == 0) {
			rv = login(old);
			printf("login rv=0x%lx\n", (unsigned long)rv);
			if (rv == CKR_OK)
				p11->C_Logout(old);
			r = 0;
		} else {
			printf("error unknown command\n");
		}
		if (r == 0)
			printf("done\n");
	}
out:
	if (old != CK_INVALID_HANDLE)
		p11->C_CloseSession(old);
	p11->C_Finalize(NULL);
	/* No dlclose: LeakSanitizer then still resolves the module's frames. */
	(void)lib;
	return status;
}
