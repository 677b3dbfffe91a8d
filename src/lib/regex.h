/*
 * regex.h -- PCRE2 wrapper shared by every user of regular expressions:
 * compile once, match with an explicit subject length, bounded work.
 *
 * Subjects may contain NUL bytes, so a length is always passed.  Every
 * match runs under a match limit and a depth limit, so no pattern can hang
 * the process: hitting a limit is an error, not a silent "no match".
 *
 * With REGEX_ECMA the pattern is read as an ECMA-262 regular expression
 * (JSON Schema "pattern") and translated to PCRE2 first: long Unicode
 * property names (\p{Letter} -> \p{L}), the ECMA \s set, \uXXXX and
 * \u{X} escapes, '.' that stops at every line terminator, '$' only at the
 * very end, ASCII-only \d, \w and \b.  Patterns are always Unicode-aware.
 */
#ifndef REGEX_H
#define REGEX_H

#include <stddef.h>

#ifdef PCRE2_CODE_UNIT_WIDTH
/*
 * For files that call PCRE2 directly: contexts whose allocations go
 * through xmalloc(), so running out of memory inside PCRE2 ends the run
 * with "evpipe: out of memory" (status 3) like everywhere else, instead of
 * a NULL that some caller forgets.  Pass regex_gctx() to the *_create
 * functions and regex_cctx() to pcre2_compile().
 */
pcre2_general_context *regex_gctx(void);
pcre2_compile_context *regex_cctx(void);
#endif

struct buf;
struct errbuf;
struct regex;

#define REGEX_ECMA     0x1 /* translate from ECMA-262 syntax */
#define REGEX_STRICT   0x2 /* with ECMA: reject escapes ECMA-262 (u) lacks */
#define REGEX_CASELESS 0x4

/* Limits applied to every match (pcre2_set_match_limit/depth_limit). */
#define REGEX_MATCH_LIMIT 1000000
#define REGEX_DEPTH_LIMIT 10000

/*
 * Compile pattern (len bytes, UTF-8) with REGEX_* flags.  Returns a new
 * regex, or NULL with a STATUS_USAGE error naming the offset.
 */
struct regex *regex_compile(const char *pattern, size_t len, unsigned flags,
			    struct errbuf *eb);

/*
 * Search subject (len bytes) anywhere.  1 on a match, 0 on none, -1 with
 * eb filled when a limit was hit or the subject is not valid UTF-8.
 * Not reentrant for one regex (its match data is reused).
 */
int regex_search(struct regex *re, const char *subject, size_t len,
		 struct errbuf *eb);

/* The source text the regex was compiled from (NUL-terminated). */
const char *regex_source(const struct regex *re);

void regex_free(struct regex *re);

/*
 * Is pattern a valid ECMA-262 regular expression (u flag)?  1 or 0.
 * Variable-length lookbehind, which PCRE2 before 10.43 cannot compile,
 * counts as valid.
 */
int regex_ecma_valid(const char *pattern, size_t len);

/*
 * Translate an ECMA-262 pattern into PCRE2 syntax, appending to out.
 * strict: reject escapes that ECMA-262 with the u flag does not define.
 * Returns 0, or -1 with a STATUS_USAGE error.
 */
int regex_ecma_translate(const char *pattern, size_t len, int strict,
			 struct buf *out, struct errbuf *eb);

#endif
