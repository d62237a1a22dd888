/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* api-token.c: the U-KEY as the first page shows it (GET /api/token: no
 * login, public objects only, read in a session of its own so it answers
 * while a renewal runs), its seals' pictures, and the one login of the
 * assistant's session. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "assistant.h"
#include "cli.h"

#define PIN_MAX 256

void asst_api_session(struct asst_req *q, struct asst_resp *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "csrf", json_object_new_string(q->a->csrf));
	json_object_object_add(o, "locale", json_object_new_string(q->a->locale));
	json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "serial", q->a->o.serial ? json_object_new_string(q->a->o.serial) : NULL);
	asst_json(r, 200, o);
}

/* The subject's CN (RFC 2253 text: "CN=...,O=...", "\," escaped). */
static void holder(const char *subject, char *out, size_t len)
{
	const char *p = subject;
	size_t n = 0;

	out[0] = '\0';
	while (p != NULL && strncmp(p, "CN=", 3) != 0) {
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	if (p == NULL)
		return;
	for (p += 3; *p && *p != ',' && n + 1 < len; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
}

json_object *asst_cert_json(const struct ukey_cert *c)
{
	json_object *o = ukey_cli_cert_json(c);
	char h[256];

	holder(c->subject, h, sizeof(h));
	json_object_object_add(o, "holder", json_object_new_string(h));
	return o;
}

static json_object *pin_json(const struct ukey_token_info *t)
{
	json_object *o = json_object_new_object();
	char text[200];

	json_object_object_add(o, "state", json_object_new_string(ukey_token_pin_state(t)));
	json_object_object_add(o, "tries_left", t->tries_left >= 0 ? json_object_new_int64(t->tries_left) : NULL);
	json_object_object_add(o, "tries_max", t->tries_max > 0 ? json_object_new_int64(t->tries_max) : NULL);
	json_object_object_add(o, "text", json_object_new_string(ukey_token_pin_text(t, text, sizeof(text))));
	return o;
}

static const char *picture_kind(const struct ukey_token_seal *ts, size_t nt, const char *sha256)
{
	static const char *const kinds[] = { "unknown", "png", "gif", "jpeg", "bmp", "svg", "ofd" };
	struct ukey_seal *seal = NULL;
	const char *k = "unknown";

	for (size_t i = 0; i < nt; i++)
		if (strcmp(ts[i].sha256, sha256) == 0 && ukey_seal_decode(ts[i].der, ts[i].len, &seal, NULL) == 0) {
			if ((unsigned)seal->picture.sniffed < sizeof(kinds) / sizeof(kinds[0]))
				k = kinds[seal->picture.sniffed];
			ukey_seal_free(seal);
			break;
		}
	return k;
}

json_object *asst_token_json(struct asst *a, const struct ukey_token_info *t, CK_SESSION_HANDLE s)
{
	json_object *o = json_object_new_object(), *certs = json_object_new_array(), *seals = json_object_new_array();
	struct ukey_cert *c = NULL;
	struct ukey_seal_view *v = NULL;
	struct ukey_token_seal *ts = NULL;
	size_t nc = 0, nv = 0, nt = 0, sl = strlen(t->serial);
	struct ukey_err e;
	int logged_in;

	json_object_object_add(o, "serial", json_object_new_string(t->serial));
	json_object_object_add(o, "medium_last4", json_object_new_string(t->serial + (sl > 4 ? sl - 4 : 0)));
	json_object_object_add(o, "label", json_object_new_string(t->label));
	json_object_object_add(o, "pin", pin_json(t));
	pthread_mutex_lock(&a->lock);
	logged_in = a->logged_in && strcmp(a->tok.serial, t->serial) == 0;
	pthread_mutex_unlock(&a->lock);
	json_object_object_add(o, "logged_in", json_object_new_boolean(logged_in));
	json_object_object_add(o, "dialog_available",
			       json_object_new_boolean((t->flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0));
	if (ukey_token_certs(&a->p11, s, &c, &nc, &e) == UKEY_E_OK)
		for (size_t i = 0; i < nc; i++)
			json_object_array_add(certs, asst_cert_json(&c[i]));
	ukey_certs_free(c, nc);
	json_object_object_add(o, "certs", certs);
	if (ukey_seals_view_list(&a->p11, s, &v, &nv, &e) == UKEY_E_OK &&
	    ukey_seal_list_token(&a->p11, s, &ts, &nt, &e) == UKEY_E_OK) {
		for (size_t i = 0; i < nv; i++) {
			json_object *j = json_object_new_object();
			json_object_object_add(j, "index", json_object_new_int64((int64_t)i + 1));
			json_object_object_add(j, "name", json_object_new_string(v[i].name));
			json_object_object_add(j, "type", json_object_new_int(v[i].type));
			json_object_object_add(j, "type_name", json_object_new_string(v[i].type_name));
			json_object_object_add(j, "valid_from", json_object_new_int64(v[i].valid_from));
			json_object_object_add(j, "valid_to", json_object_new_int64(v[i].valid_to));
			json_object_object_add(j, "status", json_object_new_string(v[i].status));
			json_object_object_add(j, "sha256", json_object_new_string(v[i].sha256));
			json_object_object_add(j, "picture", json_object_new_string(picture_kind(ts, nt, v[i].sha256)));
			json_object_array_add(seals, j);
		}
	}
	free(v);
	ukey_token_seals_free(ts, nt);
	json_object_object_add(o, "seals", seals);
	return o;
}

static int matches(const char *serial, const struct ukey_token_info *t)
{
	size_t n = serial ? strlen(serial) : 0, m = strlen(t->serial);

	return serial == NULL || strcmp(serial, t->serial) == 0 || (n == 4 && m >= 4 && strcmp(t->serial + m - 4, serial) == 0);
}

/* The keys present: state, the list, and the chosen one in *one. */
static const char *present(struct asst *a, json_object *o, struct ukey_token_info *one)
{
	struct ukey_token_info *list = NULL;
	json_object *arr = json_object_new_array();
	struct ukey_err e;
	size_t n = 0, hits = 0;
	const char *state, *msg;

	if (!a->module_ok) {
		json_object_object_add(o, "tokens", arr);
		json_object_object_add(o, "message", json_object_new_string(a->module_msg));
		return "no_module";
	}
	if (ukey_token_list(&a->p11, &list, &n, &e) != UKEY_E_OK)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "serial", json_object_new_string(list[i].serial));
		json_object_object_add(t, "label", json_object_new_string(list[i].label));
		json_object_array_add(arr, t);
		if (matches(a->o.serial, &list[i]) && hits++ == 0)
			*one = list[i];
	}
	json_object_object_add(o, "tokens", arr);
	/* The guide: one key at a time, even when the one wanted is known. */
	if (n > 1) {
		state = "several", msg = _("More than one U-KEY is inserted: take out all but the one to renew.");
	} else if (hits == 1) {
		state = "one", msg = "";
	} else if (n == 1) {
		state = "none", msg = _("This is not the U-KEY asked for: insert the U-KEY with the medium number given.");
	} else if (ukey_token_no_backend(&a->p11, &e) == UKEY_E_ERROR) {
		state = "no_module", msg = e.msg;
	} else {
		state = "none", msg = _("Insert your U-KEY.");
	}
	json_object_object_add(o, "message", json_object_new_string(msg));
	free(list);
	return state;
}

json_object *asst_token_brief(struct asst *a, const char *what)
{
	json_object *o = json_object_new_object(), *scratch = json_object_new_object(), *m = NULL;
	struct ukey_token_info one;
	const char *state = present(a, scratch, &one);
	int is_one = strcmp(state, "one") == 0;

	json_object_object_add(o, "what", json_object_new_string(what));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "serial", is_one ? json_object_new_string(one.serial) : NULL);
	json_object_object_add(o, "label", is_one ? json_object_new_string(one.label) : NULL);
	json_object_object_get_ex(scratch, "message", &m);
	json_object_object_add(o, "message", json_object_get(m));
	json_object_put(scratch);
	return o;
}

