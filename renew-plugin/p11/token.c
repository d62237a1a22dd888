/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* token.c: slots with tokens, choosing one, PIN flags, certificate objects. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hex.h"
#include "ukey-base.h"
#include "p11.h"

/* PKCS#11 pads text fields with blanks and does not terminate them. */
static void padded(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t srclen)
{
	while (srclen > 0 && (src[srclen - 1] == ' ' || src[srclen - 1] == '\0'))
		srclen--;
	if (srclen >= dstlen)
		srclen = dstlen - 1;
	memcpy(dst, src, srclen);
	dst[srclen] = '\0';
}

/* The token's info and, where the module tells them, the user PIN's tries.
 * With the vendor interface 1.1 both come from one reading of the device:
 * each reading of the PIN counters costs a real U-KEY a round trip per PIN
 * (docs/benchmarks.md). */
static int fill(struct ukey_conn *p, struct ukey_token_info *t, struct ukey_err *e)
{
	CK_TOKEN_INFO ti;
	UKEY_PIN_TRIES tr;
	int have_tries = 0;
	CK_RV rv;

	if (p->v != NULL && p->v->version.minor >= 1) {
		rv = p->v->UKEY_GetTokenInfoTries(t->slot, &ti, &tr);
		have_tries = rv == CKR_OK;
	} else {
		rv = p->f->C_GetTokenInfo(t->slot, &ti);
		/* Best effort: the flags of C_GetTokenInfo still tell the state without it. */
		have_tries = rv == CKR_OK && p->v != NULL && p->v->UKEY_GetPinTries(t->slot, CKU_USER, &tr) == CKR_OK;
	}
	if (rv != CKR_OK)
		return ukey_err_set(e, UKEY_E_TOKEN, _("cannot read the U-KEY in slot %lu: %s"),
				    (unsigned long)t->slot, ukey_p11_rv_name(rv));
	padded(t->label, sizeof(t->label), ti.label, sizeof(ti.label));
	padded(t->serial, sizeof(t->serial), ti.serialNumber, sizeof(ti.serialNumber));
	padded(t->manufacturer, sizeof(t->manufacturer), ti.manufacturerID, sizeof(ti.manufacturerID));
	padded(t->model, sizeof(t->model), ti.model, sizeof(ti.model));
	t->flags = ti.flags;
	t->tries_left = t->tries_max = -1;
	t->so_tries_left = t->so_tries_max = -1;
	/* 0 and CK_UNAVAILABLE_INFORMATION tell no bound; no PIN is longer
	 * than the 255 characters we read anyway. */
	t->min_pin_len = ti.ulMinPinLen < 256 ? ti.ulMinPinLen : 0;
	t->max_pin_len = ti.ulMaxPinLen > 0 && ti.ulMaxPinLen < 256 ? ti.ulMaxPinLen : 0;
	if (have_tries) {
		t->flags = (t->flags & ~(CK_FLAGS)(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)) |
			   tr.flags;
		if (tr.ulTriesLeft != CK_UNAVAILABLE_INFORMATION && tr.ulTriesLeft < 1000)
			t->tries_left = (long)tr.ulTriesLeft;
		if (tr.ulMaxTries != CK_UNAVAILABLE_INFORMATION && tr.ulMaxTries < 1000)
			t->tries_max = (long)tr.ulMaxTries;
	}
	return UKEY_E_OK;
}

/* The reasons of the backends that did not load, "; "-separated, in why. */
static size_t failed_backends(struct ukey_conn *p, const UKEY_MODULE_STATUS *ms, char *why, size_t len)
{
	UKEY_BACKEND_STATUS bs;
	size_t used = 0, n = 0;

	why[0] = '\0';
	for (CK_ULONG i = 0; i < ms->ulBackends && used < len; i++) {
		if (p->v->UKEY_GetBackendStatus(i, &bs) != CKR_OK)
			break;
		if (bs.loadResult == CKR_OK)
			continue;
		int w = snprintf(why + used, len - used, "%s[backend %s] %s", n++ ? "; " : "", (const char *)bs.name,
				 bs.reason[0] ? (const char *)bs.reason : ukey_p11_rv_name(bs.loadResult));
		used = w < 0 ? len : used + (size_t)w;
	}
	return n;
}

