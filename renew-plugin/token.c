#include "config.h"

/* token.c: slots with tokens, choosing one, PIN flags, certificate objects. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "token.h"

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

static int fill(struct ukey_p11 *p, struct ukey_token_info *t, struct ukey_err *e)
{
	CK_TOKEN_INFO ti;
	CK_RV rv = p->f->C_GetTokenInfo(t->slot, &ti);

	if (rv != CKR_OK)
		return ukey_err_set(e, UKEY_E_TOKEN, _("cannot read the U-KEY in slot %lu: %s"),
				    (unsigned long)t->slot, ukey_p11_rv_name(rv));
	padded(t->label, sizeof(t->label), ti.label, sizeof(ti.label));
	padded(t->serial, sizeof(t->serial), ti.serialNumber, sizeof(ti.serialNumber));
	padded(t->manufacturer, sizeof(t->manufacturer), ti.manufacturerID, sizeof(ti.manufacturerID));
	padded(t->model, sizeof(t->model), ti.model, sizeof(ti.model));
	t->flags = ti.flags;
	return UKEY_E_OK;
}

int ukey_token_refresh(struct ukey_p11 *p, struct ukey_token_info *t, struct ukey_err *e)
{
	return fill(p, t, e);
}

int ukey_token_list(struct ukey_p11 *p, struct ukey_token_info **out, size_t *n, struct ukey_err *e)
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

int ukey_token_select(struct ukey_p11 *p, const char *serial, struct ukey_token_info *out,
		      struct ukey_err *e)
{
	struct ukey_token_info *list;
	size_t n, i, hit = 0, found = 0;
	int ret = ukey_token_list(p, &list, &n, e);

	if (ret != UKEY_E_OK)
		return ret;
	for (i = 0; serial != NULL && i < n; i++)
		if (strcmp(list[i].serial, serial) == 0) {
			hit = i;
			found++;
		}
	if (n == 0) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("No U-KEY is inserted. Insert your U-KEY and try again."));
	} else if (serial != NULL && found == 0) {
		ret = ukey_err_set(e, UKEY_E_TOKEN, _("No inserted U-KEY has the medium number %s."), serial);
	} else if (serial == NULL && n > 1) {
		size_t used;
		ukey_err_set(e, UKEY_E_TOKEN, _("%zu U-KEYs are inserted; choose one with --serial:"), n);
		for (i = 0; i < n; i++) {
			used = strlen(e->msg);
			snprintf(e->msg + used, sizeof(e->msg) - used, "\n  %s  %s", list[i].serial,
				 list[i].label);
		}
		ret = UKEY_E_TOKEN;
	} else {
		*out = list[serial != NULL ? hit : 0];
	}
	free(list);
	return ret;
}

const char *ukey_token_pin_state(CK_FLAGS flags)
{
	if (flags & CKF_USER_PIN_LOCKED)
		return "locked";
	if (flags & CKF_USER_PIN_FINAL_TRY)
		return "final_try";
	if (flags & CKF_USER_PIN_COUNT_LOW)
		return "count_low";
	return "ok";
}

const char *ukey_token_pin_text(CK_FLAGS flags)
{
	if (flags & CKF_USER_PIN_LOCKED)
		return _("the PIN is locked: ask your CA to unlock the U-KEY");
	if (flags & CKF_USER_PIN_FINAL_TRY)
		return _("one try left: a wrong PIN now locks the U-KEY");
	if (flags & CKF_USER_PIN_COUNT_LOW)
		return _("a wrong PIN was entered: fewer tries are left");
	return _("no wrong PIN entered");
}

void ukey_certs_free(struct ukey_cert *c, size_t n)
{
	for (size_t i = 0; c != NULL && i < n; i++)
		free(c[i].der);
	free(c);
}

int ukey_token_certs(struct ukey_p11 *p, CK_SESSION_HANDLE s, struct ukey_cert **out, size_t *n,
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
	ret = ukey_p11_find(p, s, tmpl, 2, h, 64, &found, e);
	if (ret != UKEY_E_OK)
		return ret;
	list = calloc(found + 1, sizeof(*list));
	if (list == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	for (i = 0; i < found; i++) {
		struct ukey_cert *c = &list[*n];
		ret = ukey_p11_attr(p, s, h[i], CKA_VALUE, &c->der, &c->der_len, e);
		if (ret != UKEY_E_OK)
			goto out;
		if (ukey_p11_attr(p, s, h[i], CKA_ID, &v, &len, e) == UKEY_E_OK) {
			c->id_len = len < sizeof(c->id) ? len : sizeof(c->id);
			memcpy(c->id, v, c->id_len);
			free(v);
		}
		if (ukey_p11_attr(p, s, h[i], CKA_LABEL, &v, &len, e) == UKEY_E_OK) {
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
