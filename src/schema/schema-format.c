/*
 * schema-format.c -- "format" checks: dates and times (RFC 3339),
 * durations (RFC 3339 appendix A), e-mail addresses (RFC 5321/6531),
 * host names (RFC 1123, IDNA2008 with the RFC 5892 contextual rules and
 * the RFC 5893 Bidi rule), IP addresses, URIs and IRIs (RFC 3986/3987),
 * URI templates (RFC 6570), UUIDs, JSON Pointers, regular expressions.
 *
 * Unicode properties come from PCRE2 (compiled once, on first use), so
 * there are no Unicode tables here.  The IDNA2008 derived property is
 * approximated by General_Category plus the RFC 5892 exception list;
 * evpipe-schema(7) lists what that misses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/regex.h"
#include "schema-int.h"
#include "schema.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

/* ---- helpers ------------------------------------------------------------ */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 5322 atext besides letters and digits. */
static int
is_atext_special(int c)
{
	switch (c) {
	case '!':
	case '#':
	case '$':
	case '%':
	case '&':
	case '\'':
	case '*':
	case '+':
	case '-':
	case '/':
	case '=':
	case '?':
	case '^':
	case '_':
	case '`':
	case '{':
	case '|':
	case '}':
	case '~':
		return 1;
	}
	return 0;
}

/* n ASCII digits at s as a number; -1 if they are not all digits. */
static int
num(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + s[i] - '0';
	}
	return v;
}

