/*
 * sink/exec.c -- exec:COMMAND targets: one long-lived "sh -c COMMAND" fed
 * events on its stdin.
 *
 * Two ways to write.  write_some() and unread() serve the sinkset (-o
 * with NDJSON, tee, route), which keeps every event until the child has
 * read it from its pipe (FIONREAD says how many bytes are still unread)
 * and gives a new child what a dead one left.  write() is all or nothing
 * for the buffered sink (other --to formats, --dlq): when the child dies
 * (EPIPE), what it left unread of the block being written goes again,
 * from the start of its line, to a new child; bytes of an earlier block
 * it left unread are gone, and the target fails ("events were lost").
 *
 * A dead child is started again after a backoff that doubles from 100 ms
 * to 5 s; one that dies within a second of starting five times in a row
 * is given up on: the target fails (status 3).  At the end, evpipe waits
 * until the child has read everything (or exited: what it left unread is
 * lost, a failure), closes its stdin and waits; a non-zero exit status is
 * a failure of the target.
 */
#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/backoff.h"
#include "lib/child.h"
#include "lib/errbuf.h"
#include "target.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define EXEC_BACKOFF_MIN      (100LL * 1000000)
#define EXEC_BACKOFF_MAX      (5000LL * 1000000)
#define EXEC_MAX_QUICK_DEATHS 5

#define EXEC_QUICK_NS (1000LL * 1000000)

struct exec_priv {
	char *cmd;
	struct child c;
	struct backoff bo; /* restarts, and quick deaths in a row */
	unsigned restarts;
	/* write_some(): the child died and waits for its restart */
	int dead;
	int64_t next_try;
	size_t unread_at_death; /* bytes it left in its stdin pipe */
};

/* Start the child (again). */
static int
exec_start(struct sink *s, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;

	if (child_start(&p->c, p->cmd, eb) == -1)
		return -1;
	backoff_started(&p->bo, mono_ns());
	p->dead = 0;
	p->unread_at_death = 0;
	return 0;
}

static int
exec_open(struct sink *s, const char *cmd, struct errbuf *eb)
{
	struct exec_priv *p = xcalloc(1, sizeof *p);

	p->cmd = xstrdup(cmd);
	p->c.in = -1;
	backoff_init(&p->bo, EXEC_BACKOFF_MIN, EXEC_BACKOFF_MAX);
	s->priv = p;
	if (exec_start(s, eb) == -1) {
		free(p->cmd);
		free(p);
		s->priv = NULL;
		return -1;
	}
	return 0;
}

/* Bytes in the child's stdin pipe that it has not read. */
static size_t
pipe_unread(int fd)
{
	int n = 0;

	if (fd < 0 || ioctl(fd, FIONREAD, &n) == -1 || n < 0)
		return 0;
	return (size_t)n;
}

static void
sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	if (ns <= 0)
		return;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * The child is gone (EPIPE, or found dead): report its wait status and
 * plan the restart.  -1 when it died too often too fast: the target
 * fails for good.
 */
static int
exec_died(struct sink *s, int status, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	char why[64];
	int64_t now = mono_ns(), wait;
	unsigned quick = backoff_died(&p->bo, now, EXEC_QUICK_NS, &wait);

	child_status_text(status, why, sizeof why);
	p->dead = 1;
	if (quick >= EXEC_MAX_QUICK_DEATHS)
		return errbuf_set(eb, STATUS_IO,
				  "%s: command %s %u times within a second of "
				  "starting; giving up",
				  s->spec, why, quick);
	log_warn("%s: command %s; restarting in %lld ms", s->spec, why,
		 (long long)(wait / 1000000));
	p->next_try = now + wait;
	return 0;
}

/* The child is gone (write(): EPIPE): report it, wait, start it again. */
static int
exec_restart(struct sink *s, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;

	if (exec_died(s, child_finish(&p->c), eb) == -1)
		return -1;
	sleep_ns(p->next_try - mono_ns());
	p->restarts++;
	return exec_start(s, eb);
}

/*
 * The child (reaped, with wait status status) exited with n bytes unread
 * that evpipe cannot give again: the target fails.
 */
static int
exec_lost(struct sink *s, int status, size_t n, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	char why[64];

	p->dead = 1;
	return errbuf_set(eb, STATUS_IO,
			  "%s: command %s without reading the last %zu bytes "
			  "written to it: events were lost",
			  s->spec, child_status_text(status, why, sizeof why),
			  n);
}

