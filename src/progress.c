/*
 * progress.c -- the progress line (see progress.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "source/input.h"
#include "progress.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

struct progress {
	int tty;
	const char *name;
	int fd;
	uint64_t size; /* 0: unknown (a stream) */
	int64_t start, next;
	uint64_t events0; /* the count when this input began */
	unsigned spin;
	int drawn;
};

struct progress *
progress_new(int mode, const char *const *inputs)
{
	struct progress *p;
	int tty = isatty(STDERR_FILENO);
	size_t i;

	if (mode == 0)
		return NULL;
	if (mode == -1) {
		int big = 0;

		if (!tty || inputs == NULL)
			return NULL;
		for (i = 0; inputs[i]; i++) {
			struct stat st;

			if (strcmp(inputs[i], "-") != 0 &&
			    stat(inputs[i], &st) == 0 && S_ISREG(st.st_mode) &&
			    (uint64_t)st.st_size >= PROGRESS_AUTO_SIZE)
				big = 1;
		}
		if (!big)
			return NULL;
	}
	p = xcalloc(1, sizeof *p);
	p->tty = tty;
	return p;
}

void
progress_free(struct progress *p)
{
	free(p);
}

void
progress_begin(struct progress *p, struct input *in)
{
	struct stat st;

	p->name = input_name(in);
	p->fd = input_fd(in);
	p->size = 0;
	if (!input_is_stream(in) && fstat(p->fd, &st) == 0 &&
	    S_ISREG(st.st_mode))
		p->size = (uint64_t)st.st_size;
	p->start = mono_ns();
	/* On a terminal the bar shows at once (then every 100 ms), however
	 * short the run; elsewhere a line a second. */
	p->next = p->tty ? p->start : p->start + 1000000000LL;
	p->drawn = 0;
}

static void
human_bytes(struct buf *b, double x)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;

	while (x >= 1024 && i < 4) {
		x /= 1024;
		i++;
	}
	buf_addf(b, i ? "%.1f%s" : "%.0f%s", x, u[i]);
}

static void
draw(struct progress *p, uint64_t events, int64_t now, int final)
{
	static const char spinner[] = "|/-\\";
	double secs = (double)(now - p->start) / 1e9;
	double rate = secs > 0 ? (double)events / secs : 0;
	struct buf b = BUF_INIT;

	if (p->tty)
		buf_addc(&b, '\r');
	buf_adds(&b, "evpipe: ");
	if (p->size) {
		off_t pos = lseek(p->fd, 0, SEEK_CUR);
		double done = pos > 0 ? (double)pos : 0, pct;
		int i, fill;

		if (final || done > (double)p->size)
			done = (double)p->size;
		pct = (double)p->size ? done * 100 / (double)p->size : 100;
		fill = (int)(pct / 5);
		buf_addc(&b, '[');
		for (i = 0; i < 20; i++)
			buf_addc(&b, i < fill ? '#' : '-');
		buf_addf(&b, "] %3.0f%% ", pct);
		human_bytes(&b, done);
		buf_addc(&b, '/');
		human_bytes(&b, (double)p->size);
		buf_addf(&b, " %llu events %.0f/s", (unsigned long long)events,
			 rate);
		if (!final && done > 0 && done < (double)p->size) {
			double eta = secs * ((double)p->size - done) / done;

			buf_addf(&b, " ETA %d:%02d", (int)eta / 60,
				 (int)eta % 60);
		}
	} else {
		buf_addf(&b, "%c %llu events %.0f/s",
			 final ? ' ' : spinner[p->spin++ % 4],
			 (unsigned long long)events, rate);
	}
	buf_addf(&b, " %s", p->name);
	buf_adds(&b, p->tty ? "\033[K" : "\n");
	if (write_full(STDERR_FILENO, b.data, b.len) == 0)
		p->drawn = 1;
	buf_release(&b);
}

void
progress_tick(struct progress *p, uint64_t events)
{
	int64_t now = mono_ns();

	if (now >= p->next) {
		draw(p, events - p->events0, now, 0);
		p->next = now + (p->tty ? 100000000LL : 1000000000LL);
	}
}

void
progress_end(struct progress *p, uint64_t events)
{
	if (p->tty) {
		if (p->drawn && write_full(STDERR_FILENO, "\r\033[K", 4) == -1)
			return;
	} else {
		draw(p, events - p->events0, mono_ns(), 1);
	}
	p->events0 = events;
}
