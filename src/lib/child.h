/*
 * child.h -- running "sh -c COMMAND" with a pipe to its stdin.
 */
#ifndef CHILD_H
#define CHILD_H

#include <sys/types.h>

struct errbuf;

struct child {
	pid_t pid; /* 0 when not running */
	int in;	   /* write end of the child's stdin; -1 when closed */
};

/*
 * Start "sh -c cmd" with stdin from a pipe (child->in), stdout and stderr
 * inherited, SIGPIPE back to its default, extra environment variables
 * envp ("NAME=value", NULL-terminated; may be NULL).  0, or -1 with a
 * STATUS_IO error.
 */
int child_start(struct child *c, const char *cmd, char *const *envp,
		struct errbuf *eb);

/*
 * Close the child's stdin and wait for it.  Returns its wait status, or -1
 * if waitpid failed.
 */
int child_finish(struct child *c);

/* "exited with status 3", "killed by signal 9" for a wait status. */
const char *child_status_text(int status, char *buf, size_t n);

#endif
