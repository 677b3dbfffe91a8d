/*
 * source/listen.c -- listeners: tcp://HOST:PORT and unix:PATH accept
 * clients, each a source with its own line reader; udp://HOST:PORT reads
 * datagrams (one datagram holds one or more lines; its end ends a line).
 *
 * tcp://:PORT binds the loopback address (DESIGN 2.7): listening on every
 * interface takes an explicit tcp://0.0.0.0:PORT.  A client is read
 * without blocking; a line longer than --max-line is rejected and the
 * rest of it skipped, so a client holds at most --max-line bytes; a
 * buffer grown for a long line shrinks back once it is read, and past
 * --client-buffers for all clients together the one with the longest
 * unfinished line is closed.  Past
 * --max-clients connected clients a new connection is accepted and closed
 * at once, with a warning.  The event's source is "tcp://PEER:PORT",
 * "unix:PATH" or "udp://PEER:PORT".
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/errbuf.h"
#include "linereader.h"
#include "pipeline.h"
#include "reader.h"
#include "source.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define ACCEPT_TURN	  64	/* connections accepted per turn */
#define UDP_MAX		  65536 /* the largest datagram */
#define UDP_PEER_NAMES	  4096	/* distinct peer names kept */
#define REFUSE_WARN_EVERY 1000000000LL
#define ACCEPT_RETRY	  100000000LL /* ns before accepting again */

enum listen_kind { LISTEN_TCP, LISTEN_UNIX, LISTEN_UDP };

struct listener {
	struct source s;
	struct source_set *set;
	enum listen_kind kind;
	const char *lname; /* its own name (udp: s.name is the peer's) */
	char *unlink_path; /* unix: the socket file we made */
	dev_t sock_dev;
	ino_t sock_ino;
	int64_t last_refuse_warn;
	int64_t last_accept_warn;
	uint64_t refused;    /* refused since the last warning */
	size_t refused_full; /* the clients connected at the last refusal */
	/* udp */
	struct reader rd;
	char *dgram;
	size_t dlen, doff; /* dgram[doff..dlen) not yet given to lr */
	char **peers;	   /* names of udp peers seen */
	size_t npeers;
};

struct client {
	struct source s;
	struct source_set *set;
	int fd;
	struct reader rd; /* its own: a csv header per client */
	size_t mem;	  /* reader_mem() when last counted in set */
};

