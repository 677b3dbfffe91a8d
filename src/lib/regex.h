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

struct errbuf;
struct regex;

struct regex_md;

#define REGEX_ECMA     0x1 /* translate from ECMA-262 syntax */
#define REGEX_STRICT   0x2 /* with ECMA: reject escapes ECMA-262 (u) lacks */
#define REGEX_CASELESS 0x4
#define REGEX_UCP      0x8  /* \d, \w, \b and classes by Unicode property */
#define REGEX_EXTENDED 0x10 /* white space and # comments ignored */
#define REGEX_DOTALL   0x20 /* '.' matches a newline too */

/* Limits applied to every match, whoever the user (one match context). */
#define REGEX_MATCH_LIMIT 1000000
#define REGEX_DEPTH_LIMIT 10000
#define REGEX_HEAP_LIMIT  20000 /* KiB */

/*
 * Compile pattern (len bytes, UTF-8) with REGEX_* flags.  Returns a
 * regex (regex_free() it), or NULL with a STATUS_USAGE error ("bad
 * regular expression: ...", or what is wrong with an ECMA pattern).
 * Compiled patterns are cached by (pattern, flags), 64 of them: the same
 * pattern again is the same regex, shared.
 */
struct regex *regex_compile(const char *pattern, size_t len, unsigned flags,
			    struct errbuf *eb);
/* The same; a PCRE2 error is PCRE2's message alone, its offset in the
 * pattern in *erroff. */
struct regex *regex_compile_at(const char *pattern, size_t len, unsigned flags,
			       size_t *erroff, struct errbuf *eb);

/*
 * One match of re in subject[0..len) from byte start: 1 matched, 0 not,
 * or a negative PCRE2 error code (a limit: regex_error_message()).  md
 * holds the offsets (regex_ovector()); NULL uses the regex's own, which
 * the next match of the same regex overwrites.
 */
#define REGEX_NOTEMPTY 0x1 /* an empty match is no match */
int regex_exec(struct regex *re, struct regex_md *md, const char *subject,
	       size_t len, size_t start, unsigned mflags);
/* Byte offsets of the last match: group g from [2g] to [2g+1], both
 * REGEX_UNSET if it took no part. */
#define REGEX_UNSET (~(size_t)0)
const size_t *regex_ovector(struct regex *re, struct regex_md *md);
/* Offsets of one's own, for a match that must outlive others of re. */
struct regex_md *regex_md_new(const struct regex *re);
void regex_md_free(struct regex_md *md);
/* Its number of groups, and the name of group g (NULL if unnamed). */
unsigned regex_ngroups(const struct regex *re);
const char *regex_group_name(const struct regex *re, unsigned g);
/* PCRE2's words for an error code of regex_exec(). */
void regex_error_message(int rc, char *msg, size_t size);

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

#endif
