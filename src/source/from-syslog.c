/*
 * source/from-syslog.c -- "--from syslog": syslog messages, one a line,
 * in either format, told apart line by line:
 *
 *   RFC 5424  <165>1 2003-10-11T22:14:15.003Z host app 42 ID47
 *                 [origin@32473 ip="192.0.2.1"] the message
 *   RFC 3164  <34>Oct 11 22:14:15 host su[42]: the message
 *
 * Each gives {"facility", "severity", "timestamp", "hostname",
 * "app_name", "procid", "msgid", "structured_data" (5424 only),
 * "message"}.  facility and severity are the names of RFC 5424's tables
 * ("local4", "notice"); "-" (5424's nil) is null; procid is a number
 * when it is all digits.  The structured data is an object of objects,
 * {"origin@32473":{"ip":"192.0.2.1"}}, with the escapes \" \\ \]
 * decoded; a name given twice: the last one wins, as jq reads JSON.
 * A leading byte order mark of a 5424 message is dropped.
 *
 * RFC 3164 lines may come without <PRI> (the files syslog daemons write:
 * facility and severity are then null), without a hostname (the first
 * word is then the tag: "su:", "sshd[42]:"), without a tag (app_name
 * null, the rest is the message), and with an RFC 3339 timestamp instead
 * of "Oct 11 22:14:15" (rsyslog's default file format).  A timestamp
 * without a year and zone is in the local time zone (TZ), in the current
 * year, or the year before when that would put it more than 31 days in
 * the future (a December line read in January).
 */
#include <string.h>
#include <time.h>

#include "json/json-text.h"
#include "lib/errbuf.h"
#include "reader.h"

static const char *const facilities[24] = {
	"kern",	  "user",     "mail",	 "daemon",	 "auth",     "syslog",
	"lpr",	  "news",     "uucp",	 "cron",	 "authpriv", "ftp",
	"ntp",	  "security", "console", "solaris-cron", "local0",   "local1",
	"local2", "local3",   "local4",	 "local5",	 "local6",   "local7",
};
static const char *const severities[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

struct sparse {
	const char *line, *p, *e;
	struct buf *o;
	struct buf v;
	struct errbuf *eb;
};

static int
fail(struct sparse *s, const char *what)
{
	return errbuf_set(s->eb, STATUS_REJECT, "expected %s at column %zu",
			  what, (size_t)(s->p - s->line) + 1);
}

static void
key(struct sparse *s, const char *k)
{
	if (s->o->len > 1)
		buf_addc(s->o, ',');
	jtext_add_string(s->o, k, strlen(k));
	buf_addc(s->o, ':');
}

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static int
digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdig(p[i]))
			return 0;
	return n > 0;
}

static unsigned
num(const char *p, size_t n)
{
	unsigned v = 0;

	while (n-- > 0)
		v = v * 10 + (unsigned)(*p++ - '0');
	return v;
}

/* A word up to the next space (may be empty). */
static size_t
word(struct sparse *s)
{
	const char *w = s->p;

	while (s->p < s->e && *s->p != ' ')
		s->p++;
	return (size_t)(s->p - w);
}

/* "-" as null, else the word as a string (or a number: procid). */
static void
nil_or_word(struct sparse *s, const char *w, size_t n, int number)
{
	if (n == 1 && *w == '-')
		buf_add(s->o, "null", 4);
	else if (number && digits(w, n) && n <= 15 && (n == 1 || *w != '0'))
		buf_add(s->o, w, n);
	else
		jtext_add_string(s->o, w, n);
}

/* <PRI>: facility and severity.  0, or -1 with eb. */
static int
pri(struct sparse *s)
{
	const char *d = s->p + 1;
	size_t n = 0;
	unsigned v;

	while (d + n < s->e && n < 4 && isdig(d[n]))
		n++;
	if (n == 0 || n > 3 || d + n == s->e || d[n] != '>' ||
	    (n > 1 && d[0] == '0') || (v = num(d, n)) > 191)
		return fail(s, "a priority <0> to <191>");
	key(s, "facility");
	jtext_add_string(s->o, facilities[v / 8], strlen(facilities[v / 8]));
	key(s, "severity");
	jtext_add_string(s->o, severities[v % 8], strlen(severities[v % 8]));
	s->p = d + n + 1;
	return 0;
}

