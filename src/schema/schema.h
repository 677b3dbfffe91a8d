/*
 * schema.h -- JSON Schema (draft-07, 2019-09, 2020-12): compile a schema
 * document once into a keyword tree, then validate any number of values
 * against it.  See evpipe-schema(7) for what is supported.
 *
 * References resolve to the document itself, to its embedded resources
 * ($id), to the bundled meta-schemas, to files under the schema's own
 * directory, or through a --ref-map prefix to a local directory.  Nothing
 * ever touches the network.
 *
 * A struct schema is not thread-safe: validation reuses scratch space and
 * per-regex match data.
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct errbuf;
struct schema;

enum schema_dialect {
	SCHEMA_DIALECT_AUTO = 0, /* from $schema, else 2020-12 */
	SCHEMA_DRAFT7,
	SCHEMA_DRAFT2019_09,
	SCHEMA_DRAFT2020_12,
};

/*
 * Default bound of the schema text one schema may read: its file and every
 * file its references load (schema_opts.max_size).  The compiled schema
 * may take SCHEMA_COMPILED_FACTOR times that much memory.
 */
#define SCHEMA_MAX_SIZE	       (16ull << 20)
#define SCHEMA_COMPILED_FACTOR 64

struct schema_refmap {
	const char *prefix; /* "http://localhost:1234/" */
	const char *dir;    /* local directory standing for the prefix */
};

struct schema_opts {
	/* Dialect for documents without $schema (AUTO: 2020-12). */
	enum schema_dialect dialect;
	/* Nonzero: a known $schema does not override dialect. */
	int force_dialect;
	/* Nonzero: "format" is an annotation, not an assertion. */
	int no_format;
	/* Nonzero: do not check the schema against its meta-schema. */
	int no_meta_check;
	/* Relative file references must stay under this directory;
	 * NULL: the directory of the schema file (schema_load). */
	const char *root_dir;
	const struct schema_refmap *maps;
	size_t nmaps;
	/* Nonzero: the file schema_load() is given must be a regular file
	 * too (one a template chose, not one the user named). */
	int regular_only;
	/* Bound of the schema text read (0: SCHEMA_MAX_SIZE). */
	uint64_t max_size;
	/* Loading gives up with an error once *stop is nonzero (set by a
	 * signal handler); NULL: never. */
	volatile sig_atomic_t *stop;
};

/* One validation error. */
struct schema_error {
	char *instance; /* JSON Pointer into the value: "/data/amount" */
	char *keyword;	/* evaluation path: "/properties/data/$ref/minimum" */
	char *absolute; /* absolute schema location: "file:///s.json#/..." */
	const char *kw; /* the failing keyword: "minimum" (static) */
	char *message;	/* "-3 is less than the minimum of 0" */
	int branch;	/* says why a branch of a failed anyOf or oneOf failed
			 * (only with schema_errors.branches): detail of the
			 * error before it, not an error of its own */
};

struct schema_errors {
	struct schema_error *v;
	size_t n, cap;
	size_t max; /* stop collecting after this many (0: 100) */
	size_t dropped;
	/* Nonzero: after the error of an anyOf or oneOf that no branch
	 * matched, the errors of each branch (as ajv reports them), their
	 * messages starting "anyOf/I: "; marked branch. */
	int branches;
};

#define SCHEMA_ERRORS_INIT                                                     \
	{                                                                      \
		NULL, 0, 0, 0, 0, 0                                            \
	}

/* Forget the errors held (keeps the array for reuse). */
void schema_errors_reset(struct schema_errors *);
void schema_errors_release(struct schema_errors *);

/*
 * Errors as a JSON array of {"instance","keyword","schema","message"}
 * objects (new reference).
 */
json_t *schema_errors_json(const struct schema_errors *);

/*
 * Parse JSON text the way the schema code wants it: integers that do not
 * fit 64 bits are read as reals instead of failing, NUL allowed in
 * strings.  Returns a new reference, or NULL with err filled.
 */
json_t *schema_json_loadb(const char *buf, size_t len, json_error_t *err);

/*
 * Load the schema file at path and compile it (base URI: its file: URI,
 * unless it has an $id).  Returns a new schema, or NULL with a
 * STATUS_USAGE error in eb (syntax error, bad keyword value, failed
 * meta-schema check -- naming the JSON Pointer -- or unresolvable $ref,
 * more than opts->max_size of text, interrupted by opts->stop).
 *
 * path may be a pipe or a device (what the user named: "-s <(...)"); its
 * relative references then resolve in the current directory.  A file that
 * a reference loads must be a regular file: anything else is an error at
 * once, never a blocking open.
 */
struct schema *schema_load(const char *path, const struct schema_opts *opts,
			   struct errbuf *eb);

/*
 * schema_load(), also handing back what was read, so that a caller that
 * needs the document itself never reads the file twice (a pipe can be
 * read only once): the document (a new reference), its file: URI and its
 * directory (both malloc'd; a pipe's are the current directory's).  out
 * is filled only when a schema is returned.
 */
struct schema_doc {
	json_t *root;
	char *uri;
	char *dir;
};
struct schema *schema_load_doc(const char *path, const struct schema_opts *opts,
			       struct schema_doc *out, struct errbuf *eb);

/*
 * Compile doc (borrowed; a reference is taken) with base_uri (may be
 * NULL).  Same errors as schema_load().
 */
struct schema *schema_compile(json_t *doc, const char *base_uri,
			      const struct schema_opts *opts,
			      struct errbuf *eb);

/*
 * Validate value against the schema.  Returns 1 if valid, 0 if not.
 * When out is not NULL every error is appended to it (up to out->max);
 * when it is NULL validation stops at the first error.  A regular
 * expression that hits its match limit counts as an error of the value.
 */
int schema_validate(struct schema *, json_t *value, struct schema_errors *out);

/*
 * The same for value v on the tape of js (json-scan.h), which is read in
 * place: no jansson tree is built, and numbers are compared exactly on
 * their text.  The way to validate an event that has a tape.
 */
struct jscan;
struct jscan_val;
int schema_validate_scan(struct schema *, struct jscan *js, struct jscan_val v,
			 struct schema_errors *out);

/* The dialect the root document was compiled as. */
enum schema_dialect schema_dialect_of(const struct schema *);

void schema_free(struct schema *);

/*
 * Bundled meta-schemas: a new reference to the document for a well-known
 * meta-schema URI (with or without an empty fragment), or NULL.
 */
json_t *schema_meta_load(const char *uri);

/*
 * Format checks (schema-format.c): 1 if s (len bytes) is a valid
 * instance of format name, 0 if not, -1 if the format is unknown.
 */
int schema_format_check(const char *name, const char *s, size_t len);

#endif
