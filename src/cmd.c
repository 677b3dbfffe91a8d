/*
 * cmd.c -- the command table, global options, help and completion words.
 *
 * Command names are matched exactly (plus explicit aliases): no prefix
 * matching, so adding a command never changes what a script means.
 */
#include <stddef.h>
#include <string.h>

#include "cmd.h"
#include "sink/encoder.h"
#include "sink/target.h"
#include "pipeline.h"
#include "source/reader.h"

extern const struct stage_entry stage_cat, stage_head, stage_tee, stage_filter,
	stage_map;
extern const struct stage_entry stage_validate, stage_schema, stage_stats;
extern const struct stage_entry stage_batch;
extern const struct stage_entry stage_replay;
extern const struct stage_entry stage_route, stage_split;
extern const struct stage_entry stage_dedup, stage_sample, stage_throttle,
	stage_sort;

const struct stage_entry *const stage_table[] = {
	&stage_cat,    &stage_filter,	&stage_map,   &stage_head,
	&stage_tee,    &stage_validate, &stage_batch, &stage_schema,
	&stage_stats,  &stage_route,	&stage_split, &stage_dedup,
	&stage_sample, &stage_throttle, &stage_sort,  &stage_replay,
	NULL,
};

static const char *const on_error_choices[] = { "skip", "stop", NULL };

#define G(f) offsetof(struct globals, f)
const struct opt global_opts[] = {
	{ "output", 'o', OPT_TARGET, G(output), "TARGET",
	  "write events to TARGET instead of stdout", NULL },
	{ "dlq", 0, OPT_TARGET, G(dlq), "TARGET",
	  "write rejected events, with the reason, to TARGET", NULL },
	{ "on-error", 0, OPT_ENUM, G(on_error), "skip|stop",
	  "after a rejected event: go on (skip, default) or stop",
	  on_error_choices },
	{ "max-line", 0, OPT_SIZE, G(max_line), "SIZE",
	  "reject lines longer than SIZE (default 16M)", NULL },
	{ "from", 0, OPT_ENUM, G(from), "FORMAT",
	  "read inputs as ndjson (default), json, json-seq, csv, tsv or "
	  "logfmt",
	  in_format_names },
	{ "to", 0, OPT_ENUM, G(to), "FORMAT",
	  "write the output as ndjson (default), json, json-seq, csv, tsv "
	  "or pretty",
	  out_format_names },
	{ "csv-types", 0, OPT_BOOL, G(csv_types), NULL,
	  "read numbers and true/false in csv, tsv and logfmt fields as "
	  "JSON values, not strings",
	  NULL },
	{ "line-buffered", 0, OPT_BOOL, G(line_buffered), NULL,
	  "write out every event at once", NULL },
	{ "follow", 'F', OPT_BOOL, G(follow), NULL,
	  "follow the input files as they grow and rotate, like tail -F",
	  NULL },
	{ "from-end", 0, OPT_BOOL, G(from_end), NULL,
	  "with -F: start at the end of each file, not at its start", NULL },
	{ "checkpoint", 0, OPT_STRING, G(checkpoint), "FILE",
	  "with -F: keep where each file was delivered up to in FILE", NULL },
	{ "listen", 'i', OPT_STRLIST, G(listen), "ADDRESS",
	  "also read events sent to ADDRESS (repeatable)", NULL },
	{ "max-clients", 0, OPT_UINT, G(max_clients), "N",
	  "serve at most N clients at once over all listeners (default 256)",
	  NULL },
	{ "client-buffers", 0, OPT_SIZE, G(client_buffers), "SIZE",
	  "let listener clients hold at most SIZE in buffers together; past "
	  "it the one with the longest unfinished line is closed (default "
	  "256M)",
	  NULL },
	{ "linger", 0, OPT_DURATION, G(linger), "DUR",
	  "at the end, keep trying socket targets for DUR before "
	  "dead-lettering what they did not take (default 5s)",
	  NULL },
	{ "kafka-config", 0, OPT_STRING, G(kafka_config), "FILE",
	  "read librdkafka properties for kafka:// targets from FILE "
	  "(KEY=VALUE lines)",
	  NULL },
	{ "kafka-set", 0, OPT_STRLIST, G(kafka_set), "KEY=VALUE",
	  "set a librdkafka property for kafka:// targets (repeatable)", NULL },
	{ "nats-creds", 0, OPT_STRING, G(nats_creds), "FILE",
	  "authenticate to nats:// servers with the credentials FILE", NULL },
	{ "nats-nkey", 0, OPT_STRING, G(nats_nkey), "FILE",
	  "authenticate to nats:// servers with the NKey seed in FILE", NULL },
	{ "nats-token-file", 0, OPT_STRING, G(nats_token_file), "FILE",
	  "authenticate to nats:// servers with the token in FILE", NULL },
	{ "nats-tls-ca", 0, OPT_STRING, G(nats_tls_ca), "FILE",
	  "use TLS to nats:// servers, trusting the CAs in FILE", NULL },
	{ "nats-tls-cert", 0, OPT_STRING, G(nats_tls_cert), "FILE",
	  "present the TLS client certificate in FILE to nats:// servers",
	  NULL },
	{ "nats-tls-key", 0, OPT_STRING, G(nats_tls_key), "FILE",
	  "the private key of --nats-tls-cert", NULL },
	{ "arg", 0, OPT_NAMEVAL, G(named_args), "NAME VALUE",
	  "set $NAME to the string VALUE in expressions", NULL },
	{ "argjson", 0, OPT_NAMEVAL, G(named_args), "NAME JSON",
	  "set $NAME to the JSON value in expressions", NULL },
	{ "quiet", 'q', OPT_BOOL, G(quiet), NULL,
	  "do not report rejected events or warnings on stderr", NULL },
	{ "verbose", 'v', OPT_BOOL, G(verbose), NULL,
	  "print per-stage counts and time on stderr at exit", NULL },
	{ "progress", 0, OPT_BOOL, G(progress), NULL,
	  "show progress on stderr (default: big files, on a terminal)", NULL },
	{ "help", 'h', OPT_BOOL, G(help), NULL, "show help and exit", NULL },
	{ "version", 'V', OPT_BOOL, G(version), NULL,
	  "show the version and exit", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL },
};
#undef G

