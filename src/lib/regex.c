/*
 * regex.c -- PCRE2 wrapper: compile once, match with length and limits,
 * ECMA-262 translation for JSON Schema patterns (see regex.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errbuf.h"
#include "regex.h"
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

pcre2_general_context *
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

pcre2_compile_context *
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
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	int jit;
	char *src;
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
regex_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

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
		if ((d = regex_hexval((unsigned char)p[i])) < 0)
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

int
regex_ecma_translate(const char *pat, size_t len, int strict, struct buf *out,
		     struct errbuf *eb)
{
	const char *p = pat, *end = pat + len;
	int in_class = 0, class_start = 0;

	while (p < end) {
		int c = (unsigned char)*p;

		if (c == '\\') {
			int e;

			if (p + 1 >= end)
				return errbuf_set(eb, STATUS_USAGE,
						  "pattern ends with '\\'");
			e = (unsigned char)p[1];
			switch (e) {
			case 's':
				buf_adds(out, in_class ? ECMA_SPACE
						       : "[" ECMA_SPACE "]");
				p += 2;
				break;
			case 'S':
				if (in_class)
					buf_adds(out, "\\S");
				else
					buf_adds(out, "[^" ECMA_SPACE "]");
				p += 2;
				break;
			case 'v':
				buf_adds(out, "\\x0B");
				p += 2;
				break;
			case 'p':
			case 'P': {
				const char *q;

				if (p + 2 >= end || p[2] != '{' ||
				    (q = memchr(p + 3, '}', end - p - 3)) ==
					    NULL)
					return errbuf_set(
						eb, STATUS_USAGE,
						"bad \\%c escape at offset %zu",
						e, (size_t)(p - pat));
				buf_addc(out, '\\');
				buf_addc(out, (char)e);
				buf_addc(out, '{');
				regex_property(p + 3, q - p - 3, out);
				buf_addc(out, '}');
				p = q + 1;
				break;
			}
			case 'u': {
				long cp, lo;

				if (p + 2 < end && p[2] == '{') {
					const char *q = p + 3;

					cp = 0;
					while (q < end &&
					       regex_hexval((
						       unsigned char)*q) >= 0 &&
					       cp <= 0x10ffff)
						cp = cp * 16 +
						     regex_hexval((
							     unsigned char)*q++);
					if (q == p + 3 || q >= end ||
					    *q != '}' || cp > 0x10ffff)
						return errbuf_set(
							eb, STATUS_USAGE,
							"bad \\u{} escape at "
							"offset %zu",
							(size_t)(p - pat));
					regex_add_cp(out, cp);
					p = q + 1;
					break;
				}
				cp = regex_hex(p + 2, end, 4);
				if (cp < 0)
					return errbuf_set(
						eb, STATUS_USAGE,
						"bad \\u escape at offset %zu",
						(size_t)(p - pat));
				p += 6;
				if (cp >= 0xd800 && cp < 0xdc00 &&
				    end - p >= 6 && p[0] == '\\' &&
				    p[1] == 'u' &&
				    (lo = regex_hex(p + 2, end, 4)) >= 0xdc00 &&
				    lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
					p += 6;
				}
				if (cp >= 0xd800 && cp < 0xe000)
					return errbuf_set(eb, STATUS_USAGE,
							  "lone surrogate "
							  "escape in pattern");
				regex_add_cp(out, cp);
				break;
			}
			case 'c':
				if (p + 2 >= end ||
				    !((p[2] >= 'a' && p[2] <= 'z') ||
				      (p[2] >= 'A' && p[2] <= 'Z')))
					return errbuf_set(
						eb, STATUS_USAGE,
						"bad \\c escape at offset %zu",
						(size_t)(p - pat));
				buf_add(out, p, 3);
				p += 3;
				break;
			case 'x':
				if (regex_hex(p + 2, end, 2) < 0)
					return errbuf_set(
						eb, STATUS_USAGE,
						"bad \\x escape at offset %zu",
						(size_t)(p - pat));
				buf_add(out, p, 4);
				p += 4;
				break;
			case 'd':
				buf_adds(out, in_class ? "0-9" : "[0-9]");
				p += 2;
				break;
			case 'D':
				buf_adds(out, in_class ? "\\D" : "[^0-9]");
				p += 2;
				break;
			case 'w':
				buf_adds(out, in_class ? "A-Za-z0-9_"
						       : "[A-Za-z0-9_]");
				p += 2;
				break;
			case 'W':
				buf_adds(out,
					 in_class ? "\\W" : "[^A-Za-z0-9_]");
				p += 2;
				break;
			case 'b':
			case 'B':
			case 'f':
			case 'n':
			case 'r':
			case 't':
			case 'k':
			case '0':
			case '1':
			case '2':
			case '3':
			case '4':
			case '5':
			case '6':
			case '7':
			case '8':
			case '9':
				buf_add(out, p, 2);
				p += 2;
				break;
			default:
				if (strict && e < 0x80 &&
				    !strchr("^$\\.*+?()[]{}|/-", e))
					return errbuf_set(eb, STATUS_USAGE,
							  "'\\%c' is not an "
							  "ECMA-262 escape",
							  e);
				buf_add(out, p, 2);
				p += 2;
				break;
			}
			class_start = 0;
			continue;
		}
		if (in_class) {
			if (c == ']' && !class_start) {
				in_class = 0;
			} else if (c == '[') {
				/* literal in ECMA; "[:" would be POSIX in PCRE2
				 */
				buf_adds(out, "\\[");
				p++;
				class_start = 0;
				continue;
			}
			buf_addc(out, (char)c);
			p++;
			if (class_start && c == '^')
				continue;
			class_start = 0;
			continue;
		}
		if (c == '[') {
			in_class = 1;
			class_start = 1;
			buf_addc(out, '[');
			p++;
			/* ECMA "[]" / "[^]": PCRE2_ALLOW_EMPTY_CLASS handles */
			if (p < end && *p == '^') {
				buf_addc(out, '^');
				p++;
			}
			class_start = 0;
			continue;
		}
		if (c == '(' && p + 1 < end && p[1] == '?' && strict) {
			/* ECMA groups: (?: (?= (?! (?<= (?<! (?<name> */
			const char *g = p + 2;

			if (!(g < end &&
			      (*g == ':' || *g == '=' || *g == '!' ||
			       (*g == '<' && g + 1 < end &&
				(g[1] == '=' || g[1] == '!' ||
				 regex_ident_start((unsigned char)g[1]))))))
				return errbuf_set(
					eb, STATUS_USAGE,
					"'(?%c' is not an ECMA-262 group",
					g < end ? *g : ' ');
		}
		if (c == '.') {
			buf_adds(out, "[^\\n\\r\\x{2028}\\x{2029}]");
			p++;
			continue;
		}
		buf_addc(out, (char)c);
		p++;
	}
	if (in_class)
		return errbuf_set(eb, STATUS_USAGE, "missing ']' in pattern");
	return 0;
}

