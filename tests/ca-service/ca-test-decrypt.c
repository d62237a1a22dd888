/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ca-test-decrypt.c: decrypts stdin on a PKCS#11 token with the private key
 * of a given CKA_ID and any mechanism number, for the renewal tests that
 * check the encryption keys the service delivered (pkcs11-tool refuses the
 * vendor CKM_SM2_ENCRYPT). The PIN is read from a file, never from argv.
 *
 *   ca-test-decrypt MODULE PIN_FILE ID_HEX MECHANISM_HEX < ciphertext > plaintext
 *
 * Exit 0 when the token decrypted, 1 otherwise (the CK_RV on stderr).
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <p11-kit/pkcs11.h>

#include "hex.h"

static int fail(const char *what, CK_RV rv)
{
	fprintf(stderr, "ca-test-decrypt: %s: rv 0x%lx\n", what, (unsigned long)rv);
	return 1;
}

int main(int argc, char **argv)
{
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_C_GetFunctionList get;
	CK_SLOT_ID slot[8];
	CK_ULONG nslot = 8, n = 0, outl;
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_OBJECT_HANDLE key;
	unsigned char id[64], in[4096], out[4096];
	char pin[64] = "";
	size_t inl;
	long idl;
	CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, id, 0 } };
	CK_MECHANISM m = { 0, NULL, 0 };
	CK_RV rv;
	FILE *pf;
	void *lib;
	int ret = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: ca-test-decrypt MODULE PIN_FILE ID_HEX MECHANISM_HEX <in >out\n");
		return 2;
	}
	if ((idl = ukc_hex_decode(argv[3], strlen(argv[3]), id, sizeof(id), NULL)) < 0)
		return 2;
	t[1].ulValueLen = (CK_ULONG)idl;
	m.mechanism = strtoul(argv[4], NULL, 16);
	pf = fopen(argv[2], "r");
	if (pf == NULL || fgets(pin, sizeof(pin), pf) == NULL) {
		if (pf)
			fclose(pf);
		return fail("cannot read the PIN file", 0);
	}
	fclose(pf);
	pin[strcspn(pin, "\r\n")] = '\0';
	inl = fread(in, 1, sizeof(in), stdin);
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	get = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
	if (get == NULL || get(&f) != CKR_OK)
		return fail("cannot load the module", 0);
	if ((rv = f->C_Initialize(NULL)) != CKR_OK)
		return fail("C_Initialize", rv);
	if ((rv = f->C_GetSlotList(CK_TRUE, slot, &nslot)) != CKR_OK || nslot == 0)
		ret = fail("no token", rv);
	else if ((rv = f->C_OpenSession(slot[0], CKF_SERIAL_SESSION, NULL, NULL, &s)) != CKR_OK)
		ret = fail("C_OpenSession", rv);
	else if ((rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin))) != CKR_OK)
		ret = fail("C_Login", rv);
	else if ((rv = f->C_FindObjectsInit(s, t, 2)) != CKR_OK || (rv = f->C_FindObjects(s, &key, 1, &n)) != CKR_OK ||
		 (rv = f->C_FindObjectsFinal(s)) != CKR_OK || n != 1)
		ret = fail("no private key with that CKA_ID", rv);
	else if ((rv = f->C_DecryptInit(s, &m, key)) != CKR_OK)
		ret = fail("C_DecryptInit", rv);
	else if (outl = sizeof(out), (rv = f->C_Decrypt(s, in, inl, out, &outl)) != CKR_OK)
		ret = fail("C_Decrypt", rv);
	else
		ret = fwrite(out, 1, outl, stdout) == outl ? 0 : 1;
	OPENSSL_cleanse(pin, sizeof(pin));
	OPENSSL_cleanse(out, sizeof(out));
	f->C_Finalize(NULL);
	return ret;
}
