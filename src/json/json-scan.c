/*
 * json-scan.c -- validating JSON scanner and lazy field access (see
 * json-scan.h).
 *
 * The scanner is a loop with an explicit stack of open containers, so the
 * nesting depth costs heap (4 bytes a level), never C stack.  It emits one
 * tape node per value, in document order (pre-order): a container's node
 * comes before its children and records where its subtree ends, so lookups
 * skip whole subtrees in O(1).  An object's children alternate key node,
 * value node.
 *
 * Speed comes from string bodies, which are most of an event's bytes: they
 * are scanned 16 bytes at a time (SSE2) or 8 at a time (portable SWAR) until
 * a quote, backslash, control byte or non-ASCII byte shows up; only those
 * are looked at one by one.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && !defined(JSCAN_NO_SIMD)
#include <emmintrin.h>
#define JSCAN_SSE2 1
#endif

#include "lib/errbuf.h"
#include "jnum.h"
#include "json-scan.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Node flags (struct jscan_node is in json-scan.h). */
#define NF_ESC	JSCAN_NF_ESC
#define NF_KEY	JSCAN_NF_KEY
#define NF_INT	JSCAN_NF_INT
#define NF_TRUE JSCAN_NF_TRUE

/* One open container while jscan_json() builds a tree. */
struct jscan_mframe {
	json_t *json;
	uint32_t end; /* tape index after its subtree */
	int object;
};

/*
 * Byte classes.  One table lookup answers "is this whitespace / a digit / a
 * byte that can be copied through a string unexamined".
 */
#define C_WS  0x1 /* JSON whitespace */
#define C_DIG 0x2 /* 0-9 */
#define C_STR 0x4 /* plain string byte: 0x20..0x7f except '"' and '\\' */
#define C_HEX 0x8 /* 0-9a-fA-F */

/* Generated from the definitions above; rows are 0x00-0x0f, 0x10-0x1f... */
static const uint8_t cls[256] = {
	0,  0,	0,  0,	0,  0,	0,  0,	0,  1,	1, 0, 0, 1, 0, 0, /* 0x0_ */
	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	0, 0, 0, 0, 0, 0, /* 0x1_ */
	5,  4,	0,  4,	4,  4,	4,  4,	4,  4,	4, 4, 4, 4, 4, 4, /* 0x2_ */
	14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 4, 4, 4, 4, 4, 4, /* 0x3_ */
	4,  12, 12, 12, 12, 12, 12, 4,	4,  4,	4, 4, 4, 4, 4, 4, /* 0x4_ */
	4,  4,	4,  4,	4,  4,	4,  4,	4,  4,	4, 4, 0, 4, 4, 4, /* 0x5_ */
	4,  12, 12, 12, 12, 12, 12, 4,	4,  4,	4, 4, 4, 4, 4, 4, /* 0x6_ */
	4,  4,	4,  4,	4,  4,	4,  4,	4,  4,	4, 4, 4, 4, 4, 4, /* 0x7_ */
	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	0, 0, 0, 0, 0, 0, /* 0x8_ */
	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	0, 0, 0, 0, 0, 0, /* 0x9_ */
	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	0, 0, 0, 0, 0, 0, /* 0xa_ */
	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	0, 0, 0, 0, 0, 0, /* 0xb_ */
	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	0, 0, 0, 0, 0, 0, /* 0xc_ */
	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	0, 0, 0, 0, 0, 0, /* 0xd_ */
	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	0, 0, 0, 0, 0, 0, /* 0xe_ */
	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	0, 0, 0, 0, 0, 0, /* 0xf_ */
};

void
jscan_init(struct jscan *js)
{
	memset(js, 0, sizeof *js);
	js->max_depth = JSCAN_DEFAULT_DEPTH;
	buf_init(&js->scratch);
}

/* Take our own tape back after a jscan_adopt(). */
static void
tape_unborrow(struct jscan *js)
{
	if (!js->borrowed)
		return;
	js->tape = js->own_tape;
	js->tapecap = js->own_cap;
	js->own_tape = NULL;
	js->own_cap = 0;
	js->borrowed = 0;
}

void
jscan_release(struct jscan *js)
{
	tape_unborrow(js);
	free(js->tape);
	free(js->stack);
	free(js->mstack);
	buf_release(&js->scratch);
	jscan_init(js);
}

void
jscan_set_max_depth(struct jscan *js, unsigned depth)
{
	js->max_depth = depth ? depth : JSCAN_DEFAULT_DEPTH;
}

size_t
jscan_error_column(const struct jscan *js)
{
	return js->err_col;
}

/* ---- errors ------------------------------------------------------------ */

/* "'x'" for a printable byte, "NUL byte" or "byte 0xNN" otherwise. */
static const char *
describe(unsigned c, char *tmp, size_t n)
{
	if (c == 0)
		return "NUL byte";
	if (c > 0x20 && c < 0x7f)
		snprintf(tmp, n, "'%c'", (int)c);
	else
		snprintf(tmp, n, "byte 0x%02x", c);
	return tmp;
}

/* The error paths are cold: keep them out of the scanning loop's way. */
__attribute__((cold, noinline)) static int
fail_at(struct jscan *js, struct errbuf *eb, size_t off, const char *what,
	unsigned c)
{
	char tmp[16];

	js->err_col = off + 1;
	if (c == 0x100)
		return errbuf_set(eb, STATUS_REJECT, "%s at column %zu", what,
				  off + 1);
	return errbuf_set(eb, STATUS_REJECT, "%s %s at column %zu", what,
			  describe(c, tmp, sizeof tmp), off + 1);
}

