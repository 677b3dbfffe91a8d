/*
 * pipefile.c -- pipeline files (see pipefile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "pipefile.h"
#include "lib/xmalloc.h"

#define PIPEFILE_MAX (1 << 20) /* a pipeline file is a program, not data */

struct words {
	char **v;
	size_t n;
};

static void
words_push(struct words *w, char *s)
{
	w->v = xreallocarray(w->v, w->n + 1, sizeof *w->v);
	w->v[w->n++] = s;
}

static void
words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

struct lexer {
	const char *p, *end;
	unsigned line; /* of p */
	pipefile_env_fn getenv_fn;
	void *arg;
	struct errbuf *eb;
};

static int
is_name_char(char c, int first)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (!first && c >= '0' && c <= '9');
}

/* At "${": append the variable's value to b; 0 or -1. */
static int
expand_var(struct lexer *lx, struct buf *b)
{
	const char *name = lx->p + 2, *q = name, *val;
	char tmp[256];

	while (q < lx->end && is_name_char(*q, q == name))
		q++;
	if (q >= lx->end || *q != '}' || q == name)
		return errbuf_set(lx->eb, STATUS_USAGE,
				  "line %u: bad variable reference: write "
				  "${NAME} with letters, digits and '_'",
				  lx->line);
	if ((size_t)(q - name) >= sizeof tmp)
		return errbuf_set(lx->eb, STATUS_USAGE,
				  "line %u: variable name too long", lx->line);
	memcpy(tmp, name, (size_t)(q - name));
	tmp[q - name] = '\0';
	val = lx->getenv_fn ? lx->getenv_fn(lx->arg, tmp) : NULL;
	if (val == NULL)
		return errbuf_set(lx->eb, STATUS_USAGE,
				  "line %u: ${%s} is not set", lx->line, tmp);
	buf_adds(b, val);
	lx->p = q + 1;
	return 0;
}

/*
 * Read one word starting at lx->p (not a blank, newline or comment) into
 * b; 0 or -1.
 */
static int
lex_word(struct lexer *lx, struct buf *b)
{
	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			return 0;
		if (c == '\0')
			return errbuf_set(lx->eb, STATUS_USAGE,
					  "line %u: NUL byte", lx->line);
		if (c == '\\') {
			if (lx->p + 1 >= lx->end)
				return errbuf_set(lx->eb, STATUS_USAGE,
						  "line %u: '\\' at the end "
						  "of the file",
						  lx->line);
			if (lx->p[1] == '\n')
				lx->line++;
			else
				buf_addc(b, lx->p[1]);
			lx->p += 2;
			continue;
		}
		if (c == '\'') {
			unsigned start = lx->line;

			lx->p++;
			while (lx->p < lx->end && *lx->p != '\'') {
				if (*lx->p == '\0')
					return errbuf_set(lx->eb, STATUS_USAGE,
							  "line %u: NUL byte",
							  lx->line);
				if (*lx->p == '\n')
					lx->line++;
				buf_addc(b, *lx->p++);
			}
			if (lx->p >= lx->end)
				return errbuf_set(lx->eb, STATUS_USAGE,
						  "line %u: unterminated "
						  "single quote",
						  start);
			lx->p++;
			continue;
		}
		if (c == '"') {
			unsigned start = lx->line;

			lx->p++;
			while (lx->p < lx->end && *lx->p != '"') {
				char d = *lx->p;

				if (d == '\0')
					return errbuf_set(lx->eb, STATUS_USAGE,
							  "line %u: NUL byte",
							  lx->line);
				if (d == '\\' && lx->p + 1 < lx->end &&
				    strchr("\"\\$\n", lx->p[1])) {
					if (lx->p[1] == '\n')
						lx->line++;
					else
						buf_addc(b, lx->p[1]);
					lx->p += 2;
					continue;
				}
				if (d == '$' && lx->p + 1 < lx->end &&
				    lx->p[1] == '{') {
					if (expand_var(lx, b) == -1)
						return -1;
					continue;
				}
				if (d == '\n')
					lx->line++;
				buf_addc(b, d);
				lx->p++;
			}
			if (lx->p >= lx->end)
				return errbuf_set(lx->eb, STATUS_USAGE,
						  "line %u: unterminated "
						  "double quote",
						  start);
			lx->p++;
			continue;
		}
		if (c == '$' && lx->p + 1 < lx->end && lx->p[1] == '{') {
			if (expand_var(lx, b) == -1)
				return -1;
			continue;
		}
		buf_addc(b, c);
		lx->p++;
	}
	return 0;
}

