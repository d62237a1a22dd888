/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ossl-sign MODULE: the U-KEY's signing key through libukey-renew's
 * OpenSSL provider (renew-plugin/ossl/). Every signature the provider
 * offers for the key's type is made with EVP_DigestSign in the private
 * library context and verified with the certificate's public key by the
 * default provider; a certificate request signed with X509_REQ_sign_ctx
 * verifies; what the token cannot do is refused. One line per case:
 * "ok NAME" or "fail NAME: why" (plugin/ukey-ossl-provider.sh counts
 * them). The PIN comes from UKEY_PIN_FILE. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "certder.h"
#include "ossl/ossl.h"
#include "ukey-renew.h"

static struct ukey_conn p;
static CK_SESSION_HANDLE s;
static EVP_PKEY *tk, *pub;
static int fails;

static void report(const char *name, int ok, const char *why)
{
	unsigned long err = ERR_get_error();

	if (ok)
		printf("ok %s\n", name);
	else
		printf("fail %s: %s (%s)\n", name, why, err ? ERR_reason_error_string(err) : "-");
	fails += !ok;
	ERR_clear_error();
}

/* One signature: md, RSA padding (0: none set), SM2 ID (NULL: none set). */
static void one(const char *name, const char *md, int pad, const char *id, int expect_ok)
{
	static const unsigned char data[] = "to be signed on the U-KEY, verified by OpenSSL";
	EVP_MD_CTX *c = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL, *vc = NULL;
	unsigned char sig[1024];
	size_t len = 0;
	int ok = EVP_DigestSignInit_ex(c, &pc, md, ukey_ossl_libctx(), NULL, tk, NULL) == 1;

	if (ok && pad)
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, pad) == 1;
	if (ok && id)
		ok = EVP_PKEY_CTX_set1_id(pc, id, strlen(id)) == 1;
	if (ok)
		ok = EVP_DigestSign(c, NULL, &len, data, sizeof(data)) == 1 && len <= sizeof(sig);
	if (ok)
		ok = EVP_DigestSign(c, sig, &len, data, sizeof(data)) == 1;
	if (!expect_ok) {
		report(name, !ok, "the provider signed what the token cannot");
		goto out;
	}
	if (!ok) {
		report(name, 0, "signing failed");
		goto out;
	}
	ok = EVP_DigestVerifyInit_ex(v, &vc, md, NULL, NULL, pub, NULL) == 1;
	if (ok && pad)
		ok = EVP_PKEY_CTX_set_rsa_padding(vc, pad) == 1 &&
		     (pad != RSA_PKCS1_PSS_PADDING || EVP_PKEY_CTX_set_rsa_pss_saltlen(vc, RSA_PSS_SALTLEN_AUTO) == 1);
	if (ok && (id || EVP_PKEY_is_a(pub, "SM2") || md == NULL || strcmp(md, "SM3") == 0))
		ok = EVP_PKEY_CTX_set1_id(vc, id ? id : UKEY_SM2_DEFAULT_ID,
					  strlen(id ? id : UKEY_SM2_DEFAULT_ID)) == 1;
	report(name, ok && EVP_DigestVerify(v, sig, len, data, sizeof(data)) == 1,
	       "the signature does not verify with the certificate's key");
out:
	EVP_MD_CTX_free(c);
	EVP_MD_CTX_free(v);
}

static void request(const char *md, int sm2)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	int ok = r && n && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"ossl-sign", -1, -1, 0) &&
		 X509_REQ_set_subject_name(r, n) && X509_REQ_set_pubkey(r, pub) && (!sm2 || ukc_x509_req_set_sm2_id(r) == 0);

	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;

	ok = ok && mc && EVP_DigestSignInit_ex(mc, &pc, md, ukey_ossl_libctx(), NULL, tk, NULL) == 1 &&
	     (!sm2 || EVP_PKEY_CTX_set1_id(pc, UKEY_SM2_DEFAULT_ID, strlen(UKEY_SM2_DEFAULT_ID)) == 1) &&
	     X509_REQ_sign_ctx(r, mc) > 0;
	EVP_MD_CTX_free(mc);
	report("certificate request: X509_REQ_sign_ctx, X509_REQ_verify", ok && X509_REQ_verify(r, pub) == 1,
	       "the request does not verify");
	X509_NAME_free(n);
	X509_REQ_free(r);
}

