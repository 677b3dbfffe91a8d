/*
 * regex.c -- the one PCRE2 layer: compile once (a cache shared by every
 * user), match with length and limits set here only, ECMA-262
 * translation for JSON Schema patterns (see regex.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errbuf.h"
#include "regex.h"
#include "util.h"
#include "xmalloc.h"

static void *
pcre_alloc(PCRE2_SIZE n, void *data)
{
	return xmalloc(n);
}

static void
pcre_free(void *p, void *data)
{
	free(p);
}

static pcre2_general_context *
regex_gctx(void)
{
	static pcre2_general_context *gctx;

	if (gctx == NULL)
		gctx = pcre2_general_context_create(pcre_alloc, pcre_free,
						    NULL);
	if (gctx == NULL)
		BUG("pcre2_general_context_create failed");
	return gctx;
}

static pcre2_compile_context *
regex_cctx(void)
{
	static pcre2_compile_context *cctx;

	if (cctx == NULL)
		cctx = pcre2_compile_context_create(regex_gctx());
	if (cctx == NULL)
		BUG("pcre2_compile_context_create failed");
	return cctx;
}

struct regex {
	int refs; /* its users, the cache among them */
	pcre2_code *code;
	pcre2_match_data *md; /* for regex_exec() without one */
	int jit;
	unsigned flags;
	char *src; /* the pattern as given, NUL-terminated */
	size_t len;
	uint32_t ngroups;
	char **names; /* names[g]: the name of group g, or NULL */
};

/* ECMA-262 WhiteSpace and LineTerminator, as a class body. */
#define ECMA_SPACE                                                             \
	"\\t\\n\\x0B\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}"       \
	"\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}"

/* Long General_Category names and their short forms (UTS #18, ECMA). */
static const char *const regex_gc_names[][2] = {
	{ "Letter", "L" },
	{ "Cased_Letter", "L&" },
	{ "Uppercase_Letter", "Lu" },
	{ "Lowercase_Letter", "Ll" },
	{ "Titlecase_Letter", "Lt" },
	{ "Modifier_Letter", "Lm" },
	{ "Other_Letter", "Lo" },
	{ "Mark", "M" },
	{ "Combining_Mark", "M" },
	{ "Nonspacing_Mark", "Mn" },
	{ "Spacing_Mark", "Mc" },
	{ "Enclosing_Mark", "Me" },
	{ "Number", "N" },
	{ "Decimal_Number", "Nd" },
	{ "digit", "Nd" },
	{ "Letter_Number", "Nl" },
	{ "Other_Number", "No" },
	{ "Punctuation", "P" },
	{ "punct", "P" },
	{ "Connector_Punctuation", "Pc" },
	{ "Dash_Punctuation", "Pd" },
	{ "Open_Punctuation", "Ps" },
	{ "Close_Punctuation", "Pe" },
	{ "Initial_Punctuation", "Pi" },
	{ "Final_Punctuation", "Pf" },
	{ "Other_Punctuation", "Po" },
	{ "Symbol", "S" },
	{ "Math_Symbol", "Sm" },
	{ "Currency_Symbol", "Sc" },
	{ "Modifier_Symbol", "Sk" },
	{ "Other_Symbol", "So" },
	{ "Separator", "Z" },
	{ "Space_Separator", "Zs" },
	{ "Line_Separator", "Zl" },
	{ "Paragraph_Separator", "Zp" },
	{ "Other", "C" },
	{ "Control", "Cc" },
	{ "cntrl", "Cc" },
	{ "Format", "Cf" },
	{ "Unassigned", "Cn" },
	{ "Private_Use", "Co" },
	{ "Surrogate", "Cs" },
};

static int
regex_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == '$' || c >= 0x80;
}

