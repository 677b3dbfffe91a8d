/*
 * pipefile.h -- pipeline files for "evpipe run FILE" (evpipe-run(1)).
 *
 * A pipeline file holds the words of a command line: lines of global
 * options first, then one command per line, with "then" implied between
 * command lines.  Words are split like a POSIX shell's: blanks separate
 * them; '...' quotes literally; "..." quotes with \" \\ \$ escapes and
 * ${VAR} expanded; a backslash outside quotes takes the next character
 * literally; backslash-newline continues a line; '#' at the start of a
 * word begins a comment.  ${VAR} comes from the environment and is never
 * split into several words; an unset VAR is an error.  A lone $ (as in the
 * expression variable $name) is literal.
 */
#ifndef PIPEFILE_H
#define PIPEFILE_H

#include <stddef.h>

struct errbuf;

struct pipefile {
	char **words; /* owned: global options, then commands with "then" */
	size_t n;
};

/* Look a variable up; NULL if it is not set. */
typedef const char *(*pipefile_env_fn)(void *arg, const char *name);

/*
 * Split text (len bytes, may hold anything) into pf->words.  Returns 0,
 * or -1 with a STATUS_USAGE error "line N: ..." in eb (pf is then empty).
 * getenv_fn may be NULL: every ${VAR} is then unset.
 */
int pipefile_parse(const char *text, size_t len, pipefile_env_fn getenv_fn,
		   void *arg, struct pipefile *pf, struct errbuf *eb);

/* Read path and parse it with the process environment; as above. */
int pipefile_load(const char *path, struct pipefile *pf, struct errbuf *eb);

void pipefile_release(struct pipefile *pf);

#endif
