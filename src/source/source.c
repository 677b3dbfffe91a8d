/*
 * source.c -- the set of sources of a run (see source.h): what is in it,
 * the order of files read once, file-change events, and the checkpoint.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "expr/expr.h"
#include "lib/errbuf.h"
#include "lib/lazylib.h"
#include "linereader.h"
#include "pipeline.h"
#include "reader.h"
#include "source.h"
#include "lib/xmalloc.h"

void
source_set_error(struct source_set *set, const char *fmt, ...)
{
	va_list ap;

	fputs("evpipe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	set->status = STATUS_IO;
}

const char *
source_set_name(struct source_set *set, const char *name)
{
	if (set->nnames == set->capnames) {
		set->capnames = set->capnames ? set->capnames * 2 : 16;
		set->names = xreallocarray(set->names, set->capnames,
					   sizeof *set->names);
	}
	return set->names[set->nnames++] = xstrdup(name);
}

void
source_set_add(struct source_set *set, struct source *s)
{
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 8;
		set->v = xreallocarray(set->v, set->cap, sizeof *set->v);
	}
	set->v[set->n++] = s;
	if (s->plain)
		set->in_plain = 1;
	if (s->client)
		set->nclients++;
}

static void
source_free(struct source_set *set, struct source *s)
{
	size_t n;

	/* Stopped by a signal while a client, or the writer of a followed
	 * file, was inside a record: it never became an event; say so. */
	if (!s->done && s->ops->unfinished && (n = s->ops->unfinished(s)) > 0)
		log_warn("%s: unfinished line (%zu bytes) dropped at exit",
			 s->name, n);
	if (s->plain)
		set->in_plain = 0;
	if (s->client)
		set->nclients--;
	free(s->marks.v);
	s->ops->free(s);
}

void
source_marks_drop(struct source *s)
{
	s->marks.n = 0;
}

void
source_marks_move(struct source *to, struct source *from)
{
	free(to->marks.v);
	to->marks = from->marks;
	memset(&from->marks, 0, sizeof from->marks);
}

int
source_read(struct reader *rd, struct source_rec *rec, struct errbuf *eb)
{
	int res = reader_next(rd, &rec->bytes, &rec->len, eb);

	rec->lineno = rd->lineno;
	rec->checked = NULL;
	rec->rd = rd;
	rec->bom = reader_bom_taken(rd);
	return res;
}

int
source_is_nats(const char *spec)
{
	return strncmp(spec, "nats://", 7) == 0 ||
	       strncmp(spec, "nats+tls://", 11) == 0;
}

/*
 * Open the libraries the source spec calls (lib/lazylib.h), before its
 * options are checked: the first kafka://, nats:// or http:// source of
 * a run loads them, and a run without one never does.  0, or -1 with a
 * STATUS_IO error "-i SPEC: SONAME cannot be loaded: WHY".
 */
static int
source_libs(const struct globals *g, const char *spec, struct errbuf *eb)
{
	char where[600];

	snprintf(where, sizeof where, "-i %s", spec);
	if (strncmp(spec, "kafka://", 8) == 0)
		return lazylib_load(LAZY_RDKAFKA, where, eb);
	if (source_is_nats(spec)) {
		if (lazylib_load(LAZY_NATS, where, eb) == -1)
			return -1;
		/* --nats-nkey's key is made with libcrypto (libnats
		 * loads it anyway) */
		return lazylib_load(LAZY_CRYPTO, where, eb);
	}
	if (source_is_http(spec)) {
		if (lazylib_load(LAZY_MHD, where, eb) == -1)
			return -1;
		/* the token's digest and the signatures */
		if (g->http_token_file || g->http_hmac_file)
			return lazylib_load(LAZY_CRYPTO, where, eb);
	}
	return 0;
}

