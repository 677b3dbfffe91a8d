/*
 * batch-exec.c -- run "sh -c CMD" once per batch, the batch on its stdin
 * (batch.h).
 *
 * Up to --parallel commands at once, each in a slot that a batch holds
 * from its first attempt until it succeeds or fails for good (so with
 * --parallel 1 batches are delivered strictly in order).  Nothing here
 * blocks while a slot is free: stdin is written without blocking (the
 * pipe is enlarged to hold a whole batch when it can be), commands are
 * reaped with WNOHANG from the stage's process and timer calls, and
 * retries wait for their deadline.  Only a batch that finds every slot
 * busy waits, in poll(2) on the commands' stdin and pidfds -- that is the
 * backpressure that stops evpipe from reading faster than the commands
 * take batches.
 *
 * Each command runs in its own process group, with SIGPIPE, SIGINT and
 * SIGTERM at their defaults: a Ctrl-C meant for evpipe does not kill the
 * commands of the batches it is draining, and --timeout can stop a
 * command together with its children.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch.h"
#include "lib/backoff.h"
#include "lib/child.h"
#include "lib/errbuf.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

extern char **environ;

/* How often a running command is looked at when nothing else wakes us. */
#define BEXEC_TICK_NS (10LL * 1000000)
/* The largest pipe asked for, so a batch is written in one go. */
#define BEXEC_PIPE_MAX (1024 * 1024)
#define BEXEC_NVARS    10

struct job {
	struct batch *b; /* NULL: the slot is free */
	pid_t pid;	 /* 0: no command running */
	int in;		 /* its stdin; -1 once closed */
	int pidfd;	 /* readable when it exits; -1 if unavailable */
	size_t off;	 /* bytes of b->data written */
	unsigned attempt;
	int64_t started, retry_at, kill_at;
	int killed; /* 1: SIGTERM sent (timeout), 2: SIGKILL sent */
	int timed_out;
};

struct bexec {
	struct bexec_opts o;
	/* A simple command, run without sh (see simple_parse()). */
	char *prog;		    /* its resolved path, or NULL: use sh */
	char **words;		    /* argv */
	struct child_redir *redirs; /* paths are allocated */
	size_t nredirs;
	struct job *jobs;
	char **base_env; /* environ without EVPIPE_BATCH_* */
	size_t nbase;
	int64_t next_look; /* bexec_poll() + BEXEC_TICK_NS */
	uint64_t attempts, retries;
};

/*
 * Commands simple enough to run without a shell, as make does: words of
 * the characters below, separated by blanks, and the redirections >W,
 * >>W, 2>W, 2>>W, 2>&1 and >&2 (1> for >).  The first word must be
 * neither an assignment nor one of sh's builtins or keywords, and must be
 * found in PATH now.  Running it directly does what "sh -c" does for such
 * a command (dash execs a lone command), minus one exec per batch; a
 * direct start that fails (a redirection that cannot be opened) is run
 * through sh after all, so errors are sh's own.
 */
static const char *const sh_words[] = {
	"!",	    ".",     ":",	 "[",	   "{",	      "}",
	"alias",    "bg",    "break",	 "case",   "cd",      "command",
	"continue", "do",    "done",	 "echo",   "elif",    "else",
	"esac",	    "eval",  "exec",	 "exit",   "export",  "false",
	"fc",	    "fg",    "fi",	 "for",	   "getopts", "hash",
	"if",	    "in",    "jobs",	 "kill",   "local",   "printf",
	"pwd",	    "read",  "readonly", "return", "set",     "shift",
	"test",	    "then",  "times",	 "trap",   "true",    "type",
	"ulimit",   "umask", "unalias",	 "unset",  "until",   "wait",
	"while",    NULL,
};

static int
simple_word(const char *w)
{
	if (*w == '\0')
		return 0;
	for (; *w; w++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
			    "yz"
			    "0123456789_./:,+=@%-",
			    *w))
			return 0;
	return 1;
}

