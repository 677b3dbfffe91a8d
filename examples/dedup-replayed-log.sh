#!/bin/sh
# dedup-replayed-log: a producer retried and sent part of its log twice.
# Drop the replayed events by their id, and keep the ids seen in a state
# file so that the next run, fed the same log again plus what came after,
# passes only the new events.
#
# usage: sh examples/dedup-replayed-log.sh [EVPIPE] <examples/dedup-replayed-log.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/log.ndjson"
head -n 5 "$dir/log.ndjson" >"$dir/first-part.ndjson"

# Each id once, in the order first seen: 5 of the 8 events.
"$EVPIPE" dedup -k .id "$dir/log.ndjson"

# The first run sees only the first part; it remembers evt-1..evt-3.
"$EVPIPE" dedup -k .id --state "$dir/seen.state" "$dir/first-part.ndjson" >/dev/null

# The next run gets the whole log again and passes only evt-4 and evt-5;
# -v shows what dedup dropped.
"$EVPIPE" -v dedup -k .id --state "$dir/seen.state" "$dir/log.ndjson" 2>"$dir/counts"
grep 'duplicates dropped' "$dir/counts" >&2
