/*
 * opt.h -- options as data: one table per command drives parsing, --help,
 * the man-page drift test and shell completion (evpipe __complete).
 *
 * Accepted spellings: -k F, -kF, --key F, --key=F, combined short booleans
 * (-vq), --no-FLAG for booleans, and "--" to end options so a positional
 * argument may begin with '-'.
 */
#ifndef OPT_H
#define OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct errbuf;

enum opt_type {
	OPT_BOOL,     /* int: 1 when given, 0 with --no-NAME */
	OPT_UINT,     /* uint64_t */
	OPT_SIZE,     /* uint64_t bytes: 512, 64k, 16M, 1G */
	OPT_DURATION, /* int64_t nanoseconds: 500ms, 2s, 1m */
	OPT_STRING,   /* const char * (borrowed from argv) */
	OPT_STRLIST,  /* struct strlist, repeatable */
	OPT_ENUM,     /* int: index into choices[] */
	OPT_TARGET,   /* struct strlist of target specs, repeatable */
	OPT_EXPR,     /* const char *: an expression (completion: none) */
	OPT_NAMEVAL,  /* two words NAME VALUE, repeatable (--arg) */
	/*
	 * Not an option of this command: a spelling it used to take that now
	 * means something else (tee --to, filter -v).  help is the error that
	 * names the new spelling; the row is left out of --help, usage lines
	 * and completion.  With OPT_GLOBAL_OK the word is first tried as the
	 * global option of that name, and refused only when that fails
	 * (tee --to json is the output format, tee --to copy.ndjson an error).
	 */
	OPT_RETIRED,
};

struct strlist {
	const char **v; /* borrowed strings, array owned */
	size_t n;
};

void strlist_push(struct strlist *, const char *);
void strlist_release(struct strlist *);

struct opt {
	const char *lname; /* "key" for --key */
	int sname;	   /* 'k', or 0 */
	enum opt_type type;
	size_t off;		    /* offsetof(struct <cmd>_ctx, field) */
	const char *arg;	    /* "EXPR": shown in usage and --help */
	const char *help;	    /* one line for --help */
	const char *const *choices; /* OPT_ENUM values, NULL-terminated */
	/*
	 * The subcommand the option belongs to ("compat" for schema
	 * --mode), or NULL: every subcommand, or the command has none.
	 * Completion offers it only with that subcommand.
	 */
	const char *sub;
	unsigned flags;
#define OPT_REQUIRED  0x1 /* the usage line shows it without brackets */
#define OPT_SHOW_NO   0x2 /* on by default: the usage line shows --no-NAME */
#define OPT_GLOBAL_OK 0x4 /* OPT_RETIRED: the global option may take it */
};

/* clang-format off */
/* The row that ends every table. */
#define OPT_END { NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0 }

/*
 * --arg NAME VALUE and --argjson NAME JSON for a command whose
 * expressions read $NAME, storing into the json_t * at offset off; what
 * ends their help line ("" or " for -k and --lag").
 */
#define OPT_NAMED_ARGS(off, what)                                             \
	{ "arg", 0, OPT_NAMEVAL, (off), "NAME VALUE",                         \
	  "set $NAME to the string VALUE" what, NULL, NULL, 0 },              \
	{ "argjson", 0, OPT_NAMEVAL, (off), "NAME JSON",                      \
	  "set $NAME to the JSON value" what, NULL, NULL, 0 }
/* clang-format on */

/*
 * Try to parse the option word argv[*i] against opts (terminated by an
 * entry with lname NULL), storing into ctx.  Returns 1 if it was one of
 * these options (*i is advanced past its value words), 0 if the table has
 * no such option (nothing consumed), or -1 with a usage error in eb (a
 * missing or bad value).  OPT_NAMEVAL stores into a json_t * object whose
 * address is ctx+off: "--arg" adds a string, any other name (e.g.
 * "--argjson") parses VALUE as JSON.
 */
int opt_parse_one(const struct opt *opts, void *ctx, int argc, char **argv,
		  int *i, struct errbuf *eb);

/*
 * Parse all of argv[0..argc) against opts: options anywhere, "--" ends
 * them; positional words are collected into pos.  Returns 0 or -1.
 */
int opt_parse(const struct opt *opts, void *ctx, int argc, char **argv,
	      struct strlist *pos, struct errbuf *eb);

/*
 * Free what opt_parse_one() allocated in ctx (string lists, --arg
 * objects).  The runner calls it after the stage's free(), so stages
 * never free option fields themselves.
 */
void opt_release(const struct opt *opts, void *ctx);

/* Print the option list of a table for --help, one per line. */
void opt_print_help(const struct opt *opts, FILE *fp);

/*
 * Print the options of a table as a usage line does, each after a space:
 * " [-n N]", " --rate N/DUR" (OPT_REQUIRED), " [--to TARGET]..." (a
 * repeatable one), " [--no-format]" (OPT_SHOW_NO).  Only those of
 * subcommand sub (and those of every subcommand) when sub is not NULL.
 */
void opt_print_usage(const struct opt *opts, const char *sub, FILE *fp);

/*
 * Print "--name" and "-k" words of a table for completion, one a line;
 * only those of subcommand sub (and of every subcommand) when sub is not
 * NULL.
 */
void opt_print_words(const struct opt *opts, const char *sub, FILE *fp);

/* Find an option by long name or short letter; NULL if none. */
const struct opt *opt_find(const struct opt *opts, const char *lname,
			   int sname);

/*
 * The OPT_RETIRED row of opts that option word w ("--to", "--to=x", "-v",
 * "-vq") spells, or NULL.
 */
const struct opt *opt_retired(const struct opt *opts, const char *w);

/*
 * A word that is never an option, though it begins with '-': a negative
 * number ("-1", "-.5", "-1e3") or "-inf", "-infinite", "-nan" (any case),
 * so that an expression or a value may be one.  Without this rule
 * "-infinite" would be read as "-i nfinite".
 */
int opt_is_negative_word(const char *w);

/*
 * "Did you mean": the closest of a set of known names to a word typed
 * wrong, by Damerau-Levenshtein distance (optimal string alignment), as
 * git does for commands: names are suggested only when close (at most
 * one edit per three letters of the word, never more than 3), and all
 * those at the best distance (at most SUGGEST_MAX) are kept.
 */
#define SUGGEST_MAX 3
struct suggest {
	char word[64];	    /* compared: "frm" for "--frm=x" */
	const char *prefix; /* shown before a name: "--" or "" */
	unsigned best;	    /* the distance of names[], or UINT_MAX */
	const char *names[SUGGEST_MAX];
	size_t n;
};

/* An option word ("--frm", "--frm=x") is compared without "--" and "=". */
void suggest_init(struct suggest *, const char *word);
void suggest_add(struct suggest *, const char *name);
/* Every long option of a table but the retired ones. */
void suggest_add_opts(struct suggest *, const struct opt *opts);
/*
 * "; did you mean 'X'?" or "; did you mean 'X' or 'Y'?" into out, or ""
 * when nothing is close enough.  Returns out.
 */
const char *suggest_text(const struct suggest *, char *out, size_t n);

#endif