/* Decode UTF-8 into cps (capacity cap); count, or -1 if invalid. */
static long
utf8_decode(const char *s, size_t len, uint32_t *cps, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n = 0;

	while (p < end) {
		uint32_t c = *p, min;
		int k, i;

		if (c < 0x80) {
			k = 0;
			min = 0;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1;
			c &= 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			c &= 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			c &= 0x07;
			min = 0x10000;
		} else {
			return -1;
		}
		if (end - p <= k)
			return -1;
		for (i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			c = (c << 6) | (p[i] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
			return -1;
		if (n == cap)
			return -1;
		cps[n++] = c;
		p += k + 1;
	}
	return (long)n;
}

/* Unicode property classes, as PCRE2 patterns compiled on first use. */
enum ucls {
	UC_MARK,
	UC_PVALID, /* letters, digits, marks, by General_Category */
	UC_GREEK,
	UC_HEBREW,
	UC_KANA_HAN,
	UC_VIRAMA,
	UC_JOIN_LD, /* Joining_Type L or D (approximated) */
	UC_JOIN_RD, /* Joining_Type R or D (approximated) */
	UC_JOIN_T,  /* transparent: non-spacing marks */
	UC_BIDI_L,
	UC_BIDI_RTL, /* R, AL */
	UC_BIDI_AN,
	UC_BIDI_EN,
	UC_BIDI_RTL_OK, /* allowed in an RTL label (rule 2) */
	UC_BIDI_LTR_OK, /* allowed in an LTR label (rule 5) */
	UC_BIDI_NSM,
	UC_COUNT
};

static const char *const ucls_pat[UC_COUNT] = {
	"^\\p{M}$",
	"^[\\p{Ll}\\p{Lo}\\p{Lm}\\p{Mn}\\p{Mc}\\p{Nd}]$",
	"^\\p{Greek}$",
	"^\\p{Hebrew}$",
	"^[\\p{Hiragana}\\p{Katakana}\\p{Han}]$",
	"^[\\x{94d}\\x{9cd}\\x{a4d}\\x{acd}\\x{b4d}\\x{bcd}\\x{c4d}\\x{ccd}"
	"\\x{d3b}\\x{d3c}\\x{d4d}\\x{dca}\\x{e3a}\\x{eba}\\x{f84}\\x{1039}"
	"\\x{103a}\\x{1714}\\x{1734}\\x{17d2}\\x{1a60}\\x{1b44}\\x{1baa}"
	"\\x{1bab}\\x{1bf2}\\x{1bf3}\\x{2d7f}\\x{a806}\\x{a8c4}\\x{a953}"
	"\\x{a9c0}\\x{aaf6}\\x{abed}\\x{10a3f}\\x{11046}\\x{1107f}\\x{110b9}"
	"\\x{11133}\\x{11134}\\x{111c0}\\x{11235}\\x{112ea}\\x{1134d}"
	"\\x{11442}\\x{114c2}\\x{115bf}\\x{1163f}\\x{116b6}\\x{1172b}"
	"\\x{11839}\\x{119e0}\\x{11a34}\\x{11a47}\\x{11a99}\\x{11c3f}"
	"\\x{11d44}\\x{11d45}\\x{11d97}]$",
	"^(?![\\x{622}-\\x{625}\\x{627}\\x{629}\\x{62f}-\\x{632}\\x{648}"
	"\\x{671}-\\x{673}\\x{675}-\\x{677}\\x{688}-\\x{699}\\x{6c0}"
	"\\x{6c3}-\\x{6cb}\\x{6cd}\\x{6cf}\\x{6d2}\\x{6d3}\\x{6d5}\\x{6ee}"
	"\\x{6ef}])[\\p{Arabic}\\p{Syriac}\\p{Nko}\\p{Mongolian}]$",
	"^(?=\\p{L})[\\p{Arabic}\\p{Syriac}\\p{Nko}\\p{Mongolian}]$",
	"^\\p{Mn}$",
	"^\\p{bc=L}$",
	"^[\\p{bc=R}\\p{bc=AL}]$",
	"^\\p{bc=AN}$",
	"^\\p{bc=EN}$",
	"^[\\p{bc=R}\\p{bc=AL}\\p{bc=AN}\\p{bc=EN}\\p{bc=ES}\\p{bc=CS}"
	"\\p{bc=ET}\\p{bc=ON}\\p{bc=BN}\\p{bc=NSM}]$",
	"^[\\p{bc=L}\\p{bc=EN}\\p{bc=ES}\\p{bc=CS}\\p{bc=ET}\\p{bc=ON}"
	"\\p{bc=BN}\\p{bc=NSM}]$",
	"^\\p{bc=NSM}$",
};

static int
uc_is(enum ucls k, uint32_t c)
{
	static struct regex *re[UC_COUNT];
	char u[4];
	size_t n;

	if (re[k] == NULL) {
		re[k] = regex_compile(ucls_pat[k], strlen(ucls_pat[k]), 0,
				      NULL);
		if (re[k] == NULL)
			BUG("format class %d does not compile", (int)k);
	}
	n = utf8_encode(c, u);
	return regex_search(re[k], u, n, NULL) == 1;
}

/* ---- dates and times ---------------------------------------------------- */

static int
days_in_month(int y, int m)
{
	static const int d[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

static int
check_date(const char *s, size_t len)
{
	int y, m, d;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	y = num(s, 4);
	m = num(s + 5, 2);
	d = num(s + 8, 2);
	if (y < 0 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= days_in_month(y, m);
}

static int
check_time(const char *s, size_t len)
{
	int h, mi, sec, oh = 0, om = 0, sign = 0;
	size_t i = 8;

	if (len < 9 || s[2] != ':' || s[5] != ':')
		return 0;
	h = num(s, 2);
	mi = num(s + 3, 2);
	sec = num(s + 6, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return 0;
	if (s[i] == '.') {
		size_t st = ++i;

		while (i < len && is_digit((unsigned char)s[i]))
			i++;
		if (i == st)
			return 0;
	}
	if (i >= len)
		return 0;
	if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
		sign = 0;
	} else if ((s[i] == '+' || s[i] == '-') && len - i == 6 &&
		   s[i + 3] == ':') {
		sign = s[i] == '+' ? 1 : -1;
		oh = num(s + i + 1, 2);
		om = num(s + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return 0;
	} else {
		return 0;
	}
	if (sec == 60) {
		int utc =
			((h * 60 + mi - sign * (oh * 60 + om)) % 1440 + 1440) %
			1440;

		if (utc != 23 * 60 + 59)
			return 0;
	}
	return 1;
}

static int
check_date_time(const char *s, size_t len)
{
	if (len < 20 || (s[10] != 'T' && s[10] != 't'))
		return 0;
	return check_date(s, 10) && check_time(s + 11, len - 11);
}

/* RFC 3339 appendix A: P(nY(nM(nD)?)?|nM(nD)?|nD)(T...)?|PnW, in order. */
static int
check_duration(const char *s, size_t len)
{
	static const char date_units[] = "YMD", time_units[] = "HMS";
	const char *p = s + 1, *end = s + len, *units = date_units;
	int last = -1, any = 0, in_time = 0;

	if (len < 3 || s[0] != 'P')
		return 0;
	if (s[len - 1] == 'W') {
		for (p = s + 1; p < end - 1; p++)
			if (!is_digit((unsigned char)*p))
				return 0;
		return len > 2;
	}
	while (p < end) {
		const char *st = p, *u;
		int idx;

		if (*p == 'T') {
			if (in_time)
				return 0;
			in_time = 1;
			units = time_units;
			last = -1;
			p++;
			if (p == end)
				return 0;
			continue;
		}
		while (p < end && is_digit((unsigned char)*p))
			p++;
		if (p == st || p == end || (u = strchr(units, *p)) == NULL ||
		    *p == '\0')
			return 0;
		idx = (int)(u - units);
		if (last >= 0 && idx != last + 1)
			return 0;
		last = idx;
		any = 1;
		p++;
	}
	return any && !(in_time && last < 0);
}

/* ---- IP addresses ------------------------------------------------------- */

static int
check_ipv4(const char *s, size_t len)
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		size_t st = i;
		int v = 0;

		while (i < len && is_digit((unsigned char)s[i]) && i - st < 3)
			v = v * 10 + s[i++] - '0';
		if (i == st || v > 255 || (i - st > 1 && s[st] == '0'))
			return 0;
		if (part < 3) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == len;
}

static int
check_ipv6(const char *s, size_t len)
{
	size_t i = 0;
	int groups = 0, gap = 0;

	if (len < 2)
		return 0;
	if (s[0] == ':') {
		if (s[1] != ':')
			return 0;
		gap = 1;
		i = 2;
		if (i == len)
			return 1;
	}
	while (i < len) {
		size_t st = i;

		while (i < len && is_hex_digit((unsigned char)s[i]) &&
		       i - st < 5)
			i++;
		if (i < len && s[i] == '.') {
			/* embedded IPv4 at the end */
			if (!check_ipv4(s + st, len - st))
				return 0;
			groups += 2;
			i = len;
			break;
		}
		if (i == st || i - st > 4)
			return 0;
		groups++;
		if (i == len)
			break;
		if (s[i] != ':')
			return 0;
		i++;
		if (i < len && s[i] == ':') {
			if (gap)
				return 0;
			gap = 1;
			i++;
			if (i == len)
				break;
		} else if (i == len) {
			return 0;
		}
	}
	return gap ? groups <= 7 : groups == 8;
}

/* ---- host names --------------------------------------------------------- */

#define PUNY_BASE 36
#define PUNY_TMIN 1
#define PUNY_TMAX 26
#define PUNY_SKEW 38
#define PUNY_DAMP 700
#define MAX_LABEL 256

static uint32_t
puny_adapt(uint32_t delta, uint32_t n, int first)
{
	uint32_t k = 0;

	delta = first ? delta / PUNY_DAMP : delta / 2;
	delta += delta / n;
	while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2) {
		delta /= PUNY_BASE - PUNY_TMIN;
		k += PUNY_BASE;
	}
	return k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + PUNY_SKEW);
}

static int
puny_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0' + 26;
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	return -1;
}

/* RFC 3492 decode of s (without "xn--"); count, or -1. */
static long
puny_decode(const char *s, size_t len, uint32_t *out, size_t cap)
{
	uint32_t n = 128, i = 0, bias = 72;
	size_t b = 0, j, o = 0, p;

	for (j = 0; j < len; j++)
		if (s[j] == '-')
			b = j;
	for (j = 0; j < b; j++) {
		if ((unsigned char)s[j] >= 0x80 || o == cap)
			return -1;
		out[o++] = (unsigned char)s[j];
	}
	for (p = b > 0 ? b + 1 : 0; p < len;) {
		uint32_t oldi = i, w = 1, k;

		for (k = PUNY_BASE;; k += PUNY_BASE) {
			int d;
			uint32_t t;

			if (p >= len ||
			    (d = puny_digit((unsigned char)s[p++])) < 0)
				return -1;
			if ((uint32_t)d > (UINT32_MAX - i) / w)
				return -1;
			i += d * w;
			t = k <= bias		    ? PUNY_TMIN
			    : k >= bias + PUNY_TMAX ? PUNY_TMAX
						    : k - bias;
			if ((uint32_t)d < t)
				break;
			if (w > UINT32_MAX / (PUNY_BASE - t))
				return -1;
			w *= PUNY_BASE - t;
		}
		bias = puny_adapt(i - oldi, (uint32_t)o + 1, oldi == 0);
		if (i / (o + 1) > 0x10ffff - n)
			return -1;
		n += i / (o + 1);
		i %= o + 1;
		if (o == cap || n > 0x10ffff || (n >= 0xd800 && n < 0xe000))
			return -1;
		memmove(out + i + 1, out + i, (o - i) * sizeof *out);
		out[i++] = n;
		o++;
	}
	return (long)o;
}

/* RFC 3492 encode into out (NUL-terminated); length, or -1. */
static long
puny_encode(const uint32_t *in, size_t len, char *out, size_t cap)
{
	uint32_t n = 128, delta = 0, bias = 72, h, b = 0, m, q, k, t;
	size_t o = 0, j;

	for (j = 0; j < len; j++) {
		if (in[j] < 0x80) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)in[j];
			b++;
		}
	}
	h = b;
	if (b > 0) {
		if (o + 1 >= cap)
			return -1;
		out[o++] = '-';
	}
	while (h < len) {
		m = UINT32_MAX;
		for (j = 0; j < len; j++)
			if (in[j] >= n && in[j] < m)
				m = in[j];
		if ((m - n) > (UINT32_MAX - delta) / (h + 1))
			return -1;
		delta += (m - n) * (h + 1);
		n = m;
		for (j = 0; j < len; j++) {
			if (in[j] < n && ++delta == 0)
				return -1;
			if (in[j] != n)
				continue;
			for (q = delta, k = PUNY_BASE;; k += PUNY_BASE) {
				t = k <= bias		    ? PUNY_TMIN
				    : k >= bias + PUNY_TMAX ? PUNY_TMAX
							    : k - bias;
				if (q < t)
					break;
				if (o + 1 >= cap)
					return -1;
				out[o++] =
					"abcdefghijklmnopqrstuvwxyz0123456789"
						[t + (q - t) % (PUNY_BASE - t)];
				q = (q - t) / (PUNY_BASE - t);
			}
			if (o + 1 >= cap)
				return -1;
			out[o++] = "abcdefghijklmnopqrstuvwxyz0123456789"[q];
			bias = puny_adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		n++;
	}
	out[o] = '\0';
	return (long)o;
}

/* RFC 5892 appendix A and section 2.6, for the U-label cps[0..n). */
static int
ulabel_ok(const uint32_t *c, size_t n)
{
	size_t i, k;
	int has_an = 0, has_ext = 0;

	if (n == 0 || uc_is(UC_MARK, c[0]) || c[0] == '-' || c[n - 1] == '-')
		return 0;
	if (n >= 4 && c[2] == '-' && c[3] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		uint32_t x = c[i];

		if (x < 0x80) {
			if (!(is_alpha((int)x) || is_digit((int)x) || x == '-'))
				return 0;
			continue;
		}
		switch (x) {
		case 0xdf:
		case 0x3c2:
		case 0x6fd:
		case 0x6fe:
		case 0xf0b:
		case 0x3007:
			continue; /* PVALID exceptions */
		case 0x640:
		case 0x7fa:
		case 0x302e:
		case 0x302f:
		case 0x3031:
		case 0x3032:
		case 0x3033:
		case 0x3034:
		case 0x3035:
		case 0x303b:
			return 0; /* DISALLOWED exceptions */
		case 0xb7:
			if (i == 0 || i + 1 == n || c[i - 1] != 'l' ||
			    c[i + 1] != 'l')
				return 0;
			continue;
		case 0x375:
			if (i + 1 == n || !uc_is(UC_GREEK, c[i + 1]))
				return 0;
			continue;
		case 0x5f3:
		case 0x5f4:
			if (i == 0 || !uc_is(UC_HEBREW, c[i - 1]))
				return 0;
			continue;
		case 0x30fb:
			for (k = 0; k < n; k++)
				if (c[k] != 0x30fb && uc_is(UC_KANA_HAN, c[k]))
					break;
			if (k == n)
				return 0;
			continue;
		case 0x200d:
			if (i == 0 || !uc_is(UC_VIRAMA, c[i - 1]))
				return 0;
			continue;
		case 0x200c:
			if (i > 0 && uc_is(UC_VIRAMA, c[i - 1]))
				continue;
			/* (L|D) T* ZWNJ T* (R|D) */
			for (k = i; k > 0 && uc_is(UC_JOIN_T, c[k - 1]); k--)
				;
			if (k == 0 || !uc_is(UC_JOIN_LD, c[k - 1]))
				return 0;
			for (k = i + 1; k < n && uc_is(UC_JOIN_T, c[k]); k++)
				;
			if (k == n || !uc_is(UC_JOIN_RD, c[k]))
				return 0;
			continue;
		default:
			break;
		}
		if (x >= 0x660 && x <= 0x669)
			has_an = 1;
		if (x >= 0x6f0 && x <= 0x6f9)
			has_ext = 1;
		if (!uc_is(UC_PVALID, x))
			return 0;
	}
	return !(has_an && has_ext);
}

/* RFC 5893 section 2, for one label of a Bidi domain name. */
static int
bidi_ok(const uint32_t *c, size_t n)
{
	size_t i, last = n;
	int rtl, en = 0, an = 0;

	if (n == 0)
		return 1;
	if (uc_is(UC_BIDI_RTL, c[0]))
		rtl = 1;
	else if (uc_is(UC_BIDI_L, c[0]))
		rtl = 0;
	else
		return 0;
	for (i = 0; i < n; i++) {
		if (!uc_is(rtl ? UC_BIDI_RTL_OK : UC_BIDI_LTR_OK, c[i]))
			return 0;
		en |= uc_is(UC_BIDI_EN, c[i]);
		an |= uc_is(UC_BIDI_AN, c[i]);
	}
	while (last > 0 && uc_is(UC_BIDI_NSM, c[last - 1]))
		last--;
	if (last == 0)
		return 0;
	if (rtl)
		return !(en && an) && (uc_is(UC_BIDI_RTL, c[last - 1]) ||
				       uc_is(UC_BIDI_EN, c[last - 1]) ||
				       uc_is(UC_BIDI_AN, c[last - 1]));
	return uc_is(UC_BIDI_L, c[last - 1]) || uc_is(UC_BIDI_EN, c[last - 1]);
}

static int
has_rtl(const uint32_t *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] >= 0x590 &&
		    (uc_is(UC_BIDI_RTL, c[i]) || uc_is(UC_BIDI_AN, c[i])))
			return 1;
	return 0;
}

