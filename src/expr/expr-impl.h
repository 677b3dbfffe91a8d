/*
 * expr-impl.h -- internals shared by expr-lex.c, expr-parse.c,
 * expr-eval.c, expr-value.c, expr-func.c and expr-regex.c.  Not for
 * use outside the expr-*.c files.
 */
#ifndef EXPR_IMPL_H
#define EXPR_IMPL_H

#include <jansson.h>
#include <stddef.h>

#include "lib/buf.h"
#include "expr.h"

/* ---- lexer (expr-lex.c) ---------------------------------------------- */

enum tok {
	T_EOF,
	T_ERROR,
	T_DOT,	  /* . */
	T_DOTDOT, /* .. */
	T_FIELD,  /* .name */
	T_IDENT,  /* name */
	T_VAR,	  /* $name */
	T_FORMAT, /* @name */
	T_NUMBER,
	T_QUOTE,   /* opening '"': the parser reads the string itself */
	T_KEYWORD, /* if then elif else end as reduce foreach try catch
		      and or def label import include __loc__ */
	T_LPAREN,
	T_RPAREN,
	T_LBRACKET,
	T_RBRACKET,
	T_LBRACE,
	T_RBRACE,
	T_PIPE,
	T_COMMA,
	T_COLON,
	T_SEMI,
	T_QUESTION,
	T_OP, /* + - * / % == != < <= > >= // = |= += -= *= /= %= //= ?// */
};

struct lexer {
	const char *src;
	size_t len;
	size_t pos; /* next byte to read */
};

struct token {
	enum tok kind;
	size_t pos, len; /* bytes in src */
	double num;
	const char *msg; /* T_ERROR */
};

void lex_init(struct lexer *, const char *src);
void lex_next(struct lexer *, struct token *);
/* Does token t spell s exactly? */
int tok_is(const struct lexer *, const struct token *, const char *s);

/* ---- tree (expr-parse.c) --------------------------------------------- */

enum en_kind {
	EN_IDENTITY,
	EN_RECURSE, /* .. */
	EN_LIT,
	EN_INDEX, /* a[b]; .name is an index with a literal key */
	EN_SLICE, /* a[b:c], b or c may be NULL */
	EN_ITER,  /* a[] */
	EN_TRY,	  /* try a catch b; b NULL for a? and try a */
	EN_PIPE,
	EN_COMMA,
	EN_NEG,
	EN_BINOP, /* op: + - * / % == != < <= > >= */
	EN_AND,
	EN_OR,
	EN_ALT,	    /* a // b */
	EN_IF,	    /* if a then b else c */
	EN_ARRAY,   /* [a], a NULL for [] */
	EN_OBJECT,  /* {keys[i]: vals[i]} */
	EN_STRING,  /* interpolated string: parts, fmt */
	EN_FORMAT,  /* @fmt applied to . */
	EN_VAR,	    /* $slot */
	EN_AS,	    /* a as pat | b */
	EN_REDUCE,  /* reduce a as pat (b; c) */
	EN_FOREACH, /* foreach a as pat (b; c; d) */
	EN_CALL,    /* builtin fn(args) */
	EN_ASSIGN,  /* a OP b, op: = |= += -= *= /= %= //= */
	EN_FCALL,   /* a def'd function's call: ufn, args (its closures),
		       op the static link (frames up to ufn's scope) */
	EN_PARAM,   /* a closure parameter of an enclosing def: op frames
		       up, slot the parameter's index */
	EN_LABEL,   /* label $slot | a */
	EN_BREAK,   /* break $slot */
};

enum {
	OP_ADD = 1,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_MOD,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_ALT,	   /* //= */
	OP_SET,	   /* = */
	OP_UPDATE, /* |= */
};

enum pat_kind { PAT_VAR, PAT_ARRAY, PAT_OBJECT };

struct epat {
	enum pat_kind kind;
	int slot; /* PAT_VAR; PAT_OBJECT entry with $name: also binds */
	int n;
	struct epat **sub;   /* n sub-patterns */
	struct enode **keys; /* PAT_OBJECT: n key expressions */
	int *keyslots;	     /* PAT_OBJECT: slot for {$k: pat}, else -1 */
	/* "P1 ?// P2 ?// ...": the next alternative; on the first, every
	 * variable of them all (each is null unless its pattern binds it) */
	struct epat *alt;
	int *gslots;
	int ngslots;
};

struct expr_builtin;
struct efunc;

