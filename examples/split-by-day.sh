#!/bin/sh
# split-by-day: write each event to a file per day and type, creating the
# directories; an event whose template cannot be rendered (no .ts) goes
# to the dead-letter file with the reason.  Hostile values stay inside
# the output directory: "../../etc/passwd" becomes one safe file name.
#
# usage: sh examples/split-by-day.sh [EVPIPE] <examples/split-by-day.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Exit status 1: one event was rejected (it has no .ts).
status=0
"$EVPIPE" -q --dlq "$dir/rejected.ndjson" \
	split --mkdir "$dir/out/{.ts[0:10]}/{.type}.ndjson" || status=$?
[ "$status" -eq 1 ]

# The files, in name order, as {"file": NAME, "events": N} lines.
(cd "$dir/out" && find . -type f | LC_ALL=C sort) | while read -r f; do
	n=$(wc -l <"$dir/out/$f")
	printf '{"file":"%s","events":%d}\n' "${f#./}" "$n"
done
# The reject, with its reason.
"$EVPIPE" map '{reason, event}' "$dir/rejected.ndjson"