struct label {
	uint32_t cp[MAX_LABEL];
	size_t n;
	size_t alen; /* length as an A-label (or ASCII) */
};

/*
 * Check one label (s, len bytes) and turn it into code points.  idn:
 * non-ASCII allowed (U-labels).  Returns 1 if the label is fine.
 */
static int
host_label(const char *s, size_t len, int idn, struct label *l)
{
	size_t i;
	int ascii = 1;
	long n;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = 0;
	if (ascii) {
		if (len > 63 || s[0] == '-' || s[len - 1] == '-')
			return 0;
		for (i = 0; i < len; i++)
			if (!is_alpha((unsigned char)s[i]) &&
			    !is_digit((unsigned char)s[i]) && s[i] != '-')
				return 0;
		l->alen = len;
		if (len >= 4 && (s[0] == 'x' || s[0] == 'X') &&
		    (s[1] == 'n' || s[1] == 'N') && s[2] == '-' &&
		    s[3] == '-') {
			char re[MAX_LABEL];

			n = puny_decode(s + 4, len - 4, l->cp, MAX_LABEL);
			if (n <= 0)
				return 0;
			l->n = (size_t)n;
			for (i = 0; i < l->n && l->cp[i] < 0x80; i++)
				;
			if (i == l->n)
				return 0; /* decodes to ASCII only */
			if (puny_encode(l->cp, l->n, re, sizeof re) !=
				    (long)len - 4 ||
			    strncasecmp(re, s + 4, len - 4) != 0)
				return 0;
			return ulabel_ok(l->cp, l->n);
		}
		if (idn && len >= 4 && s[2] == '-' && s[3] == '-')
			return 0;
		for (i = 0; i < len; i++)
			l->cp[i] = (unsigned char)s[i];
		l->n = len;
		return 1;
	}
	if (!idn)
		return 0;
	n = utf8_decode(s, len, l->cp, MAX_LABEL);
	if (n <= 0)
		return 0;
	l->n = (size_t)n;
	if (!ulabel_ok(l->cp, l->n)) {
		return 0;
	} else {
		char a[MAX_LABEL];
		long al = puny_encode(l->cp, l->n, a, sizeof a);

		if (al < 0 || al + 4 > 63)
			return 0;
		l->alen = (size_t)al + 4;
	}
	return 1;
}

