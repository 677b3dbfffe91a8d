/*
 * expr-parse.c -- recursive-descent parser from source text to the tree
 * in expr-impl.h: one function per level for "|", ",", "//" and the
 * assignments, precedence climbing (parse_climb, over a table) for the
 * binary operators from "or" to "* / %".
 *
 * Precedence, loosest first, as in jq 1.6's grammar: "|" (right), ","
 * (left), "//" (right), "= |= += -= *= /= %= //=" (non-associative),
 * "or", "and", comparisons (non-associative), "+ -", "* / %", unary "-"
 * and "try", then postfix terms (".a", "[i]", "[a:b]", "[]", "?").
 * "TERM as PATTERNS | BODY" extends as far right as possible.
 * Variables are resolved here to slots; builtins to their table entry.
 *
 * Definitions (def) go into the expression's function table (x->funcs):
 * a call of one is an EN_FCALL node whose arguments are its closures,
 * a use of a closure parameter an EN_PARAM node, both with the number
 * of enclosing defs between the use and the definition, so that the
 * evaluator finds the right frame (expr-eval.c, "def'd functions").
 * Builtins written in jq (macros) are still expanded inline; a macro's
 * body sees no def, so a user's "def map(f)" does not change other
 * builtins.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jnum.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/util.h"
#include "expr-impl.h"
#include "lib/xmalloc.h"

#define PARSE_MAX_DEPTH 200

struct scope_var {
	const char *name;
	size_t len;
	int slot;
	int label; /* "label $name": only break sees it */
};

struct closure {
	const char *name;
	size_t len;
	struct enode *node;
};

/*
 * A name a call may resolve to in user code: a def'd function, or a
 * closure parameter of an enclosing def (arity -1).  depth: how many
 * defs enclose the definition (a function) or the body (a parameter).
 */
struct scope_fn {
	const char *name;
	size_t len;
	int arity;
	int depth;
	int index;		/* a parameter's position */
	const struct efunc *fn; /* a function */
};

struct parser {
	struct lexer lx;
	struct scope_fn *fns; /* defs and parameters in scope, innermost last */
	int nfns, capfns;
	int fns_base;	    /* names below are not visible (macro bodies) */
	int fdepth;	    /* defs enclosing the text being parsed */
	int pat_base;	    /* variables from here are the pattern group's */
	struct closure *cl; /* closure parameters of the macro being parsed */
	int ncl;
	int scope_base; /* variables below are not visible (macros) */
	struct token tok;
	struct expr *x;
	json_t *named;
	int failed;
	size_t errpos;
	char errmsg[200];
	struct scope_var *scope;
	int nscope, capscope;
	int depth;
};

/* Some expression of this process calls input_meta (the sources then
 * build the metadata of their messages). */
static int input_meta_used;

static struct enode *parse_pipe(struct parser *);
static void parse_def(struct parser *);
static struct enode *parse_postfix(struct parser *, int allow_as);
static struct enode *parse_alt(struct parser *);
static struct enode *fold_negative(struct parser *, struct enode *);

static void parse_fail(struct parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
parse_fail(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	p->errpos = pos;
	va_start(ap, fmt);
	vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
	va_end(ap);
}

static void
parse_advance(struct parser *p)
{
	lex_next(&p->lx, &p->tok);
	if (p->tok.kind == T_ERROR)
		parse_fail(p, p->tok.pos, "%s", p->tok.msg);
}

static int
parse_is_kw(struct parser *p, const char *kw)
{
	return p->tok.kind == T_KEYWORD && tok_is(&p->lx, &p->tok, kw);
}

static int
parse_is_op(struct parser *p, const char *op)
{
	return p->tok.kind == T_OP && tok_is(&p->lx, &p->tok, op);
}

static const char *
parse_tokdesc(struct parser *p, char *buf, size_t sz)
{
	if (p->tok.kind == T_EOF)
		return "end of expression";
	if (p->tok.kind == T_QUOTE)
		return "string";
	snprintf(buf, sz, "'%.*s'", (int)(p->tok.len > 20 ? 20 : p->tok.len),
		 p->lx.src + p->tok.pos);
	return buf;
}

static void
parse_unexpected(struct parser *p, const char *wanted)
{
	char b[40];

	if (wanted)
		parse_fail(p, p->tok.pos, "syntax error: expected %s, found %s",
			   wanted, parse_tokdesc(p, b, sizeof(b)));
	else
		parse_fail(p, p->tok.pos, "syntax error: unexpected %s",
			   parse_tokdesc(p, b, sizeof(b)));
}

static int
parse_expect(struct parser *p, enum tok kind, const char *what)
{
	if (p->failed)
		return -1;
	if (p->tok.kind != kind) {
		parse_unexpected(p, what);
		return -1;
	}
	parse_advance(p);
	return 0;
}

static struct enode *
node_new(struct parser *p, enum en_kind kind, size_t pos)
{
	struct enode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->pos = pos;
	n->slot = -1;
	n->next_alloc = p->x->nodes;
	p->x->nodes = n;
	return n;
}

static struct enode *
node_lit(struct parser *p, json_t *v, size_t pos)
{
	struct enode *n = node_new(p, EN_LIT, pos);

	n->lit = v;
	return n;
}

static struct enode *
node_bin(struct parser *p, enum en_kind kind, int op, struct enode *a,
	 struct enode *b, size_t pos)
{
	struct enode *n;

	if (!a || !b)
		return NULL;
	n = node_new(p, kind, pos);
	n->op = op;
	n->a = a;
	n->b = b;
	return n;
}

/* ---- variables --------------------------------------------------------- */

static int
scope_push(struct parser *p, const char *name, size_t len)
{
	if (p->nscope == p->capscope) {
		p->capscope = p->capscope ? 2 * p->capscope : 16;
		p->scope =
			xreallocarray(p->scope, p->capscope, sizeof(*p->scope));
	}
	p->scope[p->nscope].name = name;
	p->scope[p->nscope].len = len;
	p->scope[p->nscope].label = 0;
	p->scope[p->nscope].slot = p->x->nslots++;
	return p->scope[p->nscope++].slot;
}

static struct enode *
parse_var_ref(struct parser *p)
{
	const char *name = p->lx.src + p->tok.pos + 1;
	size_t len = p->tok.len - 1, pos = p->tok.pos;
	struct enode *n;
	json_t *v;
	int i;

	for (i = p->nscope - 1; i >= p->scope_base; i--)
		if (p->scope[i].len == len && !p->scope[i].label &&
		    memcmp(p->scope[i].name, name, len) == 0) {
			n = node_new(p, EN_VAR, pos);
			n->slot = p->scope[i].slot;
			parse_advance(p);
			return n;
		}
	if (len == 7 && memcmp(name, "__loc__", 7) == 0) {
		size_t line = 1, k;

		for (k = 0; k < pos; k++)
			line += p->lx.src[k] == '\n';
		parse_advance(p);
		return node_lit(p,
				json_pack("{s:s,s:I}", "file", "<top-level>",
					  "line", (json_int_t)line),
				pos);
	}
	if (len == 3 && memcmp(name, "ENV", 3) == 0) {
		extern char **environ;
		json_t *env = json_object();
		char **e;

		for (e = environ; e && *e; e++) {
			const char *eq = strchr(*e, '=');

			if (eq)
				json_object_setn_new_nocheck(
					env, *e, eq - *e,
					val_string(eq + 1, strlen(eq + 1)));
		}
		parse_advance(p);
		return node_lit(p, env, pos);
	}
	if (len == 4 && memcmp(name, "ARGS", 4) == 0) {
		/* jq's $ARGS: the --arg and --argjson values by name; evpipe
		 * has no positional arguments (no --args) */
		json_t *named = p->named && json_is_object(p->named)
					? json_copy(p->named)
					: json_object();

		parse_advance(p);
		return node_lit(
			p,
			json_pack("{s:[],s:o}", "positional", "named", named),
			pos);
	}
	if (p->named && json_is_object(p->named)) {
		char key[256];

		if (len < sizeof(key)) {
			memcpy(key, name, len);
			key[len] = 0;
			v = json_object_get(p->named, key);
			if (v) {
				parse_advance(p);
				return node_lit(p, json_incref(v), pos);
			}
		}
	}
	if (len == 11 && memcmp(name, "__prog_args", 11) == 0) {
		/* jq's command line's, which evpipe does not have */
		parse_fail(p, pos, "$__prog_args is not supported by evpipe");
		return NULL;
	}
	parse_fail(p, pos, "$%.*s is not defined", (int)(len > 40 ? 40 : len),
		   name);
	return NULL;
}

/* ---- strings ----------------------------------------------------------- */

static int
parse_hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int d = hex_value((unsigned char)s[i]);

		if (d < 0)
			return -1;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

/*
 * The current token is T_QUOTE.  Read the string up to its closing quote,
 * parsing "\(...)" interpolations, and leave the token after it.  fmt is
 * the format applied to interpolated values ("text" when none).
 */
static struct enode *
parse_string(struct parser *p, const char *fmt)
{
	struct enode *n = node_new(p, EN_STRING, p->tok.pos);
	struct buf lit = BUF_INIT;
	const char *s = p->lx.src;
	size_t i = p->lx.pos, len = p->lx.len;
	int cap = 0;

	n->fmt = fmt;
	for (;;) {
		if (i >= len) {
			parse_fail(p, n->pos, "unterminated string");
			break;
		}
		if (s[i] == '"') {
			i++;
			break;
		}
		if (s[i] != '\\') {
			buf_addc(&lit, s[i++]);
			continue;
		}
		if (i + 1 >= len) {
			parse_fail(p, i, "unterminated string");
			break;
		}
		switch (s[i + 1]) {
		case '"':
		case '\\':
		case '/':
			buf_addc(&lit, s[i + 1]);
			i += 2;
			continue;
		case 'b':
			buf_addc(&lit, '\b');
			i += 2;
			continue;
		case 'f':
			buf_addc(&lit, '\f');
			i += 2;
			continue;
		case 'n':
			buf_addc(&lit, '\n');
			i += 2;
			continue;
		case 'r':
			buf_addc(&lit, '\r');
			i += 2;
			continue;
		case 't':
			buf_addc(&lit, '\t');
			i += 2;
			continue;
		case 'u': {
			unsigned cp, lo;

			if (i + 6 > len || parse_hex4(s + i + 2, &cp) < 0) {
				parse_fail(p, i, "invalid \\u escape");
				goto out;
			}
			i += 6;
			if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= len &&
			    s[i] == '\\' && s[i + 1] == 'u' &&
			    parse_hex4(s + i + 2, &lo) == 0 && lo >= 0xDC00 &&
			    lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
				i += 6;
			} else if (cp >= 0xD800 && cp < 0xE000) {
				cp = 0xFFFD;
			}
			buf_add_utf8(&lit, cp);
			continue;
		}
		case '(': {
			struct enode *e;

			if (n->n == cap) {
				cap = cap ? 2 * cap : 4;
				n->args = xreallocarray(n->args, cap,
							sizeof(*n->args));
				n->lits = xreallocarray(n->lits, cap,
							sizeof(*n->lits));
			}
			n->lits[n->n] = val_string(lit.data, lit.len);
			buf_reset(&lit);
			p->lx.pos = i + 2;
			parse_advance(p);
			e = parse_pipe(p);
			n->args[n->n++] = e;
			if (p->failed)
				goto out;
			if (p->tok.kind != T_RPAREN) {
				parse_unexpected(p, "')' closing \\(");
				goto out;
			}
			i = p->lx.pos;
			continue;
		}
		default:
			parse_fail(p, i, "invalid escape \\%c in string",
				   s[i + 1]);
			goto out;
		}
	}
out:
	n->c = node_lit(p, val_string(lit.data, lit.len), n->pos);
	buf_release(&lit);
	p->lx.pos = i;
	if (!p->failed)
		parse_advance(p);
	if (p->failed)
		return NULL;
	/* A plain string without interpolation is a literal. */
	if (n->n == 0)
		return node_lit(p, json_incref(n->c->lit), n->pos);
	return n;
}