int ukey_token_no_backend(struct ukey_conn *p, struct ukey_err *e)
{
	UKEY_MODULE_STATUS ms;
	char why[sizeof(e->msg) - 160];

	if (p->v == NULL || p->v->UKEY_GetModuleStatus(&ms) != CKR_OK)
		return UKEY_E_OK;
	if (ms.configError[0] != '\0')
		snprintf(why, sizeof(why), "%s", (const char *)ms.configError);
	else if (failed_backends(p, &ms, why, sizeof(why)) == 0)
		return UKEY_E_OK;
	/* Some backend works: no U-KEY is inserted, but the one the user has
	 * may need the backend that did not load, so that is said too. */
	if (ms.configError[0] == '\0' && ms.ulBackendsLoaded > 0)
		return ukey_err_set(e, UKEY_E_TOKEN, _("No U-KEY is inserted, and the module could not load %s (see "
						       "ukey-pkcs11.conf(5), or run 'ukey doctor'). Insert your U-KEY and "
						       "try again."), ukey_tx(why));
	return ukey_err_set(e, UKEY_E_ERROR, _("the module found no backend: %s; see ukey-pkcs11.conf(5), or run "
					       "'ukey doctor'"), ukey_tx(why));
}

int ukey_token_refresh(struct ukey_conn *p, struct ukey_token_info *t, struct ukey_err *e)
{
	return fill(p, t, e);
}

int ukey_token_list(struct ukey_conn *p, struct ukey_token_info **out, size_t *n, struct ukey_err *e)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG count = 0, i;
	struct ukey_token_info *list = NULL;
	CK_RV rv;
	int ret = UKEY_E_OK;

	*out = NULL;
	*n = 0;
	rv = p->f->C_GetSlotList(CK_TRUE, NULL, &count);
	if (rv == CKR_OK && count > 0) {
		slots = calloc(count, sizeof(*slots));
		list = calloc(count, sizeof(*list));
		if (slots == NULL || list == NULL) {
			ret = ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
			goto out;
		}
		rv = p->f->C_GetSlotList(CK_TRUE, slots, &count);
	}
	if (rv != CKR_OK) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("cannot list the U-KEYs: %s"), ukey_p11_rv_name(rv));
		goto out;
	}
	for (i = 0; i < count; i++) {
		list[*n].slot = slots[i];
		/* A token pulled out between the two calls is simply skipped. */
		if (fill(p, &list[*n], e) == UKEY_E_OK)
			(*n)++;
	}
	ukey_err_clear(e);
	*out = list;
	list = NULL;
out:
	free(slots);
	free(list);
	return ret;
}

int ukey_token_select(struct ukey_conn *p, const char *serial, struct ukey_token_info *out,
		      struct ukey_err *e)
{
	struct ukey_token_info *list;
	size_t n, i, hit = 0, found = 0;
	unsigned char tail[2];
	int ret = ukey_token_list(p, &list, &n, e), last4;

	if (ret != UKEY_E_OK)
		return ret;
	for (i = 0; serial != NULL && i < n; i++)
		if (strcmp(list[i].serial, serial) == 0) {
			hit = i;
			found++;
		}
	/* The guide names a U-KEY by the last four digits of its medium number
	 * (decimal on real U-KEYs; SoftHSM's serials are hex). */
	last4 = serial != NULL && found == 0 && strlen(serial) == 4 &&
		ukc_hex_decode(serial, 4, tail, sizeof(tail), NULL) == 2;
	for (i = 0; last4 && i < n; i++) {
		size_t len = strlen(list[i].serial);
		if (len > 4 && strcmp(list[i].serial + len - 4, serial) == 0) {
			hit = i;
			found++;
		}
	}
	if (n == 0) {
		ret = ukey_token_no_backend(p, e);
		if (ret == UKEY_E_OK)
			ret = ukey_err_set(e, UKEY_E_TOKEN, _("No U-KEY is inserted. Insert your U-KEY and try again."));
	} else if (serial != NULL && found == 0) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("No inserted U-KEY has the medium number %s."), ukey_tx(serial));
	} else if (serial != NULL && found > 1) {
		ukey_err_set(e, UKEY_E_TOKEN, _("%zu inserted U-KEYs have medium numbers ending in %s; give the whole "
						"medium number with --serial:"), found, serial);
		ret = ukey_token_list_into(list, n, serial, e);
	} else if (serial == NULL && n > 1) {
		ukey_err_set(e, UKEY_E_TOKEN, _("%zu U-KEYs are inserted; choose one with --serial:"), n);
		ret = ukey_token_list_into(list, n, NULL, e);
	} else {
		*out = list[serial != NULL ? hit : 0];
	}
	free(list);
	return ret;
}

