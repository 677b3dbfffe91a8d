/*
 * tap.h -- a minimal TAP producer for the C unit tests.
 *
 *	plan(3);			optional: announce the count first
 *	ok(x == 1, "x is %d", x);	one test line; returns the condition
 *	diag("got %s", s);		a "# ..." comment on stdout
 *	return done_testing();		0 if all passed (and the plan held)
 *
 * Everything is static: include it from exactly one file per test program.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_planned = -1, tap_run, tap_failed;

#define TAP_UNUSED __attribute__((unused))

TAP_UNUSED static void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

TAP_UNUSED __attribute__((format(printf, 4, 5))) static int
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_run++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!pass)
		printf("#   failed at %s:%d\n", file, line);
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

TAP_UNUSED __attribute__((format(printf, 1, 2))) static void
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Print the plan if none was given; returns the exit status for main(). */
TAP_UNUSED static int
done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		diag("planned %d tests but ran %d", tap_planned, tap_run);
	if (tap_failed)
		diag("failed %d of %d tests", tap_failed, tap_run);
	fflush(stdout);
	return tap_failed || (tap_planned >= 0 && tap_planned != tap_run);
}

#endif
