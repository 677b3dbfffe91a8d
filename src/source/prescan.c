/*
 * prescan.c -- lines read and checked on a worker thread (see prescan.h).
 *
 * The worker and the main thread pass blocks through two lists under one
 * mutex: the worker takes an empty block, fills it with up to
 * PRESCAN_BLOCK_BYTES of lines (copied out of its line reader) and their
 * verdicts, and queues it; the main thread hands lines out of the oldest
 * queued block and gives the block back once every line was handed out.
 * A block also carries the end of the input (and a read error), so the
 * main thread sees exactly the sequence the single-threaded path would.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "json/json-scan.h"
#include "prescan.h"
#include "reader.h"
#include "lib/xmalloc.h"

#define PRESCAN_BLOCK_BYTES (1024 * 1024)
#define PRESCAN_BLOCK_LINES 16384

struct pmeta {
	size_t off, len;
	uint64_t lineno;
	int result, blank, bom;
	size_t msg; /* offset in msgs, or SIZE_MAX: valid */
	size_t col;
	size_t tape;	/* index of its first node in the block's tape */
	uint32_t ntape; /* its node count (want_tape and valid) */
};

struct pblock {
	struct buf data;	 /* the lines' bytes, back to back */
	struct buf msgs;	 /* NUL-terminated check messages */
	struct jscan_node *tape; /* the valid lines' tapes, back to back */
	size_t ntape, tapecap;
	struct pmeta *meta;
	size_t n, cap;
	int end;	   /* the input ends after these lines */
	int claimed;	   /* a thread is checking (or checked) it */
	int checked;	   /* verdicts are in */
	struct errbuf err; /* with end: the read error, if any */
	struct pblock *next;
};

struct prescan {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pblock *free_list;
	struct pblock *full_head, *full_tail;
	int stop;
	int thread_failed;
	int want_tape;
	int eof; /* the worker queued the last block */
	struct linereader lr;
	struct jscan js;  /* the worker's */
	struct jscan mjs; /* the main thread's */
	struct pblock blocks[PRESCAN_BLOCKS];
	/* the main thread's */
	struct pblock *cur;
	size_t idx;
	int done; /* the end block was consumed */
	struct errbuf end_err;
};

/* Append one line to b; its verdict comes later (block_check). */
static void
block_add(struct prescan *ps, struct pblock *b, const char *line, size_t len,
	  int result)
{
	struct pmeta *m;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->meta = xreallocarray(b->meta, b->cap, sizeof *b->meta);
	}
	m = &b->meta[b->n++];
	m->lineno = ps->lr.lineno;
	m->bom = linereader_bom_taken(&ps->lr);
	m->result = result;
	m->msg = SIZE_MAX;
	m->col = 0;
	if (result == LINE_TOO_LONG) {
		m->blank = 0;
		if (len > PRESCAN_SAMPLE)
			len = PRESCAN_SAMPLE;
	} else {
		m->blank = reader_blank(line, len);
	}
	m->off = b->data.len;
	m->len = len;
	buf_add(&b->data, line, len);
}

/*
 * Check every line of b with js, recording the messages of bad ones, and
 * with want_tape the tapes of the good ones.
 */
static void
block_check(struct jscan *js, struct pblock *b, int want_tape)
{
	struct errbuf eb = { 0 };
	size_t i;
	int rc;

	b->ntape = 0;
	for (i = 0; i < b->n; i++) {
		struct pmeta *m = &b->meta[i];
		const char *line = b->data.data + m->off;

		m->ntape = 0;
		if (m->blank || m->result != LINE_OK)
			continue;
		rc = want_tape ? jscan_parse(js, line, m->len, &eb)
			       : jscan_check(js, line, m->len, &eb);
		if (rc == -1) {
			m->msg = b->msgs.len;
			m->col = jscan_error_column(js);
			buf_add(&b->msgs, eb.msg, strlen(eb.msg) + 1);
			errbuf_clear(&eb);
			continue;
		}
		if (!want_tape)
			continue;
		if (b->ntape + js->ntape > b->tapecap) {
			while (b->ntape + js->ntape > b->tapecap)
				b->tapecap = b->tapecap ? b->tapecap * 2 : 4096;
			b->tape = xreallocarray(b->tape, b->tapecap,
						sizeof *b->tape);
		}
		memcpy(b->tape + b->ntape, js->tape,
		       (size_t)js->ntape * sizeof *js->tape);
		m->tape = b->ntape;
		m->ntape = js->ntape;
		b->ntape += js->ntape;
	}
}

/* Fill b with lines; 1 if the input ended (b->end set). */
static int
block_fill(struct prescan *ps, struct pblock *b)
{
	const char *line;
	size_t len;

	for (;;) {
		int res = linereader_next(&ps->lr, &line, &len, &b->err);

		if (res == LINE_EOF || res == LINE_ERROR) {
			if (res == LINE_EOF)
				errbuf_clear(&b->err);
			b->end = 1;
			return 1;
		}
		if (res == LINE_AGAIN) {
			errbuf_clear(&b->err);
			continue;
		}
		block_add(ps, b, line, len, res);
		if (b->data.len >= PRESCAN_BLOCK_BYTES ||
		    b->n >= PRESCAN_BLOCK_LINES)
			return 0;
		if (__atomic_load_n(&ps->stop, __ATOMIC_RELAXED))
			return 0;
	}
}

/*
 * The worker frames blocks while there is an empty one and the input goes
 * on; otherwise it checks the oldest block nobody has claimed, and the
 * main thread checks a block itself when it gets to one still unclaimed.
 * When the stages keep the main thread busy, the worker stays ahead and
 * does all the scanning; when they do not (cat), the two alternate.
 */