/*
 * The length of an RFC 3339 timestamp at p[0..n)
 * (2003-10-11T22:14:15.003Z, ...+02:00), or 0.
 */
static size_t
rfc3339_len(const char *p, size_t n)
{
	size_t i = 19;

	if (n < 20 || !digits(p, 4) || p[4] != '-' || !digits(p + 5, 2) ||
	    p[7] != '-' || !digits(p + 8, 2) ||
	    (p[10] != 'T' && p[10] != 't') || !digits(p + 11, 2) ||
	    p[13] != ':' || !digits(p + 14, 2) || p[16] != ':' ||
	    !digits(p + 17, 2))
		return 0;
	if (num(p + 5, 2) < 1 || num(p + 5, 2) > 12 || num(p + 8, 2) < 1 ||
	    num(p + 8, 2) > 31 || num(p + 11, 2) > 23 || num(p + 14, 2) > 59 ||
	    num(p + 17, 2) > 60)
		return 0;
	if (p[i] == '.') {
		size_t d = ++i;

		while (i < n && isdig(p[i]))
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && (p[i] == 'Z' || p[i] == 'z'))
		return i + 1;
	if (i + 6 <= n && (p[i] == '+' || p[i] == '-') &&
	    digits(p + i + 1, 2) && p[i + 3] == ':' && digits(p + i + 4, 2) &&
	    num(p + i + 1, 2) < 24 && num(p + i + 4, 2) < 60)
		return i + 6;
	return 0;
}

/* ---- RFC 5424 ----------------------------------------------------------- */

/* An SD-NAME: printable US-ASCII but = ] " and space, 1 to 32 bytes. */
static size_t
sd_name(struct sparse *s)
{
	const char *w = s->p;

	while (s->p<s->e && * s->p> ' ' && *s->p < 127 && *s->p != '=' &&
	       *s->p != ']' && *s->p != '"' && s->p - w < 32)
		s->p++;
	return (size_t)(s->p - w);
}

static int
structured_data(struct sparse *s)
{
	int first = 1;

	key(s, "structured_data");
	if (s->p < s->e && *s->p == '-') {
		s->p++;
		buf_add(s->o, "null", 4);
		return 0;
	}
	if (s->p == s->e || *s->p != '[')
		return fail(s, "structured data ([id ...] or -)");
	buf_addc(s->o, '{');
	while (s->p < s->e && *s->p == '[') {
		const char *id;
		size_t n;
		int pfirst = 1;

		s->p++;
		id = s->p;
		if ((n = sd_name(s)) == 0)
			return fail(s, "an SD-ID");
		if (!first)
			buf_addc(s->o, ',');
		first = 0;
		jtext_add_string(s->o, id, n);
		buf_add(s->o, ":{", 2);
		while (s->p < s->e && *s->p == ' ') {
			const char *name;

			s->p++;
			name = s->p;
			if ((n = sd_name(s)) == 0)
				return fail(s, "a parameter name");
			if (s->p + 1 >= s->e || s->p[0] != '=' ||
			    s->p[1] != '"')
				return fail(s, "=\" after the parameter name");
			s->p += 2;
			buf_reset(&s->v);
			for (;;) {
				if (s->p == s->e)
					return fail(s, "a closing quote");
				if (*s->p == '"')
					break;
				if (*s->p == '\\' && s->p + 1 < s->e &&
				    (s->p[1] == '"' || s->p[1] == '\\' ||
				     s->p[1] == ']'))
					s->p++;
				buf_addc(&s->v, *s->p++);
			}
			s->p++;
			if (!pfirst)
				buf_addc(s->o, ',');
			pfirst = 0;
			jtext_add_string(s->o, name, n);
			buf_addc(s->o, ':');
			jtext_add_string(s->o, s->v.data, s->v.len);
		}
		if (s->p == s->e || *s->p != ']')
			return fail(s, "] or a parameter");
		s->p++;
		buf_addc(s->o, '}');
	}
	buf_addc(s->o, '}');
	return 0;
}

