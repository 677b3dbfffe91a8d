/*
 * opt.c -- table-driven option parsing (see opt.h).
 */
#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json/json-scan.h"
#include "lib/errbuf.h"
#include "opt.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

void
strlist_push(struct strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = s;
}

void
strlist_release(struct strlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const struct opt *
opt_find(const struct opt *opts, const char *lname, int sname)
{
	const struct opt *o;

	for (o = opts; o && o->lname; o++) {
		if (o->type == OPT_RETIRED)
			continue;
		if (sname && o->sname == sname)
			return o;
		if (lname && strcmp(o->lname, lname) == 0)
			return o;
	}
	return NULL;
}

const struct opt *
opt_retired(const struct opt *opts, const char *w)
{
	const struct opt *o;
	size_t n;

	if (w[0] != '-' || w[1] == '\0')
		return NULL;
	for (o = opts; o && o->lname; o++) {
		if (o->type != OPT_RETIRED)
			continue;
		if (w[1] == '-') {
			n = strlen(o->lname);
			if (strncmp(w + 2, o->lname, n) == 0 &&
			    (w[2 + n] == '\0' || w[2 + n] == '='))
				return o;
		} else if (o->sname && w[1] == o->sname) {
			return o;
		}
	}
	return NULL;
}

int
opt_is_negative_word(const char *w)
{
	if (w[0] != '-')
		return 0;
	if (isdigit((unsigned char)w[1]) ||
	    (w[1] == '.' && isdigit((unsigned char)w[2])))
		return 1;
	return strcasecmp(w, "-inf") == 0 || strcasecmp(w, "-infinite") == 0 ||
	       strcasecmp(w, "-infinity") == 0 || strcasecmp(w, "-nan") == 0;
}

/* Optimal string alignment distance of a and b, both under 64 bytes. */
static unsigned
osa_distance(const char *a, const char *b)
{
	unsigned d[65][65];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > 64 || lb > 64)
		return UINT_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

void
suggest_init(struct suggest *s, const char *word)
{
	size_t n;

	memset(s, 0, sizeof *s);
	s->best = UINT_MAX;
	s->prefix = "";
	if (word[0] == '-' && word[1] == '-') {
		word += 2;
		s->prefix = "--";
	}
	n = strcspn(word, s->prefix[0] ? "=" : "");
	if (n >= sizeof s->word)
		n = 0; /* too long to be a typo: no suggestion */
	memcpy(s->word, word, n);
	s->word[n] = '\0';
}

void
suggest_add(struct suggest *s, const char *name)
{
	size_t len = strlen(s->word), i;
	unsigned d, most = (unsigned)(len + 2) / 3;

	if (len == 0)
		return;
	if (most > 3)
		most = 3;
	d = osa_distance(s->word, name);
	if (d == 0 || d > most || d >= len || d > s->best)
		return;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return;
	if (d < s->best) {
		s->best = d;
		s->n = 0;
	}
	if (s->n < SUGGEST_MAX)
		s->names[s->n++] = name;
}

void
suggest_add_opts(struct suggest *s, const struct opt *opts)
{
	const struct opt *o;

	for (o = opts; o && o->lname; o++)
		if (o->type != OPT_RETIRED)
			suggest_add(s, o->lname);
}

const char *
suggest_text(const struct suggest *s, char *out, size_t n)
{
	size_t i, len;

	out[0] = '\0';
	if (s->n == 0)
		return out;
	snprintf(out, n, "; did you mean");
	for (i = 0; i < s->n; i++) {
		len = strlen(out);
		snprintf(out + len, n - len, "%s '%s%s'",
			 i == 0		 ? ""
			 : i + 1 == s->n ? " or"
					 : ",",
			 s->prefix, s->names[i]);
	}
	len = strlen(out);
	snprintf(out + len, n - len, "?");
	return out;
}

static int
opt_takes_value(const struct opt *o)
{
	return o->type != OPT_BOOL;
}

static const char *
opt_name(const struct opt *o, char *tmp, size_t n)
{
	snprintf(tmp, n, "--%s", o->lname);
	return tmp;
}

static int
opt_store(const struct opt *o, void *ctx, const char *val, const char *val2,
	  struct errbuf *eb)
{
	char *field = (char *)ctx + o->off;
	char name[64];
	uint64_t u;
	int64_t d;
	size_t k;

	switch (o->type) {
	case OPT_BOOL:
		*(int *)field = val != NULL;
		return 0;
	case OPT_UINT:
		if (parse_uint(val, INT64_MAX, &u, eb) == -1)
			return errbuf_prefix(eb, "%s",
					     opt_name(o, name, sizeof name));
		*(uint64_t *)field = u;
		return 0;
	case OPT_SIZE:
		if (parse_size(val, &u, eb) == -1)
			return errbuf_prefix(eb, "%s",
					     opt_name(o, name, sizeof name));
		*(uint64_t *)field = u;
		return 0;
	case OPT_DURATION:
		if (parse_duration(val, &d, eb) == -1)
			return errbuf_prefix(eb, "%s",
					     opt_name(o, name, sizeof name));
		*(int64_t *)field = d;
		return 0;
	case OPT_EXPR:
		/*
		 * A command reads one key, time or order expression: a second
		 * one used to replace the first without a word.
		 */
		if (*(const char **)field != NULL)
			return errbuf_set(eb, STATUS_USAGE,
					  "%s given twice: it takes one "
					  "expression (for a compound key, "
					  "an array: '[.a, .b]')",
					  opt_name(o, name, sizeof name));
		*(const char **)field = val;
		return 0;
	case OPT_STRING:
		*(const char **)field = val;
		return 0;
	case OPT_STRLIST:
	case OPT_TARGET:
		if (*val == '\0')
			return errbuf_set(eb, STATUS_USAGE, "%s: empty value",
					  opt_name(o, name, sizeof name));
		strlist_push((struct strlist *)field, val);
		return 0;
	case OPT_ENUM:
		for (k = 0; o->choices[k]; k++)
			if (strcmp(o->choices[k], val) == 0) {
				*(int *)field = (int)k;
				return 0;
			}
		{
			struct buf_s {
				char s[200];
			} list = { "" };

			for (k = 0; o->choices[k]; k++) {
				strncat(list.s, k ? ", " : "",
					sizeof list.s - strlen(list.s) - 1);
				strncat(list.s, o->choices[k],
					sizeof list.s - strlen(list.s) - 1);
			}
			struct suggest sg;
			char hint[160];

			suggest_init(&sg, val);
			for (k = 0; o->choices[k]; k++)
				suggest_add(&sg, o->choices[k]);
			return errbuf_set(
				eb, STATUS_USAGE, "%s: '%s' is not one of %s%s",
				opt_name(o, name, sizeof name), val, list.s,
				suggest_text(&sg, hint, sizeof hint));
		}
	case OPT_RETIRED:
		break;
	case OPT_NAMEVAL: {
		json_t **obj = (json_t **)field;
		json_t *v;

		if (*obj == NULL)
			*obj = json_object();
		if (strcmp(o->lname, "arg") == 0) {
			v = json_string(val2);
			if (v == NULL)
				return errbuf_set(
					eb, STATUS_USAGE,
					"--arg %s: value is not UTF-8", val);
		} else {
			struct errbuf seb = { 0 };
			json_error_t jerr;

			/* the scanner, as for events: any number, its text
			 * kept; jansson's message when it is not JSON */
			v = jscan_value(val2, strlen(val2), &seb);
			if (v == NULL)
				v = json_loads(val2, JSON_DECODE_ANY, &jerr);
			if (v == NULL)
				return errbuf_set(eb, STATUS_USAGE,
						  "--%s %s: invalid JSON: %s",
						  o->lname, val, jerr.text);
		}
		json_object_set_new(*obj, val, v);
		return 0;
	}
	}
	BUG("unknown option type %d", (int)o->type);
}

int
opt_parse_one(const struct opt *opts, void *ctx, int argc, char **argv, int *i,
	      struct errbuf *eb)
{
	const char *w = argv[*i], *eq, *val = NULL;
	const struct opt *o;
	char lname[64];
	int neg = 0;

	if (w[0] != '-' || w[1] == '\0' || opt_is_negative_word(w))
		return 0;
	if (w[1] == '-') {
		eq = strchr(w + 2, '=');
		snprintf(lname, sizeof lname, "%.*s",
			 (int)(eq ? (size_t)(eq - w - 2) : strlen(w + 2)),
			 w + 2);
		o = opt_find(opts, lname, 0);
		if (o == NULL && strncmp(lname, "no-", 3) == 0) {
			o = opt_find(opts, lname + 3, 0);
			if (o != NULL && o->type != OPT_BOOL)
				return errbuf_set(eb, STATUS_USAGE,
						  "--%s takes no 'no-' form",
						  o->lname);
			neg = 1;
		}
		if (o == NULL)
			return 0;
		if (o->type == OPT_BOOL) {
			if (eq)
				return errbuf_set(eb, STATUS_USAGE,
						  "--%s takes no value", lname);
			(*i)++;
			return opt_store(o, ctx, neg ? NULL : "", NULL, eb) ? -1
									    : 1;
		}
		if (eq) {
			val = eq + 1;
			(*i)++;
		} else {
			if (*i + 1 >= argc)
				return errbuf_set(eb, STATUS_USAGE,
						  "--%s needs a value (%s)",
						  o->lname,
						  o->arg ? o->arg : "");
			val = argv[*i + 1];
			*i += 2;
		}
	} else {
		/* -abc: booleans may be combined; a value may be attached. */
		const char *p;

		for (p = w + 1; *p; p++) {
			o = opt_find(opts, NULL, (unsigned char)*p);
			if (o == NULL) {
				if (p == w + 1)
					return 0;
				return errbuf_set(eb, STATUS_USAGE,
						  "unknown option -%c in '%s'",
						  *p, w);
			}
			if (opt_takes_value(o))
				break;
			opt_store(o, ctx, "", NULL, eb);
		}
		if (*p == '\0') {
			(*i)++;
			return 1;
		}
		if (p[1] != '\0') {
			val = p + 1;
			(*i)++;
		} else {
			if (*i + 1 >= argc)
				return errbuf_set(eb, STATUS_USAGE,
						  "-%c needs a value (%s)", *p,
						  o->arg ? o->arg : "");
			val = argv[*i + 1];
			*i += 2;
		}
	}
	if (o->type == OPT_NAMEVAL) {
		if (*i >= argc)
			return errbuf_set(eb, STATUS_USAGE,
					  "--%s needs two words: NAME VALUE",
					  o->lname);
		return opt_store(o, ctx, val, argv[(*i)++], eb) ? -1 : 1;
	}
	return opt_store(o, ctx, val, NULL, eb) ? -1 : 1;
}

int
opt_parse(const struct opt *opts, void *ctx, int argc, char **argv,
	  struct strlist *pos, struct errbuf *eb)
{
	int i = 0, r;

	while (i < argc) {
		if (strcmp(argv[i], "--") == 0) {
			for (i++; i < argc; i++)
				strlist_push(pos, argv[i]);
			break;
		}
		r = opt_parse_one(opts, ctx, argc, argv, &i, eb);
		if (r == -1)
			return -1;
		if (r == 0) {
			if (argv[i][0] == '-' && argv[i][1] != '\0' &&
			    !opt_is_negative_word(argv[i])) {
				struct suggest sg;
				char hint[160];

				suggest_init(&sg, argv[i]);
				suggest_add_opts(&sg, opts);
				return errbuf_set(
					eb, STATUS_USAGE,
					"unknown option '%s'%s", argv[i],
					suggest_text(&sg, hint, sizeof hint));
			}
			strlist_push(pos, argv[i++]);
		}
	}
	return 0;
}

void
opt_print_help(const struct opt *opts, FILE *fp)
{
	const struct opt *o;
	char left[80];

	for (o = opts; o && o->lname; o++) {
		int n = 0;

		if (o->type == OPT_RETIRED)
			continue;
		if (o->sname)
			n = snprintf(left, sizeof left, "-%c, ", o->sname);
		else
			n = snprintf(left, sizeof left, "    ");
		n += snprintf(left + n, sizeof left - n, "--%s%s", o->lname,
			      o->type == OPT_BOOL ? "" : " ");
		if (o->type != OPT_BOOL && o->arg)
			snprintf(left + n, sizeof left - n, "%s", o->arg);
		if (strlen(left) > 24)
			fprintf(fp, "  %s\n  %-24s  %s\n", left, "", o->help);
		else
			fprintf(fp, "  %-24s  %s\n", left, o->help);
	}
}

/* Does o go with subcommand sub (NULL: any)? */
static int
opt_in_sub(const struct opt *o, const char *sub)
{
	return sub == NULL || o->sub == NULL || strcmp(o->sub, sub) == 0;
}

void
opt_print_usage(const struct opt *opts, const char *sub, FILE *fp)
{
	const struct opt *o;

	for (o = opts; o && o->lname; o++) {
		int req = (o->flags & OPT_REQUIRED) != 0;
		int many = o->type == OPT_STRLIST || o->type == OPT_TARGET ||
			   o->type == OPT_NAMEVAL;

		if (!opt_in_sub(o, sub) || o->type == OPT_RETIRED)
			continue;
		fputs(req ? " " : " [", fp);
		if (o->type == OPT_BOOL && (o->flags & OPT_SHOW_NO))
			fprintf(fp, "--no-%s", o->lname);
		else if (o->sname)
			fprintf(fp, "-%c", o->sname);
		else
			fprintf(fp, "--%s", o->lname);
		if (o->type != OPT_BOOL)
			fprintf(fp, " %s", o->arg ? o->arg : "VALUE");
		fputs(req ? "" : "]", fp);
		fputs(many ? "..." : "", fp);
	}
}

void
opt_print_words(const struct opt *opts, const char *sub, FILE *fp)
{
	const struct opt *o;

	for (o = opts; o && o->lname; o++) {
		if (!opt_in_sub(o, sub) || o->type == OPT_RETIRED)
			continue;
		fprintf(fp, "--%s\n", o->lname);
		if (o->sname)
			fprintf(fp, "-%c\n", o->sname);
	}
}

void
opt_release(const struct opt *opts, void *ctx)
{
	const struct opt *o;

	for (o = opts; o && o->lname; o++) {
		char *field = (char *)ctx + o->off;

		if (o->type == OPT_STRLIST || o->type == OPT_TARGET)
			strlist_release((struct strlist *)field);
		else if (o->type == OPT_NAMEVAL) {
			json_decref(*(json_t **)field);
			*(json_t **)field = NULL;
		}
	}
}