static void *
worker_main(void *arg)
{
	struct prescan *ps = arg;

	for (;;) {
		struct pblock *b = NULL, *u;
		int fill = 0;

		pthread_mutex_lock(&ps->mu);
		for (;;) {
			if (ps->stop) {
				pthread_mutex_unlock(&ps->mu);
				return NULL;
			}
			if (!ps->eof && ps->free_list) {
				b = ps->free_list;
				ps->free_list = b->next;
				fill = 1;
				break;
			}
			for (u = ps->full_head; u; u = u->next)
				if (!u->claimed)
					b = u; /* the newest: needed last */
			if (b) {
				b->claimed = 1;
				break;
			}
			if (ps->eof) {
				pthread_mutex_unlock(&ps->mu);
				return NULL;
			}
			pthread_cond_wait(&ps->cv, &ps->mu);
		}
		pthread_mutex_unlock(&ps->mu);

		if (!fill) {
			block_check(&ps->js, b, ps->want_tape);
			pthread_mutex_lock(&ps->mu);
			b->checked = 1;
			pthread_cond_broadcast(&ps->cv);
			pthread_mutex_unlock(&ps->mu);
			continue;
		}
		buf_reset(&b->data);
		buf_reset(&b->msgs);
		b->n = 0;
		b->end = b->claimed = b->checked = 0;
		b->next = NULL;
		block_fill(ps, b);

		pthread_mutex_lock(&ps->mu);
		if (ps->full_tail)
			ps->full_tail->next = b;
		else
			ps->full_head = b;
		ps->full_tail = b;
		if (b->end)
			ps->eof = 1;
		pthread_cond_broadcast(&ps->cv);
		pthread_mutex_unlock(&ps->mu);
	}
}

struct prescan *
prescan_start(linebuf_read_fn read, void *arg, size_t max_line, int want_tape)
{
	struct prescan *ps = xcalloc(1, sizeof *ps);
	sigset_t all, old;
	size_t i;

	pthread_mutex_init(&ps->mu, NULL);
	pthread_cond_init(&ps->cv, NULL);
	ps->want_tape = want_tape;
	linereader_init(&ps->lr, read, arg, max_line);
	jscan_init(&ps->js);
	jscan_init(&ps->mjs);
	for (i = 0; i < PRESCAN_BLOCKS; i++) {
		buf_init(&ps->blocks[i].data);
		buf_init(&ps->blocks[i].msgs);
		ps->blocks[i].next = ps->free_list;
		ps->free_list = &ps->blocks[i];
	}
	/* Signals are the main thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&ps->thread, NULL, worker_main, ps) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		ps->thread_failed = 1;
		prescan_stop(ps);
		return NULL; /* the caller reads on its own thread */
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ps;
}

int
prescan_next(struct prescan *ps, struct prescan_line *pl, struct errbuf *eb)
{
	struct pblock *b;
	struct pmeta *m;

	for (;;) {
		b = ps->cur;
		if (b && ps->idx < b->n)
			break;
		if (ps->done) {
			if (ps->end_err.status) {
				*eb = ps->end_err;
				return LINE_ERROR;
			}
			return LINE_EOF;
		}
		pthread_mutex_lock(&ps->mu);
		if (b) {
			if (b->end) {
				ps->done = 1;
				ps->end_err = b->err;
			}
			b->next = ps->free_list;
			ps->free_list = b;
			ps->cur = NULL;
			pthread_cond_broadcast(&ps->cv);
			if (ps->done) {
				pthread_mutex_unlock(&ps->mu);
				continue;
			}
		}
		while (ps->full_head == NULL)
			pthread_cond_wait(&ps->cv, &ps->mu);
		b = ps->full_head;
		ps->full_head = b->next;
		if (ps->full_head == NULL)
			ps->full_tail = NULL;
		if (!b->claimed) {
			b->claimed = 1;
			pthread_mutex_unlock(&ps->mu);
			block_check(&ps->mjs, b, ps->want_tape);
		} else {
			while (!b->checked)
				pthread_cond_wait(&ps->cv, &ps->mu);
			pthread_mutex_unlock(&ps->mu);
		}
		ps->cur = b;
		ps->idx = 0;
	}
	m = &b->meta[ps->idx++];
	pl->line = b->data.data + m->off;
	pl->len = m->len;
	pl->lineno = m->lineno;
	pl->result = m->result;
	pl->blank = m->blank;
	pl->bom = m->bom;
	pl->error = m->msg == SIZE_MAX ? NULL : b->msgs.data + m->msg;
	pl->error_col = m->col;
	pl->tape = m->ntape ? b->tape + m->tape : NULL;
	pl->ntape = m->ntape;
	return m->result;
}

void
prescan_stop(struct prescan *ps)
{
	size_t i;

	if (ps == NULL)
		return;
	pthread_mutex_lock(&ps->mu);
	__atomic_store_n(&ps->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	if (!ps->thread_failed)
		pthread_join(ps->thread, NULL);
	for (i = 0; i < PRESCAN_BLOCKS; i++) {
		buf_release(&ps->blocks[i].data);
		buf_release(&ps->blocks[i].msgs);
		free(ps->blocks[i].meta);
		free(ps->blocks[i].tape);
	}
	jscan_release(&ps->js);
	jscan_release(&ps->mjs);
	linereader_release(&ps->lr);
	pthread_cond_destroy(&ps->cv);
	pthread_mutex_destroy(&ps->mu);
	free(ps);
}
