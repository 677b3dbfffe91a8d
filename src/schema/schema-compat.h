/*
 * schema-compat.h -- is a change of schema compatible?  (evpipe-schema(1),
 * "schema compat").
 *
 * Backward: every value valid under OLD is valid under NEW.  Forward:
 * every value valid under NEW is valid under OLD.  Full: both.  The check
 * is structural and conservative: what it cannot prove compatible is
 * reported as a breaking change, with the JSON Pointer of the keyword in
 * the schema that rejects (NEW for backward, OLD for forward) and a
 * reason.  Values of finite schemas (enum, const, null, boolean) are
 * checked with the validator itself.
 */
#ifndef SCHEMA_COMPAT_H
#define SCHEMA_COMPAT_H

#include <jansson.h>
#include <stddef.h>

#include "schema.h"

struct errbuf;

enum compat_mode {
	COMPAT_BACKWARD = 1,
	COMPAT_FORWARD = 2,
	COMPAT_FULL = 3,
};

struct compat_change {
	int forward;   /* found checking forward (pointer into OLD) */
	char *pointer; /* JSON Pointer into the rejecting schema */
	char *reason;  /* "numbers below 1 are allowed by old but not by new" */
};

struct compat_result {
	struct compat_change *v;
	size_t n, cap;
};

/*
 * Compare the schema files old_path and new_path (both are first
 * compiled with opts, so an invalid schema is an error).  Fills res with
 * the breaking changes (none: compatible).  Returns 0, or -1 with a
 * STATUS_USAGE error in eb (unreadable or invalid schema, a $ref that
 * leaves its document).
 */
int schema_compat(const char *old_path, const char *new_path,
		  enum compat_mode mode, const struct schema_opts *opts,
		  struct compat_result *res, struct errbuf *eb);

void compat_result_release(struct compat_result *res);

#endif
