/*
 * expr-lex.c -- tokens of the expression language, with byte offsets.
 *
 * Strings are not tokenized here: the lexer stops at the opening quote
 * (T_QUOTE) and the parser reads the string, because "\(...)" nests a
 * whole expression inside it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "expr-impl.h"

static const char *const lex_keywords[] = {
	"if",	  "then",    "elif",   "else",	  "end",     "as",
	"reduce", "foreach", "try",    "catch",	  "and",     "or",
	"def",	  "label",   "import", "include", "__loc__", NULL,
};

void
lex_init(struct lexer *l, const char *src)
{
	l->src = src;
	l->len = strlen(src);
	l->pos = 0;
}

int
tok_is(const struct lexer *l, const struct token *t, const char *s)
{
	size_t n = strlen(s);

	return t->len == n && memcmp(l->src + t->pos, s, n) == 0;
}

static int
lex_isident(int c, int first)
{
	return c == '_' || isalpha(c) || (!first && isdigit(c));
}

/* Operators, longest first. */
static const char *const lex_ops[] = {
	"?//", "//=", "|=", "+=", "-=", "*=", "/=", "%=", "==", "!=", "<=",
	">=",  "//",  "+",  "-",  "*",	"/",  "%",  "<",  ">",	"=",  NULL,
};

void
lex_next(struct lexer *l, struct token *t)
{
	const char *s = l->src;
	size_t p = l->pos;
	int c;

	for (;;) {
		while (p < l->len && isspace((unsigned char)s[p]))
			p++;
		if (p < l->len && s[p] == '#') {
			while (p < l->len && s[p] != '\n')
				p++;
			continue;
		}
		break;
	}
	memset(t, 0, sizeof(*t));
	t->pos = p;
	if (p >= l->len) {
		t->kind = T_EOF;
		l->pos = p;
		return;
	}
	c = (unsigned char)s[p];
	if (c == '.' && p + 2 < l->len && s[p + 1] == '.' && s[p + 2] == '.') {
		/* jq reads a run of dots as a (bad) number, not as ".." and
		 * a field: "...a" is an error there, so it is one here */
		t->kind = T_ERROR;
		t->msg = "invalid literal: three dots in a row";
		while (p < l->len && s[p] == '.')
			p++;
	} else if (c == '.' && p + 1 < l->len && s[p + 1] == '.') {
		t->kind = T_DOTDOT;
		p += 2;
	} else if (c == '.' && p + 1 < l->len &&
		   lex_isident((unsigned char)s[p + 1], 1)) {
		t->kind = T_FIELD;
		p++;
		while (p < l->len && lex_isident((unsigned char)s[p], 0))
			p++;
	} else if (isdigit(c) || (c == '.' && p + 1 < l->len &&
				  isdigit((unsigned char)s[p + 1]))) {
		char *end;

		t->kind = T_NUMBER;
		while (p < l->len && isdigit((unsigned char)s[p]))
			p++;
		if (p < l->len && s[p] == '.') {
			p++;
			while (p < l->len && isdigit((unsigned char)s[p]))
				p++;
		}
		if (p < l->len && (s[p] == 'e' || s[p] == 'E')) {
			size_t q = p + 1;

			if (q < l->len && (s[q] == '+' || s[q] == '-'))
				q++;
			if (q < l->len && isdigit((unsigned char)s[q])) {
				p = q;
				while (p < l->len &&
				       isdigit((unsigned char)s[p]))
					p++;
			}
		}
		t->num = strtod(s + t->pos, &end);
	} else if (c == '.') {
		t->kind = T_DOT;
		p++;
	} else if (c == '$' || c == '@') {
		t->kind = c == '$' ? T_VAR : T_FORMAT;
		p++;
		if (p >= l->len || !lex_isident((unsigned char)s[p], 1)) {
			t->kind = T_ERROR;
			t->msg = c == '$' ? "expected a variable name after '$'"
					  : "expected a format name after '@'";
		}
		while (p < l->len &&
		       (lex_isident((unsigned char)s[p], 0) ||
			(s[p] == ':' && p + 1 < l->len && s[p + 1] == ':')))
			p += s[p] == ':' ? 2 : 1;
	} else if (lex_isident(c, 1)) {
		int i;

		t->kind = T_IDENT;
		while (p < l->len &&
		       (lex_isident((unsigned char)s[p], 0) ||
			(s[p] == ':' && p + 1 < l->len && s[p + 1] == ':')))
			p += s[p] == ':' ? 2 : 1;
		t->len = p - t->pos;
		for (i = 0; lex_keywords[i]; i++)
			if (tok_is(l, t, lex_keywords[i]))
				t->kind = T_KEYWORD;
	} else if (c == '"') {
		t->kind = T_QUOTE;
		p++;
	} else {
		static const char single[] = "()[]{}|,:;?";
		static const enum tok kinds[] = {
			T_LPAREN, T_RPAREN, T_LBRACKET, T_RBRACKET,
			T_LBRACE, T_RBRACE, T_PIPE,	T_COMMA,
			T_COLON,  T_SEMI,   T_QUESTION,
		};
		const char *q;
		int i;

		for (i = 0; lex_ops[i]; i++) {
			size_t n = strlen(lex_ops[i]);

			if (l->len - p >= n &&
			    memcmp(s + p, lex_ops[i], n) == 0)
				break;
		}
		if (lex_ops[i]) {
			t->kind = T_OP;
			p += strlen(lex_ops[i]);
		} else if ((q = strchr(single, c)) != NULL && c != 0) {
			t->kind = kinds[q - single];
			p++;
		} else {
			t->kind = T_ERROR;
			t->msg = "unexpected character";
			p++;
		}
	}
	t->len = p - t->pos;
	l->pos = p;
}
