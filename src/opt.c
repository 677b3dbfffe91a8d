/*
 * opt.c -- table-driven option parsing (see opt.h).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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
		if (sname && o->sname == sname)
			return o;
		if (lname && strcmp(o->lname, lname) == 0)
			return o;
	}
	return NULL;
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
			return errbuf_set(
				eb, STATUS_USAGE, "%s: '%s' is not one of %s",
				opt_name(o, name, sizeof name), val, list.s);
		}
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
			json_error_t jerr;

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

	if (w[0] != '-' || w[1] == '\0')
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
			if (argv[i][0] == '-' && argv[i][1] != '\0')
				return errbuf_set(eb, STATUS_USAGE,
						  "unknown option '%s'",
						  argv[i]);
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

		if (!opt_in_sub(o, sub))
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
		if (!opt_in_sub(o, sub))
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
