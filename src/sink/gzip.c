/*
 * sink/gzip.c -- PATH.gz targets: events gzip-compressed, appended as a new
 * gzip member (concatenated members read back as one stream with zcat).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/errbuf.h"
#include "target.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

struct gzip_priv {
	int fd;
	int unsynced; /* bytes given to deflate since the last flush */
	z_stream z;
	unsigned char out[64 * 1024];
};

static int
gzip_open(struct sink *s, const char *path, struct errbuf *eb)
{
	struct gzip_priv *p;
	int fd = s->given_fd >= 0 ? s->given_fd : file_open_append(path, eb);

	if (fd == -1)
		return -1;
	p = xcalloc(1, sizeof *p);
	p->fd = fd;
	p->z.zalloc = xmalloc_zlib;
	p->z.zfree = free_zlib;
	if (deflateInit2(&p->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
			 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		BUG("deflateInit2 failed");
	s->priv = p;
	return 0;
}

/* Run deflate with the given flush mode, writing out what it produces. */
static int
gzip_deflate(struct sink *s, int flush, struct errbuf *eb)
{
	struct gzip_priv *p = s->priv;
	int zr;

	do {
		size_t have;

		p->z.next_out = p->out;
		p->z.avail_out = sizeof p->out;
		zr = deflate(&p->z, flush);
		if (zr == Z_STREAM_ERROR)
			BUG("deflate: stream error");
		have = sizeof p->out - p->z.avail_out;
		if (have > 0 && write_full(p->fd, p->out, have) == -1)
			return errbuf_set(eb, STATUS_IO,
					  "cannot write to '%s': %s", s->spec,
					  strerror(errno));
	} while (p->z.avail_out == 0 ||
		 (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static int
gzip_write(struct sink *s, const char *buf, size_t len, struct errbuf *eb)
{
	struct gzip_priv *p = s->priv;

	p->z.next_in = (unsigned char *)buf;
	p->z.avail_in = (uInt)len;
	p->unsynced = 1;
	return gzip_deflate(s, Z_NO_FLUSH, eb);
}

/*
 * When input goes idle, make what was written so far readable with a
 * sync flush, so "zcat out.gz" sees events while evpipe still runs.
 */
static int
gzip_sync(struct sink *s, struct errbuf *eb)
{
	struct gzip_priv *p = s->priv;

	if (!p->unsynced)
		return 0;
	p->unsynced = 0;
	return gzip_deflate(s, Z_SYNC_FLUSH, eb);
}

static int
gzip_close(struct sink *s, struct errbuf *eb)
{
	struct gzip_priv *p = s->priv;
	int r = 0;

	p->z.next_in = NULL;
	p->z.avail_in = 0;
	if (!s->broken && gzip_deflate(s, Z_FINISH, eb) == -1)
		r = -1;
	deflateEnd(&p->z);
	if (close(p->fd) == -1 && errno != EINTR && r == 0)
		r = errbuf_set(eb, STATUS_IO, "cannot write to '%s': %s",
			       s->spec, strerror(errno));
	free(p);
	return r;
}

const struct sink_kind sink_gzip = {
	.scheme = "",
	.summary = "a gzip-compressed file (name ends in .gz)",
	.open = gzip_open,
	.write = gzip_write,
	.sync = gzip_sync,
	.close = gzip_close,
};
