/*
 * evpipe.h -- basics shared by every file: exit statuses, version, BUG().
 */
#ifndef EVPIPE_H
#define EVPIPE_H

#include <stddef.h>
#include <stdint.h>

#define EVPIPE_VERSION "0.1.0"

/*
 * Process exit statuses (evpipe(1), EXIT STATUS).  Functions that fail
 * return -1 and put one of these in a struct errbuf; the runner
 * (pipeline_run()) works out the status of a run, the worst one seen (or
 * 128+N after signal N), and main.c returns that, or a usage error's, as
 * the exit code.
 */
enum status {
	STATUS_OK = 0,	   /* all events handled */
	STATUS_REJECT = 1, /* some events were rejected */
	STATUS_USAGE = 2,  /* bad option, expression, schema or target */
	STATUS_IO = 3,	   /* cannot open, read, write or connect */
};

#define ATTR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ATTR_NORETURN	  __attribute__((noreturn))

/* A broken invariant: print "evpipe: BUG: file:line: ..." and abort. */
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
ATTR_NORETURN ATTR_PRINTF(3, 4) void bug_at(const char *, int, const char *,
					    ...);

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