/* The executable PATH lookup finds for prog now, or NULL. */
static char *
simple_which(const char *prog)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? xstrdup(prog) : NULL;
	if (path == NULL)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/"
		       "sbin:/bin";
	for (p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *cand = n ? xasprintf("%.*s/%s", (int)n, p, prog)
			       : xasprintf("./%s", prog);
		struct stat st;

		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (end == NULL)
			return NULL;
		p = end;
	}
}

static void
simple_free(struct bexec *x)
{
	size_t i;

	for (i = 0; x->words && x->words[i]; i++)
		free(x->words[i]);
	free(x->words);
	for (i = 0; i < x->nredirs; i++)
		free((char *)x->redirs[i].path);
	free(x->redirs);
	free(x->prog);
	x->prog = NULL;
	x->words = NULL;
	x->redirs = NULL;
	x->nredirs = 0;
}

static void
simple_parse(struct bexec *x, const char *cmd)
{
	char *copy = xstrdup(cmd), *tok, *save = NULL;
	size_t nw = 0, i;
	int ok = 1;

	x->words = xcalloc(strlen(cmd) + 1, sizeof(char *));
	x->redirs = xcalloc(strlen(cmd) + 1, sizeof(struct child_redir));
	for (tok = strtok_r(copy, " \t", &save); tok && ok;
	     tok = strtok_r(NULL, " \t", &save)) {
		struct child_redir *r = &x->redirs[x->nredirs];
		const char *w = tok;

		if (strcmp(tok, "2>&1") == 0) {
			*r = (struct child_redir){ 2, 1, 0, NULL };
			x->nredirs++;
			continue;
		}
		if (strcmp(tok, ">&2") == 0 || strcmp(tok, "1>&2") == 0) {
			*r = (struct child_redir){ 1, 2, 0, NULL };
			x->nredirs++;
			continue;
		}
		if (strchr(tok, '>') == NULL) {
			ok = simple_word(tok);
			if (ok)
				x->words[nw++] = xstrdup(tok);
			continue;
		}
		r->fd = 1;
		r->from = -1;
		if (w[0] == '1' || w[0] == '2')
			r->fd = *w++ - '0';
		if (w[0] != '>') {
			ok = 0;
			break;
		}
		w++;
		r->flags = O_WRONLY | O_CREAT | O_TRUNC;
		if (w[0] == '>') {
			r->flags = O_WRONLY | O_CREAT | O_APPEND;
			w++;
		}
		if (*w == '\0')
			w = strtok_r(NULL, " \t", &save);
		if (w == NULL || !simple_word(w)) {
			ok = 0;
			break;
		}
		r->path = xstrdup(w);
		x->nredirs++;
	}
	free(copy);
	if (ok && nw > 0 && strchr(x->words[0], '=') == NULL) {
		for (i = 0; sh_words[i]; i++)
			if (strcmp(sh_words[i], x->words[0]) == 0)
				ok = 0;
		if (ok)
			x->prog = simple_which(x->words[0]);
	}
	if (x->prog == NULL)
		simple_free(x);
}

/*
 * Is the name of "NAME=value" one sh passes on (letters, digits, '_', not
 * starting with a digit)?  dash drops the others (bash's exported
 * functions), so commands run without sh must not see them either.
 */
static int
env_name_ok(const char *e)
{
	const char *p = e;

	if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
	      (*p >= 'a' && *p <= 'z')))
		return 0;
	for (p++; *p && *p != '='; p++)
		if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return 0;
	return *p == '=';
}

struct bexec *
bexec_new(const struct bexec_opts *o)
{
	struct bexec *x = xcalloc(1, sizeof *x);
	char **e;
	unsigned i;

	x->o = *o;
	x->jobs = xcalloc(o->parallel, sizeof *x->jobs);
	for (i = 0; i < o->parallel; i++)
		x->jobs[i].in = x->jobs[i].pidfd = -1;
	for (e = environ; e && *e; e++)
		x->nbase++;
	x->base_env = xcalloc(x->nbase + BEXEC_NVARS + 1, sizeof(char *));
	x->nbase = 0;
	for (e = environ; e && *e; e++)
		if (strncmp(*e, "EVPIPE_BATCH_", 13) != 0 && env_name_ok(*e))
			x->base_env[x->nbase++] = *e;
	if (getenv("EVPIPE_NO_DIRECT") == NULL)
		simple_parse(x, o->cmd);
	return x;
}