/* Split "scheme://HOST:PORT" into host and port (host "" for ":PORT"). */
static int
split_host_port(const char *rest, char *host, size_t hostlen, char *port,
		size_t portlen, struct errbuf *eb, const char *target)
{
	const char *colon;
	size_t hl;
	uint64_t pn;

	if (*rest == '[') {
		const char *close = strchr(rest, ']');

		if (close == NULL || close[1] != ':')
			return errbuf_set(eb, STATUS_USAGE,
					  "-i %s: expected [ADDRESS]:PORT",
					  target);
		hl = (size_t)(close - rest - 1);
		colon = close + 1;
		rest++;
	} else {
		colon = strrchr(rest, ':');
		if (colon == NULL)
			return errbuf_set(eb, STATUS_USAGE,
					  "-i %s: expected HOST:PORT", target);
		hl = (size_t)(colon - rest);
	}
	if (hl >= hostlen || strlen(colon + 1) >= portlen)
		return errbuf_set(eb, STATUS_USAGE, "-i %s: address too long",
				  target);
	if (parse_uint(colon + 1, 65535, &pn, eb) == -1)
		return errbuf_set(eb, STATUS_USAGE,
				  "-i %s: bad port '%s' (0 to 65535)", target,
				  colon + 1);
	memcpy(host, rest, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%llu", (unsigned long long)pn);
	return 0;
}

static int
listen_parse(const char *target, enum listen_kind *kind, char *host,
	     size_t hostlen, char *port, size_t portlen, struct errbuf *eb)
{
	if (strncmp(target, "tcp://", 6) == 0 ||
	    strncmp(target, "udp://", 6) == 0) {
		*kind = target[0] == 't' ? LISTEN_TCP : LISTEN_UDP;
		return split_host_port(target + 6, host, hostlen, port, portlen,
				       eb, target);
	}
	if (strncmp(target, "unix:", 5) == 0) {
		*kind = LISTEN_UNIX;
		if (target[5] == '\0' ||
		    strlen(target + 5) >=
			    sizeof(((struct sockaddr_un *)0)->sun_path))
			return errbuf_set(
				eb, STATUS_USAGE,
				"-i %s: the socket path must have 1 "
				"to %zu bytes",
				target,
				sizeof(((struct sockaddr_un *)0)->sun_path) -
					1);
		return 0;
	}
	return errbuf_set(eb, STATUS_USAGE,
			  "-i %s: expected tcp://HOST:PORT, unix:PATH or "
			  "udp://HOST:PORT",
			  target);
}

int
source_socket_mode(const char *arg, unsigned *mode, struct errbuf *eb)
{
	const char *p = arg;

	*mode = 0600;
	if (arg == NULL)
		return 0;
	if (*p == '\0' || strlen(p) > 4)
		goto bad;
	for (*mode = 0; *p; p++) {
		if (*p < '0' || *p > '7')
			goto bad;
		*mode = *mode * 8 + (unsigned)(*p - '0');
	}
	if (*mode <= 0777)
		return 0;
bad:
	if (eb)
		errbuf_set(eb, STATUS_USAGE,
			   "--socket-mode '%s': expected an octal mode from "
			   "0 to 0777 (e.g. 0660)",
			   arg);
	return -1;
}

int
source_listen_check(const char *target, struct errbuf *eb)
{
	enum listen_kind kind;
	char host[256], port[16];

	return listen_parse(target, &kind, host, sizeof host, port, sizeof port,
			    eb);
}

/* "tcp://1.2.3.4:5" or "tcp://[::1]:5" for a socket address. */
static char *
addr_name(const char *scheme, const struct sockaddr *sa, socklen_t len)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return xasprintf("%s://?", scheme);
	if (sa->sa_family == AF_INET6)
		return xasprintf("%s://[%s]:%s", scheme, host, serv);
	return xasprintf("%s://%s:%s", scheme, host, serv);
}

/* ---- clients ------------------------------------------------------------ */

static ssize_t
client_read(void *arg, char *buf, size_t n, struct errbuf *eb)
{
	struct client *c = arg;
	ssize_t r;

	do
		r = read(c->fd, buf, n);
	while (r == -1 && errno == EINTR);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		eb->status = 0;
		errno = EAGAIN;
		return -1;
	}
	/* A client that resets ends like one that closes: what it sent
	 * before is read; the error is its own, not ours. */
	log_warn("%s: %s", c->s.name, strerror(errno));
	return 0;
}

static int
client_next(struct source *s, struct source_rec *rec, struct errbuf *eb)
{
	return source_read(&((struct client *)s)->rd, rec, eb);
}

/* Its unfinished line, unless it is skipping the rest of a long one. */
static size_t
client_unfinished(struct source *s)
{
	struct client *c = (struct client *)s;

	return c->rd.lr.discarding ? 0 : reader_unread(&c->rd);
}

static const struct source_ops client_ops;

/* Count c's buffers in the set's total again. */
static void
client_count(struct client *c, size_t mem)
{
	c->set->client_mem = c->set->client_mem - c->mem + mem;
	c->mem = mem;
}

/*
 * Past --client-buffers: close the client with the longest unfinished
 * line (the one whose buffers are largest), until under it again or no
 * client is inside a line.  Its partial line is dropped, never an event.
 */