/* Read exactly n hex digits at p; -1 if they are not there. */
static long
regex_hex(const char *p, const char *end, int n)
{
	long v = 0;
	int i, d;

	if (end - p < n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((d = hex_value((unsigned char)p[i])) < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* \p{...} body: translate "Letter", "Script=Greek", "gc=Lu" ... */
static void
regex_property(const char *name, size_t n, struct buf *out)
{
	const char *eq = memchr(name, '=', n);
	size_t i;

	if (eq != NULL) {
		size_t kl = eq - name;
		const char *v = eq + 1;
		size_t vl = n - kl - 1;

		if ((kl == 2 && memcmp(name, "sc", 2) == 0) ||
		    (kl == 6 && memcmp(name, "Script", 6) == 0)) {
			buf_add(out, v, vl);
			return;
		}
		if ((kl == 3 && memcmp(name, "scx", 3) == 0) ||
		    (kl == 17 && memcmp(name, "Script_Extensions", 17) == 0)) {
			buf_adds(out, "scx:");
			buf_add(out, v, vl);
			return;
		}
		/* gc= / General_Category=: fall through with the value */
		name = v;
		n = vl;
	}
	for (i = 0; i < NELEM(regex_gc_names); i++) {
		if (strlen(regex_gc_names[i][0]) == n &&
		    memcmp(regex_gc_names[i][0], name, n) == 0) {
			buf_adds(out, regex_gc_names[i][1]);
			return;
		}
	}
	buf_add(out, name, n);
}

static void
regex_add_cp(struct buf *out, long cp)
{
	buf_addf(out, "\\x{%lx}", cp);
}

/* \u{X...}: the code point, p past the '}'; -1 if malformed. */
static long
ecma_brace_cp(const char **pp, const char *end)
{
	const char *q = *pp + 3;
	long cp = 0;

	while (q < end && hex_value((unsigned char)*q) >= 0 && cp <= 0x10ffff)
		cp = cp * 16 + hex_value((unsigned char)*q++);
	if (q == *pp + 3 || q >= end || *q != '}' || cp > 0x10ffff)
		return -1;
	*pp = q + 1;
	return cp;
}

/* \uXXXX, \uXXXX\uXXXX (a surrogate pair) or \u{X...} at *pp. */
static int
ecma_unicode(const char *pat, const char **pp, const char *end, struct buf *out,
	     struct errbuf *eb)
{
	const char *p = *pp;
	long cp, lo;

	if (p + 2 < end && p[2] == '{') {
		cp = ecma_brace_cp(pp, end);
		if (cp < 0)
			return errbuf_set(eb, STATUS_USAGE,
					  "bad \\u{} escape at offset %zu",
					  (size_t)(p - pat));
		regex_add_cp(out, cp);
		return 0;
	}
	cp = regex_hex(p + 2, end, 4);
	if (cp < 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "bad \\u escape at offset %zu",
				  (size_t)(p - pat));
	p += 6;
	if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' &&
	    p[1] == 'u' && (lo = regex_hex(p + 2, end, 4)) >= 0xdc00 &&
	    lo < 0xe000) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		p += 6;
	}
	if (cp >= 0xd800 && cp < 0xe000)
		return errbuf_set(eb, STATUS_USAGE,
				  "lone surrogate escape in pattern");
	regex_add_cp(out, cp);
	*pp = p;
	return 0;
}

/* ECMA's class escapes (ASCII-only \d and \w, its own \s), written
 * inside a character class and alone. */
static const struct {
	char c;
	const char *in_class, *alone;
} ecma_classes[] = {
	{ 's', ECMA_SPACE, "[" ECMA_SPACE "]" },
	{ 'S', "\\S", "[^" ECMA_SPACE "]" },
	{ 'v', "\\x0B", "\\x0B" },
	{ 'd', "0-9", "[0-9]" },
	{ 'D', "\\D", "[^0-9]" },
	{ 'w', "A-Za-z0-9_", "[A-Za-z0-9_]" },
	{ 'W', "\\W", "[^A-Za-z0-9_]" },
};

/*
 * The escape at *pp (a backslash and what follows) in PCRE2 syntax,
 * inside a character class or not; *pp moves past it.
 */
static int
ecma_escape(const char *pat, const char **pp, const char *end, int in_class,
	    int strict, struct buf *out, struct errbuf *eb)
{
	const char *p = *pp, *q;
	size_t i;
	int e;

	if (p + 1 >= end)
		return errbuf_set(eb, STATUS_USAGE, "pattern ends with '\\'");
	e = (unsigned char)p[1];
	*pp = p + 2;
	for (i = 0; i < sizeof(ecma_classes) / sizeof(ecma_classes[0]); i++)
		if (ecma_classes[i].c == e) {
			buf_adds(out, in_class ? ecma_classes[i].in_class
					       : ecma_classes[i].alone);
			return 0;
		}
	switch (e) {
	case 'p':
	case 'P':
		if (p + 2 >= end || p[2] != '{' ||
		    (q = memchr(p + 3, '}', end - p - 3)) == NULL)
			return errbuf_set(eb, STATUS_USAGE,
					  "bad \\%c escape at offset %zu", e,
					  (size_t)(p - pat));
		buf_addc(out, '\\');
		buf_addc(out, (char)e);
		buf_addc(out, '{');
		regex_property(p + 3, q - p - 3, out);
		buf_addc(out, '}');
		*pp = q + 1;
		return 0;
	case 'u':
		*pp = p;
		return ecma_unicode(pat, pp, end, out, eb);
	case 'c':
		if (p + 2 >= end || !((p[2] >= 'a' && p[2] <= 'z') ||
				      (p[2] >= 'A' && p[2] <= 'Z')))
			return errbuf_set(eb, STATUS_USAGE,
					  "bad \\c escape at offset %zu",
					  (size_t)(p - pat));
		buf_add(out, p, 3);
		*pp = p + 3;
		return 0;
	case 'x':
		if (regex_hex(p + 2, end, 2) < 0)
			return errbuf_set(eb, STATUS_USAGE,
					  "bad \\x escape at offset %zu",
					  (size_t)(p - pat));
		buf_add(out, p, 4);
		*pp = p + 4;
		return 0;
	default:
		/* \b \B \f \n \r \t \k and back references pass as they
		 * are; so do other escapes, unless strict */
		if (strict && e < 0x80 && !strchr("bBfnrtk0123456789", e) &&
		    !strchr("^$\\.*+?()[]{}|/-", e))
			return errbuf_set(eb, STATUS_USAGE,
					  "'\\%c' is not an ECMA-262 escape",
					  e);
		buf_add(out, p, 2);
		return 0;
	}
}

/* Is the group at p, "(?", one that ECMA-262 has: (?: (?= (?! (?<= (?<!
 * (?<name> ? */
static int
ecma_group_ok(const char *p, const char *end)
{
	const char *g = p + 2;

	return g < end && (*g == ':' || *g == '=' || *g == '!' ||
			   (*g == '<' && g + 1 < end &&
			    (g[1] == '=' || g[1] == '!' ||
			     regex_ident_start((unsigned char)g[1]))));
}

static int
regex_ecma_translate(const char *pat, size_t len, int strict, struct buf *out,
		     struct errbuf *eb)
{
	const char *p = pat, *end = pat + len;
	int in_class = 0;

	while (p < end) {
		int c = (unsigned char)*p;

		if (c == '\\') {
			if (ecma_escape(pat, &p, end, in_class, strict, out,
					eb) < 0)
				return -1;
			continue;
		}
		p++;
		if (in_class) {
			if (c == ']')
				in_class = 0;
			/* '[' is literal in a class in ECMA; "[:" would be
			 * POSIX in PCRE2 */
			if (c == '[')
				buf_adds(out, "\\[");
			else
				buf_addc(out, (char)c);
			continue;
		}
		if (c == '[') {
			/* ECMA "[]" and "[^]": PCRE2_ALLOW_EMPTY_CLASS */
			in_class = 1;
			buf_addc(out, '[');
			if (p < end && *p == '^')
				buf_addc(out, *p++);
			continue;
		}
		if (c == '(' && p < end && *p == '?' && strict &&
		    !ecma_group_ok(p - 1, end))
			return errbuf_set(eb, STATUS_USAGE,
					  "'(?%c' is not an ECMA-262 group",
					  p + 1 < end ? p[1] : ' ');
		if (c == '.')
			buf_adds(out, "[^\\n\\r\\x{2028}\\x{2029}]");
		else
			buf_addc(out, (char)c);
	}
	if (in_class)
		return errbuf_set(eb, STATUS_USAGE, "missing ']' in pattern");
	return 0;
}

/* ---- compiled patterns, shared through a cache ------------------------ */

/*
 * Compiled patterns are cached by (pattern, flags): a pattern in an
 * expression is compiled once per run however many events use it.  The
 * cache holds a reference to each of its regexes and every user holds
 * its own, so an entry pushed out while in use stays valid until its
 * last user lets it go.
 */
#define REGEX_CACHE_SIZE 64

static struct regex *regex_cache[REGEX_CACHE_SIZE];
static unsigned regex_cache_next;

static void
regex_unref(struct regex *re)
{
	uint32_t i;

	if (re == NULL || --re->refs > 0)
		return;
	pcre2_code_free(re->code);
	pcre2_match_data_free(re->md);
	for (i = 0; re->names && i <= re->ngroups; i++)
		free(re->names[i]);
	free(re->names);
	free(re->src);
	free(re);
}

/* The one match context: every match runs under these limits. */
static pcre2_match_context *
regex_mctx(void)
{
	static pcre2_match_context *mctx;

	if (mctx == NULL) {
		mctx = pcre2_match_context_create(regex_gctx());
		if (mctx == NULL)
			BUG("pcre2_match_context_create failed");
		pcre2_set_match_limit(mctx, REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(mctx, REGEX_DEPTH_LIMIT);
		pcre2_set_heap_limit(mctx, REGEX_HEAP_LIMIT);
	}
	return mctx;
}

static uint32_t
regex_options(unsigned flags)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;

	if (flags & REGEX_ECMA)
		opts |= PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS;
	if (flags & REGEX_CASELESS)
		opts |= PCRE2_CASELESS;
	if (flags & REGEX_UCP)
		opts |= PCRE2_UCP;
	if (flags & REGEX_EXTENDED)
		opts |= PCRE2_EXTENDED;
	if (flags & REGEX_DOTALL)
		opts |= PCRE2_DOTALL;
	return opts;
}

/* Its group count and the names of its named groups. */
static void
regex_groups_init(struct regex *re)
{
	uint32_t i, namecount = 0, entrysize = 0;
	PCRE2_SPTR table;

	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->ngroups);
	re->names = xcalloc(re->ngroups + 1, sizeof(*re->names));
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &namecount);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &entrysize);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < namecount; i++) {
		const unsigned char *ent = table + i * entrysize;
		unsigned g = (ent[0] << 8) | ent[1];

		if (g <= re->ngroups && !re->names[g])
			re->names[g] = xstrdup((const char *)ent + 2);
	}
}