/*
 * EVPIPE_BATCH_KEY: a string key as its text (as jq -r prints it), any
 * other key as JSON; left out when the text holds a NUL byte, which no
 * environment variable can carry.
 */
static char *
key_var(const struct batch *b)
{
	json_t *v = json_loadb(b->key.data, b->key.len, JSON_DECODE_ANY, NULL);
	char *s = NULL;

	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) == json_string_length(v))
			s = xasprintf("EVPIPE_BATCH_KEY=%s",
				      json_string_value(v));
	} else {
		s = xasprintf("EVPIPE_BATCH_KEY=%s", b->key.data);
	}
	json_decref(v);
	return s;
}

/* Start attempt j->attempt of j->b.  0, or -1 with why filled. */
static int
job_spawn(struct bexec *x, struct job *j, char *why, size_t nwhy)
{
	struct batch *b = j->b;
	char **env = x->base_env, **vars = env + x->nbase;
	const struct child_opts co = {
		.prog = x->prog,
		.argv = x->words,
		.redirs = x->redirs,
		.nredirs = x->nredirs,
		.env = env,
		.pgroup = 1,
	};
	struct child c;
	int rc, nv = 0, i;

	vars[nv++] =
		xasprintf("EVPIPE_BATCH_SEQ=%llu", (unsigned long long)b->seq);
	vars[nv++] = xasprintf("EVPIPE_BATCH_COUNT=%zu", b->n);
	vars[nv++] = xasprintf("EVPIPE_BATCH_BYTES=%zu", b->data.len);
	vars[nv++] = xasprintf("EVPIPE_BATCH_ATTEMPT=%u", j->attempt);
	vars[nv++] = xasprintf("EVPIPE_BATCH_REASON=%s", b->why);
	vars[nv++] = xasprintf("EVPIPE_BATCH_SOURCE=%s", batch_src(b, 0));
	vars[nv++] = xasprintf("EVPIPE_BATCH_LINE=%llu",
			       (unsigned long long)b->ev[0].lineno);
	if (x->o.keyed) {
		vars[nv++] = xasprintf("EVPIPE_BATCH_KEY_JSON=%s", b->key.data);
		if ((vars[nv] = key_var(b)) != NULL)
			nv++;
	}
	vars[nv] = NULL;
	rc = child_spawn(&c, x->o.cmd, &co);
	for (i = 0; i < nv; i++)
		free(vars[i]);
	vars[0] = NULL;
	if (rc != 0) {
		snprintf(why, nwhy, "could not be started: %s", strerror(rc));
		return -1;
	}
	if (b->data.len > 65536) {
		int want = b->data.len > BEXEC_PIPE_MAX ? BEXEC_PIPE_MAX
							: (int)b->data.len;

		(void)fcntl(c.in, F_SETPIPE_SZ, want); /* best effort */
	}
	fcntl(c.in, F_SETFL, O_NONBLOCK);
	x->attempts++;
	j->pid = c.pid;
	j->in = c.in;
	j->off = 0;
	j->killed = j->timed_out = 0;
	j->kill_at = 0;
	j->started = mono_ns();
#ifdef SYS_pidfd_open
	j->pidfd = (int)syscall(SYS_pidfd_open, c.pid, 0);
#else
	j->pidfd = -1;
#endif
	return 0;
}

/* Write what the command's stdin takes now; close it when all is in. */
static void
job_feed(struct job *j)
{
	const struct buf *d = &j->b->data;

	while (j->in != -1 && j->off < d->len) {
		ssize_t n = write(j->in, d->data + j->off, d->len - j->off);

		if (n > 0) {
			j->off += (size_t)n;
		} else if (n == -1 && errno == EINTR) {
			continue;
		} else if (n == -1 && errno == EAGAIN) {
			return;
		} else {
			/* EPIPE: it stopped reading; its exit status
			 * says whether that was a failure. */
			break;
		}
	}
	if (j->in != -1) {
		close(j->in);
		j->in = -1;
	}
}