static void
clients_over_budget(struct source_set *set)
{
	while (set->client_mem > set->g->client_buffers) {
		struct client *big = NULL;
		size_t i;

		for (i = 0; i < set->n; i++) {
			struct client *c = (struct client *)set->v[i];

			if (set->v[i]->ops == &client_ops && !c->s.done &&
			    reader_unread(&c->rd) > 0 &&
			    (big == NULL || c->mem > big->mem))
				big = c;
		}
		if (big == NULL)
			return;
		log_warn("%s: closed: the clients' buffers are over "
			 "--client-buffers (%llu bytes); its unfinished line "
			 "(%zu bytes) is dropped",
			 big->s.name,
			 (unsigned long long)set->g->client_buffers,
			 reader_unread(&big->rd));
		big->s.done = 1;
		big->s.ready = 0;
		reader_release(&big->rd);
		memset(&big->rd, 0, sizeof big->rd);
		client_count(big, 0);
	}
}

/* It has read what there was: give back what a long line grew, count
 * what it holds, keep the total under --client-buffers. */
static void
client_idle(struct source *s, struct source_set *set)
{
	struct client *c = (struct client *)s;

	s->ready = 0;
	reader_trim(&c->rd);
	client_count(c, reader_mem(&c->rd));
	if (set->client_mem > set->g->client_buffers)
		clients_over_budget(set);
}

/* A listener's own turn found nothing more to accept or read. */
static void
listener_idle(struct source *s, struct source_set *set)
{
	(void)set;
	s->ready = 0;
}

static void
client_end(struct source *s, struct source_set *set, int failed)
{
	(void)set;
	(void)failed;
	s->done = 1;
}

static void
client_free(struct source *s)
{
	struct client *c = (struct client *)s;

	client_count(c, 0);
	if (c->rd.fmt)
		reader_release(&c->rd);
	close(c->fd);
	free(c);
}

static const struct source_ops client_ops = {
	.next = client_next,
	.idle = client_idle,
	.end = client_end,
	.unfinished = client_unfinished,
	.free = client_free,
};

/* ---- stream listeners ------------------------------------------------- */

/*
 * Say how many connections were refused since the last warning.  The
 * warning comes at most once every REFUSE_WARN_EVERY; what is refused in
 * between is said when that time is up (the listener's deadline), or at
 * the end: every refused connection is counted once.
 */
static void
listener_refused_warn(struct listener *l, int64_t now)
{
	if (l->refused == 0)
		return;
	log_warn("%s: %llu connection(s) refused: already %zu clients "
		 "(--max-clients)",
		 l->s.name, (unsigned long long)l->refused, l->refused_full);
	l->last_refuse_warn = now;
	l->refused = 0;
}

static void
listener_accept(struct source *s, struct source_set *set)
{
	struct listener *l = (struct listener *)s;
	int k;

	s->ready = 0;
	s->deadline = INT64_MAX;
	if (l->refused > 0) {
		int64_t now = mono_ns();

		if (now - l->last_refuse_warn >= REFUSE_WARN_EVERY)
			listener_refused_warn(l, now);
		else
			s->deadline = l->last_refuse_warn + REFUSE_WARN_EVERY;
	}
	for (k = 0; k < ACCEPT_TURN; k++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		struct client *c;
		char *name;
		int fd = accept4(s->fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd == -1) {
			int64_t now = mono_ns();

			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* Out of descriptors (or worse): the connection
			 * waits in the backlog; look again in a while
			 * rather than spin on a listener that stays
			 * readable. */
			if (now - l->last_accept_warn >= REFUSE_WARN_EVERY) {
				log_warn("%s: accept: %s", s->name,
					 strerror(errno));
				l->last_accept_warn = now;
			}
			s->paused = 1;
			s->deadline = now + ACCEPT_RETRY;
			return;
		}
		if (set->nclients >= set->g->max_clients) {
			int64_t now = mono_ns();

			close(fd);
			l->refused++;
			l->refused_full = set->nclients;
			set->refused++;
			if (now - l->last_refuse_warn >= REFUSE_WARN_EVERY)
				listener_refused_warn(l, now);
			else if (s->deadline >
				 l->last_refuse_warn + REFUSE_WARN_EVERY)
				s->deadline =
					l->last_refuse_warn + REFUSE_WARN_EVERY;
			continue;
		}
		c = xcalloc(1, sizeof *c);
		c->s.ops = &client_ops;
		c->s.client = 1;
		c->s.fd = c->fd = fd;
		c->s.ready = 1;
		c->s.deadline = INT64_MAX;
		if (l->kind == LISTEN_TCP) {
			name = addr_name("tcp", (struct sockaddr *)&ss, len);
			c->s.name = source_set_name(set, name);
			free(name);
		} else {
			c->s.name = s->name;
		}
		reader_init(&c->rd, set->g->from, client_read, c,
			    set->g->max_line,
			    set->g->csv_types ? READER_TYPES : 0);
		c->set = set;
		client_count(c, reader_mem(&c->rd));
		source_set_add(set, &c->s);
	}
	s->ready = 1; /* more may be waiting: next turn */
}