int main(int argc, char **argv)
{
	struct ukey_token_info tok;
	struct ukey_pin_opts po = { .fd = -1, .accept_final_try = 0 };
	struct ukey_cert *certs = NULL;
	const struct ukey_cert *sc;
	struct ukey_err e = { 0 };
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, NULL, 0 } };
	CK_OBJECT_HANDLE h;
	CK_ULONG found = 0;
	const unsigned char *q;
	X509 *x = NULL;
	size_t n = 0;

	if (argc != 2 || ukey_conn_open(&p, argv[1], &e) != UKEY_E_OK || ukey_token_select(&p, NULL, &tok, &e) != UKEY_E_OK ||
	    p.f->C_OpenSession(tok.slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK ||
	    ukey_pin_login(&p, s, &tok, &po, &e) != UKEY_E_OK || ukey_token_certs(&p, s, &certs, &n, &e) != UKEY_E_OK ||
	    (sc = ukey_certs_signing(certs, n)) == NULL) {
		fprintf(stderr, "ossl-sign: no token, login or signing certificate: %s\n", e.msg);
		return 2;
	}
	t[1].pValue = (void *)sc->id;
	t[1].ulValueLen = sc->id_len;
	q = sc->der;
	if (p.f->C_FindObjectsInit(s, t, 2) != CKR_OK || p.f->C_FindObjects(s, &h, 1, &found) != CKR_OK || found != 1 ||
	    (x = d2i_X509(NULL, &q, (long)sc->der_len)) == NULL || (pub = X509_get0_pubkey(x)) == NULL) {
		fprintf(stderr, "ossl-sign: the signing key is not on the token\n");
		return 2;
	}
	p.f->C_FindObjectsFinal(s);
	tk = ukey_ossl_token_key(&p, s, h, pub, &e);
	if (tk == NULL) {
		fprintf(stderr, "ossl-sign: %s\n", e.msg);
		return 2;
	}
	report("the token key has the public half's size", EVP_PKEY_get_size(tk) == EVP_PKEY_get_size(pub), "size");
	report("the token key equals the certificate's key (EVP_PKEY_eq)", EVP_PKEY_eq(tk, pub) == 1, "not equal");
	if (EVP_PKEY_is_a(pub, "RSA")) {
		one("RSA PKCS#1 v1.5 SHA-256", "SHA256", 0, NULL, 1);
		one("RSA PKCS#1 v1.5 SHA-384", "SHA384", 0, NULL, 1);
		one("RSA PKCS#1 v1.5 SHA-512", "SHA512", 0, NULL, 1);
		one("RSA-PSS SHA-256", "SHA256", RSA_PKCS1_PSS_PADDING, NULL, 1);
		one("RSA-PSS SHA-384", "SHA384", RSA_PKCS1_PSS_PADDING, NULL, 1);
		one("RSA-PSS SHA-512", "SHA512", RSA_PKCS1_PSS_PADDING, NULL, 1);
		one("RSA with SHA-1 refused", "SHA1", 0, NULL, 0);
		request("SHA256", 0);
	} else if (strcmp(sc->key_type, "SM2") == 0) {
		one("SM2 with SM3, the default ID", "SM3", 0, NULL, 1);
		one("SM2 with SM3, another ID", "SM3", 0, "alice@example.com", 1);
		one("SM2 with SHA-256 refused", "SHA256", 0, NULL, 0);
		request("SM3", 1);
	} else {
		one("ECDSA SHA-256", "SHA256", 0, NULL, 1);
		one("ECDSA SHA-384", "SHA384", 0, NULL, 1);
		one("ECDSA SHA-512", "SHA512", 0, NULL, 1);
		one("ECDSA with SHA-1 refused", "SHA1", 0, NULL, 0);
		request("SHA256", 0);
	}
	EVP_PKEY_free(tk);
	X509_free(x);
	ukey_certs_free(certs, n);
	p.f->C_CloseSession(s);
	ukey_conn_close(&p);
	return fails ? 1 : 0;
}
