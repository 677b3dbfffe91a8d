#!/bin/sh
# batch-to-http: deliver events to an HTTP ingest endpoint in batches, one
# request per tenant and batch, retried when the endpoint fails; batches
# that keep failing end up, event by event, in a dead-letter file.
#
# In real use the command is curl, which exits 22 on an HTTP error:
#
#   evpipe --dlq failed.ndjson batch -k .tenant -n 500 --interval 1s \
#       --exec 'curl -sf --data-binary @- -H "Content-Type: application/x-ndjson" \
#               "https://ingest.example.net/v1/$EVPIPE_BATCH_KEY"'
#
# Here a local script stands in for the endpoint, so the example runs
# anywhere and gives the same output every time.
#
# usage: sh examples/batch-to-http.sh [EVPIPE] <examples/batch-to-http.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# The endpoint: the request body (the batch, as NDJSON) on stdin, the
# batch's facts in EVPIPE_BATCH_* variables.  It fails the first attempt
# of every batch (a 503, say) and every attempt for the tenant "blocked";
# what it accepts, it records as one line per request.
cat >"$dir/endpoint.sh" <<'END'
if [ "$EVPIPE_BATCH_ATTEMPT" = 1 ] || [ "$EVPIPE_BATCH_KEY" = blocked ]; then
	cat >/dev/null
	exit 22
fi
"$EVPIPE" batch -n 1000000 then map '{tenant: $ENV.EVPIPE_BATCH_KEY,
	request: ($ENV.EVPIPE_BATCH_SEQ | tonumber),
	attempt: ($ENV.EVPIPE_BATCH_ATTEMPT | tonumber),
	ids: map(.id)}' >>"$RECEIVED"
END
EVPIPE=$(command -v "$EVPIPE" || echo "$EVPIPE")
RECEIVED=$dir/received.ndjson
export EVPIPE RECEIVED

# Batches of up to 2 events per tenant; a failed request is tried again
# after 10 ms, 20 ms (--retries 2: three attempts in all).  The tenant is
# passed to the command in the environment, never pasted into it.
status=0
"$EVPIPE" -q --dlq "$dir/failed.ndjson" batch -k .tenant -n 2 \
	--retries 2 --backoff 10ms --exec "sh '$dir/endpoint.sh'" || status=$?
# Exit status 1: some events were rejected (the blocked tenant's).
[ "$status" -eq 1 ] || { echo "expected exit status 1, got $status" >&2; exit 1; }

# What the endpoint received, request by request.
cat "$RECEIVED"

# What it never took: each event with the reason.
"$EVPIPE" map '{id: .event.id, reason, attempts: .batch.attempts}' "$dir/failed.ndjson"
