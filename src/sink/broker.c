/*
 * sink/broker.c -- URL parts and the refused-message queue shared by the
 * kafka:// and nats:// targets (broker.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "lib/errbuf.h"
#include "lib/xmalloc.h"

/* HOST:PORT: a host of name characters (or [V6]) and a port 1..65535. */
static int
hostport_ok(const char *p, size_t n)
{
	const char *colon = NULL;
	size_t i;
	unsigned long port = 0;

	if (n == 0)
		return 0;
	if (p[0] == '[') {
		const char *end = memchr(p, ']', n);

		if (end == NULL || end + 1 >= p + n || end[1] != ':')
			return 0;
		colon = end + 1;
	} else {
		for (i = 0; i < n; i++)
			if (p[i] == ':')
				colon = p + i;
		if (colon == NULL || colon == p)
			return 0;
		for (i = 0; p + i < colon; i++)
			if (!(p[i] == '.' || p[i] == '-' || p[i] == '_' ||
			      (p[i] >= '0' && p[i] <= '9') ||
			      (p[i] >= 'a' && p[i] <= 'z') ||
			      (p[i] >= 'A' && p[i] <= 'Z')))
				return 0;
	}
	if (colon + 1 == p + n)
		return 0;
	for (const char *q = colon + 1; q < p + n; q++) {
		if (*q < '0' || *q > '9')
			return 0;
		port = port * 10 + (unsigned long)(*q - '0');
		if (port > 65535)
			return 0;
	}
	return port > 0;
}

int
broker_url_parse(const char *rest, const char *spec, const char *param_name,
		 struct broker_url *u, struct errbuf *eb)
{
	const char *slash = strchr(rest, '/'), *q, *h, *end;
	size_t nl = strlen(param_name);

	memset(u, 0, sizeof *u);
	if (slash == NULL || slash == rest)
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': expected "
				  "HOST:PORT[,HOST:PORT...]/NAME after the "
				  "scheme",
				  spec);
	for (h = rest; h < slash; h = end + 1) {
		end = memchr(h, ',', (size_t)(slash - h));
		if (end == NULL)
			end = slash;
		if (!hostport_ok(h, (size_t)(end - h)))
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': bad server '%.*s' "
					  "(expected HOST:PORT)",
					  spec, (int)(end - h), h);
		if (end == slash)
			break;
		if (end + 1 == slash)
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': empty server after ','",
					  spec);
	}
	q = strchr(slash + 1, '?');
	if (q == NULL)
		q = slash + 1 + strlen(slash + 1);
	if (q == slash + 1)
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': no name after the server list",
				  spec);
	if (*q == '?') {
		if (strncmp(q + 1, param_name, nl) != 0 || q[1 + nl] != '=')
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': unknown parameter "
					  "'%s' (the only one is ?%s=)",
					  spec, q + 1, param_name);
		if (q[2 + nl] == '\0')
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': ?%s= is empty", spec,
					  param_name);
		u->param = xstrdup(q + 2 + nl);
	}
	u->hosts = xstrndup(rest, (size_t)(slash - rest));
	u->path = xstrndup(slash + 1, (size_t)(q - slash - 1));
	return 0;
}

void
broker_url_free(struct broker_url *u)
{
	free(u->hosts);
	free(u->path);
	free(u->param);
	memset(u, 0, sizeof *u);
}

void
broker_failq_init(struct broker_failq *q)
{
	memset(q, 0, sizeof *q);
	pthread_mutex_init(&q->mu, NULL);
}

void
broker_failq_push(struct broker_failq *q, const void *event, size_t len,
		  const char *spec, const char *why)
{
	struct broker_failure *f;

	pthread_mutex_lock(&q->mu);
	if (q->head > 0 && q->head == q->n)
		q->head = q->n = 0;
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 16;
		q->v = xreallocarray(q->v, q->cap, sizeof *q->v);
	}
	f = &q->v[q->n++];
	f->event = xmalloc(len + 1);
	memcpy(f->event, event, len);
	f->event[len] = '\0';
	f->len = len;
	snprintf(f->why, sizeof f->why, "%s: %s", spec, why);
	pthread_mutex_unlock(&q->mu);
}

int
broker_failq_pop(struct broker_failq *q, char **event, size_t *len, char *why,
		 size_t whysz)
{
	int r = 0;

	pthread_mutex_lock(&q->mu);
	if (q->head < q->n) {
		struct broker_failure *f = &q->v[q->head++];

		*event = f->event;
		*len = f->len;
		snprintf(why, whysz, "%s", f->why);
		r = 1;
	}
	pthread_mutex_unlock(&q->mu);
	return r;
}

void
broker_failq_clear(struct broker_failq *q)
{
	pthread_mutex_lock(&q->mu);
	for (size_t i = q->head; i < q->n; i++)
		free(q->v[i].event);
	q->head = q->n = 0;
	pthread_mutex_unlock(&q->mu);
}

void
broker_failq_destroy(struct broker_failq *q)
{
	broker_failq_clear(q);
	free(q->v);
	pthread_mutex_destroy(&q->mu);
}