int
source_check(const struct globals *g, struct errbuf *eb)
{
	unsigned mode;
	size_t i;

	if (g->from_end && !g->follow)
		return errbuf_set(eb, STATUS_USAGE,
				  "--from-end needs --follow");
	if (g->checkpoint && !g->follow)
		return errbuf_set(eb, STATUS_USAGE,
				  "--checkpoint needs --follow");
	if (g->checkpoint && *g->checkpoint == '\0')
		return errbuf_set(eb, STATUS_USAGE,
				  "--checkpoint: empty "
				  "value");
	if (g->max_clients == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--max-clients must be at least 1");
	if (g->client_buffers == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--client-buffers must be at least 1");
	if (source_socket_mode(g->socket_mode, &mode, eb) == -1)
		return -1;
	for (i = 0; i < g->listen.n; i++) {
		if (source_libs(g, g->listen.v[i], eb) == -1)
			return -1;
		if (strncmp(g->listen.v[i], "kafka://", 8) == 0) {
			if (source_kafka_check(g, g->listen.v[i], eb) == -1)
				return -1;
			continue;
		}
		if (source_is_nats(g->listen.v[i])) {
			if (source_nats_check(g, g->listen.v[i], eb) == -1)
				return -1;
			continue;
		}
		if (source_is_http(g->listen.v[i])) {
			if (source_http_check(g, g->listen.v[i], eb) == -1)
				return -1;
			continue;
		}
		if (source_listen_check(g->listen.v[i], eb) == -1)
			return -1;
		/* One udp listener reads the datagrams of every peer: a
		 * header or a framing state would be shared by all. */
		if (strncmp(g->listen.v[i], "udp://", 6) == 0 &&
		    reader_stateful(g->from))
			return errbuf_set(eb, STATUS_USAGE,
					  "-i %s: --from %s cannot be read "
					  "from udp (datagrams of every peer "
					  "share one reader); use ndjson or "
					  "logfmt",
					  g->listen.v[i],
					  in_format_names[g->from]);
	}
	return 0;
}

/*
 * A name -F can follow: one that does not exist yet, or a regular file
 * that is not gzip-compressed (a compressed file cannot be read as it
 * grows).  A directory used to be followed for ever in silence, and a
 * .gz file gave one reject per chunk of compressed bytes.  0, or -1 with
 * a usage error in eb.
 */
static int
follow_check(const char *path, struct errbuf *eb)
{
	struct stat st;
	unsigned char magic[2];
	ssize_t n = 0;
	int fd;

	if (stat(path, &st) == -1)
		return 0; /* followed by its name until it appears */
	if (S_ISDIR(st.st_mode))
		return errbuf_set(eb, STATUS_USAGE,
				  "-F '%s': a directory cannot be followed; "
				  "name the files in it (-F '%s'/*.ndjson)",
				  path, path);
	if (!S_ISREG(st.st_mode))
		return 0; /* a FIFO is read as it comes, as before */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		n = read(fd, magic, sizeof magic);
		close(fd);
	}
	if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		return errbuf_set(eb, STATUS_USAGE,
				  "-F '%s': a gzip-compressed file cannot be "
				  "followed; read it without -F",
				  path);
	return 0;
}

int
source_set_init(struct source_set *set, const struct globals *g,
		const char *const *inputs)
{
	static const char *const stdin_only[] = { "-", NULL };
	struct errbuf eb = { 0 };
	size_t i;

	memset(set, 0, sizeof *set);
	set->g = g;
	set->inotify_fd = -1;
	set->want_meta = expr_input_meta_used();
	if ((inputs == NULL || inputs[0] == NULL) && g->listen.n == 0)
		inputs = stdin_only;
	set->inputs = inputs;
	for (i = 0; i < g->listen.n; i++) {
		const char *spec = g->listen.v[i];
		int rc;

		if (source_libs(g, spec, &eb) == -1) {
			fprintf(stderr, "evpipe: %s\n", eb.msg);
			set->status = eb.status;
			return -1;
		}
		rc = strncmp(spec, "kafka://", 8) == 0
			     ? source_kafka_new(set, spec)
		     : source_is_nats(spec) ? source_nats_new(set, spec)
		     : source_is_http(spec) ? source_http_new(set, spec)
					    : source_listen_new(set, spec);

		if (rc == -1)
			return -1;
	}
	if (!g->follow)
		return 0;
	if (g->checkpoint) {
		set->ckpt = ckpt_load(g->checkpoint, &eb);
		if (set->ckpt == NULL) {
			fprintf(stderr, "evpipe: --checkpoint: %s\n", eb.msg);
			set->status = eb.status;
			return -1;
		}
	}
	if (getenv("EVPIPE_FOLLOW_POLL") == NULL ||
	    *getenv("EVPIPE_FOLLOW_POLL") == '\0')
		set->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	for (i = 0; inputs && inputs[i]; i++)
		if (strcmp(inputs[i], "-") != 0 &&
		    follow_check(inputs[i], &eb) == -1) {
			fprintf(stderr, "evpipe: %s\n", eb.msg);
			set->status = eb.status;
			return -1;
		}
	/* Files are followed all at once; stdin is read as it comes. */
	for (i = 0; inputs && inputs[i]; i++)
		if (strcmp(inputs[i], "-") != 0)
			source_set_add(set, source_follow_new(set, inputs[i]));
	source_follow_resume(set);
	return 0;
}

int
source_set_next(struct source_set *set)
{
	size_t i, k = 0;

	for (i = 0; i < set->n; i++) {
		if (set->v[i]->done)
			source_free(set, set->v[i]);
		else
			set->v[k++] = set->v[i];
	}
	set->n = k;
	while (!set->in_plain && set->inputs && set->inputs[set->next_input]) {
		const char *path = set->inputs[set->next_input++];
		struct source *s;

		if (set->g->follow && strcmp(path, "-") != 0)
			continue; /* followed, not read once */
		s = source_file_new(set, path);
		if (s)
			source_set_add(set, s);
	}
	return set->n > 0;
}

void
source_set_file_events(struct source_set *set)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	size_t i;

	while (read(set->inotify_fd, buf, sizeof buf) > 0)
		;
	for (i = 0; i < set->n; i++)
		if (set->v[i]->follow)
			set->v[i]->ready = 1;
}

int
source_set_delivered(struct source_set *set)
{
	return source_follow_checkpoint(set);
}

void
source_set_release(struct source_set *set)
{
	size_t i;

	if (set->g == NULL)
		return; /* never started */
	for (i = 0; i < set->n; i++)
		source_free(set, set->v[i]);
	free(set->v);
	for (i = 0; i < set->nnames; i++)
		free(set->names[i]);
	free(set->names);
	if (set->inotify_fd >= 0)
		close(set->inotify_fd);
	ckpt_free(set->ckpt);
	free(set->ckpt_last);
	memset(set, 0, sizeof *set);
	set->inotify_fd = -1;
}
