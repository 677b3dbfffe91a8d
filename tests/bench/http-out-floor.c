/*
 * http-out-floor.c -- the floor of the httpout bench group: the smallest
 * libcurl program doing what evpipe -o http:// does with its defaults,
 * one keep-alive connection posting the corpus as NDJSON bodies of N
 * events each, one after the other, each answer waited for and checked.
 * No JSON check, no retries, no dead letters.
 *
 * usage: http-out-floor URL FILE N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

int
main(int argc, char **argv)
{
	FILE *f;
	char *data, *p, *end;
	long len, code;
	unsigned long n, k;
	struct curl_slist *h = NULL;
	CURL *e;

	if (argc != 4 || (n = strtoul(argv[3], NULL, 10)) == 0) {
		fprintf(stderr, "usage: http-out-floor URL FILE N\n");
		return 2;
	}
	f = fopen(argv[2], "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
		perror(argv[2]);
		return 1;
	}
	data = malloc((size_t)len + 1);
	rewind(f);
	if (data == NULL || fread(data, 1, (size_t)len, f) != (size_t)len) {
		perror(argv[2]);
		return 1;
	}
	fclose(f);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	e = curl_easy_init();
	h = curl_slist_append(h, "Content-Type: application/x-ndjson");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(e, CURLOPT_URL, argv[1]);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	for (p = data, end = data + len; p < end;) {
		char *q = p;

		for (k = 0; k < n && q < end; k++) {
			char *nl = memchr(q, '\n', (size_t)(end - q));

			q = nl ? nl + 1 : end;
		}
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(q - p));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, p);
		if (curl_easy_perform(e) != CURLE_OK ||
		    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code) !=
			    CURLE_OK ||
		    code != 200) {
			fprintf(stderr, "http-out-floor: request failed\n");
			return 1;
		}
		p = q;
	}
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	curl_global_cleanup();
	free(data);
	return 0;
}
