/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* doctor-checks.c: the checks that go through the module (its own account
 * of its configuration and backends, from the vendor interface: the same
 * reading the module made, not a second parser of its file) and through
 * the service (a protocol request with TLS verification on). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "doctor.h"

static void backends(struct ukey_doctor *d, const UKEY_MODULE_STATUS *ms)
{
	const char *conf = (const char *)ms->configPath;

	for (CK_ULONG i = 0; i < ms->ulBackends; i++) {
		UKEY_BACKEND_STATUS bs;
		char check[96], fix[512];

		if (d->p11.v->UKEY_GetBackendStatus(i, &bs) != CKR_OK)
			break;
		snprintf(check, sizeof(check), "backend %s", ukey_tx((const char *)bs.name));
		if (bs.loadResult == CKR_OK) {
			ukey_doctor_line(d, check, UKEY_DOCTOR_OK, NULL,
					 dngettext(UKEY_TEXTDOMAIN, "driver %s, %s: loaded, %lu device present",
						   "driver %s, %s: loaded, %lu devices present", (unsigned long)bs.ulDevices),
					 ukey_tx((const char *)bs.driver), ukey_tx((const char *)bs.library),
					 (unsigned long)bs.ulDevices);
			continue;
		}
		if (strcmp((const char *)bs.driver, "p11") != 0 && strcmp((const char *)bs.driver, "skf") != 0)
			snprintf(fix, sizeof(fix), _("set 'driver = p11' or 'driver = skf' in [backend %s] of %s"),
				 ukey_tx((const char *)bs.name), ukey_tx(conf));
		else
			snprintf(fix, sizeof(fix), _("install the U-KEY vendor's library, or correct 'library =' in "
						     "[backend %s] of %s"), ukey_tx((const char *)bs.name), ukey_tx(conf));
		ukey_doctor_line(d, check, UKEY_DOCTOR_FAIL, fix, "%s",
				 ukey_tx(bs.reason[0] ? (const char *)bs.reason : ukey_p11_rv_name(bs.loadResult)));
	}
}