__attribute__((cold, noinline)) static int
fail_eof(struct jscan *js, struct errbuf *eb)
{
	js->err_col = js->len + 1;
	return errbuf_set(eb, STATUS_REJECT,
			  "unexpected end of input at column %zu", js->len + 1);
}

/* ---- tape -------------------------------------------------------------- */

__attribute__((noinline)) static void
tape_grow(struct jscan *js)
{
	size_t cap = js->tapecap ? (size_t)js->tapecap * 2 : 256;

	/* At most one node per byte plus one: never more than UINT32_MAX. */
	if (cap > (size_t)UINT32_MAX)
		cap = UINT32_MAX;
	js->tape = xreallocarray(js->tape, cap, sizeof *js->tape);
	js->tapecap = (uint32_t)cap;
}

__attribute__((noinline)) static void
stack_grow(struct jscan *js)
{
	size_t cap = js->stackcap ? (size_t)js->stackcap * 2 : 64;

	js->stack = xreallocarray(js->stack, cap, sizeof *js->stack);
	js->stackcap = (uint32_t)cap;
}

static inline struct jscan_node *
tape_push(struct jscan *js, unsigned type, size_t start)
{
	struct jscan_node *n;

	if (UNLIKELY(js->ntape == js->tapecap))
		tape_grow(js);
	n = &js->tape[js->ntape];
	n->start = (uint32_t)start;
	n->next = ++js->ntape;
	n->count = 0;
	n->type = (uint16_t)type;
	n->flags = 0;
	return n;
}

/* ---- strings ----------------------------------------------------------- */

/*
 * The first byte of s[0..16) that is a quote, a backslash, below 0x20 or
 * at least 0x80, as a bitmask (bit i = byte i).  With SSE2: compare all
 * sixteen bytes at once; the signed "less than 0x20" compare catches both
 * control bytes and, since they are negative as signed bytes, every byte
 * >= 0x80.
 */
#ifdef JSCAN_SSE2
static inline unsigned
special16(const unsigned char *s)
{
	const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
	const __m128i q = _mm_set1_epi8('"');
	const __m128i bs = _mm_set1_epi8('\\');
	const __m128i sp = _mm_set1_epi8(0x20);
	__m128i m;

	m = _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs));
	m = _mm_or_si128(m, _mm_cmplt_epi8(v, sp));
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

#ifndef JSCAN_SSE2
/*
 * Portable fallback: does the 8-byte word w contain a special byte?  The
 * classic SWAR tests (Bit Twiddling Hacks, "determine if a word has a
 * byte less than n"): a byte of w ^ 0x22.. is zero where w has '"', and
 * (x - 0x01..) & ~x & 0x80.. is non-zero iff x has a zero byte.  The
 * answer is exact as a yes/no; which byte it was is then found one byte at
 * a time.
 */
static inline int
special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
	uint64_t zq = (q - ones) & ~q;	      /* high bit set: was '"' */
	uint64_t zb = (b - ones) & ~b;	      /* ... was '\\' */
	uint64_t lt = (w - ones * 0x20) & ~w; /* ... was below 0x20 */

	/* w itself: high bit set for bytes >= 0x80. */
	return ((zq | zb | lt | w) & high) != 0;
}
#endif

/* A digit test without a memory access, for the number loops. */
#define IS_DIGIT(c) ((unsigned)(c) - '0' < 10)

/* The 4 hex digits at s (caller checked there are 4 bytes), or -1. */
static inline long
hex4(const unsigned char *s)
{
	int a = hex_value(s[0]), b = hex_value(s[1]), c = hex_value(s[2]),
	    d = hex_value(s[3]);

	if ((a | b | c | d) < 0)
		return -1;
	return (long)a << 12 | b << 8 | c << 4 | d;
}

/*
 * Length of the valid UTF-8 sequence at s (1..4 bytes, s[0] >= 0x80), or 0
 * if it is ill-formed, or -1 if the input ends before it is complete.
 * Follows Unicode table 3-7: the second byte's range depends on the lead
 * byte, which rules out overlongs (C0, C1, E0 80..9F, F0 80..8F),
 * surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..).
 */
static inline int
utf8_len(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	int n, i;

	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		n = 2;
	} else if (c < 0xf0) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (s + 1 >= end)
		return -1;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if (s + i >= end)
			return -1;
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

/*
 * Skip plain string bytes in bulk: return the first byte at or after p
 * that is a quote, a backslash, a control byte or non-ASCII, or end.
 * base is the start of the line (at least 16 bytes before end lets the
 * last block be read without going past the end).
 */
