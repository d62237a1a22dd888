/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* refusals.c: everything the service or the U-KEY would refuse, asked
 * before step 1, so that nothing changes on the token for a renewal that
 * cannot happen. Each refusal is UKEY_E_WAIT with the service's code. */

#include <stdio.h>
#include <string.h>

#include "ukey-base.h"
#include "renew.h"

/* DER OID of P-256 (prime256v1), the one EC curve with an envelope format. */
static const unsigned char p256_oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

static int refuse(struct ukey_err *e, const char *code, const char *msg)
{
	int ret = ukey_err_set(e, UKEY_E_WAIT, "%s", msg);

	snprintf(e->service_code, sizeof(e->service_code), "%s", code);
	return ret;
}

/* The service's side: binding, identity, order, seals. */
static int preconditions(struct ukey_client *c, int *with_seals, int *enc, struct ukey_err *e)
{
	struct ukey_svc_status st;
	int ret = ukey_api_status(c, &st, e);

	if (ret != UKEY_E_OK)
		return ret;
	if (strcmp(st.binding, "confirmed") != 0)
		return refuse(e, "not_bound", _("the certificate is not bound to a phone account yet: run 'ukey bind'"));
	if (!st.identity_checked)
		return refuse(e, "identity_unchecked", _("the CA must check your identity before the first renewal"));
	if (strcmp(st.order.state, "used") == 0)
		return refuse(e, "order_used", _("nothing to do: the renewal order has already been used"));
	if (strcmp(st.order.state, "paid") != 0)
		return refuse(e, strcmp(st.order.state, "none") == 0 ? "order_none" : "order_unpaid",
			      strcmp(st.order.state, "none") == 0 ? _("there is no renewal order: order the renewal at the CA")
			      : strcmp(st.order.state, "awaiting_transfer") == 0
				      ? _("the bank transfer for the order is waiting for the CA's verification")
				      : _("the renewal order is not paid yet: pay it on your phone"));
	*enc = st.order.encryption;
	if (*with_seals < 0)
		*with_seals = strcmp(st.order.covers, "cert+seals") == 0;
	if (*with_seals && strcmp(st.order.covers, "cert+seals") != 0)
		return refuse(e, "order_does_not_cover",
			      _("the order covers the certificate only, not the seals: renew with --cert-only or order "
				"the seals at the CA"));
	if (strcmp(st.seals, "clean") != 0)
		return refuse(e, "seals_unclean", _("the seals must be cleaned first: run 'ukey seals clean'"));
	return UKEY_E_OK;
}

int ukey_renew_refusals(struct ukey_conn *p, CK_SESSION_HANDLE rw, struct ukey_client *c, const struct ukey_cert *old,
			const char *key_type, int *with_seals, int *enc, char *fmts, size_t fmts_len, int *known,
			struct ukey_err *e)
{
	enum ukey_renew_kind kind = UKEY_KEY_RSA;
	unsigned char ec[32];
	size_t ec_len = 0;
	CK_ULONG bits = 0;
	int ret = preconditions(c, with_seals, enc, e);

	*known = 0;
	fmts[0] = '\0';
	if (ret != UKEY_E_OK || !*enc)
		return ret;
	/* The service has envelope formats for RSA, SM2 and EC P-256 keys
	 * only (ecdh-aes-v1): another curve is refused here, before a key is
	 * made, as the service would refuse it. */
	if (ukey_renew_key_params(old->der, old->der_len, key_type, &kind, &bits, ec, &ec_len, e) == UKEY_E_OK &&
	    kind == UKEY_KEY_EC && !(ec_len == sizeof(p256_oid) && memcmp(ec, p256_oid, ec_len) == 0))
		return refuse(e, "encryption_unsupported",
			      _("the order includes an encryption certificate, which the CA cannot deliver for this EC "
				"curve: renew with --key-type rsa, ec (P-256) or sm2, or order without the encryption "
				"certificate"));
	/* Which envelope the token opens (an RSA key: rsa-oaep-aes-v1 on a
	 * PKCS#11 backend, skf-rsa-envelope-v1 on SKF): none is refused here,
	 * never at step 5 after the certificate was issued. */
	ret = ukey_renew_enc_formats(p, rw, kind, old->id, old->id_len, fmts, fmts_len, known, e);
	if (ret == UKEY_E_OK && *known && fmts[0] == '\0')
		ret = refuse(e, "encryption_unsupported",
			     _("the order includes an encryption certificate, which this U-KEY cannot import for its "
			       "key type: order without the encryption certificate"));
	return ret;
}