/* Length of a label separator at s: '.', U+3002, U+FF0E, U+FF61. */
static size_t
sep_len(const char *s, const char *end, int idn)
{
	if (*s == '.')
		return 1;
	if (!idn || end - s < 3)
		return 0;
	if (memcmp(s, "\xe3\x80\x82", 3) == 0 ||
	    memcmp(s, "\xef\xbc\x8e", 3) == 0 ||
	    memcmp(s, "\xef\xbd\xa1", 3) == 0)
		return 3;
	return 0;
}

/*
 * The common case of a host name, all ASCII letters, digits, hyphens and
 * dots with no A-label ("xn--"): decided here without decoding labels.
 * Returns -1 when the general check is needed.
 */
static int
check_host_ascii_fast(const char *s, size_t len)
{
	size_t i, start = 0;

	if (len == 0 || len > 253)
		return -1;
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';

		if (c == '.') {
			size_t l = i - start;

			if (l == 0 || l > 63 || s[start] == '-' ||
			    s[i - 1] == '-')
				return 0;
			if (l >= 4 && s[start + 2] == '-' &&
			    s[start + 3] == '-')
				return -1; /* maybe an A-label */
			start = i + 1;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-')
			return -1;
	}
	return 1;
}

static int
check_host(const char *s, size_t len, int idn)
{
	const char *p = s, *end = s + len;
	struct label *labels;
	size_t nl = 0, cap = 8, total = 0, i;
	int ok = 1, bidi = 0;

	if (len == 0)
		return 0;
	if (!idn && (ok = check_host_ascii_fast(s, len)) >= 0)
		return ok;
	ok = 1;
	/* out of memory ends the run (xmalloc.h), never a wrong verdict */
	labels = xreallocarray(NULL, cap, sizeof *labels);
	for (;;) {
		const char *st = p;
		size_t sl = 0;

		while (p < end && (sl = sep_len(p, end, idn)) == 0)
			p++;
		if (nl == cap) {
			cap *= 2;
			labels = xreallocarray(labels, cap, sizeof *labels);
		}
		if (!host_label(st, p - st, idn, &labels[nl])) {
			ok = 0;
			break;
		}
		total += labels[nl].alen + (nl ? 1 : 0);
		bidi |= has_rtl(labels[nl].cp, labels[nl].n);
		nl++;
		if (p == end)
			break;
		p += sl;
		if (p == end) { /* trailing separator */
			ok = 0;
			break;
		}
	}
	if (ok && total > 253)
		ok = 0;
	for (i = 0; ok && bidi && i < nl; i++)
		if (!bidi_ok(labels[i].cp, labels[i].n))
			ok = 0;
	free(labels);
	return ok;
}

