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

/* The end of the query parameter starting at s: the next '&' outside
 * {EXPR} parts (and their strings), or the end of s. */
static const char *
broker_param_end(const char *s)
{
	int depth = 0, instr = 0;

	for (; *s; s++) {
		if (instr) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				instr = 0;
		} else if (depth > 0 && *s == '"') {
			instr = 1;
		} else if (depth == 0 && (*s == '{' || *s == '}') &&
			   s[1] == *s) {
			s++; /* "{{" and "}}": a literal brace */
		} else if (*s == '{') {
			depth++;
		} else if (*s == '}' && depth > 0) {
			depth--;
		} else if (*s == '&' && depth == 0) {
			break;
		}
	}
	return s;
}

/* Split the query q (after '?') by the names of param_name. */
static int
broker_query(const char *q, const char *spec, const char *param_name,
	     struct broker_url *u, struct errbuf *eb)
{
	const char *comma = strchr(param_name, ',');
	size_t n1 = comma ? (size_t)(comma - param_name) : strlen(param_name);
	const char *more = comma ? comma + 1 : NULL;
	size_t n2 = more ? strlen(more) : 0;

	for (;;) {
		const char *end = broker_param_end(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));
		size_t klen = eq ? (size_t)(eq - q) : 0;
		char *val;

		if (eq && klen == n1 && memcmp(q, param_name, n1) == 0) {
			if (u->param)
				return errbuf_set(eb, STATUS_USAGE,
						  "target '%s': %.*s= given "
						  "twice",
						  spec, (int)n1, param_name);
		} else if (!(eq && more && klen == n2 &&
			     memcmp(q, more, n2) == 0)) {
			if (more)
				return errbuf_set(eb, STATUS_USAGE,
						  "target '%s': unknown "
						  "parameter '%.*s' (known: "
						  "%.*s=, %s=)",
						  spec, (int)(end - q), q,
						  (int)n1, param_name, more);
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': unknown parameter "
					  "'%.*s' (the only one is ?%s=)",
					  spec, (int)(end - q), q, param_name);
		}
		if (eq + 1 == end)
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': %.*s= is empty", spec,
					  (int)klen, q);
		val = xstrndup(eq + 1, (size_t)(end - eq - 1));
		if (klen == n1 && memcmp(q, param_name, n1) == 0) {
			u->param = val;
		} else {
			u->more = xreallocarray(u->more, u->nmore + 1,
						sizeof *u->more);
			u->more[u->nmore++] = val;
		}
		if (*end == '\0')
			return 0;
		q = end + 1;
	}
}

int
broker_url_parse(const char *rest, const char *spec, const char *param_name,
		 struct broker_url *u, struct errbuf *eb)
{
	const char *slash = strchr(rest, '/'), *q, *h, *end;

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
	if (*q == '?' && broker_query(q + 1, spec, param_name, u, eb) == -1) {
		broker_url_free(u);
		return -1;
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
	for (size_t i = 0; i < u->nmore; i++)
		free(u->more[i]);
	free(u->more);
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

void
broker_block_init(struct broker_block *b, const char *buf, size_t len,
		  const char *meta, size_t metalen)
{
	b->p = buf;
	b->end = buf + len;
	b->mp = meta;
	b->mend = meta ? meta + metalen : NULL;
}

/* The line at *p (before end), without its newline; *p moves past it. */
static size_t
block_line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);

	*p += n + (nl != NULL);
	return n;
}

int
broker_block_next(struct broker_block *b, struct broker_event *e)
{
	if (b->p >= b->end)
		return 0;
	e->ev = b->p;
	e->len = block_line(&b->p, b->end);
	e->meta = NULL;
	e->metalen = 0;
	if (b->mp && b->mp < b->mend) {
		const char *m = b->mp;

		e->metalen = block_line(&b->mp, b->mend);
		e->meta = e->metalen ? m : NULL;
	}
	return 1;
}