static struct regex *
regex_build(const char *pattern, size_t len, unsigned flags, size_t *erroff,
	    struct errbuf *eb)
{
	struct buf tr = BUF_INIT;
	const char *src = pattern;
	size_t srclen = len;
	pcre2_code *code;
	struct regex *re;
	int err;
	PCRE2_SIZE off = 0;

	if (flags & REGEX_ECMA) {
		if (regex_ecma_translate(pattern, len,
					 (flags & REGEX_STRICT) != 0, &tr,
					 eb) < 0) {
			buf_release(&tr);
			return NULL;
		}
		src = tr.data;
		srclen = tr.len;
	}
	code = pcre2_compile((PCRE2_SPTR)src, srclen, regex_options(flags),
			     &err, &off, regex_cctx());
	buf_release(&tr);
	if (code == NULL) {
		PCRE2_UCHAR msg[200];

		pcre2_get_error_message(err, msg, sizeof msg);
		if (erroff)
			*erroff = off;
		errbuf_set(
			eb, STATUS_USAGE, "%s%s",
			erroff ? "" : "bad regular expression: ", (char *)msg);
		return NULL;
	}
	re = xcalloc(1, sizeof *re);
	re->refs = 1;
	re->code = code;
	re->flags = flags;
	re->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
	re->md = pcre2_match_data_create_from_pattern(code, regex_gctx());
	if (re->md == NULL)
		BUG("pcre2 allocation failed");
	re->src = xstrndup(pattern, len);
	re->len = len;
	regex_groups_init(re);
	return re;
}

