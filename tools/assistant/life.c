/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* life.c: the assistant from start to exit. It starts with what it can:
 * a module that does not load is a state the page shows ("no_module"),
 * not a reason to refuse to start. It exits on /api/quit, a signal, after
 * --idle seconds without a request, or when the page was closed (no event
 * stream open for a while after one was): never in the middle of a
 * renewal, which finishes first; then the session is logged out and the
 * module finalised. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "assistant.h"

#ifndef UKEY_ASSISTANT_WWW_DIR
#define UKEY_ASSISTANT_WWW_DIR "/usr/share/ukey-pkcs11/assistant"
#endif

/* zh_CN when the messages are Chinese, as gettext picks their language
 * (LANGUAGE first): the page then speaks as the library's messages do. */
static const char *locale_of_env(void)
{
	static const char *const vars[] = { "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v != NULL && v[0] != '\0')
			return strncmp(v, "zh", 2) == 0 ? "zh_CN" : "en";
	}
	return "en";
}

int asst_start(struct asst *a, const struct asst_opts *o, struct ukey_err *e)
{
	const char *www = getenv("UKEY_ASSISTANT_WWW");
	struct ukey_err me;
	int ret;

	memset(a, 0, sizeof(*a));
	a->o = *o;
	pthread_mutex_init(&a->lock, NULL);
	pthread_mutex_init(&a->work, NULL);
	pthread_cond_init(&a->cond, NULL);
	snprintf(a->locale, sizeof(a->locale), "%s", locale_of_env());
	snprintf(a->www, sizeof(a->www), "%s", www && www[0] ? www : UKEY_ASSISTANT_WWW_DIR);
	if (asst_secrets_make(a) != 0)
		return ukey_err_set(e, UKEY_E_ERROR, "%s", _("no random bytes for the session's secret"));
	ret = ukey_conf_load(&a->conf, e);
	if (ret != UKEY_E_OK)
		return ret;
	if (o->module != NULL)
		snprintf(a->conf.module, sizeof(a->conf.module), "%s", o->module);
	ukey_err_clear(&me);
	a->module_ok = ukey_conn_open(&a->p11, a->conf.module, &me) == UKEY_E_OK;
	snprintf(a->module_msg, sizeof(a->module_msg), "%s", me.msg);
	a->last_request = time(NULL);
	ret = asst_server_start(a, e);
	if (ret != UKEY_E_OK)
		return ret;
	asst_watch_start(a);
	return UKEY_E_OK;
}

void asst_quit(struct asst *a, const char *reason)
{
	json_object *o;
	int first;

	pthread_mutex_lock(&a->lock);
	first = a->quit_reason == NULL;
	if (first)
		a->quit_reason = reason;
	pthread_mutex_unlock(&a->lock);
	if (!first)
		return;
	/* Queued before quit is set: every stream sends it, then ends. */
	o = json_object_new_object();
	json_object_object_add(o, "reason", json_object_new_string(reason));
	asst_event(a, "bye", o);
	pthread_mutex_lock(&a->lock);
	a->quit = 1;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

const char *asst_wait(struct asst *a)
{
	const char *why = NULL;

	pthread_mutex_lock(&a->lock);
	while (!a->quit && why == NULL) {
		struct timespec until;
		time_t now = time(NULL);
		if (!a->renew_running && a->o.idle > 0 && now - a->last_request >= a->o.idle)
			why = "idle";
		else if (!a->renew_running && a->ever_streamed && a->streams == 0 && now - a->last_stream >= a->o.closed)
			why = "closed";
		if (why != NULL)
			break;
		/* Not opened in a minute: the browser will not come for it. */
		if (a->launch_file[0] && now - a->launch_made >= 60) {
			unlink(a->launch_file);
			a->launch_file[0] = '\0';
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&a->cond, &a->lock, &until);
	}
	pthread_mutex_unlock(&a->lock);
	if (why != NULL)
		asst_quit(a, why);
	pthread_mutex_lock(&a->lock);
	why = a->quit_reason;
	pthread_mutex_unlock(&a->lock);
	return why;
}

void asst_stop(struct asst *a)
{
	int bind;

	asst_renew_join(a);
	pthread_mutex_lock(&a->lock);
	bind = a->bind_thread;
	a->bind_thread = 0;
	pthread_mutex_unlock(&a->lock);
	if (bind)
		pthread_join(a->bind_th, NULL);
	asst_server_stop(a);
	pthread_mutex_lock(&a->work);
	if (a->module_ok)
		asst_token_close(a);
	pthread_mutex_unlock(&a->work);
	asst_watch_stop(a);
	if (a->module_ok)
		ukey_conn_close(&a->p11);
	if (a->launch_file[0])
		unlink(a->launch_file);
	for (size_t i = 0; i < ASST_EVENTS; i++)
		free(a->ev[i].data);
	json_object_put(a->renew_events);
	json_object_put(a->renew_result);
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	OPENSSL_cleanse(a->csrf, sizeof(a->csrf));
}
