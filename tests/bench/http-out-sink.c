/*
 * http-out-sink.c -- the HTTP server of the httpout bench group
 * (tests/bench/http-out.sh): answers every POST with 200 and an empty
 * body once it has read the whole request body, counting bytes and
 * requests, and nothing else, so that it is not what the bench measures.
 * libmicrohttpd, one epoll thread, on 127.0.0.1.
 *
 * usage: http-out-sink PORTFILE
 *   writes the port it listens on to PORTFILE, then serves until SIGTERM
 *   or SIGINT, and prints "REQUESTS BYTES" on stdout.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static unsigned long long requests, bytes;
static volatile sig_atomic_t stop;
static struct MHD_Response *ok;
static int marker; /* con_cls of a request whose body is being read */

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *data, size_t *size, void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)data;
	if (*con_cls == NULL) {
		*con_cls = &marker;
		return MHD_YES;
	}
	if (*size > 0) {
		bytes += *size;
		*size = 0;
		return MHD_YES;
	}
	requests++;
	return MHD_queue_response(c, MHD_HTTP_OK, ok);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: http-out-sink PORTFILE\n");
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = MHD_create_response_from_buffer(0, (void *)"",
					     MHD_RESPMEM_PERSISTENT);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL,
			     handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)(1 << 20), MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "http-out-sink: cannot start\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	f = fopen(argv[1], "w");
	if (f == NULL || info == NULL) {
		perror(argv[1]);
		return 1;
	}
	fprintf(f, "%u\n", (unsigned)info->port);
	fclose(f);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	printf("%llu %llu\n", requests, bytes);
	return 0;
}
