/*
 * reader.h -- input formats (--from): each input is read as a sequence of
 * events, one compact JSON text at a time, whatever its format.
 *
 * A struct reader wraps the line reader (ndjson) or a format decoder
 * (json, json-seq, csv, tsv, logfmt) behind the call shape of
 * linereader_next(): the same result codes, the same "valid until the next
 * call" rule, plus LINE_INVALID for a record the decoder could not make
 * sense of.  The runner checks every event with the JSON scanner as it
 * does for NDJSON lines, so decoders may hand out text that is not JSON
 * (a malformed array element) and let the scanner reject it.
 *
 * Memory is bounded by max_line whatever the input: a decoder keeps one
 * read buffer and one event.
 */
#ifndef READER_H
#define READER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "linereader.h"

enum in_format {
	FROM_NDJSON,
	FROM_JSON,
	FROM_JSONSEQ,
	FROM_CSV,
	FROM_TSV,
	FROM_LOGFMT,
	FROM_LINES,
	FROM_COMBINED,
	FROM_SYSLOG,
};

/* The --from names, in enum in_format order, NULL-terminated. */
extern const char *const in_format_names[];

/* reader_next() also returns this (beside enum linebuf_result): */
#define LINE_INVALID                                                           \
	4 /* a record that cannot be decoded: eb says why,                     \
	   * (the start of) its bytes are in *line, *len */

#define READER_TYPES                                                           \
	0x1 /* --csv-types: numbers and booleans in csv, tsv                   \
	     * and logfmt fields become JSON numbers/booleans */

struct reader_format;

struct reader {
	const struct reader_format *fmt;
	unsigned flags;
	size_t max_line;
	uint64_t lineno; /* line where the record last returned starts */
	/* Line-based formats (ndjson, csv, tsv, logfmt). */
	struct linereader lr;
	/* Byte-based formats (json, json-seq): the read buffer. */
	linebuf_read_fn read;
	void *arg;
	char *buf;
	size_t off, end, cap;
	int eof;
	int bom;	/* LR_BOM_* for the byte-based formats */
	size_t held;	/* the first bytes, read but not yet in buf[off..end):
			 * they may be the start of a byte order mark */
	uint64_t line;	/* line number at buf[off] */
	struct buf out; /* the event handed out */
	void *priv;	/* the decoder's own state */
};

/* One decoder: a const descriptor in format-NAME.c. */
struct reader_format {
	const char *name;
	void (*init)(struct reader *r);
	int (*next)(struct reader *r, const char **rec, size_t *len,
		    struct errbuf *eb);
	void (*release)(struct reader *r);
	/* Bytes of the decoder's own buffers (may be NULL: none). */
	size_t (*mem)(const struct reader *r);
	/* Give back buffers grown for a long record (may be NULL). */
	void (*trim)(struct reader *r);
	/* Where byte off of the record last handed out was in the input
	 * (may be NULL: see reader_where()). */
	int (*where)(const struct reader *r, size_t off, uint64_t *line,
		     uint64_t *col);
};

/*
 * Bytes the reader's buffers take: read buffers, the record handed out,
 * the decoder's (a csv record spanning lines).
 */
size_t reader_mem(const struct reader *r);

/*
 * With nothing unread, shrink the buffers a long record grew back to
 * their starting size: a reader that stays open (a listener's client)
 * does not keep the memory of its longest line.
 */
void reader_trim(struct reader *r);

/*
 * Start a reader of format (enum in_format) over read(arg, ...); events
 * longer than max_line bytes are reported as LINE_TOO_LONG.
 */
void reader_init(struct reader *r, int format, linebuf_read_fn read, void *arg,
		 size_t max_line, unsigned flags);
void reader_release(struct reader *r);

/*
 * The next event (compact JSON text for every format but ndjson, whose
 * lines are handed out as they are, but for blank ones).  Returns an enum
 * linebuf_result or LINE_INVALID; r->lineno is the line where the record
 * starts.
 */
int reader_next(struct reader *r, const char **rec, size_t *len,
		struct errbuf *eb);

/*
 * Whether a line holds only blanks (spaces, tabs, CRs): such lines are
 * no events, skipped by every read path (ndjson_next(), the prescan).
 */
int reader_blank(const char *p, size_t n);

/* init() and release() of a decoder that reads lines (r->lr). */
void reader_lines_init(struct reader *r);
void reader_lines_release(struct reader *r);

/*
 * The next() of a decoder that turns each non-blank line into one event:
 * parse(r, line, n, eb) writes the event's JSON to r->out (0), or says
 * why the line is not one (-1 with eb: the line is rejected as it is).
 * Line numbers, --max-line and the end of input as for NDJSON.
 */
int reader_next_parsed(struct reader *r, const char **rec, size_t *len,
		       int (*parse)(struct reader *r, const char *line,
				    size_t n, struct errbuf *eb),
		       struct errbuf *eb);

/*
 * Where byte off of the record reader_next() last handed out stood in
 * the input: its line and 1-based byte column.  0, or -1 when the
 * decoder hands out the input's own lines (whose positions the record's
 * line number and the offset already are).  --from json compacts
 * elements that span lines: an error the scanner finds in the compacted
 * text is reported where it is in the file.
 */
int reader_where(const struct reader *r, size_t off, uint64_t *line,
		 uint64_t *col);

/*
 * A UTF-8 byte order mark at the very start of the input is skipped,
 * whatever the format: a reader started anywhere else (a checkpoint's
 * offset, --from-end) is told so with reader_no_bom() before its first
 * read, and reads a mark there as data.  reader_bom_taken(): 1 once after
 * a mark was skipped (for -v to say so), else 0.
 */
void reader_no_bom(struct reader *r);
int reader_bom_taken(struct reader *r);

/*
 * Bytes read from the input but not yet consumed by the decoder.  Right
 * after reader_next() handed out a record, the input's offset minus this
 * is where that record ends (for json-seq: past the RS that ended it).
 */
size_t reader_unread(const struct reader *r);

/*
 * Read from read(arg, ...) from now on (a followed file's reader handed
 * over to its draining source), keeping what is buffered and the
 * decoder's state.
 */
void reader_set_input(struct reader *r, linebuf_read_fn read, void *arg);

/*
 * Whether the format carries state across records (a csv/tsv header,
 * json's array, json-seq's framing): such an input cannot be entered
 * at an offset, nor mixed from several peers in one reader.
 */
int reader_stateful(int format);

/*
 * For the byte-based decoders: read more into buf[end..).  Consumed bytes
 * before off are dropped first.  Returns 1 when bytes were added, 0 at end
 * of input (r->eof set), LINE_AGAIN or LINE_ERROR.
 */
int reader_fill(struct reader *r, struct errbuf *eb);

/*
 * Append field text as a JSON value: with READER_TYPES, a JSON number,
 * true or false as such, else a string.
 */
void reader_add_field(struct buf *out, const char *p, size_t n, unsigned flags);

/* The decoders of from-*.c (ndjson's is reader.c's own). */
extern const struct reader_format format_json, format_jsonseq, format_csv,
	format_tsv, format_logfmt, format_lines, format_combined, format_syslog;

#endif