/* ---- udp ---------------------------------------------------------------- */

static const char *
udp_peer(struct listener *l, const struct sockaddr *sa, socklen_t len)
{
	char *name = addr_name("udp", sa, len);
	const char *kept;
	size_t i;

	for (i = 0; i < l->npeers; i++)
		if (strcmp(l->peers[i], name) == 0) {
			free(name);
			return l->peers[i];
		}
	if (l->npeers == UDP_PEER_NAMES) {
		free(name);
		return l->lname; /* enough names: the listener's */
	}
	kept = source_set_name(l->set, name);
	free(name);
	l->peers = xreallocarray(l->peers, l->npeers + 1, sizeof *l->peers);
	return l->peers[l->npeers++] = (char *)kept;
}

static ssize_t
udp_read(void *arg, char *buf, size_t n, struct errbuf *eb)
{
	struct listener *l = arg;

	while (l->doff == l->dlen) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		ssize_t r = recvfrom(l->s.fd, l->dgram, UDP_MAX, MSG_TRUNC,
				     (struct sockaddr *)&ss, &len);

		if (r == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("%s: %s", l->lname, strerror(errno));
			eb->status = 0;
			errno = EAGAIN;
			return -1;
		}
		if (r == 0)
			continue; /* an empty datagram holds no line */
		if (r > UDP_MAX)
			r = UDP_MAX; /* cut: longer than any UDP payload */
		l->dlen = (size_t)r;
		l->doff = 0;
		/* The datagram's end ends its last line. */
		if (l->dgram[l->dlen - 1] != '\n')
			l->dgram[l->dlen++] = '\n';
		l->s.name = udp_peer(l, (struct sockaddr *)&ss, len);
	}
	if (n > l->dlen - l->doff)
		n = l->dlen - l->doff;
	memcpy(buf, l->dgram + l->doff, n);
	l->doff += n;
	return (ssize_t)n;
}

static int
udp_next(struct source *s, struct source_rec *rec, struct errbuf *eb)
{
	return source_read(&((struct listener *)s)->rd, rec, eb);
}

static void
listener_free(struct source *s)
{
	struct listener *l = (struct listener *)s;
	struct stat st;

	listener_refused_warn(l, 0);
	close(s->fd);
	if (l->unlink_path && stat(l->unlink_path, &st) == 0 &&
	    st.st_dev == l->sock_dev && st.st_ino == l->sock_ino)
		unlink(l->unlink_path);
	free(l->unlink_path);
	if (l->kind == LISTEN_UDP)
		reader_release(&l->rd);
	free(l->dgram);
	free(l->peers);
	free(l);
}

/* No next(): its clients are sources of their own. */
static const struct source_ops stream_listener_ops = {
	.service = listener_accept,
	.idle = listener_idle,
	.end = client_end,
	.free = listener_free,
};

static const struct source_ops udp_listener_ops = {
	.next = udp_next,
	.idle = listener_idle,
	.end = client_end,
	.free = listener_free,
};

/* ---- opening ------------------------------------------------------------ */