static inline const unsigned char *
skip_plain(const unsigned char *p, const unsigned char *end,
	   const unsigned char *base)
{
#ifdef JSCAN_SSE2
	unsigned m;

	while (LIKELY(end - p >= 16)) {
		m = special16(p);
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
	/*
	 * Fewer than 16 bytes left: re-read the line's last 16 bytes (never
	 * past its end) and drop the bits of the bytes already seen.
	 */
	if (end - base >= 16 && p < end) {
		m = special16(end - 16) >> (unsigned)(16 - (end - p));
		return m ? p + __builtin_ctz(m) : end;
	}
#else
	while (end - p >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		if (special8(w))
			break;
		p += 8;
	}
#endif
	while (p < end && (cls[*p] & C_STR))
		p++;
	return p;
}

/*
 * Scan a string body starting just after its opening quote.  Returns the
 * position just after the closing quote, or NULL after setting the error.
 * *flags gets NF_ESC if the string has escapes.
 */
__attribute__((noinline)) static const unsigned char *
scan_string_slow(struct jscan *js, const unsigned char *p,
		 const unsigned char *end, uint16_t *flags, struct errbuf *eb)
{
	const unsigned char *base = (const unsigned char *)js->line;
	unsigned c;
	long u, lo;
	int n;

	for (;;) {
		p = skip_plain(p, end, base);
		if (UNLIKELY(p >= end))
			return fail_eof(js, eb), NULL;
		c = *p;
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			*flags |= NF_ESC;
			if (end - p < 2)
				return fail_eof(js, eb), NULL;
			switch (p[1]) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default:
				fail_at(js, eb, (size_t)(p - base),
					"invalid escape", 0x100);
				return NULL;
			}
			if (end - p < 6) {
				/* Truncated, or bad digits before the end. */
				for (n = 2; p + n < end; n++)
					if (hex_value(p[n]) < 0)
						goto badu;
				return fail_eof(js, eb), NULL;
			}
			u = hex4(p + 2);
			if (u < 0)
				goto badu;
			if (u >= 0xdc00 && u <= 0xdfff)
				goto lone;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (end - p < 12) {
					/* Truncated pair, or no pair at all? */
					const unsigned char *q = p + 6;

					if (q < end && q[0] != '\\')
						goto lone;
					if (q + 1 < end && q[1] != 'u')
						goto lone;
					for (q += 2; q < end; q++)
						if (hex_value(*q) < 0)
							goto lone;
					return fail_eof(js, eb), NULL;
				}
				if (p[6] != '\\' || p[7] != 'u')
					goto lone;
				lo = hex4(p + 8);
				if (lo < 0xdc00 || lo > 0xdfff) {
					if (lo < 0) {
						p += 6;
						goto badu;
					}
					goto lone;
				}
				p += 12;
				continue;
			}
			p += 6;
			continue;
		}
		if (c < 0x20) {
			char what[48];

			if (c == 0)
				snprintf(what, sizeof what,
					 "NUL byte in string");
			else
				snprintf(what, sizeof what,
					 "unescaped control character 0x%02x "
					 "in string",
					 c);
			fail_at(js, eb, (size_t)(p - base), what, 0x100);
			return NULL;
		}
		/* c >= 0x80: one multi-byte UTF-8 sequence. */
		n = utf8_len(p, end);
		if (n <= 0) {
			if (n < 0)
				return fail_eof(js, eb), NULL;
			fail_at(js, eb, (size_t)(p - base), "invalid UTF-8", c);
			return NULL;
		}
		p += n;
	}
badu:
	fail_at(js, eb, (size_t)(p - base), "invalid \\u escape", 0x100);
	return NULL;
lone : {
	char what[40];

	snprintf(what, sizeof what, "lone surrogate \\u%.4s",
		 (const char *)p + 2);
	fail_at(js, eb, (size_t)(p - base), what, 0x100);
}
	return NULL;
}

/*
 * The common case inline: a string of plain bytes up to its closing
 * quote.  Anything else (escapes, UTF-8, errors) goes to the loop above.
 */
static inline const unsigned char *
scan_string(struct jscan *js, const unsigned char *p, const unsigned char *end,
	    uint16_t *flags, struct errbuf *eb)
{
	const unsigned char *q =
		skip_plain(p, end, (const unsigned char *)js->line);

	if (LIKELY(q < end && *q == '"'))
		return q + 1;
	return scan_string_slow(js, q, end, flags, eb);
}

/* ---- numbers and literals --------------------------------------------- */

/*
 * Scan a number at p (which is '-' or a digit).  Returns the position after
 * it, or NULL with the error set; *isint says whether it had no fraction
 * and no exponent.
 */
static const unsigned char *
scan_number(struct jscan *js, const unsigned char *p, const unsigned char *end,
	    int *isint, struct errbuf *eb)
{
	const unsigned char *base = (const unsigned char *)js->line;

	*isint = 1;
	if (*p == '-' && ++p == end)
		return fail_eof(js, eb), NULL;
	if (*p == '0') {
		p++;
		if (p < end && IS_DIGIT(*p)) {
			fail_at(js, eb, (size_t)(p - base),
				"leading zero in number", 0x100);
			return NULL;
		}
	} else if (IS_DIGIT(*p)) {
		p++;
		while (p < end && IS_DIGIT(*p))
			p++;
	} else {
		goto bad;
	}
	if (p < end && *p == '.') {
		*isint = 0;
		if (++p == end)
			return fail_eof(js, eb), NULL;
		if (!IS_DIGIT(*p))
			goto bad;
		while (p < end && IS_DIGIT(*p))
			p++;
	}
	if (p < end && (*p | 0x20) == 'e') {
		*isint = 0;
		if (++p == end)
			return fail_eof(js, eb), NULL;
		if (*p == '+' || *p == '-')
			if (++p == end)
				return fail_eof(js, eb), NULL;
		if (!IS_DIGIT(*p))
			goto bad;
		while (p < end && IS_DIGIT(*p))
			p++;
	}
	return p;
bad:
	fail_at(js, eb, (size_t)(p - base), "invalid number: unexpected", *p);
	return NULL;
}

/* Match the literal lit at p; NULL with the error set if it is not there. */
static const unsigned char *
scan_literal(struct jscan *js, const unsigned char *p, const unsigned char *end,
	     const char *lit, size_t n, struct errbuf *eb)
{
	size_t have = (size_t)(end - p);

	if (LIKELY(have >= n && memcmp(p, lit, n) == 0))
		return p + n;
	if (have < n && memcmp(p, lit, have) == 0)
		return fail_eof(js, eb), NULL;
	fail_at(js, eb, (size_t)(p - (const unsigned char *)js->line),
		"invalid literal", 0x100);
	return NULL;
}

/* ---- the scanner ------------------------------------------------------- */