/* ---- e-mail ------------------------------------------------------------- */

static int
check_email(const char *s, size_t len, int idn)
{
	const char *at = NULL, *p, *end = s + len;
	int dot = 1;

	for (p = s; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL || at == s || at + 1 == end)
		return 0;
	if (s[0] == '"') {
		if (at - s < 2 || at[-1] != '"')
			return 0;
		for (p = s + 1; p < at - 1; p++) {
			unsigned char c = (unsigned char)*p;

			if (c == '\\') {
				if (++p >= at - 1)
					return 0;
			} else if (c == '"' || c < 0x20 || c == 0x7f) {
				return 0;
			}
		}
	} else {
		for (p = s; p < at; p++) {
			unsigned char c = (unsigned char)*p;

			if (c == '.') {
				if (dot)
					return 0;
				dot = 1;
				continue;
			}
			dot = 0;
			if (is_alpha(c) || is_digit(c) ||
			    (c < 0x80 && c && is_atext_special(c)) ||
			    (idn && c >= 0x80))
				continue;
			return 0;
		}
		if (dot)
			return 0;
	}
	p = at + 1;
	if (*p == '[') {
		if (end[-1] != ']')
			return 0;
		if (end - p > 6 && strncasecmp(p + 1, "IPv6:", 5) == 0)
			return check_ipv6(p + 6, end - p - 7);
		return check_ipv4(p + 1, end - p - 2);
	}
	return check_host(p, end - p, idn);
}