struct enode {
	enum en_kind kind;
	int op;
	size_t pos; /* byte offset in the source, for messages */
	struct enode *a, *b, *c, *d;
	json_t *lit;	     /* EN_LIT; EN_STRING literal parts */
	int slot;	     /* EN_VAR */
	int n;		     /* EN_OBJECT pairs, EN_STRING/EN_CALL parts */
	struct enode **args; /* EN_CALL args; EN_STRING parts (NULL =
				literal lits[i]); EN_OBJECT keys */
	struct enode **vals; /* EN_OBJECT values (NULL: .[key]) */
	json_t **lits;	     /* EN_STRING literal parts */
	const char *fmt;     /* EN_STRING/EN_FORMAT: "text", "base64"... */
	struct epat *pat;    /* EN_AS, EN_REDUCE, EN_FOREACH */
	const struct expr_builtin *fn;
	const struct efunc *ufn; /* EN_FCALL */
	/* The root of a builtin's expansion: which one, and its first two
	 * arguments as written (for expr-fast.c to recognize test(re)). */
	const struct expr_macro *macro;
	struct enode *margs[2];
	/* EN_REDUCE: UPDATE may change the accumulator in place (an
	 * append or an assignment with at most one output: expr_own());
	 * EN_FCALL: bit i set if argument i yields at most one output;
	 * EN_PIPE, EN_IF, EN_AS in an expression with def: a (the left
	 * side, the condition, the source) yields at most one output
	 * (ev_single) */
	int own;
	struct enode *next_alloc; /* every node of an expr, for freeing */
};

/*
 * A function written with def.  Its body is compiled once; each call is
 * a frame (struct eframe in expr-eval.c) that holds the call's closure
 * arguments and the variables as they were at the call.
 */
struct efunc {
	const char *name; /* in the source text */
	size_t len;
	int arity;
	struct enode *body;
	/* The body yields at most one output if the closure arguments do:
	 * a call then hands it on once the body has returned, so that
	 * recursion through "+" and the like does not nest every call's
	 * continuation in the one before */
	int single;
};

struct expr {
	struct enode *root;
	struct efunc **funcs; /* every def, for freeing */
	int nfuncs;
	struct enode *nodes; /* allocation list */
	struct epat **pats;
	int npats;
	int nslots;
	json_t **slots;		/* current binding of each variable */
	int uses_input_name;	/* calls input_filename or input_line_number */
	const char *input_name; /* its value for this event; NULL: null */
	int64_t input_line;	/* input_line_number's; -1: null */
	int uses_input_meta;	/* calls input_meta */
	const char *input_meta; /* the event's metadata text; NULL: null */
	size_t input_metalen;
	json_t *meta_value; /* input_meta parsed, for this event; or NULL */
};

/* ---- evaluation (expr-eval.c) ---------------------------------------- */

struct ectx;

/* Output callback: out is borrowed.  0 go on, -1 error, 1 stop. */
typedef int (*ev_fn)(struct ectx *, json_t *out, void *arg);
/* Path output callback: path (array) and value at it, both borrowed. */
typedef int (*evp_fn)(struct ectx *, json_t *path, json_t *val, void *arg);

struct ectx {
	struct expr *x;
	json_t *err;	  /* owned: the error value while -1 travels up */
	int err_down;	  /* the error came from the consumer (eb filled) */
	const void *stop; /* who asked to stop (1 travels up) */
	struct errbuf *eb;
	int depth;
	/* The call of a def'd function being evaluated (NULL at the top
	 * level) and how many calls are nested, against EXPR_MAX_CALLS. */
	struct eframe *frame;
	int calls;
	unsigned long steps; /* work done, against EXPR_MAX_STEPS */
	/*
	 * The value the next node evaluated may change in place: a reduce's
	 * accumulator that nothing else holds, handed to its UPDATE.  The
	 * node takes it (and clears it) on entry, so no sub-expression does.
	 */
	json_t *own;
	/*
	 * Code point positions in the string last sliced (owned): slicing
	 * one long string again and again ($s[$i:$i+1] in a loop, splits)
	 * then costs the distance between the slices, not the string's
	 * length each time.  Released by ectx_release().
	 */
	struct {
		json_t *str;
		size_t ncp;	 /* its length in code points */
		int ascii;	 /* ncp == its length in bytes */
		size_t cp, byte; /* a code point index and its offset */
	} u8;
	/*
	 * In a path expression, the path that stands for a value that came
	 * from no path (path(map(.) | .[0])): compared by address, made on
	 * first use (ev_bad_path()), released by ectx_release().  Indexing
	 * it is jq's "Invalid path expression near attempt to ...", ending
	 * with it "... with result".
	 */
	json_t *bad;
};