/* After "<PRI>1 ". */
static int
rfc5424(struct sparse *s)
{
	static const char *const names[] = { "hostname", "app_name", "procid",
					     "msgid" };
	const char *w;
	size_t n, i;

	key(s, "timestamp");
	if (s->p < s->e && *s->p == '-') {
		s->p++;
		buf_add(s->o, "null", 4);
	} else if ((n = rfc3339_len(s->p, (size_t)(s->e - s->p))) > 0) {
		jtext_add_string(s->o, s->p, n);
		s->p += n;
	} else {
		return fail(s, "an RFC 3339 timestamp or -");
	}
	for (i = 0; i < 4; i++) {
		if (s->p == s->e || *s->p != ' ')
			return fail(s, "a space");
		s->p++;
		w = s->p;
		if ((n = word(s)) == 0)
			return fail(s, names[i]);
		key(s, names[i]);
		nil_or_word(s, w, n, i == 2);
	}
	if (s->p == s->e || *s->p != ' ')
		return fail(s, "a space");
	s->p++;
	if (structured_data(s) == -1)
		return -1;
	key(s, "message");
	if (s->p == s->e) {
		buf_add(s->o, "null", 4);
		return 0;
	}
	if (*s->p != ' ')
		return fail(s, "a space before the message");
	s->p++;
	if (s->e - s->p >= 3 && memcmp(s->p, "\xef\xbb\xbf", 3) == 0)
		s->p += 3;
	jtext_add_string(s->o, s->p, (size_t)(s->e - s->p));
	return 0;
}

/* ---- RFC 3164 ----------------------------------------------------------- */

