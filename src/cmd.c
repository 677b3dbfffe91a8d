/*
 * cmd.c -- the command tables (the stages; run, help and the subcommands
 * of schema), the global options, help and completion words.
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
extern const struct stage_entry stage_batch, stage_aggregate;
extern const struct stage_entry stage_replay;
extern const struct stage_entry stage_route, stage_split;
extern const struct stage_entry stage_dedup, stage_sample, stage_throttle,
	stage_sort;

static const struct stage_entry *const stage_table[] = {
	&stage_cat,    &stage_filter,	 &stage_map,
	&stage_head,   &stage_tee,	 &stage_validate,
	&stage_batch,  &stage_schema,	 &stage_stats,
	&stage_route,  &stage_split,	 &stage_dedup,
	&stage_sample, &stage_throttle,	 &stage_sort,
	&stage_replay, &stage_aggregate, NULL,
};

/* The commands that are not stages, then the subcommands (cmd.h). */
static const struct cmd_entry cmd_table[] = {
	{ NULL, "run", "run the pipeline written in a file",
	  "run the pipeline written in FILE: global options, then one "
	  "command a line",
	  "FILE [INPUT...]", 0, 0 },
	{ NULL, "help", "show help for a command", NULL, "[COMMAND]", 0, 0 },
	{ "schema", "infer", "a JSON Schema from the events", NULL, "", 1, 0 },
	{ "schema", "compat", "is a schema change compatible?", NULL, "OLD NEW",
	  3, 1 },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0 },
};

static const char *const on_error_choices[] = { "skip", "stop", NULL };
static const char *const reject_status_choices[] = { "200", "400", NULL };

