/*
 * tests/bench/http-post.c -- the client of the http group of make bench
 * (tests/bench/http-source.sh): send an NDJSON file to evpipe from
 * THREADS threads at once.
 *
 *   http-post http URL FILE THREADS LINES   POST bodies of LINES lines
 *   http-post tcp HOST:PORT FILE THREADS    the same lines over THREADS
 *                                           tcp connections
 *
 * http: each thread has one libcurl easy handle (a kept-alive
 * connection) and takes the next body until none is left; every answer
 * must be 200.  tcp: the file is cut into THREADS runs of whole lines,
 * one per connection.  Exit 0 when everything was sent (and answered 200),
 * 1 otherwise, with the reason on stderr.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *data;
static size_t size;
static size_t *cuts; /* body i is [cuts[i], cuts[i + 1]) */
static size_t nbodies;
static atomic_size_t next_body;
static atomic_int failed;
static const char *url;

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static void *
http_thread(void *arg)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdr =
		curl_slist_append(NULL, "Content-Type: application/x-ndjson");
	size_t i;

	(void)arg;
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	while ((i = atomic_fetch_add(&next_body, 1)) < nbodies) {
		long code = 0;
		CURLcode rc;

		curl_easy_setopt(c, CURLOPT_POSTFIELDS, data + cuts[i]);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(cuts[i + 1] - cuts[i]));
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (rc != CURLE_OK || code != 200) {
			fprintf(stderr, "http-post: body %zu: %s, HTTP %ld\n",
				i, curl_easy_strerror(rc), code);
			atomic_store(&failed, 1);
			break;
		}
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return NULL;
}

static void *
tcp_thread(void *arg)
{
	size_t i = (size_t)(uintptr_t)arg, off = cuts[i];
	struct addrinfo hints = { 0 }, *ai;
	char host[256], *colon;
	int fd;

	snprintf(host, sizeof host, "%s", url);
	colon = strrchr(host, ':');
	if (colon == NULL) {
		atomic_store(&failed, 1);
		return NULL;
	}
	*colon = '\0';
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
		atomic_store(&failed, 1);
		return NULL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd == -1 || connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		fprintf(stderr, "http-post: connect: %s\n", strerror(errno));
		atomic_store(&failed, 1);
		freeaddrinfo(ai);
		return NULL;
	}
	freeaddrinfo(ai);
	while (off < cuts[i + 1]) {
		ssize_t n = write(fd, data + off, cuts[i + 1] - off);

		if (n <= 0) {
			fprintf(stderr, "http-post: write: %s\n",
				strerror(errno));
			atomic_store(&failed, 1);
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	return NULL;
}

/* Cut the file into pieces of per lines each (the last may be shorter). */
static void
cut_lines(size_t per)
{
	size_t cap = 1024, off = 0, lines = 0;

	cuts = malloc(cap * sizeof *cuts);
	cuts[nbodies = 0] = 0;
	while (off < size) {
		const char *nl = memchr(data + off, '\n', size - off);

		off = nl ? (size_t)(nl - data) + 1 : size;
		if (++lines == per || off == size) {
			if (nbodies + 2 >= cap)
				cuts = realloc(cuts, (cap *= 2) * sizeof *cuts);
			cuts[++nbodies] = off;
			lines = 0;
		}
	}
}

int
main(int argc, char **argv)
{
	struct stat st;
	pthread_t *t;
	size_t threads, i, lines = 0;
	int fd, http;

	if (argc < 5 || (strcmp(argv[1], "http") && strcmp(argv[1], "tcp")) ||
	    (strcmp(argv[1], "http") == 0 && argc < 6)) {
		fprintf(stderr, "usage: http-post http URL FILE THREADS "
				"LINES | tcp HOST:PORT FILE THREADS\n");
		return 2;
	}
	http = strcmp(argv[1], "http") == 0;
	url = argv[2];
	threads = strtoul(argv[4], NULL, 10);
	fd = open(argv[3], O_RDONLY);
	if (fd == -1 || fstat(fd, &st) == -1 || st.st_size == 0 ||
	    threads == 0) {
		fprintf(stderr, "http-post: %s: cannot read\n", argv[3]);
		return 1;
	}
	size = (size_t)st.st_size;
	data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (data == MAP_FAILED)
		return 1;
	if (http) {
		cut_lines(strtoul(argv[5], NULL, 10));
		curl_global_init(CURL_GLOBAL_ALL);
	} else {
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		cut_lines((lines + threads - 1) / threads);
		threads = nbodies;
	}
	t = calloc(threads, sizeof *t);
	for (i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, http ? http_thread : tcp_thread,
			       (void *)(uintptr_t)i);
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	if (http)
		curl_global_cleanup();
	free(t);
	free(cuts);
	return atomic_load(&failed) ? 1 : 0;
}