struct regex *
regex_compile(const char *pattern, size_t len, unsigned flags,
	      struct errbuf *eb)
{
	struct buf tr = BUF_INIT;
	const char *src = pattern;
	size_t srclen = len;
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	pcre2_code *code;
	struct regex *re;
	int err;
	PCRE2_SIZE off;

	if (flags & REGEX_ECMA) {
		if (regex_ecma_translate(pattern, len,
					 (flags & REGEX_STRICT) != 0, &tr,
					 eb) < 0) {
			buf_release(&tr);
			return NULL;
		}
		src = tr.data;
		srclen = tr.len;
		opts |= PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS;
	}
	if (flags & REGEX_CASELESS)
		opts |= PCRE2_CASELESS;
	code = pcre2_compile((PCRE2_SPTR)src, srclen, opts, &err, &off,
			     regex_cctx());
	buf_release(&tr);
	if (code == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(err, msg, sizeof msg);
		errbuf_set(eb, STATUS_USAGE, "bad regular expression: %s",
			   (char *)msg);
		return NULL;
	}
	re = xcalloc(1, sizeof *re);
	re->code = code;
	re->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
	re->md = pcre2_match_data_create(1, regex_gctx());
	re->mctx = pcre2_match_context_create(regex_gctx());
	if (re->md == NULL || re->mctx == NULL)
		BUG("pcre2 allocation failed");
	pcre2_set_match_limit(re->mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, REGEX_DEPTH_LIMIT);
	re->src = xstrndup(pattern, len);
	return re;
}

int
regex_search(struct regex *re, const char *subject, size_t len,
	     struct errbuf *eb)
{
	int rc;

	if (re->jit)
		rc = pcre2_jit_match(re->code, (PCRE2_SPTR)subject, len, 0, 0,
				     re->md, re->mctx);
	else
		rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0,
				 re->md, re->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
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
	default: {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(rc, msg, sizeof msg);
		return errbuf_set(eb, STATUS_REJECT, "regex match failed: %s",
				  (char *)msg);
	}
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
			     PCRE2_UTF | PCRE2_DOLLAR_ENDONLY |
				     PCRE2_ALLOW_EMPTY_CLASS,
			     &err, &off, regex_cctx());
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
	if (re == NULL)
		return;
	pcre2_code_free(re->code);
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mctx);
	free(re->src);
	free(re);
}