const struct stage_entry *
stage_find(const char *name)
{
	const struct stage_entry *const *e;

	for (e = stage_table; *e; e++)
		if (strcmp((*e)->name, name) == 0 ||
		    ((*e)->alias && strcmp((*e)->alias, name) == 0))
			return *e;
	return NULL;
}

void
cmd_print_usage(FILE *fp)
{
	const struct stage_entry *const *e;

	fputs("usage: evpipe [OPTIONS] COMMAND [ARGS] [then COMMAND [ARGS]]... "
	      "[INPUT...]\n"
	      "Read newline-delimited JSON events from INPUT files (or stdin), "
	      "pass them\nthrough the chained commands and write them out.\n\n"
	      "commands:\n",
	      fp);
	for (e = stage_table; *e; e++)
		fprintf(fp, "  %-10s  %s\n", (*e)->name, (*e)->summary);
	fputs("  run         run the pipeline written in a file\n"
	      "  help        show help for a command\n\n"
	      "options (anywhere on the line):\n",
	      fp);
	opt_print_help(global_opts, fp);
	fputs("\nTARGET is -, PATH, PATH.gz, exec:COMMAND, tcp://HOST:PORT, "
	      "unix:PATH,\nkafka://HOST:PORT/TOPIC or nats://HOST:PORT/SUBJECT "
	      "(evpipe-brokers(7)).\n"
	      "ADDRESS is tcp://HOST:PORT, unix:PATH or udp://HOST:PORT.\n"
	      "See 'evpipe help COMMAND' and the manual, evpipe(1).\n",
	      fp);
}

void
cmd_print_stage_help(const struct stage_entry *e, FILE *fp)
{
	fprintf(fp, "usage: evpipe %s%s%s\n%s", e->name,
		e->usage && *e->usage ? " " : "", e->usage ? e->usage : "",
		e->summary);
	if (e->alias)
		fprintf(fp, " (alias: %s)", e->alias);
	fputs("\n", fp);
	if (e->opts && e->opts[0].lname) {
		fputs("\noptions:\n", fp);
		opt_print_help(e->opts, fp);
	}
	fprintf(fp,
		"\nGlobal options are listed by 'evpipe --help'; "
		"see evpipe-%s(1).\n",
		e->name);
}

