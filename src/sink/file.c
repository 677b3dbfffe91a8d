/*
 * sink/file.c -- stdout ("-") and plain files opened for append.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expr/template.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "target.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

struct file_priv {
	int fd;
};

static int
file_write_fd(struct sink *s, int fd, const char *buf, size_t len,
	      struct errbuf *eb)
{
	if (write_full(fd, buf, len) == 0)
		return 0;
	if (errno == EPIPE && s->is_stdout) {
		s->gone = 1;
		return errbuf_set(eb, STATUS_OK, "stdout closed");
	}
	if (s->is_stdout)
		return errbuf_set(eb, STATUS_IO, "cannot write to stdout: %s",
				  strerror(errno));
	return errbuf_set(eb, STATUS_IO, "cannot write to '%s': %s", s->spec,
			  strerror(errno));
}

/* Sinks open on stdout (-o -, --dlq -, tee -t -): fd 1 is closed, and
 * its deferred errors seen, only when the last of them closes. */
static int stdout_users;

static int
stdout_open(struct sink *s, const char *rest, struct errbuf *eb)
{
	s->priv = NULL;
	stdout_users++;
	return 0;
}

static int
stdout_write(struct sink *s, const char *buf, size_t len, struct errbuf *eb)
{
	return file_write_fd(s, 1, buf, len, eb);
}

static int
stdout_close(struct sink *s, struct errbuf *eb)
{
	if (--stdout_users > 0)
		return 0;
	/* Catch errors that only show at close (NFS, some devices). */
	if (close(1) == -1 && errno != EINTR && !s->gone && !s->broken)
		return errbuf_set(eb, STATUS_IO, "cannot write to stdout: %s",
				  strerror(errno));
	return 0;
}

const struct sink_kind sink_stdout = {
	.scheme = "-",
	.summary = "standard output",
	.open = stdout_open,
	.write = stdout_write,
	.close = stdout_close,
};

/* Open PATH for writing with the extra flags (O_APPEND or O_TRUNC). */
static int
file_open_flags(const char *path, int flags, struct errbuf *eb)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	struct stat st;

	if (fd == -1) {
		int err = errno;

		errbuf_set(eb, STATUS_IO, "cannot open '%s': %s", path,
			   strerror(err));
		errno = err; /* callers look at it (EMFILE, ENOENT) */
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return errbuf_set(eb, STATUS_IO,
				  "cannot open '%s': Is a directory", path);
	}
	return fd;
}

/* Open PATH for appending, as a file target; shared with sink/gzip.c. */
int
file_open_append(const char *path, struct errbuf *eb)
{
	return file_open_flags(path, O_APPEND, eb);
}

/* Open PATH emptied, as the main output -o is (target.c). */
int
file_open_replace(const char *path, struct errbuf *eb)
{
	return file_open_flags(path, O_TRUNC, eb);
}

/* mkdir -p for the directories above path. */
void
mkdir_parents(const char *path)
{
	char *p = xstrdup(path), *s;

	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			break;
		*s = '/';
	}
	free(p);
}

#ifdef O_PATH
#define CONFINED_DIR_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#else
#define CONFINED_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#endif

/*
 * Why openat(dfd, name) failed with err: a symbolic link is named as one.
 * The status is STATUS_REJECT when the name is this event's own problem
 * (too long), else STATUS_IO.
 */
static int
confined_why(int dfd, const char *path, const char *name, int flags, int err,
	     char *why, size_t whysz)
{
	const char *verb = flags & O_EXCL ? "create" : "open";
	struct stat st;

	if ((err == ELOOP || err == ENOTDIR || err == ENXIO) &&
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		snprintf(why, whysz,
			 "cannot %s '%s': '%s' is a symbolic link (paths "
			 "rendered from a template never follow one)",
			 verb, path, name);
		return STATUS_IO;
	}
	snprintf(why, whysz, "cannot %s '%s': %s", verb, path, strerror(err));
	return err == ENAMETOOLONG ? STATUS_REJECT : STATUS_IO;
}