/*
 * Compact NDJSON has no whitespace between tokens, so test "<= ' '" (no
 * memory access) before consulting the table.
 */
#define SKIP_WS()                                                              \
	do {                                                                   \
		while (p < end && *p <= ' ' && (cls[*p] & C_WS))               \
			p++;                                                   \
	} while (0)

#define PUSH(ty, off)                                                          \
	(want_tape ? tape_push(js, (ty), (off))                                \
		   : (scratch.start = (uint32_t)(off), &scratch))

/*
 * The scanner proper, compiled twice: with want_tape it records the tape
 * (jscan_parse), without it only checks (jscan_check).  Without a tape the
 * node writes go to a local the compiler drops, and the stack of open
 * containers holds whether each is an object instead of its tape index.
 */
__attribute__((always_inline)) static inline int
scan_core(struct jscan *js, const char *line, size_t len, struct errbuf *eb,
	  const int want_tape)
{
	const unsigned char *p = (const unsigned char *)line, *end;
	const unsigned char *base = p;
	struct jscan_node *n, scratch;
	uint32_t depth = 0, top = 0; /* top: innermost open container */
	uint16_t flags;
	int isint, in_obj = 0; /* is top an object? */

	tape_unborrow(js);
	js->line = line;
	js->len = len;
	js->ntape = 0;
	js->ok = 0;
	js->err_col = 0;
	if (len > JSCAN_MAX_LEN) {
		js->err_col = 1;
		return errbuf_set(eb, STATUS_REJECT,
				  "line longer than %zu bytes", JSCAN_MAX_LEN);
	}
	if (len == 0) /* line may then be NULL: no pointer arithmetic */
		return fail_eof(js, eb);
	end = p + len;
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return fail_at(js, eb, 0, "byte order mark", 0x100);

value:
	SKIP_WS();
	if (UNLIKELY(p == end))
		return fail_eof(js, eb);
	switch (*p) {
	case '"':
		n = PUSH(JSCAN_STRING, (size_t)(p - base));
		flags = 0;
		p = scan_string(js, p + 1, end, &flags, eb);
		if (p == NULL)
			return -1;
		/* scan_string() never grows the tape: n stays valid. */
		n->end = (uint32_t)(p - base);
		n->flags = flags;
		goto after;
	case '{':
	case '[':
		if (UNLIKELY(depth >= js->max_depth)) {
			char what[48];

			snprintf(what, sizeof what, "nesting deeper than %u",
				 js->max_depth);
			return fail_at(js, eb, (size_t)(p - base), what, 0x100);
		}
		if (UNLIKELY(depth == js->stackcap))
			stack_grow(js);
		top = js->ntape;
		in_obj = *p == '{';
		n = PUSH(in_obj ? JSCAN_OBJECT : JSCAN_ARRAY,
			 (size_t)(p - base));
		js->stack[depth++] = want_tape ? top : (uint32_t)in_obj;
		p++;
		SKIP_WS();
		if (UNLIKELY(p == end))
			return fail_eof(js, eb);
		if (*p == (in_obj ? '}' : ']')) {
			p++;
			n->end = (uint32_t)(p - base);
			goto close;
		}
		n->count = 1;
		if (!in_obj)
			goto value;
		goto key;
	case '-':
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
		n = PUSH(JSCAN_NUMBER, (size_t)(p - base));
		p = scan_number(js, p, end, &isint, eb);
		if (p == NULL)
			return -1;
		n->end = (uint32_t)(p - base);
		n->flags = isint ? NF_INT : 0;
		goto after;
	case 't':
		n = PUSH(JSCAN_BOOL, (size_t)(p - base));
		n->flags = NF_TRUE;
		p = scan_literal(js, p, end, "true", 4, eb);
		goto literal;
	case 'f':
		n = PUSH(JSCAN_BOOL, (size_t)(p - base));
		p = scan_literal(js, p, end, "false", 5, eb);
		goto literal;
	case 'n':
		n = PUSH(JSCAN_NULL, (size_t)(p - base));
		p = scan_literal(js, p, end, "null", 4, eb);
		goto literal;
	default:
		return fail_at(js, eb, (size_t)(p - base), "unexpected", *p);
	}
literal:
	if (p == NULL)
		return -1;
	n->end = (uint32_t)(p - base);
	goto after;

key:
	/* p is at a non-blank byte where an object key must start. */
	if (UNLIKELY(*p != '"'))
		return fail_at(js, eb, (size_t)(p - base),
			       "expected a string key, found", *p);
	n = PUSH(JSCAN_STRING, (size_t)(p - base));
	flags = NF_KEY;
	p = scan_string(js, p + 1, end, &flags, eb);
	if (p == NULL)
		return -1;
	n->end = (uint32_t)(p - base);
	n->flags = flags;
	SKIP_WS();
	if (UNLIKELY(p == end))
		return fail_eof(js, eb);
	if (UNLIKELY(*p != ':'))
		return fail_at(js, eb, (size_t)(p - base),
			       "expected ':' after object key, found", *p);
	p++;
	goto value;

after:
	/* A value just ended.  Close containers, or go on to the next one. */
	if (depth == 0)
		goto done;
	SKIP_WS();
	if (UNLIKELY(p == end))
		return fail_eof(js, eb);
	if (*p == ',') {
		p++;
		if (want_tape)
			js->tape[top].count++;
		if (!in_obj)
			goto value;
		SKIP_WS();
		if (UNLIKELY(p == end))
			return fail_eof(js, eb);
		goto key;
	}
	if (LIKELY(*p == (in_obj ? '}' : ']'))) {
		p++;
		if (want_tape) {
			n = &js->tape[top];
			n->end = (uint32_t)(p - base);
			n->next = js->ntape;
		}
		goto close;
	}
	return fail_at(js, eb, (size_t)(p - base),
		       in_obj ? "expected ',' or '}', found"
			      : "expected ',' or ']', found",
		       *p);

close:
	/* The container at top just closed: its parent becomes top. */
	if (--depth > 0) {
		if (want_tape) {
			top = js->stack[depth - 1];
			in_obj = js->tape[top].type == JSCAN_OBJECT;
		} else {
			in_obj = (int)js->stack[depth - 1];
		}
	}
	goto after;

done:
	SKIP_WS();
	if (UNLIKELY(p != end))
		return fail_at(js, eb, (size_t)(p - base),
			       "trailing data after the value:", *p);
	js->ok = want_tape;
	return 0;
}

