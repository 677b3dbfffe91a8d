/*
 * pipeline.h -- the runner: inputs -> stages -> output, with the error
 * policy of DESIGN 2.5 (rejects, dead letters) and the signal handling of
 * 2.6 (drain and flush on SIGINT/SIGTERM).
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdint.h>

#include "opt.h"
#include "sink/http-dst.h"
#include "stage.h"

enum on_error { ON_ERROR_SKIP, ON_ERROR_STOP };

/* The global options (evpipe(1)); filled by main.c's option table. */
struct globals {
	struct strlist output; /* -o TARGET (the last one given wins) */
	struct strlist dlq;    /* --dlq TARGET (the last one given wins) */
	int on_error;	       /* enum on_error */
	uint64_t max_line;     /* --max-line SIZE */
	int from, to;	       /* --from, --to: enum in_format, out_format */
	int csv_types;	       /* --csv-types */
	int raw_input;	       /* -R: --from lines */
	int raw_output, join_output; /* -r, -j */
	int color, no_color;	     /* -C, -M */
	unsigned out_flags; /* encoder.h ENC_*, from the four above (main.c) */
	const char *fields; /* --fields A,B.C: the csv/tsv columns */
	int line_buffered;
	/* --append, or a resumed run (--checkpoint, a stage's --state): -o
	 * FILE appends instead of replacing the file */
	int append;
	int mkdir; /* --mkdir: an -o template creates its directories */
	int quiet, verbose;
	int progress; /* --progress 1, --no-progress 0, else -1 */
	int help, version;
	json_t *named_args; /* --arg / --argjson */
	/* Sources (source.h) */
	int follow;		 /* -F: follow the input files */
	int from_end;		 /* --from-end: start at their end */
	const char *checkpoint;	 /* --checkpoint FILE */
	struct strlist listen;	 /* -i TARGET, repeatable */
	uint64_t max_clients;	 /* --max-clients N */
	uint64_t client_buffers; /* --client-buffers SIZE */
	const char *socket_mode; /* --socket-mode MODE (octal), or NULL */
	int64_t linger;		 /* --linger DUR (ns) */
	/* Broker targets (evpipe-brokers(7)) */
	const char *kafka_config; /* --kafka-config FILE */
	struct strlist kafka_set; /* --kafka-set KEY=VALUE, repeatable */
	const char *nats_creds, *nats_nkey, *nats_token_file;
	const char *nats_tls_ca, *nats_tls_cert, *nats_tls_key;
	const char *nats_js_domain, *nats_js_prefix;
	struct http_opts http; /* --http-* (evpipe-http(7)) */
	/* The HTTP source (evpipe-http(7)) */
	const char *tls_cert, *tls_key; /* --tls-cert, --tls-key: https:// */
	const char *http_token_file, *http_hmac_file, *http_hmac_header;
	uint64_t http_max_body, http_inflight; /* SIZE */
	int http_reject_status;		       /* 0: 200, 1: 400 */
	int http_metrics;		       /* --http-metrics */
};

/* One stage as written on the command line, parsed but not started. */
struct stage_spec {
	const struct stage_entry *entry;
	void *ctx;	     /* ctx_size bytes, filled by the option parser */
	struct strlist args; /* positional words for init() */
	int no_input;	     /* reads no events (schema compat, cmd.h) */
};

/*
 * Run stages[0..n) over inputs (NULL-terminated; empty means stdin).
 * Takes ownership of each spec's ctx.  Returns the process exit status
 * (enum status, or 128+N after a signal).
 */
int pipeline_run(const struct globals *g, struct stage_spec *stages, size_t n,
		 const char *const *inputs);

#endif
