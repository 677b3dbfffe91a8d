/*
 * record.h -- one event: the raw line as read, and its JSON value on demand.
 *
 * Records handed to a stage are BORROWED: they are valid only during the
 * call (the raw bytes usually point into the reader's buffer).  A stage
 * that keeps an event past the call (batch, sort) takes an owned copy with
 * record_dup() and later frees it with record_free().
 *
 * The raw bytes are what gets written out as long as nobody changed the
 * value, so an event that only passes through filters leaves byte for byte.
 * A stage that replaces the value calls record_set_json(); from then on
 * record_bytes() returns the compact serialization of the new value.
 */
#ifndef RECORD_H
#define RECORD_H

#include <jansson.h>
#include <stdint.h>
#include <stddef.h>

struct errbuf;
struct jscan;

struct record {
	const char *src; /* borrowed: source name ("<stdin>"), outlives us */
	uint64_t lineno; /* 1-based line within src; 0 if none */
	uint64_t seq;	 /* 1, 2, ... in the order events were read (the
			  * runner's); 0 if none.  A stage that holds
			  * records reports the lowest it holds (stage.h
			  * held()), so a checkpoint never passes them. */
	const char *raw; /* the event's bytes, without the newline */
	size_t len;
	const char *meta; /* borrowed like raw: the source's metadata of the
			   * message (a compact JSON object, input_meta), or
			   * NULL; record_dup() copies it */
	size_t metalen;
	struct jscan *scan; /* borrowed: the scanner holding raw's tape (for
			     * lazy field access), or NULL; valid during the
			     * stage call only, and only while not dirty */
	json_t *json;	    /* owned reference, NULL until parsed or set */
	char *dump;	    /* owned: serialization of json once dirty */
	size_t dumplen;
	unsigned flags;
#define RECORD_OWNED	  0x1 /* raw was allocated by record_dup() */
#define RECORD_DIRTY	  0x2 /* json replaced raw: raw is stale */
#define RECORD_META_OWNED 0x4 /* meta was allocated by record_dup() */
};

/* Point rec at raw bytes (borrowed) from src:lineno; no JSON yet. */
void record_init(struct record *rec, const char *src, uint64_t lineno,
		 const char *raw, size_t len);

/*
 * Start dst as a new event derived from src (same source, line, seq and
 * metadata, borrowed from src) whose value is v (stolen).  Used by stages
 * that emit new values (map, batch).
 */
void record_init_value(struct record *dst, const struct record *src, json_t *v);

/*
 * The name of the input rec came from, for input_filename: the file as
 * given, tcp://PEER:PORT, unix:PATH, udp://PEER:PORT; NULL for stdin.
 */
const char *record_input_name(const struct record *rec);
const char *src_input_name(const char *src); /* the same, for rec->src */

/* Free what rec owns (json, dump, raw if owned); rec itself is not freed. */
void record_release(struct record *rec);

/* A heap copy that owns its bytes and a new reference to its value. */
struct record *record_dup(const struct record *rec);

/* Release and free a record from record_dup(). */
void record_free(struct record *rec);

/*
 * The event's value: a borrowed reference, built at most once (from the
 * scanner's tape when the record has one, else by parsing raw).  NULL with
 * a STATUS_REJECT error in eb if the bytes are not valid JSON.
 */
json_t *record_json(struct record *rec, struct errbuf *eb);

/*
 * Parse bytes as one JSON value: a new reference, or NULL with a
 * STATUS_REJECT error ("invalid JSON: ... at column N") in eb.
 */
json_t *record_parse(const char *raw, size_t len, struct errbuf *eb);

/* Replace the value (steals v) and mark the record dirty. */
void record_set_json(struct record *rec, json_t *v);

/*
 * The bytes to write for this event: the raw line if unchanged, else the
 * compact serialization (made once and cached).  Valid while rec is.
 */
const char *record_bytes(struct record *rec, size_t *len);

/* Flags for json_dumps() wherever evpipe serializes a value. */
#define RECORD_DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER)

#endif
