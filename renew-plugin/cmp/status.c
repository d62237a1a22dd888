/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* status.c: what the CA said (PKIStatusInfo) in words a user can act on:
 * the status, each failInfo bit by its RFC 4210 name (what a CA operator
 * will search for) with what it means for the renewal, then the CA's own
 * statusString. */

#include <stdio.h>
#include <string.h>

#include "cmp/cmp.h"
#include "ukey-base.h"

static const char *const fail_names[OSSL_CMP_PKIFAILUREINFO_MAX + 1] = {
	"badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId", "badDataFormat", "wrongAuthority",
	"incorrectData", "missingTimeStamp", "badPOP", "certRevoked", "certConfirmed", "wrongIntegrity",
	"badRecipientNonce", "timeNotAvailable", "unacceptedPolicy", "unacceptedExtension", "addInfoNotAvailable",
	"badSenderNonce", "badCertTemplate", "signerNotTrusted", "transactionIdInUse", "unsupportedVersion",
	"notAuthorized", "systemUnavail", "systemFailure", "duplicateCertReq",
};

static const char *fail_words(int bit)
{
	switch (bit) {
	case OSSL_CMP_PKIFAILUREINFO_badAlg: return _("the CA does not accept the signature algorithm");
	case OSSL_CMP_PKIFAILUREINFO_badMessageCheck:
		return _("the signature made with your current certificate did not verify at the CA");
	case OSSL_CMP_PKIFAILUREINFO_badRequest: return _("the CA does not allow or support this request");
	case OSSL_CMP_PKIFAILUREINFO_badTime: return _("the request's time is too far from the CA's clock");
	case OSSL_CMP_PKIFAILUREINFO_badCertId: return _("the CA does not know the certificate being renewed");
	case OSSL_CMP_PKIFAILUREINFO_badDataFormat: return _("the CA could not read the request");
	case OSSL_CMP_PKIFAILUREINFO_wrongAuthority: return _("this CA did not issue your certificate");
	case OSSL_CMP_PKIFAILUREINFO_incorrectData: return _("the request's data are wrong");
	case OSSL_CMP_PKIFAILUREINFO_missingTimeStamp: return _("the request carries no time");
	case OSSL_CMP_PKIFAILUREINFO_badPOP: return _("the proof that the new key is on your U-KEY did not verify");
	case OSSL_CMP_PKIFAILUREINFO_certRevoked: return _("your current certificate is revoked");
	case OSSL_CMP_PKIFAILUREINFO_certConfirmed: return _("the certificate was confirmed already");
	case OSSL_CMP_PKIFAILUREINFO_wrongIntegrity: return _("the CA wants another kind of protection");
	case OSSL_CMP_PKIFAILUREINFO_badRecipientNonce: return _("a message did not answer the CA's last one");
	case OSSL_CMP_PKIFAILUREINFO_timeNotAvailable: return _("the CA has no time source");
	case OSSL_CMP_PKIFAILUREINFO_unacceptedPolicy: return _("the CA does not accept the policy asked for");
	case OSSL_CMP_PKIFAILUREINFO_unacceptedExtension: return _("the CA does not accept an extension asked for");
	case OSSL_CMP_PKIFAILUREINFO_addInfoNotAvailable: return _("the CA lacks information it needs");
	case OSSL_CMP_PKIFAILUREINFO_badSenderNonce: return _("the request's nonce was refused");
	case OSSL_CMP_PKIFAILUREINFO_badCertTemplate:
		return _("the CA does not accept the certificate asked for (subject, key or extensions)");
	case OSSL_CMP_PKIFAILUREINFO_signerNotTrusted: return _("the CA does not trust your current certificate");
	case OSSL_CMP_PKIFAILUREINFO_transactionIdInUse: return _("the CA is busy with this transaction already");
	case OSSL_CMP_PKIFAILUREINFO_unsupportedVersion: return _("the CA does not speak this CMP version");
	case OSSL_CMP_PKIFAILUREINFO_notAuthorized: return _("you are not authorised for this at the CA");
	case OSSL_CMP_PKIFAILUREINFO_systemUnavail: return _("the CA's system is unavailable; try again later");
	case OSSL_CMP_PKIFAILUREINFO_systemFailure: return _("the CA's system failed; try again later");
	case OSSL_CMP_PKIFAILUREINFO_duplicateCertReq: return _("the CA issued a certificate for this key already");
	default: return "?";
	}
}

static const char *status_words(int status)
{
	switch (status) {
	case OSSL_CMP_PKISTATUS_accepted: return _("the CA accepted the request");
	case OSSL_CMP_PKISTATUS_grantedWithMods: return _("the CA accepted the request with changes");
	case OSSL_CMP_PKISTATUS_rejection: return _("the CA refused the request");
	case OSSL_CMP_PKISTATUS_waiting: return _("the CA has not decided yet (waiting)");
	case OSSL_CMP_PKISTATUS_revocationWarning: return _("the CA warns of a coming revocation");
	case OSSL_CMP_PKISTATUS_revocationNotification: return _("the CA reports a revocation");
	case OSSL_CMP_PKISTATUS_keyUpdateWarning: return _("the CA warns of a key update");
	default: return _("the CA gave no status");
	}
}

static void add(char *buf, size_t len, size_t *at, const char *s)
{
	int n;

	if (*at >= len)
		return;
	n = snprintf(buf + *at, len - *at, "%s", s);
	*at = n < 0 ? len : *at + (size_t)n;
}

void ukey_cmp_status_words(int status, int failinfo, const OSSL_CMP_PKIFREETEXT *text, char *buf, size_t len)
{
	size_t at = 0;
	int first = 1;
	char one[400];

	buf[0] = '\0';
	add(buf, len, &at, status_words(status));
	for (int bit = 0; bit <= OSSL_CMP_PKIFAILUREINFO_MAX; bit++) {
		if (failinfo < 0 || !(failinfo & (1 << bit)))
			continue;
		snprintf(one, sizeof(one), "%s%s (%s)", first ? ": " : "; ", fail_names[bit], fail_words(bit));
		add(buf, len, &at, one);
		first = 0;
	}
	for (int i = 0; i < sk_ASN1_UTF8STRING_num(text); i++) {
		const ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(text, i);
		snprintf(one, sizeof(one), i == 0 ? _("; the CA says: \"%.*s\"") : " \"%.*s\"",
			 ASN1_STRING_length(s) > 300 ? 300 : ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
		add(buf, len, &at, one);
	}
}