/* ---- URIs and IRIs ------------------------------------------------------ */

static int
uri_unreserved(unsigned char c, int iri)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
	       c == '~' || (iri && c >= 0x80);
}

static int
uri_subdelim(unsigned char c)
{
	return strchr("!$&'()*+,;=", c) != NULL && c != '\0';
}

/* Characters at p..end that are all in class (plus pct-encoded). */
static int
uri_chars(const char *p, const char *end, const char *extra, int iri)
{
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '%') {
			if (end - p < 3 || !is_hex_digit((unsigned char)p[1]) ||
			    !is_hex_digit((unsigned char)p[2]))
				return 0;
			p += 2;
			continue;
		}
		if (uri_unreserved(c, iri) || uri_subdelim(c) ||
		    (c && strchr(extra, c)))
			continue;
		return 0;
	}
	return 1;
}

static int
uri_authority(const char *p, const char *end, int iri)
{
	const char *at = NULL, *q, *host, *hend;

	for (q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at) {
		if (!uri_chars(p, at, ":", iri))
			return 0;
		host = at + 1;
	} else {
		host = p;
	}
	if (host < end && *host == '[') {
		const char *rb = memchr(host, ']', end - host);

		if (rb == NULL)
			return 0;
		if (host[1] == 'v' || host[1] == 'V') {
			if (!uri_chars(host + 2, rb, ":", 0))
				return 0;
		} else if (!check_ipv6(host + 1, rb - host - 1)) {
			return 0;
		}
		hend = rb + 1;
	} else {
		for (hend = host; hend < end && *hend != ':'; hend++)
			;
		if (!uri_chars(host, hend, "", iri))
			return 0;
	}
	if (hend < end) {
		if (*hend != ':')
			return 0;
		for (q = hend + 1; q < end; q++)
			if (!is_digit((unsigned char)*q))
				return 0;
	}
	return 1;
}

