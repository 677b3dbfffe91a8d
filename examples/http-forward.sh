#!/bin/sh
# http-forward: forward events to an HTTP ingest endpoint in batches, one
# path per tenant, with a token from the environment (never on the
# command line); a batch the endpoint answers 503 is sent again, one it
# refuses (400) ends up, event by event, in a dead-letter file with the
# status and the endpoint's answer.
#
# In real use:
#
#   INGEST_TOKEN='Bearer ...' evpipe --dlq failed.ndjson --http-gzip \
#       --http-header-env Authorization=INGEST_TOKEN \
#       -o 'https://ingest.example.net/v1/{.tenant}' cat app.ndjson
#
# Here tests/helpers/http-sink.py, a small Python server on 127.0.0.1,
# stands in for the endpoint, answering 503, 200, 400 and then 200, so
# the example runs anywhere and gives the same output every time.
#
# usage: sh examples/http-forward.sh [EVPIPE] <examples/http-forward.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
srv=
trap '[ -z "$srv" ] || kill "$srv" 2>/dev/null; rm -rf "$dir"' EXIT
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY

python3 tests/helpers/http-sink.py --port-file "$dir/port" --log "$dir/log" \
	--out "$dir/received" --script "503 200 400" &
srv=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 250 ]; do
	sleep 0.02
	i=$((i + 1))
done
url=http://127.0.0.1:$(cat "$dir/port")

# Batches of 2 events per path; a failed request is tried again after
# about 10 ms.  Exit status 3: some events could not be delivered.
status=0
INGEST_TOKEN='Bearer example-token' "$EVPIPE" -q --dlq "$dir/failed.ndjson" \
	--http-batch 2 --http-backoff 10ms \
	--http-header-env Authorization=INGEST_TOKEN \
	-o "$url/v1/{.tenant}" cat || status=$?
[ "$status" -eq 3 ] || { echo "expected exit status 3, got $status" >&2; exit 1; }

# What the endpoint saw, request by request, and what it took.
"$EVPIPE" map '{n, path, events, answer, auth: .headers.authorization}' "$dir/log"
cat "$dir/received"

# What it refused: each event with the reason (the endpoint's port cut).
"$EVPIPE" map '{id: .event.id, reason: (.reason | sub("^[^ ]*: "; ""))}' \
	"$dir/failed.ndjson"