/* Does help text h name subcommand sub ("compat: ...", "; compat: ...")? */
static int
help_names(const char *h, const char *sub)
{
	size_t n = strlen(sub);
	const char *p;

	for (p = h; (p = strstr(p, sub)) != NULL; p += n)
		if ((p == h || p[-1] == ' ') && p[n] == ':')
			return 1;
	return 0;
}

/*
 * Print the options of st that belong with subcommand sub: those whose
 * help names no subcommand, or names sub.  An unknown sub gets them all.
 */
static void
complete_sub_options(const struct stage_entry *st, const char *sub)
{
	const struct opt *o;
	size_t i;
	int known = 0;

	for (i = 0; st->subcommands[i]; i++)
		known |= strcmp(st->subcommands[i], sub) == 0;
	for (o = st->opts; o && o->lname; o++) {
		int named = 0;

		for (i = 0; known && st->subcommands[i]; i++)
			named |= help_names(o->help, st->subcommands[i]);
		if (named && !help_names(o->help, sub))
			continue;
		printf("--%s\n", o->lname);
		if (o->sname)
			printf("-%c\n", o->sname);
	}
}

int
cmd_complete(int argc, char **argv)
{
	const struct stage_entry *const *e;
	const struct opt *o;

	if (argc < 1)
		return STATUS_USAGE;
	if (strcmp(argv[0], "commands") == 0) {
		for (e = stage_table; *e; e++) {
			printf("%s\n", (*e)->name);
			if ((*e)->alias)
				printf("%s\n", (*e)->alias);
		}
		printf("run\nhelp\n");
		return STATUS_OK;
	}
	if (strcmp(argv[0], "global") == 0) {
		opt_print_words(global_opts, stdout);
		return STATUS_OK;
	}
	if (strcmp(argv[0], "options") == 0 && argc >= 2) {
		/* options CMD [SUB]: SUB narrows to the subcommand's own */
		const struct stage_entry *st = stage_find(argv[1]);

		if (st == NULL)
			return STATUS_USAGE;
		if (argc >= 3 && st->subcommands)
			complete_sub_options(st, argv[2]);
		else
			opt_print_words(st->opts, stdout);
		return STATUS_OK;
	}
	if (strcmp(argv[0], "subcommands") == 0 && argc >= 2) {
		const struct stage_entry *st = stage_find(argv[1]);
		size_t i;

		if (st == NULL)
			return STATUS_USAGE;
		for (i = 0; st->subcommands && st->subcommands[i]; i++)
			printf("%s\n", st->subcommands[i]);
		return STATUS_OK;
	}
	if (strcmp(argv[0], "targets") == 0) {
		target_print_schemes(stdout);
		return STATUS_OK;
	}
	if (strcmp(argv[0], "choices") == 0 && argc >= 2) {
		/* choices OPT [CMD]: values of an enum option, or its kind */
		const struct stage_entry *st =
			argc >= 3 ? stage_find(argv[2]) : NULL;
		const char *name = argv[1];

		while (*name == '-')
			name++;
		o = NULL;
		if (st)
			o = opt_find(st->opts, strlen(name) > 1 ? name : NULL,
				     strlen(name) == 1 ? name[0] : 0);
		if (o == NULL)
			o = opt_find(global_opts,
				     strlen(name) > 1 ? name : NULL,
				     strlen(name) == 1 ? name[0] : 0);
		if (o == NULL)
			return STATUS_USAGE;
		if (o->type == OPT_ENUM) {
			size_t i;

			for (i = 0; o->choices[i]; i++)
				printf("%s\n", o->choices[i]);
		} else if (o->type == OPT_TARGET) {
			printf("@target\n");
		} else if (o->type == OPT_NAMEVAL) {
			printf("@nameval\n");
		} else if (o->type == OPT_BOOL) {
			printf("@none\n");
		} else {
			printf("@value\n");
		}
		return STATUS_OK;
	}
	return STATUS_USAGE;
}
