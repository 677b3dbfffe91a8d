/*
 * schema-int.h -- the compiled keyword tree shared by schema.c (compile,
 * references) and schema-check.c (validation).  Not for other files.
 */
#ifndef SCHEMA_INT_H
#define SCHEMA_INT_H

#include <jansson.h>
#include <stddef.h>

#include "lib/buf.h"
#include "json/json-scan.h"
#include "schema.h"

struct regex;

/* Vocabularies in force for a schema object. */
#define VOC_CORE	0x01
#define VOC_APPLICATOR	0x02
#define VOC_UNEVALUATED 0x04
#define VOC_VALIDATION	0x08
#define VOC_FORMAT_ANN	0x10
#define VOC_FORMAT_ASRT 0x20
#define VOC_ALL		0x1f /* without VOC_FORMAT_ASRT */

/* Bits of snode.types, in the order of schema_type_names[]. */
#define TYPE_NULL    0x01
#define TYPE_BOOLEAN 0x02
#define TYPE_OBJECT  0x04
#define TYPE_ARRAY   0x08
#define TYPE_NUMBER  0x10
#define TYPE_STRING  0x20
#define TYPE_INTEGER 0x40

struct snode;

/* Most members of an object that the object fast path takes. */
#define SCHEMA_FAST_MEMBERS 32

/* Bits of snode.kw: groups of keywords, so that validation skips what a
 * schema object does not have in one test (schema_node_plan). */
#define KW_TYPE	  0x01
#define KW_ENUM	  0x02 /* enum or const */
#define KW_NUM	  0x04
#define KW_STR	  0x08
#define KW_ARR	  0x10
#define KW_OBJ	  0x20
#define KW_APPL	  0x40 /* allOf anyOf oneOf not if */
#define KW_UNEVAL 0x80

/*
 * A number of the schema (minimum, multipleOf...) as exact JSON text:
 * compared digit by digit with the instance's text (schema-num.c).
 * text is NULL when the keyword is absent.
 */
struct snum {
	char *text;
	size_t len;
	double d;
	int small; /* an integer of at most 18 digits: iv */
	long long iv;
};

/* The numeric bounds of a schema object, allocated only when it has one:
 * most objects have none, and these take 200 bytes. */
struct snums {
	struct snum mult, max, xmax, min, xmin;
};

/* A string or number of an enum's hash set. */
struct sstr {
	const char *s; /* string: its contents (into the enum's tape, or
			* owned when escaped); number: its text */
	size_t len;
	size_t hash; /* schema_name_hash(s, len), schema_dec_hash(s, len) */
	int used, owned, number;
};

/* An enum or const value compiled to its own tape, with exact numbers. */
struct sconst {
	struct jscan js;
	char *text;
	size_t len;
};

/*
 * The exact text of the numbers of loaded schema documents that jansson
 * cannot hold exactly (reals, integers beyond 64 bits): json_t* -> text.
 */
struct numtext {
	const json_t **k;
	char **v;
	size_t cap, n;
};

/* A schema resource: a document root or a subschema with $id. */
struct sres {
	char *uri;    /* absolute, no fragment */
	json_t *root; /* borrowed */
	struct snode *node;
	struct sanchor *anchors;
	size_t nanchors;
	int recursive_anchor; /* 2019-09 $recursiveAnchor: true at the root */
};

struct sanchor {
	char *name;
	struct snode *node;
	int dynamic; /* $dynamicAnchor */
};

struct skv {		  /* a named subschema: properties, dependentSchemas */
	const char *name; /* borrowed from the schema document */
	size_t len;
	struct snode *s;
};

struct spat {
	struct regex *re;
	struct snode *s;
};

struct sreq { /* dependentRequired entry */
	const char *name;
	json_t *list; /* borrowed array of strings */
};

struct snode {
	json_t *json;	  /* borrowed */
	struct sres *res; /* resource this object belongs to */
	char *ptr;	  /* its JSON Pointer in res: location res->uri#ptr */
	int boolean;	  /* -1 for an object; 0/1 for false/true */
	int dialect;	  /* enum schema_dialect */
	unsigned voc;	  /* VOC_* */
	int needs_ann;	  /* has unevaluated* itself */
	int ref_only;	  /* draft-07: $ref present, siblings ignored */

	char *ref_uri;
	struct snode *ref;
	char *dynref_uri;
	struct snode *dynref;
	char *dynref_name; /* dynamic when the target is a $dynamicAnchor */
	int recursive_ref;
	struct snode *recref;

	struct snode **all_of, **any_of, **one_of;
	size_t nall_of, nany_of, none_of;
	struct snode *not_, *if_, *then_, *else_;

	struct skv *props;
	size_t nprops;
	unsigned *prop_hash; /* open addressing: index + 1 into props, 0 free */
	size_t prop_hcap;
	struct spat *pprops;
	size_t npprops;
	struct snode *addl_props, *uneval_props, *prop_names;
	struct skv *dep_schemas;
	size_t ndep_schemas;
	struct sreq *dep_req;
	size_t ndep_req;

	struct snode **prefix;
	size_t nprefix;
	struct snode *items_rest; /* items after the prefix */
	struct snode *contains, *uneval_items;
	long long min_contains, max_contains; /* -1: absent */

