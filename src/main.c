/*
 * main.c -- the command line: global options, the chain of commands
 * separated by "then", input files; and the exit status.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "lib/errbuf.h"
#include "sink/encoder.h"
#include "sink/http-dst.h"
#include "source/reader.h"
#include "source/source.h"
#include "sink/target.h"
#include "json/jnum.h"
#include "json/json-scan.h"
#include "pipefile.h"
#include "pipeline.h"
#include "lib/xmalloc.h"

#define DEFAULT_MAX_LINE       (16ULL << 20)
#define DEFAULT_MAX_CLIENTS    256
#define DEFAULT_HTTP_MAX_BODY  (16ull << 20)
#define DEFAULT_HTTP_INFLIGHT  (64ull << 20)
#define DEFAULT_CLIENT_BUFFERS (256u << 20)

ATTR_PRINTF(1, 2) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("evpipe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	return STATUS_USAGE;
}

/* Parse one stage's words (up to "then"); 0 or an exit status. */
static int
parse_stage(struct globals *g, struct stage_spec *spec, int argc, char **argv,
	    int last, struct strlist *inputs)
{
	const struct stage_entry *e = spec->entry;
	const struct cmd_entry *sub;
	struct strlist pos = { NULL, 0 };
	struct errbuf eb = { 0 };
	size_t k, want;
	int i = 0, r, dashdash = 0;

	while (i < argc) {
		if (!dashdash && strcmp(argv[i], "--") == 0) {
			dashdash = 1;
			i++;
			continue;
		}
		if (!dashdash) {
			const struct opt *old = opt_retired(e->opts, argv[i]);

			if (old && !(old->flags & OPT_GLOBAL_OK)) {
				strlist_release(&pos);
				return usage_error("%s: %s", e->name,
						   old->help);
			}
			r = opt_parse_one(e->opts, spec->ctx, argc, argv, &i,
					  &eb);
			if (r == 0)
				r = opt_parse_one(global_opts, g, argc, argv,
						  &i, &eb);
			if (r == -1 && old) {
				strlist_release(&pos);
				return usage_error("%s: %s", e->name,
						   old->help);
			}
			if (r == -1) {
				strlist_release(&pos);
				return usage_error("%s: %s", e->name, eb.msg);
			}
			if (r == 1)
				continue;
			if (argv[i][0] == '-' && argv[i][1] != '\0' &&
			    !opt_is_negative_word(argv[i])) {
				struct suggest sg;
				char hint[160];

				suggest_init(&sg, argv[i]);
				suggest_add_opts(&sg, e->opts);
				suggest_add_opts(&sg, global_opts);
				strlist_release(&pos);
				fprintf(stderr,
					"evpipe: %s: unknown option '%s'%s "
					"(see 'evpipe %s --help')\n",
					e->name, argv[i],
					suggest_text(&sg, hint, sizeof hint),
					e->name);
				return STATUS_USAGE;
			}
		}
		strlist_push(&pos, argv[i++]);
	}
	if (g->version) {
		strlist_release(&pos);
		printf("evpipe %s\n", EVPIPE_VERSION);
		return -1;
	}
	if (g->help) {
		strlist_release(&pos);
		cmd_print_stage_help(e, stdout);
		return -1;
	}
	if (pos.n < (size_t)e->min_args) {
		strlist_release(&pos);
		fprintf(stderr, "evpipe: %s: missing argument\n", e->name);
		cmd_print_stage_usage(e, stderr);
		return STATUS_USAGE;
	}
	want = e->max_args < 0 ? pos.n : (size_t)e->max_args;
	if (pos.n > 0 && (sub = cmd_find_sub(e, pos.v[0])) != NULL) {
		want = (size_t)sub->nargs;
		spec->no_input = sub->no_input;
	}
	if (want > pos.n)
		want = pos.n;
	for (k = 0; k < pos.n; k++) {
		if (k < want)
			strlist_push(&spec->args, pos.v[k]);
		else if (last)
			strlist_push(inputs, pos.v[k]);
		else {
			fprintf(stderr,
				"evpipe: %s: unexpected argument '%s' (input "
				"files go after the last command)\n",
				e->name, pos.v[k]);
			strlist_release(&pos);
			return STATUS_USAGE;
		}
	}
	strlist_release(&pos);
	return 0;
}

static int
help_command(int argc, char **argv)
{
	const struct stage_entry *e;

	if (argc == 0) {
		cmd_print_usage(stdout);
		return STATUS_OK;
	}
	if (cmd_find(argv[0]) != NULL) {
		cmd_print_help(cmd_find(argv[0]), stdout);
		return STATUS_OK;
	}
	e = stage_find(argv[0]);
	if (e == NULL) {
		char hint[160];

		return usage_error("help: unknown command '%s'%s", argv[0],
				   cmd_suggest(argv[0], hint, sizeof hint));
	}
	cmd_print_stage_help(e, stdout);
	return STATUS_OK;
}

