/*
 * child.c -- start commands fed through a pipe (see child.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "errbuf.h"

extern char **environ;

/* The file actions of a start: the pipe onto stdin, then redirs. */
static void
child_actions(posix_spawn_file_actions_t *fa, int rfd,
	      const struct child_redir *redirs, size_t nredirs)
{
	size_t k;

	posix_spawn_file_actions_init(fa);
	posix_spawn_file_actions_adddup2(fa, rfd, 0);
	for (k = 0; k < nredirs; k++) {
		const struct child_redir *r = &redirs[k];

		if (r->from >= 0)
			posix_spawn_file_actions_adddup2(fa, r->from, r->fd);
		else
			posix_spawn_file_actions_addopen(fa, r->fd, r->path,
							 r->flags, 0666);
	}
}

int
child_spawn(struct child *c, const char *cmd, const struct child_opts *o)
{
	static char sh[] = "sh", dash_c[] = "-c";
	char *argv[] = { sh, dash_c, (char *)cmd, NULL };
	static const struct child_opts none_opts = { 0 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	char *const *env;
	int fds[2], rc = -1;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	pid_t pid;

	if (o == NULL)
		o = &none_opts;
	env = o->env ? o->env : environ;
	if (pipe2(fds, O_CLOEXEC) == -1)
		return errno;
	if (fds[0] <= 2) {
		/* evpipe's own stdin is closed: keep the pipe off fd 0, or
		 * the dup2 onto 0 would keep its close-on-exec flag */
		int fd = fcntl(fds[0], F_DUPFD_CLOEXEC, 3);

		if (fd != -1) {
			close(fds[0]);
			fds[0] = fd;
		}
	}
	posix_spawnattr_init(&at);
	/* Ignored signals stay ignored across exec: undo ours. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	if (o->pgroup) {
		posix_spawnattr_setpgroup(&at, 0);
		flags |= POSIX_SPAWN_SETPGROUP;
	}
	posix_spawnattr_setflags(&at, flags);
	if (o->prog) {
		child_actions(&fa, fds[0], o->redirs, o->nredirs);
		rc = posix_spawn(&pid, o->prog, &fa, &at, o->argv, env);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (rc != 0) {
		child_actions(&fa, fds[0], NULL, 0);
		rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, env);
		posix_spawn_file_actions_destroy(&fa);
	}
	posix_spawnattr_destroy(&at);
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		return rc;
	}
	c->pid = pid;
	c->in = fds[1];
	return 0;
}

int
child_start(struct child *c, const char *cmd, struct errbuf *eb)
{
	int rc = child_spawn(c, cmd, NULL);

	if (rc != 0)
		return errbuf_set(eb, STATUS_IO, "cannot start '%s': %s", cmd,
				  strerror(rc));
	return 0;
}

int
child_finish(struct child *c)
{
	int status;

	if (c->in != -1) {
		close(c->in);
		c->in = -1;
	}
	if (c->pid <= 0)
		return -1;
	while (waitpid(c->pid, &status, 0) == -1)
		if (errno != EINTR) {
			c->pid = 0;
			return -1;
		}
	c->pid = 0;
	return status;
}

const char *
child_status_text(int status, char *buf, size_t n)
{
	if (status == -1)
		snprintf(buf, n, "could not be waited for");
	else if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "ended with wait status %d", status);
	return buf;
}
