/*
 * sink/socket.c -- tcp://HOST:PORT and unix:PATH targets: a stream socket
 * that evpipe connects to and writes events on, reconnecting when the
 * peer goes away.
 *
 * Policy (documented in evpipe(1), TARGETS):
 *  - connects are non-blocking with a SOCKET_CONNECT_TIMEOUT timeout; a
 *    target that cannot be reached when evpipe starts is not an error:
 *    events are kept and the connect is tried again;
 *  - after a failed connect the next try waits a backoff that doubles
 *    from 100 ms to 5 s; a connection that breaks is retried at once;
 *  - before each block of writes the socket is checked for the peer's
 *    end of stream, so a peer that closed between two blocks is noticed
 *    before anything is written into the void;
 *  - when a write fails midway (EPIPE, ECONNRESET), the line being
 *    written goes again, whole, on the next connection: lines written
 *    before it count as delivered (TCP has no acknowledgement a writer
 *    can see; bytes the kernel accepted for a peer that then vanished
 *    are beyond evpipe's knowledge);
 *  - the caller holds what could not be written: write_some() says how
 *    much went.  The blocking write() used by -o and --dlq waits (the
 *    pipeline stalls: backpressure) until the peer is back; once the sink
 *    closes, or a signal interrupts the wait, it tries for sink_linger_ns
 *    more and then fails for good.
 *  - a peer that writes to us has its bytes read and thrown away.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/backoff.h"
#include "lib/errbuf.h"
#include "target.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define SOCKET_CONNECT_TIMEOUT_MS 2000
#define SOCKET_BACKOFF_MIN	  (100LL * 1000000)
#define SOCKET_BACKOFF_MAX	  (5000LL * 1000000)

struct socket_priv {
	struct sockaddr_storage *addrs; /* where to connect, in order */
	socklen_t *addrlens;
	size_t naddrs;
	int fd;		    /* -1 while disconnected */
	int64_t next_try;   /* mono_ns of the next connect attempt */
	struct backoff bo;  /* the wait after the next failed connect */
	int64_t linger_end; /* closing: give up after this; 0 if not */
	int down;	    /* an outage was reported (warn once per outage) */
	unsigned reconnects;
	char why[160]; /* the last connect or write error */
};

/* Split "HOST:PORT" or "[V6]:PORT"; host "" means loopback. */
static int
tcp_split(const char *rest, char *host, size_t hostsz, char *port,
	  size_t portsz)
{
	const char *colon, *h = rest;
	size_t hl;

	if (*rest == '[') {
		const char *end = strchr(rest, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		h = rest + 1;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(rest, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - rest);
		if (memchr(rest, ':', hl) != NULL)
			return -1; /* a bare IPv6 address needs brackets */
	}
	if (hl >= hostsz || strlen(colon + 1) >= portsz)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

static int
port_ok(const char *port)
{
	uint64_t v = 0;
	const char *p;

	if (*port == '\0')
		return 0;
	for (p = port; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > 65535)
			return 0;
	}
	return v > 0;
}

int
socket_check(const struct sink_kind *kind, const char *rest, const char *spec,
	     struct errbuf *eb)
{
	char host[256], port[16];

	if (kind == &sink_unix) {
		if (strlen(rest) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': socket path too long",
					  spec);
		return 0;
	}
	if (tcp_split(rest, host, sizeof host, port, sizeof port) == -1 ||
	    !port_ok(port))
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': expected tcp://HOST:PORT "
				  "(port 1 to 65535; [ADDRESS] for IPv6)",
				  spec);
	return 0;
}

static void
socket_add_addr(struct socket_priv *p, const struct sockaddr *sa, socklen_t len)
{
	p->addrs = xreallocarray(p->addrs, p->naddrs + 1, sizeof(*p->addrs));
	p->addrlens =
		xreallocarray(p->addrlens, p->naddrs + 1, sizeof(*p->addrlens));
	memset(&p->addrs[p->naddrs], 0, sizeof(*p->addrs));
	memcpy(&p->addrs[p->naddrs], sa, len);
	p->addrlens[p->naddrs] = len;
	p->naddrs++;
}