int
jscan_parse(struct jscan *js, const char *line, size_t len, struct errbuf *eb)
{
	return scan_core(js, line, len, eb, 1);
}

int
jscan_check(struct jscan *js, const char *line, size_t len, struct errbuf *eb)
{
	return scan_core(js, line, len, eb, 0);
}

void
jscan_adopt(struct jscan *js, const char *line, size_t len,
	    const struct jscan_node *tape, uint32_t ntape)
{
	if (!js->borrowed) {
		js->own_tape = js->tape;
		js->own_cap = js->tapecap;
		js->borrowed = 1;
	}
	/* read only: nothing writes a tape outside scan_core() */
	js->tape = (struct jscan_node *)tape;
	js->tapecap = ntape;
	js->ntape = ntape;
	js->line = line;
	js->len = len;
	js->ok = 1;
	js->err_col = 0;
}

/* ---- reading values ---------------------------------------------------- */

static const struct jscan_val absent = { NULL, JSCAN_ABSENT };

static inline const struct jscan_node *
node(struct jscan_val v)
{
	if (v.js == NULL || v.i == JSCAN_ABSENT || !v.js->ok ||
	    v.i >= v.js->ntape)
		return NULL;
	return &v.js->tape[v.i];
}

static inline struct jscan_val
mkval(const struct jscan *js, uint32_t i)
{
	struct jscan_val v = { js, i };

	return v;
}

struct jscan_val
jscan_root(const struct jscan *js)
{
	if (!js->ok || js->ntape == 0)
		return absent;
	return mkval(js, 0);
}

enum jscan_type
jscan_type(struct jscan_val v)
{
	const struct jscan_node *n = node(v);

	return n ? (enum jscan_type)n->type : JSCAN_NONE;
}

const char *
jscan_type_name(enum jscan_type t)
{
	switch (t) {
	case JSCAN_NULL:
		return "null";
	case JSCAN_BOOL:
		return "boolean";
	case JSCAN_NUMBER:
		return "number";
	case JSCAN_STRING:
		return "string";
	case JSCAN_ARRAY:
		return "array";
	case JSCAN_OBJECT:
		return "object";
	case JSCAN_NONE:
		break;
	}
	return "absent";
}

const char *
jscan_raw(struct jscan_val v, size_t *len)
{
	const struct jscan_node *n = node(v);

	if (n == NULL) {
		*len = 0;
		return NULL;
	}
	*len = n->end - n->start;
	return v.js->line + n->start;
}

/*
 * Decode the escape at s (s[0] == '\\', already validated by the scanner)
 * into out (up to 4 bytes).  Returns the number of bytes written; *used
 * gets the length of the escape.
 */
static size_t
unescape1(const unsigned char *s, unsigned char *out, size_t *used)
{
	unsigned long cp;

	*used = 2;
	switch (s[1]) {
	case 'b':
		*out = '\b';
		return 1;
	case 'f':
		*out = '\f';
		return 1;
	case 'n':
		*out = '\n';
		return 1;
	case 'r':
		*out = '\r';
		return 1;
	case 't':
		*out = '\t';
		return 1;
	case 'u':
		break;
	default: /* '"', '\\', '/' */
		*out = s[1];
		return 1;
	}
	cp = (unsigned long)hex4(s + 2);
	*used = 6;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		cp = 0x10000 + ((cp - 0xd800) << 10) +
		     ((unsigned long)hex4(s + 8) - 0xdc00);
		*used = 12;
	}
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Unescape the validated string body s[0..n) into out, which has room for
 * n bytes (an escape never decodes to more bytes than it is written with).
 * Returns the decoded length.
 */
static size_t
unescape(const char *s, size_t n, char *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned char *o = (unsigned char *)out;

	while (p < end) {
		const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
		size_t used;

		if (bs == NULL)
			bs = end;
		memmove(o, p, (size_t)(bs - p));
		o += bs - p;
		p = bs;
		if (p < end) {
			o += unescape1(p, o, &used);
			p += used;
		}
	}
	return (size_t)(o - (unsigned char *)out);
}

const char *
jscan_str(struct jscan_val v, struct buf *scratch, size_t *len)
{
	const struct jscan_node *n = node(v);
	const char *body;
	size_t blen;

	if (n == NULL || n->type != JSCAN_STRING) {
		*len = 0;
		return NULL;
	}
	body = v.js->line + n->start + 1;
	blen = n->end - n->start - 2;
	if (!(n->flags & NF_ESC)) {
		*len = blen;
		return body;
	}
	buf_reset(scratch);
	buf_grow(scratch, blen);
	scratch->len = unescape(body, blen, scratch->data);
	scratch->data[scratch->len] = '\0';
	*len = scratch->len;
	return scratch->data;
}

int
jscan_str_has_escapes(struct jscan_val v)
{
	const struct jscan_node *n = node(v);

	return n && n->type == JSCAN_STRING && (n->flags & NF_ESC);
}