void asst_api_token(struct asst_req *q, struct asst_resp *r)
{
	struct asst *a = q->a;
	json_object *o = json_object_new_object(), *tok = NULL;
	struct ukey_token_info one;
	const char *state = present(a, o, &one);
	CK_SESSION_HANDLE s;

	if (strcmp(state, "one") == 0 &&
	    a->p11.f->C_OpenSession(one.slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK) {
		tok = asst_token_json(a, &one, s);
		a->p11.f->C_CloseSession(s);
	}
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "token", tok);
	asst_json(r, 200, o);
}

void asst_api_seal_picture(struct asst_req *q, struct asst_resp *r)
{
	static const char *const types[] = { NULL, "image/png", "image/gif", "image/jpeg", "image/bmp", NULL, NULL };
	struct asst *a = q->a;
	const char *want = asst_query(q, "sha256");
	json_object *o = json_object_new_object();
	struct ukey_token_info one;
	struct ukey_token_seal *ts = NULL;
	struct ukey_seal *seal = NULL;
	struct ukey_err e;
	CK_SESSION_HANDLE s;
	size_t nt = 0;
	int found = 0;

	if (want != NULL && strcmp(present(a, o, &one), "one") == 0 &&
	    a->p11.f->C_OpenSession(one.slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK) {
		if (ukey_seal_list_token(&a->p11, s, &ts, &nt, &e) != UKEY_E_OK)
			nt = 0;
		a->p11.f->C_CloseSession(s);
	}
	json_object_put(o);
	for (size_t i = 0; i < nt && !found; i++)
		found = strcmp(ts[i].sha256, want) == 0 && ukey_seal_decode(ts[i].der, ts[i].len, &seal, NULL) == 0;
	ukey_token_seals_free(ts, nt);
	if (!found) {
		asst_error(r, 404, "not_found", "%s", _("no seal on the U-KEY has this picture"));
		return;
	}
	if ((unsigned)seal->picture.sniffed < sizeof(types) / sizeof(types[0]) && types[seal->picture.sniffed] &&
	    (r->body = malloc(seal->picture.data.len + 1)) != NULL) {
		memcpy(r->body, seal->picture.data.p, seal->picture.data.len);
		r->len = seal->picture.data.len;
		r->ctype = types[seal->picture.sniffed];
		r->status = 200;
	} else {
		json_object_object_add(asst_error(r, 415, "unsupported_picture", "%s",
						  _("a browser cannot show this seal's picture")),
				       "format", json_object_new_string(ukey_seal_pic_ext(seal->picture.sniffed)));
	}
	ukey_seal_free(seal);
}

int asst_token_open(struct asst *a, struct ukey_err *e)
{
	CK_RV rv;
	int ret;

	if (a->have_session)
		return UKEY_E_OK;
	ret = ukey_token_select(&a->p11, a->o.serial, &a->tok, e);
	if (ret != UKEY_E_OK)
		return ret;
	rv = a->p11.f->C_OpenSession(a->tok.slot, CKF_SERIAL_SESSION, NULL, NULL, &a->s);
	if (rv != CKR_OK)
		return ukey_err_set(e, UKEY_E_TOKEN, _("cannot open a session with U-KEY %s: %s"), a->tok.serial,
				    ukey_p11_rv_name(rv));
	a->have_session = 1;
	pthread_mutex_lock(&a->lock);
	snprintf(a->session_serial, sizeof(a->session_serial), "%s", a->tok.serial);
	pthread_mutex_unlock(&a->lock);
	return ukey_token_certs(&a->p11, a->s, &a->certs, &a->ncerts, e);
}

void asst_token_close(struct asst *a)
{
	ukey_client_free(a->client);
	a->client = NULL;
	ukey_certs_free(a->certs, a->ncerts);
	a->certs = NULL;
	a->ncerts = 0;
	if (a->have_session) {
		if (a->logged_in)
			a->p11.f->C_Logout(a->s);
		a->p11.f->C_CloseSession(a->s);
	}
	a->have_session = 0;
	pthread_mutex_lock(&a->lock);
	a->logged_in = 0;
	a->session_serial[0] = '\0';
	pthread_mutex_unlock(&a->lock);
	if (a->have_seals)
		ukey_clean_list_free(&a->seals);
	a->have_seals = 0;
}

static void login_refused(struct asst_resp *r, const struct ukey_pin_outcome *out, const struct ukey_token_info *t,
			  const struct ukey_err *e)
{
	static const struct {
		const char *reason, *code;
		int status;
	} map[] = {
		{ "wrong_pin", "wrong_pin", 403 }, { "locked", "pin_locked", 409 }, { "final_try", "final_try", 409 },
		{ "cancelled", "cancelled", 410 }, { "no_pin", "invalid", 400 },
	};
	json_object *o = NULL;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]) && o == NULL; i++)
		if (out->reason != NULL && strcmp(out->reason, map[i].reason) == 0)
			o = asst_error(r, map[i].status, map[i].code, "%s", e->msg);
	if (o == NULL)
		o = asst_error_from(r, e);
	json_object_object_add(o, "tries_left", t->tries_left >= 0 ? json_object_new_int64(t->tries_left) : NULL);
	json_object_object_add(o, "tries_max", t->tries_max > 0 ? json_object_new_int64(t->tries_max) : NULL);
}

