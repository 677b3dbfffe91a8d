/*
 * record.c -- events as raw bytes with a lazily parsed value (record.h).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "json/json-scan.h"
#include "record.h"
#include "lib/xmalloc.h"

void
record_init(struct record *rec, const char *src, uint64_t lineno,
	    const char *raw, size_t len)
{
	memset(rec, 0, sizeof *rec);
	rec->src = src;
	rec->lineno = lineno;
	rec->raw = raw;
	rec->len = len;
}

void
record_init_value(struct record *dst, const struct record *src, json_t *v)
{
	record_init(dst, src->src, src->lineno, NULL, 0);
	dst->seq = src->seq;
	dst->meta = src->meta;
	dst->metalen = src->metalen;
	dst->json = v;
	dst->flags = RECORD_DIRTY;
}

const char *
src_input_name(const char *src)
{
	return src == NULL || strcmp(src, "<stdin>") == 0 ? NULL : src;
}

const char *
record_input_name(const struct record *rec)
{
	return src_input_name(rec->src);
}

void
record_release(struct record *rec)
{
	json_decref(rec->json);
	free(rec->dump);
	if (rec->flags & RECORD_OWNED)
		free((char *)rec->raw);
	if (rec->flags & RECORD_META_OWNED)
		free((char *)rec->meta);
	rec->meta = NULL;
	rec->metalen = 0;
	rec->json = NULL;
	rec->dump = NULL;
	rec->raw = NULL;
	rec->len = 0;
	rec->flags = 0;
}

struct record *
record_dup(const struct record *rec)
{
	struct record *c = xmalloc(sizeof *c);

	*c = *rec;
	c->dump = NULL;
	c->scan = NULL;
	c->flags &= ~(RECORD_OWNED | RECORD_META_OWNED);
	if (rec->meta != NULL) {
		char *m = xmalloc(rec->metalen + 1);

		memcpy(m, rec->meta, rec->metalen);
		m[rec->metalen] = '\0';
		c->meta = m;
		c->flags |= RECORD_META_OWNED;
	}
	if (rec->flags & RECORD_DIRTY) {
		c->raw = NULL;
		c->len = 0;
		c->dumplen = 0;
	} else {
		char *p = xmalloc(rec->len + 1);

		memcpy(p, rec->raw, rec->len);
		p[rec->len] = '\0';
		c->raw = p;
		c->flags |= RECORD_OWNED;
	}
	c->json = json_incref(rec->json);
	return c;
}

void
record_free(struct record *rec)
{
	if (rec == NULL)
		return;
	record_release(rec);
	free(rec);
}

/*
 * Integers beyond 64 bits are valid JSON; jansson refuses them unless told
 * to read every integer as a double.  Only then do we ask for that, so
 * ordinary integers keep their exact int64 value.
 */
json_t *
record_parse(const char *raw, size_t len, struct errbuf *eb)
{
	json_error_t jerr;
	json_t *v;
	const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;

	v = json_loadb(raw, len, flags, &jerr);
	if (v != NULL)
		return v;
	if (json_error_code(&jerr) == json_error_numeric_overflow) {
		v = json_loadb(raw, len, flags | JSON_DECODE_INT_AS_REAL,
			       &jerr);
		if (v != NULL)
			return v;
	}
	if (memchr(raw, '\0', len) != NULL)
		errbuf_set(
			eb, STATUS_REJECT,
			"invalid JSON: NUL byte at column %zu",
			(size_t)((const char *)memchr(raw, '\0', len) - raw) +
				1);
	else
		errbuf_set(eb, STATUS_REJECT, "invalid JSON: %s at column %d",
			   jerr.text, jerr.position ? jerr.position : 1);
	return NULL;
}

json_t *
record_json(struct record *rec, struct errbuf *eb)
{
	if (rec->json != NULL)
		return rec->json;
	if (rec->scan != NULL)
		rec->json = jscan_json(rec->scan, jscan_root(rec->scan), eb);
	else
		rec->json = record_parse(rec->raw, rec->len, eb);
	return rec->json;
}

void
record_set_json(struct record *rec, json_t *v)
{
	json_decref(rec->json);
	rec->json = v;
	rec->scan = NULL;
	free(rec->dump);
	rec->dump = NULL;
	rec->flags |= RECORD_DIRTY;
}

const char *
record_bytes(struct record *rec, size_t *len)
{
	if (!(rec->flags & RECORD_DIRTY)) {
		*len = rec->len;
		return rec->raw;
	}
	if (rec->dump == NULL) {
		rec->dump = json_dumps(rec->json, RECORD_DUMP_FLAGS);
		if (rec->dump == NULL)
			rec->dump = xstrdup("null");
		rec->dumplen = strlen(rec->dump);
	}
	*len = rec->dumplen;
	return rec->dump;
}