static void
socket_free(struct socket_priv *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p->addrs);
	free(p->addrlens);
	free(p);
}

/* Connect to one address within the timeout: the fd, or -1 (errno). */
static int
socket_connect_one(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd pfd;
	int err = 0, n;
	socklen_t elen = sizeof err;

	if (fd == -1)
		return -1;
	if (connect(fd, sa, len) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		n = poll(&pfd, 1, SOCKET_CONNECT_TIMEOUT_MS);
	while (n == -1 && errno == EINTR);
	if (n == 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (n == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
		goto fail;
	if (err != 0) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Try to connect now: 0, or -1 with p->why set and the next try planned. */
static int
socket_connect(struct sink *s)
{
	struct socket_priv *p = s->priv;
	size_t i;

	for (i = 0; i < p->naddrs; i++) {
		p->fd = socket_connect_one((struct sockaddr *)&p->addrs[i],
					   p->addrlens[i]);
		if (p->fd >= 0) {
			if (p->down)
				log_warn("%s: connected again", s->spec);
			p->down = 0;
			backoff_ok(&p->bo);
			return 0;
		}
		snprintf(p->why, sizeof p->why, "cannot connect: %s",
			 strerror(errno));
	}
	if (!p->down)
		log_warn("%s: %s; events are kept and the connect is retried",
			 s->spec, p->why);
	p->down = 1;
	p->next_try = mono_ns() + backoff_fail(&p->bo);
	return -1;
}

static void
socket_lost(struct sink *s, int err)
{
	struct socket_priv *p = s->priv;

	close(p->fd);
	p->fd = -1;
	snprintf(p->why, sizeof p->why, "connection lost: %s",
		 err ? strerror(err) : "closed by the peer");
	if (!p->down)
		log_warn("%s: %s; reconnecting", s->spec, p->why);
	p->down = 1;
	p->reconnects++;
	p->next_try = mono_ns(); /* at once; backoff if that fails */
}

/*
 * Has the peer closed (or reset) the connection?  Bytes it sent are read
 * and dropped: a target is not a conversation.
 */
static int
socket_peer_gone(struct sink *s)
{
	struct socket_priv *p = s->priv;
	char junk[4096];

	for (;;) {
		ssize_t n = recv(p->fd, junk, sizeof junk, MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n == 0) {
			socket_lost(s, 0);
			return 1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		socket_lost(s, errno);
		return 1;
	}
}

static int
socket_open_common(struct sink *s, struct socket_priv *p)
{
	p->fd = -1;
	backoff_init(&p->bo, SOCKET_BACKOFF_MIN, SOCKET_BACKOFF_MAX);
	s->priv = p;
	(void)socket_connect(s); /* not connected yet is not an error */
	return 0;
}

static int
tcp_open(struct sink *s, const char *rest, struct errbuf *eb)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct socket_priv *p;
	char host[256], port[16];
	int rc;

	if (tcp_split(rest, host, sizeof host, port, sizeof port) == -1)
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': expected tcp://HOST:PORT",
				  s->spec);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(*host ? host : "127.0.0.1", port, &hints, &res);
	if (rc != 0)
		return errbuf_set(eb, STATUS_IO, "%s: cannot resolve '%s': %s",
				  s->spec, host, gai_strerror(rc));
	p = xcalloc(1, sizeof *p);
	for (ai = res; ai; ai = ai->ai_next)
		socket_add_addr(p, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	return socket_open_common(s, p);
}

static int
unix_open(struct sink *s, const char *path, struct errbuf *eb)
{
	struct socket_priv *p;
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': socket path too long", s->spec);
	strcpy(sun.sun_path, path);
	p = xcalloc(1, sizeof *p);
	socket_add_addr(p, (struct sockaddr *)&sun, sizeof sun);
	return socket_open_common(s, p);
}

static int
socket_write_some(struct sink *s, const char *buf, size_t len, size_t *done,
		  struct errbuf *eb)
{
	struct socket_priv *p = s->priv;
	size_t off = 0, line = 0;

	*done = 0;
	if (p->fd >= 0)
		(void)socket_peer_gone(s);
	if (p->fd < 0) {
		if (mono_ns() < p->next_try || socket_connect(s) == -1) {
			errbuf_set(eb, STATUS_IO, "%s", p->why);
			return 1;
		}
	}
	while (off < len) {
		ssize_t n = send(p->fd, buf + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			const char *nl;

			off += (size_t)n;
			nl = memrchr(buf + line, '\n', off - line);
			if (nl)
				line = (size_t)(nl - buf) + 1;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* A slow peer: wait for it (backpressure). */
			struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };

			if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
				return errbuf_set(eb, STATUS_IO, "%s: poll: %s",
						  s->spec, strerror(errno));
			continue;
		}
		socket_lost(s, n == -1 ? errno : 0);
		*done = line; /* the cut line goes again, whole */
		errbuf_set(eb, STATUS_IO, "%s", p->why);
		return 1;
	}
	*done = len;
	return 0;
}

static int64_t
socket_retry_at(struct sink *s)
{
	struct socket_priv *p = s->priv;

	return p->fd >= 0 ? 0 : p->next_try;
}

int
sink_sleep_until(int64_t deadline_ns)
{
	int64_t ns = deadline_ns - mono_ns();
	struct timespec ts;

	if (ns <= 0)
		return 0;
	ts.tv_sec = ns / 1000000000;
	ts.tv_nsec = ns % 1000000000;
	return nanosleep(&ts, NULL) == -1 && errno == EINTR ? -1 : 0;
}

/*
 * Blocking write for -o and --dlq: wait for the peer as long as it takes
 * while the run goes on; bounded once closing or interrupted.
 */
static int
socket_write(struct sink *s, const char *buf, size_t len, struct errbuf *eb)
{
	struct socket_priv *p = s->priv;

	for (;;) {
		size_t done;
		int r = socket_write_some(s, buf, len, &done, eb);
		int64_t at;

		if (r <= 0)
			return r;
		buf += done;
		len -= done;
		if ((s->closing || sink_interrupted) && p->linger_end == 0)
			p->linger_end = mono_ns() + sink_linger_ns;
		at = p->next_try;
		if (p->linger_end && at > p->linger_end)
			at = p->linger_end;
		if (p->linger_end && mono_ns() >= p->linger_end)
			return errbuf_set(eb, STATUS_IO,
					  "%s: %s; %zu bytes not delivered",
					  s->spec, p->why, len);
		if (sink_sleep_until(at) == -1 && p->linger_end == 0)
			p->linger_end = mono_ns() + sink_linger_ns;
	}
}

static int
socket_close(struct sink *s, struct errbuf *eb)
{
	struct socket_priv *p = s->priv;
	int r = 0;

	if (p->fd >= 0) {
		/* Tell the peer we are done and let it read the rest. */
		shutdown(p->fd, SHUT_WR);
		if (close(p->fd) == -1 && errno != EINTR)
			r = errbuf_set(eb, STATUS_IO, "%s: close: %s", s->spec,
				       strerror(errno));
		p->fd = -1;
	}
	socket_free(p);
	return r;
}

const struct sink_kind sink_tcp = {
	.scheme = "tcp://",
	.summary = "a TCP connection (reconnected with backoff)",
	.open = tcp_open,
	.write = socket_write,
	.write_some = socket_write_some,
	.retry_at = socket_retry_at,
	.close = socket_close,
};

const struct sink_kind sink_unix = {
	.scheme = "unix:",
	.summary = "a Unix stream socket (reconnected with backoff)",
	.open = unix_open,
	.write = socket_write,
	.write_some = socket_write_some,
	.retry_at = socket_retry_at,
	.close = socket_close,
};
