/*
 * t-opt.c -- the option parser and the size/duration parsers.
 */
#include <jansson.h>
#include <stddef.h>
#include <string.h>

#include "lib/errbuf.h"
#include "opt.h"
#include "tap.h"
#include "lib/util.h"

struct ctx {
	int flag, other, choice;
	uint64_t n, size;
	int64_t dur;
	const char *str;
	struct strlist list;
	json_t *args;
};

static const char *const choices[] = { "skip", "stop", NULL };

static const struct opt opts[] = {
	{ "flag", 'f', OPT_BOOL, offsetof(struct ctx, flag), NULL, "", NULL,
	  NULL, 0 },
	{ "other", 'o', OPT_BOOL, offsetof(struct ctx, other), NULL, "", NULL,
	  NULL, 0 },
	{ "num", 'n', OPT_UINT, offsetof(struct ctx, n), "N", "", NULL, NULL,
	  0 },
	{ "size", 0, OPT_SIZE, offsetof(struct ctx, size), "SIZE", "", NULL,
	  NULL, 0 },
	{ "every", 0, OPT_DURATION, offsetof(struct ctx, dur), "DUR", "", NULL,
	  NULL, 0 },
	{ "key", 'k', OPT_STRING, offsetof(struct ctx, str), "EXPR", "", NULL,
	  NULL, 0 },
	{ "to", 't', OPT_TARGET, offsetof(struct ctx, list), "T", "", NULL,
	  NULL, 0 },
	{ "mode", 0, OPT_ENUM, offsetof(struct ctx, choice), "M", "", choices,
	  NULL, 0 },
	{ "arg", 0, OPT_NAMEVAL, offsetof(struct ctx, args), "N V", "", NULL,
	  NULL, 0 },
	{ "argjson", 0, OPT_NAMEVAL, offsetof(struct ctx, args), "N J", "",
	  NULL, NULL, 0 },
	{ NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

/* Parse a space-separated command line; returns opt_parse's result. */
static int
parse(const char *line, struct ctx *c, struct strlist *pos, struct errbuf *eb)
{
	static char buf[512];
	char *argv[32], *p;
	int argc = 0;

	memset(c, 0, sizeof *c);
	memset(pos, 0, sizeof *pos);
	errbuf_clear(eb);
	snprintf(buf, sizeof buf, "%s", line);
	for (p = strtok(buf, " "); p && argc < 32; p = strtok(NULL, " "))
		argv[argc++] = p;
	return opt_parse(opts, c, argc, argv, pos, eb);
}

/* A table with subcommands and flags, for the usage line and completion. */
static const struct opt sub_opts[] = {
	{ "rate", 'r', OPT_STRING, offsetof(struct ctx, str), "N/DUR", "", NULL,
	  NULL, OPT_REQUIRED },
	{ "format", 0, OPT_BOOL, offsetof(struct ctx, flag), NULL, "", NULL,
	  NULL, OPT_SHOW_NO },
	{ "enum-max", 0, OPT_UINT, offsetof(struct ctx, n), "N", "", NULL,
	  "infer", 0 },
	{ "mode", 'm', OPT_ENUM, offsetof(struct ctx, choice), "M", "", choices,
	  "compat", 0 },
	OPT_NAMED_ARGS(offsetof(struct ctx, args), ""),
	OPT_END,
};

/* What print(opts, sub, fp) writes, in a static buffer. */
static const char *
printed(void (*print)(const struct opt *, const char *, FILE *),
	const char *sub)
{
	static char out[512];
	FILE *fp = fmemopen(out, sizeof out, "w");

	print(sub_opts, sub, fp);
	fclose(fp);
	return out;
}

static void
done(struct ctx *c, struct strlist *pos)
{
	opt_release(opts, c);
	strlist_release(pos);
}

int
main(void)
{
	struct errbuf eb = { 0 };
	struct strlist pos;
	struct ctx c;
	uint64_t u;
	int64_t d;

	ok(parse("-k .a -n 3 x", &c, &pos, &eb) == 0 &&
		   strcmp(c.str, ".a") == 0 && c.n == 3 && pos.n == 1 &&
		   strcmp(pos.v[0], "x") == 0,
	   "short options with values, positional");
	done(&c, &pos);
	ok(parse("-k.a --num=4", &c, &pos, &eb) == 0 &&
		   strcmp(c.str, ".a") == 0 && c.n == 4,
	   "attached short value and --name=value");
	done(&c, &pos);
	ok(parse("-fo", &c, &pos, &eb) == 0 && c.flag && c.other,
	   "combined short booleans");
	done(&c, &pos);
	ok(parse("-fk.x", &c, &pos, &eb) == 0 && c.flag &&
		   strcmp(c.str, ".x") == 0,
	   "boolean combined with a valued option");
	done(&c, &pos);
	ok(parse("--flag --no-flag", &c, &pos, &eb) == 0 && c.flag == 0,
	   "--no-FLAG turns a boolean off");
	done(&c, &pos);
	ok(parse("a -- -k b", &c, &pos, &eb) == 0 && pos.n == 3 &&
		   c.str == NULL,
	   "-- ends options");
	done(&c, &pos);
	ok(parse("x --flag y", &c, &pos, &eb) == 0 && pos.n == 2 && c.flag,
	   "options after positionals");
	done(&c, &pos);
	ok(parse("--to a -t b", &c, &pos, &eb) == 0 && c.list.n == 2 &&
		   strcmp(c.list.v[1], "b") == 0,
	   "repeatable target option");
	done(&c, &pos);
	ok(parse("--mode stop", &c, &pos, &eb) == 0 && c.choice == 1, "enum");
	done(&c, &pos);
	ok(parse("--mode halt", &c, &pos, &eb) == -1 &&
		   strstr(eb.msg, "'halt' is not one of skip, stop") != NULL,
	   "bad enum names the choices: %s", eb.msg);
	done(&c, &pos);
	ok(parse("--bogus", &c, &pos, &eb) == -1 &&
		   strstr(eb.msg, "unknown option '--bogus'") != NULL,
	   "unknown long option");
	done(&c, &pos);
	ok(parse("-z", &c, &pos, &eb) == -1, "unknown short option");
	done(&c, &pos);
	ok(parse("-n", &c, &pos, &eb) == -1 && strstr(eb.msg, "needs a value"),
	   "missing value: %s", eb.msg);
	done(&c, &pos);
	ok(parse("-n -3", &c, &pos, &eb) == -1, "negative count refused");
	done(&c, &pos);
	ok(parse("-n 99999999999999999999999", &c, &pos, &eb) == -1 &&
		   strstr(eb.msg, "too large"),
	   "overflowing count refused: %s", eb.msg);
	done(&c, &pos);
	ok(parse("--flag=1", &c, &pos, &eb) == -1,
	   "boolean with =value refused");
	done(&c, &pos);
	ok(parse("--no-num", &c, &pos, &eb) == -1, "--no- on a valued option");
	done(&c, &pos);
	ok(parse("--to=", &c, &pos, &eb) == -1, "empty target refused");
	done(&c, &pos);
	ok(parse("--arg x hello --argjson y [1,2]", &c, &pos, &eb) == 0 &&
		   json_is_string(json_object_get(c.args, "x")) &&
		   json_array_size(json_object_get(c.args, "y")) == 2,
	   "--arg and --argjson");
	done(&c, &pos);
	ok(parse("--argjson y {", &c, &pos, &eb) == -1 &&
		   strstr(eb.msg, "invalid JSON"),
	   "--argjson with bad JSON: %s", eb.msg);
	done(&c, &pos);
	ok(parse("--arg x", &c, &pos, &eb) == -1, "--arg needs two words");
	done(&c, &pos);
	ok(parse("--size 64k --every 250ms", &c, &pos, &eb) == 0 &&
		   c.size == 65536 && c.dur == 250000000,
	   "size and duration values");
	done(&c, &pos);

	ok(strcmp(printed(opt_print_usage, NULL),
		  " -r N/DUR [--no-format] [--enum-max N] [-m M] "
		  "[--arg NAME VALUE]... [--argjson NAME JSON]...") == 0,
	   "usage: required, --no-, repeatable: '%s'",
	   printed(opt_print_usage, NULL));
	ok(strcmp(printed(opt_print_usage, "compat"),
		  " -r N/DUR [--no-format] [-m M] [--arg NAME VALUE]... "
		  "[--argjson NAME JSON]...") == 0,
	   "usage of a subcommand leaves out another's options");
	ok(strcmp(printed(opt_print_words, "infer"),
		  "--rate\n-r\n--format\n--enum-max\n--arg\n--argjson\n") == 0,
	   "completion words of a subcommand");
	ok(strstr(printed(opt_print_words, NULL), "--mode\n-m\n") &&
		   strstr(printed(opt_print_words, NULL), "--enum-max\n"),
	   "completion words of every subcommand");

	ok(parse_size("1G", &u, &eb) == 0 && u == 1ULL << 30, "1G");
	ok(parse_size("16MB", &u, &eb) == 0 && u == 16ULL << 20, "16MB");
	ok(parse_size("0", &u, &eb) == 0 && u == 0, "0");
	ok(parse_size("12x", &u, &eb) == -1, "bad suffix");
	ok(parse_size("", &u, &eb) == -1, "empty size");
	ok(parse_size("99999999999999999999", &u, &eb) == -1, "size overflow");
	ok(parse_size("17179869184G", &u, &eb) == -1,
	   "size overflow by suffix");
	ok(parse_duration("1.5s", &d, &eb) == 0 && d == 1500000000, "1.5s");
	ok(parse_duration("2", &d, &eb) == 0 && d == 2000000000,
	   "bare seconds");
	ok(parse_duration("1m", &d, &eb) == 0 && d == 60000000000LL, "1m");
	ok(parse_duration("10us", &d, &eb) == 0 && d == 10000, "10us");
	ok(parse_duration("1d", &d, &eb) == 0 && d == 86400000000000LL, "1d");
	ok(parse_duration("ms", &d, &eb) == -1, "no number");
	ok(parse_duration("5y", &d, &eb) == -1, "unknown unit");
	ok(parse_duration("-1s", &d, &eb) == -1, "negative");
	ok(parse_duration("999999999999d", &d, &eb) == -1, "too long");
	return done_testing();
}
