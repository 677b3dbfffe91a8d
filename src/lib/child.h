/*
 * child.h -- starting a command with a pipe to its stdin: "sh -c COMMAND",
 * or a simple command run directly (batch --exec).  The one way evpipe
 * starts children.
 */
#ifndef CHILD_H
#define CHILD_H

#include <stddef.h>
#include <sys/types.h>

struct errbuf;

struct child {
	pid_t pid; /* 0 when not running */
	int in;	   /* write end of the child's stdin; -1 when closed */
};

/* A redirection of a direct start: open path onto fd, or dup2(from, fd). */
struct child_redir {
	int fd, from, flags; /* from >= 0: dup2(from, fd) */
	const char *path;
};

struct child_opts {
	/*
	 * When prog is set, run it directly first, with argv and redirs;
	 * "sh -c cmd" when it is not set or that start fails (sh then says
	 * why).
	 */
	const char *prog;
	char *const *argv;
	const struct child_redir *redirs;
	size_t nredirs;
	char *const *env; /* the whole environment; NULL: evpipe's own */
	int pgroup;	  /* in a process group of its own */
};

/*
 * Start cmd with stdin from a pipe (c->in, close-on-exec), stdout and
 * stderr inherited, SIGPIPE, SIGINT and SIGTERM at their defaults and no
 * signal blocked.  Also when evpipe's own stdin is closed (the pipe is
 * kept off fds 0-2).  o may be NULL ("sh -c cmd", evpipe's environment).
 * 0, or an errno value.
 */
int child_spawn(struct child *c, const char *cmd, const struct child_opts *o);

/* child_spawn(c, cmd, NULL): 0, or -1 with a STATUS_IO error. */
int child_start(struct child *c, const char *cmd, struct errbuf *eb);

/*
 * Close the child's stdin and wait for it.  Returns its wait status, or -1
 * if waitpid failed.
 */
int child_finish(struct child *c);

/* "exited with status 3", "killed by signal 9" for a wait status. */
const char *child_status_text(int status, char *buf, size_t n);

#endif