int ukey_token_list_into(const struct ukey_token_info *list, size_t n, const char *last4, struct ukey_err *e)
{
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(e->msg), len = strlen(list[i].serial);
		if (last4 != NULL && (len < 4 || strcmp(list[i].serial + len - 4, last4) != 0))
			continue;
		snprintf(e->msg + used, sizeof(e->msg) - used, "\n  %s  %s", ukey_tx(list[i].serial),
			 ukey_tx(list[i].label));
	}
	return UKEY_E_TOKEN;
}

const char *ukey_token_pin_state(const struct ukey_token_info *t)
{
	if ((t->flags & CKF_USER_PIN_LOCKED) || t->tries_left == 0)
		return "locked";
	if ((t->flags & CKF_USER_PIN_FINAL_TRY) || t->tries_left == 1)
		return "final_try";
	if ((t->flags & CKF_USER_PIN_COUNT_LOW) || (t->tries_left > 0 && t->tries_max > t->tries_left))
		return "count_low";
	return "ok";
}

const char *ukey_token_pin_text(const struct ukey_token_info *t, char *buf, size_t len)
{
	const char *state = ukey_token_pin_state(t);

	if (strcmp(state, "locked") == 0)
		snprintf(buf, len, "%s", _("the PIN is locked: unblock it with 'ukey pin unblock' (administrator PIN) "
					   "or ask your CA"));
	else if (strcmp(state, "final_try") == 0)
		snprintf(buf, len, "%s", _("1 try left: a wrong PIN now locks the U-KEY"));
	else if (t->tries_left > 0 && t->tries_max > 0)
		snprintf(buf, len, dngettext(UKEY_TEXTDOMAIN, "%ld try left of %ld", "%ld tries left of %ld",
					     (unsigned long)t->tries_left), t->tries_left, t->tries_max);
	else if (t->tries_left > 0)
		snprintf(buf, len, dngettext(UKEY_TEXTDOMAIN, "%ld try left", "%ld tries left",
					     (unsigned long)t->tries_left), t->tries_left);
	else if (strcmp(state, "count_low") == 0)
		snprintf(buf, len, "%s", _("a wrong PIN was entered: fewer tries are left (this U-KEY does not tell "
					   "how many)"));
	else
		snprintf(buf, len, "%s", _("no wrong PIN entered"));
	return buf;
}

int ukey_token_so_refresh(struct ukey_conn *p, struct ukey_token_info *t, struct ukey_err *e)
{
	const CK_FLAGS so_bits = CKF_SO_PIN_COUNT_LOW | CKF_SO_PIN_FINAL_TRY | CKF_SO_PIN_LOCKED;
	UKEY_PIN_TRIES tr;
	int ret = fill(p, t, e);

	if (ret != UKEY_E_OK || p->v == NULL || p->v->UKEY_GetPinTries(t->slot, CKU_SO, &tr) != CKR_OK)
		return ret;
	t->flags = (t->flags & ~so_bits) | (tr.flags & so_bits);
	if (tr.ulTriesLeft != CK_UNAVAILABLE_INFORMATION && tr.ulTriesLeft < 1000)
		t->so_tries_left = (long)tr.ulTriesLeft;
	if (tr.ulMaxTries != CK_UNAVAILABLE_INFORMATION && tr.ulMaxTries < 1000)
		t->so_tries_max = (long)tr.ulMaxTries;
	return UKEY_E_OK;
}

/* The administrator PIN's counter seen as a user PIN's, so its state and
 * counts are worded alike. */
static struct ukey_token_info so_as_user(const struct ukey_token_info *t)
{
	struct ukey_token_info u = *t;