/* RFC 3986 URI (need_scheme) or URI-reference; iri: RFC 3987. */
static int
check_uri(const char *s, size_t len, int need_scheme, int iri)
{
	const char *p = s, *end = s + len, *q, *hier_end, *path;
	int has_scheme = 0;

	for (q = s; q < end && *q != ':' && *q != '/' && *q != '?' && *q != '#';
	     q++)
		;
	if (q < end && *q == ':') {
		if (q == s || !is_alpha((unsigned char)s[0]))
			return 0;
		for (p = s; p < q; p++)
			if (!is_alpha((unsigned char)*p) &&
			    !is_digit((unsigned char)*p) && !strchr("+-.", *p))
				return 0;
		has_scheme = 1;
		p = q + 1;
	} else {
		p = s;
	}
	if (need_scheme && !has_scheme)
		return 0;
	for (hier_end = p;
	     hier_end < end && *hier_end != '?' && *hier_end != '#'; hier_end++)
		;
	path = p;
	if (hier_end - p >= 2 && p[0] == '/' && p[1] == '/') {
		const char *a = p + 2, *ae;

		for (ae = a; ae < hier_end && *ae != '/'; ae++)
			;
		if (!uri_authority(a, ae, iri))
			return 0;
		path = ae;
	} else if (!has_scheme) {
		/* path-noscheme: no ':' in the first segment */
		for (q = p; q < hier_end && *q != '/'; q++)
			if (*q == ':')
				return 0;
	}
	if (!uri_chars(path, hier_end, ":@/", iri))
		return 0;
	p = hier_end;
	if (p < end && *p == '?') {
		for (q = p + 1; q < end && *q != '#'; q++)
			;
		if (!uri_chars(p + 1, q, ":@/?", iri))
			return 0;
		p = q;
	}
	if (p < end && *p == '#' && !uri_chars(p + 1, end, ":@/?", iri))
		return 0;
	return 1;
}

static int
check_uri_template(const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while (p < end) {
		unsigned char c = (unsigned char)*p;

		if (c == '{') {
			const char *q = ++p;
			int need = 1;

			if (p < end && strchr("+#./;?&=,!@|", *p) && *p)
				p++;
			while (p < end && *p != '}') {
				c = (unsigned char)*p;
				if (c == '.' &&
				    (need || p + 1 == end || p[1] == '.' ||
				     p[1] == '}' || p[1] == ',' ||
				     p[1] == ':' || p[1] == '*')) {
					return 0;
				} else if (is_alpha(c) || is_digit(c) ||
					   c == '_' || c == '.') {
					need = 0;
					p++;
				} else if (c == '%' && end - p >= 3 &&
					   is_hex_digit((unsigned char)p[1]) &&
					   is_hex_digit((unsigned char)p[2])) {
					need = 0;
					p += 3;
				} else if (c == ',' && !need) {
					need = 1;
					p++;
				} else if (c == '*' && !need) {
					p++;
					if (p < end && *p != ',' && *p != '}')
						return 0;
				} else if (c == ':' && !need) {
					const char *d = ++p;

					while (p < end &&
					       is_digit((unsigned char)*p))
						p++;
					if (p == d || p - d > 4 || *d == '0')
						return 0;
				} else {
					return 0;
				}
			}
			if (p == end || need || p == q)
				return 0;
			p++;
			continue;
		}
		/* RFC 6570 literals; the suite accepts "'" */
		if (c == '}' || c < 0x21 || c == 0x7f || strchr("\"<>\\^`|", c))
			return 0;
		if (c == '%') {
			if (end - p < 3 || !is_hex_digit((unsigned char)p[1]) ||
			    !is_hex_digit((unsigned char)p[2]))
				return 0;
			p += 3;
			continue;
		}
		p++;
	}
	return 1;
}

