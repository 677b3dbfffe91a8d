/*
 * fuzz-checkpoint.c -- the --checkpoint file loader on arbitrary bytes.
 *
 * Whatever the bytes, ckpt_parse() returns a checkpoint or an error, never
 * crashes; a checkpoint it accepts must serialize with ckpt_dump() and
 * parse again to the very same entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source/checkpoint.h"
#include "lib/errbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = { 0 };
	struct ckpt *c, *again;
	char *text;
	size_t i;

	c = ckpt_parse((const char *)data, size, &eb);
	if (c == NULL) {
		if (eb.status != STATUS_USAGE || eb.msg[0] == '\0')
			abort();
		return 0;
	}
	text = ckpt_dump(c->v, c->n);
	again = ckpt_parse(text, strlen(text), &eb);
	if (again == NULL || again->n != c->n)
		abort();
	for (i = 0; i < c->n; i++) {
		const struct ckpt_entry *a = &c->v[i], *b = &again->v[i];

		if (strcmp(a->path, b->path) != 0 || a->dev != b->dev ||
		    a->ino != b->ino || a->fp != b->fp ||
		    a->fp_bytes != b->fp_bytes || a->offset != b->offset ||
		    a->rotated != b->rotated ||
		    (!a->rotated && ckpt_find(again, a->path) != b))
			abort();
	}
	free(text);
	ckpt_free(c);
	ckpt_free(again);
	return 0;
}
