/*
 * template.h -- strings with {EXPR} parts, rendered per event:
 * "out/{.type}/{.ts[0:10]}.ndjson".  "{{" and "}}" stand for braces.
 *
 * Each EXPR is an expression (evpipe-expr(7)) that must yield exactly
 * one string, number or boolean; null, arrays, objects, no value or
 * several values are an evaluation error (STATUS_REJECT).
 *
 * In path mode every rendered value is made safe as (part of) one path
 * component: bytes outside a conservative set (ASCII letters, digits,
 * "-_.,+=@~" and UTF-8 letters beyond ASCII) are percent-encoded, so a
 * value holds no "/", "\", NUL or control character; an empty value is
 * written "_", and dots that open a component are written "%2E" (so a
 * value never makes a hidden file, "." or ".."); a component that would
 * still be empty, "." or ".." is written "_", "%2E" or "%2E%2E".  The
 * value "_" is written "%5F", so the encoding of one value is one to
 * one.  A component holding values that renders longer than
 * TEMPLATE_MAX_COMPONENT bytes is cut and marked with "%~" and a hash of
 * all of it (then its literal tail, such as ".ndjson", when that is at
 * most TEMPLATE_MAX_TAIL bytes), so it stays within NAME_MAX with room
 * for a rotation index, and two long values never share a name by being
 * cut.  The rendered path therefore never leaves the directory written
 * before the first "{".
 */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <jansson.h>

struct buf;
struct errbuf;
struct template;

#define TEMPLATE_MAX_COMPONENT 200
#define TEMPLATE_MAX_TAIL      32

enum template_mode {
	TEMPLATE_PLAIN,	   /* values inserted as they are */
	TEMPLATE_PATH,	   /* values sanitized as path components */
	TEMPLATE_NULLABLE, /* as PLAIN, but a template that is one {EXPR}
			    * whose value is null renders nothing, and
			    * the render functions return 1 (a Kafka
			    * message without a key) */
};

/*
 * Compile src; named_args (borrowed, may be NULL) as for expr_compile().
 * NULL with a STATUS_USAGE error naming the part and column.
 */
struct template *template_compile(const char *src, json_t *named_args,
				  struct errbuf *eb);

/*
 * The same, where "{NAME}" for a NAME in slots (NULL-terminated, may be
 * NULL) is not an expression but a value the caller gives at render time
 * ("{partition}" in split).
 */
struct template *template_compile_slots(const char *src, json_t *named_args,
					const char *const *slots,
					struct errbuf *eb);

/* Does the template hold any {EXPR} (or slot)? */
int template_is_constant(const struct template *t);

/* Does one of its {EXPR} call input_meta? */
int template_uses_input_meta(const struct template *t);

/*
 * The length of the directory written before the first {EXPR} (up to and
 * including its last "/"; 0 when the first component holds a value; the
 * whole directory part of a constant template): a rendering starts with
 * these bytes, and only what follows them comes from event data.
 */
size_t template_fixed_dir(const struct template *t);

/* The text of those template_fixed_dir() bytes, appended to out. */
void template_fixed_text(const struct template *t, struct buf *out);

/*
 * Append the rendering for event v to out.  0, 1 (TEMPLATE_NULLABLE: the
 * value is null, out unchanged), or -1 with a STATUS_REJECT error (out
 * then holds a partial rendering).
 */
int template_render(struct template *t, json_t *v, enum template_mode mode,
		    struct buf *out, struct errbuf *eb);

/*
 * Render for a record: each part is read from the record's tape when its
 * expression allows (a path to a plain string or number), else evaluated
 * on the record's value.  slot_values[i] is the text of slot i (already
 * safe; it is sanitized too in path mode).  0, 1 as template_render(), or
 * -1 with a STATUS_REJECT error (the record is not JSON, or a part
 * failed).
 */
struct record;
int template_render_record(struct template *t, struct record *rec,
			   enum template_mode mode,
			   const char *const *slot_values, struct buf *out,
			   struct errbuf *eb);

/*
 * The source name (struct record's src) that input_filename gives in
 * template_render() from now on; template_render_record() uses the
 * record's own.
 */
void template_set_input_name(struct template *t, const char *src);

/*
 * The metadata (struct record's meta, borrowed; NULL: none) that
 * input_meta gives in template_render() from now on.
 */
void template_set_input_meta(struct template *t, const char *meta, size_t len);

/*
 * The end of the {EXPR} that opens at p (its '{'): just past the matching
 * '}', braces inside string literals skipped; NULL if it does not end.
 * For target kinds that take {EXPR} in some parts of a URL only.
 */
const char *template_expr_end(const char *p);

void template_free(struct template *t);

#endif