/* ---- the rest ----------------------------------------------------------- */

static int
check_uuid(const char *s, size_t len)
{
	size_t i;

	static const unsigned char spans[5][2] = {
		{ 0, 8 }, { 9, 13 }, { 14, 18 }, { 19, 23 }, { 24, 36 }
	};
	unsigned bad = 0;
	size_t k;

	if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' ||
	    s[23] != '-')
		return 0;
	for (k = 0; k < 5; k++)
		for (i = spans[k][0]; i < spans[k][1]; i++)
			bad |= !is_hex_digit((unsigned char)s[i]);
	return !bad;
}

static int
check_json_pointer(const char *s, size_t len)
{
	size_t i;

	if (len > 0 && s[0] != '/')
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '~' &&
		    (i + 1 == len || (s[i + 1] != '0' && s[i + 1] != '1')))
			return 0;
	return 1;
}

static int
check_rel_json_pointer(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && is_digit((unsigned char)s[i]))
		i++;
	if (i == 0 || (i > 1 && s[0] == '0'))
		return 0;
	if (i == len)
		return 1;
	if (s[i] == '#')
		return i + 1 == len;
	return check_json_pointer(s + i, len - i);
}

static int
check_regex(const char *s, size_t len)
{
	return regex_ecma_valid(s, len);
}

static int
check_email_ascii(const char *s, size_t len)
{
	return check_email(s, len, 0);
}

static int
check_email_idn(const char *s, size_t len)
{
	return check_email(s, len, 1);
}

static int
check_host_ascii(const char *s, size_t len)
{
	return check_host(s, len, 0);
}

static int
check_host_idn(const char *s, size_t len)
{
	return check_host(s, len, 1);
}

static int
check_uri_abs(const char *s, size_t len)
{
	return check_uri(s, len, 1, 0);
}

static int
check_uri_ref(const char *s, size_t len)
{
	return check_uri(s, len, 0, 0);
}

static int
check_iri_abs(const char *s, size_t len)
{
	return check_uri(s, len, 1, 1);
}

static int
check_iri_ref(const char *s, size_t len)
{
	return check_uri(s, len, 0, 1);
}

static const struct {
	const char *name;
	int (*fn)(const char *, size_t);
} formats[] = {
	{ "date-time", check_date_time },
	{ "date", check_date },
	{ "time", check_time },
	{ "duration", check_duration },
	{ "email", check_email_ascii },
	{ "idn-email", check_email_idn },
	{ "hostname", check_host_ascii },
	{ "idn-hostname", check_host_idn },
	{ "ipv4", check_ipv4 },
	{ "ipv6", check_ipv6 },
	{ "uri", check_uri_abs },
	{ "uri-reference", check_uri_ref },
	{ "iri", check_iri_abs },
	{ "iri-reference", check_iri_ref },
	{ "uri-template", check_uri_template },
	{ "uuid", check_uuid },
	{ "json-pointer", check_json_pointer },
	{ "relative-json-pointer", check_rel_json_pointer },
	{ "regex", check_regex },
};

/* Looked up once when the schema is compiled, not per value. */
int (*schema_format_fn(const char *name))(const char *, size_t)
{
	size_t i;

	for (i = 0; i < NELEM(formats); i++)
		if (strcmp(name, formats[i].name) == 0)
			return formats[i].fn;
	return NULL;
}

int
schema_format_check(const char *name, const char *s, size_t len)
{
	int (*fn)(const char *, size_t) = schema_format_fn(name);

	return fn ? fn(s, len) : -1;
}