static void
job_clear(struct job *j)
{
	if (j->in != -1)
		close(j->in);
	if (j->pidfd != -1)
		close(j->pidfd);
	memset(j, 0, sizeof *j);
	j->in = j->pidfd = -1;
}

/*
 * An attempt ended: wstatus from waitpid, or -1 with why already set (it
 * could not be started).  Retry later, or hand the batch back.
 */
static int
job_ended(struct bexec *x, struct job *j, int wstatus, char *why, size_t nwhy,
	  int64_t now, struct errbuf *eb)
{
	struct batch *b;
	unsigned attempts;

	if (wstatus == 0) {
		b = j->b;
		job_clear(j);
		return x->o.done(x->o.arg, b, NULL, 0, 0, eb);
	}
	if (wstatus != -1) {
		char st[64];

		child_status_text(wstatus, st, sizeof st);
		if (j->timed_out)
			snprintf(why, nwhy, "command timed out and %s", st);
		else
			snprintf(why, nwhy, "command %s", st);
	}
	if (j->attempt <= x->o.retries) {
		/* the wait before the retry that follows attempt k */
		int64_t d = backoff_delay(x->o.backoff_ns, BEXEC_BACKOFF_MAX,
					  j->attempt);

		log_warn("batch: batch %llu: %s (attempt %u of %u); retrying "
			 "in %lld ms",
			 (unsigned long long)j->b->seq, why, j->attempt,
			 x->o.retries + 1, (long long)(d / 1000000));
		if (j->in != -1)
			close(j->in);
		if (j->pidfd != -1)
			close(j->pidfd);
		j->in = j->pidfd = -1;
		j->pid = 0;
		j->retry_at = now + d;
		x->retries++;
		return 0;
	}
	b = j->b;
	attempts = j->attempt;
	job_clear(j);
	return x->o.done(x->o.arg, b, why, attempts, wstatus, eb);
}

/* Start attempt j->attempt; a start that fails counts as a failed one. */
static int
job_start(struct bexec *x, struct job *j, int64_t now, struct errbuf *eb)
{
	char why[256];

	j->retry_at = 0;
	if (job_spawn(x, j, why, sizeof why) == -1)
		return job_ended(x, j, -1, why, sizeof why, now, eb);
	job_feed(j);
	return 0;
}

int
bexec_poll(struct bexec *x, int64_t now, struct errbuf *eb)
{
	unsigned i;
	int r = 0;

	x->next_look = now + BEXEC_TICK_NS;
	for (i = 0; i < x->o.parallel; i++) {
		struct job *j = &x->jobs[i];
		int rc = 0;

		if (j->b == NULL)
			continue;
		if (j->pid == 0) {
			if (j->retry_at <= now) {
				j->attempt++;
				rc = job_start(x, j, now, eb);
			}
		} else {
			int status;
			pid_t p;

			job_feed(j);
			while ((p = waitpid(j->pid, &status, WNOHANG)) == -1 &&
			       errno == EINTR)
				;
			if (p == j->pid || p == -1) {
				char why[256];

				if (p == -1)
					status = -1, snprintf(why, sizeof why,
							      "command could "
							      "not be waited "
							      "for");
				rc = job_ended(x, j, status, why, sizeof why,
					       now, eb);
			} else if (x->o.timeout_ns > 0 && j->killed == 0 &&
				   now - j->started >= x->o.timeout_ns) {
				kill(-j->pid, SIGTERM);
				j->killed = j->timed_out = 1;
				j->kill_at = now + BEXEC_KILL_GRACE;
			} else if (j->killed == 1 && now >= j->kill_at) {
				kill(-j->pid, SIGKILL);
				j->killed = 2;
			}
		}
		if (rc == -1)
			return -1;
		if (rc == 1)
			r = 1;
	}
	return r;
}

