/*
 * sink/exec.c -- exec:COMMAND targets: one long-lived "sh -c COMMAND" fed
 * events on its stdin.
 *
 * When the child exits while evpipe still has events for it (a write
 * fails with EPIPE), its status is reported and it is started again after
 * a backoff that doubles from 100 ms to 5 s; the line being written when
 * it died is written again, whole, to the new child.  A child that dies
 * within a second of starting five times in a row is given up on: the
 * target fails (status 3).  At the end, evpipe closes the child's stdin
 * and waits; a non-zero exit status is a failure of the target.
 */
#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/errbuf.h"
#include "target.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define EXEC_BACKOFF_MIN      (100LL * 1000000)
#define EXEC_BACKOFF_MAX      (5000LL * 1000000)
#define EXEC_MAX_QUICK_DEATHS 5

struct exec_priv {
	char *cmd;
	struct child c;
	int64_t started_ns;
	int64_t backoff_ns;
	int quick_deaths;
	unsigned restarts;
	/* write_some(): the child died and waits for its restart */
	int dead;
	int64_t next_try;
	size_t unread_at_death; /* bytes it left in its stdin pipe */
};

static int
exec_open(struct sink *s, const char *cmd, struct errbuf *eb)
{
	struct exec_priv *p = xcalloc(1, sizeof *p);

	p->cmd = xstrdup(cmd);
	p->c.in = -1;
	p->backoff_ns = EXEC_BACKOFF_MIN;
	if (child_start(&p->c, p->cmd, NULL, eb) == -1) {
		free(p->cmd);
		free(p);
		return -1;
	}
	p->started_ns = mono_ns();
	s->priv = p;
	return 0;
}

static void
sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The child is gone: report it, wait, start it again. */
static int
exec_restart(struct sink *s, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	char why[64];
	int status = child_finish(&p->c);

	child_status_text(status, why, sizeof why);
	if (mono_ns() - p->started_ns < 1000000000LL)
		p->quick_deaths++;
	else
		p->quick_deaths = 0, p->backoff_ns = EXEC_BACKOFF_MIN;
	if (p->quick_deaths >= EXEC_MAX_QUICK_DEATHS)
		return errbuf_set(eb, STATUS_IO,
				  "%s: command %s %d times within a second of "
				  "starting; giving up",
				  s->spec, why, p->quick_deaths);
	log_warn("%s: command %s; restarting in %lld ms", s->spec, why,
		 (long long)(p->backoff_ns / 1000000));
	sleep_ns(p->backoff_ns);
	p->backoff_ns *= 2;
	if (p->backoff_ns > EXEC_BACKOFF_MAX)
		p->backoff_ns = EXEC_BACKOFF_MAX;
	p->restarts++;
	if (child_start(&p->c, p->cmd, NULL, eb) == -1)
		return -1;
	p->started_ns = mono_ns();
	return 0;
}

static int
exec_write(struct sink *s, const char *buf, size_t len, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	size_t off = 0, line = 0;

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
		if (exec_restart(s, eb) == -1)
			return -1;
		off = line; /* the cut line goes again, whole */
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

/*
 * The child is gone (EPIPE, or reaped at the end): note what it left
 * unread, report its status and plan the restart.  -1 when it died
 * too often too fast: the target fails for good.
 */
static int
exec_died(struct sink *s, int status, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	char why[64];

	child_status_text(status, why, sizeof why);
	p->dead = 1;
	if (mono_ns() - p->started_ns < 1000000000LL)
		p->quick_deaths++;
	else
		p->quick_deaths = 0, p->backoff_ns = EXEC_BACKOFF_MIN;
	if (p->quick_deaths >= EXEC_MAX_QUICK_DEATHS)
		return errbuf_set(eb, STATUS_IO,
				  "%s: command %s %d times within a second of "
				  "starting; giving up",
				  s->spec, why, p->quick_deaths);
	log_warn("%s: command %s; restarting in %lld ms", s->spec, why,
		 (long long)(p->backoff_ns / 1000000));
	p->next_try = mono_ns() + p->backoff_ns;
	p->backoff_ns *= 2;
	if (p->backoff_ns > EXEC_BACKOFF_MAX)
		p->backoff_ns = EXEC_BACKOFF_MAX;
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
		if (child_start(&p->c, p->cmd, NULL, eb) == -1)
			return -1;
		p->started_ns = mono_ns();
		p->dead = 0;
		p->unread_at_death = 0;
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

static int
exec_close(struct sink *s, struct errbuf *eb)
{
	struct exec_priv *p = s->priv;
	int running = p->c.pid > 0 && !p->dead, status = child_finish(&p->c);
	int r = 0;
	char why[64];

	/* A child given up on was reported already. */
	if (running && status != 0)
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