static const char *
parse_format_name(struct parser *p)
{
	static const char *const names[] = {
		"text", "json",	  "html",    "uri",    "csv",	  "tsv",
		"sh",	"base64", "base64d", "base32", "base32d", NULL,
	};
	int i;

	for (i = 0; names[i]; i++)
		if (p->tok.len - 1 == strlen(names[i]) &&
		    memcmp(p->lx.src + p->tok.pos + 1, names[i],
			   p->tok.len - 1) == 0)
			return names[i];
	parse_fail(p, p->tok.pos, "unknown format %.*s",
		   (int)(p->tok.len > 40 ? 40 : p->tok.len),
		   p->lx.src + p->tok.pos);
	return NULL;
}

/* ---- patterns ---------------------------------------------------------- */

static struct epat *parse_pattern(struct parser *);

/*
 * The slot of $name in the patterns being parsed: one name is one
 * variable in all the alternatives of "P1 ?// P2" (and twice in one
 * pattern, the later binding is the one seen, as in jq).
 */
static int
pat_var(struct parser *p, const char *name, size_t len)
{
	int i;

	for (i = p->pat_base; i < p->nscope; i++)
		if (p->scope[i].len == len && !p->scope[i].label &&
		    memcmp(p->scope[i].name, name, len) == 0)
			return p->scope[i].slot;
	return scope_push(p, name, len);
}

static struct epat *
pat_new(struct parser *p, enum pat_kind kind)
{
	struct epat *pt = xcalloc(1, sizeof(*pt));

	pt->kind = kind;
	pt->slot = -1;
	p->x->pats =
		xreallocarray(p->x->pats, p->x->npats + 1, sizeof(*p->x->pats));
	p->x->pats[p->x->npats++] = pt;
	return pt;
}

static void
pat_add(struct epat *pt, struct epat *sub, struct enode *key, int keyslot)
{
	pt->sub = xreallocarray(pt->sub, pt->n + 1, sizeof(*pt->sub));
	pt->keys = xreallocarray(pt->keys, pt->n + 1, sizeof(*pt->keys));
	pt->keyslots =
		xreallocarray(pt->keyslots, pt->n + 1, sizeof(*pt->keyslots));
	pt->sub[pt->n] = sub;
	pt->keys[pt->n] = key;
	pt->keyslots[pt->n] = keyslot;
	pt->n++;
}

