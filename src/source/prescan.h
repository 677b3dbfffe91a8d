/*
 * prescan.h -- read and check lines of a regular file on a second thread.
 *
 * When nothing in the pipeline reads an event's fields (cat, head, tee:
 * stages flagged STAGE_RAW), the only per-event work besides copying is
 * the JSON check every line must pass.  A prescan moves the reading, the
 * line framing and that check to a worker thread, which hands the main
 * thread blocks of lines (about 1 MiB each) with their verdicts, so on a
 * two-core machine the check runs beside the main thread's output work and
 * the writer thread's write(2) calls.
 *
 * The lines, line numbers, limits and messages are exactly those of the
 * single-threaded path (linereader_next() then jscan_check()); only regular
 * files use it, whose reads never wait for a writer.  Memory: at most
 * PRESCAN_BLOCKS blocks, each the larger of 1 MiB and its longest line.
 */
#ifndef PRESCAN_H
#define PRESCAN_H

#include <stddef.h>
#include <stdint.h>

#include "linereader.h"

struct errbuf;
struct jscan_node;
struct prescan;

#define PRESCAN_BLOCKS 4
#define PRESCAN_SAMPLE 4096

/* One line as the worker saw it. */
struct prescan_line {
	const char *line; /* valid until the next prescan_next() */
	size_t len;
	uint64_t lineno;
	int result;	   /* LINE_OK or LINE_TOO_LONG */
	int blank;	   /* reader_blank(): skipped, as by the reader */
	int bom;	   /* a byte order mark before it was skipped */
	const char *error; /* NULL: valid JSON; else the check's message */
	size_t error_col;  /* its 1-based column */
	/* With want_tape, for a valid line: its scanner tape (for
	 * jscan_adopt()), valid until the next prescan_next(). */
	const struct jscan_node *tape;
	uint32_t ntape;
};

/*
 * Start the worker over read(arg, ...) with the line limit max_line; with
 * want_tape, lines are scanned with jscan_parse() and each valid line
 * comes with its tape, so the stages that read fields (filter, map,
 * validate) find the scan done, else only checked.  Of
 * a line over the limit only the first PRESCAN_SAMPLE bytes are kept (the
 * dead-letter record keeps no more).  NULL if no thread could be started:
 * read on the caller's thread then.
 */
struct prescan *prescan_start(linebuf_read_fn read, void *arg, size_t max_line,
			      int want_tape);

/*
 * The next line: LINE_OK (or LINE_TOO_LONG) with *pl filled, LINE_EOF, or
 * LINE_ERROR with the read error in eb.
 */
int prescan_next(struct prescan *ps, struct prescan_line *pl,
		 struct errbuf *eb);

/* Stop the worker (even mid-file), join it and free everything. */
void prescan_stop(struct prescan *ps);

#endif