int
jscan_bool(struct jscan_val v)
{
	const struct jscan_node *n = node(v);

	if (n == NULL || n->type != JSCAN_BOOL)
		return -1;
	return (n->flags & NF_TRUE) != 0;
}

int
jscan_is_null(struct jscan_val v)
{
	const struct jscan_node *n = node(v);

	return n && n->type == JSCAN_NULL;
}

int
jscan_num_is_int(struct jscan_val v)
{
	const struct jscan_node *n = node(v);

	return n && n->type == JSCAN_NUMBER && (n->flags & NF_INT);
}

/* ---- numbers ----------------------------------------------------------- */

/*
 * strtod() on a text that is not NUL-terminated.  Short numbers (nearly
 * all) are copied to the stack; a longer one costs one malloc.  Overflow
 * gives +-DBL_MAX, as jq does.
 */
static double
num_to_double(const char *s, size_t len)
{
	char small[128], *t = small;
	double d;

	if (len >= sizeof small)
		t = xmalloc(len + 1);
	memcpy(t, s, len);
	t[len] = '\0';
	d = strtod(t, NULL);
	if (t != small)
		free(t);
	if (d > DBL_MAX)
		d = DBL_MAX;
	else if (d < -DBL_MAX)
		d = -DBL_MAX;
	return d;
}

