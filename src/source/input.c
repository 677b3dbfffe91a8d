/*
 * input.c -- files and stdin, with transparent gzip (see input.h).
 *
 * The first read decides: if the stream starts with the gzip magic bytes
 * 1f 8b, everything read from then on goes through zlib's inflate, member
 * after member (concatenated .gz files are one stream, as with zcat).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/errbuf.h"
#include "input.h"
#include "lib/xmalloc.h"

#define INPUT_ZBUF (128 * 1024)

struct input {
	char *name;
	int fd;
	int is_stdin;
	int stream;  /* not a regular file */
	int sniffed; /* first bytes looked at */
	int gz;	     /* inflating */
	int zend;    /* inflate reached the end of a member */
	z_stream z;
	unsigned char *zbuf;
	size_t zcap; /* size of zbuf */
	size_t zlen; /* bytes in zbuf not yet given to inflate */
};

struct input *
input_open(const char *path, struct errbuf *eb)
{
	struct input *in;
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0) {
		fd = 0;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd == -1)
			return errbuf_set(eb, STATUS_IO, "cannot open '%s': %s",
					  path, strerror(errno)),
			       NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (fd != 0)
			close(fd);
		errbuf_set(eb, STATUS_IO, "cannot read '%s': Is a directory",
			   path);
		return NULL;
	}
	in = xcalloc(1, sizeof *in);
	in->name = xstrdup(fd == 0 ? "<stdin>" : path);
	in->fd = fd;
	in->is_stdin = fd == 0;
	in->stream = !S_ISREG(st.st_mode);
	return in;
}

const char *
input_name(const struct input *in)
{
	return in->name;
}

int
input_fd(const struct input *in)
{
	return in->fd;
}

int
input_is_stream(const struct input *in)
{
	return in->stream;
}

static ssize_t
input_read_raw(struct input *in, char *buf, size_t n, struct errbuf *eb)
{
	if (in->stream) {
		/* Never block: other sources wait their turn (source.h). */
		struct pollfd p = { .fd = in->fd, .events = POLLIN };
		int r;

		do
			r = poll(&p, 1, 0);
		while (r == -1 && errno == EINTR);
		if (r == 0) {
			eb->status = 0;
			errno = EAGAIN;
			return -1;
		}
	}
	for (;;) {
		ssize_t r = read(in->fd, buf, n);

		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			eb->status = 0;
			return -1;
		}
		return errbuf_set(eb, STATUS_IO, "cannot read '%s': %s",
				  in->name, strerror(errno));
	}
}

static ssize_t
input_inflate(struct input *in, char *buf, size_t n, struct errbuf *eb)
{
	for (;;) {
		int zr;

		if (in->zlen == 0) {
			ssize_t r = input_read_raw(in, (char *)in->zbuf,
						   in->zcap, eb);

			if (r < 0)
				return -1;
			if (r == 0) {
				if (!in->zend)
					return errbuf_set(eb, STATUS_IO,
							  "cannot read '%s': "
							  "truncated gzip data",
							  in->name);
				return 0;
			}
			in->zlen = (size_t)r;
			in->z.next_in = in->zbuf;
			in->z.avail_in = (uInt)r;
		}
		if (in->zend) {
			/* Another member follows. */
			if (inflateReset(&in->z) != Z_OK)
				return errbuf_set(
					eb, STATUS_IO,
					"cannot read '%s': gzip: %s", in->name,
					in->z.msg ? in->z.msg : "reset failed");
			in->zend = 0;
		}
		in->z.next_out = (unsigned char *)buf;
		in->z.avail_out = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
		zr = inflate(&in->z, Z_NO_FLUSH);
		in->zlen = in->z.avail_in;
		if (zr == Z_STREAM_END)
			in->zend = 1;
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return errbuf_set(
				eb, STATUS_IO,
				"cannot read '%s': corrupt gzip data (%s)",
				in->name,
				in->z.msg ? in->z.msg : "inflate failed");
		if (in->z.avail_out < n)
			return (ssize_t)(n - in->z.avail_out);
	}
}

ssize_t
input_read(void *arg, char *buf, size_t n, struct errbuf *eb)
{
	struct input *in = arg;
	ssize_t r;

	if (in->gz)
		return input_inflate(in, buf, n, eb);
	r = input_read_raw(in, buf, n, eb);
	if (in->sniffed || r <= 0)
		return r;
	in->sniffed = 1;
	if (r == 1 && (unsigned char)buf[0] == 0x1f && n > 1) {
		/* A pipe may hand us one byte: wait for the second magic
		 * byte (blocking: nothing else decides what this input is). */
		int stream = in->stream;
		ssize_t r2;

		in->stream = 0;
		r2 = input_read_raw(in, buf + 1, n - 1, eb);
		in->stream = stream;

		if (r2 < 0)
			return -1;
		r += r2;
	}
	if (r >= 2 && (unsigned char)buf[0] == 0x1f &&
	    (unsigned char)buf[1] == 0x8b) {
		/* Gzip: move what was read into the inflate buffer. */
		in->zcap = (size_t)r > INPUT_ZBUF ? (size_t)r : INPUT_ZBUF;
		in->zbuf = xmalloc(in->zcap);
		memcpy(in->zbuf, buf, (size_t)r);
		in->zlen = (size_t)r;
		in->z.zalloc = xmalloc_zlib;
		in->z.zfree = free_zlib;
		if (inflateInit2(&in->z, 16 + MAX_WBITS) != Z_OK)
			BUG("inflateInit2 failed");
		in->z.next_in = in->zbuf;
		in->z.avail_in = (uInt)r;
		in->gz = 1;
		return input_inflate(in, buf, n, eb);
	}
	return r;
}

void
input_close(struct input *in)
{
	if (in == NULL)
		return;
	if (in->gz)
		inflateEnd(&in->z);
	if (!in->is_stdin)
		close(in->fd);
	free(in->zbuf);
	free(in->name);
	free(in);
}
