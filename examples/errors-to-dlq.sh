#!/bin/sh
# errors-to-dlq: lines that are not JSON go to a dead-letter file, with
# the stage, the reason, the source and line number, and the line itself;
# the good events go on.  evpipe exits 1 because events were rejected.
#
# usage: sh examples/errors-to-dlq.sh [EVPIPE] <examples/errors-to-dlq.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

status=0
"$EVPIPE" --dlq "$dir/dead.ndjson" cat || status=$?
[ "$status" -eq 1 ] || { echo "expected exit status 1, got $status" >&2; exit 1; }

# The dead letters, one JSON object a line.
cat "$dir/dead.ndjson"