#define G(f) offsetof(struct globals, f)
const struct opt global_opts[] = {
	{ "output", 'o', OPT_TARGET, G(output), "TARGET",
	  "write events to TARGET instead of stdout", NULL, NULL, 0 },
	{ "append", 0, OPT_BOOL, G(append), NULL,
	  "append to the -o file instead of replacing it (ndjson and "
	  "json-seq only)",
	  NULL, NULL, 0 },
	{ "mkdir", 0, OPT_BOOL, G(mkdir), NULL,
	  "create the missing directories of an -o template's files", NULL,
	  NULL, 0 },
	{ "dlq", 0, OPT_TARGET, G(dlq), "TARGET",
	  "write rejected events, with the reason, to TARGET", NULL, NULL, 0 },
	{ "on-error", 0, OPT_ENUM, G(on_error), "skip|stop",
	  "after a rejected event: go on (skip, default) or stop",
	  on_error_choices, NULL, 0 },
	{ "max-line", 0, OPT_SIZE, G(max_line), "SIZE",
	  "reject lines longer than SIZE (default 16M)", NULL, NULL, 0 },
	{ "from", 0, OPT_ENUM, G(from), "FORMAT",
	  "read inputs as ndjson (default), json, json-seq, csv, tsv, "
	  "logfmt, lines, combined (access logs) or syslog",
	  in_format_names, NULL, 0 },
	{ "raw-input", 'R', OPT_BOOL, G(raw_input), NULL,
	  "read each input line as one JSON string (--from lines)", NULL, NULL,
	  0 },
	{ "to", 0, OPT_ENUM, G(to), "FORMAT",
	  "write the output as ndjson (default), json, json-seq, csv, tsv "
	  "or pretty",
	  out_format_names, NULL, 0 },
	{ "fields", 0, OPT_STRING, G(fields), "A,B.C,...",
	  "with --to csv or tsv: these columns, not the keys of the first "
	  "1000 events",
	  NULL, NULL, 0 },
	{ "csv-types", 0, OPT_BOOL, G(csv_types), NULL,
	  "read numbers and true/false in csv, tsv and logfmt fields as "
	  "JSON values, not strings",
	  NULL, NULL, 0 },
	{ "raw-output", 'r', OPT_BOOL, G(raw_output), NULL,
	  "write an event that is a string as its text, without quotes", NULL,
	  NULL, 0 },
	{ "join-output", 'j', OPT_BOOL, G(join_output), NULL,
	  "as -r, and no newline after each event", NULL, NULL, 0 },
	{ "color-output", 'C', OPT_BOOL, G(color), NULL,
	  "colour the JSON output, also when it is not a terminal", NULL, NULL,
	  0 },
	{ "monochrome-output", 'M', OPT_BOOL, G(no_color), NULL,
	  "never colour the output (default: colour on a terminal unless "
	  "NO_COLOR is set)",
	  NULL, NULL, 0 },
	{ "line-buffered", 0, OPT_BOOL, G(line_buffered), NULL,
	  "write out every event at once", NULL, NULL, 0 },
	{ "follow", 'F', OPT_BOOL, G(follow), NULL,
	  "follow the input files as they grow and rotate, like tail -F", NULL,
	  NULL, 0 },
	{ "from-end", 0, OPT_BOOL, G(from_end), NULL,
	  "with -F: start at the end of each file, not at its start", NULL,
	  NULL, 0 },
	{ "checkpoint", 0, OPT_STRING, G(checkpoint), "FILE",
	  "with -F: keep where each file was delivered up to in FILE", NULL,
	  NULL, 0 },
	{ "listen", 'i', OPT_STRLIST, G(listen), "ADDRESS",
	  "also read events sent to ADDRESS (repeatable)", NULL, NULL, 0 },
	{ "max-clients", 0, OPT_UINT, G(max_clients), "N",
	  "serve at most N clients at once over all listeners (default 256)",
	  NULL, NULL, 0 },
	{ "client-buffers", 0, OPT_SIZE, G(client_buffers), "SIZE",
	  "let listener clients hold at most SIZE in buffers together; past "
	  "it the one with the longest unfinished line is closed (default "
	  "256M)",
	  NULL, NULL, 0 },
	{ "socket-mode", 0, OPT_STRING, G(socket_mode), "MODE",
	  "create unix listener sockets with the octal MODE (default 0600)",
	  NULL, NULL, 0 },
	{ "linger", 0, OPT_DURATION, G(linger), "DUR",
	  "at the end, keep trying socket targets for DUR before "
	  "dead-lettering what they did not take (default 5s)",
	  NULL, NULL, 0 },
	{ "kafka-config", 0, OPT_STRING, G(kafka_config), "FILE",
	  "read librdkafka properties for kafka:// targets and sources "
	  "from FILE "
	  "(KEY=VALUE lines)",
	  NULL, NULL, 0 },
	{ "kafka-set", 0, OPT_STRLIST, G(kafka_set), "KEY=VALUE",
	  "set a librdkafka property for kafka:// targets and sources "
	  "(repeatable)",
	  NULL, NULL, 0 },
	{ "nats-creds", 0, OPT_STRING, G(nats_creds), "FILE",
	  "authenticate to nats:// servers with the credentials FILE", NULL,
	  NULL, 0 },
	{ "nats-nkey", 0, OPT_STRING, G(nats_nkey), "FILE",
	  "authenticate to nats:// servers with the NKey seed in FILE", NULL,
	  NULL, 0 },
	{ "nats-token-file", 0, OPT_STRING, G(nats_token_file), "FILE",
	  "authenticate to nats:// servers with the token in FILE", NULL, NULL,
	  0 },
	{ "nats-tls-ca", 0, OPT_STRING, G(nats_tls_ca), "FILE",
	  "use TLS to nats:// servers, trusting the CAs in FILE", NULL, NULL,
	  0 },
	{ "nats-tls-cert", 0, OPT_STRING, G(nats_tls_cert), "FILE",
	  "present the TLS client certificate in FILE to nats:// servers", NULL,
	  NULL, 0 },
	{ "nats-tls-key", 0, OPT_STRING, G(nats_tls_key), "FILE",
	  "the private key of --nats-tls-cert", NULL, NULL, 0 },
	{ "nats-js-domain", 0, OPT_STRING, G(nats_js_domain), "NAME",
	  "reach JetStream of nats:// targets and sources in the domain NAME "
	  "($JS.NAME.API, e.g. a leaf node's hub)",
	  NULL, NULL, 0 },
	{ "nats-js-prefix", 0, OPT_STRING, G(nats_js_prefix), "PREFIX",
	  "reach JetStream of nats:// targets and sources at the API prefix "
	  "PREFIX, not $JS.API (an account's import)",
	  NULL, NULL, 0 },
	{ "http-batch", 0, OPT_UINT, G(http.batch), "N",
	  "send at most N events per request to http:// targets (default "
	  "1000)",
	  NULL, NULL, 0 },
	{ "http-batch-bytes", 0, OPT_SIZE, G(http.batch_bytes), "SIZE",
	  "close an http:// request body before it grows past SIZE (default "
	  "4M)",
	  NULL, NULL, 0 },
	{ "http-batch-age", 0, OPT_DURATION, G(http.batch_age), "DUR",
	  "while the input is busy, send what waits for an http:// target "
	  "after DUR",
	  NULL, NULL, 0 },
	{ "http-format", 0, OPT_ENUM, G(http.format), "ndjson|array",
	  "the body of http:// requests: NDJSON (default) or a JSON array",
	  http_format_names, NULL, 0 },
	{ "http-gzip", 0, OPT_BOOL, G(http.gzip), NULL,
	  "gzip the body of http:// requests", NULL, NULL, 0 },
	{ "http-header", 0, OPT_STRLIST, G(http.header), "'NAME: VALUE'",
	  "add a header to http:// requests (repeatable; no secrets: see "
	  "--http-header-file)",
	  NULL, NULL, 0 },
	{ "http-header-file", 0, OPT_STRING, G(http.header_file), "FILE",
	  "add the headers of FILE ('NAME: VALUE' lines) to http:// requests",
	  NULL, NULL, 0 },
	{ "http-header-env", 0, OPT_STRLIST, G(http.header_env), "NAME=VAR",
	  "add header NAME with the value of the environment variable VAR "
	  "(repeatable)",
	  NULL, NULL, 0 },
	{ "http-parallel", 0, OPT_UINT, G(http.parallel), "N",
	  "keep up to N http:// requests in flight (default 1: in order)", NULL,
	  NULL, 0 },
	{ "http-timeout", 0, OPT_DURATION, G(http.timeout), "DUR",
	  "give up an http:// request attempt after DUR (default 30s)", NULL,
	  NULL, 0 },
	{ "http-retries", 0, OPT_UINT, G(http.retries), "N",
	  "retry a failed http:// request N times (default 5)", NULL, NULL, 0 },
	{ "http-backoff", 0, OPT_DURATION, G(http.backoff), "DUR",
	  "wait about DUR before the first http:// retry, doubling (default "
	  "200ms)",
	  NULL, NULL, 0 },
	{ "http-cacert", 0, OPT_STRING, G(http.cacert), "FILE",
	  "verify https:// servers with the CA certificates in FILE", NULL,
	  NULL, 0 },
	{ "http-insecure", 0, OPT_BOOL, G(http.insecure), NULL,
	  "do not verify the certificate of https:// servers", NULL, NULL, 0 },
	{ "tls-cert", 0, OPT_STRING, G(tls_cert), "FILE",
	  "serve https:// listeners with the TLS certificate in FILE (PEM)",
	  NULL, NULL, 0 },
	{ "tls-key", 0, OPT_STRING, G(tls_key), "FILE",
	  "the private key of --tls-cert (PEM)", NULL, NULL, 0 },
	{ "http-token-file", 0, OPT_STRING, G(http_token_file), "FILE",
	  "http:// listeners answer 401 to requests without "
	  "\"Authorization: Bearer TOKEN\", the token in FILE",
	  NULL, NULL, 0 },
	{ "http-hmac-file", 0, OPT_STRING, G(http_hmac_file), "FILE",
	  "http:// listeners check the HMAC-SHA256 of each body with the "
	  "key in FILE (401 if wrong)",
	  NULL, NULL, 0 },
	{ "http-hmac-header", 0, OPT_STRING, G(http_hmac_header), "NAME",
	  "the header holding the signature (default X-Hub-Signature-256: "
	  "sha256=HEX)",
	  NULL, NULL, 0 },
	{ "http-max-body", 0, OPT_SIZE, G(http_max_body), "SIZE",
	  "http:// listeners answer 413 to a body over SIZE, inflated or "
	  "not (default 16M)",
	  NULL, NULL, 0 },
	{ "http-inflight", 0, OPT_SIZE, G(http_inflight), "SIZE",
	  "http:// listeners answer 429 while the bodies not yet answered "
	  "take SIZE (default 64M)",
	  NULL, NULL, 0 },
	{ "http-reject-status", 0, OPT_ENUM, G(http_reject_status), "200|400",
	  "answer a request with rejected events 200 (default) or 400",
	  reject_status_choices, NULL, 0 },
	{ "http-metrics", 0, OPT_BOOL, G(http_metrics), NULL,
	  "http:// listeners answer GET /metrics (Prometheus text)", NULL, NULL,
	  0 },
	OPT_NAMED_ARGS(G(named_args), " in expressions"),
	{ "quiet", 'q', OPT_BOOL, G(quiet), NULL,
	  "do not report rejected events or warnings on stderr", NULL, NULL,
	  0 },
	{ "verbose", 'v', OPT_BOOL, G(verbose), NULL,
	  "print per-stage counts and time on stderr at exit", NULL, NULL, 0 },
	{ "progress", 0, OPT_BOOL, G(progress), NULL,
	  "show progress on stderr (default: big files, on a terminal)", NULL,
	  NULL, 0 },
	{ "help", 'h', OPT_BOOL, G(help), NULL, "show help and exit", NULL,
	  NULL, 0 },
	{ "version", 'V', OPT_BOOL, G(version), NULL,
	  "show the version and exit", NULL, NULL, 0 },
	OPT_END,
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

const char *
cmd_suggest(const char *word, char *out, size_t n)
{
	const struct stage_entry *const *e;
	const struct cmd_entry *c;
	struct suggest sg;

	suggest_init(&sg, word);
	for (e = stage_table; *e; e++) {
		suggest_add(&sg, (*e)->name);
		if ((*e)->alias)
			suggest_add(&sg, (*e)->alias);
	}
	for (c = cmd_table; c->name; c++)
		if (c->stage == NULL)
			suggest_add(&sg, c->name);
	return suggest_text(&sg, out, n);
}

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *c;

	for (c = cmd_table; c->name; c++)
		if (c->stage == NULL && strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct cmd_entry *
cmd_find_sub(const struct stage_entry *e, const char *word)
{
	const struct cmd_entry *c;

	for (c = cmd_table; c->name; c++)
		if (c->stage && strcmp(c->stage, e->name) == 0 &&
		    strcmp(c->name, word) == 0)
			return c;
	return NULL;
}

/* Does stage e have subcommands? */
static int
has_subs(const struct stage_entry *e)
{
	const struct cmd_entry *c;

	for (c = cmd_table; c->name; c++)
		if (c->stage && strcmp(c->stage, e->name) == 0)
			return 1;
	return 0;
}

void
cmd_print_usage(FILE *fp)
{
	const struct stage_entry *const *e;
	const struct cmd_entry *c;

	fputs("usage: evpipe [OPTIONS] COMMAND [ARGS] [then COMMAND [ARGS]]... "
	      "[INPUT...]\n"
	      "Read newline-delimited JSON events from INPUT files (or stdin), "
	      "pass them\nthrough the chained commands and write them out.\n\n"
	      "commands:\n",
	      fp);
	for (e = stage_table; *e; e++)
		fprintf(fp, "  %-10s  %s\n", (*e)->name, (*e)->summary);
	for (c = cmd_table; c->name; c++)
		if (c->stage == NULL)
			fprintf(fp, "  %-10s  %s\n", c->name, c->summary);
	fputs("\noptions (anywhere on the line):\n", fp);
	opt_print_help(global_opts, fp);
	fputs("\nTARGET is -, PATH, PATH.gz, exec:COMMAND, tcp://HOST:PORT, "
	      "unix:PATH,\n"
	      "kafka://HOST:PORT/TOPIC[?key={EXPR}][&header=NAME:{EXPR}...],\n"
	      "nats://HOST:PORT/SUBJECT (evpipe-brokers(7)) or\n"
	      "http[s]://HOST[:PORT]/PATH[/{EXPR}...] (evpipe-http(7)).\n"
	      "ADDRESS is tcp://HOST:PORT, unix:PATH, udp://HOST:PORT,\n"
	      "kafka://HOST:PORT/TOPIC?group=NAME or\n"
	      "nats://HOST:PORT/STREAM?consumer=NAME (evpipe-brokers(7)).\n"
	      "See 'evpipe help COMMAND' and the manual, evpipe(1).\n",
	      fp);
}

/* One usage line: "evpipe NAME [SUB] OPTIONS ARGS". */
static void
print_usage_line(const struct stage_entry *e, const char *sub, const char *args,
		 FILE *fp)
{
	fprintf(fp, "evpipe %s%s%s", e->name, sub ? " " : "", sub ? sub : "");
	opt_print_usage(e->opts, sub, fp);
	if (args && *args)
		fprintf(fp, " %s", args);
	fputs("\n", fp);
}

void
cmd_print_stage_usage(const struct stage_entry *e, FILE *fp)
{
	const struct cmd_entry *c;
	const char *lead = "usage: ";

	if (!has_subs(e)) {
		fputs(lead, fp);
		print_usage_line(e, NULL, e->args, fp);
		return;
	}
	for (c = cmd_table; c->name; c++) {
		if (c->stage == NULL || strcmp(c->stage, e->name) != 0)
			continue;
		fputs(lead, fp);
		print_usage_line(e, c->name, c->args, fp);
		lead = "       ";
	}
}

void
cmd_print_stage_help(const struct stage_entry *e, FILE *fp)
{
	cmd_print_stage_usage(e, fp);
	fputs(e->summary, fp);
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

void
cmd_print_help(const struct cmd_entry *c, FILE *fp)
{
	fprintf(fp, "usage: evpipe %s %s\n%s\n", c->name, c->args,
		c->about ? c->about : c->summary);
	if (strcmp(c->name, "run") == 0)
		fputs("\nGlobal options are listed by 'evpipe --help'; "
		      "see evpipe-run(1).\n",
		      fp);
}

int
cmd_complete(int argc, char **argv)
{
	const struct stage_entry *const *e;
	const struct cmd_entry *c;
	const struct opt *o;

	if (argc < 1)
		return STATUS_USAGE;
	if (strcmp(argv[0], "commands") == 0) {
		for (e = stage_table; *e; e++) {
			printf("%s\n", (*e)->name);
			if ((*e)->alias)
				printf("%s\n", (*e)->alias);
		}
		for (c = cmd_table; c->name; c++)
			if (c->stage == NULL)
				printf("%s\n", c->name);
		return STATUS_OK;
	}
	if (strcmp(argv[0], "global") == 0) {
		opt_print_words(global_opts, NULL, stdout);
		return STATUS_OK;
	}
	if (strcmp(argv[0], "options") == 0 && argc >= 2) {
		/* options CMD [SUB]: SUB narrows to the subcommand's own */
		const struct stage_entry *st = stage_find(argv[1]);
		const struct cmd_entry *sub;

		if (st == NULL)
			return STATUS_USAGE;
		sub = argc >= 3 ? cmd_find_sub(st, argv[2]) : NULL;
		opt_print_words(st->opts, sub ? sub->name : NULL, stdout);
		return STATUS_OK;
	}
	if (strcmp(argv[0], "subcommands") == 0 && argc >= 2 &&
	    strcmp(argv[1], "help") == 0) {
		/* "evpipe help COMMAND": the commands are its words */
		for (e = stage_table; *e; e++)
			printf("%s\n", (*e)->name);
		for (c = cmd_table; c->name; c++)
			if (c->stage == NULL && strcmp(c->name, "help") != 0)
				printf("%s\n", c->name);
		return STATUS_OK;
	}
	if (strcmp(argv[0], "subcommands") == 0 && argc >= 2) {
		const struct stage_entry *st = stage_find(argv[1]);

		if (st == NULL)
			return STATUS_USAGE;
		for (c = cmd_table; c->name; c++)
			if (c->stage && strcmp(c->stage, st->name) == 0)
				printf("%s\n", c->name);
		return STATUS_OK;
	}
	if (strcmp(argv[0], "targets") == 0) {
		target_print_schemes(stdout);
		return STATUS_OK;
	}
	if (strcmp(argv[0], "addresses") == 0) {
		/* what -i takes: listeners, broker and HTTP sources */
		fputs("tcp://\nunix:\nudp://\nkafka://\nnats://\nnats+tls://\n"
		      "http://\nhttps://\n",
		      stdout);
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
		} else if (o->arg && strcmp(o->arg, "ADDRESS") == 0) {
			printf("@address\n");
		} else if (o->type == OPT_STRING && o->arg &&
			   (strcmp(o->arg, "FILE") == 0 ||
			    strcmp(o->arg, "SCHEMA") == 0)) {
			printf("@file\n");
		} else {
			printf("@value\n");
		}
		return STATUS_OK;
	}
	return STATUS_USAGE;
}