/*
 * Parse the global options at argv[*i...] into g; 0 or an exit status
 * (a usage error).
 */
static int
parse_globals(struct globals *g, int argc, char **argv, int *i)
{
	struct errbuf eb = { 0 };

	while (*i < argc && argv[*i][0] == '-' && argv[*i][1] != '\0') {
		int r = opt_parse_one(global_opts, g, argc, argv, i, &eb);

		if (r == -1)
			return usage_error("%s", eb.msg);
		if (r == 0) {
			struct suggest sg;
			char hint[160];

			suggest_init(&sg, argv[*i]);
			suggest_add_opts(&sg, global_opts);
			return usage_error(
				"unknown option '%s'%s (see 'evpipe "
				"--help')",
				argv[*i], suggest_text(&sg, hint, sizeof hint));
		}
	}
	return 0;
}

/*
 * -R, -r, -j, -C, -M and the colour default: set g->from and
 * g->out_flags.  0 or STATUS_USAGE (reported).  Raw text (-r, -j) and
 * colours are for ndjson and pretty output: the other formats have their
 * own framing, which raw strings or escape sequences would break.
 */
static int
output_flags(struct globals *g, const char *out)
{
	const char *nc = getenv("NO_COLOR"), *jc = getenv("JQ_COLORS");
	struct errbuf eb = { 0 };
	int text = g->to == TO_NDJSON || g->to == TO_PRETTY;

	if (g->raw_input) {
		if (g->from != FROM_NDJSON && g->from != FROM_LINES)
			return usage_error("-R reads lines; it cannot go with "
					   "--from %s",
					   in_format_names[g->from]);
		g->from = FROM_LINES;
	}
	g->out_flags = 0;
	if (g->raw_output)
		g->out_flags |= ENC_RAW;
	if (g->join_output)
		g->out_flags |= ENC_RAW | ENC_JOIN;
	if (g->out_flags && !text)
		return usage_error("%s writes text, not --to %s (use it with "
				   "ndjson or pretty output)",
				   g->join_output ? "-j" : "-r",
				   out_format_names[g->to]);
	if (g->no_color)
		return 0;
	if (g->color && !text)
		return usage_error("-C colours JSON text, not --to %s (use it "
				   "with ndjson or pretty output)",
				   out_format_names[g->to]);
	/* As jq: colour on a terminal unless NO_COLOR says no; never in a
	 * file or a pipe unless -C asks. */
	if (g->color || (text && strcmp(out, "-") == 0 && isatty(1) &&
			 (nc == NULL || *nc == '\0')))
		g->out_flags |= ENC_COLOR;
	if ((g->out_flags & ENC_COLOR) && jc &&
	    encoder_set_colors(jc, &eb) == -1) {
		/* jq warns and keeps its defaults */
		fprintf(stderr, "evpipe: warning: %s\n", eb.msg);
	}
	return 0;
}

/*
 * The global options that cannot go together, or cannot be right whatever
 * the commands: all checked here, right after parsing and before any I/O.
 * 0 or STATUS_USAGE (reported).
 */
/*
 * The option that makes this run resume where an earlier one left off
 * (--checkpoint, or a stage's --state such as dedup's), or NULL.
 */
static const char *
resumed_by(const struct globals *g, const struct stage_spec *specs,
	   size_t nspecs)
{
	size_t k;

	if (g->checkpoint)
		return "--checkpoint";
	for (k = 0; k < nspecs; k++) {
		const struct opt *o =
			opt_find(specs[k].entry->opts, "state", 0);

		if (o && o->type == OPT_STRING &&
		    *(const char *const *)((const char *)specs[k].ctx + o->off))
			return "--state";
	}
	return NULL;
}

/*
 * -o FILE replaces the file, as the shell's > does; it appends with
 * --append or in a resumed run, for the formats whose concatenation is
 * still one valid output.  0 or STATUS_USAGE (reported).
 */