int64_t
bexec_deadline(const struct bexec *x)
{
	int64_t best = INT64_MAX;
	unsigned i;

	for (i = 0; i < x->o.parallel; i++) {
		const struct job *j = &x->jobs[i];

		if (j->b == NULL)
			continue;
		if (j->pid == 0) {
			if (j->retry_at < best)
				best = j->retry_at;
		} else if (x->next_look < best) {
			/* a fixed time, not now + tick: it must come due */
			best = x->next_look;
		}
	}
	return best;
}

/* Block until a slot is free (all = 0) or every slot is (all = 1). */
static int
bexec_wait(struct bexec *x, int all, struct errbuf *eb)
{
	struct pollfd *pfd = xcalloc(2 * x->o.parallel, sizeof *pfd);
	int r = 0;

	for (;;) {
		int64_t now = mono_ns(), until = INT64_MAX;
		unsigned i, busy = 0, n = 0;
		int rc = bexec_poll(x, now, eb), ms;

		if (rc == -1) {
			r = -1;
			break;
		}
		if (rc == 1)
			r = 1;
		for (i = 0; i < x->o.parallel; i++) {
			struct job *j = &x->jobs[i];

			if (j->b == NULL)
				continue;
			busy++;
			if (j->pid == 0) {
				if (j->retry_at < until)
					until = j->retry_at;
				continue;
			}
			if (j->in != -1) {
				pfd[n].fd = j->in;
				pfd[n++].events = POLLOUT;
			}
			if (j->pidfd != -1) {
				pfd[n].fd = j->pidfd;
				pfd[n++].events = POLLIN;
			} else if (now + BEXEC_TICK_NS < until) {
				until = now + BEXEC_TICK_NS;
			}
			if (x->o.timeout_ns > 0 && j->killed == 0 &&
			    j->started + x->o.timeout_ns < until)
				until = j->started + x->o.timeout_ns;
			if (j->killed == 1 && j->kill_at < until)
				until = j->kill_at;
		}
		if (all ? busy == 0 : busy < x->o.parallel)
			break;
		if (until == INT64_MAX)
			ms = -1;
		else if (until <= now)
			ms = 0;
		else
			ms = (int)((until - now + 999999) / 1000000);
		if (poll(pfd, n, ms) == -1 && errno != EINTR) {
			r = errbuf_set(eb, STATUS_IO, "batch: poll: %s",
				       strerror(errno));
			break;
		}
	}
	free(pfd);
	return r;
}

int
bexec_submit(struct bexec *x, struct batch *b, struct errbuf *eb)
{
	unsigned i;
	int r = 0, rc;

	for (;;) {
		for (i = 0; i < x->o.parallel; i++)
			if (x->jobs[i].b == NULL)
				break;
		if (i < x->o.parallel)
			break;
		r = bexec_wait(x, 0, eb);
		if (r == -1)
			return -1;
	}
	x->jobs[i].b = b;
	x->jobs[i].attempt = 1;
	rc = job_start(x, &x->jobs[i], mono_ns(), eb);
	return rc != 0 ? rc : r;
}

int
bexec_drain(struct bexec *x, struct errbuf *eb)
{
	return bexec_wait(x, 1, eb);
}

void
bexec_stats(const struct bexec *x, uint64_t *attempts, uint64_t *retries)
{
	*attempts = x->attempts;
	*retries = x->retries;
}

uint64_t
bexec_held(const struct bexec *x)
{
	uint64_t h = UINT64_MAX;
	size_t i;

	for (i = 0; i < x->o.parallel; i++)
		if (x->jobs[i].b && x->jobs[i].b->min_seq < h)
			h = x->jobs[i].b->min_seq;
	return h;
}

void
bexec_free(struct bexec *x, void (*recycle)(void *, struct batch *), void *arg)
{
	unsigned i;

	if (x == NULL)
		return;
	for (i = 0; i < x->o.parallel; i++) {
		struct job *j = &x->jobs[i];

		if (j->in != -1) {
			close(j->in);
			j->in = -1;
		}
		if (j->pid > 0)
			while (waitpid(j->pid, NULL, 0) == -1 && errno == EINTR)
				;
		if (j->b)
			recycle(arg, j->b);
		job_clear(j);
	}
	free(x->jobs);
	free(x->base_env);
	simple_free(x);
	free(x);
}