	u.flags &= ~(CK_FLAGS)(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
	if (t->flags & CKF_SO_PIN_COUNT_LOW)
		u.flags |= CKF_USER_PIN_COUNT_LOW;
	if (t->flags & CKF_SO_PIN_FINAL_TRY)
		u.flags |= CKF_USER_PIN_FINAL_TRY;
	if (t->flags & CKF_SO_PIN_LOCKED)
		u.flags |= CKF_USER_PIN_LOCKED;
	u.tries_left = t->so_tries_left;
	u.tries_max = t->so_tries_max;
	return u;
}

const char *ukey_token_so_pin_state(const struct ukey_token_info *t)
{
	struct ukey_token_info u = so_as_user(t);

	return ukey_token_pin_state(&u);
}

const char *ukey_token_so_pin_text(const struct ukey_token_info *t, char *buf, size_t len)
{
	struct ukey_token_info u = so_as_user(t);
	const char *state = ukey_token_pin_state(&u);

	if (strcmp(state, "locked") == 0)
		snprintf(buf, len, "%s", _("locked: only your CA can unlock this U-KEY now"));
	else if (strcmp(state, "final_try") == 0)
		snprintf(buf, len, "%s", _("1 try left: a wrong administrator PIN now locks it, and then only your CA "
					   "can unlock the U-KEY"));
	else
		ukey_token_pin_text(&u, buf, len);
	return buf;
}

void ukey_certs_free(struct ukey_cert *c, size_t n)
{
	for (size_t i = 0; c != NULL && i < n; i++)
		free(c[i].der);
	free(c);
}

/* Signing certificates first, then by label, serial and content: the same
 * order on every run, whatever order the token lists its objects in. */
static int cert_cmp(const void *a, const void *b)
{
	const struct ukey_cert *x = a, *y = b;
	int r = (x->sign ? 0 : 1) - (y->sign ? 0 : 1);

	if (r == 0)
		r = strcmp(x->label, y->label);
	if (r == 0)
		r = strcmp(x->serial_hex, y->serial_hex);
	if (r == 0 && x->der_len != y->der_len)
		r = x->der_len < y->der_len ? -1 : 1;
	return r ? r : memcmp(x->der, y->der, x->der_len);
}

int ukey_token_certs(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_cert **out, size_t *n,
		     struct ukey_err *e)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) },
				{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) } };
	CK_OBJECT_HANDLE h[64];
	CK_ULONG found, i;
	struct ukey_cert *list = NULL;
	unsigned char *v;
	size_t len;
	int ret;

	*out = NULL;
	*n = 0;
	ret = ukey_conn_find(p, s, tmpl, 2, h, 64, &found, e);
	if (ret != UKEY_E_OK)
		return ret;
	list = calloc(found + 1, sizeof(*list));
	if (list == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	for (i = 0; i < found; i++) {
		struct ukey_cert *c = &list[*n];
		ret = ukey_conn_attr(p, s, h[i], CKA_VALUE, &c->der, &c->der_len, e);
		if (ret != UKEY_E_OK)
			goto out;
		if (ukey_conn_attr(p, s, h[i], CKA_ID, &v, &len, e) == UKEY_E_OK) {
			c->id_len = len < sizeof(c->id) ? len : sizeof(c->id);
			memcpy(c->id, v, c->id_len);
			free(v);
		}
		if (ukey_conn_attr(p, s, h[i], CKA_LABEL, &v, &len, e) == UKEY_E_OK) {
			snprintf(c->label, sizeof(c->label), "%s", (char *)v);
			free(v);
		}
		ukey_err_clear(e);
		/* A certificate OpenSSL cannot parse is skipped, not fatal. */
		if (ukey_cert_parse(c, e) != UKEY_E_OK) {
			ukey_log(UKEY_LOG_INFO, "skipping certificate '%s': %s", c->label, e->msg);
			ukey_err_clear(e);
			free(c->der);
			memset(c, 0, sizeof(*c));
			continue;
		}
		(*n)++;
	}
	if (*n > 1)
		qsort(list, *n, sizeof(*list), cert_cmp);
	*out = list;
	list = NULL;
	ret = UKEY_E_OK;
out:
	if (list != NULL)
		ukey_certs_free(list, *n + 1);
	if (ret != UKEY_E_OK)
		*n = 0;
	return ret;
}

const struct ukey_cert *ukey_certs_signing(const struct ukey_cert *c, size_t n)
{
	const struct ukey_cert *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (c[i].sign && c[i].id_len > 0 && (best == NULL || c[i].not_after > best->not_after))
			best = &c[i];
	return best;
}