static void tokens(struct ukey_doctor *d)
{
	struct ukey_token_info *t = NULL;
	struct ukey_err e;
	size_t n = 0;

	ukey_err_clear(&e);
	if (ukey_token_list(&d->p11, &t, &n, &e) != UKEY_E_OK) {
		ukey_doctor_line(d, "U-KEY", UKEY_DOCTOR_FAIL, _("run 'ukey doctor' again with UKEY_LOG=debug for details"),
				 "%s", ukey_tx(e.msg));
		return;
	}
	if (n == 0)
		ukey_doctor_line(d, "U-KEY", UKEY_DOCTOR_WARN, _("insert your U-KEY"), "%s", _("no U-KEY is inserted"));
	for (size_t i = 0; i < n; i++) {
		const char *state = ukey_token_pin_state(&t[i]);
		char pin[160], check[64];
		CK_SESSION_HANDLE s;
		struct ukey_cert *certs = NULL;
		size_t nc = 0;

		snprintf(check, sizeof(check), "U-KEY %s", ukey_tx(t[i].serial));
		ukey_doctor_line(d, check,
				 strcmp(state, "locked") == 0 || strcmp(state, "final_try") == 0 ? UKEY_DOCTOR_WARN
				 : n > 1 ? UKEY_DOCTOR_WARN : UKEY_DOCTOR_OK,
				 strcmp(state, "locked") == 0
					 ? _("run 'ukey pin unblock' (needs the administrator PIN) or ask your CA")
				 : n > 1 ? _("the renewal works on one U-KEY at a time: take out the others before "
					     "'ukey renew'")
					 : NULL,
				 _("\"%s\" (%s %s), PIN: %s"), ukey_tx(t[i].label), ukey_tx(t[i].manufacturer),
				 ukey_tx(t[i].model), ukey_token_pin_text(&t[i], pin, sizeof(pin)));
		/* The certificates' start tells a clock that is behind. */
		if (d->p11.f->C_OpenSession(t[i].slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
			continue;
		if (ukey_token_certs(&d->p11, s, &certs, &nc, &e) == UKEY_E_OK) {
			const struct ukey_cert *sign = ukey_certs_signing(certs, nc);
			if (sign != NULL && sign->not_before > d->not_before)
				d->not_before = sign->not_before;
		}
		ukey_certs_free(certs, nc);
		d->p11.f->C_CloseSession(s);
	}
	free(t);
}

void ukey_doctor_module(struct ukey_doctor *d)
{
	UKEY_MODULE_STATUS ms;
	struct ukey_err e;
	const char *path = d->module_arg ? d->module_arg : d->conf.module;

	ukey_err_clear(&e);
	if (ukey_conn_open(&d->p11, path, &e) != UKEY_E_OK) {
		ukey_doctor_line(d, "module", UKEY_DOCTOR_FAIL,
				 _("install ukey-pkcs11, or name the module with [module] path in ukey.conf or UKEY_MODULE"),
				 "%s", ukey_tx(e.msg));
		return;
	}
	if (realpath(path, d->module_real) == NULL)
		snprintf(d->module_real, sizeof(d->module_real), "%s", path);
	if (d->p11.v == NULL || d->p11.v->UKEY_GetModuleStatus(&ms) != CKR_OK) {
		ukey_doctor_line(d, "module", UKEY_DOCTOR_WARN, NULL,
				 _("%s is not ukey-pkcs11: its configuration and backends cannot be checked"), ukey_tx(path));
		tokens(d);
		return;
	}
	ukey_doctor_line(d, "module", UKEY_DOCTOR_OK, NULL, _("%s: loaded"), ukey_tx(d->module_real));
	if (ms.configError[0] != '\0')
		ukey_doctor_line(d, "module config", UKEY_DOCTOR_FAIL,
				 _("create or correct it: one [backend NAME] section with driver and library, see "
				   "ukey-pkcs11.conf(5)"),
				 "%s", ukey_tx((const char *)ms.configError));
	else
		ukey_doctor_line(d, "module config", UKEY_DOCTOR_OK, NULL,
				 dngettext(UKEY_TEXTDOMAIN, "%s: %lu backend", "%s: %lu backends",
					   (unsigned long)ms.ulBackends),
				 ukey_tx((const char *)ms.configPath), (unsigned long)ms.ulBackends);
	backends(d, &ms);
	tokens(d);
}

/* The CA file: readable, certificates in PEM, each within its validity. */
static int ca_file(struct ukey_doctor *d)
{
	const char *ca = d->conf.service_ca;
	FILE *f = fopen(ca, "r");
	X509 *x;
	int n = 0, expired = 0;

	if (f == NULL) {
		const char *why = strerror(errno);
		ukey_doctor_line(d, "service CA", UKEY_DOCTOR_FAIL,
				 _("set [service] ca in ukey.conf (or UKEY_SERVICE_CA) to the CA's certificate file"),
				 _("cannot read %s: %s"), ukey_tx(ca), why);
		return -1;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		n++;
		expired += X509_cmp_current_time(X509_get0_notAfter(x)) < 0;
		X509_free(x);
	}
	fclose(f);
	if (n == 0) {
		ukey_doctor_line(d, "service CA", UKEY_DOCTOR_FAIL, _("the file must hold the CA's certificate in PEM"),
				 _("%s holds no PEM certificate"), ukey_tx(ca));
		return -1;
	}
	if (expired)
		ukey_doctor_line(d, "service CA", UKEY_DOCTOR_WARN, _("get the CA's current certificate"),
				 _("%s: %d of its %d certificates have expired"), ukey_tx(ca), expired, n);
	else
		ukey_doctor_line(d, "service CA", UKEY_DOCTOR_OK, NULL,
				 dngettext(UKEY_TEXTDOMAIN, "%s: %d certificate", "%s: %d certificates", (unsigned long)n),
				 ukey_tx(ca), n);
	return 0;
}

void ukey_doctor_service(struct ukey_doctor *d)
{
	struct ukey_probe p;
	struct ukey_err e;

	if (d->conf.service_url[0] == '\0') {
		ukey_doctor_line(d, "service", UKEY_DOCTOR_WARN,
				 _("set [service] url and ca in ukey.conf (or UKEY_SERVICE_URL, UKEY_SERVICE_CA)"), "%s",
				 _("no CA service configured: bind, order, invoices, seals and renew need a CA service that "
				   "speaks docs/protocol.md"));
		return;
	}
	if (ca_file(d) != 0)
		return;
	ukey_err_clear(&e);
	switch (ukey_api_probe(&d->conf, &p, &e)) {
	case UKEY_PROBE_BAD_URL:
		ukey_doctor_line(d, "service", UKEY_DOCTOR_FAIL, _("correct [service] url in ukey.conf"), "%s",
				 ukey_tx(e.msg));
		break;
	case UKEY_PROBE_UNREACHABLE:
		ukey_doctor_line(d, "service", UKEY_DOCTOR_FAIL,
				 _("check the URL and the network; [service] ca must be the CA that issued the service's "
				   "TLS certificate"),
				 "%s", ukey_tx(e.msg));
		break;
	case UKEY_PROBE_NOT_PROTOCOL:
		ukey_doctor_line(d, "service", UKEY_DOCTOR_FAIL,
				 _("the URL must be a CA service that speaks docs/protocol.md"),
				 _("%s answers, but not as docs/protocol.md says (HTTP %ld)"), ukey_tx(p.base), p.status);
		break;
	case UKEY_PROBE_OK:
		ukey_doctor_line(d, "service", UKEY_DOCTOR_OK, NULL, _("%s answers (TLS verified)"), ukey_tx(p.base));
		d->service_date = p.date;
		break;
	}
}

void ukey_doctor_clock(struct ukey_doctor *d)
{
	time_t now = time(NULL);
	char when[16];
	long off;

	if (d->service_date != 0) {
		off = (long)difftime(now, d->service_date);
		if (labs(off) <= 300)
			ukey_doctor_line(d, "clock", UKEY_DOCTOR_OK, NULL, _("within %ld s of the service's clock"), labs(off));
		else
			ukey_doctor_line(d, "clock", UKEY_DOCTOR_FAIL,
					 _("set the clock right (timedatectl set-ntp true): certificates and the service's "
					   "requests depend on it"),
					 off > 0 ? _("%ld s ahead of the service's clock") : _("%ld s behind the service's clock"),
					 labs(off));
		return;
	}
	if (d->not_before > now + 300) {
		ukey_doctor_line(d, "clock", UKEY_DOCTOR_FAIL, _("set the clock right (timedatectl set-ntp true)"),
				 _("the clock is behind: the U-KEY's certificate starts on %s, after now"),
				 ukey_cli_date(d->not_before, when, sizeof(when)));
		return;
	}
	ukey_doctor_line(d, "clock", UKEY_DOCTOR_OK, NULL, _("%s; no service to compare it with"),
			 ukey_cli_date(now, when, sizeof(when)));
}