static struct epat *
parse_pattern(struct parser *p)
{
	struct epat *pt;

	if (p->failed)
		return NULL;
	if (++p->depth > PARSE_MAX_DEPTH) {
		parse_fail(p, p->tok.pos, "expression nested too deeply");
		return NULL;
	}
	if (p->tok.kind == T_VAR) {
		pt = pat_new(p, PAT_VAR);
		pt->slot =
			pat_var(p, p->lx.src + p->tok.pos + 1, p->tok.len - 1);
		parse_advance(p);
	} else if (p->tok.kind == T_LBRACKET) {
		pt = pat_new(p, PAT_ARRAY);
		parse_advance(p);
		do {
			if (pt->n)
				parse_advance(p);
			pat_add(pt, parse_pattern(p), NULL, -1);
		} while (!p->failed && p->tok.kind == T_COMMA);
		parse_expect(p, T_RBRACKET, "']' closing an array pattern");
	} else if (p->tok.kind == T_LBRACE) {
		pt = pat_new(p, PAT_OBJECT);
		parse_advance(p);
		do {
			struct enode *key = NULL;
			struct epat *sub = NULL;
			int keyslot = -1;
			size_t kpos = p->tok.pos;

			if (pt->n)
				parse_advance(p);
			kpos = p->tok.pos;
			if (p->tok.kind == T_VAR) {
				key = node_lit(p,
					       val_string(p->lx.src + kpos + 1,
							  p->tok.len - 1),
					       kpos);
				keyslot = pat_var(p, p->lx.src + kpos + 1,
						  p->tok.len - 1);
				parse_advance(p);
				if (p->tok.kind == T_COLON) {
					parse_advance(p);
					sub = parse_pattern(p);
				}
			} else {
				if (p->tok.kind == T_IDENT ||
				    p->tok.kind == T_KEYWORD) {
					key = node_lit(
						p,
						val_string(p->lx.src + kpos,
							   p->tok.len),
						kpos);
					parse_advance(p);
				} else if (p->tok.kind == T_QUOTE) {
					key = parse_string(p, "text");
				} else if (p->tok.kind == T_LPAREN) {
					parse_advance(p);
					key = parse_pipe(p);
					parse_expect(p, T_RPAREN, "')'");
				} else {
					parse_unexpected(p, "an object pattern "
							    "key");
					break;
				}
				if (parse_expect(p, T_COLON, "':'") < 0)
					break;
				sub = parse_pattern(p);
			}
			pat_add(pt, sub, key, keyslot);
		} while (!p->failed && p->tok.kind == T_COMMA);
		parse_expect(p, T_RBRACE, "'}' closing an object pattern");
	} else {
		parse_unexpected(p, "a pattern ($name, [...] or {...})");
		pt = NULL;
	}
	p->depth--;
	return p->failed ? NULL : pt;
}

/*
 * Parse "PATTERN" or "PATTERN ?// PATTERN ..." after "as"; pushes their
 * variables (caller pops).
 */
static struct epat *
parse_as_pattern(struct parser *p)
{
	struct epat *pt, *last;
	int save_base = p->pat_base, i;

	p->pat_base = p->nscope;
	pt = last = parse_pattern(p);
	while (!p->failed && parse_is_op(p, "?//")) {
		parse_advance(p);
		last->alt = parse_pattern(p);
		last = last->alt;
	}
	if (!p->failed && pt->alt) {
		pt->ngslots = p->nscope - p->pat_base;
		pt->gslots =
			xreallocarray(NULL, pt->ngslots, sizeof(*pt->gslots));
		for (i = 0; i < pt->ngslots; i++)
			pt->gslots[i] = p->scope[p->pat_base + i].slot;
	}
	p->pat_base = save_base;
	return p->failed ? NULL : pt;
}

/* ---- terms ------------------------------------------------------------- */

static const char *const parse_unsupported[] = {
	"input",
	"inputs",
	"halt",
	"halt_error",
	"modulemeta",
	"get_search_list",
	"get_jq_origin",
	"get_prog_origin",
	"tostream/1",
	"fromstream/0",
	"truncate_stream/0",
	NULL,
};

/*
 * Expand a macro: parse its body with only its parameters in scope.  A
 * value parameter $x becomes "ARG as $x | BODY" (first parameter
 * outermost, as jq binds them); closure parameters are the argument trees
 * themselves, evaluated where the body uses them.
 */
static struct enode *
parse_macro(struct parser *p, const struct expr_macro *m, struct enode **args,
	    size_t pos)
{
	struct lexer save_lx = p->lx;
	struct token save_tok = p->tok;
	struct closure *save_cl = p->cl, cl[8];
	int save_ncl = p->ncl, save_base = p->scope_base,
	    save_nscope = p->nscope, save_fns = p->fns_base, slots[8], i;
	const char *s = m->params;
	struct enode *body;

	p->cl = cl;
	p->ncl = 0;
	p->scope_base = p->nscope;
	p->fns_base = p->nfns; /* a builtin's body sees no def */
	for (i = 0; i < m->arity; i++) {
		size_t len = strcspn(s, ";");
		int is_val = s[0] == '$';

		cl[i].name = s + is_val;
		cl[i].len = len - is_val;
		cl[i].node = args[i];
		p->ncl++;
		slots[i] = is_val ? scope_push(p, s + 1, len - 1) : -1;
		s += len + (s[len] == ';');
	}
	lex_init(&p->lx, m->body);
	parse_advance(p);
	body = parse_pipe(p);
	if (!p->failed && p->tok.kind != T_EOF)
		parse_unexpected(p, NULL);
	if (p->failed) {
		/* an error inside a macro body is ours: report the call */
		p->errpos = pos;
	}
	for (i = m->arity - 1; body && i >= 0; i--) {
		if (slots[i] >= 0) {
			struct enode *as = node_new(p, EN_AS, pos);
			struct epat *pt = pat_new(p, PAT_VAR);

			pt->slot = slots[i];
			as->a = args[i];
			as->pat = pt;
			as->b = body;
			body = as;
		}
	}
	p->lx = save_lx;
	p->tok = save_tok;
	p->cl = save_cl;
	p->ncl = save_ncl;
	p->scope_base = save_base;
	p->fns_base = save_fns;
	p->nscope = save_nscope;
	return p->failed ? NULL : body;
}

/*
 * A regex function whose pattern (and flags) are literal strings: the
 * pattern is compiled now, so "test(\"(\")" is an error of the command
 * line with a caret under the pattern, not a reject of every event.
 * 0, or -1 (p failed).
 */
static int
parse_check_regex(struct parser *p, const char *name, size_t len,
		  struct enode **args, int nargs)
{
	static const char *const fns[] = { "test", "match", "capture",
					   "scan", "split", "splits",
					   "sub",  "gsub",  NULL };
	const struct enode *re, *fl = NULL;
	struct errbuf eb = { 0 };
	size_t i, off;

	for (i = 0; fns[i]; i++)
		if (strlen(fns[i]) == len && memcmp(fns[i], name, len) == 0)
			break;
	if (fns[i] == NULL || nargs == 0 ||
	    (len == 5 && memcmp(name, "split", 5) == 0 && nargs != 2))
		return 0; /* split/1 splits at a string, not a regex */
	re = args[0];
	if ((name[0] == 's' && name[1] == 'u') || name[0] == 'g')
		fl = nargs == 3 ? args[2] : NULL; /* sub, gsub: (re; s; f) */
	else
		fl = nargs == 2 ? args[1] : NULL;
	if (re->kind != EN_LIT || !json_is_string(re->lit))
		return 0;
	if (fl && !(fl->kind == EN_LIT &&
		    (json_is_string(fl->lit) || json_is_null(fl->lit))))
		return 0; /* flags computed per event */
	if (regex_check_literal(
		    json_string_value(re->lit), json_string_length(re->lit),
		    fl && json_is_string(fl->lit) ? json_string_value(fl->lit)
						  : NULL,
		    fl && json_is_string(fl->lit) ? json_string_length(fl->lit)
						  : 0,
		    &off, &eb) == -1) {
		parse_fail(p,
			   fl && json_is_string(fl->lit) && off == 0 ? fl->pos
								     : re->pos,
			   "%s", eb.msg);
		return -1;
	}
	return 0;
}

/*
 * A call of a def'd function or a closure parameter in scope (the
 * innermost of that name and arity), or NULL.
 */
static struct enode *
parse_user_call(struct parser *p, const char *name, size_t len,
		struct enode **args, int nargs, size_t pos)
{
	struct enode *n;
	int i;

	for (i = p->nfns - 1; i >= p->fns_base; i--) {
		const struct scope_fn *f = &p->fns[i];

		if (f->len != len || memcmp(f->name, name, len) != 0 ||
		    f->arity != (f->fn ? nargs : -1) || (!f->fn && nargs))
			continue;
		if (!f->fn) {
			n = node_new(p, EN_PARAM, pos);
			n->op = p->fdepth - f->depth;
			n->slot = f->index;
			return n;
		}
		n = node_new(p, EN_FCALL, pos);
		n->ufn = f->fn;
		n->op = p->fdepth - f->depth;
		n->n = nargs;
		if (nargs) {
			n->args = xreallocarray(NULL, nargs, sizeof(*n->args));
			memcpy(n->args, args, nargs * sizeof(*args));
		}
		return n;
	}
	return NULL;
}