/* The context's bad path (see struct ectx). */
json_t *ev_bad_path(struct ectx *);
/* Is path the bad path?  Then an error "Invalid path expression with
 * result V" (-1), else 0. */
int ev_path_check(struct ectx *, json_t *path, json_t *v);
/* v dumped as jq's jv_dump_string_trunc(v, buf, size) leaves it. */
void val_dump_trunc(json_t *v, size_t size, struct buf *out);

/* Release what an evaluation context holds at its end. */
void ectx_release(struct ectx *);

#define EXPR_MAX_DEPTH 4000
/* Calls of def'd functions nested in one another (recursion). */
#define EXPR_MAX_CALLS 1000
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* One evaluation may take this many steps, so no expression hangs. */
#define EXPR_MAX_STEPS 20000000UL
/* The longest string "s" * n may build. */
#define EXPR_MAX_REPEAT 64000000.0
#else
/* Fuzz builds: the same limits, reached sooner, so that one input does
 * not keep the sanitizers busy for seconds (a timeout, not a finding). */
#define EXPR_MAX_STEPS	1000000UL
#define EXPR_MAX_REPEAT 1000000.0
#endif

/* Assigning beyond this array index is an error (no huge null padding). */
#define EXPR_MAX_INDEX 1000000

/* Copying a string counts one step per this many bytes. */
#define EV_COPY_BYTES 16

/*
 * Count a step of work; -1 with an error past EXPR_MAX_STEPS, or once a
 * signal has asked the run to stop (expr_interrupt).
 */
int ev_tick(struct ectx *);
/* Count n steps at once (copying a container of n members). */
int ev_tick_n(struct ectx *, size_t n);

/* Evaluate n on in; each output to fn. */
int ev(struct ectx *, const struct enode *n, json_t *in, ev_fn fn, void *arg);
/* Path-evaluate n: in is the value at path (root is not needed). */
int evp(struct ectx *, const struct enode *n, json_t *path, json_t *in,
	evp_fn fn, void *arg);