/* "Oct 11 22:14:15" (day may be " 1") as RFC 3339 in local time. */
static int
bsd_time(struct sparse *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = s->p;
	struct tm tm, now_tm;
	time_t now = time(NULL), t;
	unsigned mon;
	long off;

	if (s->e - p < 15 || p[3] != ' ' ||
	    !(isdig(p[5]) && (isdig(p[4]) || p[4] == ' ')) || p[6] != ' ' ||
	    !digits(p + 7, 2) || p[9] != ':' || !digits(p + 10, 2) ||
	    p[12] != ':' || !digits(p + 13, 2))
		return fail(s, "a timestamp as Oct 11 22:14:15");
	for (mon = 0; mon < 12; mon++)
		if (memcmp(months + 3 * mon, p, 3) == 0)
			break;
	memset(&tm, 0, sizeof tm);
	tm.tm_mon = (int)mon;
	tm.tm_mday = (int)num(p + 5, 1) + (p[4] == ' ' ? 0 : 10 * (p[4] - '0'));
	tm.tm_hour = (int)num(p + 7, 2);
	tm.tm_min = (int)num(p + 10, 2);
	tm.tm_sec = (int)num(p + 13, 2);
	if (mon == 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return fail(s, "a valid date and time");
	localtime_r(&now, &now_tm);
	tm.tm_year = now_tm.tm_year;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t != (time_t)-1 && t - now > 31L * 86400) {
		tm.tm_year--;
		tm.tm_mon = (int)mon;
		tm.tm_mday = (int)num(p + 5, 1) +
			     (p[4] == ' ' ? 0 : 10 * (p[4] - '0'));
		tm.tm_hour = (int)num(p + 7, 2);
		tm.tm_min = (int)num(p + 10, 2);
		tm.tm_sec = (int)num(p + 13, 2);
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	/* mktime() moves Feb 30 to March: such a day does not exist */
	if (t == (time_t)-1 || tm.tm_mon != (int)mon ||
	    tm.tm_mday !=
		    (int)num(p + 5, 1) + (p[4] == ' ' ? 0 : 10 * (p[4] - '0')))
		return fail(s, "a date that exists");
	off = tm.tm_gmtoff / 60;
	buf_addf(s->o, "\"%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld\"",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
		 (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
	s->p += 15;
	return 0;
}

/*
 * A tag at p: NAME[PID]: or NAME: -- its name and pid, and where the
 * message starts; 0 if the word is not a tag.
 */
static int
tag(const char *p, const char *e, size_t *name, const char **pid, size_t *npid,
    const char **msg)
{
	const char *q = p;

	while (q < e && *q != '[' && *q != ':' && *q != ' ')
		q++;
	if (q == p || q == e || *q == ' ')
		return 0;
	*name = (size_t)(q - p);
	*pid = NULL;
	*npid = 0;
	if (*q == '[') {
		*pid = ++q;
		while (q < e && *q != ']' && *q != ' ')
			q++;
		if (q == e || *q != ']' || q == *pid)
			return 0;
		*npid = (size_t)(q - *pid);
		q++;
		if (q == e || *q != ':')
			return 0;
	}
	q++; /* the colon */
	if (q < e && *q == ' ')
		q++;
	*msg = q;
	return 1;
}

static int
rfc3164(struct sparse *s)
{
	const char *w, *pid, *msg;
	size_t n, name, npid;

	key(s, "timestamp");
	if ((n = rfc3339_len(s->p, (size_t)(s->e - s->p))) > 0) {
		jtext_add_string(s->o, s->p, n);
		s->p += n;
	} else if (bsd_time(s) == -1) {
		return -1;
	}
	key(s, "hostname");
	if (s->p < s->e && *s->p != ' ')
		return fail(s, "a space after the timestamp");
	while (s->p < s->e && *s->p == ' ')
		s->p++;
	w = s->p;
	n = word(s);
	if (n == 0 || tag(w, w + n, &name, &pid, &npid, &msg)) {
		buf_add(s->o, "null", 4); /* the first word is the tag */
		s->p = w;
	} else {
		jtext_add_string(s->o, w, n);
		while (s->p < s->e && *s->p == ' ')
			s->p++;
	}
	w = s->p;
	key(s, "app_name");
	if (tag(w, s->e, &name, &pid, &npid, &msg) &&
	    memchr(w, ' ', name) == NULL) {
		jtext_add_string(s->o, w, name);
		key(s, "procid");
		if (pid)
			nil_or_word(s, pid, npid, 1);
		else
			buf_add(s->o, "null", 4);
		s->p = msg;
	} else {
		buf_add(s->o, "null", 4);
		key(s, "procid");
		buf_add(s->o, "null", 4);
	}
	key(s, "msgid");
	buf_add(s->o, "null", 4);
	key(s, "message");
	jtext_add_string(s->o, s->p, (size_t)(s->e - s->p));
	return 0;
}

/* Decode one line into r->out: 0, or -1 with eb. */
static int
syslog_parse(struct reader *r, const char *line, size_t n, struct errbuf *eb)
{
	struct sparse s = { line, line, line + n, &r->out, BUF_INIT, eb };
	int rc;

	buf_reset(s.o);
	buf_addc(s.o, '{');
	if (s.p < s.e && *s.p == '<') {
		if (pri(&s) == -1)
			return -1;
	} else {
		key(&s, "facility");
		buf_add(s.o, "null", 4);
		key(&s, "severity");
		buf_add(s.o, "null", 4);
	}
	if (s.p > line && s.e - s.p >= 2 && s.p[0] == '1' && s.p[1] == ' ') {
		s.p += 2;
		rc = rfc5424(&s);
	} else {
		rc = rfc3164(&s);
	}
	buf_release(&s.v);
	if (rc == -1)
		return -1;
	buf_addc(s.o, '}');
	return 0;
}

static int
syslog_next(struct reader *r, const char **rec, size_t *len, struct errbuf *eb)
{
	return reader_next_parsed(r, rec, len, syslog_parse, eb);
}

const struct reader_format format_syslog = {
	.name = "syslog",
	.init = reader_lines_init,
	.next = syslog_next,
	.release = reader_lines_release,
};