/*
 * Read one logical line's words into w; *lineno gets the line it starts
 * on.  Returns 1 if a line was read (possibly empty), 0 at the end, -1.
 */
static int
lex_line(struct lexer *lx, struct words *w, unsigned *lineno)
{
	struct buf b = BUF_INIT;

	if (lx->p >= lx->end)
		return 0;
	*lineno = lx->line;
	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == '\n') {
			lx->p++;
			lx->line++;
			break;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			lx->p++;
			continue;
		}
		if (c == '\\' && lx->p + 1 < lx->end && lx->p[1] == '\n') {
			lx->p += 2;
			lx->line++;
			continue;
		}
		if (c == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		buf_reset(&b);
		if (lex_word(lx, &b) == -1) {
			buf_release(&b);
			return -1;
		}
		words_push(w, buf_detach(&b, NULL));
	}
	buf_release(&b);
	return 1;
}

int
pipefile_parse(const char *text, size_t len, pipefile_env_fn getenv_fn,
	       void *arg, struct pipefile *pf, struct errbuf *eb)
{
	struct lexer lx = { text, text + len, 1, getenv_fn, arg, eb };
	struct words out = { NULL, 0 }, line = { NULL, 0 };
	size_t ncmd = 0, i;
	unsigned lineno;
	int r;

	pf->words = NULL;
	pf->n = 0;
	while ((r = lex_line(&lx, &line, &lineno)) == 1) {
		size_t first = 0;

		if (line.n == 0)
			continue;
		if (line.v[0][0] == '-' && line.v[0][1] != '\0') {
			if (ncmd > 0) {
				errbuf_set(eb, STATUS_USAGE,
					   "line %u: a line of options after "
					   "a command: put global options "
					   "before the first command, or "
					   "continue the command's line with "
					   "'\\'",
					   lineno);
				goto fail;
			}
		} else {
			/* A command: "then" between commands is implied,
			 * and may also be written. */
			if (strcmp(line.v[0], "then") == 0) {
				if (ncmd == 0) {
					errbuf_set(eb, STATUS_USAGE,
						   "line %u: 'then' before "
						   "the first command",
						   lineno);
					goto fail;
				}
				free(line.v[0]);
				first = 1;
			}
			if (first >= line.n) {
				errbuf_set(eb, STATUS_USAGE,
					   "line %u: 'then' must be followed "
					   "by a command",
					   lineno);
				for (i = 1; i < line.n; i++)
					free(line.v[i]);
				line.n = 0;
				goto fail;
			}
			if (ncmd > 0 && strcmp(out.v[out.n - 1], "then") != 0)
				words_push(&out, xstrdup("then"));
			ncmd++;
		}
		for (i = first; i < line.n; i++)
			words_push(&out, line.v[i]);
		line.n = 0;
	}
	if (r == -1)
		goto fail;
	if (ncmd == 0) {
		errbuf_set(eb, STATUS_USAGE, "no command in the pipeline file");
		goto fail;
	}
	if (strcmp(out.v[out.n - 1], "then") == 0) {
		errbuf_set(eb, STATUS_USAGE,
			   "line %u: 'then' must be followed by a command",
			   lx.line);
		goto fail;
	}
	free(line.v);
	pf->words = out.v;
	pf->n = out.n;
	return 0;
fail:
	words_free(&line);
	words_free(&out);
	return -1;
}

static const char *
env_lookup(void *arg, const char *name)
{
	(void)arg;
	return getenv(name);
}

int
pipefile_load(const char *path, struct pipefile *pf, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *fp;
	int r;

	pf->words = NULL;
	pf->n = 0;
	fp = fopen(path, "r");
	if (fp == NULL)
		return errbuf_set(eb, STATUS_USAGE, "%s: %s", path,
				  strerror(errno));
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		buf_add(&b, chunk, n);
		if (b.len > PIPEFILE_MAX) {
			fclose(fp);
			buf_release(&b);
			return errbuf_set(eb, STATUS_USAGE,
					  "%s: longer than %d bytes", path,
					  PIPEFILE_MAX);
		}
	}
	if (ferror(fp)) {
		int e = errno;

		fclose(fp);
		buf_release(&b);
		return errbuf_set(eb, STATUS_USAGE, "%s: %s", path,
				  strerror(e));
	}
	fclose(fp);
	r = pipefile_parse(b.data, b.len, env_lookup, NULL, pf, eb);
	buf_release(&b);
	if (r == -1)
		errbuf_prefix(eb, "%s", path);
	return r;
}

void
pipefile_release(struct pipefile *pf)
{
	struct words w = { pf->words, pf->n };

	words_free(&w);
	pf->words = NULL;
	pf->n = 0;
}