static int
check_append(struct globals *g, const char *resumed)
{
	const char *out = g->output.n ? g->output.v[g->output.n - 1] : "-";
	const char *why = g->append ? "--append" : resumed;
	int is_file = strcmp(out, "-") != 0 && strchr(out, '{') == NULL &&
		      strncmp(out, "exec:", 5) != 0 &&
		      strncmp(out, "tcp://", 6) != 0 &&
		      strncmp(out, "udp://", 6) != 0 &&
		      strncmp(out, "unix:", 5) != 0 && !target_is_broker(out);

	if (g->mkdir && !is_file && strchr(out, '{') == NULL)
		return usage_error("--mkdir: only for an -o file or template "
				   "(the output is '%s')",
				   out);
	if (g->append && !is_file)
		return usage_error("--append: only for -o FILE (the output "
				   "is '%s')",
				   out);
	if (why == NULL || !is_file)
		return 0;
	if (g->to != TO_NDJSON && g->to != TO_JSONSEQ)
		return usage_error(
			"-o '%s': %s appends to the file, and --to %s "
			"cannot be appended to (a second %s would follow "
			"the first); use ndjson or json-seq, or another "
			"file per run",
			out, why, out_format_names[g->to],
			g->to == TO_JSON		     ? "array"
			: g->to == TO_CSV || g->to == TO_TSV ? "header"
							     : "document");
	g->append = 1;
	return 0;
}

static int
check_globals(struct globals *g)
{
	const char *out = g->output.n ? g->output.v[g->output.n - 1] : "-";
	const char *dlq = g->dlq.n ? g->dlq.v[g->dlq.n - 1] : NULL;
	struct errbuf eb = { 0 };
	int is_template = 0;

	sink_http_opts = g->http; /* http_check() reads them */
	/* A line is at most what the JSON scanner indexes (json-scan.h);
	 * the bound also keeps max_line + 2 in the line reader from
	 * wrapping around. */
	if (g->max_line < 1 || g->max_line > JSCAN_MAX_LEN)
		return usage_error("--max-line must be between 1 and %llu "
				   "bytes",
				   (unsigned long long)JSCAN_MAX_LEN);
	/* Listeners, --socket-mode, --from-end and --checkpoint; a source's
	 * library that cannot be loaded is an I/O error (lib/lazylib.h). */
	if (source_check(g, &eb) == -1) {
		fprintf(stderr, "evpipe: %s\n", eb.msg);
		return eb.status ? eb.status : STATUS_USAGE;
	}
	if (output_flags(g, out) != 0)
		return STATUS_USAGE;
	if (dlq && g->to != TO_NDJSON && strcmp(dlq, "-") == 0 &&
	    strcmp(out, "-") == 0)
		return usage_error("--dlq -: dead letters are NDJSON and would "
				   "break the --to %s output on stdout; give "
				   "--dlq a file",
				   out_format_names[g->to]);
	/* A dead letter its file refused would have nowhere to go. */
	if (dlq && strchr(dlq, '{'))
		return usage_error("--dlq '%s': {EXPR} templates are not "
				   "allowed for the dead-letter target (a dead "
				   "letter it refused would have nowhere to "
				   "go); split the dead letters afterwards",
				   dlq);
	if (g->fields) {
		struct encoder *enc = encoder_new(g->to, NULL, 0);
		int r = encoder_set_fields(enc, g->fields, &eb);

		encoder_free(enc);
		if (r == -1)
			return usage_error("%s", eb.msg);
	}
	if ((strchr(out, '{') || target_is_broker(out)) &&
	    target_check_template(out, &is_template, &eb) == -1) {
		fprintf(stderr, "evpipe: -o: %s\n", eb.msg);
		return eb.status;
	}
	if (target_is_http(out) &&
	    (g->to != TO_NDJSON || g->out_flags & (ENC_RAW | ENC_JOIN)))
		return usage_error("-o '%s': an HTTP target takes NDJSON "
				   "events (--http-format array sends a JSON "
				   "array), not --to, -r or -j",
				   out);
	if (target_is_broker(out) && g->to != TO_NDJSON)
		return usage_error("-o '%s': a broker target takes NDJSON "
				   "only (one message per event), not --to %s",
				   out, out_format_names[g->to]);
	if (target_is_broker(out) && g->out_flags & (ENC_RAW | ENC_JOIN))
		return usage_error("-o '%s': a broker target takes NDJSON "
				   "only (one message per event), not -r or "
				   "-j text",
				   out);
	if (is_template && g->out_flags & (ENC_RAW | ENC_JOIN))
		return usage_error("-o '%s': a template writes NDJSON only, "
				   "not -r or -j text",
				   out);
	if (is_template && g->to != TO_NDJSON)
		return usage_error("-o '%s': a template writes NDJSON only "
				   "(--to %s would need a header or an array "
				   "per file)",
				   out, out_format_names[g->to]);
	return 0;
}