struct regex *
regex_compile_at(const char *pattern, size_t len, unsigned flags,
		 size_t *erroff, struct errbuf *eb)
{
	struct regex *re;
	unsigned i;

	for (i = 0; i < REGEX_CACHE_SIZE; i++) {
		re = regex_cache[i];
		if (re && re->len == len && re->flags == flags &&
		    memcmp(re->src, pattern, len) == 0) {
			re->refs++;
			return re;
		}
	}
	re = regex_build(pattern, len, flags, erroff, eb);
	if (re == NULL)
		return NULL;
	i = regex_cache_next++ % REGEX_CACHE_SIZE;
	regex_unref(regex_cache[i]);
	regex_cache[i] = re;
	re->refs++;
	return re;
}

struct regex *
regex_compile(const char *pattern, size_t len, unsigned flags,
	      struct errbuf *eb)
{
	return regex_compile_at(pattern, len, flags, NULL, eb);
}

int
regex_exec(struct regex *re, struct regex_md *md, const char *subject,
	   size_t len, size_t start, unsigned mflags)
{
	pcre2_match_data *d = md ? (pcre2_match_data *)md : re->md;
	uint32_t opts = (mflags & REGEX_NOTEMPTY) ? PCRE2_NOTEMPTY : 0;
	int rc;

	if (re->jit)
		rc = pcre2_jit_match(re->code, (PCRE2_SPTR)subject, len, start,
				     opts, d, regex_mctx());
	else
		rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, start,
				 opts, d, regex_mctx());
	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

