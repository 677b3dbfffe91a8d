/*
 * t-linebuf.c -- the line reader's boundary cases: lines split across
 * reads of every size, CRLF, a last line without newline, exactly
 * max_line, over-long lines (with and without a newline after them),
 * empty lines, NUL bytes.
 */
#include <string.h>

#include "lib/errbuf.h"
#include "feed.h"
#include "source/linereader.h"
#include "tap.h"

/* Read everything; render results as "L:text|" / "T:text|" into out. */
static void
read_all(const char *data, size_t len, size_t chunk, size_t max_line, char *out,
	 size_t outsz)
{
	struct feed f = { .p = (const uint8_t *)data,
			  .len = len,
			  .chunk = chunk };
	struct linereader lr;
	struct errbuf eb = { 0 };
	const char *line;
	size_t n, used = 0;
	int r;

	out[0] = '\0';
	linereader_init(&lr, feed_read, &f, max_line);
	while ((r = linereader_next(&lr, &line, &n, &eb)) > 0) {
		used += (size_t)snprintf(
			out + used, outsz - used, "%s%llu:%.*s|",
			r == LINE_TOO_LONG ? "T" : "L",
			(unsigned long long)lr.lineno, (int)n, line);
		if (used >= outsz)
			break;
	}
	linereader_release(&lr);
}

static void
check(const char *name, const char *data, size_t len, size_t max_line,
      const char *want)
{
	static const size_t chunks[] = { 1, 2, 3, 5, 7, 64, 4096, 1 << 20 };
	char got[8192];
	size_t i;
	int all = 1;

	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		read_all(data, len, chunks[i], max_line, got, sizeof got);
		if (strcmp(got, want) != 0) {
			diag("%s, reads of %zu: got '%s', want '%s'", name,
			     chunks[i], got, want);
			all = 0;
		}
	}
	ok(all, "%s", name);
}

#define CHECK(name, lit, max, want) check(name, lit, sizeof(lit) - 1, max, want)

int
main(void)
{
	char big[300000];
	char want[64];

	CHECK("empty input", "", 100, "");
	CHECK("one line", "abc\n", 100, "L1:abc|");
	CHECK("no final newline", "abc\ndef", 100, "L1:abc|L2:def|");
	CHECK("CRLF stripped", "abc\r\ndef\r\n", 100, "L1:abc|L2:def|");
	CHECK("CR only at end of last line", "abc\r", 100, "L1:abc|");
	CHECK("CR inside a line kept", "a\rb\n", 100, "L1:a\rb|");
	CHECK("empty lines returned", "\n\na\n", 100, "L1:|L2:|L3:a|");
	CHECK("exactly max_line", "abcde\nab\n", 5, "L1:abcde|L2:ab|");
	CHECK("exactly max_line with CRLF", "abcde\r\n", 5, "L1:abcde|");
	CHECK("one over max_line", "abcdef\nab\n", 5, "T1:abcde|L2:ab|");
	CHECK("over-long last line without newline", "ab\nabcdefghij", 5,
	      "L1:ab|T2:abcde|");
	CHECK("last line one byte over max_line (fuzz regression)",
	      "ab\nabcdef", 5, "L1:ab|T2:abcde|");
	CHECK("NUL bytes are kept for the caller to reject", "a\0b\n", 100,
	      "L1:a|");

	/* A line far beyond the buffer: reported once, rest skipped. */
	memset(big, 'x', sizeof big);
	big[sizeof big - 3] = '\n';
	big[sizeof big - 2] = 'y';
	big[sizeof big - 1] = '\n';
	snprintf(want, sizeof want, "T1:%.10s|L2:y|", big);
	check("huge line skipped, next line read", big, sizeof big, 10, want);

	{
		/* Line numbers keep counting across over-long lines. */
		const char data[] = "1234567890123\nok\n1234567890123\nlast\n";

		CHECK("line numbers after skipped lines", data, 8,
		      "T1:12345678|L2:ok|T3:12345678|L4:last|");
	}
	return done_testing();
}