int
jscan_int64(const char *s, size_t len, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (len && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (i == len)
		return -1;
	for (; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (lim - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

int
jscan_num_double(struct jscan_val v, double *out)
{
	const struct jscan_node *n = node(v);

	if (n == NULL || n->type != JSCAN_NUMBER)
		return -1;
	*out = num_to_double(v.js->line + n->start, n->end - n->start);
	return 0;
}

int
jscan_num_int64(struct jscan_val v, int64_t *out)
{
	const struct jscan_node *n = node(v);

	if (n == NULL || n->type != JSCAN_NUMBER || !(n->flags & NF_INT))
		return -1;
	return jscan_int64(v.js->line + n->start, n->end - n->start, out);
}

static int
is_int_text(const char *s, size_t len)
{
	return memchr(s, '.', len) == NULL && memchr(s, 'e', len) == NULL &&
	       memchr(s, 'E', len) == NULL;
}

int
jscan_numcmp(const char *a, size_t alen, const char *b, size_t blen)
{
	double x, y;

	if (is_int_text(a, alen) && is_int_text(b, blen)) {
		/*
		 * JSON integers have no leading zeros, so with equal signs
		 * the longer digit string is the larger magnitude, and equal
		 * lengths compare like strings.  "-0" is zero.
		 */
		int an = a[0] == '-', bn = b[0] == '-', r;
		const char *ad = a + an, *bd = b + bn;
		size_t al = alen - an, bl = blen - bn;
		int az = al == 1 && ad[0] == '0', bz = bl == 1 && bd[0] == '0';
		int as = az ? 0 : an ? -1 : 1, bs = bz ? 0 : bn ? -1 : 1;

		if (as != bs)
			return as < bs ? -1 : 1;
		if (as == 0)
			return 0;
		if (al != bl)
			r = al < bl ? -1 : 1;
		else
			r = memcmp(ad, bd, al);
		r = r < 0 ? -1 : r > 0;
		return as < 0 ? -r : r;
	}
	/* Doubles, without the clamping: 1e999 compares as +inf. */
	{
		char small[128], *t;
		size_t len;

		len = alen;
		t = len < sizeof small ? small : xmalloc(len + 1);
		memcpy(t, a, len);
		t[len] = '\0';
		x = strtod(t, NULL);
		if (t != small)
			free(t);
		len = blen;
		t = len < sizeof small ? small : xmalloc(len + 1);
		memcpy(t, b, len);
		t[len] = '\0';
		y = strtod(t, NULL);
		if (t != small)
			free(t);
	}
	return x < y ? -1 : x > y;
}

int
jscan_num_cmp(struct jscan_val a, struct jscan_val b)
{
	size_t al, bl;
	const char *as = jscan_raw(a, &al), *bs = jscan_raw(b, &bl);

	if (jscan_type(a) != JSCAN_NUMBER || jscan_type(b) != JSCAN_NUMBER)
		BUG("jscan_num_cmp on a non-number");
	return jscan_numcmp(as, al, bs, bl);
}

/* ---- containers and lookup -------------------------------------------- */

size_t
jscan_count(struct jscan_val v)
{
	const struct jscan_node *n = node(v);

	if (n == NULL || (n->type != JSCAN_ARRAY && n->type != JSCAN_OBJECT))
		return 0;
	return n->count;
}

void
jscan_iter_init(struct jscan_iter *it, struct jscan_val v)
{
	const struct jscan_node *n = node(v);

	it->js = v.js;
	it->pos = it->end = 0;
	it->object = 0;
	if (n && (n->type == JSCAN_ARRAY || n->type == JSCAN_OBJECT)) {
		it->pos = v.i + 1;
		it->end = n->next;
		it->object = n->type == JSCAN_OBJECT;
	}
}

int
jscan_iter_next(struct jscan_iter *it, struct jscan_val *key,
		struct jscan_val *val)
{
	if (it->pos >= it->end)
		return 0;
	if (it->object) {
		if (key)
			*key = mkval(it->js, it->pos);
		it->pos++;
	} else if (key) {
		*key = absent;
	}
	*val = mkval(it->js, it->pos);
	it->pos = it->js->tape[it->pos].next;
	return 1;
}

/*
 * Does the string body s[0..n) (escapes validated) decode to exactly
 * want[0..wlen)?  Decodes escapes on the fly, so no buffer is needed.
 */
static int
key_eq(const char *s, size_t n, const char *want, size_t wlen)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t j = 0;

	while (p < end) {
		const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
		unsigned char tmp[4];
		size_t run, k, used;

		if (bs == NULL)
			bs = end;
		run = (size_t)(bs - p);
		if (run > wlen - j || memcmp(p, want + j, run) != 0)
			return 0;
		j += run;
		p = bs;
		if (p == end)
			break;
		k = unescape1(p, tmp, &used);
		if (k > wlen - j || memcmp(tmp, want + j, k) != 0)
			return 0;
		j += k;
		p += used;
	}
	return j == wlen;
}

struct jscan_val
jscan_get(struct jscan_val obj, const char *key, size_t keylen)
{
	const struct jscan_node *n = node(obj), *k;
	const struct jscan *js = obj.js;
	uint32_t i, found = JSCAN_ABSENT;

	if (n == NULL || n->type != JSCAN_OBJECT)
		return absent;
	/* No early exit: with duplicate keys the last one wins. */
	for (i = obj.i + 1; i < n->next; i = js->tape[i + 1].next) {
		const char *body;
		size_t blen;

		k = &js->tape[i];
		body = js->line + k->start + 1;
		blen = k->end - k->start - 2;
		if (!(k->flags & NF_ESC)) {
			if (blen == keylen && memcmp(body, key, keylen) == 0)
				found = i + 1;
		} else if (blen >= keylen && key_eq(body, blen, key, keylen)) {
			/* Escapes only shorten: blen < keylen never matches. */
			found = i + 1;
		}
	}
	return found == JSCAN_ABSENT ? absent : mkval(js, found);
}

struct jscan_val
jscan_index(struct jscan_val arr, int64_t idx)
{
	const struct jscan_node *n = node(arr);
	const struct jscan *js = arr.js;
	uint32_t i;

	if (n == NULL || n->type != JSCAN_ARRAY)
		return absent;
	if (idx < 0)
		idx += (int64_t)n->count;
	if (idx < 0 || idx >= (int64_t)n->count)
		return absent;
	for (i = arr.i + 1; idx > 0; idx--)
		i = js->tape[i].next;
	return mkval(js, i);
}

int
jscan_lookup(struct jscan_val v, const struct jscan_step *steps, size_t n,
	     struct jscan_val *out, struct errbuf *eb)
{
	size_t s;

	*out = absent;
	if (node(v) == NULL)
		return 0;
	for (s = 0; s < n; s++) {
		const struct jscan_step *st = &steps[s];
		enum jscan_type t = jscan_type(v);

		if (t == JSCAN_NULL)
			return 0; /* null.a and null[0] are null */
		if (st->kind == JSCAN_STEP_KEY && t == JSCAN_OBJECT) {
			v = jscan_get(v, st->key, st->keylen);
		} else if (st->kind == JSCAN_STEP_INDEX && t == JSCAN_ARRAY) {
			v = jscan_index(v, st->index);
		} else if (st->kind == JSCAN_STEP_KEY) {
			int klen = st->keylen > 64 ? 64 : (int)st->keylen;

			return errbuf_set(eb, STATUS_REJECT,
					  "cannot index %s with \"%.*s%s\"",
					  jscan_type_name(t), klen, st->key,
					  st->keylen > 64 ? "..." : "");
		} else {
			return errbuf_set(eb, STATUS_REJECT,
					  "cannot index %s with number",
					  jscan_type_name(t));
		}
		if (node(v) == NULL)
			return 0;
	}
	*out = v;
	return 1;
}

/* ---- materializing ----------------------------------------------------- */

static json_t *
number_json(const char *s, size_t len, int isint)
{
	int64_t i;

	if (isint && jscan_int64(s, len, &i) == 0 && !(i == 0 && s[0] == '-'))
		return json_integer((json_int_t)i);
	/* Reals, -0, integers beyond int64: the double and the text. */
	return jnum_new(s, len);
}

json_t *
jscan_value(const char *s, size_t len, struct errbuf *eb)
{
	struct jscan js;
	json_t *v = NULL;

	jscan_init(&js);
	if (jscan_parse(&js, s, len, eb) == 0)
		v = jscan_json(&js, jscan_root(&js), eb);
	jscan_release(&js);
	return v;
}

json_t *
jscan_json(struct jscan *js, struct jscan_val v, struct errbuf *eb)
{
	const struct jscan_node *n = node(v);
	json_t *root = NULL, *val;
	uint32_t i, stop, key = JSCAN_ABSENT;
	size_t sp = 0;

	if (n == NULL || v.js != js)
		return errbuf_set(eb, STATUS_REJECT, "no value to convert"),
		       NULL;
	stop = n->next;
	/*
	 * The tape is in document order, so one forward walk with a stack of
	 * open containers rebuilds the tree without recursion.
	 */
	for (i = v.i; i < stop; i++) {
		const char *text;
		size_t len;

		n = &js->tape[i];
		while (sp > 0 && i >= js->mstack[sp - 1].end)
			sp--;
		if ((n->flags & NF_KEY) && i != v.i) {
			key = i;
			continue;
		}
		switch (n->type) {
		case JSCAN_NULL:
			val = json_null();
			break;
		case JSCAN_BOOL:
			val = json_boolean(n->flags & NF_TRUE);
			break;
		case JSCAN_NUMBER:
			val = number_json(js->line + n->start,
					  n->end - n->start, n->flags & NF_INT);
			break;
		case JSCAN_STRING:
			text = jscan_str(mkval(js, i), &js->scratch, &len);
			val = json_stringn_nocheck(text, len);
			break;
		case JSCAN_ARRAY:
			val = json_array();
			break;
		default:
			val = json_object();
			break;
		}
		if (val == NULL)
			goto oom;
		if (sp == 0) {
			root = val;
		} else if (!js->mstack[sp - 1].object) {
			if (json_array_append_new(js->mstack[sp - 1].json,
						  val) != 0)
				goto oom;
		} else {
			text = jscan_str(mkval(js, key), &js->scratch, &len);
			/* setn replaces an earlier equal key: last one wins. */
			if (json_object_setn_new_nocheck(
				    js->mstack[sp - 1].json, text, len, val) !=
			    0)
				goto oom;
		}
		if (n->type == JSCAN_ARRAY || n->type == JSCAN_OBJECT) {
			if (sp == js->mstackcap) {
				js->mstackcap =
					js->mstackcap ? js->mstackcap * 2 : 64;
				js->mstack =
					xreallocarray(js->mstack, js->mstackcap,
						      sizeof *js->mstack);
			}
			js->mstack[sp].json = val;
			js->mstack[sp].end = n->next;
			js->mstack[sp].object = n->type == JSCAN_OBJECT;
			sp++;
		}
	}
	return root;
oom:
	json_decref(root);
	return errbuf_set(eb, STATUS_IO, "out of memory building JSON"), NULL;
}

/* ---- path strings ------------------------------------------------------ */

__attribute__((cold)) static int
path_fail(const char *s, size_t len, size_t off, const char *why,
	  struct errbuf *eb)
{
	int n = len > 200 ? 200 : (int)len;

	return errbuf_set(eb, STATUS_USAGE,
			  "invalid path '%.*s' at column %zu: %s", n, s,
			  off + 1, why);
}

/*
 * Parse a quoted key at s[*off] (a '"') with the JSON scanner's own string
 * rules; append the unescaped key to keys at *klen.
 */
static int
path_string(const char *s, size_t len, size_t *off, char *keys, size_t *klen,
	    struct jscan_step *st, struct errbuf *eb)
{
	struct jscan js;
	const unsigned char *p = (const unsigned char *)s + *off + 1, *e;
	uint16_t flags = 0;
	size_t blen;
	struct errbuf leb = { 0 };

	memset(&js, 0, sizeof js);
	js.line = s;
	js.len = len;
	e = scan_string(&js, p, (const unsigned char *)s + len, &flags, &leb);
	if (e == NULL) {
		int n = len > 200 ? 200 : (int)len;

		/* The scanner's reason already ends in "at column N". */
		return errbuf_set(eb, STATUS_USAGE, "invalid path '%.*s': %s",
				  n, s, leb.msg);
	}
	blen = (size_t)(e - p) - 1;
	st->kind = JSCAN_STEP_KEY;
	st->key = keys + *klen;
	st->keylen = unescape((const char *)p, blen, keys + *klen);
	*klen += st->keylen;
	*off = (size_t)(e - (const unsigned char *)s);
	return 0;
}

int
jscan_path_parse(struct jscan_path *path, const char *s, size_t len,
		 struct errbuf *eb)
{
	size_t off = 0, klen = 0;

	path->steps = xcalloc(len + 1, sizeof *path->steps);
	path->keys = xmalloc(len + 1);
	path->nsteps = 0;
	if (len == 0 || s[0] != '.')
		return path_fail(s, len, 0, "a path starts with '.'", eb);
	if (len == 1)
		return 0;
	while (off < len) {
		struct jscan_step *st = &path->steps[path->nsteps];
		int dot = 0;
		unsigned char c;

		if (s[off] == '.') {
			dot = 1;
			if (++off == len)
				return path_fail(s, len, off,
						 "expected a key after '.'",
						 eb);
		}
		c = (unsigned char)s[off];
		if (dot &&
		    (c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))) {
			size_t b = off;

			while (off < len &&
			       (s[off] == '_' ||
				(cls[(unsigned char)s[off]] & C_DIG) ||
				((s[off] | 0x20) >= 'a' &&
				 (s[off] | 0x20) <= 'z')))
				off++;
			st->kind = JSCAN_STEP_KEY;
			st->key = path->keys + klen;
			st->keylen = off - b;
			memcpy(path->keys + klen, s + b, off - b);
			klen += off - b;
		} else if (dot && c == '"') {
			if (path_string(s, len, &off, path->keys, &klen, st,
					eb))
				return -1;
		} else if (c == '[') {
			size_t b;

			off++;
			if (off < len && s[off] == '"') {
				if (path_string(s, len, &off, path->keys, &klen,
						st, eb))
					return -1;
			} else {
				b = off;
				if (off < len && s[off] == '-')
					off++;
				while (off < len &&
				       (cls[(unsigned char)s[off]] & C_DIG))
					off++;
				if (off == b || (off == b + 1 && s[b] == '-') ||
				    off - b > 20)
					return path_fail(
						s, len, b,
						"expected an index or a "
						"string in [ ]",
						eb);
				st->kind = JSCAN_STEP_INDEX;
				/* jscan_int64 checks the range. */
				if (jscan_int64(s + b, off - b, &st->index))
					return path_fail(s, len, b,
							 "index out of range",
							 eb);
			}
			if (off >= len || s[off] != ']')
				return path_fail(s, len, off, "expected ']'",
						 eb);
			off++;
		} else {
			return path_fail(s, len, off,
					 dot ? "expected a key, a string or "
					       "'[' after '.'"
					     : "expected '.' or '['",
					 eb);
		}
		path->nsteps++;
	}
	return 0;
}

void
jscan_path_release(struct jscan_path *path)
{
	free(path->steps);
	free(path->keys);
	path->steps = NULL;
	path->keys = NULL;
	path->nsteps = 0;
}
