/*
 * encoder.h -- output formats (--to) for the main output.
 *
 * ndjson writes events as they are (no encoder at all).  The others frame
 * or re-encode each event before it reaches the sink:
 *   json      one array: "[", one element a line, "]" at the end ("[]"
 *             when there were no events), so the output is valid JSON
 *             and still greps line by line
 *   json-seq  RFC 7464: RS, the event, LF
 *   csv, tsv  a header row of flattened keys (nested objects as a.b,
 *             arrays as a.1, a.2 as Miller does): those of --fields, or
 *             the union of the keys of the first 1000 events (at most
 *             8 MiB of them, held until then), then one row per event;
 *             an event with a field not in the header is rejected
 *             (stage "output"), never cut silently; with --fields the
 *             other fields are left out, as asked
 *   pretty    indented JSON, two spaces, as jq prints by default
 */
#ifndef ENCODER_H
#define ENCODER_H

struct errbuf;
struct record;
struct sink;

enum out_format { TO_NDJSON, TO_JSON, TO_JSONSEQ, TO_CSV, TO_TSV, TO_PRETTY };

/* The --to names, in enum out_format order, NULL-terminated. */
extern const char *const out_format_names[];

struct encoder;

/*
 * How strings and lines are written (-r, -j, -C), for ndjson and pretty
 * only (main.c refuses them with the other formats):
 *   ENC_RAW    an event that is a JSON string is written as its text,
 *              without quotes or escapes (jq's -r); others as JSON
 *   ENC_JOIN   ENC_RAW, and no newline after each event (jq's -j)
 *   ENC_COLOR  JSON written with ANSI colours (jq's -C; JQ_COLORS)
 */
#define ENC_RAW	  0x1
#define ENC_JOIN  0x2
#define ENC_COLOR 0x4

/*
 * An encoder of format onto s (borrowed) with flags (ENC_*); NULL for
 * ndjson without flags: events are then written as they are.
 */
struct encoder *encoder_new(int format, struct sink *s, unsigned flags);

/*
 * Read JQ_COLORS (jq 1.7.1's format: up to eight colon-separated SGR
 * sequences for null:false:true:numbers:strings:arrays:objects:object
 * keys) over the defaults.  0, or -1 with eb when the value is invalid.
 */
int encoder_set_colors(const char *spec, struct errbuf *eb);

/*
 * Write one event.  0; or -1 with eb: STATUS_REJECT when this event
 * cannot be written in the format (the caller rejects it and goes on),
 * anything else from the sink.
 */
int encoder_write(struct encoder *enc, struct record *rec, struct errbuf *eb);

/*
 * Fix the columns of csv or tsv to the comma-separated flattened keys of
 * list (--fields a,b.c); the other keys of an event are left out.  0, or -1
 * with STATUS_USAGE (another format, an empty or repeated name).
 */
int encoder_set_fields(struct encoder *enc, const char *list,
		       struct errbuf *eb);

/*
 * Write what closes the output (json's "]"; the csv rows held while the
 * header was not fixed): 0, or -1 with eb.
 */
int encoder_finish(struct encoder *enc, struct errbuf *eb);

void encoder_free(struct encoder *enc);

#endif