/* The commands at argv[i...] (global options already parsed): run them. */
static int
run_commands(struct globals *g, int argc, char **argv, int i)
{
	struct stage_spec *specs = NULL;
	struct strlist inputs = { NULL, 0 };
	size_t nspecs = 0, k;
	int status;

	while (i < argc) {
		const struct stage_entry *e = stage_find(argv[i]);
		int j, r;

		if (e == NULL) {
			char hint[160];

			status = usage_error(
				"unknown command '%s'%s (see 'evpipe help')",
				argv[i],
				cmd_suggest(argv[i], hint, sizeof hint));
			goto out;
		}
		for (j = i + 1; j < argc && strcmp(argv[j], "then") != 0; j++)
			;
		specs = xreallocarray(specs, nspecs + 1, sizeof *specs);
		memset(&specs[nspecs], 0, sizeof *specs);
		specs[nspecs].entry = e;
		specs[nspecs].ctx = xcalloc(1, e->ctx_size ? e->ctx_size : 1);
		if (e->defaults)
			e->defaults(specs[nspecs].ctx);
		nspecs++;
		r = parse_stage(g, &specs[nspecs - 1], j - i - 1, argv + i + 1,
				j >= argc, &inputs);
		if (r != 0) {
			status = r == -1 ? STATUS_OK : r;
			goto out;
		}
		if (j < argc && j + 1 >= argc) {
			status = usage_error("'then' must be followed by a "
					     "command");
			goto out;
		}
		i = j + 1;
	}
	status = check_globals(g);
	if (status == 0)
		status = check_append(g, resumed_by(g, specs, nspecs));
	if (status != 0)
		goto out;
	log_quiet = g->quiet;
	strlist_push(&inputs, NULL);
	status = pipeline_run(g, specs, nspecs, inputs.v);
out:
	/* pipeline_run() frees the contexts; here only on usage errors. */
	for (k = 0; k < nspecs; k++) {
		if (specs[k].ctx)
			opt_release(specs[k].entry->opts, specs[k].ctx);
		free(specs[k].ctx);
		strlist_release(&specs[k].args);
	}
	free(specs);
	strlist_release(&inputs);
	return status;
}

/*
 * "evpipe [OPTIONS] run FILE [WORDS...]": the words of FILE (see
 * pipefile.h), then WORDS, as if they had been given on the command line.
 */
static int
run_file(struct globals *g, int argc, char **argv, int i)
{
	struct pipefile pf;
	struct errbuf eb = { 0 };
	char **words;
	int n, k, j = 0, status;

	if (i + 1 < argc && (strcmp(argv[i + 1], "--help") == 0 ||
			     strcmp(argv[i + 1], "-h") == 0)) {
		cmd_print_help(cmd_find("run"), stdout);
		return STATUS_OK;
	}
	if (i + 1 >= argc) {
		fputs("evpipe: run: missing argument\n", stderr);
		cmd_print_help(cmd_find("run"), stderr);
		return STATUS_USAGE;
	}
	if (pipefile_load(argv[i + 1], &pf, &eb) == -1) {
		fprintf(stderr, "evpipe: run: %s\n", eb.msg);
		return eb.status;
	}
	n = (int)pf.n + (argc - i - 2);
	words = xcalloc((size_t)n + 1, sizeof *words);
	for (k = 0; k < (int)pf.n; k++)
		words[k] = pf.words[k];
	for (; k < n; k++)
		words[k] = argv[i + 2 + k - (int)pf.n];
	status = parse_globals(g, n, words, &j);
	if (status == 0)
		status = run_commands(g, n, words, j);
	free(words);
	pipefile_release(&pf);
	return status;
}

int
main(int argc, char **argv)
{
	struct globals g;
	int i = 1, status;

	/* A constructor installed jansson's allocation functions (they fail
	 * the way ours do, and give numbers room for their text); this
	 * only checks that it ran. */
	jnum_install();
	if (argc >= 2 && strcmp(argv[1], "__complete") == 0)
		return cmd_complete(argc - 2, argv + 2);

	memset(&g, 0, sizeof g);
	g.max_line = DEFAULT_MAX_LINE;
	g.max_clients = DEFAULT_MAX_CLIENTS;
	g.client_buffers = DEFAULT_CLIENT_BUFFERS;
	g.linger = SINK_LINGER_NS;
	http_opts_defaults(&g.http);
	g.http_max_body = DEFAULT_HTTP_MAX_BODY;
	g.http_inflight = DEFAULT_HTTP_INFLIGHT;
	g.progress = -1;
	status = parse_globals(&g, argc, argv, &i);
	if (status != 0)
		goto out;
	if (g.version) {
		printf("evpipe %s\n", EVPIPE_VERSION);
		goto out;
	}
	if (g.help) {
		cmd_print_usage(stdout);
		goto out;
	}
	if (i >= argc) {
		cmd_print_usage(stderr);
		status = STATUS_USAGE;
		goto out;
	}
	if (strcmp(argv[i], "help") == 0)
		status = help_command(argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "run") == 0)
		status = run_file(&g, argc, argv, i);
	else
		status = run_commands(&g, argc, argv, i);
out:
	opt_release(global_opts, &g);
	return status;
}
