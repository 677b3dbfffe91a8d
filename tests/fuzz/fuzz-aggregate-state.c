/*
 * fuzz-aggregate-state.c -- the state file loader of aggregate --state
 * on arbitrary bytes.
 *
 * Byte 0 steers: bits 0-1 pick the windows (none, tumbling, hopping,
 * sessions), bit 7 makes the harness write a correct header line (magic
 * and checksum) so that the fuzzer gets past it to the JSON checks, and
 * "@DEF@" in the rest is replaced with the definition the command
 * expects, so a wrong fingerprint does not stop it either.  Every
 * aggregate function is configured.  A load must never crash; one that
 * succeeds is then emitted in full (finish), which prints every loaded
 * value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/aggregate.h"
#include "json/jnum.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/hash.h"
#include "opt.h"
#include "stage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
discard(struct emit *out, struct record *rec, struct errbuf *eb)
{
	size_t len;

	(void)out;
	(void)eb;
	(void)record_bytes(rec, &len);
	return 0;
}

static char *base_args[] = {
	"-k",	  ".k",
	"-k",	  "n=.n",
	"-a",	  "count",
	"-a",	  "sum(.v)",
	"-a",	  "avg(.v)",
	"-a",	  "min(.v)",
	"-a",	  "max(.v)",
	"-a",	  "first(.v)",
	"-a",	  "last(.v)",
	"-a",	  "q=percentiles(.v; 50, 99)",
	"-a",	  "distinct(.v)",
	"-a",	  "top(.v; 3)",
	"-a",	  "collect(.v; 4)",
	"--time", ".t",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct stage_entry *e = stage_find("aggregate");
	struct errbuf eb = { 0 };
	struct strlist pos = { 0 };
	struct emit out = { discard, NULL };
	char *argv[40], def[33];
	struct buf b = BUF_INIT, body = BUF_INIT;
	void *ctx;
	int argc = 0, mode;
	size_t i;

	if (size < 1)
		return 0;
	mode = data[0] & 3;
	for (i = 0; i < sizeof(base_args) / sizeof(base_args[0]); i++)
		argv[argc++] = base_args[i];
	if (mode == 0) {
		argc -= 2; /* no --time without windows */
	} else if (mode == 1) {
		argv[argc++] = "-w";
		argv[argc++] = "1m";
	} else if (mode == 2) {
		argv[argc++] = "-w";
		argv[argc++] = "1m";
		argv[argc++] = "--every";
		argv[argc++] = "20s";
	} else {
		argv[argc++] = "--gap";
		argv[argc++] = "30s";
	}
	argv[argc] = NULL;
	ctx = calloc(1, e->ctx_size);
	e->defaults(ctx);
	if (opt_parse(e->opts, ctx, argc, argv, &pos, &eb) == -1 ||
	    e->init(ctx, 0, NULL, NULL, &eb) == -1)
		abort();
	aggregate_state_def(ctx, def);
	/* the body, with @DEF@ made the right definition */
	for (i = 1; i < size; i++) {
		if (size - i >= 5 && memcmp(data + i, "@DEF@", 5) == 0) {
			buf_adds(&body, def);
			i += 4;
		} else {
			buf_addc(&body, (char)data[i]);
		}
	}
	if (data[0] & 0x80)
		buf_addf(&b, "evpipe aggregate state 1 %016llx\n",
			 (unsigned long long)hash64(body.data ? body.data : "",
						    body.len));
	buf_add(&b, body.data ? body.data : "", body.len);
	if (aggregate_state_load(ctx, b.data ? b.data : "", b.len, &eb) == 0 &&
	    e->finish(ctx, &out, &eb) == -1)
		abort();
	errbuf_clear(&eb);
	e->free(ctx);
	opt_release(e->opts, ctx);
	strlist_release(&pos);
	free(ctx);
	buf_release(&b);
	buf_release(&body);
	return 0;
}
