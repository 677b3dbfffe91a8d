/*
 * io.c -- the target parser and the buffered writer shared by every kind
 * of sink (see io.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "io.h"
#include "xmalloc.h"

#define SINK_BUF (64 * 1024)

static const struct {
	const char *prefix;
	const char *what;
} target_later[] = {
	{ "tcp://", "tcp:// targets" },
	{ "udp://", "udp:// targets" },
	{ "unix:", "unix: targets" },
};

static const struct sink_kind *
target_kind(const char *spec, const char **rest, struct errbuf *eb)
{
	size_t i, n = strlen(spec);

	if (n == 0)
		return errbuf_set(eb, STATUS_USAGE, "empty target"), NULL;
	for (i = 0; i < NELEM(target_later); i++)
		if (strncmp(spec, target_later[i].prefix,
			    strlen(target_later[i].prefix)) == 0) {
			errbuf_set(eb, STATUS_USAGE,
				   "target '%s': %s are not supported yet",
				   spec, target_later[i].what);
			return NULL;
		}
	if (strchr(spec, '{') != NULL) {
		errbuf_set(eb, STATUS_USAGE,
			   "target '%s': {EXPR} templates are not supported "
			   "here yet",
			   spec);
		return NULL;
	}
	if (strcmp(spec, "-") == 0) {
		*rest = spec;
		return &sink_stdout;
	}
	if (strncmp(spec, "exec:", 5) == 0) {
		*rest = spec + 5;
		if (**rest == '\0') {
			errbuf_set(eb, STATUS_USAGE,
				   "target 'exec:' needs a command");
			return NULL;
		}
		return &sink_exec;
	}
	*rest = spec;
	if (n > 3 && strcmp(spec + n - 3, ".gz") == 0)
		return &sink_gzip;
	return &sink_file;
}

int
target_check(const char *spec, struct errbuf *eb)
{
	const char *rest;

	return target_kind(spec, &rest, eb) ? 0 : -1;
}

void
target_print_schemes(FILE *fp)
{
	fputs("-\nexec:\n", fp);
}

struct sink *
sink_open(const char *spec, int line_buffered, struct errbuf *eb)
{
	const struct sink_kind *kind;
	const char *rest;
	struct sink *s;

	kind = target_kind(spec, &rest, eb);
	if (kind == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->kind = kind;
	s->spec = xstrdup(spec);
	s->line_buffered = line_buffered;
	s->is_stdout = kind == &sink_stdout;
	if (kind->open(s, rest, eb) == -1) {
		free(s->spec);
		free(s);
		return NULL;
	}
	s->cap = SINK_BUF;
	s->buf = xmalloc(s->cap);
	return s;
}

static int
sink_write_out(struct sink *s, const char *p, size_t n, struct errbuf *eb)
{
	if (s->broken)
		return -1;
	if (s->kind->write(s, p, n, eb) == -1) {
		s->broken = 1;
		return -1;
	}
	return 0;
}

int
sink_flush(struct sink *s, struct errbuf *eb)
{
	if (s->len > 0) {
		size_t n = s->len;

		s->len = 0;
		if (sink_write_out(s, s->buf, n, eb) == -1)
			return -1;
	}
	if (s->kind->sync && !s->broken)
		return s->kind->sync(s, eb);
	return s->broken ? -1 : 0;
}

int
sink_write(struct sink *s, const char *event, size_t len, struct errbuf *eb)
{
	if (s->broken)
		return errbuf_set(eb, STATUS_IO, "%s: target failed earlier",
				  s->spec);
	s->events++;
	s->bytes += len + 1;
	if (len + 1 > s->cap - s->len) {
		if (sink_flush(s, eb) == -1)
			return -1;
		if (len + 1 > s->cap) {
			/* Bigger than the buffer: write it directly. */
			if (sink_write_out(s, event, len, eb) == -1 ||
			    sink_write_out(s, "\n", 1, eb) == -1)
				return -1;
			return s->line_buffered ? sink_flush(s, eb) : 0;
		}
	}
	memcpy(s->buf + s->len, event, len);
	s->buf[s->len + len] = '\n';
	s->len += len + 1;
	if (s->line_buffered)
		return sink_flush(s, eb);
	return 0;
}

int
sink_close(struct sink *s, struct errbuf *eb)
{
	int r = 0;

	if (s == NULL)
		return 0;
	if (!s->broken && sink_flush(s, eb) == -1 && !s->gone)
		r = -1;
	if (s->kind->close(s, r == -1 ? NULL : eb) == -1)
		r = -1;
	free(s->buf);
	free(s->spec);
	free(s);
	return r;
}
