/*
 * schema-infer.h -- infer a JSON Schema from example values
 * (evpipe-schema(1), "schema infer").
 *
 * Every value added is valid against the schema inferred from all of
 * them: the schema only states what held for every value seen (types,
 * presence of properties, observed numeric ranges, formats that every
 * string matched, and enums for strings with few distinct values).  The
 * output is deterministic: properties, required names and enum values
 * are sorted (by bytes), and nothing depends on the order of the values.
 */
#ifndef SCHEMA_INFER_H
#define SCHEMA_INFER_H

#include <jansson.h>
#include <stddef.h>

#include "schema.h"

struct schema_infer;

/*
 * dialect: the $schema written (AUTO means 2020-12).  enum_max: strings
 * get an enum when a place saw at most this many distinct values, each
 * at least twice on average (0: never).
 */
struct schema_infer *schema_infer_new(enum schema_dialect dialect,
				      size_t enum_max);

/* Account for one value (borrowed). */
void schema_infer_add(struct schema_infer *, json_t *value);

/* Number of values added so far. */
size_t schema_infer_count(const struct schema_infer *);

/* The schema for everything added so far (new reference). */
json_t *schema_infer_result(struct schema_infer *);

void schema_infer_free(struct schema_infer *);

#endif
