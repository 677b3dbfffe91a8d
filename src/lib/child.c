/*
 * child.c -- spawn "sh -c COMMAND" fed through a pipe (see child.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "errbuf.h"

int
child_start(struct child *c, const char *cmd, char *const *envp,
	    struct errbuf *eb)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return errbuf_set(eb, STATUS_IO, "cannot start '%s': %s", cmd,
				  strerror(errno));
	pid = fork();
	if (pid == -1) {
		close(fds[0]);
		close(fds[1]);
		return errbuf_set(eb, STATUS_IO, "cannot start '%s': %s", cmd,
				  strerror(errno));
	}
	if (pid == 0) {
		sigset_t none;

		/* Ignored signals stay ignored across exec: undo ours. */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(fds[0], 0) == -1)
			_exit(127);
		if (envp)
			for (; *envp; envp++)
				putenv(*envp);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	c->pid = pid;
	c->in = fds[1];
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