int
file_open_confined(const char *path, size_t fixed, int flags, int mkdir_dirs,
		   int *status, char *why, size_t whysz)
{
	char *p = xstrdup(path), *name, *slash;
	int dfd, fd = -1, err = 0;

	*status = STATUS_IO;
	name = p + fixed;
	if (fixed > 0) {
		/* the directory the user typed: it may be a symbolic link */
		*name = '\0';
		dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd == -1 && errno == ENOENT && mkdir_dirs) {
			mkdir_parents(p);
			dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		*name = path[fixed];
		if (dfd == -1) {
			err = errno;
			confined_why(AT_FDCWD, path, "", flags, err, why,
				     whysz);
			goto out;
		}
	} else {
		dfd = AT_FDCWD;
	}
	while ((slash = strchr(name, '/')) != NULL) {
		int next;

		*slash = '\0';
		if (*name == '\0') {
			name = slash + 1;
			continue;
		}
		next = openat(dfd, name, CONFINED_DIR_FLAGS);
		if (next == -1 && errno == ENOENT && mkdir_dirs &&
		    (mkdirat(dfd, name, 0755) == 0 || errno == EEXIST))
			next = openat(dfd, name, CONFINED_DIR_FLAGS);
		if (next == -1) {
			err = errno;
			*status = confined_why(dfd, path, name, flags, err, why,
					       whysz);
			goto out;
		}
		if (dfd != AT_FDCWD)
			close(dfd);
		dfd = next;
		name = slash + 1;
	}
	/* O_NONBLOCK: a FIFO planted there must not hang the run */
	fd = openat(dfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		    0644);
	if (fd == -1) {
		err = errno;
		*status = confined_why(dfd, path, name, flags, err, why, whysz);
		goto out;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
out:
	if (fd == -1 && err == ENOENT && !mkdir_dirs) {
		size_t n = strlen(why);

		snprintf(why + n, whysz - n,
			 " (--mkdir creates missing directories)");
	}
	if (dfd >= 0)
		close(dfd);
	free(p);
	errno = err;
	return fd;
}

static int
file_open(struct sink *s, const char *path, struct errbuf *eb)
{
	struct file_priv *p;
	int fd = s->given_fd >= 0 ? s->given_fd : file_open_append(path, eb);

	if (fd == -1)
		return -1;
	p = xmalloc(sizeof *p);
	p->fd = fd;
	s->priv = p;
	return 0;
}

static int
file_write(struct sink *s, const char *buf, size_t len, struct errbuf *eb)
{
	struct file_priv *p = s->priv;

	return file_write_fd(s, p->fd, buf, len, eb);
}

static int
file_close(struct sink *s, struct errbuf *eb)
{
	struct file_priv *p = s->priv;
	int r = 0;

	if (close(p->fd) == -1 && errno != EINTR)
		r = errbuf_set(eb, STATUS_IO, "cannot write to '%s': %s",
			       s->spec, strerror(errno));
	free(p);
	return r;
}

const struct sink_kind sink_file = {
	.scheme = "",
	.summary = "a file, opened for append",
	.open = file_open,
	.write = file_write,
	.close = file_close,
};

int
file_fixed_dir_missing(const struct template *t, const char *what,
		       const char *spec, struct errbuf *eb)
{
	struct buf dir = BUF_INIT;
	struct stat st;
	int missing;

	template_fixed_text(t, &dir);
	buf_addc(&dir, '\0');
	missing = dir.len > 1 && stat(dir.data, &st) == -1 && errno == ENOENT;
	if (missing)
		errbuf_set(eb, STATUS_IO,
			   "%s '%s': directory '%s' does not exist "
			   "(--mkdir creates it)",
			   what, spec, dir.data);
	buf_release(&dir);
	return missing;
}