/* No key, several, or another trouble with the one: what the page acts on. */
static void token_refusal(struct asst *a, struct asst_resp *r, const struct ukey_err *e)
{
	struct ukey_token_info *list = NULL;
	struct ukey_err le;
	size_t n = 1;

	if (ukey_token_list(&a->p11, &list, &n, &le) != UKEY_E_OK)
		n = 1;
	free(list);
	if (n == 0 && e->code == UKEY_E_ERROR) /* the module has no working backend */
		asst_error(r, 503, "no_module", "%s", e->msg);
	else if (n == 0 || n > 1)
		asst_error(r, 409, n == 0 ? "no_token" : "several_tokens", "%s", e->msg);
	else
		asst_error_from(r, e);
}

static void logged_in(struct asst *a, struct asst_resp *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "logged_in", json_object_new_boolean(1));
	json_object_object_add(o, "token", asst_token_json(a, &a->tok, a->s));
	asst_json(r, 200, o);
}

static void login_get(struct asst_req *q, struct asst_resp *r)
{
	struct asst *a = q->a;
	json_object *o = json_object_new_object(), *scratch = json_object_new_object();
	struct ukey_token_info one;
	int in, dialog;

	dialog = strcmp(present(a, scratch, &one), "one") == 0 && (one.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
	json_object_put(scratch);
	pthread_mutex_lock(&a->lock);
	in = a->logged_in;
	pthread_mutex_unlock(&a->lock);
	json_object_object_add(o, "logged_in", json_object_new_boolean(in));
	json_object_object_add(o, "dialog_available", json_object_new_boolean(dialog));
	asst_json(r, 200, o);
}

void asst_api_login(struct asst_req *q, struct asst_resp *r)
{
	struct asst *a = q->a;
	char pin[PIN_MAX];
	size_t len = 0;
	int dialog = 0, accept = 0, ret;
	json_object *v = NULL;
	struct ukey_pin_outcome out = { 0 };
	struct ukey_err e;

	if (strcmp(q->method, "POST") != 0) {
		login_get(q, r);
		return;
	}
	/* The PIN leaves the request at once: copied out, the parsed copy
	 * and the raw body wiped before anything else happens. */
	if (json_object_object_get_ex(q->json, "pin", &v) && json_object_is_type(v, json_type_string)) {
		char *js = (char *)json_object_get_string(v);
		len = strlen(js);
		if (len < sizeof(pin))
			memcpy(pin, js, len);
		OPENSSL_cleanse(js, len);
	}
	OPENSSL_cleanse(q->body, q->len);
	if (asst_get_bool(q, r, "dialog", &dialog) < 0 || asst_get_bool(q, r, "accept_final_try", &accept) < 0)
		goto out;
	if (!dialog && (v == NULL || len == 0 || len >= sizeof(pin))) {
		json_object_object_add(asst_error(r, 400, "invalid", "%s", _("type the PIN (certificate password)")),
				       "field", json_object_new_string("pin"));
		goto out;
	}
	if (asst_work_begin(q, r, 0) != 0)
		goto out;
	ukey_err_clear(&e);
	ret = asst_token_open(a, &e);
	if (ret != UKEY_E_OK) {
		token_refusal(a, r, &e);
		goto done;
	}
	if (a->logged_in) {
		logged_in(a, r);
		goto done;
	}
	/* The service configured first: no PIN is tried for nothing. */
	if (ret == UKEY_E_OK && a->client == NULL)
		ret = ukey_client_new(&a->conf, &a->client, &e);
	if (ret != UKEY_E_OK) {
		asst_error_from(r, &e);
		goto done;
	}
	ret = ukey_pin_login_given(&a->p11, a->s, &a->tok, dialog ? NULL : pin, dialog ? 0 : len, accept, &out, &e);
	if (ret != UKEY_E_OK) {
		login_refused(r, &out, &a->tok, &e);
		goto done;
	}
	pthread_mutex_lock(&a->lock);
	a->logged_in = 1;
	pthread_mutex_unlock(&a->lock);
	ret = ukey_client_sign_with(a->client, &a->p11, a->s, a->certs, a->ncerts, &e);
	if (ret != UKEY_E_OK) {
		asst_token_close(a);
		asst_error_from(r, &e);
		goto done;
	}
	logged_in(a, r);
done:
	asst_work_end(a);
out:
	OPENSSL_cleanse(pin, sizeof(pin));
}

void asst_api_logout(struct asst_req *q, struct asst_resp *r)
{
	json_object *o;

	if (asst_work_begin(q, r, 0) != 0)
		return;
	asst_token_close(q->a);
	asst_work_end(q->a);
	o = json_object_new_object();
	json_object_object_add(o, "logged_in", json_object_new_boolean(0));
	asst_json(r, 200, o);
}
