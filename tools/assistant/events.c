/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* events.c: server-sent events. Every event goes into one ring; each open
 * stream (GET /api/events) reads the ring from where it joined, waiting
 * on a condition variable in its own connection thread, with a ping
 * every 5 s so a closed page is noticed (the write to it fails). The
 * streams open are counted: none for a while after one was open means
 * the page was closed. The
 * token watch (ukey_token_watch, C_WaitForSlotEvent) runs in a thread of
 * its own and turns keys coming and going into events. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "assistant.h"

#define PING_S 5

void asst_event(struct asst *a, const char *name, json_object *o)
{
	char *data = ukey_text_json_safe(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
									       JSON_C_TO_STRING_NOSLASHESCAPE));
	struct asst_event *ev;

	json_object_put(o);
	if (data == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	ev = &a->ev[a->seq % ASST_EVENTS];
	free(ev->data);
	ev->seq = a->seq++;
	snprintf(ev->name, sizeof(ev->name), "%s", name);
	ev->data = data;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

struct stream {
	struct asst *a;
	unsigned long next;
	char *out;
	size_t len, off;
};

static void set_out(struct stream *s, char *text)
{
	free(s->out);
	s->out = text;
	s->len = text ? strlen(text) : 0;
	s->off = 0;
}

static char *format(const char *name, const char *data)
{
	size_t n = strlen(name) + strlen(data) + 32;
	char *t = malloc(n);

	if (t != NULL)
		snprintf(t, n, "event: %s\ndata: %s\n\n", name, data);
	return t;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	struct asst *a = s->a;
	struct timespec until;
	size_t n;

	(void)pos;
	if (s->off >= s->len) {
		pthread_mutex_lock(&a->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += PING_S;
		while (s->next >= a->seq && !a->quit)
			if (pthread_cond_timedwait(&a->cond, &a->lock, &until) == ETIMEDOUT)
				break;
		if (s->next < a->seq) {
			/* Fallen out of the ring: from the oldest kept on. */
			if (a->seq - s->next > ASST_EVENTS)
				s->next = a->seq - ASST_EVENTS;
			const struct asst_event *ev = &a->ev[s->next % ASST_EVENTS];
			set_out(s, format(ev->name, ev->data ? ev->data : "null"));
			s->next++;
		} else if (a->quit) {
			pthread_mutex_unlock(&a->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		} else {
			set_out(s, strdup(": ping\n\n"));
		}
		pthread_mutex_unlock(&a->lock);
		if (s->out == NULL)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->out + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	struct asst *a = s->a;

	pthread_mutex_lock(&a->lock);
	a->streams--;
	a->last_stream = time(NULL);
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	free(s->out);
	free(s);
}

void *asst_events_response(struct asst *a, unsigned long from)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct MHD_Response *mr;
	json_object *first;
	char *data;

	if (s == NULL)
		return NULL;
	s->a = a;
	s->next = from;
	/* The state now, so the page needs no second request to begin. */
	first = asst_token_brief(a, "present");
	data = ukey_text_json_safe(json_object_to_json_string_ext(first, JSON_C_TO_STRING_PLAIN |
									     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(first);
	set_out(s, data ? format("token", data) : NULL);
	free(data);
	mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, stream_free);
	if (mr == NULL) {
		free(s->out);
		free(s);
		return NULL;
	}
	pthread_mutex_lock(&a->lock);
	a->streams++;
	a->ever_streamed = 1;
	pthread_mutex_unlock(&a->lock);
	return mr;
}

void asst_events_stream(struct asst_req *q, struct asst_resp *r)
{
	pthread_mutex_lock(&q->a->lock);
	r->stream_from = q->a->seq;
	pthread_mutex_unlock(&q->a->lock);
	r->stream = 1;
	r->status = 200;
	r->ctype = "text/event-stream; charset=utf-8";
}

static int on_change(void *arg, enum ukey_token_change what, const struct ukey_token_info *t)
{
	struct asst *a = arg;
	int quit;

	if (what == UKEY_TOKEN_INSERTED || what == UKEY_TOKEN_REMOVED) {
		json_object *o = asst_token_brief(a, what == UKEY_TOKEN_INSERTED ? "inserted" : "removed");
		json_object_object_add(o, "serial", json_object_new_string(t->serial));
		json_object_object_add(o, "label", json_object_new_string(t->label));
		pthread_mutex_lock(&a->lock);
		/* Its session and login went with the key. */
		if (what == UKEY_TOKEN_REMOVED && strcmp(a->session_serial, t->serial) == 0)
			a->token_gone = 1;
		pthread_mutex_unlock(&a->lock);
		asst_event(a, "token", o);
	}
	pthread_mutex_lock(&a->lock);
	quit = a->quit;
	pthread_mutex_unlock(&a->lock);
	return quit;
}

static void *watch_main(void *arg)
{
	struct asst *a = arg;
	struct ukey_err e;

	ukey_token_watch(&a->p11, on_change, a, &e);
	return NULL;
}

int asst_watch_start(struct asst *a)
{
	if (!a->module_ok)
		return 0;
	a->watch_started = pthread_create(&a->watch_th, NULL, watch_main, a) == 0;
	return a->watch_started ? 0 : -1;
}

void asst_watch_stop(struct asst *a)
{
	if (!a->watch_started)
		return;
	ukey_token_watch_stop(&a->p11);
	pthread_join(a->watch_th, NULL);
	a->watch_started = 0;
}