const size_t *
regex_ovector(struct regex *re, struct regex_md *md)
{
	pcre2_match_data *d = md ? (pcre2_match_data *)md : re->md;

	return pcre2_get_ovector_pointer(d);
}

struct regex_md *
regex_md_new(const struct regex *re)
{
	pcre2_match_data *d =
		pcre2_match_data_create_from_pattern(re->code, regex_gctx());

	if (d == NULL)
		BUG("pcre2 allocation failed");
	return (struct regex_md *)d;
}

void
regex_md_free(struct regex_md *md)
{
	pcre2_match_data_free((pcre2_match_data *)md);
}

unsigned
regex_ngroups(const struct regex *re)
{
	return re->ngroups;
}

const char *
regex_group_name(const struct regex *re, unsigned g)
{
	return g <= re->ngroups ? re->names[g] : NULL;
}

void
regex_error_message(int rc, char *msg, size_t size)
{
	pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, size);
}

int
regex_search(struct regex *re, const char *subject, size_t len,
	     struct errbuf *eb)
{
	int rc = regex_exec(re, NULL, subject, len, 0, 0);
	char msg[160];

	if (rc >= 0)
		return rc;
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT:
		return errbuf_set(eb, STATUS_REJECT,
				  "regular expression /%s/ hit its match limit",
				  re->src);
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_JIT_STACKLIMIT:
		return errbuf_set(eb, STATUS_REJECT,
				  "regular expression /%s/ hit its depth limit",
				  re->src);
	default:
		regex_error_message(rc, msg, sizeof msg);
		return errbuf_set(eb, STATUS_REJECT, "regex match failed: %s",
				  msg);
	}
}

int
regex_ecma_valid(const char *pattern, size_t len)
{
	struct buf tr = BUF_INIT;
	pcre2_code *code;
	int err, ok;
	PCRE2_SIZE off;

	if (regex_ecma_translate(pattern, len, 1, &tr, NULL) < 0) {
		buf_release(&tr);
		return 0;
	}
	code = pcre2_compile((PCRE2_SPTR)(tr.data), tr.len,
			     regex_options(REGEX_ECMA), &err, &off,
			     regex_cctx());
	buf_release(&tr);
	ok = code != NULL || err == PCRE2_ERROR_LOOKBEHIND_NOT_FIXED_LENGTH;
	pcre2_code_free(code);
	return ok;
}

const char *
regex_source(const struct regex *re)
{
	return re->src;
}

void
regex_free(struct regex *re)
{
	regex_unref(re);
}
