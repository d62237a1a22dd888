/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fixture the SKF driver's own tests share (include it after testlib.h
 * and ukey-pkcs11.h): a fresh SM2 virtual U-KEY on the SKF emulator and
 * the module loaded, p11, dl and tok file-scope; skf_app names the device
 * application's directory, for tests that look at what the device holds. */
#ifndef UKEY_TEST_SKF_FIXTURE_H
#define UKEY_TEST_SKF_FIXTURE_H

static CK_FUNCTION_LIST *p11;
static void *dl;
static struct ukt_token tok;
static char skf_app[800];

static int group_setup(void **state)
{
	(void)state;
	setenv("UKEY_TEST_BACKEND", "skf", 1);
	if (ukt_vkey_create("sm2", &tok) != 0)
		return -1;
	snprintf(skf_app, sizeof(skf_app), "%s/apps/UKEY", tok.device);
	p11 = ukt_module_load(&dl);
	return p11 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (p11)
		p11->C_Finalize(NULL);
	ukt_vkey_destroy(&tok);
	if (dl)
		dlclose(dl);
	return 0;
}

#endif