static int
listen_inet(struct source_set *set, struct listener *l, const char *target,
	    const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, err = 0, gai, one = 1;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char *name;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = l->kind == LISTEN_UDP ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(*host ? host : "127.0.0.1", port, &hints, &res);
	if (gai != 0) {
		source_set_error(set, "-i %s: %s", target, gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    (l->kind == LISTEN_UDP || listen(fd, SOMAXCONN) == 0))
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		source_set_error(set, "cannot listen on %s: %s", target,
				 strerror(err));
		return -1;
	}
	l->s.fd = fd;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	name = addr_name(l->kind == LISTEN_UDP ? "udp" : "tcp",
			 (struct sockaddr *)&ss, len);
	l->s.name = l->lname = source_set_name(set, name);
	free(name);
	/* With port 0 the system chose one: say which. */
	if (strcmp(port, "0") == 0 || set->g->verbose)
		fprintf(stderr, "evpipe: listening on %s\n", l->s.name);
	return 0;
}

static int
listen_unix(struct source_set *set, struct listener *l, const char *target)
{
	const char *path = target + 5;
	struct sockaddr_un sun;
	struct stat st;
	mode_t old_umask;
	unsigned mode;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		source_set_error(set, "cannot listen on %s: %s", target,
				 strerror(errno));
		return -1;
	}
	/* The socket file gets its mode at bind(): through the umask, so
	 * that it is never, even for a moment, open to more than MODE. */
	if (source_socket_mode(set->g->socket_mode, &mode, NULL) == -1)
		BUG("--socket-mode not checked: %s", set->g->socket_mode);
	old_umask = umask(~mode & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		int err = errno, ok = 0;

		if (err == EADDRINUSE && lstat(path, &st) == 0 &&
		    S_ISSOCK(st.st_mode)) {
			/* A socket file left behind?  Only if nobody
			 * answers on it. */
			int probe =
				socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (probe != -1 &&
			    connect(probe, (struct sockaddr *)&sun,
				    sizeof sun) == -1 &&
			    errno == ECONNREFUSED && unlink(path) == 0)
				ok = bind(fd, (struct sockaddr *)&sun,
					  sizeof sun) == 0;
			if (probe != -1)
				close(probe);
		}
		if (!ok) {
			umask(old_umask);
			source_set_error(set, "cannot listen on %s: %s", target,
					 strerror(err));
			close(fd);
			return -1;
		}
	}
	umask(old_umask);
	if (listen(fd, SOMAXCONN) == -1 || stat(path, &st) == -1) {
		source_set_error(set, "cannot listen on %s: %s", target,
				 strerror(errno));
		close(fd);
		return -1;
	}
	l->s.fd = fd;
	l->unlink_path = xstrdup(path);
	l->sock_dev = st.st_dev;
	l->sock_ino = st.st_ino;
	l->s.name = l->lname = source_set_name(set, target);
	if (set->g->verbose)
		fprintf(stderr, "evpipe: listening on %s\n", l->s.name);
	return 0;
}

int
source_listen_new(struct source_set *set, const char *target)
{
	struct listener *l = xcalloc(1, sizeof *l);
	char host[256], port[16];
	struct errbuf eb = { 0 };
	int rc;

	if (listen_parse(target, &l->kind, host, sizeof host, port, sizeof port,
			 &eb) == -1)
		BUG("listener target not checked: %s", target);
	l->set = set;
	l->s.fd = -1;
	l->s.deadline = INT64_MAX;
	if (l->kind == LISTEN_UNIX)
		rc = listen_unix(set, l, target);
	else
		rc = listen_inet(set, l, target, host, port);
	if (rc == -1) {
		free(l);
		return -1;
	}
	if (l->kind == LISTEN_UDP) {
		l->s.ops = &udp_listener_ops;
		l->dgram = xmalloc(UDP_MAX + 1);
		/* ndjson or logfmt only (source_check()): nothing of one
		 * peer's state can leak into another's records. */
		reader_init(&l->rd, set->g->from, udp_read, l, set->g->max_line,
			    set->g->csv_types ? READER_TYPES : 0);
		/* one reader for every datagram: none is an input's start */
		reader_no_bom(&l->rd);
	} else {
		l->s.ops = &stream_listener_ops;
	}
	source_set_add(set, &l->s);
	return 0;
}