	unsigned types; /* 0: no "type" */
	json_t *enum_;	/* borrowed */
	json_t *const_;
	int has_const;
	/* multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum
	 * as exact texts; NULL when none is present */
	struct snums *num;
	struct sconst *enum_c, *const_c;
	/* enum: its strings and numbers in a hash set, the rest listed */
	struct sstr *enum_str;
	size_t enum_nstr, enum_scap;
	uint32_t *enum_other; /* tape indices in enum_c */
	size_t enum_nother;
	/*
	 * The object fast path: only properties (at most 64) and required
	 * names that are all among them.  req_prop[i] is the index in props
	 * of required[i].
	 */
	int fast_obj;
	unsigned char *req_prop;
	size_t nreq;
	unsigned kw; /* KW_*: which groups of keywords are present */
	int leaf;    /* only type, enum, const, number and string keywords */
	/* fast path: the property member i matched last time (a guess) */
	unsigned char prop_guess[SCHEMA_FAST_MEMBERS];
	int (*format_fn)(const char *, size_t); /* NULL: unknown format */
	long long max_length, min_length, max_items, min_items, max_props,
		min_props; /* -1: absent */
	int unique_items;
	json_t *required;
	struct regex *pattern;
	const char *format;
	const char *content_encoding, *content_type; /* draft-07 only */
};

/* The compiled schema. */
struct schema {
	struct schema_opts opts;
	char *root_dir;
	struct sres **res;
	size_t nres, capres;
	json_t **docs;	/* owned document references */
	char **docuris; /* the URI each was loaded from, or NULL */
	size_t ndocs, capdocs;
	struct snode **nodes; /* every node, for freeing */
	size_t nnodes, capnodes;
	/* json_t* -> snode* (open addressing) */
	json_t **mapk;
	struct snode **mapv;
	size_t mapcap, mapn;
	struct snode *root;
	int format_assert;
	/* validation scratch: dynamic scope */
	struct sres **scope;
	size_t nscope, capscope;
	/* validation scratch: schema objects being evaluated, and on what */
	struct snode **eval_node;
	uint32_t *eval_inst;
	size_t neval, capeval;
	struct numtext numtext;
	/* bytes of schema text read, and a rough count of the memory the
	 * compiled nodes take: both bounded (schema_opts.max_size) */
	uint64_t text_used, mem_used;
	/* validation scratch: strings, keys, object member checks */
	struct buf str, dump;
	struct jscan scan; /* for values given as jansson trees */
	/* object key indexes (schema-check.c), used as stacks */
	struct omem *omem;
	size_t omcap, otop;
	uint32_t *oslot;
	size_t ohcap, htop;
};

extern const char *const schema_type_names[7];

/* Hash of a property name (len bytes) for snode.prop_hash. */
static inline size_t
schema_name_hash(const char *s, size_t len)
{
	size_t h = 5381;

	while (len--)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* schema.c: append s[0..n) as a JSON Pointer token (~ as ~0, / as ~1). */
void schema_ptr_add(struct buf *out, const char *s, size_t n);
/* Append s percent-decoded; 1 if that gave a NUL byte, else 0. */
int schema_pct_decode(struct buf *out, const char *s);
/* Append s percent-encoded: every byte but ASCII letters, digits and
 * those in keep. */
void schema_pct_encode(struct buf *out, const char *s, const char *keep);
/* The value at JSON Pointer ptr ("" or "/a/0", percent-decoded already)
 * in j, or NULL. */
json_t *schema_ptr_get(json_t *j, const char *ptr);

/* schema-num.c: multipleOf decided on the texts (the exact comparisons
 * of number texts are json/jnum.h's jnum_dec_*). */
int schema_dec_multiple(const char *x, size_t xlen, const char *m, size_t mlen);
void schema_double_text(double d, char *out, size_t n);
void schema_snum_set(struct snum *, const char *text, size_t len);

/* The exact text of number j (a real or integer of a loaded document). */
void schema_number_text(const struct numtext *, const json_t *j,
			struct buf *out);
/* Compact JSON text of j with exact numbers; -1 if nested too deeply. */
int schema_json_text(const struct numtext *, const json_t *j, struct buf *out);
/* Record the numbers of doc (parsed by jansson from text[0..len)). */
void numtext_collect(struct numtext *, const json_t *doc, const char *text,
		     size_t len);
void numtext_release(struct numtext *);
/* Move every entry of src into dst (src is left empty). */
void numtext_move(struct numtext *dst, struct numtext *src);

/* A value compiled to a tape (enum, const); NULL if it cannot be. */
struct sconst *schema_const_new(const struct numtext *, const json_t *j);
void schema_const_free(struct sconst *);

/* schema-format.c: the check for a format name, NULL if unknown. */
int (*schema_format_fn(const char *name))(const char *, size_t);

/* schema-check.c */
/* Prepare n's fast paths once it is compiled (enum set, object plan). */
void schema_node_plan(struct snode *n);
void schema_node_plan_free(struct snode *n);
/* schema_validate() on a loaded document whose exact numbers are in nt
 * (a schema checked against its meta-schema). */
int schema_validate_doc(struct schema *, json_t *doc, const struct numtext *nt,
			struct schema_errors *out);

#endif