static int
exec_write(struct sink *s, const char *buf, size_t len, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	size_t off = 0, line = 0, unread;

	while (off < len) {
		ssize_t n = write(p->c.in, buf + off, len - off);

		if (n >= 0) {
			const char *nl;

			off += (size_t)n;
			nl = memrchr(buf + line, '\n', off - line);
			if (nl)
				line = (size_t)(nl - buf) + 1;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EPIPE)
			return errbuf_set(eb, STATUS_IO, "%s: cannot write: %s",
					  s->spec, strerror(errno));
		/* what the child left in its pipe goes again, from the
		 * start of its line; bytes of an earlier block it left
		 * are no longer here: the target fails */
		unread = pipe_unread(p->c.in);
		if (unread > off)
			return exec_lost(s, child_finish(&p->c), unread, eb);
		if (unread > 0) {
			const char *nl = memrchr(buf, '\n', off - unread);

			line = nl ? (size_t)(nl - buf) + 1 : 0;
		}
		if (exec_restart(s, eb) == -1)
			return -1;
		off = line; /* the cut line goes again, whole */
	}
	return 0;
}

/*
 * For the sinkset, which keeps every event until the child has read it
 * (unread() says how far it got): write what can be written, and when
 * the child dies, say so (1) instead of restarting it here.
 */
static int
exec_write_some(struct sink *s, const char *buf, size_t len, size_t *done,
		struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	size_t off = 0;

	*done = 0;
	if (p->dead) {
		if (mono_ns() < p->next_try)
			return 1;
		p->restarts++;
		if (exec_start(s, eb) == -1)
			return -1;
	}
	while (off < len) {
		ssize_t n = write(p->c.in, buf + off, len - off);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EPIPE)
			return errbuf_set(eb, STATUS_IO, "%s: cannot write: %s",
					  s->spec, strerror(errno));
		*done = off;
		p->unread_at_death = pipe_unread(p->c.in);
		if (exec_died(s, child_finish(&p->c), eb) == -1)
			return -1;
		return 1;
	}
	*done = len;
	return 0;
}

/*
 * What the child has not read of what was written; a child found dead
 * here (it exited without reading everything) is reaped and restarted
 * on the next write_some().
 */
static size_t
exec_unread(struct sink *s, int *gone, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	size_t n;
	int status;

	*gone = 0;
	if (p->dead) {
		*gone = 1;
		return p->unread_at_death;
	}
	n = pipe_unread(p->c.in);
	if (n > 0 && waitpid(p->c.pid, &status, WNOHANG) == p->c.pid) {
		p->unread_at_death = pipe_unread(p->c.in);
		close(p->c.in);
		p->c.in = -1;
		p->c.pid = 0;
		*gone = exec_died(s, status, eb) == -1 ? 2 : 1;
		return p->unread_at_death;
	}
	return n;
}

static int64_t
exec_retry_at(struct sink *s)
{
	struct exec_priv *p = s->priv;

	return p->dead ? p->next_try : 0;
}

/*
 * Before closing the child's stdin: wait until it has read everything
 * or exited.  The bytes it exited without reading are lost (the
 * sinkset gives them to a new child before it gets here): -1 with eb.
 */
static int
exec_drain(struct sink *s, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	size_t n;
	int status;

	if (p->c.pid <= 0 || p->dead)
		return 0;
	while ((n = pipe_unread(p->c.in)) > 0) {
		pid_t w = waitpid(p->c.pid, &status, WNOHANG);

		if (w == p->c.pid || (w == -1 && errno != EINTR)) {
			close(p->c.in);
			p->c.in = -1;
			p->c.pid = 0;
			return exec_lost(s, w == -1 ? -1 : status, n, eb);
		}
		if (sink_interrupted)
			break;
		sleep_ns(10 * 1000000LL);
	}
	return 0;
}

static int
exec_close(struct sink *s, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	int r = exec_drain(s, eb);
	int running = p->c.pid > 0 && !p->dead, status = child_finish(&p->c);
	char why[64];

	/* A child given up on was reported already. */
	if (r == 0 && running && status != 0)
		r = errbuf_set(eb, STATUS_IO, "%s: command %s", s->spec,
			       child_status_text(status, why, sizeof why));
	free(p->cmd);
	free(p);
	return r;
}

const struct sink_kind sink_exec = {
	.scheme = "exec:",
	.summary = "a command fed events on its stdin",
	.open = exec_open,
	.write = exec_write,
	.write_some = exec_write_some,
	.unread = exec_unread,
	.retry_at = exec_retry_at,
	.close = exec_close,
};