static void
fns_push(struct parser *p, const char *name, size_t len, int arity, int index,
	 const struct efunc *fn)
{
	if (p->nfns == p->capfns) {
		p->capfns = p->capfns ? 2 * p->capfns : 16;
		p->fns = xreallocarray(p->fns, p->capfns, sizeof(*p->fns));
	}
	p->fns[p->nfns].name = name;
	p->fns[p->nfns].len = len;
	p->fns[p->nfns].arity = arity;
	p->fns[p->nfns].depth = p->fdepth;
	p->fns[p->nfns].index = index;
	p->fns[p->nfns].fn = fn;
	p->nfns++;
}

/*
 * "def NAME: BODY;" or "def NAME(P; $Q): BODY;", leaving the function
 * in scope for what follows (parse_pipe, which takes the definitions at
 * its start in a loop, so that a long list of them does not nest).
 * The function is visible in its own body (recursion) and in the rest of
 * the expression the definition starts (as far right as it goes, as in
 * jq); its parameters only in its body.  A value parameter $q is
 * "q as $q | BODY", first parameter outermost, as jq binds it.
 */
static void
parse_def(struct parser *p)
{
	size_t pos = p->tok.pos;
	struct efunc *f;
	struct enode *body;
	int save_fns = p->nfns, save_nscope = p->nscope, nparams = 0, i;
	int vals[16]; /* a value parameter's slot, else -1 */

	parse_advance(p);
	if (p->tok.kind != T_IDENT) {
		parse_unexpected(p, "a function name after 'def'");
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->name = p->lx.src + p->tok.pos;
	f->len = p->tok.len;
	p->x->funcs = xreallocarray(p->x->funcs, p->x->nfuncs + 1,
				    sizeof(*p->x->funcs));
	p->x->funcs[p->x->nfuncs++] = f;
	parse_advance(p);
	if (p->tok.kind == T_LPAREN) {
		do {
			parse_advance(p);
			if (p->tok.kind != T_IDENT && p->tok.kind != T_VAR) {
				parse_unexpected(p, "a parameter name");
				return;
			}
			if (nparams == (int)NELEM(vals)) {
				parse_fail(p, p->tok.pos,
					   "too many parameters");
				return;
			}
			vals[nparams] = -1;
			fns_push(p,
				 p->lx.src + p->tok.pos +
					 (p->tok.kind == T_VAR),
				 p->tok.len - (p->tok.kind == T_VAR), -1,
				 nparams, NULL);
			p->fns[p->nfns - 1].depth = p->fdepth + 1;
			if (p->tok.kind == T_VAR)
				vals[nparams] = scope_push(
					p, p->lx.src + p->tok.pos + 1,
					p->tok.len - 1);
			nparams++;
			parse_advance(p);
		} while (!p->failed && p->tok.kind == T_SEMI);
		if (parse_expect(p, T_RPAREN, "')' after the parameters") < 0)
			return;
	}
	f->arity = nparams;
	if (parse_expect(p, T_COLON, "':' after the function's name") < 0)
		return;
	/* visible in its own body, for recursion */
	fns_push(p, f->name, f->len, nparams, 0, f);
	p->fdepth++;
	body = parse_pipe(p);
	p->fdepth--;
	if (parse_expect(p, T_SEMI, "';' ending the definition") < 0)
		return;
	for (i = nparams - 1; i >= 0; i--) {
		if (vals[i] >= 0) {
			struct enode *as = node_new(p, EN_AS, pos);
			struct epat *pt = pat_new(p, PAT_VAR);

			as->a = node_new(p, EN_PARAM, pos);
			as->a->op = 0;
			as->a->slot = i;
			pt->slot = vals[i];
			as->pat = pt;
			as->b = body;
			body = as;
		}
	}
	f->body = body;
	/* the rest sees the function, not its parameters */
	p->nfns = save_fns;
	p->nscope = save_nscope;
	fns_push(p, f->name, f->len, nparams, 0, f);
}

/*
 * "label $name | BODY": BODY, stopped by "break $name" inside it (its
 * outputs so far stand).  The label is a variable slot that only break
 * sees, bound at run time to a value made for each evaluation, so a
 * break reaches its own label even through def'd calls and recursion.
 */
static struct enode *
parse_label(struct parser *p)
{
	struct enode *n = node_new(p, EN_LABEL, p->tok.pos);
	int saved = p->nscope;

	parse_advance(p);
	if (p->tok.kind != T_VAR) {
		parse_unexpected(p, "$name after 'label'");
		return NULL;
	}
	n->slot = scope_push(p, p->lx.src + p->tok.pos + 1, p->tok.len - 1);
	p->scope[p->nscope - 1].label = 1;
	parse_advance(p);
	if (parse_expect(p, T_PIPE, "'|' after the label") < 0)
		return NULL;
	n->a = parse_pipe(p);
	p->nscope = saved;
	return p->failed ? NULL : n;
}

/* "break $name", the current token the $name */
static struct enode *
parse_break(struct parser *p, size_t pos)
{
	const char *name = p->lx.src + p->tok.pos + 1;
	size_t len = p->tok.len - 1;
	struct enode *n;
	int i;

	for (i = p->nscope - 1; i >= p->scope_base; i--)
		if (p->scope[i].label && p->scope[i].len == len &&
		    memcmp(p->scope[i].name, name, len) == 0) {
			n = node_new(p, EN_BREAK, pos);
			n->slot = p->scope[i].slot;
			parse_advance(p);
			return n;
		}
	parse_fail(p, p->tok.pos, "break $%.*s: no label $%.*s around it",
		   (int)(len > 40 ? 40 : len), name, (int)(len > 40 ? 40 : len),
		   name);
	return NULL;
}

static struct enode *
parse_call(struct parser *p)
{
	const char *name = p->lx.src + p->tok.pos;
	size_t len = p->tok.len, pos = p->tok.pos;
	struct enode *args[16], *n;
	const struct expr_builtin *fn;
	int nargs = 0, i;
	char hint[160];

	parse_advance(p);
	if (len == 4 && memcmp(name, "true", 4) == 0)
		return node_lit(p, json_true(), pos);
	if (len == 5 && memcmp(name, "false", 5) == 0)
		return node_lit(p, json_false(), pos);
	if (len == 4 && memcmp(name, "null", 4) == 0)
		return node_lit(p, json_null(), pos);
	if (len == 5 && memcmp(name, "break", 5) == 0 && p->tok.kind == T_VAR)
		return parse_break(p, pos);
	if (p->tok.kind == T_LPAREN) {
		parse_advance(p);
		for (;;) {
			struct enode *a = parse_pipe(p);

			if (p->failed)
				return NULL;
			if (nargs == (int)NELEM(args)) {
				parse_fail(p, pos, "too many arguments");
				return NULL;
			}
			args[nargs++] = a;
			if (p->tok.kind == T_SEMI) {
				parse_advance(p);
				continue;
			}
			if (parse_expect(p, T_RPAREN, "';' or ')'") < 0)
				return NULL;
			break;
		}
	}
	for (i = p->ncl - 1; nargs == 0 && i >= 0; i--)
		if (p->cl[i].len == len &&
		    memcmp(p->cl[i].name, name, len) == 0)
			return p->cl[i].node;
	n = parse_user_call(p, name, len, args, nargs, pos);
	if (n)
		return n;
	if (parse_check_regex(p, name, len, args, nargs) == -1)
		return NULL;
	fn = builtin_find(name, len, nargs);
	if (!fn) {
		const struct expr_macro *m = builtin_macro(name, len, nargs);

		if (m) {
			struct enode *body = parse_macro(p, m, args, pos);

			for (i = 0; body && i < nargs; i++)
				if (body == args[i])
					return body;
			if (body) {
				body->macro = m;
				body->margs[0] = nargs > 0 ? args[0] : NULL;
				body->margs[1] = nargs > 1 ? args[1] : NULL;
			}
			return body;
		}
	}
	if (!fn) {
		for (i = 0; parse_unsupported[i]; i++) {
			const char *u = parse_unsupported[i];
			size_t ul = strcspn(u, "/");

			if (ul == len && memcmp(u, name, len) == 0 &&
			    (u[ul] == 0 || atoi(u + ul + 1) == nargs)) {
				parse_fail(p, pos,
					   "%.*s is not supported by evpipe",
					   (int)len, name);
				return NULL;
			}
		}
		builtin_suggest(name, len, hint, sizeof hint);
		parse_fail(p, pos, "%.*s/%d is not defined%s",
			   (int)(len > 40 ? 40 : len), name, nargs, hint);
		return NULL;
	}
	n = node_new(p, EN_CALL, pos);
	n->fn = fn;
	n->n = nargs;
	/* The caller sets the event's input name only when it is read:
	 * no cost per event for every other expression. */
	if (strcmp(fn->name, "input_filename") == 0 ||
	    strcmp(fn->name, "input_line_number") == 0)
		p->x->uses_input_name = 1;
	if (strcmp(fn->name, "input_meta") == 0)
		p->x->uses_input_meta = input_meta_used = 1;
	if (nargs) {
		n->args = xreallocarray(NULL, nargs, sizeof(*n->args));
		memcpy(n->args, args, nargs * sizeof(*args));
	}
	return n;
}

/* A postfix term, or "-" and one: an object's value, try's body and
 * catch's handler ("try -." as jq 1.7) */
static struct enode *
parse_neg_postfix(struct parser *p)
{
	size_t pos = p->tok.pos;
	struct enode *m, *v;

	if (!parse_is_op(p, "-"))
		return parse_postfix(p, 0);
	if (++p->depth > PARSE_MAX_DEPTH) {
		parse_fail(p, pos, "expression nested too deeply");
		return NULL;
	}
	parse_advance(p);
	v = parse_neg_postfix(p);
	p->depth--;
	if (!v)
		return NULL;
	m = node_new(p, EN_NEG, pos);
	m->a = v;
	return fold_negative(p, m);
}

/* A key that is a constant but no string ({(0): 1}) is an error of the
 * program, as in jq, which folds the constant object. */
static struct enode *
parse_object_keys(struct parser *p, struct enode *n)
{
	int i;

	for (i = 0; i < n->n; i++) {
		char d[64];

		if (n->args[i]->kind != EN_LIT ||
		    json_is_string(n->args[i]->lit))
			continue;
		val_describe(n->args[i]->lit, d, sizeof(d));
		parse_fail(p, n->args[i]->pos, "Cannot use %s as object key",
			   d);
		return NULL;
	}
	return n;
}

static struct enode *
parse_object(struct parser *p)
{
	struct enode *n = node_new(p, EN_OBJECT, p->tok.pos);
	int cap = 0;

	parse_advance(p);
	if (p->tok.kind == T_RBRACE) {
		parse_advance(p);
		return n;
	}
	for (;;) {
		struct enode *key = NULL, *val = NULL;
		size_t kpos = p->tok.pos;
		int need_val = 0;

		if (p->tok.kind == T_VAR) {
			const char *name = p->lx.src + kpos + 1;
			size_t len = p->tok.len - 1;

			json_t *kname = val_string(name, len);

			val = parse_var_ref(p);
			if (val && p->tok.kind == T_COLON) {
				/* {$k: v}: the variable's value is the key */
				json_decref(kname);
				key = val;
				val = NULL;
				need_val = 1;
			} else {
				key = node_lit(p, kname, kpos);
			}
		} else if (p->tok.kind == T_IDENT || p->tok.kind == T_KEYWORD) {
			/* {if: 1} and {as} too, as jq 1.7 */
			key = node_lit(p,
				       val_string(p->lx.src + kpos, p->tok.len),
				       kpos);
			parse_advance(p);
		} else if (p->tok.kind == T_QUOTE) {
			key = parse_string(p, "text");
		} else if (p->tok.kind == T_FORMAT) {
			const char *fmt = parse_format_name(p);

			if (fmt)
				parse_advance(p);
			if (!p->failed && p->tok.kind != T_QUOTE)
				parse_unexpected(p,
						 "a string after the format");
			if (!p->failed)
				key = parse_string(p, fmt);
		} else if (p->tok.kind == T_LPAREN) {
			parse_advance(p);
			key = parse_pipe(p);
			parse_expect(p, T_RPAREN, "')'");
			need_val = 1;
		} else if (p->tok.kind == T_NUMBER) {
			parse_fail(p, kpos,
				   "object keys must be strings "
				   "(use (EXPR) for computed keys)");
		} else {
			parse_unexpected(p, "an object key");
		}
		if (p->failed)
			return NULL;
		if (p->tok.kind == T_COLON && !val) {
			struct enode *v;

			parse_advance(p);
			/* ExpD: terms joined by '|', with optional '-' */
			v = parse_neg_postfix(p);
			while (!p->failed && p->tok.kind == T_PIPE) {
				size_t ppos = p->tok.pos;

				parse_advance(p);
				v = node_bin(p, EN_PIPE, 0, v,
					     parse_neg_postfix(p), ppos);
			}
			val = v;
		} else if (need_val) {
			parse_unexpected(p, "':'");
		}
		if (p->failed)
			return NULL;
		if (n->n == cap) {
			cap = cap ? 2 * cap : 4;
			n->args = xreallocarray(n->args, cap, sizeof(*n->args));
			n->vals = xreallocarray(n->vals, cap, sizeof(*n->vals));
		}
		n->args[n->n] = key;
		n->vals[n->n] = val;
		n->n++;
		if (p->tok.kind == T_COMMA) {
			parse_advance(p);
			continue;
		}
		if (parse_expect(p, T_RBRACE, "',' or '}'") < 0)
			return NULL;
		return parse_object_keys(p, n);
	}
}

static struct enode *
parse_reduce(struct parser *p, int is_foreach)
{
	struct enode *n =
		node_new(p, is_foreach ? EN_FOREACH : EN_REDUCE, p->tok.pos);
	int saved;

	parse_advance(p);
	n->a = parse_postfix(p, 0);
	if (!p->failed && !parse_is_kw(p, "as"))
		parse_unexpected(p, "'as'");
	if (p->failed)
		return NULL;
	parse_advance(p);
	saved = p->nscope;
	/* INIT does not see the pattern's variables: parse it first. */
	{
		struct lexer save_lx = p->lx;
		struct token save_tok = p->tok;
		struct epat *pt;

		pt = parse_as_pattern(p);
		if (pt && pt->alt)
			parse_fail(p, n->pos,
				   "destructuring alternatives (?//) are not "
				   "supported in %s",
				   is_foreach ? "foreach" : "reduce");
		p->nscope = saved;
		if (parse_expect(p, T_LPAREN, "'('") < 0)
			return NULL;
		n->b = parse_pipe(p);
		if (parse_expect(p, T_SEMI, "';'") < 0)
			return NULL;
		/* Re-push the pattern's variables for UPDATE/EXTRACT. */
		{
			struct lexer lx2 = p->lx;
			struct token tok2 = p->tok;
			int npats = p->x->npats;

			p->lx = save_lx;
			p->tok = save_tok;
			(void)npats;
			n->pat = parse_as_pattern(p);
			(void)pt;
			p->lx = lx2;
			p->tok = tok2;
		}
	}
	n->c = parse_pipe(p);
	if (is_foreach && !p->failed && p->tok.kind == T_SEMI) {
		parse_advance(p);
		n->d = parse_pipe(p);
	}
	p->nscope = saved;
	if (parse_expect(p, T_RPAREN, "')'") < 0)
		return NULL;
	return n;
}

static struct enode *
parse_if(struct parser *p)
{
	struct enode *n = node_new(p, EN_IF, p->tok.pos);

	parse_advance(p);
	n->a = parse_pipe(p);
	if (!p->failed && !parse_is_kw(p, "then"))
		parse_unexpected(p, "'then'");
	if (p->failed)
		return NULL;
	parse_advance(p);
	n->b = parse_pipe(p);
	if (p->failed)
		return NULL;
	if (parse_is_kw(p, "elif")) {
		n->c = parse_if(p); /* consumes up to and including "end" */
		return p->failed ? NULL : n;
	}
	if (parse_is_kw(p, "end")) {
		/* jq 1.7: "if C then A end" is "if C then A else . end" */
		n->c = node_new(p, EN_IDENTITY, p->tok.pos);
		parse_advance(p);
		return n;
	}
	if (!parse_is_kw(p, "else")) {
		parse_unexpected(p, "'elif', 'else' or 'end'");
		return NULL;
	}
	parse_advance(p);
	n->c = parse_pipe(p);
	if (!p->failed && !parse_is_kw(p, "end"))
		parse_unexpected(p, "'end'");
	if (p->failed)
		return NULL;
	parse_advance(p);
	return n;
}

static struct enode *
parse_term(struct parser *p)
{
	struct enode *n = NULL;
	size_t pos = p->tok.pos;

	switch (p->tok.kind) {
	case T_DOT:
		parse_advance(p);
		if (p->tok.kind == T_QUOTE) {
			struct enode *k = parse_string(p, "text");

			return node_bin(p, EN_INDEX, 0,
					node_new(p, EN_IDENTITY, pos), k, pos);
		}
		return node_new(p, EN_IDENTITY, pos);
	case T_DOTDOT:
		parse_advance(p);
		return node_new(p, EN_RECURSE, pos);
	case T_FIELD:
		n = node_bin(p, EN_INDEX, 0, node_new(p, EN_IDENTITY, pos),
			     node_lit(p,
				      val_string(p->lx.src + pos + 1,
						 p->tok.len - 1),
				      pos),
			     pos);
		parse_advance(p);
		return n;
	case T_NUMBER: {
		/* a literal keeps its text, as a number read from an event */
		json_t *v = jnum_parse(p->lx.src + pos, p->tok.len);

		n = node_lit(p, v ? v : val_number(p->tok.num), pos);
		parse_advance(p);
		return n;
	}
	case T_QUOTE:
		return parse_string(p, "text");
	case T_FORMAT: {
		const char *fmt = parse_format_name(p);

		if (!fmt)
			return NULL;
		parse_advance(p);
		if (p->tok.kind == T_QUOTE) {
			n = parse_string(p, fmt);
			if (n && n->kind == EN_LIT)
				return n; /* no interpolation: no format */
			return n;
		}
		n = node_new(p, EN_FORMAT, pos);
		n->fmt = fmt;
		return n;
	}
	case T_LPAREN:
		parse_advance(p);
		n = parse_pipe(p);
		if (parse_expect(p, T_RPAREN, "')'") < 0)
			return NULL;
		return n;
	case T_LBRACKET:
		parse_advance(p);
		n = node_new(p, EN_ARRAY, pos);
		if (p->tok.kind == T_RBRACKET) {
			parse_advance(p);
			return n;
		}
		n->a = parse_pipe(p);
		if (parse_expect(p, T_RBRACKET, "']'") < 0)
			return NULL;
		return n;
	case T_LBRACE:
		return parse_object(p);
	case T_VAR:
		return parse_var_ref(p);
	case T_IDENT:
		return parse_call(p);
	case T_KEYWORD:
		if (parse_is_kw(p, "if"))
			return parse_if(p);
		if (parse_is_kw(p, "reduce"))
			return parse_reduce(p, 0);
		if (parse_is_kw(p, "foreach"))
			return parse_reduce(p, 1);
		if (parse_is_kw(p, "def"))
			return parse_pipe(p); /* definitions, then the rest */
		if (parse_is_kw(p, "label"))
			return parse_label(p);
		if (parse_is_kw(p, "import") || parse_is_kw(p, "include"))
			parse_fail(p, pos,
				   "modules (%.*s) are not supported "
				   "by evpipe",
				   (int)p->tok.len, p->lx.src + pos);
		else if (parse_is_kw(p, "__loc__"))
			parse_unexpected(p, NULL);
		else
			parse_unexpected(p, NULL);
		return NULL;
	default:
		parse_unexpected(p, NULL);
		return NULL;
	}
}

/* Suffixes: .name ."name" [E] [] [E:E] ? */
static struct enode *
parse_postfix(struct parser *p, int allow_as)
{
	struct enode *n;
	int last_index;

	if (p->failed)
		return NULL;
	if (++p->depth > PARSE_MAX_DEPTH) {
		parse_fail(p, p->tok.pos, "expression nested too deeply");
		return NULL;
	}
	/* Does the term so far end in an index?  Then "?" makes it an
	 * optional index (jq's INDEX_OPT), else a try. */
	last_index = p->tok.kind == T_FIELD ||
		     (p->tok.kind == T_DOT && p->lx.pos < p->lx.len &&
		      p->lx.src[p->lx.pos] == '"');
	n = parse_term(p);
	while (n && !p->failed) {
		size_t pos = p->tok.pos;
		int was_index = last_index;

		last_index = 1;

		if (p->tok.kind == T_FIELD) {
			n = node_bin(p, EN_INDEX, 0, n,
				     node_lit(p,
					      val_string(p->lx.src + pos + 1,
							 p->tok.len - 1),
					      pos),
				     pos);
			parse_advance(p);
		} else if (p->tok.kind == T_DOT) {
			parse_advance(p);
			if (p->tok.kind == T_QUOTE) {
				n = node_bin(p, EN_INDEX, 0, n,
					     parse_string(p, "text"), pos);
			} else if (p->tok.kind != T_LBRACKET) {
				parse_unexpected(p, "a field name or '['");
				return NULL;
			}
		} else if (p->tok.kind == T_LBRACKET) {
			struct enode *a = NULL, *b = NULL;

			parse_advance(p);
			if (p->tok.kind == T_RBRACKET) {
				struct enode *it = node_new(p, EN_ITER, pos);

				it->a = n;
				n = it;
				parse_advance(p);
				continue;
			}
			if (p->tok.kind != T_COLON)
				a = parse_pipe(p);
			if (!p->failed && p->tok.kind == T_COLON) {
				struct enode *s = node_new(p, EN_SLICE, pos);

				parse_advance(p);
				if (p->tok.kind != T_RBRACKET)
					b = parse_pipe(p);
				s->a = n;
				s->b = a;
				s->c = b;
				n = s;
			} else {
				n = node_bin(p, EN_INDEX, 0, n, a, pos);
			}
			if (parse_expect(p, T_RBRACKET, "']'") < 0)
				return NULL;
		} else if (p->tok.kind == T_QUESTION) {
			if (was_index &&
			    (n->kind == EN_INDEX || n->kind == EN_SLICE ||
			     n->kind == EN_ITER) &&
			    !n->op) {
				/* .a? .[e]? .[]?: only this step's error is
				 * suppressed, as in jq */
				n->op = 1;
			} else {
				struct enode *t = node_new(p, EN_TRY, pos);

				t->a = n;
				n = t;
			}
			last_index = 0;
			parse_advance(p);
		} else {
			break;
		}
	}
	if (n && !p->failed && allow_as && parse_is_kw(p, "as")) {
		struct enode *as = node_new(p, EN_AS, p->tok.pos);
		int saved = p->nscope;

		parse_advance(p);
		as->a = n;
		as->pat = parse_as_pattern(p);
		if (parse_expect(p, T_PIPE, "'|' after the pattern") < 0)
			return NULL;
		as->b = parse_pipe(p);
		p->nscope = saved;
		n = as;
	}
	p->depth--;
	return p->failed ? NULL : n;
}

/*
 * "-LITERAL" is a literal too, with its text: -12345678901234567890 and
 * -1.50 print as written and compare exactly, as the same numbers read
 * from an event.
 */
static struct enode *
fold_negative(struct parser *p, struct enode *neg)
{
	json_t *lit = neg->a->kind == EN_LIT ? neg->a->lit : NULL, *v;
	struct buf t = BUF_INIT;
	const char *s;
	size_t n;

	if (lit == NULL || !json_is_number(lit) || jnum_is_nan(lit))
		return neg;
	if (json_is_integer(lit) && json_integer_value(lit) != 0 &&
	    json_integer_value(lit) != INT64_MIN) {
		v = json_integer(-json_integer_value(lit));
	} else if ((s = jnum_text(lit, &n)) != NULL) {
		if (s[0] == '-') {
			s++;
			n--;
		} else {
			buf_addc(&t, '-');
		}
		buf_add(&t, s, n);
		v = jnum_new(t.data, t.len);
		buf_release(&t);
	} else if (json_is_integer(lit) && json_integer_value(lit) == 0) {
		v = jnum_new("-0", 2);
	} else {
		return neg;
	}
	return node_lit(p, v, neg->pos);
}

static struct enode *
parse_unary(struct parser *p)
{
	size_t pos = p->tok.pos;
	struct enode *n;

	if (p->failed)
		return NULL;
	if (++p->depth > PARSE_MAX_DEPTH) {
		parse_fail(p, pos, "expression nested too deeply");
		return NULL;
	}
	if (parse_is_op(p, "-")) {
		parse_advance(p);
		n = node_new(p, EN_NEG, pos);
		n->a = parse_unary(p);
		if (!n->a)
			n = NULL;
		else
			n = fold_negative(p, n);
	} else if (parse_is_kw(p, "try")) {
		parse_advance(p);
		n = node_new(p, EN_TRY, pos);
		n->a = parse_neg_postfix(p);
		if (!p->failed && parse_is_kw(p, "catch")) {
			parse_advance(p);
			n->b = parse_neg_postfix(p);
		}
		if (p->failed)
			n = NULL;
	} else {
		n = parse_postfix(p, 1);
	}
	p->depth--;
	return p->failed ? NULL : n;
}

/*
 * The binary operators between assignment and unary minus, by
 * precedence (higher binds tighter).  All are left-associative, except
 * that comparisons do not chain.
 */
struct binop {
	const char *text;
	int keyword; /* "and", "or": a keyword, not an operator token */
	int prec;
	enum en_kind kind;
	int op;
};

static const struct binop binops[] = {
	{ "or", 1, 1, EN_OR, 0 },	 { "and", 1, 2, EN_AND, 0 },
	{ "==", 0, 3, EN_BINOP, OP_EQ }, { "!=", 0, 3, EN_BINOP, OP_NE },
	{ "<", 0, 3, EN_BINOP, OP_LT },	 { "<=", 0, 3, EN_BINOP, OP_LE },
	{ ">", 0, 3, EN_BINOP, OP_GT },	 { ">=", 0, 3, EN_BINOP, OP_GE },
	{ "+", 0, 4, EN_BINOP, OP_ADD }, { "-", 0, 4, EN_BINOP, OP_SUB },
	{ "*", 0, 5, EN_BINOP, OP_MUL }, { "/", 0, 5, EN_BINOP, OP_DIV },
	{ "%", 0, 5, EN_BINOP, OP_MOD },
};
#define BINOP_CMP_PREC 3

/* The binary operator at the current token, or NULL. */
static const struct binop *
parse_binop_at(struct parser *p)
{
	size_t i;

	for (i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
		if (binops[i].keyword ? parse_is_kw(p, binops[i].text)
				      : parse_is_op(p, binops[i].text))
			return &binops[i];
	return NULL;
}

/*
 * Precedence climbing: an operand, then every operator of precedence
 * min or more, each with a right operand that takes only the operators
 * that bind tighter than it (so the left one groups first).
 */
static struct enode *
parse_climb(struct parser *p, int min)
{
	struct enode *n = parse_unary(p);
	const struct binop *b;

	while (n && (b = parse_binop_at(p)) && b->prec >= min) {
		size_t pos = p->tok.pos;

		parse_advance(p);
		n = node_bin(p, b->kind, b->op, n, parse_climb(p, b->prec + 1),
			     pos);
		if (n && b->prec == BINOP_CMP_PREC && (b = parse_binop_at(p)) &&
		    b->prec == BINOP_CMP_PREC) {
			parse_fail(p, p->tok.pos,
				   "comparisons do not chain; use "
				   "parentheses");
			return NULL;
		}
	}
	return n;
}

static struct enode *
parse_assign(struct parser *p)
{
	static const char *const ops[] = { "=",	 "|=", "+=",  "-=", "*=",
					   "/=", "%=", "//=", NULL };
	static const int codes[] = { OP_SET, OP_UPDATE, OP_ADD, OP_SUB,
				     OP_MUL, OP_DIV,	OP_MOD, OP_ALT };
	struct enode *n = parse_climb(p, 1);
	int op = 0, i;

	for (i = 0; p->tok.kind == T_OP && ops[i]; i++)
		if (tok_is(&p->lx, &p->tok, ops[i]))
			op = codes[i];
	if (n && op) {
		size_t pos = p->tok.pos;

		parse_advance(p);
		/* The right side may itself be a "//" chain (jq 1.6). */
		n = node_bin(p, EN_ASSIGN, op, n, parse_alt(p), pos);
	}
	return n;
}

static struct enode *
parse_alt(struct parser *p)
{
	struct enode *n = parse_assign(p);

	if (n && parse_is_op(p, "//")) {
		size_t pos = p->tok.pos;

		parse_advance(p);
		n = node_bin(p, EN_ALT, 0, n, parse_alt(p), pos);
	}
	return n;
}

static struct enode *
parse_comma(struct parser *p)
{
	struct enode *n = parse_alt(p);

	while (n && p->tok.kind == T_COMMA) {
		size_t pos = p->tok.pos;

		parse_advance(p);
		n = node_bin(p, EN_COMMA, 0, n, parse_alt(p), pos);
	}
	return n;
}

static struct enode *
parse_pipe(struct parser *p)
{
	struct enode *n;
	int save_fns;

	if (p->failed)
		return NULL;
	if (++p->depth > PARSE_MAX_DEPTH) {
		parse_fail(p, p->tok.pos, "expression nested too deeply");
		return NULL;
	}
	save_fns = p->nfns;
	while (!p->failed && parse_is_kw(p, "def"))
		parse_def(p);
	n = parse_comma(p);
	if (n && p->tok.kind == T_PIPE) {
		size_t pos = p->tok.pos;

		parse_advance(p);
		n = node_bin(p, EN_PIPE, 0, n, parse_pipe(p), pos);
	}
	p->nfns = save_fns;
	p->depth--;
	return p->failed ? NULL : n;
}

/* ---- in-place updates ------------------------------------------------ */

/*
 * Does n yield at most one output (it then ends)?  Conservative.
 * params: if the closure parameters it uses do (in a def's body).
 */
static int
single_out(const struct enode *n, int params)
{
	int i;

	if (!n)
		return 1; /* an absent part: . or nothing */
	switch (n->kind) {
	case EN_IDENTITY:
	case EN_LIT:
	case EN_VAR:
	case EN_ARRAY:
	case EN_FORMAT:
		return 1;
	case EN_INDEX:
	case EN_SLICE:
	case EN_NEG:
	case EN_BINOP:
	case EN_PIPE:
	case EN_IF:
		return single_out(n->a, params) && single_out(n->b, params) &&
		       single_out(n->c, params);
	case EN_CALL:
		if (!n->fn || n->fn->fn || !n->fn->cfn)
			return 0;
		/* FALLTHROUGH */
	case EN_STRING: /* NULL parts are literal */
		for (i = 0; i < n->n; i++)
			if (!single_out(n->args[i], params))
				return 0;
		return 1;
	case EN_OBJECT:
		for (i = 0; i < n->n; i++)
			if (!single_out(n->args[i], params) ||
			    !single_out(n->vals[i], params))
				return 0;
		return 1;
	case EN_FCALL:
		/* single if its arguments are */
		if (!n->ufn->single)
			return 0;
		for (i = 0; i < n->n; i++)
			if (!single_out(n->args[i], params))
				return 0;
		return 1;
	case EN_PARAM:
		return params;
	case EN_AS: /* "$x" and "[$a, $b]" patterns: one binding */
		return (n->pat->kind != PAT_OBJECT) &&
		       single_out(n->a, params) && single_out(n->b, params);
	default:
		return 0;
	}
}

/*
 * Which def'd functions yield at most one output if their closure
 * arguments do: assume all do, and take it back from each whose body
 * may yield more, until nothing changes (a recursive call counts as
 * one output: by induction over the depth of the calls, that is
 * sound).  Then mark the arguments of each call that do if the
 * parameters they use do; the evaluator checks the chain of calls
 * (struct eframe's single).
 */
static void
funcs_single(struct expr *x)
{
	struct enode *n;
	int i, changed;

	for (i = 0; i < x->nfuncs; i++)
		x->funcs[i]->single = 1;
	do {
		changed = 0;
		for (i = 0; i < x->nfuncs; i++)
			if (x->funcs[i]->single &&
			    !single_out(x->funcs[i]->body, 1)) {
				x->funcs[i]->single = 0;
				changed = 1;
			}
	} while (changed);
	for (n = x->nodes; n; n = n->next_alloc) {
		for (i = 0; n->kind == EN_FCALL && i < n->n; i++)
			if (single_out(n->args[i], 1))
				n->own |= 1 << i;
		/* recursion through a pipe or an if nests less when the
		 * left side's one output is handed on after it returned;
		 * expressions without def keep the plain path */
		if (x->nfuncs && (n->kind == EN_PIPE || n->kind == EN_IF ||
				  n->kind == EN_AS))
			n->own = single_out(n->a, 0);
	}
}

static int
expr_single_output(const struct enode *n)
{
	return single_out(n, 0);
}

/* A path expression with at most one path: .a, .[$k], .a[0].b */
static int
single_path(const struct enode *n)
{
	if (n->kind == EN_IDENTITY)
		return 1;
	return n->kind == EN_INDEX && !n->op && single_path(n->a) &&
	       expr_single_output(n->b);
}

/* May a reduce whose UPDATE is n change its accumulator in place? */
static int
expr_own(const struct enode *n)
{
	switch (n->kind) {
	case EN_BINOP: /* . + E */
		return n->op == OP_ADD && n->a->kind == EN_IDENTITY &&
		       expr_single_output(n->b);
	case EN_ASSIGN: /* P = E, P += E, P |= f ... */
		return single_path(n->a) && expr_single_output(n->b);
	case EN_CALL: /* setpath(p; v) */
		return n->fn && n->fn->cfn && n->n == 2 &&
		       strcmp(n->fn->name, "setpath") == 0 &&
		       expr_single_output(n->args[0]) &&
		       expr_single_output(n->args[1]);
	default:
		return 0;
	}
}

/* ---- public ------------------------------------------------------------ */

struct expr *
expr_compile(const char *src, json_t *named_args, size_t *errpos,
	     struct errbuf *eb)
{
	struct parser p;
	struct expr *x = xcalloc(1, sizeof(*x));
	struct enode *n;

	memset(&p, 0, sizeof(p));
	p.x = x;
	p.named = named_args;
	lex_init(&p.lx, src);
	parse_advance(&p);
	x->root = parse_pipe(&p);
	if (!p.failed && p.tok.kind != T_EOF)
		parse_unexpected(&p, NULL);
	free(p.scope);
	free(p.fns);
	if (p.failed) {
		size_t col = 1, i;

		for (i = 0; i < p.errpos && src[i]; i++)
			if ((src[i] & 0xC0) != 0x80)
				col++;
		if (errpos)
			*errpos = p.errpos;
		errbuf_set(eb, STATUS_USAGE, "column %zu: %s", col, p.errmsg);
		expr_free(x);
		return NULL;
	}
	if (x->nslots)
		x->slots = xcalloc(x->nslots, sizeof(*x->slots));
	funcs_single(x);
	for (n = x->nodes; n; n = n->next_alloc)
		if (n->kind == EN_REDUCE)
			n->own = expr_own(n->c);
	return x;
}

int
expr_uses_input_name(const struct expr *x)
{
	return x->uses_input_name;
}

void
expr_set_input_name(struct expr *x, const char *name)
{
	x->input_name = name;
}

void
expr_set_input_line(struct expr *x, int64_t line)
{
	x->input_line = line;
}

int
expr_uses_input_meta(const struct expr *x)
{
	return x->uses_input_meta;
}

int
expr_input_meta_used(void)
{
	return input_meta_used;
}

void
expr_set_input_meta(struct expr *x, const char *meta, size_t len)
{
	/* A source may hand out the next message's metadata at the same
	 * address: the parsed value is always made again. */
	json_decref(x->meta_value);
	x->meta_value = NULL;
	x->input_meta = meta;
	x->input_metalen = len;
}

void
expr_free(struct expr *x)
{
	struct enode *n, *next;
	int i;

	if (!x)
		return;
	for (n = x->nodes; n; n = next) {
		next = n->next_alloc;
		json_decref(n->lit);
		for (i = 0; n->lits && i < n->n; i++)
			json_decref(n->lits[i]);
		free(n->lits);
		free(n->args);
		free(n->vals);
		free(n);
	}
	for (i = 0; i < x->npats; i++) {
		free(x->pats[i]->sub);
		free(x->pats[i]->keys);
		free(x->pats[i]->keyslots);
		free(x->pats[i]->gslots);
		free(x->pats[i]);
	}
	free(x->pats);
	for (i = 0; i < x->nfuncs; i++)
		free(x->funcs[i]);
	free(x->funcs);
	free(x->slots);
	json_decref(x->meta_value);
	free(x);
}

void
expr_caret(const char *src, size_t pos, struct buf *out)
{
	size_t len = strlen(src), start = 0, end = len, i, col = 0;

	if (pos > len)
		pos = len;
	/* Show at most 60 bytes around pos, on the line holding it. */
	for (i = pos; i > 0 && src[i - 1] != '\n'; i--)
		;
	start = i;
	for (i = pos; i < len && src[i] != '\n'; i++)
		;
	end = i;
	if (pos - start > 40)
		start = pos - 40;
	while (start < pos && (src[start] & 0xC0) == 0x80)
		start++;
	if (end - start > 72)
		end = start + 72;
	while (end > pos && end < len && (src[end] & 0xC0) == 0x80)
		end--;
	buf_adds(out, "  ");
	for (i = start; i < end; i++)
		buf_addc(out, src[i] == '\t' ? ' ' : src[i]);
	buf_adds(out, "\n  ");
	for (i = start; i < pos; i++)
		if ((src[i] & 0xC0) != 0x80)
			col++;
	while (col--)
		buf_addc(out, ' ');
	buf_addc(out, '^');
}