/* Set an error (a string message), returns -1. */
int ev_error(struct ectx *, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Set an error value (stolen), returns -1. */
int ev_error_value(struct ectx *, json_t *v);
/* Collect all outputs of n on in into a new array, NULL on error. */
json_t *ev_collect(struct ectx *, const struct enode *n, json_t *in);
typedef int (*cfunc_fn)(struct ectx *, json_t *in, json_t **args, json_t **out);

/* Value helpers (expr-value.c). */
int val_truthy(json_t *);
int val_is_number(json_t *);
double val_num(json_t *); /* NaN and infinities too (val_number) */
/* Is v the value that stands for NaN? */
int val_is_nan(json_t *);
json_t *val_number(double);	/* integral values stay json_integer */
const char *val_kind(json_t *); /* "null", "boolean", "number", ... */
/* jq's order of types: 0 null, 1 false, 2 true, 3 number, 4 string,
 * 5 array, 6 object. */
int val_type_rank(json_type);
int val_cmp(json_t *, json_t *);
int val_equal(json_t *, json_t *);
/* The most bytes a value prints to (longer: cut, or an error). */
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define VAL_DUMP_MAX ((size_t)64 << 20)
#else
#define VAL_DUMP_MAX ((size_t)1 << 20)
#endif
/* Print as jq -c does; a value over VAL_DUMP_MAX is cut there. */
void val_dump(json_t *, struct buf *);
/* The same up to max bytes: -1 if it was cut (out then holds a bit more
 * than max bytes, not JSON). */
int val_dump_max(json_t *, struct buf *, size_t max);
/* A string's bytes as jq prints them, quotes and escapes included. */
void val_dump_string(const char *s, size_t len, struct buf *out);
/* "number (1)" style text for messages: kind and truncated dump */
void val_describe(json_t *, char *out, size_t outsz);
/* tostring: strings as is, else the dump; new reference */
json_t *val_tostring(json_t *);
int val_binop(struct ectx *, int op, json_t *a, json_t *b, json_t **out);
/* Index a with k (jq .[k]); new reference in *out; -1 with error. */
int val_index(struct ectx *, json_t *a, json_t *k, json_t **out);
int val_slice(struct ectx *, json_t *a, json_t *from, json_t *to, json_t **out);
/* jq's [s:e] over len items (NaN, negative and out-of-range bounds as jq
 * takes them; a fractional end rounds up): items *ps up to *pe. */
void val_slice_range(size_t len, double s, double e, size_t *ps, size_t *pe);
/* getpath/setpath/delpaths helpers; all return new references. */
int val_getpath(struct ectx *, json_t *v, json_t *path, json_t **out);
int val_setpath(struct ectx *, json_t *v, json_t *path, size_t i, json_t *nv,
		json_t **out);
/*
 * The same on a value v that only the caller holds (refcount 1): v and
 * the containers on the path that nothing else holds are changed in
 * place, the others copied.  *out is v (a new reference) or a copy.
 */
int val_setpath_own(struct ectx *, json_t *v, json_t *path, json_t *nv,
		    json_t **out);
/*
 * a + b done in place when a is an array or object that only the caller
 * holds (refcount 1) and b one of the same kind: 1 done (a changed), 0
 * not possible (nothing changed), -1 an error (the step limit).
 */
int val_add_own(struct ectx *, json_t *a, json_t *b);
/* What building v counts: its members, or its bytes / EV_COPY_BYTES. */
size_t val_copy_steps(json_t *v);
/* The value at path in v if it and every container on the way are held
 * by their parent alone (borrowed), else NULL. */
json_t *val_owned_at(json_t *v, json_t *path);
int val_delpaths(struct ectx *, json_t *v, json_t *paths, json_t **out);
/* Number of code points in a UTF-8 string. */
size_t utf8_count(const char *, size_t);
/* Byte offset of code point index cp (clamped). */
size_t utf8_offset(const char *, size_t, size_t cp);
/* The same for a string value, through the context's cache. */
size_t val_cp_length(struct ectx *, json_t *s);
json_t *val_string(const char *, size_t);
/* Sort an array (new reference) by jq order. */
json_t *val_sorted(json_t *arr);

/* ---- builtins (expr-func.c) ------------------------------------------ */

typedef int (*builtin_fn)(struct ectx *, const struct enode *call, json_t *in,
			  ev_fn fn, void *arg);
typedef int (*builtin_pfn)(struct ectx *, const struct enode *call,
			   json_t *path, json_t *in, evp_fn fn, void *arg);

struct expr_builtin {
	const char *name;
	int arity;
	builtin_fn fn;
	builtin_pfn pfn; /* path expression form, or NULL */
	cfunc_fn cfn;	 /* simple form: args are values (cartesian) */
};

const struct expr_builtin *builtin_find(const char *name, size_t len,
					int arity);

/*
 * For a name that is not defined: "; did you mean 'X'?" (the closest
 * builtins, or the one that does what a name from another language
 * does: tolower, size, ...), or "" into out.
 */
void builtin_suggest(const char *name, size_t len, char *out, size_t n);

/*
 * Builtins written in the language itself (most of jq 1.6's builtin.jq),
 * expanded inline at compile time: params is "f;$x" (closure f, value
 * $x), body an expression using them.
 */
struct expr_macro {
	const char *name;
	int arity;
	const char *params;
	const char *body;
};

const struct expr_macro *builtin_macro(const char *name, size_t len, int arity);
/* Apply @fmt to v; new reference, NULL with an error. */
json_t *builtin_format(struct ectx *, const char *fmt, json_t *v);

/* ---- regular expressions (expr-regex.c) ------------------------------ */

/*
 * jq's _match_impl: match re (with flags, a string or null) against s;
 * test: 1 stores true/false in *out, else an array of match objects.
 */
int regex_match(struct ectx *, json_t *s, json_t *re, json_t *flags, int test,
		json_t **out);
/*
 * sub(re; s; flags) as jq 1.7 defines it, for sub/2, sub/3, gsub/2 and
 * gsub/3: a generator (call->args: re, s and flags).
 */
int regex_sub(struct ectx *, const struct enode *call, json_t *in, ev_fn fn,
	      void *arg);

/*
 * What test(re; flags) does, compiled once for expr-fast.c: NULL if the
 * flags or the pattern are not valid (the full evaluator then reports
 * it).  regex_test_run(): 1 match, 0 none, -1 a match error (limits).
 */
/*
 * A regex written as a literal string (and its flags, NULL for none):
 * compiled when the expression is, so a bad one is an error of the
 * command line.  0, or -1 with jq's message in eb and, for the regex,
 * the byte offset of the error in *off.
 */
int regex_check_literal(const char *re, size_t len, const char *flags,
			size_t flen, size_t *off, struct errbuf *eb);

struct regex_test;
struct regex_test *regex_test_new(const char *re, size_t len, const char *flags,
				  size_t flen);
int regex_test_run(struct regex_test *t, const char *s, size_t len);
void regex_test_free(struct regex_test *t);

#endif
