/*
 * fuzz-pipefile.c -- the pipeline-file parser of "evpipe run" on
 * arbitrary bytes.
 *
 * Variables A, B and EMPTY are set (B to text with blanks and quotes);
 * any other ${VAR} is unset.  A parse that succeeds must give at least
 * one word, never start or end with "then", hold no word longer than
 * eight times the input (${B} is 4 bytes for 26), and free cleanly; a failure
 * must leave no words and a message that names a line (or says there is no
 * command).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "pipefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
fuzz_env(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "A") == 0)
		return "a";
	if (strcmp(name, "B") == 0)
		return "two 'words' \"here\" \\ ${A}";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pipefile pf;
	struct errbuf eb = { 0 };
	size_t i;

	if (pipefile_parse((const char *)data, size, fuzz_env, NULL, &pf,
			   &eb) == -1) {
		if (pf.words != NULL || pf.n != 0 || eb.status != STATUS_USAGE)
			abort();
		if (strncmp(eb.msg, "line ", 5) != 0 &&
		    strcmp(eb.msg, "no command in the pipeline file") != 0)
			abort();
		return 0;
	}
	if (pf.n == 0 || strcmp(pf.words[0], "then") == 0 ||
	    strcmp(pf.words[pf.n - 1], "then") == 0)
		abort();
	for (i = 0; i < pf.n; i++)
		if (pf.words[i] == NULL || strlen(pf.words[i]) > 8 * size)
			abort();
	pipefile_release(&pf);
	return 0;
}
